"""What erasing a tenant's personal data (UK GDPR art. 17, the console's Erase) takes out
of the staff group: the store blanks our own copies, but the case topics and posts in
the Telegram group still hold the tenant's words, name and photos. Each case's topic
goes with everything in it; a post in the group's main chat (a group without Topics)
goes on its own."""

from __future__ import annotations

from collections.abc import Sequence

from helpbot.desk.actions import Action, DeleteMessage, RemoveStaffTopic
from helpbot.desk.office import Office


def out_of_staff_room(
    office: Office, topics: Sequence[tuple[int, int]], posts: Sequence[str]
) -> list[Action]:
    """``topics``: (case id, topic id) of the erased tenant's cases; ``posts``: ids of
    their cases' posts in the group's main chat."""
    staff_chat = office.settings.staff_chat
    if staff_chat is None:
        return []
    removals: list[Action] = [RemoveStaffTopic(case, thread) for case, thread in topics]
    return removals + [DeleteMessage(staff_chat, post) for post in posts]
