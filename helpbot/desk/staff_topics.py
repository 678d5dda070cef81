"""The fixed topics of the staff group, beside one topic per case. The sender makes each
the first time a notice needs it (docs/community-groups.md: don't rename them)."""

from __future__ import annotations

JOIN_TOPIC = "Join requests"  # 3.5, 3.6
MODERATION_TOPIC = "Moderation"  # 3.7, 3.10
HELD_TOPIC = "Held for review"  # 3.7: new members' links and mass mentions
WEB_CHAT_TOPIC = "Web chat"  # the identity check paused for everyone (someone guessing)
