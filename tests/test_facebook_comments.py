"""Comments on the Facebook Page's posts (3.10, 3.12, 3.13): complaints leave public view
with one kind reply and the one private reply Facebook allows, personal details are
hidden (never deleted), resolutions are published under the original comment with
consent, and pile-ons get one closing reply. Through the fake Graph API, on SQLite and
PostgreSQL, with the fake Telegram staff room."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from helpbot.store.casebook import Casebook
from helpbot.store.records import Store
from helpbot.testing.facebook_harness import FacebookBotUnderTest, running_facebook_bot
from helpbot.testing.fake_graph import ALREADY_REPLIED

COMPLAINT = (
    "Absolutely disgusted, I've reported the leak in my ceiling four times and nobody "
    "has come. I want to make a complaint. Ring me on 07700 900123"
)


@pytest.fixture
async def fbot(store: Store, understanding) -> AsyncIterator[FacebookBotUnderTest]:  # type: ignore[no-untyped-def]
    async with running_facebook_bot(store, understanding) as running:
        yield running


async def test_a_complaint_comment_with_a_phone_number_is_taken_private_and_hidden(
    fbot: FacebookBotUnderTest,
) -> None:
    fb = fbot.fb
    ann = fbot.tenant()
    post = fb.post("Our offices are closed on Monday for the bank holiday")
    _status, comment_id = await fbot.push(fb.comment(ann, post, COMPLAINT))

    # One short, kind reply in public, repeating none of it.
    (public,) = fb.public_replies(comment_id)
    assert "private message" in public
    assert "07700" not in public and "leak" not in public
    # Hidden, not deleted: Ann still sees it and nothing is lost.
    comment = fb.comments[comment_id]
    assert comment.is_hidden and not comment.deleted
    assert fb.calls_to("delete") == []
    # The one private reply, into Ann's Messenger, with her case reference.
    (case,) = await Casebook(fbot.bot.store).all_cases()
    assert case.kind == "complaint"
    (private,) = [c for c in fb.calls_to("messages") if "comment_id" in c.body["recipient"]]
    assert private.body["recipient"] == {"comment_id": comment_id}
    assert case.ref in fb.sent_to(ann)[0]
    # The case remembers the comment it began as, for publishing later (3.13).
    assert case.origin_message_id == comment_id
    # Staff have a topic, told it came from a public comment on Facebook.
    thread = await fbot.staff_topic(case.id)
    said = fbot.staff_says(thread)
    assert "public comment on Facebook" in said[0]
    assert "07700 900123" in said[0]  # the staff room is private; colleagues need it
    # The Page's own reply came back as a feed event and was left alone (no loop).
    assert len(fb.public_replies(comment_id)) == 1


async def test_staff_reply_in_messenger_and_the_resolution_published_under_her_comment(
    fbot: FacebookBotUnderTest,
) -> None:
    fb, bot = fbot.fb, fbot.bot
    ann = fbot.tenant()
    post = fb.post()
    _status, comment_id = await fbot.push(fb.comment(ann, post, COMPLAINT))
    (case,) = await Casebook(bot.store).all_cases()
    thread = await fbot.staff_topic(case.id)

    # Ann answers the private reply: the conversation carries on with her case.
    await fbot.push(fb.message(ann, "Thanks. It's dripping onto the bed now"))
    assert any("dripping" in text for text in fbot.staff_says(thread))
    assert len(await Casebook(bot.store).all_cases()) == 1

    priya = bot.tg.user(9001, "Priya")

    async def staff(text: str) -> None:
        await bot.send(bot.tg.topic_message(bot.staff_room, thread, priya, text))

    await staff("/reply Hi Ann, a roofer is booked for tomorrow morning")
    assert "roofer is booked" in fb.sent_to(ann)[-2]

    await staff("/resolve The roof was repaired and the ceiling made good.")
    await staff("/publish Sorted: the roof has been repaired. Thank you for your patience.")
    consent = fb.sent_bodies(ann)[-1]["message"]["attachment"]["payload"]
    assert "Sorted: the roof has been repaired" in consent["text"]
    assert fb.public_replies(comment_id) == [fb.public_replies(comment_id)[0]]  # not yet
    yes = next(b for b in consent["buttons"] if b["title"] == "Yes")
    assert yes["type"] == "postback"
    await fbot.push(fb.postback(ann, yes["title"], yes["payload"]))

    published = fb.public_replies(comment_id)[-1]
    assert published.startswith("Sorted: the roof has been repaired")
    stored = await Casebook(bot.store).by_id(case.id)
    assert stored is not None and stored.publication_consent == "yes"


async def test_an_emergency_comment_gets_the_advice_in_public_at_once(
    fbot: FacebookBotUnderTest,
) -> None:
    fb = fbot.fb
    ann = fbot.tenant()
    _status, comment_id = await fbot.push(
        fb.comment(ann, fb.post(), "I can smell gas in my kitchen, what should I do")
    )
    (public,) = fb.public_replies(comment_id)
    assert "0800 111 999" in public and "999" in public
    assert "0800 111 999" in fb.sent_to(ann)[0]
    (case,) = await Casebook(fbot.bot.store).all_cases()
    assert case.urgent
    assert not fb.comments[comment_id].is_hidden  # nothing personal in it


async def test_a_second_complaint_comment_is_reported_to_staff_when_its_private_reply_is_refused(
    fbot: FacebookBotUnderTest,
) -> None:
    fb = fbot.fb
    ann = fbot.tenant()
    await fbot.push(fb.comment(ann, fb.post(), COMPLAINT))
    (case,) = await Casebook(fbot.bot.store).all_cases()
    thread = await fbot.staff_topic(case.id)
    fb.fail_next("messages", ALREADY_REPLIED)
    await fbot.push(fb.comment(ann, fb.post(), "Still no one has come about my complaint, awful"))
    told = fbot.staff_says(thread)[-1]
    assert "could not reach the tenant on Facebook" in told
    assert "private reply" in told


async def test_a_comment_edited_to_add_a_phone_number_is_hidden(fbot: FacebookBotUnderTest) -> None:
    fb = fbot.fb
    ann = fbot.tenant()
    _status, comment_id = await fbot.push(fb.comment(ann, fb.post(), "Lovely news, thanks!"))
    assert not fb.comments[comment_id].is_hidden and fb.public_replies(comment_id) == []
    await fbot.push(fb.edit_comment(comment_id, "Lovely news, call me on 07700 900456"))
    assert fb.comments[comment_id].is_hidden
    assert fb.public_replies(comment_id) == []  # an edit gets no second public reply


async def test_a_pile_on_of_hostile_comments_gets_one_closing_reply_and_moderators_are_told(
    fbot: FacebookBotUnderTest,
) -> None:
    fb, bot = fbot.fb, fbot.bot
    post = fb.post("New bin collection days from April")
    angry = [fb.user(str(8000 + n), f"Angry{n}") for n in range(5)]
    insults = [
        "You lot are useless idiots, absolute joke of a landlord",
        "Pathetic clowns, shut up and do your job you morons",
        "Useless idiots the lot of you, a complete disgrace",
        "You're all a bunch of incompetent muppets, pathetic",
        "Absolute clowns, shut up, useless idiots",
    ]
    comments = []
    for person, text in zip(angry, insults, strict=True):
        _status, comment_id = await fbot.push(fb.comment(person, post, text))
        comments.append(comment_id)
        if len(comments) == 1:
            # One rude comment is not answered at all: SHAL does not argue.
            assert fb.public_replies(comment_id) == []
    replies = [text for c in comments for text in fb.public_replies(c)]
    assert len(replies) == 1
    assert "won't be replying further" in replies[0]
    # Nothing hidden or deleted by the bot for rudeness alone.
    assert not any(fb.comments[c].is_hidden for c in comments)
    assert fb.calls_to("delete") == []
    moderation = [
        m["text"] for m in bot.tg.sent_messages(bot.staff_room.id) if "piling up" in m["text"]
    ]
    assert len(moderation) == 1


async def test_a_question_in_the_comments_is_answered_under_it(fbot: FacebookBotUnderTest) -> None:
    fb = fbot.fb
    ann = fbot.tenant()
    _status, comment_id = await fbot.push(
        fb.comment(ann, fb.post(), "What's your phone number please?")
    )
    (answer,) = fb.public_replies(comment_id)
    assert "01278 444344" in answer
    assert await Casebook(fbot.bot.store).all_cases() == []


async def test_a_complaint_on_the_pages_post_in_a_group_is_treated_the_same(
    fbot: FacebookBotUnderTest,
) -> None:
    fb = fbot.fb
    ann = fbot.tenant()
    _status, comment_id = await fbot.push(fb.comment(ann, fb.post(), COMPLAINT, group=True))
    (public,) = fb.public_replies(comment_id)
    assert "private message" in public
    assert fb.comments[comment_id].is_hidden
    (case,) = await Casebook(fbot.bot.store).all_cases()
    thread = await fbot.staff_topic(case.id)
    assert "group" in fbot.staff_says(thread)[0]


async def test_a_colleagues_reply_before_the_commenter_answers_is_reported_not_lost(
    fbot: FacebookBotUnderTest,
) -> None:
    """Facebook allows the one private reply; Messenger opens only once they answer it."""
    fb, bot = fbot.fb, fbot.bot
    ann = fbot.tenant()
    await fbot.push(fb.comment(ann, fb.post(), COMPLAINT))
    (case,) = await Casebook(bot.store).all_cases()
    thread = await fbot.staff_topic(case.id)
    priya = bot.tg.user(9001, "Priya")
    await bot.send(
        bot.tg.topic_message(bot.staff_room, thread, priya, "/reply Hi Ann, any update?")
    )
    assert all("any update" not in text for text in fb.sent_to(ann))
    assert any(
        "could not reach the tenant on Facebook" in text and "Priya" in text
        for text in fbot.staff_says(thread)
    )
    # Once Ann answers the private reply, the next reply gets through.
    await fbot.push(fb.message(ann, "Hello, yes it's still leaking"))
    await bot.send(bot.tg.topic_message(bot.staff_room, thread, priya, "/reply Booked for Monday"))
    assert any(text.startswith("Booked for Monday") for text in fb.sent_to(ann))
