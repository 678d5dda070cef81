"""Reply wording, kept as editable text in ``intents/replies.toml`` so staff can change tone
without touching code (3.9)."""

from __future__ import annotations

import tomllib
from pathlib import Path

WORDING_FILES = ("replies.toml", "group_replies.toml")
# The first words to a tenant who wrote in another language, in that language (policy
# 6.2). Apart from WORDING_FILES: a reading grade for English means nothing for them.
TRANSLATIONS_FILE = "other_language_replies.toml"


class Wording:
    def __init__(self, sections: dict[str, dict[str, str]]) -> None:
        self._sections = sections

    @classmethod
    def load(cls, intents_dir: Path) -> Wording:
        """replies.toml, plus the community groups' wording (group_replies.toml) and the
        first words in other languages (TRANSLATIONS_FILE), if present."""
        sections: dict[str, dict[str, str]] = {}
        for name in (*WORDING_FILES, TRANSLATIONS_FILE):
            path = intents_dir / name
            if not path.exists() and name != WORDING_FILES[0]:
                continue
            with path.open("rb") as handle:
                for section, entries in tomllib.load(handle).items():
                    sections.setdefault(section, {}).update(entries)
        return cls(sections)

    def __call__(self, section: str, key: str, **values: object) -> str:
        template = self._sections[section][key]
        return template.format(**values) if values else template

    def has(self, section: str, key: str) -> bool:
        return key in self._sections.get(section, {})
