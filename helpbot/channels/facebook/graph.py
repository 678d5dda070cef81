"""A small Graph API client on aiohttp: the calls the Page needs and nothing more.

Every failure is told apart for the sender (postroom.outcomes) from Graph's own
``error.code`` / ``error_subcode`` / ``is_transient``, never from its wording, and the
reasons given are ours: Graph's messages can quote what was sent.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import aiohttp

from helpbot.channels.attachments import FileTooLarge
from helpbot.postroom.outcomes import OutcomeUnknown, RetryLater, Undeliverable

log = logging.getLogger(__name__)

UNREACHABLE = "could not reach the tenant on Facebook"
# Graph's error codes (Messenger Platform "Common Error Codes", Graph API error handling).
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, 80001, 80006})
TRANSIENT_CODES = frozenset({1, 2})
WINDOW_SUBCODES = frozenset({2018278, 2018065, 2018108})
NO_USER_SUBCODE = 2018001
ALREADY_REPLIED = 10900  # "Activity already replied to": one private reply per comment
NOT_REPLYABLE = frozenset({10901, 10902, 10903})  # too old (7 days), or not a comment
USER_UNAVAILABLE = 551
GONE_SUBCODE = 33  # "Object ... does not exist": a comment already deleted
BAD_TOKEN = 190
DEFAULT_RATE_WAIT = 60.0


class GraphError(Exception):
    """Graph answered with an error object."""

    def __init__(self, status: int, error: dict[str, Any]) -> None:
        self.status = status
        self.code = _int(error.get("code"))
        self.subcode = _int(error.get("error_subcode"))
        self.transient = error.get("is_transient") is True
        self.wait: float | None = None  # a rate limit's own estimate, in seconds
        super().__init__(f"Graph error {self.code}/{self.subcode}")


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def outcome(error: GraphError, rate_wait: float = DEFAULT_RATE_WAIT) -> Exception:
    """What the sender should do about a Graph error: retry later, or give up and say why
    in words a colleague can act on."""
    code, sub = error.code, error.subcode
    if code in RATE_LIMIT_CODES:
        return RetryLater(f"Facebook rate limit ({code})", after=error.wait or rate_wait)
    if code == 10 and sub in WINDOW_SUBCODES:
        return Undeliverable(
            f"{UNREACHABLE}: Messenger's reply window has closed (24 hours after their "
            "last message, 7 days for a colleague's reply); it reopens when they write again"
        )
    if code == ALREADY_REPLIED:
        return Undeliverable(
            f"{UNREACHABLE}: the one private reply to that comment was already sent"
        )
    if code in NOT_REPLYABLE:
        return Undeliverable(
            f"{UNREACHABLE}: that comment can no longer get a private reply (7 days have "
            "passed, or it was removed)"
        )
    if code == USER_UNAVAILABLE:
        return Undeliverable(f"{UNREACHABLE}: they are not available on Messenger just now")
    if code == 100 and sub == NO_USER_SUBCODE:
        return Undeliverable(f"{UNREACHABLE}: Messenger has no such person for this Page")
    if code == BAD_TOKEN:
        return Undeliverable("Facebook refused the Page token (190): check the Page token")
    if error.transient or code in TRANSIENT_CODES or error.status >= 500:
        return RetryLater(f"Facebook temporary error ({code})")
    return Undeliverable(f"Facebook refused it (error {code}/{sub})")


def _regain_seconds(headers: Any) -> float | None:
    """Graph says how long a rate limit lasts in its usage headers, in minutes."""
    for name in ("X-Business-Use-Case-Usage", "X-Page-Usage", "X-App-Usage"):
        raw = headers.get(name)
        if not raw:
            continue
        try:
            usage = json.loads(raw)
        except ValueError:
            continue
        found: list[float] = []
        for entries in usage.values() if isinstance(usage, dict) else ():
            for entry in entries if isinstance(entries, list) else [entries]:
                minutes = (
                    entry.get("estimated_time_to_regain_access")
                    if isinstance(entry, dict)
                    else None
                )
                if isinstance(minutes, int | float) and minutes > 0:
                    found.append(float(minutes) * 60)
        if found:
            return max(found)
    return None


class Graph:
    def __init__(self, base_url: str, page_id: str, token: str, *, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.page_id = page_id
        self.token = token
        self.timeout = timeout
        # How long to wait out a rate limit when Graph gives no estimate of its own.
        self.rate_wait = DEFAULT_RATE_WAIT
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=self.timeout)
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        query: dict[str, str] | None = None,
    ) -> Any:
        """One request; raises the sender's outcomes. A request that never left is safe
        to repeat; one that went out and got no answer may have been done."""
        url = f"{self.base_url}/{path.lstrip('/')}"
        params = {**(query or {}), "access_token": self.token}
        try:
            async with self._client().request(method, url, params=params, json=body) as response:
                try:
                    answer = await response.json(content_type=None)
                except ValueError:
                    answer = None
                if isinstance(answer, dict) and isinstance(answer.get("error"), dict):
                    error = GraphError(response.status, answer["error"])
                    error.wait = _regain_seconds(response.headers)
                    raise error
                if response.status >= 500:
                    raise RetryLater(f"Facebook server error {response.status}")
                if response.status >= 400:
                    raise Undeliverable(f"Facebook refused it (HTTP {response.status})")
                return answer
        except (aiohttp.ClientConnectorError, aiohttp.ClientConnectionResetError) as error:
            raise RetryLater(f"Facebook unreachable ({type(error).__name__})") from None
        except (TimeoutError, aiohttp.ServerDisconnectedError):
            raise OutcomeUnknown("Facebook did not answer in time") from None
        except aiohttp.ClientError as error:
            raise OutcomeUnknown(f"Facebook connection lost ({type(error).__name__})") from None

    async def _outcome_of(self, method: str, path: str, body: dict[str, Any] | None) -> Any:
        try:
            return await self.call(method, path, body)
        except GraphError as error:
            raise outcome(error, self.rate_wait) from None

    async def fetch_file(self, url: str, limit: int) -> bytes:
        """A file Meta sent us a link to (its CDN, not Graph: no token goes with it),
        read no further than the limit."""
        async with self._client().get(url, allow_redirects=True) as response:
            if response.status >= 400:
                raise Undeliverable(f"Facebook refused the file (HTTP {response.status})")
            if (response.content_length or 0) > limit:
                raise FileTooLarge()
            data = await response.content.read(limit + 1)
            if len(data) > limit:
                raise FileTooLarge()
            return data

    # -- the calls ------------------------------------------------------------------

    async def send(self, body: dict[str, Any]) -> dict[str, Any]:
        """Send API: POST /{page-id}/messages."""
        answer = await self._outcome_of("POST", f"{self.page_id}/messages", body)
        return answer if isinstance(answer, dict) else {}

    async def comment(self, object_id: str, text: str) -> str | None:
        """A public reply: under a comment, or on the post itself."""
        answer = await self._outcome_of("POST", f"{object_id}/comments", {"message": text})
        return str(answer.get("id")) if isinstance(answer, dict) and answer.get("id") else None

    async def hide(self, comment_id: str, hidden: bool) -> None:
        await self._gone_is_done("POST", comment_id, {"is_hidden": hidden})

    async def delete(self, comment_id: str) -> None:
        await self._gone_is_done("DELETE", comment_id, None)

    async def _gone_is_done(self, method: str, path: str, body: dict[str, Any] | None) -> None:
        try:
            await self.call(method, path, body)
        except GraphError as error:
            if error.code == 100 and error.subcode == GONE_SUBCODE:
                return  # already deleted: nothing left to hide or delete
            raise outcome(error, self.rate_wait) from None

    async def first_name(self, psid: str) -> str:
        """The person's first name (the only part of their profile we keep)."""
        answer = await self.call("GET", psid, query={"fields": "first_name"})
        name = answer.get("first_name") if isinstance(answer, dict) else None
        return name if isinstance(name, str) else ""
