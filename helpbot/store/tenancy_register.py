"""The tenancy register: who the association's current tenants and confirmed occupants
are, imported from its housing system so a colleague can check a join request (3.5, 3.6.1).

An import replaces the register: the file is the whole list of tenancies, so one that is
no longer in it has ended (``ended_at``) and stops matching "current tenant"; one that
comes back is current again. Rows are never deleted (a decision made against a
tenancy can still be explained). The import is all or nothing: a bad row is reported by
its line number and nothing from the file is kept. Error messages name the line and the
column, never the value (names and postcodes are personal data). ``dry_run`` counts what
would change and keeps nothing.

Looking up a join request's reference is indexed and runs off the event loop: an exact
reference and a postcode are index look-ups in SQL, and references a typo away come from
an in-memory index of the register (``ReferenceIndex``), built in a thread whenever the
register changed, and searched in a thread.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, func, or_, select

from helpbot.desk.records import edit_distance, normalise_postcode, normalise_reference
from helpbot.store import models
from helpbot.store.records import Store

# Accepted header spellings (lower case, spaces and dashes read as underscores).
COLUMNS: dict[str, tuple[str, ...]] = {
    "reference": ("tenancy_reference", "tenancy_ref", "reference", "ref"),
    "postcode": ("postcode", "post_code"),
    "tenants": ("tenants", "tenant", "tenant_names", "tenant_name"),
    "occupants": ("occupants", "confirmed_occupants", "occupant_names"),
    "start_date": ("start_date", "start", "tenancy_start"),
    "end_date": ("end_date", "end", "tenancy_end"),
}
REQUIRED = ("reference", "postcode", "tenants", "start_date")

_REFERENCE = re.compile(r"^[A-Z0-9/-]{2,32}$")


__all__ = [
    "ImportResult",
    "RegisterError",
    "TenancyRegister",
    "TenancyRow",
    "normalise_postcode",
    "normalise_reference",
    "read_register",
]


class RegisterError(ValueError):
    """A file that cannot be imported; ``line`` is the line number in the file."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line


@dataclass(frozen=True, slots=True)
class TenancyRow:
    line: int
    reference: str
    postcode: str
    tenants: tuple[str, ...]
    occupants: tuple[str, ...]
    start_date: date
    end_date: date | None


@dataclass(frozen=True, slots=True)
class ImportResult:
    added: int
    updated: int
    unchanged: int
    ended: int = 0  # current before, absent from this file: no longer current
    dry_run: bool = False

    @property
    def total(self) -> int:
        """Tenancies in the file."""
        return self.added + self.updated + self.unchanged


def _names(value: str) -> tuple[str, ...]:
    return tuple(" ".join(name.split()) for name in value.split(";") if name.strip())


def _date(value: str) -> date | None:
    text = value.strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _header(fields: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, raw in enumerate(fields):
        key = re.sub(r"[\s-]+", "_", raw.strip().lower().lstrip("\ufeff"))
        for column, spellings in COLUMNS.items():
            if key in spellings and column not in found:
                found[column] = index
    missing = [column for column in REQUIRED if column not in found]
    if missing:
        raise RegisterError(1, f"missing column(s): {', '.join(missing)}")
    return found


def read_register(text: str) -> list[TenancyRow]:
    """Parse the register CSV; raises RegisterError naming the first bad line."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise RegisterError(0, "the file is empty") from None
    columns = _header(header)
    rows: list[TenancyRow] = []
    seen: set[str] = set()
    for fields in reader:
        line = reader.line_num
        if not any(field.strip() for field in fields):
            continue

        def cell(name: str, fields: list[str] = fields) -> str:
            index = columns.get(name)
            return fields[index].strip() if index is not None and index < len(fields) else ""

        reference = normalise_reference(cell("reference"))
        if not _REFERENCE.match(reference):
            raise RegisterError(line, "tenancy reference is missing or not valid")
        if reference in seen:
            raise RegisterError(line, "tenancy reference appears twice in the file")
        seen.add(reference)
        postcode = normalise_postcode(cell("postcode"))
        if postcode is None:
            raise RegisterError(line, "postcode is missing or not a UK postcode")
        tenants = _names(cell("tenants"))
        if not tenants:
            raise RegisterError(line, "no tenant name")
        start = _date(cell("start_date"))
        if start is None:
            raise RegisterError(line, "start date is missing or not a date (YYYY-MM-DD)")
        end: date | None = None
        if cell("end_date"):
            end = _date(cell("end_date"))
            if end is None:
                raise RegisterError(line, "end date is not a date (YYYY-MM-DD)")
            if end < start:
                raise RegisterError(line, "end date is before the start date")
        rows.append(
            TenancyRow(line, reference, postcode, tenants, _names(cell("occupants")), start, end)
        )
    return rows


# The most typo neighbours a look-up returns, closest first.
NEAR_LIMIT = 20
# What a reference is made of once normalised (``_REFERENCE``): what a typo can insert.
_REFERENCE_ALPHABET = string.ascii_uppercase + string.digits + "/-"


def _deletions(word: str) -> set[str]:
    """The word and every word one deletion away from it."""
    return {word, *(word[:i] + word[i + 1 :] for i in range(len(word)))}


def _one_edit(word: str) -> set[str]:
    """Every word at most one insertion, deletion or substitution away."""
    found = {word}
    for i in range(len(word) + 1):
        head, tail = word[:i], word[i:]
        found.update(head + letter + tail for letter in _REFERENCE_ALPHABET)
        if tail:
            found.add(head + tail[1:])
            found.update(head + letter + tail[1:] for letter in _REFERENCE_ALPHABET)
    return found


class ReferenceIndex:
    """Every tenancy reference under itself and each one-deletion form of it (a
    symmetric-deletion index). Two words one edit apart always share such a form, so the
    references within two edits of a query are found by looking up the forms of every
    word one edit from the query: a few thousand dictionary look-ups, whatever the size
    of the register, then an exact check of the few that turn up."""

    def __init__(self, references: Iterable[str]) -> None:
        self._forms: dict[str, list[str]] = {}
        for reference in references:
            for form in _deletions(reference):
                self._forms.setdefault(form, []).append(reference)

    def near(self, reference: str, within: int, limit: int = NEAR_LIMIT) -> list[str]:
        """The references within ``within`` edits, closest first, at most ``limit`` (in a
        register of consecutive numbers hundreds are two digits away; a colleague needs
        to see that one is close, not all of them)."""
        if within <= 0:
            probes = {reference}
        elif within == 1:
            probes = _deletions(reference)
        elif within == 2:
            probes = {form for word in _one_edit(reference) for form in _deletions(word)}
        else:
            raise ValueError("the register index finds typos of up to two characters")
        found: set[str] = set()
        for probe in probes:
            found.update(self._forms.get(probe, ()))
        near = [(edit_distance(r, reference, limit=within), r) for r in found]
        return [r for d, r in sorted(near) if d <= within][:limit]


class _DryRun(Exception):
    """Raised to roll a dry-run import back once it has been counted."""


class TenancyRegister:
    def __init__(self, store: Store) -> None:
        self.sessions = store.sessions
        self._index: ReferenceIndex | None = None
        self._index_version: tuple[int, datetime | None] | None = None
        self._index_lock = asyncio.Lock()

    async def load(self, rows: Iterable[TenancyRow], *, dry_run: bool = False) -> ImportResult:
        """Make the register exactly the file, in one transaction: every row added or
        updated, every current tenancy not in the file ended. All of it or none of it;
        with ``dry_run`` nothing is kept and the counts say what would happen."""
        added = updated = unchanged = ended = 0
        now = models.utcnow()
        try:
            async with self.sessions.begin() as session:
                rows_now = await session.scalars(select(models.Tenancy))
                existing = {row.reference: row for row in rows_now}
                seen: set[str] = set()
                for row in rows:
                    seen.add(row.reference)
                    values = {
                        "postcode": row.postcode,
                        "tenant_names": list(row.tenants),
                        "occupant_names": list(row.occupants),
                        "start_date": row.start_date,
                        "end_date": row.end_date,
                        "ended_at": None,
                    }
                    current = existing.get(row.reference)
                    if current is None:
                        tenancy = models.Tenancy(reference=row.reference, updated_at=now, **values)
                        session.add(tenancy)
                        added += 1
                    elif any(getattr(current, key) != value for key, value in values.items()):
                        for key, value in values.items():
                            setattr(current, key, value)
                        current.updated_at = now
                        updated += 1
                    else:
                        unchanged += 1
                for reference, current in existing.items():
                    if reference not in seen and current.ended_at is None:
                        current.ended_at = now
                        current.updated_at = now
                        ended += 1
                if dry_run:
                    raise _DryRun
        except _DryRun:
            pass  # rolled back: nothing kept
        return ImportResult(added, updated, unchanged, ended, dry_run)

    async def import_text(self, text: str, *, dry_run: bool = False) -> ImportResult:
        return await self.load(read_register(text), dry_run=dry_run)

    async def references(self) -> list[str]:
        async with self.sessions() as session:
            return list(await session.scalars(select(models.Tenancy.reference)))

    async def candidates(
        self, references: Sequence[str], postcode: str | None
    ) -> list[models.Tenancy]:
        """Tenancies with one of these references or at this postcode."""
        conditions: list[ColumnElement[bool]] = []
        if references:
            conditions.append(models.Tenancy.reference.in_(list(references)))
        if postcode:
            conditions.append(models.Tenancy.postcode == postcode)
        if not conditions:
            return []
        async with self.sessions() as session:
            rows = await session.scalars(
                select(models.Tenancy).where(or_(*conditions)).order_by(models.Tenancy.id)
            )
            return list(rows)

    async def near(
        self, reference: str | None, postcode: str | None, within: int
    ) -> list[models.Tenancy]:
        """Tenancies with this reference, or one ``within`` edits of it, or at this
        postcode (current or not: the matcher says which)."""
        references = [reference] if reference else []
        if reference and within > 0:
            index = await self._reference_index()
            references = await asyncio.to_thread(index.near, reference, within) or references
        return await self.candidates(references, postcode)

    async def _reference_index(self) -> ReferenceIndex:
        """The index of every reference, rebuilt (in a thread) when the register changed,
        also by an import in another process: it is keyed on the register's size and
        latest change, read through an index."""
        async with self.sessions() as session:
            size, latest = (
                await session.execute(
                    select(func.count(models.Tenancy.id), func.max(models.Tenancy.updated_at))
                )
            ).one()
        version = (int(size or 0), latest)
        async with self._index_lock:
            if self._index is None or self._index_version != version:
                references = await self._references_in_batches()
                self._index = await asyncio.to_thread(ReferenceIndex, references)
                self._index_version = version
            return self._index

    async def _references_in_batches(self, size: int = 2000) -> list[str]:
        """Every reference, a batch at a time (by primary key), letting other work run
        between batches: on SQLite queries run on the event loop."""
        found: list[str] = []
        last = 0
        while True:
            async with self.sessions() as session:
                batch = (
                    await session.execute(
                        select(models.Tenancy.id, models.Tenancy.reference)
                        .where(models.Tenancy.id > last)
                        .order_by(models.Tenancy.id)
                        .limit(size)
                    )
                ).all()
            found.extend(reference for _, reference in batch)
            if len(batch) < size:
                return found
            last = batch[-1][0]
            await asyncio.sleep(0)

    async def count(self) -> int:
        async with self.sessions() as session:
            return int(await session.scalar(select(func.count(models.Tenancy.id))) or 0)
