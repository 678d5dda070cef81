"""The bot's own settings: getMe, its commands, name and descriptions, and the calls a
bot makes that change nothing the fake tracks (pins, reactions, menu button)."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from helpbot.testing.fake_telegram.errors import ApiError
from helpbot.testing.fake_telegram.params import Handler
from helpbot.testing.fake_telegram.world import World

__all__ = ["BotSettings"]

JSON = dict[str, Any]


def _ack(params: JSON) -> bool:
    return True


class BotSettings:
    def __init__(self, world: World) -> None:
        self.world = world
        #: (scope JSON, language_code) -> the commands set for it.
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.bot_profile: dict[str, str] = {"name": world.bot_user["first_name"]}

    def table(self) -> dict[str, Handler]:
        return {
            "getMe": self.get_me,
            "logOut": _ack,
            "close": _ack,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "setMyName": self._profile_setter("name"),
            "getMyName": self._profile_getter("name"),
            "setMyDescription": self._profile_setter("description"),
            "getMyDescription": self._profile_getter("description"),
            "setMyShortDescription": self._profile_setter("short_description"),
            "getMyShortDescription": self._profile_getter("short_description"),
            "setChatMenuButton": _ack,
            "getChatMenuButton": lambda params: {"type": "commands"},
            "setMyDefaultAdministratorRights": _ack,
            "pinChatMessage": _ack,
            "unpinChatMessage": _ack,
            "unpinAllChatMessages": _ack,
            "setMessageReaction": _ack,
        }

    def get_me(self, params: JSON) -> JSON:
        return {
            **self.world.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def set_my_commands(self, params: JSON) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: commands is empty")
        cleaned = []
        for command in commands:
            name = str(command.get("command", "")) if isinstance(command, dict) else ""
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            description = str(command.get("description", ""))
            if not 1 <= len(description) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": name, "description": description})
        self.commands[_scope_key(params)] = cleaned
        return True

    def get_my_commands(self, params: JSON) -> list[JSON]:
        return copy.deepcopy(self.commands.get(_scope_key(params), []))

    def delete_my_commands(self, params: JSON) -> bool:
        self.commands.pop(_scope_key(params), None)
        return True

    def _profile_setter(self, key: str) -> Handler:
        def handler(params: JSON) -> bool:
            self.bot_profile[key] = str(params.get(key) or "")
            return True

        return handler

    def _profile_getter(self, key: str) -> Handler:
        return lambda params: {key: self.bot_profile.get(key, "")}


def _scope_key(params: JSON) -> tuple[str, str]:
    scope = params.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")
