"""The Bot API's error answer, and the descriptions Telegram gives for common failures."""

from __future__ import annotations

from typing import Any

__all__ = [
    "CHAT_NOT_FOUND",
    "STATUS_DESCRIPTIONS",
    "THREAD_NOT_FOUND",
    "ApiError",
    "describe_status",
]

JSON = dict[str, Any]

THREAD_NOT_FOUND = "Bad Request: message thread not found"
CHAT_NOT_FOUND = "Bad Request: chat not found"

#: What Telegram says with each status when a test injects it without a description.
STATUS_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running",
    429: "Too Many Requests: retry after {retry_after}",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class ApiError(Exception):
    """A Bot API error answer: ``{"ok": false, "error_code": status, "description": ...}``."""

    def __init__(self, status: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def payload(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def describe_status(status: int, retry_after: int | None = None) -> str:
    """Telegram's description for an injected ``status``."""
    text = STATUS_DESCRIPTIONS.get(status, "Error")
    return text.format(retry_after=retry_after if retry_after is not None else 1)
