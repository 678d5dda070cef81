"""A week of a tenants' community group, replayed through the fake Bot API on SQLite and
PostgreSQL (issue 12, "Done when"): over two hundred posts, most of them neighbours
chatting (tests/group_week.py). The bot may speak in public only where the policy needs
it (3.10, 3.12, 3.13 and urgent matters) and it is sure; everything it said is listed
here, and nothing else may appear."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from helpbot.store.casebook import Casebook
from helpbot.store.moderation_log import ModerationLog
from helpbot.testing.harness import BotUnderTest
from tests.group_eyes import (
    buttons,
    case_topic,
    everything_public,
    kind_of,
    public_posts,
    topic_named,
)
from tests.group_week import PEOPLE, WEEK, Day, Post

MONDAY = datetime(2026, 3, 2, tzinfo=UTC)

# Every public post the bot should make in the week: (the post it answers, what kind).
EXPECTED_PUBLIC = [
    ("park1", "private"),  # an anti-social parking report, once for a five-reply dispute
    ("damp", "private"),  # Lisa's complaint (Jean's own, minutes later, is told privately)
    ("phone_q", "answer"),  # a question put to the bot that it knows the answer to
    ("arrears", "removed"),  # an account number taken down, with the private link
    ("drugs", "private"),  # drug dealing reported
    ("leak", "emergency"),  # water onto the lights
    ("gary3", "lone closing"),  # one member's third hostile post in the hour
]
# The cases the week opens: (who, kind). Nothing else.
EXPECTED_CASES = {
    ("Kev", "asb"),
    ("Lisa", "complaint"),
    ("Jean", "complaint"),
    ("Ann", "personal"),
    ("Raj", "asb"),
    ("Tom", "emergency"),
}


async def replay_week(bot: BotUnderTest) -> dict[str, dict[str, Any]]:
    """Post the week as its members would, a post at a time, on the week's clock.
    Returns the labelled posts as Telegram delivered them."""
    users = {
        key: bot.tg.user(user_id, name, username=f"{key}_tenant")
        for key, (user_id, name) in PEOPLE.items()
    }
    labelled: dict[str, dict[str, Any]] = {}
    moment = MONDAY
    for line in WEEK:
        if isinstance(line, Day):
            hours, minutes = map(int, line.at.split(":"))
            moment = MONDAY + timedelta(days=line.index, hours=hours, minutes=minutes)
            continue
        assert isinstance(line, Post)
        moment += timedelta(minutes=line.after)
        stamp = moment.timestamp()
        bot.tg.clock = lambda stamp=stamp: stamp
        author = users[line.who]
        target = labelled[line.reply_to] if line.reply_to else None
        if line.edits:
            update = bot.tg.edited_message(labelled[line.edits], line.text)
        elif line.photo:
            update = bot.tg.photo(bot.community, author, caption=line.text or None)
        else:
            update = bot.tg.group_message(bot.community, author, line.text, reply_to=target)
        await bot.send(update)
        if line.label:
            labelled[line.label] = update
    return labelled


def message_id(update: dict[str, Any]) -> int:
    body = update.get("message") or update["edited_message"]
    return int(body["message_id"])


async def test_a_week_of_group_chat_gets_public_replies_only_where_the_policy_needs_them(
    bot: BotUnderTest,
) -> None:
    posts = [line for line in WEEK if isinstance(line, Post)]
    assert len(posts) >= 200
    labelled = await replay_week(bot)
    label_of = {message_id(update): label for label, update in labelled.items()}

    # What the group saw: exactly the expected posts, each once.
    deleted = [
        label
        for label, update in labelled.items()
        if bot.tg.is_deleted(bot.community.id, message_id(update))
    ]
    assert deleted == ["arrears"]
    seen = []
    for post in public_posts(bot):
        quoted = (post.get("reply_to_message") or {}).get("message_id")
        anchor = label_of.get(quoted, f"unlabelled {quoted}") if quoted else deleted[0]
        seen.append((anchor, kind_of(post["text"])))
    assert seen == EXPECTED_PUBLIC
    # The account number never appears in public; the removal offers the private chat.
    assert "40012345" not in everything_public(bot)
    removal = public_posts(bot)[EXPECTED_PUBLIC.index(("arrears", "removed"))]
    (link,) = [b["url"] for b in buttons(removal)]
    assert link.startswith("https://t.me/shal_helpbot?start=")

    # What the staff room saw: one case per matter, and nothing for the chat.
    cases = await Casebook(bot.store).all_cases()
    people = {c.id: await Casebook(bot.store).person(c.tenant_id) for c in cases}
    opened = {(people[c.id].first_name, c.kind) for c in cases if people[c.id]}
    assert opened == EXPECTED_CASES and len(cases) == len(EXPECTED_CASES)
    by_kind = {(people[c.id].first_name, c.kind): c for c in cases if people[c.id]}
    # Ann's request is not lost: it is on her private case, account number and all.
    arrears = by_kind[("Ann", "personal")]
    timeline = await Casebook(bot.store).timeline(arrears.id)
    assert any("40012345" in (event.text or "") for event in timeline)
    topic = "\n".join(m.get("text", "") for m in case_topic(bot, arrears.staff_topic_id))
    assert "40012345" in topic and "personal details (account_number)" in topic
    # Jean complained in Lisa's thread minutes after the bot had spoken there: her own
    # case, no second public post, and colleagues asked to contact her.
    jean = by_kind[("Jean", "complaint")]
    jean_topic = "\n".join(m.get("text", "") for m in case_topic(bot, jean.staff_topic_id))
    assert "didn't reply in the group" in jean_topic
    # Mo's side of the parking dispute opened nothing; Kev's report did, once.
    assert ("Mo", "asb") not in opened and ("Mo", "personal") not in opened
    # Moderators heard about Gary once, with a link to the post where it was ended.
    (notice,) = topic_named(bot, "Moderation")
    assert "Gary (@gary_tenant" in notice and "3 in the last hour" in notice
    (ended,) = await ModerationLog(bot.store).entries(action="hostility_ended")
    assert ended.member == "Gary"
    assert ended.entry.detail["message_id"] == str(message_id(labelled["gary3"]))
