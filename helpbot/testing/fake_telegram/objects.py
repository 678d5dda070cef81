"""Bot API object shapes for the fake Telegram server.

Each function returns the JSON object exactly as https://core.telegram.org/bots/api
documents it (required fields always present, optional ones omitted when unset), so
python-telegram-bot parses them with no ``api_kwargs`` left over and the same bot code
runs against real Telegram.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from typing import Any, Literal

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

JSON = dict[str, Any]

#: The six colours createForumTopic accepts (Bot API, createForumTopic.icon_color).
FORUM_ICON_COLORS: tuple[int, ...] = (7322096, 16766590, 13338331, 9367192, 16749490, 16478047)

#: Statuses exactly as the API spells them (ChatMember*.status).
CHAT_MEMBER_STATUSES = ("creator", "administrator", "member", "restricted", "left", "kicked")
_STATUS_ALIASES = {"owner": "creator", "admin": "administrator", "banned": "kicked"}

Status = Literal["creator", "administrator", "member", "restricted", "left", "kicked"]

#: ChatMemberAdministrator's required rights plus the supergroup ones; the bot's defaults.
ADMIN_RIGHTS: dict[str, bool] = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": True,
    "can_edit_stories": True,
    "can_delete_stories": True,
    "can_pin_messages": True,
    "can_manage_topics": True,
}

#: ChatMemberRestricted's permission flags (all required in the object).
RESTRICTED_PERMISSIONS: tuple[str, ...] = (
    "can_send_messages",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
    "can_react_to_messages",
    "can_edit_tag",
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
    "can_manage_topics",
)


def normalise_status(status: str) -> Status:
    """Accept friendly aliases ("owner", "admin", "banned") but store the API spelling."""
    value = _STATUS_ALIASES.get(status, status)
    if value not in CHAT_MEMBER_STATUSES:
        raise ValueError(f"unknown chat member status {status!r}; use {CHAT_MEMBER_STATUSES}")
    return value  # type: ignore[return-value]


@dataclass
class FakeUser:
    """A Telegram user a test plays; ``to_dict()`` is the Bot API ``User`` object."""

    id: int
    first_name: str
    username: str | None = None
    last_name: str | None = None
    language_code: str | None = "en"
    is_bot: bool = False

    def to_dict(self) -> JSON:
        user: JSON = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code and not self.is_bot:
            user["language_code"] = self.language_code
        return user

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name


@dataclass
class FakeChat:
    """A chat the fake knows; ``to_dict()`` is the short Bot API ``Chat`` object."""

    id: int
    type: Literal["private", "group", "supergroup", "channel"]
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    is_forum: bool = False

    def to_dict(self) -> JSON:
        chat: JSON = {"id": self.id, "type": self.type}
        for key in ("title", "username", "first_name", "last_name"):
            value = getattr(self, key)
            if value:
                chat[key] = value
        if self.is_forum:
            chat["is_forum"] = True
        return chat

    @property
    def is_private(self) -> bool:
        return self.type == "private"

    @classmethod
    def private(cls, user: FakeUser) -> FakeChat:
        return cls(
            id=user.id,
            type="private",
            username=user.username,
            first_name=user.first_name,
            last_name=user.last_name,
        )


@dataclass
class MemberState:
    """What the fake tracks about one user in one group (drives getChatMember)."""

    status: Status
    until_date: int = 0
    custom_title: str | None = None
    permissions: dict[str, bool] = field(default_factory=dict)
    rights: dict[str, bool] = field(default_factory=dict)
    is_member: bool = True


def chat_member_json(user: JSON, state: MemberState) -> JSON:
    """The ChatMember* object for ``state`` (Owner/Administrator/Member/Restricted/Left/Banned)."""
    status = state.status
    member: JSON = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
        if state.custom_title:
            member["custom_title"] = state.custom_title
    elif status == "administrator":
        member.update(ADMIN_RIGHTS)
        member.update(state.rights)
        if state.custom_title:
            member["custom_title"] = state.custom_title
    elif status == "member":
        if state.until_date:
            member["until_date"] = state.until_date
    elif status == "restricted":
        member["is_member"] = state.is_member
        for flag in RESTRICTED_PERMISSIONS:
            member[flag] = bool(state.permissions.get(flag, False))
        member["until_date"] = state.until_date
    elif status == "kicked":
        member["until_date"] = state.until_date
    return member


_file_counter = itertools.count(1)


@dataclass
class FakeFile:
    """A file Telegram would hold: file_id for reuse, bytes for getFile downloads."""

    kind: str  # "photos", "documents", "voice", "stickers", ... (the file_path folder)
    content: bytes
    extension: str = "bin"
    file_name: str | None = None
    mime_type: str | None = None
    file_id: str = ""
    file_unique_id: str = ""
    file_path: str = ""

    def __post_init__(self) -> None:
        number = next(_file_counter)
        digest = hashlib.sha1(f"{self.kind}:{number}".encode()).hexdigest()
        prefix = {"photos": "AgACAgQAAxkBAAI", "stickers": "CAACAgIAAxkBAAI"}.get(
            self.kind, "BQACAgQAAxkBAAI"
        )
        if not self.file_id:
            self.file_id = f"{prefix}{number:06d}{digest[:24]}"
        if not self.file_unique_id:
            self.file_unique_id = f"AQAD{digest[24:36]}"
        if not self.file_path:
            self.file_path = f"{self.kind}/file_{number}.{self.extension}"

    @property
    def size(self) -> int:
        return len(self.content)

    def file_json(self) -> JSON:
        """The ``File`` object getFile returns."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
            "file_path": self.file_path,
        }

    def photo_size(self, width: int, height: int) -> JSON:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
            "width": width,
            "height": height,
        }
