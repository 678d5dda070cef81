"""What every feature router works with: the record ports, understanding, wording, the
group rules and the desk's settings. Data and ports only, no policy: routers never call
each other through it, they import the functions they use."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from helpbot.desk.actions import Button
from helpbot.desk.arrivals import Arrivals
from helpbot.desk.group_rules import GroupRules
from helpbot.desk.ports import (
    Cases,
    Clock,
    Members,
    ModerationRecord,
    People,
    Records,
    TenancyRegister,
    Understanding,
)
from helpbot.desk.records import Person
from helpbot.desk.settings import DeskSettings
from helpbot.desk.wording import Wording


@dataclass(slots=True)
class Office:
    records: Records
    understanding: Understanding
    say: Wording
    rules: GroupRules
    settings: DeskSettings  # replaced whole (the test harness does), never changed in place
    # This process's first look at how fast each private chat is writing (arrivals.py).
    arrivals: Arrivals = field(default_factory=Arrivals)

    @property
    def people(self) -> People:
        return self.records.people

    @property
    def cases(self) -> Cases:
        return self.records.cases

    @property
    def members(self) -> Members:
        return self.records.members

    @property
    def moderation_log(self) -> ModerationRecord:
        return self.records.moderation

    @property
    def register(self) -> TenancyRegister:
        return self.records.register

    @property
    def clock(self) -> Clock:
        return self.records.clock

    async def audit(
        self,
        actor: str,
        action: str,
        subject: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        await self.records.audit.audit(actor, action, subject, detail)

    def is_colleague(self, person: Person) -> bool:
        """A colleague anywhere (e.g. moderating a community group): someone on the staff
        list. An empty list means nobody: being in the staff group is not enough, since
        anyone an admin once added there would otherwise moderate every group."""
        staff_chat = self.settings.staff_chat
        if staff_chat is None or person.channel != staff_chat.channel:
            return False
        return person.external_id in self.settings.staff_user_ids

    def private_link(self, start: str = "") -> tuple[tuple[Button, ...], ...]:
        """A button that opens the tenant's private chat with the bot (a deep link)."""
        if not self.settings.bot_username:
            return ()
        url = f"https://t.me/{self.settings.bot_username}"
        if start:
            url += f"?start={start}"
        return ((Button(self.say("group", "move_private_button"), url=url),),)
