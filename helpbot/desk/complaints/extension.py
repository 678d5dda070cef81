"""Extending a complaint's response date (``/extend DAYS REASON`` in its topic).

The Complaint Handling Code (2024) lets a landlord take longer to respond at a stage only
if it tells the resident the new date and explains why, and "Any extension must be no
more than 10 working days without good reason" (stage 1; the stage 2 wording allows no
more than 20). When it tells the resident about an extension it must also give the
Housing Ombudsman's contact details. So: a reason is required, the tenant is told the
date, the reason and how to reach the Ombudsman, and the total a stage may move is a
setting per stage (``DeskSettings.extension_limit``: 10 and 20 by default, the Code's
own limits, which the settings may lower but not raise).
"""

from __future__ import annotations

import re

from helpbot.desk.actions import Action
from helpbot.desk.cases.tenant_chat import tell_tenant
from helpbot.desk.cases.topics import day
from helpbot.desk.complaints_clock import add_working_days, stage_deadlines, working_days_between
from helpbot.desk.office import Office
from helpbot.desk.records import Case
from helpbot.desk.visit import Visit, colleague_name, reply

_EXTEND = re.compile(r"^(\d{1,3})(?:\s+(.*))?$", re.S)
# A reason the tenant can read: a few words at least, not "x" or "tbc".
_REASON_MIN_LETTERS = 8


def extended_so_far(case: Case) -> int:
    """Working days the response date of this stage has already been moved by: the
    distance from the date the Code sets to the date now held."""
    if case.respond_by is None or case.received_on is None:
        return 0
    base = stage_deadlines(case.stage or 1, case.received_on, case.acknowledged_on).respond_by
    return max(0, working_days_between(base, case.respond_by))


async def extend(office: Office, visit: Visit, case: Case) -> list[Action]:
    """Move a complaint's response date by some working days, with a reason; refused past
    the stage's limit (counting earlier extensions of the same stage)."""
    say = office.say
    inbound = visit.inbound
    if case.kind != "complaint" or case.respond_by is None:
        return [reply(inbound, say("staff", "not_a_complaint"))]
    limit = office.settings.extension_limit(case.stage or 1)
    match = _EXTEND.match(inbound.command_args.strip())
    if not match or int(match.group(1)) < 1:
        return [reply(inbound, say("staff", "extend_usage", limit=limit))]
    days, reason = int(match.group(1)), " ".join((match.group(2) or "").split())
    if sum(ch.isalpha() for ch in reason) < _REASON_MIN_LETTERS:
        return [reply(inbound, say("staff", "extend_needs_reason"))]
    used = extended_so_far(case)
    if used + days > limit:
        text = say("staff", "extend_too_long", limit=limit, used=used, left=max(0, limit - used))
        return [reply(inbound, text)]
    respond_by = add_working_days(case.respond_by, days)
    await office.cases.change(case.id, respond_by=respond_by, extension_reason=reason)
    detail = {"days": days, "respond_by": respond_by.isoformat(), "stage": case.stage or 1}
    await office.cases.log(
        case.id,
        "extended",
        actor_kind="staff",
        actor_id=visit.person.id,
        actor_name=colleague_name(inbound),
        text=reason,
        detail=detail,
    )
    told = say("cases", "extended", ref=case.ref, reason=reason, respond_by=day(respond_by))
    tenant = await tell_tenant(office, case, told)
    staff_key = "extended" if tenant else "extended_not_told"
    return [reply(inbound, say("staff", staff_key, respond_by=day(respond_by))), *tenant]
