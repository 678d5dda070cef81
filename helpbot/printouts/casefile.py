"""``helpbot cases``: the case history printed for staff at the command line.

Staff review only: it shows tenants' messages, so it is for colleagues' terminals,
never for logs.
"""

from __future__ import annotations

from typing import TextIO

from helpbot.desk.complaints_clock import LONDON
from helpbot.store.casebook import Casebook
from helpbot.store.records import Store


async def list_cases(url: str, out: TextIO, status: str | None = None) -> int:
    store = Store.from_url(url)
    try:
        cases = await Casebook(store).all_cases(status)
        if not cases:
            print("No cases.", file=out)
            return 0
        print(f"{'REF':<12} {'KIND':<13} {'STATUS':<9} {'OPENED':<17} {'WITH':<12} DUE", file=out)
        for case in cases:
            due = ""
            if case.kind == "complaint" and case.respond_by:
                due = f"stage {case.stage}: respond by {case.respond_by:%d %b %Y}"
            opened = case.created_at.astimezone(LONDON)
            print(
                f"{case.ref:<12} {case.kind:<13} {case.status:<9} {opened:%d %b %Y %H:%M} "
                f"{(case.assignee_name or '-'):<12} {due}".rstrip(),
                file=out,
            )
        return 0
    finally:
        await store.close()


async def show_case(url: str, ref: str, out: TextIO) -> int:
    store = Store.from_url(url)
    try:
        casebook = Casebook(store)
        case = await casebook.get(ref.strip().upper())
        if case is None:
            print(f"No case {ref!r}.", file=out)
            return 1
        tenant = await casebook.person(case.tenant_id)
        print(f"Case {case.ref}: {case.kind}{' (URGENT)' if case.urgent else ''}", file=out)
        print(f"  status:   {case.status}", file=out)
        print(
            f"  tenant:   {tenant.first_name if tenant else '?'}"
            f" ({tenant.channel if tenant else '?'})",
            file=out,
        )
        print(f"  with:     {case.assignee_name or 'nobody yet'}", file=out)
        print(f"  summary:  {case.summary}", file=out)
        if case.kind == "complaint":
            print(f"  stage:    {case.stage}", file=out)
            print(
                f"  received: {case.received_on}  acknowledge by: {case.acknowledge_by}"
                f"  acknowledged: {case.acknowledged_on or '-'}",
                file=out,
            )
            print(
                f"  respond by: {case.respond_by}  responded: {case.responded_on or '-'}", file=out
            )
            if case.extension_reason:
                print(f"  extended: {case.extension_reason}", file=out)
        if case.resolution:
            print(f"  resolution: {case.resolution}", file=out)
        if case.publication_consent:
            at = case.publication_consent_at
            print(
                f"  publication consent: {case.publication_consent}"
                f"{f' at {at.astimezone(LONDON):%d %b %Y %H:%M}' if at else ''}",
                file=out,
            )
        print("History:", file=out)
        for event in await casebook.timeline(case.id):
            who = event.actor_name or event.actor_kind
            when = event.at.astimezone(LONDON)
            line = f"  {when:%Y-%m-%d %H:%M} {who} [{event.actor_kind}] {event.kind}"
            if event.text:
                line += f": {event.text}"
            print(line, file=out)
        return 0
    finally:
        await store.close()
