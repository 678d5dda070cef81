"""Conversations nobody here wrote, replayed through the whole bot: one matter, one case?

The classifier reads each message alone; the desk keeps a tenant's matter together
(desk/cases/matters.py). This replays scripted private conversations (a tenant's
messages only, each labelled with the matter it belongs to and whether it reveals a new
danger) through the real desk, post room and fake Bot API on a throwaway SQLite file,
and counts what a tenant or a housing officer would notice:

- a matter split over several cases, or a new matter filed on an old one;
- a message revealing a danger that got no safety advice;
- an ordinary follow-up to an urgent matter given the safety advice again (the one-line
  reminder the desk gives instead is counted apart);
- "Sorry, I didn't understand" to a follow-up of a matter the bot already has.

An evaluation, never a test threshold: the sets under ``intents/conversations*/`` are
written blind and never trained or tuned on. ``make conversations`` runs it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from helpbot.config import REPO_ROOT
from helpbot.desk.wording import Wording
from helpbot.nlu.training import ensure_trained
from helpbot.nlu.understanding import Understanding
from helpbot.store import models
from helpbot.store.database import upgrade
from helpbot.store.records import Store
from helpbot.testing.harness import BotUnderTest, running_bot

# Words that only safety advice uses (the gas line, Samaritans, 999 in an advice or net
# line); the "didn't understand" reply also says 999, so it is told apart first.
SAFETY_MARKERS = ("0800 111 999", "116 123", "999")
NOT_UNDERSTOOD = "didn't understand"


def reminders() -> tuple[str, ...]:
    """The desk's one-line reminders for more of an urgent matter (tenant_thread.py):
    safety advice, but not the advice given again."""
    say = Wording.load(REPO_ROOT / "intents")
    keys = ("emergency", "emergency_damp", "emergency_cold", "safeguarding")
    return tuple(say("cases", f"urgent_reminder_{key}") for key in keys)


REMINDERS = reminders()


def net_lines() -> tuple[str, ...]:
    """The safety net's lines (safety/net.py): for a sign of risk the intent did not
    cover."""
    say = Wording.load(REPO_ROOT / "intents")
    keys = ("emergency", "emergency_damp", "emergency_cold", "safeguarding")
    return tuple(say("safety_net", key) for key in keys)


NET_LINES = net_lines()


@dataclass(frozen=True, slots=True)
class Conversation:
    id: str
    about: str
    messages: tuple[str, ...]
    matter: tuple[int, ...]
    urgent: tuple[bool, ...]


@dataclass
class Tally:
    """What went wrong, counted over every conversation (and which, for reading)."""

    conversations: int = 0
    messages: int = 0
    follow_ups: int = 0
    split: list[str] = field(default_factory=list)  # a matter over more than one case
    merged: list[str] = field(default_factory=list)  # a new matter filed on an old case
    unsafe: list[str] = field(default_factory=list)  # a new danger without safety advice
    urgent_messages: int = 0
    repeated: list[str] = field(default_factory=list)  # the safety advice again, nothing new
    reminded: list[str] = field(default_factory=list)  # only the one-line reminder
    quiet_follow_ups: int = 0  # follow-ups to an urgent matter revealing nothing new
    not_understood: list[str] = field(default_factory=list)
    # A message revealing no danger, outside an urgent matter, given a safety-net line
    # ("Just in case: if you smell gas..." to "it's been getting worse since October").
    netted: list[str] = field(default_factory=list)
    ordinary: int = 0
    cases: Counter[str] = field(default_factory=Counter)

    def lines(self) -> list[str]:
        def share(items: Sequence[str], of: int) -> str:
            return f"{len(items)}/{of} ({len(items) / of:.1%})" if of else "0/0"

        return [
            f"{self.conversations} conversations, {self.messages} messages "
            f"({self.follow_ups} follow-ups)",
            f"matters split over several cases: {share(self.split, self.conversations)}",
            f"new matters filed on an old case: {share(self.merged, self.conversations)}",
            f"messages revealing a danger with no safety advice: "
            f"{share(self.unsafe, self.urgent_messages)}",
            f"ordinary follow-ups to an urgent matter given the safety advice again: "
            f"{share(self.repeated, self.quiet_follow_ups)}",
            f"ordinary follow-ups to an urgent matter given only the one-line reminder: "
            f"{share(self.reminded, self.quiet_follow_ups)}",
            f"follow-ups answered 'didn't understand': "
            f"{share(self.not_understood, self.follow_ups)}",
            f"messages revealing no danger, outside an urgent matter, given a safety-net "
            f"line: {share(self.netted, self.ordinary)}",
        ]


def load(path: Path) -> list[Conversation]:
    conversations = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        row = json.loads(line)
        conversations.append(
            Conversation(
                row["id"],
                row.get("about", ""),
                tuple(row["messages"]),
                tuple(row["matter"]),
                tuple(bool(u) for u in row["urgent"]),
            )
        )
    return conversations


async def filed(store: Store, tenant_id: int) -> list[int | None]:
    """The case each of the tenant's messages was filed on, in the order sent."""
    async with store.sessions() as session:
        rows = await session.execute(
            select(models.Message.case_id)
            .join(models.Chat, models.Chat.id == models.Message.chat_id)
            .where(models.Chat.external_id == str(tenant_id), models.Message.direction == "in")
            .order_by(models.Message.id)
        )
        return [case_id for (case_id,) in rows]


async def replay(
    bot: BotUnderTest, conversation: Conversation, tenant_id: int, tally: Tally
) -> None:
    who = bot.tg.user(tenant_id, "Sam", username=f"sam{tenant_id}")
    said: list[str] = []
    for text in conversation.messages:
        before = len(bot.replies_to(tenant_id))
        await bot.send(bot.tg.private_message(who, text))
        said.append("\n".join(bot.replies_to(tenant_id)[before:]))
    cases = await filed(bot.store, tenant_id)
    tag = f"{conversation.id} ({conversation.about})"
    tally.conversations += 1
    tally.messages += len(conversation.messages)
    tally.follow_ups += len(conversation.messages) - 1
    # One matter, one case: every message of a matter that was filed at all is on the
    # same case, and no two matters share one.
    case_of: dict[int, set[int]] = {}
    for matter, case_id in zip(conversation.matter, cases, strict=False):
        if case_id is not None:
            case_of.setdefault(matter, set()).add(case_id)
    if any(len(ids) > 1 for ids in case_of.values()):
        tally.split.append(tag)
    owners: dict[int, int] = {}
    shared = [
        case_id
        for matter, ids in case_of.items()
        for case_id in ids
        if owners.setdefault(case_id, matter) != matter
    ]
    if shared:  # counted once per conversation, like a split
        tally.merged.append(tag)
    urgent_matters: set[int] = set()
    for index, (text, matter, urgent, reply) in enumerate(
        zip(conversation.messages, conversation.matter, conversation.urgent, said, strict=False)
    ):
        understood = NOT_UNDERSTOOD not in reply
        safety = understood and any(marker in reply for marker in SAFETY_MARKERS)
        advice = reply
        for line in REMINDERS:
            advice = advice.replace(line, "")
        advised = safety and any(marker in advice for marker in SAFETY_MARKERS)
        if urgent:
            tally.urgent_messages += 1
            if not safety:
                tally.unsafe.append(f"{tag}: {text!r}")
        elif matter not in urgent_matters:
            tally.ordinary += 1
            if any(line in reply for line in NET_LINES):
                tally.netted.append(f"{tag}: {text!r}")
        else:
            tally.quiet_follow_ups += 1
            if advised:
                tally.repeated.append(f"{tag}: {text!r}")
            elif safety:
                tally.reminded.append(f"{tag}: {text!r}")
        if index and not understood:
            tally.not_understood.append(f"{tag}: {text!r}")
        if urgent:
            urgent_matters.add(matter)
    tally.cases[str(len({c for c in cases if c is not None}))] += 1


async def check(conversations: Sequence[Conversation], understanding: Understanding) -> Tally:
    tally = Tally()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'conversations.db'}"
        await asyncio.to_thread(upgrade, url)
        store = Store.from_url(url)
        try:
            async with running_bot(store, understanding) as bot:
                for number, conversation in enumerate(conversations):
                    await replay(bot, conversation, 7_000_000 + number, tally)
        finally:
            await store.close()
    return tally


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m helpbot.testing.conversation_check",
        description=(__doc__ or "").split("\n\n")[0],
    )
    parser.add_argument("sets", nargs="*", type=Path, help="conversations.jsonl files")
    parser.add_argument("--show", action="store_true", help="list what went wrong")
    parser.add_argument(
        "--pipeline", type=Path, help="a trained pipeline to use as it is (default: build/)"
    )
    args = parser.parse_args(argv)
    sets = args.sets or sorted((REPO_ROOT / "intents").glob("conversations*/conversations.jsonl"))
    pipeline = args.pipeline or ensure_trained(
        REPO_ROOT / "intents", REPO_ROOT / "build" / "intent-pipeline"
    )
    understanding = Understanding.load(pipeline, REPO_ROOT / "intents")
    for path in sets:
        tally = asyncio.run(check(load(path), understanding))
        print(f"== {path.parent.name} ==")
        for line in tally.lines():
            print(line)
        if args.show:
            for name in (
                "split",
                "merged",
                "unsafe",
                "repeated",
                "reminded",
                "not_understood",
                "netted",
            ):
                for item in getattr(tally, name):
                    print(f"  {name}: {item}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
