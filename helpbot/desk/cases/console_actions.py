"""A colleague's action from the staff console: an event on the same inbox as the staff
room's, naming its case and the colleague (``events.ConsoleAct``), so the desk applies the
same rules and writes the same history whether or not the case has a staff topic (a web
chat case with no staff room, a topic Telegram failed to make)."""

from __future__ import annotations

from dataclasses import replace

from helpbot.desk.office import Office
from helpbot.desk.records import Case
from helpbot.desk.visit import Visit


async def console_visit(office: Office, visit: Visit, case: Case) -> Visit:
    """The action as the desk works it: kept with the case (so erasure and retention
    reach the colleague's words about it), and heard in the case's topic when it has
    one, so colleagues in Telegram see what was done from the console. Without a topic
    the desk's answer is for the console alone."""
    await office.people.link_message(visit.message.id, case.id)
    staff = office.settings.staff_chat
    if staff is None or case.staff_topic_id is None:
        return visit
    topic = replace(staff, thread_id=case.staff_topic_id)
    return replace(visit, inbound=replace(visit.inbound, chat=topic))


def in_staff_room(office: Office, visit: Visit) -> Visit:
    """A join-request or held-post decision from the console, heard in the staff room
    when there is one, as the same button pressed there would be."""
    staff = office.settings.staff_chat
    if staff is None:
        return visit
    return replace(visit, inbound=replace(visit.inbound, chat=staff))
