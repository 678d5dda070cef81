"""``make benchmark``: throughput, latency and memory of the whole bot.

The real stack (webhook route, store, spaCy pipeline, desk, python-telegram-bot over
aiohttp) runs against the fake Bot API on loopback, optionally with a simulated
Telegram round trip. Speed is measured here, never asserted in tests: these
machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from helpbot.config import load_settings
from helpbot.log_privacy import configure_logging
from helpbot.nlu.training import ensure_trained
from helpbot.nlu.understanding import Understanding
from helpbot.store.database import upgrade
from helpbot.store.records import Store
from helpbot.testing.harness import running_bot

# What tenants send most: greetings, questions, thanks; one in eight opens a repair case
# (a case, a staff topic and a relay: the heaviest path).
MESSAGES = (
    "hello",
    "what's your phone number?",
    "how do I join the tenants group",
    "thanks!",
    "what is your email address",
    "where is your office",
    "ok cheers",
    "my kitchen tap is dripping",
)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _run(
    url: str, understanding: Understanding, messages: int, chats: int, latency: float
) -> dict[str, float]:
    store = Store.from_url(url)
    try:
        async with running_bot(store, understanding) as bot:
            tg = bot.tg
            if latency:
                tg.delay_next("*", latency, count=10**9)
            users = [tg.user(100_000 + i, f"Tenant{i}") for i in range(chats)]
            updates = [
                (
                    users[i % chats],
                    tg.private_message(users[i % chats], MESSAGES[i % len(MESSAGES)]),
                )
                for i in range(messages)
            ]
            sent_at: dict[int, list[float]] = {user.id: [] for user in users}
            gate = asyncio.Semaphore(32)  # Telegram's default max_connections is 40

            async def deliver(user_id: int, update: dict) -> None:  # type: ignore[type-arg]
                async with gate:
                    sent_at[user_id].append(time.time())
                    await tg.deliver(update)

            started = time.perf_counter()
            await asyncio.gather(*(deliver(user.id, update) for user, update in updates))
            await bot.settle()
            elapsed = time.perf_counter() - started

            latencies: list[float] = []
            for user in users:
                replies = [
                    c.at
                    for c in tg.calls_to("sendMessage")
                    if c.ok and c.params["chat_id"] == user.id
                ]
                latencies += [
                    r - s for s, r in zip(sorted(sent_at[user.id]), sorted(replies), strict=False)
                ]
            latencies.sort()
            return {
                "updates/s": messages / elapsed,
                "p50 ms": statistics.median(latencies) * 1000,
                "p99 ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
                "replies": float(len(latencies)),
                "seconds": elapsed,
            }
    finally:
        await store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpbot.benchmark", description=__doc__)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument(
        "--latency-ms", default="0,50", help="simulated Telegram round trips, comma-separated"
    )
    parser.add_argument(
        "--database-url", help="async SQLAlchemy URL (default: a fresh SQLite file)"
    )
    args = parser.parse_args(argv)
    configure_logging("WARNING")
    settings = load_settings()
    before = _rss_mb()
    load_started = time.perf_counter()
    ensure_trained(settings.intents_dir, settings.pipeline_dir)
    understanding = Understanding.load(settings.pipeline_dir, settings.intents_dir)
    load_seconds = time.perf_counter() - load_started
    print(f"pipeline ready in {load_seconds:.2f}s; RSS {before:.0f} MB -> {_rss_mb():.0f} MB")
    print(f"{args.messages} messages from {args.chats} tenants, 32 webhook deliveries in flight")
    print(f"{'round trip':>10} {'updates/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'replies':>8}")
    for latency_ms in [float(x) for x in args.latency_ms.split(",") if x.strip()]:
        with tempfile.TemporaryDirectory() as folder:
            url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
            upgrade(url)
            result = asyncio.run(
                _run(url, understanding, args.messages, args.chats, latency_ms / 1000)
            )
        print(
            f"{latency_ms:>8.0f}ms {result['updates/s']:>10.0f} {result['p50 ms']:>8.1f} "
            f"{result['p99 ms']:>8.1f} {result['replies']:>8.0f}"
        )
    print(f"peak RSS {_rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
