"""The load generator: Telegram's side of a webhook, as fast or as steady as asked.

Updates are POSTed straight to the bot's webhook with the secret header, each
re-POSTed until it is answered 2xx (as Telegram does), bounded in count and time,
loopback only. Replies are read back from the fake Bot API, which stamps every call
with the wall-clock time it arrived; POST-to-reply latency is that stamp minus the
time of the update's first POST (both clocks are this machine's).

One chat's replies come back in the order its updates were sent (helpbot keeps that
order), so the k-th reply in a chat answers the k-th update of that chat.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from helpbot.testing.fake_telegram import FakeTelegramProcess

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

# What tenants ask most: each gets exactly one answer and changes nothing a later
# message depends on, so one reply per update can be counted and timed.
MESSAGES = (
    "hello",
    "what's your phone number?",
    "how do I join the tenants group",
    "thanks!",
    "what is your email address",
    "where is your office",
    "ok cheers",
    "what is your website",
)

JSON = dict[str, Any]


@dataclass
class Posted:
    """One update on its way in: when it was first POSTed, when the webhook took it."""

    chat_id: int
    update_id: int
    first_post: float = 0.0
    accepted: float = 0.0
    attempts: int = 0


@dataclass
class PhaseResult:
    """What one phase (a burst or a steady rate) measured."""

    updates: int
    replies: int = 0
    seconds: float = 0.0  # first POST to the last reply seen
    latencies: list[float] = field(default_factory=list)  # seconds, POST to reply
    reposts: int = 0  # webhook answers that were not 2xx (re-POSTed)
    unaccepted: int = 0  # never taken by the webhook within the deadline
    extra: int = 0  # replies beyond one per update
    offered_rate: float = 0.0  # updates/s actually POSTed (steady)
    cpu_seconds: float = 0.0  # the bot's CPU (with its children) during the phase
    fake_cpu_seconds: float = 0.0  # the fake Bot API's, for judging who was the bottleneck
    driver_cpu_seconds: float = 0.0  # this process's (the load generator's)

    @property
    def throughput(self) -> float:
        return self.replies / self.seconds if self.seconds > 0 else 0.0

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile of POST-to-reply time in milliseconds, over every
        update: one never answered counts as slower than any answered (inf)."""
        if not self.updates:
            return math.nan
        rank = max(1, math.ceil(p / 100 * self.updates))
        if rank > len(self.latencies):
            return math.inf
        return sorted(self.latencies)[rank - 1] * 1000

    @property
    def cpu_ms_per_update(self) -> float:
        return self.cpu_seconds * 1000 / self.replies if self.replies else math.nan


class Tenants:
    """Private chats writing to the bot; each phase gets chats of its own, so a late
    reply from one phase is never counted in another."""

    def __init__(self) -> None:
        self._next_chat = 10_000_000
        self._next_update = 1
        self._next_message = 1

    def chats(self, count: int) -> list[int]:
        first = self._next_chat
        self._next_chat += count
        return list(range(first, first + count))

    def updates(self, chats: list[int], count: int) -> list[JSON]:
        """``count`` text messages, round robin over ``chats``, update_ids ascending."""
        updates = []
        for i in range(count):
            chat_id = chats[i % len(chats)]
            user = {"id": chat_id, "is_bot": False, "first_name": f"Tenant{chat_id % 100_000}"}
            updates.append(
                {
                    "update_id": self._next_update,
                    "message": {
                        "message_id": self._next_message,
                        "date": int(time.time()),
                        "chat": {
                            "id": chat_id,
                            "type": "private",
                            "first_name": user["first_name"],
                        },
                        "from": user,
                        # Unique, as tenants' messages are: no cache of readings (the
                        # bot's or the echo bot's) can answer a repeat for free.
                        "text": f"{MESSAGES[i % len(MESSAGES)]} ({self._next_update})",
                    },
                }
            )
            self._next_update += 1
            self._next_message += 1
        return updates


class Webhook:
    """POSTs updates to one bot's webhook, re-POSTing until 2xx (bounded)."""

    def __init__(self, url: str, secret: str, *, deadline: float = 60.0) -> None:
        self.url = url
        self.secret = secret
        self.deadline = deadline
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Webhook:
        connector = aiohttp.TCPConnector(limit=0)
        self._session = aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=10)
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()

    async def post(self, update: JSON) -> Posted:
        assert self._session is not None
        posted = Posted(update["message"]["chat"]["id"], update["update_id"])
        posted.first_post = time.time()
        give_up = posted.first_post + self.deadline
        pause = 0.02
        while True:
            posted.attempts += 1
            try:
                async with self._session.post(
                    self.url, json=update, headers={SECRET_HEADER: self.secret}
                ) as response:
                    await response.read()
                    if 200 <= response.status < 300:
                        posted.accepted = time.time()
                        return posted
            except (aiohttp.ClientError, TimeoutError):
                pass
            if time.time() + pause > give_up:
                return posted
            await asyncio.sleep(pause)
            pause = min(1.0, pause * 2)


async def burst(webhook: Webhook, updates: list[JSON], in_flight: int) -> list[Posted]:
    """Everything at once, ``in_flight`` POSTs at a time; one chat's updates one after
    another (Telegram waits for a chat's update to be taken before the next)."""
    gate = asyncio.Semaphore(in_flight)
    by_chat: dict[int, list[JSON]] = {}
    for update in updates:
        by_chat.setdefault(update["message"]["chat"]["id"], []).append(update)
    results: list[Posted] = []

    async def chat(queue: list[JSON]) -> None:
        for update in queue:
            async with gate:
                results.append(await webhook.post(update))

    await asyncio.gather(*(chat(queue) for queue in by_chat.values()))
    return results


async def steady(
    webhook: Webhook, updates: list[JSON], rate: float, in_flight: int
) -> list[Posted]:
    """One update every 1/rate seconds whether or not the bot keeps up, with at most
    ``in_flight`` POSTs open (Telegram caps a webhook's connections the same way). An
    update held back by that cap is timed from when it was due, not when it went out,
    so a bot that falls behind cannot hide it."""
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(in_flight)
    start = loop.time()
    wall_start = time.time()

    async def one(update: JSON, due: float) -> Posted:
        async with gate:
            posted = await webhook.post(update)
        posted.first_post = min(posted.first_post, due)
        return posted

    tasks: list[asyncio.Task[Posted]] = []
    for i, update in enumerate(updates):
        delay = start + i / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(loop.create_task(one(update, wall_start + i / rate)))
    return list(await asyncio.gather(*tasks))


async def wait_for_replies(
    fake: FakeTelegramProcess, chats: list[int], expected: int, within: float
) -> None:
    """Poll the fake's counters until ``chats`` got ``expected`` messages, or time is up."""
    wanted = {str(chat) for chat in chats}
    give_up = time.monotonic() + within
    while time.monotonic() < give_up:
        counts = await fake.counts()
        got = sum(n for chat, n in counts["sent"].items() if chat in wanted)
        if got >= expected:
            return
        await asyncio.sleep(0.1)


async def replies_by_chat(fake: FakeTelegramProcess, chats: list[int]) -> dict[int, list[float]]:
    """When each successful sendMessage to ``chats`` reached the fake, per chat, in order."""
    wanted = set(chats)
    arrivals: dict[int, list[float]] = {chat: [] for chat in chats}
    for call in await fake.calls("sendMessage"):
        chat_id = call["params"].get("chat_id")
        if call["failed_with"] is None and chat_id in wanted:
            arrivals[chat_id].append(float(call["at"]))
    for times in arrivals.values():
        times.sort()
    return arrivals


def measure(posted: list[Posted], arrivals: dict[int, list[float]]) -> PhaseResult:
    """Pair each chat's k-th update with its k-th reply."""
    result = PhaseResult(updates=len(posted))
    result.reposts = sum(p.attempts - 1 for p in posted)
    result.unaccepted = sum(1 for p in posted if not p.accepted)
    by_chat: dict[int, list[Posted]] = {}
    for p in sorted(posted, key=lambda p: p.update_id):
        by_chat.setdefault(p.chat_id, []).append(p)
    last_reply = 0.0
    for chat_id, sent in by_chat.items():
        replies = arrivals.get(chat_id, [])
        for update, reply in zip(sent, replies, strict=False):
            result.latencies.append(reply - update.first_post)
        result.replies += min(len(sent), len(replies))
        result.extra += max(0, len(replies) - len(sent))
        if replies:
            last_reply = max(last_reply, replies[-1])
    first_post = min((p.first_post for p in posted), default=0.0)
    result.seconds = max(0.0, last_reply - first_post)
    posts = sorted(p.first_post for p in posted)
    if len(posts) > 1 and posts[-1] > posts[0]:
        result.offered_rate = (len(posts) - 1) / (posts[-1] - posts[0])
    return result
