"""Fault injection in the fake Bot API, seen through python-telegram-bot's real HTTP stack.

Issue 8's resilience tests rely on these faults behaving like Telegram's: a 429 storm
answers RetryAfter for as long as it lasts, an outage gives NetworkError, and a held
answer makes the client time out although the message *was* sent, exactly once.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
from collections.abc import AsyncIterator

import aiohttp
import pytest
import sniffio  # noqa: F401  - PTB's httpx stack must find it (DESIGN.md: CPU cost without it)
from telegram import Bot
from telegram.error import NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from helpbot.testing.fake_telegram import FakeTelegram, FakeUser

TOKEN = "123456:TEST-TOKEN"


class Clock:
    """Monotonic time the test moves by hand, so a 35 s storm takes no time."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def seconds(value: int | dtm.timedelta) -> float:
    """RetryAfter.retry_after is an int in PTB 22, a timedelta with PTB_TIMEDELTA=1."""
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TOKEN) as fake:
        yield fake


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=tg.base_url) as real_bot:
        yield real_bot


@pytest.fixture
def ann(tg: FakeTelegram) -> FakeUser:
    user = tg.user(4201, "Ann")
    tg.start_user(user)
    return user


@pytest.fixture
def clock(tg: FakeTelegram) -> Clock:
    fake_clock = Clock()
    tg.faults.monotonic = fake_clock
    return fake_clock


# --- 429 storms -------------------------------------------------------------------------------


async def test_a_storm_longer_than_30s_answers_429_until_it_ends(
    tg: FakeTelegram, bot: Bot, ann: FakeUser, clock: Clock
) -> None:
    storm = tg.storm(status=429, retry_after=5, seconds=35)
    refusals = 0
    while True:  # a client that honours retry_after, on the fake's clock
        try:
            message = await bot.send_message(ann.id, "your repair is booked")
            break
        except RetryAfter as error:
            assert seconds(error.retry_after) == 5
            refusals += 1
            clock.now += seconds(error.retry_after)
    assert refusals == 7  # 0, 5, ..., 30 s into the storm; at 35 s it is over
    assert message.text == "your repair is booked"
    assert storm.hits == 7
    assert tg.sent_count(ann.id) == 1
    assert tg.call_count("sendMessage", ok=False) == 7
    assert tg.call_count("sendMessage", ok=True) == 1
    call = tg.calls_to("sendMessage")[0]
    assert call.failed_with == 429 and call.description == "Too Many Requests: retry after 5"
    assert tg.faults.to_json() == []  # an ended storm leaves the plan


async def test_storm_retry_after_none_tells_the_seconds_left(
    tg: FakeTelegram, bot: Bot, ann: FakeUser, clock: Clock
) -> None:
    tg.storm(retry_after=None, seconds=20)
    clock.now += 7.5
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(ann.id, "hi")
    assert seconds(caught.value.retry_after) == 13


async def test_storm_only_hits_the_methods_and_chat_it_names(
    tg: FakeTelegram, bot: Bot, ann: FakeUser, clock: Clock
) -> None:
    bob = tg.user(4202, "Bob")
    tg.start_user(bob)
    tg.storm(seconds=10, methods=("sendMessage",), match=lambda p: p.get("chat_id") == ann.id)
    with pytest.raises(RetryAfter):
        await bot.send_message(ann.id, "to Ann")
    assert (await bot.send_message(bob.id, "to Bob")).text == "to Bob"
    await bot.send_chat_action(ann.id, "typing")
    assert await bot.get_me()


async def test_a_storm_can_start_later(
    tg: FakeTelegram, bot: Bot, ann: FakeUser, clock: Clock
) -> None:
    tg.storm(seconds=5, start_in=10)
    await bot.send_message(ann.id, "before")
    clock.now += 10
    with pytest.raises(RetryAfter):
        await bot.send_message(ann.id, "during")
    clock.now += 5
    await bot.send_message(ann.id, "after")
    assert [m["text"] for m in tg.sent_messages(ann.id)] == ["before", "after"]


async def test_a_real_time_storm_ends_by_itself(tg: FakeTelegram, bot: Bot, ann: FakeUser) -> None:
    tg.storm(retry_after=1, seconds=1)
    with pytest.raises(RetryAfter):
        await bot.send_message(ann.id, "now")
    await asyncio.sleep(1.05)
    assert (await bot.send_message(ann.id, "later")).text == "later"


# --- outages ----------------------------------------------------------------------------------


async def test_outage_gives_network_errors_on_every_method_until_it_ends(
    tg: FakeTelegram, bot: Bot, ann: FakeUser, clock: Clock
) -> None:
    outage = tg.outage(status=500, seconds=10)
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.send_message(ann.id, "hi")
    with pytest.raises(NetworkError):
        await bot.get_me()
    assert await bot.get_updates(timeout=0) == ()  # getUpdates only when named
    clock.now += 10
    assert (await bot.send_message(ann.id, "back")).text == "back"
    assert outage.hits == 2
    assert tg.sent_count() == 1


async def test_outage_with_502_and_on_get_updates_when_named(
    tg: FakeTelegram, bot: Bot, clock: Clock
) -> None:
    tg.outage(status=502, seconds=1, methods=("getUpdates",))
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.get_updates(timeout=0)
    assert await bot.get_me()


def test_faults_refuse_nonsense(tg: FakeTelegram) -> None:
    with pytest.raises(ValueError, match="4xx or 5xx"):
        tg.outage(status=200)
    with pytest.raises(ValueError, match="negative"):
        tg.storm(seconds=-1)
    with pytest.raises(ValueError, match="kind"):
        tg.faults.from_json({"kind": "earthquake"})
    with pytest.raises(ValueError, match="bad options for storm"):
        tg.faults.from_json({"kind": "storm", "minutes": 3})
    assert tg.faults.to_json() == []


# --- held answers -----------------------------------------------------------------------------


async def test_held_send_times_out_in_the_client_but_is_sent_exactly_once(
    tg: FakeTelegram, ann: FakeUser
) -> None:
    hold = tg.hold(1.0, methods=("sendMessage",), count=1)
    request = HTTPXRequest(read_timeout=0.3)
    async with Bot(TOKEN, base_url=tg.base_url, request=request) as impatient:
        with pytest.raises(TimedOut):
            await impatient.send_message(ann.id, "your case number is 17")
        # Telegram performed it before the client gave up: it is already there.
        assert [m["text"] for m in tg.sent_messages(ann.id)] == ["your case number is 17"]
        [call] = tg.calls_to("sendMessage")
        assert call.ok and call.held == 1.0 and call.delayed == 0
        await asyncio.sleep(0.8)  # the held answer goes out; nothing is recorded again
        assert tg.sent_count(ann.id) == 1
        assert tg.call_count("sendMessage") == 1
        assert hold.hits == 1
        # count=1: the next send is answered at once.
        assert (await impatient.send_message(ann.id, "next")).text == "next"


async def test_held_answer_reaches_a_patient_client_once(
    tg: FakeTelegram, bot: Bot, ann: FakeUser
) -> None:
    tg.hold(0.2, window=5)
    started = asyncio.get_running_loop().time()
    message = await bot.send_message(ann.id, "slow answer")
    assert asyncio.get_running_loop().time() - started >= 0.19
    assert tg.sent_messages(ann.id)[0]["message_id"] == message.message_id
    assert tg.sent_count() == 1
    assert await bot.get_me()  # getMe is not a sending method: answered at once


async def test_delay_before_performing_differs_from_hold(tg: FakeTelegram, ann: FakeUser) -> None:
    tg.delay_next("sendMessage", 0.8)
    request = HTTPXRequest(read_timeout=0.1)
    async with Bot(TOKEN, base_url=tg.base_url, request=request) as impatient:
        with pytest.raises(TimedOut):
            await impatient.send_message(ann.id, "late")
        assert tg.sent_count(ann.id) == 0  # a delay performs the call only afterwards
        [call] = await tg.wait_for("sendMessage", timeout=2)
        assert call.delayed == 0.8 and tg.sent_count(ann.id) == 1


async def test_stopping_the_fake_releases_held_answers(ann: FakeUser) -> None:
    async with FakeTelegram(token=TOKEN) as fake:
        fake.start_user(ann)
        fake.hold(30)
        async with Bot(TOKEN, base_url=fake.base_url) as bot:
            send = asyncio.create_task(bot.send_message(ann.id, "held"))
            await fake.wait_for("sendMessage", timeout=2)
            started = asyncio.get_running_loop().time()
            await fake.stop()
            await asyncio.wait_for(asyncio.gather(send, return_exceptions=True), 5)
            assert asyncio.get_running_loop().time() - started < 5


async def test_latency_slows_every_call(tg: FakeTelegram, bot: Bot) -> None:
    tg.clear_calls()  # the fixture's initialize() called getMe before the latency
    tg.latency(0.05)
    started = asyncio.get_running_loop().time()
    await asyncio.gather(*(bot.get_me() for _ in range(5)))
    assert asyncio.get_running_loop().time() - started >= 0.05
    assert [call.delayed for call in tg.calls] == [0.05] * 5
    tg.clear_faults()  # a property of the network, not a fault: it stays
    assert tg.faults.round_trip == 0.05
    tg.latency(0)
    await bot.get_me()
    assert tg.calls[-1].delayed == 0


# --- counters and the control endpoint --------------------------------------------------------


async def test_counts_add_up(tg: FakeTelegram, bot: Bot, ann: FakeUser) -> None:
    staff = tg.group(-1001, "Staff", forum=True)
    await bot.send_message(ann.id, "one")
    await bot.send_message(ann.id, "two")
    await bot.send_message(staff.id, "three")
    tg.fail_next("sendMessage", status=500)
    with pytest.raises(NetworkError):
        await bot.send_message(ann.id, "lost")
    assert tg.sent_count() == 3 and tg.sent_count(ann.id) == 2
    assert tg.call_count("sendmessage") == 4  # case-insensitive, like the API
    counts = tg.counts()
    assert counts["calls"]["sendMessage"] == {"ok": 3, "failed": 1}
    assert counts["sent"] == {str(ann.id): 2, str(staff.id): 1}
    assert counts["sent_total"] == 3


async def test_faults_over_the_control_endpoint(tg: FakeTelegram, bot: Bot, ann: FakeUser) -> None:
    async with aiohttp.ClientSession() as session:
        storm = {"kind": "storm", "retry_after": 2, "seconds": 30, "chat_id": ann.id}
        async with session.post(f"{tg.url}/_fake/faults", json=storm) as response:
            assert response.status == 200
            added = (await response.json())["result"]
        assert added["name"] == "storm" and added["status"] == 429 and added["active"]
        with pytest.raises(RetryAfter):
            await bot.send_message(ann.id, "hi")
        body = [
            {"kind": "outage", "status": 503, "seconds": 10, "methods": ["getMe"]},
            {"kind": "hold", "seconds": 0.01, "methods": ["sendChatAction"], "count": 1},
        ]
        async with session.post(f"{tg.url}/_fake/faults", json=body) as response:
            assert len((await response.json())["result"]) == 2
        with pytest.raises(NetworkError, match="Service Unavailable"):
            await bot.get_me()
        async with session.get(f"{tg.url}/_fake/faults") as response:
            listed = (await response.json())["result"]
        assert [(f["name"], f["hits"]) for f in listed] == [
            ("storm", 1),
            ("outage", 1),
            ("hold", 0),
        ]
        async with session.post(f"{tg.url}/_fake/faults", json={"kind": "nope"}) as response:
            assert response.status == 400
        async with session.delete(f"{tg.url}/_fake/faults") as response:
            assert response.status == 200
        assert (await bot.send_message(ann.id, "calm again")).text == "calm again"
        async with session.get(f"{tg.url}/_fake/counts") as response:
            counts = await response.json()
        assert counts["sent"] == {str(ann.id): 1}
