"""The data behind the bot's inline buttons, typed: one class per kind of button, with its
record id bounded to 18 digits, written and read only here (Telegram allows 64 bytes)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar, Literal

_ID = r"(\d{1,18})"


@dataclass(frozen=True, slots=True)
class TalkToPerson:
    """A tenant asks for a colleague (private chat)."""

    prefix: ClassVar[str] = "human"
    pattern: ClassVar[re.Pattern[str]] = re.compile(r"^human$")

    @property
    def data(self) -> str:
        return "human"

    @classmethod
    def parse(cls, match: re.Match[str]) -> TalkToPerson:
        return cls()


@dataclass(frozen=True, slots=True)
class Satisfied:
    """The tenant answers "are you satisfied with the resolution?" (complaints clock)."""

    case_id: int
    yes: bool
    prefix: ClassVar[str] = "sat"
    pattern: ClassVar[re.Pattern[str]] = re.compile(rf"^sat:{_ID}:(yes|no)$")

    @property
    def data(self) -> str:
        return f"sat:{self.case_id}:{'yes' if self.yes else 'no'}"

    @classmethod
    def parse(cls, match: re.Match[str]) -> Satisfied:
        return cls(int(match.group(1)), match.group(2) == "yes")


@dataclass(frozen=True, slots=True)
class PublishConsent:
    """The tenant agrees (or not) to a resolution being published in the group (3.13)."""

    case_id: int
    yes: bool
    prefix: ClassVar[str] = "pub"
    pattern: ClassVar[re.Pattern[str]] = re.compile(rf"^pub:{_ID}:(yes|no)$")

    @property
    def data(self) -> str:
        return f"pub:{self.case_id}:{'yes' if self.yes else 'no'}"

    @classmethod
    def parse(cls, match: re.Match[str]) -> PublishConsent:
        return cls(int(match.group(1)), match.group(2) == "yes")


@dataclass(frozen=True, slots=True)
class Escalate:
    """The tenant takes a complaint to stage 2."""

    case_id: int
    prefix: ClassVar[str] = "esc"
    pattern: ClassVar[re.Pattern[str]] = re.compile(rf"^esc:{_ID}$")

    @property
    def data(self) -> str:
        return f"esc:{self.case_id}"

    @classmethod
    def parse(cls, match: re.Match[str]) -> Escalate:
        return cls(int(match.group(1)))


@dataclass(frozen=True, slots=True)
class NewMatter:
    """The tenant says the message just added to a case is a new problem (matters.py)."""

    case_id: int
    message_id: int
    prefix: ClassVar[str] = "new"
    pattern: ClassVar[re.Pattern[str]] = re.compile(rf"^new:{_ID}:{_ID}$")

    @property
    def data(self) -> str:
        return f"new:{self.case_id}:{self.message_id}"

    @classmethod
    def parse(cls, match: re.Match[str]) -> NewMatter:
        return cls(int(match.group(1)), int(match.group(2)))


@dataclass(frozen=True, slots=True)
class AcceptRules:
    """The applicant accepts the group's rules, or not (3.6.3, 3.11)."""

    request_id: int
    yes: bool
    prefix: ClassVar[str] = "join"
    pattern: ClassVar[re.Pattern[str]] = re.compile(rf"^join:{_ID}:(yes|no)$")

    @property
    def data(self) -> str:
        return f"join:{self.request_id}:{'yes' if self.yes else 'no'}"

    @classmethod
    def parse(cls, match: re.Match[str]) -> AcceptRules:
        return cls(int(match.group(1)), match.group(2) == "yes")


@dataclass(frozen=True, slots=True)
class ReviewJoin:
    """A colleague approves or declines a join request (3.5, 3.6.1)."""

    request_id: int
    approve: bool
    prefix: ClassVar[str] = "jr"
    pattern: ClassVar[re.Pattern[str]] = re.compile(rf"^jr:{_ID}:(ok|no)$")

    @property
    def data(self) -> str:
        return f"jr:{self.request_id}:{'ok' if self.approve else 'no'}"

    @classmethod
    def parse(cls, match: re.Match[str]) -> ReviewJoin:
        return cls(int(match.group(1)), match.group(2) == "ok")


@dataclass(frozen=True, slots=True)
class HeldPost:
    """A colleague reposts or discards a new member's held post (3.7)."""

    entry_id: int
    choice: Literal["repost", "discard"]
    prefix: ClassVar[str] = "held"
    pattern: ClassVar[re.Pattern[str]] = re.compile(rf"^held:{_ID}:(repost|discard)$")

    @property
    def data(self) -> str:
        return f"held:{self.entry_id}:{self.choice}"

    @classmethod
    def parse(cls, match: re.Match[str]) -> HeldPost:
        return cls(int(match.group(1)), "repost" if match.group(2) == "repost" else "discard")


@dataclass(frozen=True, slots=True)
class ProposedRemoval:
    """A colleague removes a much-warned member, or keeps them (3.7)."""

    entry_id: int
    remove: bool
    prefix: ClassVar[str] = "mod"
    pattern: ClassVar[re.Pattern[str]] = re.compile(rf"^mod:{_ID}:(remove|keep)$")

    @property
    def data(self) -> str:
        return f"mod:{self.entry_id}:{'remove' if self.remove else 'keep'}"

    @classmethod
    def parse(cls, match: re.Match[str]) -> ProposedRemoval:
        return cls(int(match.group(1)), match.group(2) == "remove")


@dataclass(frozen=True, slots=True)
class HazardComplaint:
    """The tenant takes up the complaints route offered when a hazard deadline was
    missed (Awaab's Law, desk/hazards/watch.py)."""

    case_id: int
    prefix: ClassVar[str] = "hzc"
    pattern: ClassVar[re.Pattern[str]] = re.compile(rf"^hzc:{_ID}$")

    @property
    def data(self) -> str:
        return f"hzc:{self.case_id}"

    @classmethod
    def parse(cls, match: re.Match[str]) -> HazardComplaint:
        return cls(int(match.group(1)))


ButtonData = (
    TalkToPerson
    | Satisfied
    | PublishConsent
    | Escalate
    | NewMatter
    | AcceptRules
    | ReviewJoin
    | HeldPost
    | ProposedRemoval
    | HazardComplaint
)
KINDS: tuple[type[ButtonData], ...] = (
    TalkToPerson,
    Satisfied,
    PublishConsent,
    Escalate,
    NewMatter,
    AcceptRules,
    ReviewJoin,
    HeldPost,
    ProposedRemoval,
    HazardComplaint,
)


def read_button(data: str | None) -> ButtonData | None:
    """The button pressed, or None for data we never wrote (old, forged or too long)."""
    if not data or len(data) > 64:
        return None
    for kind in KINDS:
        match = kind.pattern.match(data)
        if match:
            return kind.parse(match)
    return None
