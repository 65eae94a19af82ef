"""Telegram's HTML parse mode: turn marked-up text into plain text plus entities.

The bot formats messages with ``parse_mode="HTML"``; Telegram stores and returns the plain
text and a list of entities whose offsets are UTF-16 code units. Tests assert on that plain
text, and a message that real Telegram would refuse (unknown tag, bare ``<``, unbalanced
tags) must be refused here too, with the same "can't parse entities" wording, or the bug
only shows in production. A small regex tokenizer is used instead of ``html.parser``
because the latter silently tolerates exactly the mistakes we want to catch.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from sandbox.api import ApiError, bad_request, utf16_len

_TAG = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)"
    r"((?:\s+[a-zA-Z_:][-a-zA-Z0-9_:.]*(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'=<>`]+))?)*)"
    r"\s*/?>"
)
_ATTR = re.compile(r"([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s\"'=<>`]+))?")

_SIMPLE = {
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
    "code": "code",
    "pre": "pre",
}
_SUPPORTED = {*_SIMPLE, "a", "span", "blockquote", "tg-emoji"}


@dataclass
class _Open:
    tag: str
    kind: str | None
    offset: int
    extra: dict[str, Any] = field(default_factory=dict)


def _error(detail: str) -> ApiError:
    return bad_request(f"can't parse entities: {detail}")


def _attrs(raw: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, value in _ATTR.findall(raw):
        if value[:1] in ("'", '"'):
            value = value[1:-1]
        found[name.lower()] = html.unescape(value)
    return found


def _open_tag(tag: str, attrs: dict[str, str], offset: int, byte_at: int) -> _Open:
    if tag not in _SUPPORTED:
        raise _error(f'Unsupported start tag "{tag}" at byte offset {byte_at}')
    if tag in _SIMPLE:
        extra = {}
        if tag == "pre" and "language" in attrs:
            extra["language"] = attrs["language"]
        if tag == "code" and attrs.get("class", "").startswith("language-"):
            extra["language"] = attrs["class"][len("language-") :]
        return _Open(tag, _SIMPLE[tag], offset, extra)
    if tag == "span":
        if attrs.get("class") != "tg-spoiler":
            raise _error(f'Tag "span" must have class "tg-spoiler" at byte offset {byte_at}')
        return _Open(tag, "spoiler", offset)
    if tag == "blockquote":
        kind = "expandable_blockquote" if "expandable" in attrs else "blockquote"
        return _Open(tag, kind, offset)
    if tag == "tg-emoji":
        if "emoji-id" not in attrs:
            raise _error(f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {byte_at}')
        return _Open(tag, "custom_emoji", offset, {"custom_emoji_id": attrs["emoji-id"]})
    # <a>: without href Telegram keeps the text and makes no entity.
    href = attrs.get("href")
    return _Open(tag, "text_link" if href else None, offset, {"url": href} if href else {})


def _close(top: _Open, stack: list[_Open], end: int, out: list[dict[str, Any]]) -> None:
    if top.tag == "code" and stack and stack[-1].tag == "pre":
        # <pre><code class="language-x"> is one pre entity with a language, as in Telegram.
        if "language" in top.extra:
            stack[-1].extra["language"] = top.extra["language"]
        return
    if top.kind is None or end == top.offset:
        return
    entity: dict[str, Any] = {"type": top.kind, "offset": top.offset, "length": end - top.offset}
    entity.update(top.extra)
    out.append(entity)


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Return ``(plain_text, entities)`` for ``source`` or raise a 400 ``ApiError``."""
    pieces: list[str] = []
    length = 0  # UTF-16 units emitted so far
    stack: list[_Open] = []
    entities: list[dict[str, Any]] = []
    pos = 0
    while pos < len(source):
        lt = source.find("<", pos)
        chunk = source[pos:] if lt < 0 else source[pos:lt]
        if chunk:
            text = html.unescape(chunk)
            pieces.append(text)
            length += utf16_len(text)
        if lt < 0:
            break
        byte_at = len(source[:lt].encode("utf-8"))
        match = _TAG.match(source, lt)
        if match is None:
            raise _error(f"Unexpected end of name token at byte offset {byte_at}")
        closing, tag = match.group(1) == "/", match.group(2).lower()
        if closing:
            if not stack:
                raise _error(f"Unexpected end tag at byte offset {byte_at}")
            top = stack.pop()
            if top.tag != tag:
                raise _error(
                    f'Unmatched end tag at byte offset {byte_at}, expected "</{top.tag}>", '
                    f'found "</{tag}>"'
                )
            _close(top, stack, length, entities)
        else:
            stack.append(_open_tag(tag, _attrs(match.group(3)), length, byte_at))
        pos = match.end()
    if stack:
        raise _error(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(pieces), entities
