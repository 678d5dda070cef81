"""Old home of the world and the update builders; now ``fake_telegram.world`` and
``fake_telegram.builders``."""

from helpbot.testing.fake_telegram.errors import ApiError
from helpbot.testing.fake_telegram.media import document_json
from helpbot.testing.fake_telegram.methods.messages import CONTENT_KEYS
from helpbot.testing.fake_telegram.world import forum_topic_json

__all__ = ["CONTENT_KEYS", "ApiError", "document_json", "forum_topic_json"]
