"""Old home of the Bot API methods; they live in ``fake_telegram.methods`` now, by area."""

from helpbot.testing.fake_telegram.errors import THREAD_NOT_FOUND
from helpbot.testing.fake_telegram.params import int_param

__all__ = ["THREAD_NOT_FOUND", "int_param"]
