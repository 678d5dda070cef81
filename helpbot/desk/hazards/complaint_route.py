"""A missed hazard deadline is a complaint trigger: the tenant is offered the complaints
route in plain words with a button, and pressing it opens a complaint about the missed
step the usual way (the complaints clock starts, colleagues get its topic)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from helpbot.desk.actions import Action, Button, SendText
from helpbot.desk.buttons import HazardComplaint
from helpbot.desk.cases.tenant_chat import tenant_chat
from helpbot.desk.cases.tenant_thread import case_message
from helpbot.desk.events import Content
from helpbot.desk.hazards.clock import due_text
from helpbot.desk.hazards.notes import tenant_due
from helpbot.desk.office import Office
from helpbot.desk.records import Case, HazardStep
from helpbot.desk.visit import Visit


async def offer(office: Office, case: Case, missed: Sequence[HazardStep]) -> list[Action]:
    """Tell the tenant which steps were missed, with a button to complain."""
    tenant = await tenant_chat(office, case)
    if tenant is None or not missed:
        return []
    say = office.say
    what = " and ".join(
        say("hazards", "step_by", what=say("hazards", f"step_{step.step}"), due=tenant_due(step))
        for step in missed
    )
    text = say("hazards", "missed", what=what)
    button = Button(say("hazards", "complain_button"), data=HazardComplaint(case.id).data)
    return [SendText(chat=tenant, text=text, buttons=((button,),), case_id=case.id)]


async def complain(office: Office, visit: Visit, case: Case) -> list[Action]:
    """The tenant pressed "Make a complaint": a complaint about the missed step, filed
    as if they had written it."""
    hazard = await office.records.hazards.hazard(case.id)
    missed = [s for s in hazard.steps if s.missed_at is not None] if hazard else []
    say = office.say
    what, due = "keep to our timescale", "-"
    if missed:
        what, due = say("hazards", f"step_{missed[-1].step}"), due_text(missed[-1])
    text = say("hazard_staff", "complaint_text", what=what, due=due, ref=case.ref)
    said = replace(visit, inbound=replace(visit.inbound, content=Content.TEXT, text=text))
    return await case_message(office, said, "complaint", own_matter=True)
