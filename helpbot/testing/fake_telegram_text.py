"""Old home of the server-side text handling; it lives in ``fake_telegram.text`` now."""

from helpbot.testing.fake_telegram.text import (
    EntityParseError,
    TextRejected,
    detect_entities,
    format_text,
    utf16_len,
)

__all__ = ["EntityParseError", "TextRejected", "detect_entities", "format_text", "utf16_len"]
