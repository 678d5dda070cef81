"""Private case threads (3.12, 3.13): complaints and personal matters leave public view,
staff take over from the staff room, and the history is kept. Runs on SQLite and
PostgreSQL through the fake Bot API."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, date, datetime

from helpbot.printouts.casefile import show_case
from helpbot.store import models
from helpbot.store.casebook import Casebook
from helpbot.testing.harness import BotUnderTest, tenant

COMPLAINT = "I reported the broken window in my flat 3 weeks ago and nobody has come to fix it"


def buttons(message: dict) -> list[dict]:
    markup = message.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


async def open_group_complaint(bot: BotUnderTest, text: str = COMPLAINT):  # type: ignore[no-untyped-def]
    ann = tenant(bot.tg)
    post = bot.tg.group_message(bot.community, ann, text)
    await bot.send(post)
    (case,) = await Casebook(bot.store).all_cases()
    return ann, post, case


async def start_private_from_group(bot: BotUnderTest, ann, case: models.Case) -> None:  # type: ignore[no-untyped-def]
    await bot.send(bot.tg.command(ann, ann, "start", case.link_token or ""))


async def staff_topic(bot: BotUnderTest, case_id: int) -> int:
    case = await Casebook(bot.store).by_id(case_id)
    assert case is not None and case.staff_topic_id is not None
    return case.staff_topic_id


async def test_a_complaint_in_the_group_is_moved_to_a_private_case(bot: BotUnderTest) -> None:
    ann, post, case = await open_group_complaint(bot)
    (notice,) = bot.tg.sent_messages(bot.community.id)
    # One short, kind reply in public, with no details of the complaint repeated.
    assert "privately" in notice["text"]
    assert "window" not in notice["text"] and "3 weeks" not in notice["text"]
    assert notice["reply_to_message"]["message_id"] == post["message"]["message_id"]
    (link,) = buttons(notice)
    assert link["url"] == f"https://t.me/shal_helpbot?start={case.link_token}"
    # The case is open at once and linked to the group message.
    assert case.kind == "complaint"
    assert case.origin_message_id == str(post["message"]["message_id"])
    assert case.chat_id is None
    # Staff see it in its own topic, named with reference, intent and a summary.
    thread = await staff_topic(bot, case.id)
    topic = bot.tg.topics[bot.staff_room.id][thread]
    assert topic["name"].startswith(f"{case.ref} · complaint · ")
    assert any(COMPLAINT in m["text"] for m in bot.tg.sent_messages(bot.staff_room.id))

    # The tenant presses the button: the private thread carries on with that case.
    await start_private_from_group(bot, ann, case)
    (hello,) = bot.replies_to(ann.id)
    assert case.ref in hello
    refreshed = await Casebook(bot.store).by_id(case.id)
    assert refreshed is not None and refreshed.chat_id is not None


async def test_someone_elses_start_link_does_not_reveal_the_case(bot: BotUnderTest) -> None:
    _, _, case = await open_group_complaint(bot)
    mallory = tenant(bot.tg, 6666, "Mallory")
    await bot.send(bot.tg.command(mallory, mallory, "start", case.link_token or ""))
    (answer,) = bot.replies_to(mallory.id)
    assert case.ref not in answer
    assert "automated assistant" in answer


async def test_personal_details_posted_in_the_group_are_removed_without_repeating_them(
    bot: BotUnderTest,
) -> None:
    ann = tenant(bot.tg)
    post = bot.tg.group_message(
        bot.community, ann, "can someone from shal ring me on 07700 900123 about my rent arrears"
    )
    await bot.send(post)
    message_id = post["message"]["message_id"]
    assert bot.tg.is_deleted(bot.community.id, message_id)
    (notice,) = bot.tg.sent_messages(bot.community.id)
    assert "removed" in notice["text"] and "personal details" in notice["text"]
    assert "07700" not in notice["text"]
    assert "reply_to_message" not in notice  # the original is gone; nothing to quote
    (removal,) = await bot.store.audit_trail("removed_personal_data")
    assert removal.detail["kinds"] == ["phone"]


async def test_someones_health_or_debts_told_in_the_group_are_taken_down_too(
    bot: BotUnderTest,
) -> None:
    """No number in it, but a child's illness and the family's arrears: special
    category and private (3.12). The matter goes private like one with a phone number;
    a thank-you that mentions a stay in hospital is only chat and stays."""
    ann, bob = tenant(bot.tg), tenant(bot.tg, 5002, "Bob")
    post = bot.tg.group_message(
        bot.community,
        ann,
        "the mould in our bedroom is making my son's asthma worse and I'm already behind "
        "on my rent so I can't move him, can someone come and look at it",
    )
    await bot.send(post)
    assert bot.tg.is_deleted(bot.community.id, post["message"]["message_id"])
    (notice,) = bot.tg.sent_messages(bot.community.id)
    assert "removed" in notice["text"] and "asthma" not in notice["text"]
    (removal,) = await bot.store.audit_trail("removed_personal_data")
    assert removal.detail["kinds"] == ["health", "money"]
    (case,) = await Casebook(bot.store).all_cases()
    assert case.kind in ("repair", "personal")

    thanks = bot.tg.group_message(
        bot.community, bob, "thank you all for the card when my husband was in hospital, so kind"
    )
    await bot.send(thanks)
    assert not bot.tg.is_deleted(bot.community.id, thanks["message"]["message_id"])
    assert len(await bot.store.audit_trail("removed_personal_data")) == 1


async def test_a_photo_relayed_to_staff_and_a_colleagues_reply_relayed_back(
    bot: BotUnderTest,
) -> None:
    ann = tenant(bot.tg)
    await bot.send(
        bot.tg.private_message(ann, "the extractor fan in my bathroom has stopped working")
    )
    (case,) = await Casebook(bot.store).all_cases()
    assert case.kind == "repair"
    assert case.ref in bot.replies_to(ann.id)[0]
    thread = await staff_topic(bot, case.id)

    photo = bot.tg.photo(ann, ann, caption="this is the fan")
    await bot.send(photo)
    (copy,) = bot.tg.calls_to("copyMessage")
    assert copy.params["chat_id"] == bot.staff_room.id
    assert copy.params["message_thread_id"] == thread
    assert copy.params["message_id"] == photo["message"]["message_id"]

    priya = bot.tg.user(9001, "Priya", last_name="Sharma")
    bot.tg.set_member(bot.staff_room, priya, "member")
    # Replying to the tenant's photo in the topic is how a colleague answers them.
    relayed = bot.tenant_said(thread)
    assert relayed["message_id"] == copy.result["message_id"]
    await bot.send(
        bot.tg.topic_message(
            bot.staff_room, thread, priya, "Thanks Ann, an electrician is booked", reply_to=relayed
        )
    )
    to_tenant = bot.replies_to(ann.id)[-1]
    assert to_tenant == "Thanks Ann, an electrician is booked\n\n— Priya, SHAL team"
    assert "Sharma" not in to_tenant  # first name only (3.3)
    history = await bot.store.case_messages(case.id)
    assert [m.direction for m in history][:2] == ["in", "out"]


async def test_claim_note_release_resolve_and_publish_with_consent(bot: BotUnderTest) -> None:
    ann, post, case = await open_group_complaint(bot)
    await start_private_from_group(bot, ann, case)
    thread = await staff_topic(bot, case.id)
    priya = bot.tg.user(9001, "Priya")

    async def staff(text: str) -> None:
        await bot.send(bot.tg.topic_message(bot.staff_room, thread, priya, text))

    await staff("/claim")
    assert "Priya has taken this case" in bot.replies_to(bot.staff_room.id, thread)[-1]

    # Claimed: the bot stays quiet, the tenant's words go to the topic.
    before = len(bot.replies_to(ann.id))
    await bot.send(bot.tg.private_message(ann, "any news? it's freezing in here"))
    assert len(bot.replies_to(ann.id)) == before
    assert "freezing" in bot.replies_to(bot.staff_room.id, thread)[-1]

    await staff("/note contractor says glass arrives Friday")
    assert all("glass arrives" not in text for text in bot.replies_to(ann.id))

    await staff("/release")
    assert "released" in bot.replies_to(bot.staff_room.id, thread)[-1]

    await staff("/resolve We replaced the window on Friday and checked the frame.")
    question = bot.tg.sent_messages(ann.id)[-1]
    assert "replaced the window" in question["text"]
    yes, no = buttons(question)
    assert (yes["text"], no["text"]) == ("Yes", "No")

    await staff("/publish Sorted: the window has been replaced. Thanks for your patience.")
    consent = bot.tg.sent_messages(ann.id)[-1]
    assert "Nothing is posted unless you say yes" in consent["text"]
    assert len(bot.tg.sent_messages(bot.community.id)) == 1  # nothing public yet
    yes_button = next(b for b in buttons(consent) if b["text"] == "Yes")
    await bot.send(bot.tg.callback(ann, consent, yes_button["callback_data"]))

    public = bot.tg.sent_messages(bot.community.id)[-1]
    assert public["text"].startswith("Sorted: the window has been replaced")
    assert public["reply_to_message"]["message_id"] == post["message"]["message_id"]
    stored = await Casebook(bot.store).by_id(case.id)
    assert stored is not None
    assert stored.publication_consent == "yes" and stored.publication_consent_at is not None

    # The whole story is in the history.
    kinds = [e.kind for e in await Casebook(bot.store).timeline(case.id)]
    for expected in (
        "opened",
        "tenant_message",
        "private_chat_started",
        "claimed",
        "note",
        "released",
        "resolved",
        "consent_asked",
        "consent_given",
        "published",
    ):
        assert expected in kinds
    audit = [e.action for e in await bot.store.audit_trail()]
    assert {"case_claim", "case_note", "case_release", "case_resolve", "case_publish"} <= set(audit)


async def test_a_refused_publication_stays_private(bot: BotUnderTest) -> None:
    ann, _, case = await open_group_complaint(bot)
    await start_private_from_group(bot, ann, case)
    thread = await staff_topic(bot, case.id)
    priya = bot.tg.user(9001, "Priya")
    await bot.send(
        bot.tg.topic_message(bot.staff_room, thread, priya, "/publish The window was fixed.")
    )
    consent = bot.tg.sent_messages(ann.id)[-1]
    no_button = next(b for b in buttons(consent) if b["text"] == "No")
    await bot.send(bot.tg.callback(ann, consent, no_button["callback_data"]))
    assert len(bot.tg.sent_messages(bot.community.id)) == 1  # only the first kind notice
    assert "nothing will be posted" in bot.replies_to(ann.id)[-1]
    stored = await Casebook(bot.store).by_id(case.id)
    assert stored is not None
    assert stored.publication_consent == "no" and stored.publication_consent_at is not None


async def test_a_strangers_claim_is_refused(bot: BotUnderTest) -> None:
    _, _, case = await open_group_complaint(bot)
    stranger = tenant(bot.tg, 7777, "Stranger")
    await bot.send(bot.tg.command(bot.community, stranger, "claim"))
    assert "staff command" in bot.replies_to(bot.community.id)[-1]
    stored = await Casebook(bot.store).by_id(case.id)
    assert stored is not None and stored.assignee_id is None
    assert len(await bot.store.audit_trail("refused_staff_command")) == 1


async def test_only_listed_colleagues_may_run_case_commands_when_a_list_is_set(
    store,
    understanding,  # type: ignore[no-untyped-def]
) -> None:
    from helpbot.testing.harness import running_bot

    async with running_bot(store, understanding, staff_user_ids=(9001,)) as bot:
        _, _, case = await open_group_complaint(bot)
        thread = await staff_topic(bot, case.id)
        visitor = bot.tg.user(8888, "Visitor")
        await bot.send(bot.tg.topic_message(bot.staff_room, thread, visitor, "/claim"))
        assert "only colleagues on the staff list" in bot.replies_to(bot.staff_room.id, thread)[-1]
        stored = await Casebook(bot.store).by_id(case.id)
        assert stored is not None and stored.assignee_id is None


async def test_two_colleagues_claiming_at_once_exactly_one_wins(bot: BotUnderTest) -> None:
    _, _, case = await open_group_complaint(bot)
    thread = await staff_topic(bot, case.id)
    priya = bot.tg.user(9001, "Priya")
    tom = bot.tg.user(9002, "Tom")
    await asyncio.gather(
        bot.tg.deliver(bot.tg.topic_message(bot.staff_room, thread, priya, "/claim")),
        bot.tg.deliver(bot.tg.topic_message(bot.staff_room, thread, tom, "/claim")),
    )
    await bot.settle()
    answers = bot.replies_to(bot.staff_room.id, thread)[-2:]
    assert sum("has taken this case" in a for a in answers) == 1
    assert sum("already taken" in a for a in answers) == 1
    stored = await Casebook(bot.store).by_id(case.id)
    assert stored is not None and stored.assignee_name in {"Priya", "Tom"}


async def test_a_topic_deleted_by_hand_is_recreated_on_the_next_message(
    bot: BotUnderTest,
) -> None:
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, "my front door lock is stiff and hard to turn"))
    (case,) = await Casebook(bot.store).all_cases()
    first = await staff_topic(bot, case.id)
    bot.tg.delete_topic_by_hand(bot.staff_room.id, first)
    await bot.send(bot.tg.private_message(ann, "it's the back door as well actually, also stiff"))
    second = await staff_topic(bot, case.id)
    assert second != first
    assert any("back door" in text for text in bot.replies_to(bot.staff_room.id, second))


async def test_tenants_see_only_their_own_cases(bot: BotUnderTest) -> None:
    ann = tenant(bot.tg)
    bob = tenant(bot.tg, 5002, "Bob")
    await bot.send(bot.tg.private_message(ann, "my kitchen tap is dripping"))
    await bot.send(bot.tg.private_message(bob, "the light in my hallway has stopped working"))
    cases = await Casebook(bot.store).all_cases()
    await bot.send(bot.tg.command(ann, ann, "mycases"))
    listing = bot.replies_to(ann.id)[-1]
    refs = {c.tenant_id: c.ref for c in cases}
    assert len(refs) == 2
    shown = [ref for ref in refs.values() if ref in listing]
    assert len(shown) == 1


async def test_complaint_deadlines_across_the_christmas_bank_holidays(bot: BotUnderTest) -> None:
    ann = tenant(bot.tg)
    christmas_eve = datetime(2026, 12, 24, 10, 0, tzinfo=UTC).timestamp()
    bot.tg.clock = lambda: christmas_eve
    await bot.send(bot.tg.private_message(ann, COMPLAINT))
    (case,) = await Casebook(bot.store).all_cases()
    assert case.kind == "complaint" and case.stage == 1
    # Worked out by hand: Fri 25, Mon 28 Dec and Fri 1 Jan are bank holidays.
    assert case.received_on == date(2026, 12, 24)
    assert case.acknowledge_by == date(2027, 1, 5)
    assert case.respond_by == date(2027, 1, 19)


async def test_an_overdue_complaint_is_posted_to_the_staff_room_once_a_day(
    bot: BotUnderTest,
) -> None:
    _, _, case = await open_group_complaint(bot)
    assert case.acknowledge_by is not None
    later = case.acknowledge_by.replace(day=case.acknowledge_by.day)  # the due day itself
    overdue_day = date.fromordinal(later.toordinal() + 7)
    await bot.remind(overdue_day)
    general = [m["text"] for m in bot.tg.sent_messages(bot.staff_room.id) if "⏰" in m["text"]]
    assert any(case.ref in text and "OVERDUE" in text for text in general)
    thread = await staff_topic(bot, case.id)
    assert any("Reminder" in text for text in bot.replies_to(bot.staff_room.id, thread))
    # Not repeated the same day, however often the clock ticks.
    posted = len(bot.tg.sent_messages(bot.staff_room.id))
    await bot.remind(overdue_day)
    assert len(bot.tg.sent_messages(bot.staff_room.id)) == posted


async def test_stage_two_escalation_and_the_ombudsman_when_the_procedure_is_exhausted(
    bot: BotUnderTest,
) -> None:
    ann, _, case = await open_group_complaint(bot)
    await start_private_from_group(bot, ann, case)
    thread = await staff_topic(bot, case.id)
    priya = bot.tg.user(9001, "Priya")

    async def staff(text: str) -> None:
        await bot.send(bot.tg.topic_message(bot.staff_room, thread, priya, text))

    await staff("/resolve We will replace the window next month.")
    question = bot.tg.sent_messages(ann.id)[-1]
    no = next(b for b in buttons(question) if b["text"] == "No")
    await bot.send(bot.tg.callback(ann, question, no["callback_data"]))
    offer = bot.tg.sent_messages(ann.id)[-1]
    (escalate,) = buttons(offer)
    await bot.send(bot.tg.callback(ann, offer, escalate["callback_data"]))
    stored = await Casebook(bot.store).by_id(case.id)
    assert stored is not None and stored.stage == 2
    assert "stage 2" in bot.replies_to(ann.id)[-1]

    await staff("/extend 5 waiting for the glazier's survey")
    assert "glazier" in bot.replies_to(ann.id)[-1]

    await staff("/resolve The window was replaced on 3 March.")
    final = bot.tg.sent_messages(ann.id)[-1]
    assert "Housing Ombudsman" in final["text"]


async def test_staff_can_read_a_case_history_at_the_command_line(
    bot: BotUnderTest, database_url: str
) -> None:
    ann, _, case = await open_group_complaint(bot)
    await start_private_from_group(bot, ann, case)
    out = io.StringIO()
    assert await show_case(database_url, case.ref, out) == 0
    printed = out.getvalue()
    assert case.ref in printed and "complaint" in printed
    assert COMPLAINT in printed
    assert "private_chat_started" in printed
