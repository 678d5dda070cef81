"""A fake Graph API on 127.0.0.1 for the Facebook channel's tests and the demo.

Facebook cannot be reached from the build machine, so the bot's Graph client talks
to this server instead (``HELPBOT_FACEBOOK_GRAPH_URL``). It answers in Graph's JSON
shapes, enforces Meta's messaging windows and the one-private-reply rule, records
every call (``fb.calls``), pushes signed webhook events (``fb.message``,
``fb.comment``, ...) and fails on request (``fb.fail_next("messages", RATE_LIMITED)``).

In a test::

    async with FakeGraph() as fb: ...

From the command line (README, "Trying Facebook without Facebook")::

    python -m helpbot.testing.fake_graph --webhook http://127.0.0.1:8080/facebook/webhook
"""

from __future__ import annotations

from helpbot.testing.fake_graph.errors import (
    ALREADY_REPLIED,
    BAD_TOKEN,
    GONE,
    RATE_LIMITED,
    REPLY_TOO_OLD,
    TRANSIENT,
    WINDOW_CLOSED,
    GraphFailure,
)
from helpbot.testing.fake_graph.fake import (
    APP_SECRET,
    PAGE_ID,
    PAGE_TOKEN,
    VERIFY_TOKEN,
    Call,
    FakeComment,
    FakeGraph,
    FbUser,
)

__all__ = [
    "ALREADY_REPLIED",
    "APP_SECRET",
    "BAD_TOKEN",
    "GONE",
    "PAGE_ID",
    "PAGE_TOKEN",
    "RATE_LIMITED",
    "REPLY_TOO_OLD",
    "TRANSIENT",
    "VERIFY_TOKEN",
    "WINDOW_CLOSED",
    "Call",
    "FakeComment",
    "FakeGraph",
    "FbUser",
    "GraphFailure",
]
