"""The staff room's rough edges (issue 12): sending to a tenant is one deliberate act and
chatter stays an internal note; /publish after the tenant's "yes, satisfied" closed the
case; the tenant's buttons answered once; /extend capped as the Complaint Handling Code
allows. Through the fake Bot API, on SQLite and PostgreSQL, asserting what the tenant
and the staff room see and the rows stored."""

from __future__ import annotations

from datetime import date
from typing import Any

import aiohttp
import pytest

from helpbot.store import models
from helpbot.store.casebook import Casebook
from helpbot.testing.fake_telegram.errors import THREAD_NOT_FOUND
from helpbot.testing.fake_telegram_objects import FakeUser
from helpbot.testing.harness import BotUnderTest, tenant

COMPLAINT = "I reported the broken window in my flat 3 weeks ago and nobody has come to fix it"


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    markup = message.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


async def private_complaint(bot: BotUnderTest) -> tuple[FakeUser, models.Case, int]:
    """Ann complains in her private chat; the case has its topic in the staff room."""
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, COMPLAINT))
    (case,) = await Casebook(bot.store).all_cases()
    assert case.kind == "complaint" and case.staff_topic_id is not None
    return ann, case, case.staff_topic_id


async def group_complaint(bot: BotUnderTest) -> tuple[FakeUser, dict[str, Any], models.Case, int]:
    """Ann complains in the community group, then opens the private chat it offers."""
    ann = tenant(bot.tg)
    post = bot.tg.group_message(bot.community, ann, COMPLAINT)
    await bot.send(post)
    (case,) = await Casebook(bot.store).all_cases()
    await bot.send(bot.tg.command(ann, ann, "start", case.link_token or ""))
    stored = await Casebook(bot.store).by_id(case.id)
    assert stored is not None and stored.staff_topic_id is not None
    return ann, post, stored, stored.staff_topic_id


async def case_now(bot: BotUnderTest, case_id: int) -> models.Case:
    case = await Casebook(bot.store).by_id(case_id)
    assert case is not None
    return case


async def in_topic(
    bot: BotUnderTest, thread: int, who: FakeUser, text: str, reply_to: Any = None
) -> list[str]:
    """A colleague writes in the case's topic; what the bot then said there."""
    before = len(bot.replies_to(bot.staff_room.id, thread))
    await bot.send(bot.tg.topic_message(bot.staff_room, thread, who, text, reply_to=reply_to))
    return bot.replies_to(bot.staff_room.id, thread)[before:]


# -- sending is deliberate; chatter is a note ------------------------------------------


async def test_chatter_in_a_case_topic_stays_a_note_and_is_not_the_acknowledgement(
    bot: BotUnderTest,
) -> None:
    ann, case, thread = await private_complaint(bot)
    priya = bot.tg.user(9001, "Priya")
    heard = len(bot.replies_to(ann.id))

    said = await in_topic(bot, thread, priya, "Tom, can you take this?")
    assert bot.replies_to(ann.id)[heard:] == []  # the tenant never sees it
    (told,) = said
    assert "NOT sent to the tenant" in told and "/reply" in told
    (reaction,) = bot.tg.calls_to("setMessageReaction")
    assert reaction.params["chat_id"] == bot.staff_room.id

    # The second note gets only the ✍; still nothing to Ann.
    assert await in_topic(bot, thread, priya, "actually leave it, I'll ring her") == []
    assert len(bot.tg.calls_to("setMessageReaction")) == 2
    assert bot.replies_to(ann.id)[heard:] == []

    stored = await case_now(bot, case.id)
    assert stored.acknowledged_on is None and stored.assignee_id is None
    notes = [e for e in await Casebook(bot.store).timeline(case.id) if e.kind == "note"]
    assert [(n.actor_name, n.text) for n in notes] == [
        ("Priya", "Tom, can you take this?"),
        ("Priya", "actually leave it, I'll ring her"),
    ]
    assert not [e for e in await Casebook(bot.store).timeline(case.id) if e.kind == "staff_reply"]


async def test_a_reply_to_the_tenants_message_is_sent_signed_and_acknowledges(
    bot: BotUnderTest,
) -> None:
    ann, case, thread = await private_complaint(bot)
    priya = bot.tg.user(9001, "Priya")
    relayed = bot.tenant_said(thread)
    assert COMPLAINT in relayed["text"]

    said = await in_topic(bot, thread, priya, "Sorry Ann, a glazier comes Tuesday", relayed)
    reply_to_ann, acknowledged = bot.replies_to(ann.id)[-2:]
    assert reply_to_ann == "Sorry Ann, a glazier comes Tuesday\n\n— Priya, SHAL team"
    assert "acknowledged your complaint" in acknowledged
    assert any("📤 Sent to the tenant." in t for t in said)
    stored = await case_now(bot, case.id)
    assert stored.acknowledged_on is not None and stored.assignee_name == "Priya"
    kinds = [e.kind for e in await Casebook(bot.store).timeline(case.id)]
    assert "staff_reply" in kinds and "acknowledged" in kinds


async def test_reply_command_sends_and_a_reply_to_the_bots_own_note_does_not(
    bot: BotUnderTest,
) -> None:
    ann, case, thread = await private_complaint(bot)
    priya = bot.tg.user(9001, "Priya")
    tom = bot.tg.user(9002, "Tom")
    claimed = await in_topic(bot, thread, priya, "/claim")
    assert "Priya has taken this case" in claimed[0]
    bots_note = bot.tg.sent_messages(bot.staff_room.id, thread_id=thread)[-1]
    heard = len(bot.replies_to(ann.id))

    # Tom answers the bot's "Priya has taken this case": a note between colleagues.
    await in_topic(bot, thread, tom, "great, thanks Priya", bots_note)
    assert bot.replies_to(ann.id)[heard:] == []

    assert "/reply TEXT" in (await in_topic(bot, thread, priya, "/reply"))[0]
    assert bot.replies_to(ann.id)[heard:] == []  # /reply with no text sends nothing
    await in_topic(bot, thread, priya, "/reply We have ordered the glass.")
    assert bot.replies_to(ann.id)[heard] == "We have ordered the glass.\n\n— Priya, SHAL team"
    notes = [e.text for e in await Casebook(bot.store).timeline(case.id) if e.kind == "note"]
    assert notes == ["great, thanks Priya"]


# -- /publish after the case is closed; buttons answered once ----------------------------


@pytest.mark.parametrize("closed_topic_error", [None, THREAD_NOT_FOUND])
async def test_publish_after_yes_satisfied_closed_the_case_uses_the_same_topic(
    bot: BotUnderTest, closed_topic_error: str | None
) -> None:
    """Whether Telegram lets the bot post in a closed topic (an admin with Manage topics)
    or answers "thread not found" (without that right), nothing is lost or doubled."""
    bot.tg.closed_topic_error = closed_topic_error
    ann, post, case, thread = await group_complaint(bot)
    priya = bot.tg.user(9001, "Priya")
    await in_topic(bot, thread, priya, "/resolve We replaced the window on Friday.")
    question = bot.tg.sent_messages(ann.id)[-1]
    yes = next(b for b in buttons(question) if b["text"] == "Yes")
    await bot.send(bot.tg.callback(ann, question, yes["callback_data"]))
    closed = await case_now(bot, case.id)
    assert closed.status == "closed" and closed.satisfied is True
    assert bot.tg.topics[bot.staff_room.id][thread]["closed"] is True

    said = await in_topic(bot, thread, priya, "/publish Sorted: the window was replaced.")
    assert any("consent" in text for text in said)
    consent = bot.tg.sent_messages(ann.id)[-1]
    agree = next(b for b in buttons(consent) if b["text"] == "Yes")
    await bot.send(bot.tg.callback(ann, consent, agree["callback_data"]))

    public = bot.tg.sent_messages(bot.community.id)[-1]
    assert public["text"].startswith("Sorted: the window was replaced.")
    assert public["reply_to_message"]["message_id"] == post["message"]["message_id"]
    # One topic for the case, before and after: no duplicate was made.
    assert len(bot.tg.calls_to("createForumTopic")) == 1
    assert (await case_now(bot, case.id)).staff_topic_id == thread
    assert "posted in the group" in bot.replies_to(bot.staff_room.id, thread)[-1]
    after = await case_now(bot, case.id)
    assert after.publication_consent == "yes" and after.status == "closed"


async def test_satisfaction_is_answered_once_and_the_question_shows_the_answer(
    bot: BotUnderTest,
) -> None:
    ann, case, thread = await private_complaint(bot)
    priya = bot.tg.user(9001, "Priya")
    await in_topic(bot, thread, priya, "/resolve We replaced the window on Friday.")
    question = bot.tg.sent_messages(ann.id)[-1]
    no, yes = (next(b for b in buttons(question) if b["text"] == t) for t in ("No", "Yes"))

    await bot.send(bot.tg.callback(ann, question, yes["callback_data"]))
    shown = bot.tg.message(ann.id, question["message_id"])
    assert "replaced the window" in shown["text"] and shown["text"].endswith("Your answer: Yes")
    assert "reply_markup" not in shown  # the buttons are gone
    heard = len(bot.replies_to(ann.id))
    topic_said = len(bot.replies_to(bot.staff_room.id, thread))

    # An old copy of the question (another phone, a double tap) pressed again: "No".
    await bot.send(bot.tg.callback(ann, question, no["callback_data"]))
    answer = bot.tg.calls_to("answerCallbackQuery")[-1]
    assert answer.params.get("text") == "We already have your answer. Thank you."
    assert bot.replies_to(ann.id)[heard:] == []
    assert bot.replies_to(bot.staff_room.id, thread)[topic_said:] == []
    stored = await case_now(bot, case.id)
    assert stored.status == "closed" and stored.satisfied is True
    kinds = [e.kind for e in await Casebook(bot.store).timeline(case.id)]
    assert kinds.count("tenant_satisfied") == 1 and "tenant_not_satisfied" not in kinds


async def test_consent_is_answered_once(bot: BotUnderTest) -> None:
    ann, _, case, thread = await group_complaint(bot)
    priya = bot.tg.user(9001, "Priya")
    await in_topic(bot, thread, priya, "/publish The window was fixed.")
    consent = bot.tg.sent_messages(ann.id)[-1]
    no, yes = (next(b for b in buttons(consent) if b["text"] == t) for t in ("No", "Yes"))
    await bot.send(bot.tg.callback(ann, consent, no["callback_data"]))
    shown = bot.tg.message(ann.id, consent["message_id"])
    assert shown["text"].endswith("Your answer: No") and "reply_markup" not in shown

    await bot.send(bot.tg.callback(ann, consent, yes["callback_data"]))
    assert len(bot.tg.sent_messages(bot.community.id)) == 1  # only the first kind notice
    stored = await case_now(bot, case.id)
    assert stored.publication_consent == "no"
    answer = bot.tg.calls_to("answerCallbackQuery")[-1]
    assert answer.params.get("text") == "We already have your answer. Thank you."


# -- /extend as the Complaint Handling Code allows -------------------------------------


async def test_extend_needs_a_reason_is_capped_per_stage_and_tells_the_tenant(
    bot: BotUnderTest,
) -> None:
    ann, case, thread = await private_complaint(bot)
    priya = bot.tg.user(9001, "Priya")
    await in_topic(bot, thread, priya, "/reply Sorry Ann, we are looking into it.", None)
    acknowledged = await case_now(bot, case.id)
    due = acknowledged.respond_by
    assert due is not None
    heard = len(bot.replies_to(ann.id))

    (refused,) = await in_topic(bot, thread, priya, "/extend 99 waiting for the glazier")
    assert "at most 10 working days" in refused
    (no_reason,) = await in_topic(bot, thread, priya, "/extend 5")
    assert "reason" in no_reason
    assert "reason" in (await in_topic(bot, thread, priya, "/extend 5 tbc"))[0]
    assert bot.replies_to(ann.id)[heard:] == []
    assert (await case_now(bot, case.id)).respond_by == due

    said = await in_topic(bot, thread, priya, "/extend 6 we are waiting for the glazier's report")
    assert "Response date moved" in said[0]
    (told,) = bot.replies_to(ann.id)[heard:]
    extended = await case_now(bot, case.id)
    assert extended.respond_by is not None and extended.respond_by > due
    assert extended.extension_reason == "we are waiting for the glazier's report"
    assert f"{extended.respond_by:%a %d %b %Y}" in told
    assert "waiting for the glazier's report" in told
    assert "Housing Ombudsman" in told and "(" not in told.split("Ombudsman")[0]

    # Six used: five more would pass ten for the stage, and is refused; four is fine.
    (over,) = await in_topic(bot, thread, priya, "/extend 5 the glazier is still off sick")
    assert "already been extended by 6" in over and "up to 4 more" in over
    assert (await case_now(bot, case.id)).respond_by == extended.respond_by
    await in_topic(bot, thread, priya, "/extend 4 the glazier is still off sick")
    final = await case_now(bot, case.id)
    extensions = [e for e in await Casebook(bot.store).timeline(case.id) if e.kind == "extended"]
    assert [e.detail["days"] for e in extensions] == [6, 4]
    assert final.respond_by is not None and final.respond_by > extended.respond_by
    assert isinstance(final.respond_by, date)


async def test_stage_two_may_be_extended_by_up_to_twenty_working_days(
    bot: BotUnderTest,
) -> None:
    """The Code allows 20 working days of extension at stage 2, 10 at stage 1."""
    _ann, case, thread = await private_complaint(bot)
    priya = bot.tg.user(9001, "Priya")
    await in_topic(bot, thread, priya, "/reply Sorry Ann, we are looking into it.", None)
    await in_topic(bot, thread, priya, "/escalate")
    assert (await case_now(bot, case.id)).stage == 2
    due = (await case_now(bot, case.id)).respond_by

    (refused,) = await in_topic(bot, thread, priya, "/extend 21 waiting for the surveyor")
    assert "at most 20 working days" in refused
    await in_topic(bot, thread, priya, "/extend 15 waiting for the surveyor's report")
    moved = await case_now(bot, case.id)
    assert due is not None and moved.respond_by is not None and moved.respond_by > due
    assert [
        e.detail["days"]
        for e in await Casebook(bot.store).timeline(case.id)
        if e.kind == "extended"
    ] == [15]


async def test_a_staff_group_without_topics_still_hears_of_every_case(bot: BotUnderTest) -> None:
    """Topics were off in the staff group: every alert failed ("the chat is not a
    forum") and was marked undelivered, while the tenant was told colleagues knew and
    /healthz said ok (outside review). The alerts now go to the group's main chat,
    headed with the case, and /healthz says what to fix."""
    bot.tg.world.chats[bot.staff_room.id].is_forum = False
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, "I can smell gas in my kitchen, it's strong"))
    await bot.settle()
    (case,) = await Casebook(bot.store).all_cases()
    in_main_chat = [m.get("text", "") for m in bot.tg.sent_messages(bot.staff_room.id)]
    assert any(case.ref in text and "smell gas" in text for text in in_main_chat)
    assert (await bot.postroom.outbox.counts())["undelivered"][0] == 0
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{bot.web_url}/healthz") as answer:
            health = await answer.json()
    assert any("Topics turned off" in w for w in health["warnings"])


async def test_health_says_so_when_telegram_refuses_the_staff_group(bot: BotUnderTest) -> None:
    """A wrong HELPBOT_STAFF_GROUP_ID (or the bot removed from the group): every alert
    came back "chat not found" and was undelivered while /healthz said nothing (found
    walking a fresh clone). It now warns until a post gets through."""
    del bot.tg.world.chats[bot.staff_room.id]
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, "the kitchen tap is dripping all the time"))
    await bot.settle()
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{bot.web_url}/healthz") as answer:
            health = await answer.json()
    assert health["undelivered"] >= 1
    assert any("refuses the staff group" in w for w in health["warnings"])


async def test_erasing_a_tenant_takes_their_posts_out_of_a_group_without_topics(
    bot: BotUnderTest,
) -> None:
    """With Topics off the case's alerts sit in the group's main chat. Erasure (UK GDPR
    art. 17) deletes each of them there too, and no one else's."""
    from helpbot.store.privacy import Privacy

    bot.tg.world.chats[bot.staff_room.id].is_forum = False
    ann, bob = tenant(bot.tg), tenant(bot.tg, 5002, "Bob")
    await bot.send(bot.tg.private_message(ann, "I can smell gas in my kitchen at 4 Acacia Road"))
    await bot.send(bot.tg.private_message(bob, "the gutter at the back is hanging off"))
    ann_case, _bob_case = await Casebook(bot.store).all_cases()
    assert await Privacy(bot.store).erase(ann_case.tenant_id, actor="test") is not None
    await bot.settle()
    group = bot.staff_room.id
    live = [bot.tg.message(group, m["message_id"]) for m in bot.tg.sent_messages(group)]
    texts = [m.get("text", "") for m in live if m is not None]
    assert not any("Acacia" in t or ann_case.ref in t for t in texts)
    assert any("gutter" in t for t in texts)
    assert (await bot.postroom.outbox.counts())["undelivered"][0] == 0
