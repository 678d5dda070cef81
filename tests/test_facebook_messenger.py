"""A tenant in Messenger: the same answers, cases and staff room as on Telegram, through
the fake Graph API, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from helpbot.store import models
from helpbot.store.casebook import Casebook
from helpbot.store.records import Store
from helpbot.testing.facebook_harness import FacebookBotUnderTest, running_facebook_bot
from helpbot.testing.fake_graph import RATE_LIMITED, TRANSIENT


@pytest.fixture
async def fbot(store: Store, understanding) -> AsyncIterator[FacebookBotUnderTest]:  # type: ignore[no-untyped-def]
    async with running_facebook_bot(store, understanding) as running:
        yield running


async def test_a_question_in_messenger_is_answered_from_the_knowledge_base(
    fbot: FacebookBotUnderTest,
) -> None:
    ann = fbot.tenant()
    assert await fbot.push(fbot.fb.message(ann, "what's your phone number?")) == 200
    (answer,) = fbot.fb.sent_to(ann)
    assert "01278 444344" in answer
    (call,) = fbot.fb.calls_to("messages")
    assert call.body["messaging_type"] == "RESPONSE"
    assert call.body["recipient"] == {"id": ann.psid}
    # One person in the store, known by their page-scoped id and first name only.
    async with fbot.bot.store.sessions() as session:
        person = await session.scalar(
            select(models.Person).where(
                models.Person.channel == "facebook", models.Person.external_id == ann.psid
            )
        )
    assert person is not None and person.first_name == "Ann"


async def test_a_complaint_in_messenger_opens_a_case_and_a_staff_reply_reaches_messenger(
    fbot: FacebookBotUnderTest,
) -> None:
    ann = fbot.tenant()
    await fbot.push(
        fbot.fb.message(ann, "I want to make a complaint, nobody has fixed my boiler for weeks")
    )
    (case,) = await Casebook(fbot.bot.store).all_cases()
    assert case.kind == "complaint"
    assert case.ref in fbot.fb.sent_to(ann)[-1]
    thread = await fbot.staff_topic(case.id)
    assert any("boiler" in text for text in fbot.staff_says(thread))
    assert "private chat (facebook)" in fbot.staff_says(thread)[0]

    priya = fbot.bot.tg.user(9001, "Priya")
    topic = fbot.bot.tg.topic_message(
        fbot.bot.staff_room,
        thread,
        priya,
        "Sorry Ann, an engineer is booked for Tuesday",
        reply_to=fbot.bot.tenant_said(thread),  # a reply to Ann's message goes to Ann
    )
    await fbot.bot.send(topic)
    reply, acknowledged = fbot.fb.sent_bodies(ann)[-2:]
    assert "acknowledged your complaint" in acknowledged["message"]["text"]
    assert "engineer is booked for Tuesday" in reply["message"]["text"]
    assert "Priya" in reply["message"]["text"]
    # A colleague's reply is tagged so it may go out up to 7 days after Ann wrote.
    assert reply["messaging_type"] == "MESSAGE_TAG" and reply["tag"] == "HUMAN_AGENT"


async def test_typed_my_cases_lists_the_tenants_cases(fbot: FacebookBotUnderTest) -> None:
    ann = fbot.tenant()
    await fbot.push(fbot.fb.message(ann, "There's damp and mould in my bedroom, can someone come"))
    (case,) = await Casebook(fbot.bot.store).all_cases()
    await fbot.push(fbot.fb.message(ann, "My cases"))
    assert case.ref in fbot.fb.sent_to(ann)[-1]


async def test_the_talk_to_a_person_button_arrives_as_a_postback_and_opens_a_case(
    fbot: FacebookBotUnderTest,
) -> None:
    ann = fbot.tenant()
    await fbot.push(fbot.fb.message(ann, "what colour is the sky on tuesdays in the garden"))
    body = fbot.fb.sent_bodies(ann)[-1]
    (button,) = body["message"]["attachment"]["payload"]["buttons"]
    assert button["type"] == "postback"
    await fbot.push(fbot.fb.postback(ann, button["title"], button["payload"]))
    (case,) = await Casebook(fbot.bot.store).all_cases()
    assert case.kind == "human"


async def test_the_24_hour_window_closing_is_reported_to_staff(
    fbot: FacebookBotUnderTest,
) -> None:
    ann = fbot.tenant()
    await fbot.push(fbot.fb.message(ann, "I want to complain about the noise from next door"))
    (case,) = await Casebook(fbot.bot.store).all_cases()
    thread = await fbot.staff_topic(case.id)
    priya = fbot.bot.tg.user(9001, "Priya")

    # A day and a bit later a colleague can still reply (Human Agent tag, 7 days) ...
    fbot.fb.advance(hours=30)
    await fbot.bot.send(
        fbot.bot.tg.topic_message(fbot.bot.staff_room, thread, priya, "/reply Hi Ann")
    )
    assert any(text.startswith("Hi Ann") for text in fbot.fb.sent_to(ann))

    # ... but not after 7 days: Facebook refuses, and Priya is told why, in the topic.
    fbot.fb.advance(days=7)
    sent = len(fbot.fb.sent_to(ann))
    await fbot.bot.send(
        fbot.bot.tg.topic_message(fbot.bot.staff_room, thread, priya, "/reply Are you still there?")
    )
    assert len(fbot.fb.sent_to(ann)) == sent
    told = next(t for t in fbot.staff_says(thread) if "could not reach the tenant" in t)
    assert "Priya" in told and "could not reach the tenant on Facebook" in told
    assert "window has closed" in told
    kinds = [e.kind for e in await Casebook(fbot.bot.store).timeline(case.id)]
    assert "undelivered" in kinds

    # When Ann writes again the window reopens and replies flow.
    await fbot.push(fbot.fb.message(ann, "yes still here"))
    await fbot.bot.send(
        fbot.bot.tg.topic_message(fbot.bot.staff_room, thread, priya, "/reply Great")
    )
    assert fbot.fb.sent_to(ann)[-1].startswith("Great")


async def test_rate_limits_and_transient_errors_are_retried_until_the_answer_goes(
    fbot: FacebookBotUnderTest,
) -> None:
    ann = fbot.tenant()
    fbot.fb.fail_next("messages", TRANSIENT)
    fbot.fb.fail_next("messages", RATE_LIMITED)
    await fbot.push(fbot.fb.message(ann, "what's your phone number?"))
    (answer,) = fbot.fb.sent_to(ann)  # sent once, after two refusals
    assert "01278 444344" in answer
    assert len(fbot.fb.calls_to("messages")) == 3


async def test_read_receipts_and_photos_do_not_confuse_the_bot(fbot: FacebookBotUnderTest) -> None:
    ann = fbot.tenant()
    await fbot.push(fbot.fb.read_receipt(ann))
    assert fbot.fb.sent_to(ann) == []
    await fbot.push(fbot.fb.photo(ann))
    (answer,) = fbot.fb.sent_to(ann)
    assert "photo" in answer.lower()


async def test_without_the_human_agent_permission_a_reply_after_24_hours_is_reported(
    store: Store,
    understanding,  # type: ignore[no-untyped-def]
) -> None:
    async with running_facebook_bot(store, understanding, facebook_human_agent=False) as fbot:
        ann = fbot.tenant()
        await fbot.push(fbot.fb.message(ann, "I want to make a complaint about my neighbour's dog"))
        (case,) = await Casebook(fbot.bot.store).all_cases()
        thread = await fbot.staff_topic(case.id)
        priya = fbot.bot.tg.user(9001, "Priya")
        fbot.fb.advance(hours=25)
        await fbot.bot.send(
            fbot.bot.tg.topic_message(
                fbot.bot.staff_room, thread, priya, "/reply Sorry for the wait"
            )
        )
        assert all("Sorry for the wait" not in text for text in fbot.fb.sent_to(ann))
        told = next(t for t in fbot.staff_says(thread) if "could not reach the tenant" in t)
        assert "could not reach the tenant on Facebook" in told and "24 hours" in told
        # Untagged: the app never claims a permission it was not given.
        assert all("tag" not in call.body for call in fbot.fb.calls_to("messages"))


async def test_a_slow_or_failing_profile_lookup_never_loses_the_message(
    fbot: FacebookBotUnderTest,
) -> None:
    ann = fbot.tenant()
    fbot.fb.fail_next("profile", TRANSIENT)
    assert await fbot.push(fbot.fb.message(ann, "what's your phone number?")) == 200
    assert "01278 444344" in fbot.fb.sent_to(ann)[0]
    # The name is asked again next time, and kept (first name only).
    await fbot.push(fbot.fb.message(ann, "thanks"))
    async with fbot.bot.store.sessions() as session:
        person = await session.scalar(
            select(models.Person).where(models.Person.external_id == ann.psid)
        )
    assert person is not None and person.first_name == "Ann"
