"""Reply wording, kept as editable text in ``intents/replies.toml`` so staff can change tone
without touching code (3.9)."""

from __future__ import annotations

import tomllib
from pathlib import Path


class Wording:
    def __init__(self, sections: dict[str, dict[str, str]]) -> None:
        self._sections = sections

    @classmethod
    def load(cls, intents_dir: Path) -> Wording:
        with (intents_dir / "replies.toml").open("rb") as handle:
            return cls(tomllib.load(handle))

    def __call__(self, section: str, key: str, **values: object) -> str:
        template = self._sections[section][key]
        return template.format(**values) if values else template

    def has(self, section: str, key: str) -> bool:
        return key in self._sections.get(section, {})
