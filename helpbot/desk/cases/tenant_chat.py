"""Where a case's tenant is reached: the private chat the case lives in (3.12)."""

from __future__ import annotations

from helpbot.desk.actions import Action, SendText
from helpbot.desk.events import ChatRef
from helpbot.desk.office import Office
from helpbot.desk.records import Case
from helpbot.desk.visit import chat_ref


async def tenant_chat(office: Office, case: Case) -> ChatRef | None:
    """None while the tenant has not yet opened a private chat (a case from a group)."""
    if case.chat_id is None:
        return None
    chat = await office.people.chat_by_id(case.chat_id)
    return chat_ref(chat) if chat is not None else None


async def tell_tenant(office: Office, case: Case, text: str) -> list[Action]:
    tenant = await tenant_chat(office, case)
    if tenant is None:
        return []
    return [SendText(chat=tenant, text=text, case_id=case.id)]
