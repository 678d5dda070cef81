"""What the group, a tenant and the staff room see, read from the fake Bot API, for the
community group scenario tests (tests/test_group_*.py)."""

from __future__ import annotations

from typing import Any

from helpbot.testing.harness import BotUnderTest

# How each kind of public post the bot makes in a group is recognised.
PUBLIC_KINDS = (
    ("removed a message", "removed"),
    ("If this is an emergency", "emergency"),
    ("dealt with privately", "private"),
    ("If anyone is in danger right now, call 999", "safeguarding"),
    ("won't carry on", "lone closing"),
    ("Let's leave this discussion here", "argument closing"),
    ("01278 444344", "answer"),
)


def kind_of(text: str) -> str:
    for marker, kind in PUBLIC_KINDS:
        if marker in text:
            return kind
    return f"unexpected: {text[:60]}"


def public_posts(bot: BotUnderTest) -> list[dict[str, Any]]:
    return bot.tg.sent_messages(bot.community.id)


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    markup = message.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


def topic_named(bot: BotUnderTest, name: str) -> list[str]:
    """The texts posted in the staff room's topic of that name."""
    topics = bot.tg.topics.get(bot.staff_room.id, {})
    return [
        m.get("text", "")
        for m in bot.tg.sent_messages(bot.staff_room.id)
        if topics.get(m.get("message_thread_id"), {}).get("name") == name
    ]


def case_topic(bot: BotUnderTest, thread_id: int | None) -> list[dict[str, Any]]:
    """Everything posted in one case's topic (texts and copied files)."""
    if thread_id is None:
        return []
    return bot.tg.sent_messages(bot.staff_room.id, thread_id=thread_id)


def everything_public(bot: BotUnderTest) -> str:
    """Every word the bot posted in the group, for "never repeated in public" checks."""
    return "\n".join(m.get("text", "") for m in public_posts(bot))
