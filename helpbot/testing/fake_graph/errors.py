"""Graph API error objects as Meta sends them: ``{"error": {...}}`` with code, subcode,
type, ``is_transient`` where Graph sets it, and a trace id."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ALREADY_REPLIED",
    "BAD_TOKEN",
    "GONE",
    "INVALID_PARAMETER",
    "NO_USER",
    "RATE_LIMITED",
    "REPLY_TOO_OLD",
    "TRANSIENT",
    "WINDOW_CLOSED",
    "GraphFailure",
]


@dataclass(frozen=True, slots=True)
class GraphFailure:
    status: int
    code: int
    message: str
    subcode: int | None = None
    transient: bool | None = None
    kind: str = "OAuthException"
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {
            "message": self.message,
            "type": self.kind,
            "code": self.code,
            "fbtrace_id": secrets.token_urlsafe(8),
        }
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.transient is not None:
            error["is_transient"] = self.transient
        return {"error": error}


WINDOW_CLOSED = GraphFailure(
    400,
    10,
    "(#10) This message is sent outside of allowed window. Learn more about the new policy "
    "here: https://developers.facebook.com/docs/messenger-platform/policy-overview",
    subcode=2018278,
)
ALREADY_REPLIED = GraphFailure(400, 10900, "(#10900) Activity already replied to")
REPLY_TOO_OLD = GraphFailure(400, 10903, "(#10903) This activity can't be replied to")
NO_USER = GraphFailure(400, 100, "(#100) No matching user found", subcode=2018001)
GONE = GraphFailure(
    400,
    100,
    "Unsupported post request. Object with ID does not exist, cannot be loaded due to "
    "missing permissions, or does not support this operation.",
    subcode=33,
    kind="GraphMethodException",
)
INVALID_PARAMETER = GraphFailure(400, 100, "(#100) Invalid parameter")
RATE_LIMITED = GraphFailure(
    400,
    613,
    "(#613) Calls to this api have exceeded the rate limit.",
    headers={
        "X-Business-Use-Case-Usage": (
            '{"1000000000001": [{"type": "messenger", "call_count": 100, '
            '"total_cputime": 20, "total_time": 20, "estimated_time_to_regain_access": 0}]}'
        )
    },
)
TRANSIENT = GraphFailure(
    500, 2, "An unexpected error has occurred. Please retry your request later.", transient=True
)
BAD_TOKEN = GraphFailure(400, 190, "Invalid OAuth access token - Cannot parse access token")
