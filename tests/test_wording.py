"""Every sentence the bot says to a tenant is plain (3.9; issue 12): a Flesch-Kincaid
grade of 6 or lower (a reading age of about 11), and never a policy clause number,
which means nothing to a tenant. Every template in the wording files is checked, so a
template added later is checked too; colleagues' text (the staff room) is exempt
from the grade but is listed here by rule, not by name."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import textstat

from helpbot.desk.group_rules import DEFAULT_INTENTS_DIR
from helpbot.desk.wording import WORDING_FILES

GRADE = 6.0
# Read by colleagues only: the staff room's sections (named staff or *_staff), and keys
# named staff_* elsewhere.
FOR_COLLEAGUES = frozenset({"staff", "community_staff", "safeguarding_staff", "hazard_staff"})
# "(policy 3.12)", "3.6.1", "policy 3": a clause, as a tenant would see it.
CLAUSE = re.compile(r"\bpolicy\s+\d|\b\d{1,2}\.\d{1,2}(\.\d{1,2})?\b(?!\d)", re.IGNORECASE)
# What the desk puts in the placeholders, near enough for reading age.
SAMPLES = {
    "name": " Ann",
    "ref": "SHAL-00012",
    "refs": "SHAL-00012",
    "kind": "repair",
    "group": "Oak Road tenants",
    "text": "We fixed the leak on Friday.",
    "phone": "01278 444344",
    "minutes": "60",
    "count": "3",
    "number": "1",
}


def for_colleagues(section: str, key: str) -> bool:
    return section in FOR_COLLEAGUES or section.endswith("_staff") or key.startswith("staff")


def is_label(section: str, key: str) -> bool:
    """A button's label: a few words, not prose (a reading grade means nothing)."""
    return section == "buttons" or key.endswith("_button")


def templates() -> list[tuple[str, str, str, str]]:
    found: list[tuple[str, str, str, str]] = []
    for name in WORDING_FILES:
        path = Path(DEFAULT_INTENTS_DIR) / name
        if not path.exists():
            continue
        with path.open("rb") as handle:
            for section, entries in tomllib.load(handle).items():
                for key, text in entries.items():
                    found.append((name, section, key, text))
    return found


def filled(text: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: SAMPLES.get(m.group(1), "it"), text)


def grade(text: str) -> float:
    return float(textstat.flesch_kincaid_grade(filled(text)))


TEMPLATES = templates()
TENANT_PROSE = [t for t in TEMPLATES if not for_colleagues(t[1], t[2]) and not is_label(t[1], t[2])]
TENANT_TEXT = [t for t in TEMPLATES if not for_colleagues(t[1], t[2])]


def test_the_wording_files_are_all_read() -> None:
    assert {name for name, *_ in TEMPLATES} == set(WORDING_FILES)
    assert len(TENANT_PROSE) > 100


def cases(found: list[tuple[str, str, str, str]]) -> list[object]:
    return [pytest.param(*t, id=f"{t[0]}:{t[1]}.{t[2]}") for t in found]


@pytest.mark.parametrize(("file", "section", "key", "text"), cases(TENANT_PROSE))
def test_every_tenant_template_reads_at_grade_six_or_lower(
    file: str, section: str, key: str, text: str
) -> None:
    assert grade(text) <= GRADE, f"{file} [{section}] {key}: grade {grade(text)}"


@pytest.mark.parametrize(("file", "section", "key", "text"), cases(TENANT_TEXT))
def test_no_tenant_text_quotes_a_policy_clause(
    file: str, section: str, key: str, text: str
) -> None:
    assert CLAUSE.search(text) is None, f"{file} [{section}] {key}"


def test_the_checks_can_fail() -> None:
    formal = (
        "Notwithstanding the aforementioned considerations, communications regarding "
        "individual tenancies are conducted exclusively through confidential correspondence."
    )
    assert grade(formal) > GRADE
    assert grade("Thanks. A colleague will reply to you here.") <= GRADE
    for quoted in ("(policy 3.12)", "under 3.6.1 we", "see policy 3"):
        assert CLAUSE.search(quoted), quoted
    for plain in ("call 0808 2000 247", "within 5 working days", "www.shal.org", "SHAL-00012"):
        assert CLAUSE.search(plain) is None, plain
    assert for_colleagues("staff", "new_case") and for_colleagues("facebook", "staff_pile_on")
    assert not for_colleagues("cases", "opened")


def knowledge_answers() -> list[object]:
    """Every answer the knowledge base can give, as the tenant reads it."""
    found = []
    for path in sorted((DEFAULT_INTENTS_DIR / "knowledge").glob("*.toml")):
        with path.open("rb") as handle:
            for entry in tomllib.load(handle)["entry"]:
                found.append(pytest.param(entry["answer"], id=f"{path.stem}:{entry['id']}"))
    return found


@pytest.mark.parametrize("answer", knowledge_answers())
def test_no_knowledge_answer_quotes_a_policy_clause(answer: str) -> None:
    """The policy is the source of the answers, but a tenant gets the facts, not
    clause numbers."""
    assert CLAUSE.search(answer) is None
