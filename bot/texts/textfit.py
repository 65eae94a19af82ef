"""Fit texts within Telegram's limits, which count UTF-16 code units (DESIGN.md §7)."""

from __future__ import annotations

from telegram.constants import MessageLimit

TEXT_LIMIT = int(MessageLimit.MAX_TEXT_LENGTH)
CAPTION_LIMIT = int(MessageLimit.CAPTION_LENGTH)
ELLIPSIS = "…"


def utf16_len(text: str) -> int:
    # surrogatepass: a lone surrogate (malformed input) counts as one unit, not a crash
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _cut(text: str, units: int) -> str:
    """Longest prefix of ``text`` within ``units`` UTF-16 units, never splitting a pair."""
    out = []
    used = 0
    for ch in text:
        size = 2 if ord(ch) > 0xFFFF else 1
        if used + size > units:
            break
        out.append(ch)
        used += size
    return "".join(out)


def shorten(text: str, units: int) -> str:
    """Shorten ``text`` to ``units`` UTF-16 units, marking the cut with an ellipsis."""
    if utf16_len(text) <= units:
        return text
    if units <= 0:
        return ""
    return _cut(text, units - 1) + ELLIPSIS


def split(text: str, units: int) -> list[str]:
    """Split ``text`` into pieces of at most ``units`` UTF-16 units, preferring line breaks."""
    pieces: list[str] = []
    rest = text
    while utf16_len(rest) > units:
        head = _cut(rest, units)
        if not head:  # not even one character fits: a caller's mistake, not an endless loop
            raise ValueError(f"cannot split into pieces of {units} UTF-16 units")
        cut = head.rfind("\n")
        if cut > len(head) // 2:
            head = head[: cut + 1]
        pieces.append(head)
        rest = rest[len(head) :]
    if rest or not pieces:
        pieces.append(rest)
    return pieces
