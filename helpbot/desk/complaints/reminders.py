"""The complaints clock's daily reminder (Complaint Handling Code): every working morning
the staff group sees the complaints due by the next working day, and the overdue ones."""

from __future__ import annotations

from datetime import date

from helpbot.desk.actions import Action, SendText
from helpbot.desk.cases.topics import day, to_topic
from helpbot.desk.complaints_clock import add_working_days, working_days_between
from helpbot.desk.office import Office
from helpbot.desk.records import Case


async def complaint_reminders(office: Office, today: date) -> list[Action]:
    """Due and overdue complaints, posted to the staff group once a day, including any
    deadline one working day away."""
    staff_chat = office.settings.staff_chat
    horizon = add_working_days(today, 1)
    due = [
        case
        for case in await office.cases.complaints_due(by=horizon)
        if case.last_reminded_on != today
    ]
    if not due or staff_chat is None:
        return []
    say = office.say
    lines = [say("staff", "reminder_header", day=day(horizon))]
    actions: list[Action] = []
    for case in due:
        what, deadline = next_deadline(case, horizon)
        overdue = ""
        if deadline < today:
            overdue = f", OVERDUE by {working_days_between(deadline, today)} working day(s)"
        fields = {"ref": case.ref, "what": what, "due": day(deadline), "overdue": overdue}
        lines.append(say("staff", "reminder_line", stage=case.stage or 1, **fields))
        actions += to_topic(office, case, say("staff", "reminder_case", **fields))
        await office.cases.change(case.id, last_reminded_on=today, updated_at=case.updated_at)
    return [SendText(chat=staff_chat, text="\n".join(lines)), *actions]


def next_deadline(case: Case, horizon: date) -> tuple[str, date]:
    if case.acknowledged_on is None and case.acknowledge_by and case.acknowledge_by <= horizon:
        return "acknowledgement", case.acknowledge_by
    assert case.respond_by is not None
    return "response", case.respond_by
