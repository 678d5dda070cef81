"""The conversations in a community group, and how often the bot speaks in one (3.9).

A thread is a chain of replies, or messages following each other within
``THREAD_GAP`` (most members don't use "reply"). In one thread the bot posts at most
once an hour unless a message is urgent or the policy cannot wait: personal details
taken down (3.12), or an argument ended (3.10). When it last spoke is in the records,
so a restart does not make it talk again. One matter in a thread opens at most one
case (``GroupThread.cases``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from helpbot.desk.office import Office
from helpbot.desk.records import GroupThread
from helpbot.desk.visit import Visit

THREAD_GAP = timedelta(minutes=30)  # a quieter spell than this starts a new thread
QUIET_HOUR = timedelta(hours=1)  # at most one bot message per thread in this time


async def thread_of(office: Office, visit: Visit) -> GroupThread | None:
    """The thread this group message is in (recorded there); None without a message id."""
    inbound = visit.inbound
    if not inbound.message_id:
        return None
    return await office.records.threads.place(
        visit.chat.id,
        inbound.message_id,
        topic=inbound.chat.thread_id,
        reply_to=inbound.reply_to_message_id,
        at=inbound.received_at,
        gap=THREAD_GAP,
    )


def may_speak(thread: GroupThread | None, now: datetime) -> bool:
    """The bot has not posted in this thread in the last hour."""
    if thread is None or thread.last_public_at is None:
        return True
    return now - thread.last_public_at >= QUIET_HOUR


async def spoken(office: Office, thread: GroupThread | None, now: datetime) -> None:
    """Remember that the bot posted in this thread now."""
    if thread is not None:
        await office.records.threads.spoke(thread.id, now)
