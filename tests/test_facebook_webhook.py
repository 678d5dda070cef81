"""The Facebook webhook as an attacker and as Meta's retries see it: the subscribe
handshake, forged and missing signatures, replays, junk and unknown fields."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import aiohttp
import pytest
from sqlalchemy import func, select

from helpbot.channels.facebook.channel import sign
from helpbot.store import models
from helpbot.store.casebook import Casebook
from helpbot.store.records import Store
from helpbot.testing.facebook_harness import FacebookBotUnderTest, running_facebook_bot


@pytest.fixture
async def fbot(store: Store, understanding) -> AsyncIterator[FacebookBotUnderTest]:  # type: ignore[no-untyped-def]
    async with running_facebook_bot(store, understanding) as running:
        yield running


async def stored_events(fbot: FacebookBotUnderTest) -> int:
    async with fbot.bot.store.sessions() as session:
        count = await session.scalar(
            select(func.count(models.InboxEvent.id)).where(models.InboxEvent.channel == "facebook")
        )
    return int(count or 0)


async def test_the_subscribe_handshake_echoes_the_challenge_only_for_our_token(
    fbot: FacebookBotUnderTest,
) -> None:
    url = fbot.fb.webhook_url
    assert url is not None
    async with aiohttp.ClientSession() as http:
        good = {"hub.mode": "subscribe", "hub.verify_token": fbot.fb.verify_token}
        async with http.get(url, params=good | {"hub.challenge": "1158201444"}) as response:
            assert response.status == 200
            assert await response.text() == "1158201444"
        bad = {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"}
        async with http.get(url, params=bad) as response:
            assert response.status == 403


async def test_a_forged_signature_is_refused_with_403_and_nothing_is_stored(
    fbot: FacebookBotUnderTest,
) -> None:
    fb = fbot.fb
    ann = fbot.tenant()
    payload = fb._messaging(ann, {"message": {"mid": "m_forged", "text": "I want a refund"}})
    body = json.dumps(payload).encode()
    forged = sign("not-the-app-secret", body)
    assert await fbot.push(fb.deliver(body, signature=forged)) == 403
    assert await fbot.push(fb.deliver(body, signature="")) == 403
    assert await fbot.push(fb.deliver(body, signature="sha1=" + "0" * 40)) == 403
    # A correct signature over a different body is no signature for this one.
    other = sign(fb.app_secret, body + b" ")
    assert await fbot.push(fb.deliver(body, signature=other)) == 403
    assert await stored_events(fbot) == 0
    assert fb.sent_to(ann) == []
    async with fbot.bot.store.sessions() as session:
        assert await session.scalar(select(func.count(models.Message.id))) == 0


async def test_a_replayed_event_has_no_second_effect(fbot: FacebookBotUnderTest) -> None:
    fb = fbot.fb
    ann = fbot.tenant()
    await fbot.push(fb.comment(ann, fb.post(), "I want to make a complaint about my repair"))
    assert await fbot.push(fb.redeliver()) == 200
    # Meta's second try may differ around the comment (the post's updated time): still
    # the same comment, added once.
    changed = json.loads(fb.last_delivery or b"{}")
    changed["entry"][0]["changes"][0]["value"]["post"]["updated_time"] = "2026-11-26T10:00:00"
    changed["entry"][0]["time"] += 60
    assert await fbot.push(fb.deliver(changed)) == 200
    assert await fbot.push(fb.message(ann, "hello")) == 200
    assert await fbot.push(fb.redeliver()) == 200
    assert len(await Casebook(fbot.bot.store).all_cases()) == 1
    assert len(fb.calls_to("comments")) == 1  # one public reply
    assert len(fb.sent_to(ann)) == 2  # the private reply and one answer to "hello"


async def test_junk_unknown_fields_and_other_objects_are_ignored_cleanly(
    fbot: FacebookBotUnderTest,
) -> None:
    fb = fbot.fb
    ann = fbot.tenant()
    assert await fbot.push(fb.deliver(b"{not json")) == 400
    assert await fbot.push(fb.deliver({"object": "instagram", "entry": []})) == 200
    assert await fbot.push(fb.deliver({"object": "page", "entry": "nope"})) == 200
    weird = fb._messaging(ann, {"message": {"mid": "m_1", "text": "hi"}})
    weird["entry"][0]["messaging"][0]["sender"] = {"id": "not-a-number"}
    weird["entry"][0]["brand_new_field"] = {"x": 1}
    assert await fbot.push(fb.deliver(weird)) == 200
    likes = {
        "object": "page",
        "entry": [
            {
                "id": fb.page_id,
                "time": 1,
                "changes": [
                    {"field": "feed", "value": {"item": "reaction", "verb": "add"}},
                    {"field": "ratings", "value": {"item": "rating"}},
                ],
            }
        ],
    }
    assert await fbot.push(fb.deliver(likes)) == 200
    odd_shapes = {"object": "page", "entry": [{"id": fb.page_id, "messaging": 5, "changes": "x"}]}
    assert await fbot.push(fb.deliver(odd_shapes)) == 200
    # A signed event for another Page the app serves is not this Page's business.
    elsewhere = fb._messaging(ann, {"message": {"mid": "m_other_page", "text": "hi"}})
    elsewhere["entry"][0]["id"] = "999"
    assert await fbot.push(fb.deliver(elsewhere)) == 200
    assert fb.sent_to(ann) == []
    # The unreadable sender was stored and set aside as malformed, never retried forever.
    async with fbot.bot.store.sessions() as session:
        outcomes = list(await session.scalars(select(models.InboxEvent.outcome)))
    assert set(outcomes) <= {"malformed", "ignored"}
    # And the channel still works.
    await fbot.push(fb.message(ann, "what's your phone number?"))
    assert "01278 444344" in fb.sent_to(ann)[-1]


async def test_a_batch_of_events_from_two_people_is_stored_and_answered_once_each(
    fbot: FacebookBotUnderTest,
) -> None:
    fb = fbot.fb
    ann, bob = fbot.tenant("7001", "Ann"), fbot.tenant("7002", "Bob")
    first = fb._messaging(ann, {"message": {"mid": "m_ann_1", "text": "what's your phone number?"}})
    second = fb._messaging(bob, {"message": {"mid": "m_bob_1", "text": "hello"}})
    first["entry"][0]["messaging"] += second["entry"][0]["messaging"]
    first["entry"].append(second["entry"][0])  # Meta may repeat an event in one delivery
    assert await fbot.push(fb.deliver(first)) == 200
    assert len(fb.sent_to(ann)) == 1 and "01278 444344" in fb.sent_to(ann)[0]
    assert len(fb.sent_to(bob)) == 1
    assert await stored_events(fbot) == 2


async def test_the_webhook_refuses_new_events_while_stopping(fbot: FacebookBotUnderTest) -> None:
    fb = fbot.fb
    ann = fbot.tenant()
    channel = fbot.bot.parts.facebook
    assert channel is not None
    channel.accepting = False
    assert await fb.message(ann, "hello") == 503  # Meta keeps it and delivers it again
    channel.accepting = True
    assert await fbot.push(fb.redeliver()) == 200
    assert len(fb.sent_to(ann)) == 1
