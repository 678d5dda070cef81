"""Forum topics: the staff group's case threads.

Each change posts the service message Telegram posts (forum_topic_edited / closed /
reopened) in the topic, and only an admin bot with can_manage_topics may make it.
"""

from __future__ import annotations

from typing import Any

from helpbot.testing.fake_telegram.errors import THREAD_NOT_FOUND, ApiError
from helpbot.testing.fake_telegram.objects import FORUM_ICON_COLORS, FakeChat
from helpbot.testing.fake_telegram.params import Handler, int_param, required, required_int
from helpbot.testing.fake_telegram.world import World

__all__ = ["ForumTopics"]

JSON = dict[str, Any]
_NOT_MODIFIED = "Bad Request: TOPIC_NOT_MODIFIED"


class ForumTopics:
    def __init__(self, world: World) -> None:
        self.world = world

    def table(self) -> dict[str, Handler]:
        return {
            "createForumTopic": self.create_forum_topic,
            "editForumTopic": self.edit_forum_topic,
            "closeForumTopic": self.close_forum_topic,
            "reopenForumTopic": self.reopen_forum_topic,
            "deleteForumTopic": self.delete_forum_topic,
            "unpinAllForumTopicMessages": lambda params: True,
        }

    def create_forum_topic(self, params: JSON) -> JSON:
        chat = self._forum(params)
        name = str(required(params, "name"))
        if len(name) > 128:
            raise ApiError(400, "Bad Request: TOPIC_TITLE_INVALID")
        color = int_param(params, "icon_color", FORUM_ICON_COLORS[0])
        if color not in FORUM_ICON_COLORS:
            raise ApiError(400, "Bad Request: TOPIC_ICON_COLOR_INVALID")
        emoji = params.get("icon_custom_emoji_id") or None
        bot = self.world.bot_user
        return self.world.create_topic(chat, name, color or FORUM_ICON_COLORS[0], emoji, bot)

    def edit_forum_topic(self, params: JSON) -> bool:
        chat, topic = self._existing_topic(params)
        edited: JSON = {}
        if params.get("name") and params["name"] != topic["name"]:
            edited["name"] = str(params["name"])
        emoji = params.get("icon_custom_emoji_id")
        if emoji is not None and emoji != topic.get("icon_custom_emoji_id", ""):
            edited["icon_custom_emoji_id"] = str(emoji)
        if not edited:
            raise ApiError(400, _NOT_MODIFIED)
        topic.update(edited)
        if not topic.get("icon_custom_emoji_id"):
            topic.pop("icon_custom_emoji_id", None)
        self._service_message(chat, topic["message_thread_id"], {"forum_topic_edited": edited})
        return True

    def close_forum_topic(self, params: JSON) -> bool:
        chat, topic = self._existing_topic(params)
        if topic["closed"]:
            raise ApiError(400, _NOT_MODIFIED)
        self._service_message(chat, topic["message_thread_id"], {"forum_topic_closed": {}})
        topic["closed"] = True
        return True

    def reopen_forum_topic(self, params: JSON) -> bool:
        chat, topic = self._existing_topic(params)
        if not topic["closed"]:
            raise ApiError(400, _NOT_MODIFIED)
        topic["closed"] = False
        self._service_message(chat, topic["message_thread_id"], {"forum_topic_reopened": {}})
        return True

    def delete_forum_topic(self, params: JSON) -> bool:
        chat, topic = self._existing_topic(params)
        self.world.delete_topic_by_hand(chat.id, topic["message_thread_id"])
        return True

    def _forum(self, params: JSON) -> FakeChat:
        chat = self.world.find_chat(required(params, "chat_id"))
        if not chat.is_forum:
            raise ApiError(400, "Bad Request: the chat is not a forum")
        state = self.world.members.get(chat.id, {}).get(self.world.bot_user["id"])
        if (
            state is None
            or state.status not in ("administrator", "creator")
            or (state.status == "administrator" and state.rights.get("can_manage_topics") is False)
        ):
            raise ApiError(400, "Bad Request: not enough rights to manage topics")
        return chat

    def _existing_topic(self, params: JSON) -> tuple[FakeChat, JSON]:
        chat = self._forum(params)
        thread_id = required_int(params, "message_thread_id")
        topic = self.world.topics.get(chat.id, {}).get(thread_id)
        if topic is None:
            raise ApiError(400, THREAD_NOT_FOUND)
        return chat, topic

    def _service_message(self, chat: FakeChat, thread_id: int, payload: JSON) -> None:
        self.world.new_message(chat, self.world.bot_user, payload, thread_id=thread_id)
