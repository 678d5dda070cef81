"""A web chat the tenant ended (End chat, on a shared computer perhaps): their cookie
opens nothing again, so a colleague's reply in the chat would never be read. Each of
their open cases says so in its history and its staff topic, so nobody waits on a
reply that cannot arrive; the case itself stays open (3.12: the matter is not
dropped because the chat window was)."""

from __future__ import annotations

from helpbot.desk.actions import Action
from helpbot.desk.cases.matters import open_matters
from helpbot.desk.cases.topics import to_topic
from helpbot.desk.office import Office
from helpbot.desk.visit import Visit


async def chat_ended(office: Office, visit: Visit) -> list[Action]:
    actions: list[Action] = []
    for case in await open_matters(office, visit.person.id, visit.chat):
        await office.cases.log(case.id, "chat_ended", actor_kind="tenant", actor_id=visit.person.id)
        actions += to_topic(office, case, office.say("staff", "web_chat_ended"))
    return actions
