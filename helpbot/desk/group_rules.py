"""The community groups' guidelines and rules (policy Appendices 1 and 2) and the joining
questions, kept as editable, versioned text in ``intents/`` (3.5, 3.11)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_INTENTS_DIR = Path(__file__).resolve().parent.parent.parent / "intents"
ANSWER_KINDS = frozenset({"name", "tenancy_ref", "postcode", "text"})


@dataclass(frozen=True, slots=True)
class JoinQuestion:
    id: str
    kind: str  # one of ANSWER_KINDS: how a satisfactory answer is recognised
    label: str  # how colleagues see it
    ask: str  # how the applicant sees it


@dataclass(frozen=True, slots=True)
class GroupRules:
    version: str
    guidelines: str
    rules: str
    default_questions: tuple[JoinQuestion, ...] = ()
    group_questions: dict[str, tuple[JoinQuestion, ...]] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return f"{self.guidelines.strip()}\n\n{self.rules.strip()}"

    def questions_for(self, group_id: str) -> tuple[JoinQuestion, ...]:
        """A group's own questions if it has any, else the default set."""
        return self.group_questions.get(group_id, self.default_questions)

    @classmethod
    def load(cls, intents_dir: Path = DEFAULT_INTENTS_DIR) -> GroupRules:
        with (intents_dir / "group_rules.toml").open("rb") as handle:
            rules = tomllib.load(handle)
        with (intents_dir / "join_questions.toml").open("rb") as handle:
            questions = tomllib.load(handle)
        version = str(rules.get("version", "")).strip()
        if not version:
            raise ValueError("group_rules.toml: a version is required")
        groups = {
            str(group_id): _questions(table, f"groups.{group_id}")
            for group_id, table in (questions.get("groups") or {}).items()
        }
        return cls(
            version=version,
            guidelines=str(rules["guidelines"]),
            rules=str(rules["rules"]),
            default_questions=_questions(questions.get("default") or {}, "default"),
            group_questions=groups,
        )


def _questions(table: dict[str, Any], where: str) -> tuple[JoinQuestion, ...]:
    found: list[JoinQuestion] = []
    for item in table.get("questions", []):
        kind = str(item.get("kind", "text"))
        if kind not in ANSWER_KINDS:
            raise ValueError(f"join_questions.toml [{where}]: unknown kind {kind!r}")
        found.append(
            JoinQuestion(
                id=str(item["id"]),
                kind=kind,
                label=str(item.get("label", item["id"])),
                ask=str(item["ask"]),
            )
        )
    return tuple(found)
