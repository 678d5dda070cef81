"""The baseline: a bare python-telegram-bot echo bot, as thin as a Telegram bot can be.

Webhook mode on aiohttp (as helpbot), the same aiohttp request class for the Bot API,
one spaCy classify per message with the trained pipeline (on as many cores as helpbot's
serving process gives it), one reply per update, no
database. Whatever helpbot costs above this is the price of its inbox, store, desk and
outbox. PTB runs updates concurrently (``concurrent_updates``) so a slow Bot API does
not serialise it; it keeps no per-chat order, which helpbot does.

    python -m helpbot.benchmark.echo_bot --token T --base-url URL --port P --secret S

The first stdout line, ``echo bot ready on PORT``, says it is serving.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hmac
import signal
import sys
from pathlib import Path

from aiohttp import web
from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from helpbot.channels.telegram.http import AiohttpRequest
from helpbot.config import REPO_ROOT, load_settings
from helpbot.nlu.sentence_encoder import MiniLMEncoder
from helpbot.nlu.understanding import Understanding

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_PATH = "/telegram/webhook"
READY = "echo bot ready on"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m helpbot.benchmark.echo_bot")
    parser.add_argument("--token", required=True)
    parser.add_argument("--base-url", required=True, help="the Bot API, e.g. http://H:P/bot")
    parser.add_argument("--port", type=int, default=0, help="webhook port (0: a free one)")
    parser.add_argument("--secret", required=True, help="the webhook secret header's value")
    parser.add_argument("--pipeline-dir", type=Path, default=REPO_ROOT / "build/intent-pipeline")
    parser.add_argument("--intents-dir", type=Path, default=REPO_ROOT / "intents")
    parser.add_argument("--concurrency", type=int, default=256, help="updates in flight")
    return parser


async def _serve(args: argparse.Namespace) -> None:
    # The classifier as helpbot's serving process has it, cores included.
    MiniLMEncoder.threads = load_settings().cores_for_the_model(forks=False)
    understanding = Understanding.load(args.pipeline_dir, args.intents_dir)

    async def reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or message.text is None:
            return
        intent = understanding.classify(message.text).intent
        await message.reply_text(f"Thanks, I read that as {intent}.")

    application = (
        Application.builder()
        .token(args.token)
        .base_url(args.base_url)
        .request(AiohttpRequest())
        .get_updates_request(AiohttpRequest(connection_pool_size=1))
        .updater(None)
        .concurrent_updates(args.concurrency)
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT, reply))

    async def webhook(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "replace")
        if not hmac.compare_digest(given, args.secret.encode()):
            return web.json_response({"ok": False}, status=403)
        data = await request.json()
        await application.update_queue.put(Update.de_json(data, application.bot))
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post(WEBHOOK_PATH, webhook)
    runner = web.AppRunner(app, access_log=None)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with application:
        await application.start()
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", args.port)
        await site.start()
        port = runner.addresses[0][1]
        print(f"{READY} {port}", flush=True)
        try:
            await stop.wait()
        finally:
            await runner.cleanup()
            await application.stop()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
