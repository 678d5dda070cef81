"""The tenancy register: who the association's current tenants and confirmed occupants
are, imported from its housing system so a colleague can check a join request (3.5, 3.6.1).

The import is all or nothing: a bad row is reported by its line number and nothing
from the file is kept. Error messages name the line and the column, never the value
(names and postcodes are personal data).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, func, or_, select

from helpbot.desk.records import normalise_postcode, normalise_reference
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

    @property
    def total(self) -> int:
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


class TenancyRegister:
    def __init__(self, store: Store) -> None:
        self.sessions = store.sessions

    async def load(self, rows: Iterable[TenancyRow]) -> ImportResult:
        """Add or update every row in one transaction: all of the file, or none of it."""
        added = updated = unchanged = 0
        now = models.utcnow()
        async with self.sessions.begin() as session:
            existing = {row.reference: row for row in await session.scalars(select(models.Tenancy))}
            for row in rows:
                values = {
                    "postcode": row.postcode,
                    "tenant_names": list(row.tenants),
                    "occupant_names": list(row.occupants),
                    "start_date": row.start_date,
                    "end_date": row.end_date,
                }
                current = existing.get(row.reference)
                if current is None:
                    session.add(models.Tenancy(reference=row.reference, updated_at=now, **values))
                    added += 1
                elif any(getattr(current, key) != value for key, value in values.items()):
                    for key, value in values.items():
                        setattr(current, key, value)
                    current.updated_at = now
                    updated += 1
                else:
                    unchanged += 1
        return ImportResult(added, updated, unchanged)

    async def import_text(self, text: str) -> ImportResult:
        return await self.load(read_register(text))

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

    async def count(self) -> int:
        async with self.sessions() as session:
            return int(await session.scalar(select(func.count(models.Tenancy.id))) or 0)
