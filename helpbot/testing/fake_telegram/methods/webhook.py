"""Getting updates: setWebhook, deleteWebhook, getWebhookInfo and getUpdates.

As on Telegram, getUpdates is refused (409) while a webhook is set, and a secret
token may only use the characters Telegram allows.
"""

from __future__ import annotations

import re
from typing import Any

from helpbot.testing.fake_telegram.delivery import Delivery
from helpbot.testing.fake_telegram.errors import ApiError
from helpbot.testing.fake_telegram.params import Handler

__all__ = ["WebhookMethods"]

JSON = dict[str, Any]


class WebhookMethods:
    def __init__(self, delivery: Delivery) -> None:
        self.delivery = delivery

    def table(self) -> dict[str, Handler]:
        return {
            "getUpdates": self.get_updates,
            "setWebhook": self.set_webhook,
            "deleteWebhook": self.delete_webhook,
            "getWebhookInfo": self.get_webhook_info,
        }

    def set_webhook(self, params: JSON) -> bool:
        url = str(params.get("url") or "")
        if url and not self.delivery.valid_url(url):
            raise ApiError(
                400,
                "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443",
            )
        secret = params.get("secret_token")
        if url and secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        self.delivery.register(params)
        return True

    def delete_webhook(self, params: JSON) -> bool:
        self.delivery.webhook = None
        if params.get("drop_pending_updates"):
            self.delivery.queue.clear()
        return True

    def get_webhook_info(self, params: JSON) -> JSON:
        webhook = self.delivery.webhook
        info: JSON = {
            "url": webhook.url if webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self.delivery.queue),
        }
        if webhook is not None:
            info["ip_address"] = webhook.ip_address or "127.0.0.1"
            if webhook.last_error_date:
                info["last_error_date"] = webhook.last_error_date
                info["last_error_message"] = webhook.last_error_message
            info["max_connections"] = webhook.max_connections
            if webhook.allowed_updates:
                info["allowed_updates"] = webhook.allowed_updates
        return info

    async def get_updates(self, params: JSON) -> list[JSON]:
        if self.delivery.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        return await self.delivery.queue.get_updates(params)
