"""Command line: the fake as a server of its own (demo, benchmark, crash tests).

The first line on stdout is the base_url to give the bot (``http://HOST:PORT/bot``),
or with ``--print-port`` just the port, so ``--port 0`` can be used and the port read
back by a parent process; everything else goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from helpbot.testing.fake_telegram.fake import FakeTelegram

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m helpbot.testing.fake_telegram",
        description=(
            "Run the fake Telegram Bot API server. The first line on stdout is the base_url "
            "to give the bot (with --port 0, the port bound is in it). Control API: "
            "POST /_fake/updates with a full Update or "
            '{"from": {"id": 42, "first_name": "Ann"}, "chat_id": 42, "text": "hi"} '
            '(also "callback_data" + "message_id", "join_request": true, '
            '"message_thread_id"); POST /_fake/deliver (the same, re-POSTed until the '
            "webhook answers 2xx); GET /_fake/calls[?method=sendMessage&since=N]; "
            "GET /_fake/sent[?chat_id=42]; GET /_fake/counts; GET|POST|DELETE /_fake/faults "
            '(e.g. {"kind": "storm", "status": 429, "retry_after": 5, "seconds": 35}).'
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8081, help="port (default 8081; 0 = free)")
    parser.add_argument("--token", default="123456:TEST-TOKEN", help="bot token to accept")
    parser.add_argument("--bot-username", default="shal_helpbot", help="the bot's @username")
    parser.add_argument(
        "--allow-unstarted",
        action="store_true",
        help="let the bot message users who never wrote to it (Telegram forbids this)",
    )
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=0.0,
        help="simulated Bot API round trip added to every call (default 0)",
    )
    parser.add_argument(
        "--webhook-timeout",
        type=float,
        default=10.0,
        help="seconds the bot's webhook has to answer a POST (default 10)",
    )
    parser.add_argument(
        "--print-port",
        action="store_true",
        help="make the first stdout line the port bound, not the base_url (for --port 0)",
    )
    parser.add_argument("--quiet", action="store_true", help="do not print each API call")
    return parser


async def _serve(args: argparse.Namespace) -> None:
    tg = FakeTelegram(
        args.token,
        args.bot_username,
        host=args.host,
        port=args.port,
        require_start=not args.allow_unstarted,
        webhook_timeout=args.webhook_timeout,
    )
    if args.latency_ms > 0:
        tg.latency(args.latency_ms / 1000)
    if not args.quiet:
        tg.on_call = lambda call: print(call.brief(), file=sys.stderr, flush=True)
    await tg.start()
    print(tg.port if args.print_port else tg.base_url, flush=True)
    print(
        f"fake Telegram for @{args.bot_username}: token {args.token}; "
        f"control API POST {tg.url}/_fake/updates, GET {tg.url}/_fake/calls",
        file=sys.stderr,
        flush=True,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await tg.stop()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))
    return 0
