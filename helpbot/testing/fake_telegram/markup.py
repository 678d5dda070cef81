"""Telegram's parse modes (HTML, MarkdownV2, Markdown), parsed as the server parses them.

The result is plain text plus entities with UTF-16 offsets; markup Telegram rejects
(an unescaped ``<`` or ``.`` from tenant text, a ``<br>``) raises EntityParseError
with the description Telegram gives, byte offset included.
"""

from __future__ import annotations

import html
import re
from typing import Any

__all__ = [
    "EntityParseError",
    "TextRejected",
    "parse_html",
    "parse_markdown",
    "parse_markdown_v2",
    "utf16_len",
]

Entity = dict[str, Any]

_PARSE_ERROR_PREFIX = "Bad Request: can't parse entities: "


class TextRejected(ValueError):
    """Text the Telegram server would reject; ``str(error)`` is the API description."""


class EntityParseError(TextRejected):
    """Malformed markup: Telegram answers 400 "can't parse entities: ..."."""

    def __init__(self, detail: str) -> None:
        super().__init__(_PARSE_ERROR_PREFIX + detail)


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of every Bot API entity offset."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


# --- HTML -------------------------------------------------------------------------------

_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
}
_HTML_TAGS = {*_SIMPLE_TAGS, "span", "a", "code", "pre", "blockquote", "tg-emoji"}
_TAG_NAME_RE = re.compile(r"[A-Za-z0-9-]*")
_ATTR_RE = re.compile(r"\s*([A-Za-z-]+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>\"']+))?")
_CHAR_REF_RE = re.compile(r"&(#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|lt|gt|amp|quot);")


def parse_html(src: str) -> tuple[str, list[Entity]]:
    out: list[str] = []
    pos16 = 0
    entities: list[Entity] = []
    # (tag, entity-or-None, start offset, byte offset of the tag)
    stack: list[tuple[str, Entity | None, int, int]] = []
    i = 0
    n = len(src)

    def emit(chunk: str) -> None:
        nonlocal pos16
        out.append(chunk)
        pos16 += utf16_len(chunk)

    while i < n:
        char = src[i]
        if char == "&":
            ref = _CHAR_REF_RE.match(src, i)
            if ref:
                emit(html.unescape(ref.group(0)))
                i = ref.end()
            else:
                emit("&")
                i += 1
            continue
        if char != "<":
            emit(char)
            i += 1
            continue
        at = _byte_offset(src, i)
        if src.startswith("</", i):
            close = src.find(">", i)
            if close < 0:
                raise EntityParseError(f"Unclosed end tag at byte offset {at}")
            name = src[i + 2 : close].strip().lower()
            if not stack:
                raise EntityParseError(f"Unexpected end tag at byte offset {at}")
            tag, entity, start, _ = stack.pop()
            if name != tag:
                raise EntityParseError(
                    f'Unmatched end tag at byte offset {at}, expected "</{tag}>", found "</{name}>"'
                )
            if entity is not None:
                length = pos16 - start
                if tag == "code" and stack and stack[-1][0] == "pre" and entity.get("language"):
                    pre = stack[-1][1]
                    if pre is not None:
                        pre["language"] = entity["language"]
                elif length > 0:
                    if entity["type"] == "code":
                        entity = {"type": "code"}  # a language belongs to <pre> only
                    entities.append({**entity, "offset": start, "length": length})
            i = close + 1
            continue
        name_match = _TAG_NAME_RE.match(src, i + 1)
        assert name_match is not None
        name = name_match.group(0).lower()
        if name not in _HTML_TAGS:
            raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {at}')
        j = name_match.end()
        attrs: dict[str, str] = {}
        while True:
            attr = _ATTR_RE.match(src, j)
            if not attr or not attr.group(0).strip():
                break
            value = attr.group(2) or ""
            if value[:1] in "\"'":
                value = value[1:-1]
            attrs[attr.group(1).lower()] = html.unescape(value)
            j = attr.end()
        while j < n and src[j].isspace():
            j += 1
        if j >= n or src[j] != ">":
            raise EntityParseError(f"Unclosed start tag at byte offset {at}")
        stack.append((name, _html_entity(name, attrs, at), pos16, at))
        i = j + 1
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return "".join(out), entities


def _html_entity(name: str, attrs: dict[str, str], at: int) -> Entity | None:
    if name in _SIMPLE_TAGS:
        return {"type": _SIMPLE_TAGS[name]}
    if name == "span":
        if attrs.get("class") != "tg-spoiler":
            raise EntityParseError('Tag "span" must have class "tg-spoiler"')
        return {"type": "spoiler"}
    if name == "a":
        href = attrs.get("href", "")
        return {"type": "text_link", "url": href} if href else None
    if name == "code":
        cls = attrs.get("class", "")
        entity: Entity = {"type": "code"}
        if cls.startswith("language-"):
            entity["language"] = cls.removeprefix("language-")
        return entity
    if name == "pre":
        return {"type": "pre"}
    if name == "blockquote":
        return {"type": "expandable_blockquote" if "expandable" in attrs else "blockquote"}
    if name == "tg-emoji":
        emoji_id = attrs.get("emoji-id")
        if not emoji_id:
            raise EntityParseError(f'Tag "tg-emoji" must have attribute "emoji-id" ({at})')
        return {"type": "custom_emoji", "custom_emoji_id": emoji_id}
    return None


# --- MarkdownV2 -------------------------------------------------------------------------

_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MDV2_NAMES = {
    "*": "Bold",
    "_": "Italic",
    "__": "Underline",
    "~": "Strikethrough",
    "||": "Spoiler",
    "[": "TextUrl",
}
_MDV2_TYPES = {
    "*": "bold",
    "_": "italic",
    "__": "underline",
    "~": "strikethrough",
    "||": "spoiler",
}


def parse_markdown_v2(src: str) -> tuple[str, list[Entity]]:
    out: list[str] = []
    pos16 = 0
    entities: list[Entity] = []
    stack: list[tuple[str, int, int]] = []  # (delimiter, start offset, byte offset)
    i = 0
    n = len(src)
    at_line_start = True
    quote_start: int | None = None

    def emit(chunk: str) -> None:
        nonlocal pos16
        out.append(chunk)
        pos16 += utf16_len(chunk)

    def reserved(char: str) -> EntityParseError:
        return EntityParseError(
            f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
        )

    while i < n:
        char = src[i]
        line_start, at_line_start = at_line_start, False
        if char == "\n":
            if quote_start is not None and not src.startswith(">", i + 1):
                entities.append(
                    {"type": "blockquote", "offset": quote_start, "length": pos16 - quote_start}
                )
                quote_start = None
            emit(char)
            i += 1
            at_line_start = True
            continue
        if char == "\\":
            if i + 1 < n and 0 < ord(src[i + 1]) < 127:
                emit(src[i + 1])
                i += 2
                continue
            raise reserved("\\")
        if char == ">" and line_start:
            if quote_start is None:
                quote_start = pos16
            i += 1
            continue
        if char == "`":
            at = _byte_offset(src, i)
            fence = "```" if src.startswith("```", i) else "`"
            j = i + len(fence)
            language = ""
            if fence == "```":
                newline = src.find("\n", j)
                first = src[j:newline] if newline >= 0 else ""
                if newline >= 0 and first and " " not in first and "`" not in first:
                    language = first
                    j = newline + 1
            body: list[str] = []
            while j < n and not src.startswith(fence, j):
                if src[j] == "\\" and j + 1 < n and src[j + 1] in "`\\":
                    body.append(src[j + 1])
                    j += 2
                    continue
                body.append(src[j])
                j += 1
            if j >= n:
                kind = "Pre" if fence == "```" else "Code"
                raise EntityParseError(f"Can't find end of {kind} entity at byte offset {at}")
            text = "".join(body)
            start = pos16
            emit(text)
            if text:
                entity: Entity = {
                    "type": "pre" if fence == "```" else "code",
                    "offset": start,
                    "length": pos16 - start,
                }
                if language:
                    entity["language"] = language
                entities.append(entity)
            i = j + len(fence)
            continue
        if char == "]":
            if not stack or stack[-1][0] != "[":
                raise reserved("]")
            _, start, at = stack.pop()
            if not src.startswith("(", i + 1):
                raise EntityParseError(f"Can't find end of TextUrl entity at byte offset {at}")
            close = src.find(")", i + 2)
            if close < 0:
                raise EntityParseError(f"Can't find end of a URL at byte offset {at}")
            url = src[i + 2 : close].replace("\\)", ")").replace("\\\\", "\\")
            if pos16 > start and url:
                entities.append(
                    {"type": "text_link", "offset": start, "length": pos16 - start, "url": url}
                )
            i = close + 1
            continue
        delim = ""
        if src.startswith("__", i):
            delim = "__"
        elif src.startswith("||", i):
            delim = "||"
        elif char in "*_~[":
            delim = char
        if delim:
            if stack and stack[-1][0] == delim and delim != "[":
                _, start, _at = stack.pop()
                if pos16 > start:
                    entities.append(
                        {"type": _MDV2_TYPES[delim], "offset": start, "length": pos16 - start}
                    )
            else:
                stack.append((delim, pos16, _byte_offset(src, i)))
            i += len(delim)
            continue
        if char in _MDV2_RESERVED:
            raise reserved(char)
        emit(char)
        i += 1
    if stack:
        delim, _, at = stack[-1]
        raise EntityParseError(f"Can't find end of {_MDV2_NAMES[delim]} entity at byte offset {at}")
    if quote_start is not None and pos16 > quote_start:
        entities.append(
            {"type": "blockquote", "offset": quote_start, "length": pos16 - quote_start}
        )
    return "".join(out), entities


# --- legacy Markdown --------------------------------------------------------------------

_MD_TYPES = {"*": "bold", "_": "italic"}


def parse_markdown(src: str) -> tuple[str, list[Entity]]:
    out: list[str] = []
    pos16 = 0
    entities: list[Entity] = []
    i = 0
    n = len(src)

    def emit(chunk: str) -> None:
        nonlocal pos16
        out.append(chunk)
        pos16 += utf16_len(chunk)

    def unclosed(index: int) -> EntityParseError:
        return EntityParseError(
            f"Can't find end of the entity starting at byte offset {_byte_offset(src, index)}"
        )

    while i < n:
        char = src[i]
        if char == "\\" and i + 1 < n and src[i + 1] in "_*`[":
            emit(src[i + 1])
            i += 2
            continue
        if char in _MD_TYPES:
            close = src.find(char, i + 1)
            if close < 0:
                raise unclosed(i)
            start = pos16
            emit(src[i + 1 : close])
            if pos16 > start:
                entities.append({"type": _MD_TYPES[char], "offset": start, "length": pos16 - start})
            i = close + 1
            continue
        if char == "`":
            fence = "```" if src.startswith("```", i) else "`"
            close = src.find(fence, i + len(fence))
            if close < 0:
                raise unclosed(i)
            start = pos16
            emit(src[i + len(fence) : close])
            if pos16 > start:
                kind = "pre" if fence == "```" else "code"
                entities.append({"type": kind, "offset": start, "length": pos16 - start})
            i = close + len(fence)
            continue
        if char == "[":
            close = src.find("]", i + 1)
            if close < 0 or not src.startswith("(", close + 1) or src.find(")", close) < 0:
                raise unclosed(i)
            end = src.find(")", close)
            start = pos16
            emit(src[i + 1 : close])
            if pos16 > start:
                entities.append(
                    {
                        "type": "text_link",
                        "offset": start,
                        "length": pos16 - start,
                        "url": src[close + 2 : end],
                    }
                )
            i = end + 1
            continue
        emit(char)
        i += 1
    return "".join(out), entities
