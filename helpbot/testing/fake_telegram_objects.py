"""Old home of the Bot API object shapes; they live in ``fake_telegram.objects`` now."""

from helpbot.testing.fake_telegram.objects import (
    ADMIN_RIGHTS,
    CHAT_MEMBER_STATUSES,
    FORUM_ICON_COLORS,
    RESTRICTED_PERMISSIONS,
    FakeChat,
    FakeFile,
    FakeUser,
    MemberState,
    chat_member_json,
    normalise_status,
)

__all__ = [
    "ADMIN_RIGHTS",
    "CHAT_MEMBER_STATUSES",
    "FORUM_ICON_COLORS",
    "RESTRICTED_PERMISSIONS",
    "FakeChat",
    "FakeFile",
    "FakeUser",
    "MemberState",
    "chat_member_json",
    "normalise_status",
]
