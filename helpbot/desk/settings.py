"""How the desk is set up, fixed once at start-up (serve.build_desk): who the bot is,
which chat is the staff room, who is staff, and how the community groups are run."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time

from helpbot.desk.events import ChatRef


@dataclass(frozen=True, slots=True)
class CommunitySettings:
    """How the community groups are run (3.5-3.11); from HELPBOT_* settings (config.py)."""

    join_answer_minutes: int = 60  # to answer the questions and accept the rules
    new_member_days: int = 7  # links and mass mentions from newer members are held
    mass_mention_limit: int = 5
    flood_messages: int = 6  # more than this many ...
    flood_seconds: int = 10  # ... in this many seconds is flooding
    flood_pause_minutes: int = 5
    argument_window_minutes: int = 10  # an exchange counts while replies keep coming
    argument_quiet_minutes: int = 60  # an ended discussion stays ended until quiet this long
    argument_cooldown_minutes: int = 0  # 0: don't pause those involved
    argument_cooldown_group_ids: tuple[str, ...] = ()  # empty: every group (if minutes > 0)
    private_hostile_limit: int = 2  # hostile messages in an hour before a private chat is ended
    private_cooldown_minutes: int = 60
    warnings_before_removal: int = 3  # 0: never propose a removal

    def cooldown_for(self, group_id: str) -> int:
        if self.argument_cooldown_minutes <= 0:
            return 0
        groups = self.argument_cooldown_group_ids
        return self.argument_cooldown_minutes if not groups or group_id in groups else 0


@dataclass(frozen=True, slots=True)
class DeskSettings:
    bot_username: str | None = None  # for t.me deep links from groups
    staff_chat: ChatRef | None = None  # the staff group with one forum topic per case
    staff_user_ids: tuple[str, ...] = ()  # empty: nobody is staff (a safe default)
    # Team leads in the staff group (console leads are vouched for by the console):
    # they may hand on or take over a case another colleague has claimed.
    staff_lead_ids: tuple[str, ...] = ()
    community: CommunitySettings = field(default_factory=CommunitySettings)
    web_new_cases_per_hour: int = 3  # per address, for anonymous web chat visitors
    private_flood_messages: int = 20  # a minute, in a private chat (0: no limit)
    # The most a complaint stage's response date may be moved, in working days, in all
    # (Complaint Handling Code 2024: no more than 10 at stage 1, 20 at stage 2).
    extension_working_days: int = 10
    stage2_extension_working_days: int = 20

    def extension_limit(self, stage: int) -> int:
        return self.stage2_extension_working_days if stage >= 2 else self.extension_working_days

    # Opening and closing time on working days (UK time); None: not known, never claimed.
    office_hours: tuple[time, time] | None = None
    out_of_hours_phone: str = "01278 444344"  # said when the office is closed or unseen

    @property
    def staff_room(self) -> bool:
        return self.staff_chat is not None
