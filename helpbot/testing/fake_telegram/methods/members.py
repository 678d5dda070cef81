"""Members and chat administration: join requests, bans, restrictions, chat lookups.

Telegram's protections are enforced (the owner can't be removed, admins can't be
banned or restricted, restrictions only in supergroups), and a restriction as
permissive as the chat's defaults lifts the restriction, as on Telegram.
"""

from __future__ import annotations

import itertools
from typing import Any

from helpbot.testing.fake_telegram.errors import ApiError
from helpbot.testing.fake_telegram.objects import (
    RESTRICTED_PERMISSIONS,
    FakeChat,
    MemberState,
    chat_member_json,
)
from helpbot.testing.fake_telegram.params import Handler, int_param, required, required_int
from helpbot.testing.fake_telegram.world import World

__all__ = ["DEFAULT_CHAT_PERMISSIONS", "Members"]

JSON = dict[str, Any]

DEFAULT_CHAT_PERMISSIONS: dict[str, bool] = {
    "can_send_messages": True,
    "can_send_audios": True,
    "can_send_documents": True,
    "can_send_photos": True,
    "can_send_videos": True,
    "can_send_video_notes": True,
    "can_send_voice_notes": True,
    "can_send_polls": True,
    "can_send_other_messages": True,
    "can_add_web_page_previews": True,
    "can_react_to_messages": True,
    "can_edit_tag": False,
    "can_change_info": False,
    "can_invite_users": True,
    "can_pin_messages": False,
    "can_manage_topics": False,
}
_NOT_PENDING = "Bad Request: HIDE_REQUESTER_MISSING"


class Members:
    def __init__(self, world: World) -> None:
        self.world = world
        self._invite_numbers = itertools.count(1)

    def table(self) -> dict[str, Handler]:
        return {
            "approveChatJoinRequest": self.approve_join_request,
            "declineChatJoinRequest": self.decline_join_request,
            "banChatMember": self.ban_chat_member,
            "unbanChatMember": self.unban_chat_member,
            "restrictChatMember": self.restrict_chat_member,
            "getChatMember": self.get_chat_member,
            "getChat": self.get_chat,
            "getChatAdministrators": self.get_chat_administrators,
            "getChatMemberCount": self.get_chat_member_count,
            "createChatInviteLink": self.create_chat_invite_link,
            "exportChatInviteLink": self.export_chat_invite_link,
            "leaveChat": lambda params: True,
        }

    # --- join requests --------------------------------------------------------------------

    def approve_join_request(self, params: JSON) -> bool:
        chat, user_id, state = self._group_and_user(params)
        requests = self.world.join_requests
        if requests.get((chat.id, user_id)) != "pending":
            raise ApiError(400, _NOT_PENDING)
        requests[(chat.id, user_id)] = "approved"
        if state.status in ("member", "administrator", "creator"):
            raise ApiError(400, "Bad Request: USER_ALREADY_PARTICIPANT")
        self._set_state(chat, user_id, MemberState("member"))
        return True

    def decline_join_request(self, params: JSON) -> bool:
        chat, user_id, _ = self._group_and_user(params)
        requests = self.world.join_requests
        if requests.get((chat.id, user_id)) != "pending":
            raise ApiError(400, _NOT_PENDING)
        requests[(chat.id, user_id)] = "declined"
        return True

    # --- bans and restrictions ------------------------------------------------------------

    def ban_chat_member(self, params: JSON) -> bool:
        chat, user_id, state = self._group_and_user(params)
        _protect_admins(state)
        until = int_param(params, "until_date", 0) or 0
        self._set_state(chat, user_id, MemberState("kicked", until_date=until, is_member=False))
        if params.get("revoke_messages"):
            for key, message in list(self.world.messages.items()):
                if key[0] == chat.id and message.get("from", {}).get("id") == user_id:
                    self.world.delete_message(key)
        return True

    def unban_chat_member(self, params: JSON) -> bool:
        chat, user_id, state = self._group_and_user(params)
        if params.get("only_if_banned") and state.status != "kicked":
            return True
        _protect_admins(state)
        # Without only_if_banned, Telegram also removes a current member from the chat.
        self._set_state(chat, user_id, MemberState("left", is_member=False))
        return True

    def restrict_chat_member(self, params: JSON) -> bool:
        chat, user_id, state = self._group_and_user(params)
        if chat.type != "supergroup":
            raise ApiError(400, "Bad Request: method is available only for supergroups")
        _protect_admins(state)
        permissions = params.get("permissions")
        if not isinstance(permissions, dict):
            raise ApiError(400, "Bad Request: permissions is empty")
        flags = {flag: bool(permissions.get(flag, False)) for flag in RESTRICTED_PERMISSIONS}
        is_member = state.status == "member" or (state.status == "restricted" and state.is_member)
        if all(flags[k] for k, default in DEFAULT_CHAT_PERMISSIONS.items() if default):
            # As permissive as the chat's defaults: the restriction is lifted.
            if state.status == "restricted":
                self._set_state(chat, user_id, MemberState("member" if is_member else "left"))
            return True
        until = int_param(params, "until_date", 0) or 0
        self._set_state(
            chat,
            user_id,
            MemberState("restricted", until_date=until, permissions=flags, is_member=is_member),
        )
        return True

    # --- lookups --------------------------------------------------------------------------

    def get_chat_member(self, params: JSON) -> JSON:
        chat = self.world.find_chat(required(params, "chat_id"))
        user_id = required_int(params, "user_id")
        user = self._user_json(user_id)
        if chat.is_private:
            if user_id not in (chat.id, self.world.bot_user["id"]):
                raise ApiError(400, "Bad Request: user not found")
            return chat_member_json(user, MemberState("member"))
        state = self.world.members.get(chat.id, {}).get(user_id) or MemberState("left")
        return chat_member_json(user, state)

    def get_chat(self, params: JSON) -> JSON:
        chat = self.world.find_chat(required(params, "chat_id"))
        info = chat.to_dict()
        info["accent_color_id"] = 0
        info["max_reaction_count"] = 11
        info["accepted_gift_types"] = {
            "unlimited_gifts": chat.is_private,
            "limited_gifts": chat.is_private,
            "unique_gifts": chat.is_private,
            "premium_subscription": chat.is_private,
            "gifts_from_channels": chat.is_private,
        }
        if not chat.is_private:
            info["permissions"] = dict(DEFAULT_CHAT_PERMISSIONS)
        return info

    def get_chat_administrators(self, params: JSON) -> list[JSON]:
        chat = self.world.find_chat(required(params, "chat_id"))
        if chat.is_private:
            raise ApiError(400, "Bad Request: there are no administrators in the private chat")
        admins = [
            (user_id, state)
            for user_id, state in self.world.members.get(chat.id, {}).items()
            if state.status in ("creator", "administrator")
        ]
        admins.sort(key=lambda item: item[1].status != "creator")
        return [chat_member_json(self._user_json(uid), state) for uid, state in admins]

    def get_chat_member_count(self, params: JSON) -> int:
        chat = self.world.find_chat(required(params, "chat_id"))
        if chat.is_private:
            return 2
        return sum(
            1
            for state in self.world.members.get(chat.id, {}).values()
            if state.status in ("creator", "administrator", "member")
            or (state.status == "restricted" and state.is_member)
        )

    def create_chat_invite_link(self, params: JSON) -> JSON:
        chat = self.world.find_chat(required(params, "chat_id"))
        number = next(self._invite_numbers)
        link: JSON = {
            "invite_link": f"https://t.me/+FAKE{abs(chat.id) % 10**6:06d}{number:04d}",
            "creator": dict(self.world.bot_user),
            "creates_join_request": bool(params.get("creates_join_request")),
            "is_primary": False,
            "is_revoked": False,
        }
        for key in ("name", "expire_date", "member_limit"):
            if params.get(key) is not None:
                link[key] = params[key]
        return link

    def export_chat_invite_link(self, params: JSON) -> str:
        chat = self.world.find_chat(required(params, "chat_id"))
        return f"https://t.me/+FAKEPRIMARY{abs(chat.id) % 10**6:06d}"

    # --- shared ---------------------------------------------------------------------------

    def _user_json(self, user_id: int) -> JSON:
        if user_id == self.world.bot_user["id"]:
            return dict(self.world.bot_user)
        user = self.world.users.get(user_id)
        if user is None:
            raise ApiError(400, "Bad Request: user not found")
        return user.to_dict()

    def _group_and_user(self, params: JSON) -> tuple[FakeChat, int, MemberState]:
        chat = self.world.find_chat(required(params, "chat_id"))
        user_id = required_int(params, "user_id")
        self._user_json(user_id)
        if chat.is_private:
            raise ApiError(
                400, "Bad Request: method is available for supergroup and channel chats only"
            )
        state = self.world.members.get(chat.id, {}).get(user_id) or MemberState("left")
        return chat, user_id, state

    def _set_state(self, chat: FakeChat, user_id: int, state: MemberState) -> None:
        self.world.members.setdefault(chat.id, {})[user_id] = state


def _protect_admins(state: MemberState) -> None:
    if state.status == "creator":
        raise ApiError(400, "Bad Request: can't remove chat owner")
    if state.status == "administrator":
        raise ApiError(400, "Bad Request: user is an administrator of the chat")
