"""Handing updates to the bot: POST to its webhook, or queue them for getUpdates.

``deliver`` makes one attempt, so a test sees exactly what the webhook answered.
``deliver_until_accepted`` does what Telegram does: re-POST the same update, with
growing pauses, until the webhook answers 2xx (bounded by a deadline), which is what
crash and restart tests need while the bot is down.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from helpbot.testing.fake_telegram.params import coerce, int_param
from helpbot.testing.fake_telegram.polling import UpdateQueue, allowed
from helpbot.testing.fake_telegram.world import World

__all__ = [
    "SECRET_HEADER",
    "Delivery",
    "DeliveryReport",
    "Webhook",
    "WebhookDeliveryError",
]

JSON = dict[str, Any]
Update = JSON | str | bytes
#: Runs one Bot API call the webhook answered with (method, params).
RunMethod = Callable[[str, JSON], Awaitable[None]]

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass
class Webhook:
    """What setWebhook stored (and getWebhookInfo reports)."""

    url: str
    secret_token: str | None = None
    allowed_updates: list[str] | None = None
    max_connections: int = 40
    ip_address: str | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


class WebhookDeliveryError(ConnectionError):
    """The webhook could not be reached at all (connection refused, timeout)."""


@dataclass
class DeliveryReport:
    """How ``deliver_until_accepted`` went: the last status (None: queued for getUpdates,
    or never reached), how many POSTs it took, and when (``time.time()``) the first POST
    began and the last one was answered, to measure from POST to the bot's reply."""

    accepted: bool
    attempts: int
    status: int | None
    error: str | None = None
    posted_at: float = 0.0
    answered_at: float = 0.0

    def to_json(self) -> JSON:
        return {
            "accepted": self.accepted,
            "attempts": self.attempts,
            "status": self.status,
            "error": self.error,
            "posted_at": self.posted_at,
            "answered_at": self.answered_at,
        }


class Delivery:
    """The webhook registration and the two ways an update reaches the bot."""

    def __init__(
        self, world: World, queue: UpdateQueue, run_method: RunMethod, timeout: float = 10.0
    ) -> None:
        self.world = world
        self.queue = queue
        self.run_method = run_method
        #: Seconds the webhook has to answer one POST.
        self.timeout = timeout
        self.webhook: Webhook | None = None
        self.session: aiohttp.ClientSession | None = None

    async def deliver(
        self,
        update: Update,
        *,
        forced: bool = False,
        secret_override: str | None = None,
        omit_secret: bool = False,
    ) -> int | None:
        """One attempt: the webhook's HTTP status, or None when queued or not allowed."""
        if self.webhook is not None:
            if not allowed(update, self.webhook.allowed_updates):
                return None
            return await self._post(update, secret_override, omit_secret)
        if not isinstance(update, dict):
            raise TypeError(
                "getUpdates only ever returns valid JSON objects; raw text can only be "
                "delivered to a webhook (setWebhook first)"
            )
        self.queue.add(update, forced=forced)
        return None

    async def deliver_until_accepted(
        self,
        update: Update,
        *,
        deadline: float = 30.0,
        first_pause: float = 0.05,
        max_pause: float = 1.0,
        max_attempts: int | None = None,
    ) -> DeliveryReport:
        """Re-POST ``update`` until the webhook answers 2xx, as Telegram does.

        A refused connection, a timeout or a non-2xx answer is tried again after a pause
        that doubles up to ``max_pause``, for at most ``deadline`` seconds (and
        ``max_attempts`` POSTs). Without a webhook the update is queued: accepted.
        """
        loop = asyncio.get_running_loop()
        give_up = loop.time() + deadline
        pause = first_pause
        attempts = 0
        status: int | None = None
        error: str | None = None
        posted_at = time.time()
        while True:
            attempts += 1
            try:
                status = await self.deliver(update)
                error = None
            except WebhookDeliveryError as exc:
                status, error = None, str(exc)
            answered_at = time.time()
            queued_or_skipped = status is None and error is None
            if queued_or_skipped or (status is not None and 200 <= status < 300):
                return DeliveryReport(True, attempts, status, None, posted_at, answered_at)
            out_of_attempts = max_attempts is not None and attempts >= max_attempts
            if out_of_attempts or loop.time() + pause > give_up:
                return DeliveryReport(False, attempts, status, error, posted_at, answered_at)
            await asyncio.sleep(pause)
            pause = min(pause * 2, max_pause)

    # --- webhook registration (setWebhook / deleteWebhook / getWebhookInfo) -------------

    def register(self, params: JSON) -> Webhook | None:
        """Store what setWebhook asked for (an empty url removes the webhook)."""
        url = str(params.get("url") or "")
        if not url:
            self.webhook = None
            return None
        secret = params.get("secret_token")
        if params.get("drop_pending_updates"):
            self.queue.clear()
        previous = self.webhook
        allowed_updates = params.get("allowed_updates")
        self.webhook = Webhook(
            url=url,
            secret_token=str(secret) if secret is not None else None,
            allowed_updates=list(allowed_updates)
            if allowed_updates is not None
            else (previous.allowed_updates if previous else None),
            max_connections=int_param(params, "max_connections", 40) or 40,
            ip_address=params.get("ip_address"),
        )
        return self.webhook

    @staticmethod
    def valid_url(url: str) -> bool:
        return bool(re.match(r"https?://", url))

    # --- posting ----------------------------------------------------------------------------

    async def _post(self, update: Update, secret_override: str | None, omit_secret: bool) -> int:
        webhook = self.webhook
        assert webhook is not None
        if self.session is None:
            raise RuntimeError("FakeTelegram is not running; use `async with` or start()")
        headers = {"Content-Type": "application/json"}
        secret = secret_override if secret_override is not None else webhook.secret_token
        if secret and not omit_secret:
            headers[SECRET_HEADER] = secret
        body = update if isinstance(update, str | bytes) else json.dumps(update, ensure_ascii=False)
        try:
            async with self.session.post(
                webhook.url,
                data=body,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            ) as response:
                status = response.status
                reply = await response.read()
                reason = response.reason or ""
        except (aiohttp.ClientError, TimeoutError) as exc:
            webhook.last_error_date = self.world.now()
            webhook.last_error_message = (
                "Read timeout expired" if isinstance(exc, TimeoutError) else "Connection refused"
            )
            raise WebhookDeliveryError(f"webhook {webhook.url} unreachable: {exc!r}") from exc
        if not 200 <= status < 300:
            webhook.last_error_date = self.world.now()
            webhook.last_error_message = f"Wrong response from the webhook: {status} {reason}"
        else:
            await self._run_reply(reply)
        return status

    async def _run_reply(self, reply: bytes) -> None:
        """A webhook may answer with one method call in its body; Telegram runs it."""
        try:
            body = json.loads(reply) if reply.strip() else None
        except ValueError:
            return
        if not isinstance(body, dict) or "method" not in body:
            return
        params = {k: coerce(k, v) for k, v in body.items() if k != "method"}
        await self.run_method(str(body["method"]), params)
