"""Texts and keyboards as Bot API payloads, built from the catalog.

Pure functions of their arguments: no Update, no database. Messages are sent as plain
text (no parse mode), so what a worker wrote - ``<``, ``&``, Markdown, emoji, RTL marks -
arrives exactly as written. User text is shortened to fit Telegram's limits here; the
stored text is always whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.callbacks import Button, Verb
from bot.domain.kinds import Category, Kind
from bot.domain.lifecycle import State
from bot.i18n import N_, t
from bot.texts.textfit import CAPTION_LIMIT, TEXT_LIMIT, shorten, utf16_len

Payload = dict[str, Any]

KIND_LABELS = {
    Kind.EMERGENCY: N_("🚑 120 medical emergency"),
    Kind.TROUBLE: N_("🚓 110 trouble"),
    Kind.SERVICE: N_("📋 service request"),
}
CATEGORY_LABELS = {
    Category.REIMBURSEMENT: N_("Medical bill reimbursement"),
    Category.GEAR: N_("Protective gear"),
    Category.INSURANCE: N_("Insurance claim"),
    Category.POLICY: N_("Policy question"),
    Category.FAMILY: N_("Family difficulty"),
    Category.FACILITIES: N_("Broken facilities"),
    Category.OTHER: N_("Something else"),
}
STATE_LABELS = {
    State.OPEN: N_("waiting for a taker"),
    State.TAKEN: N_("being handled"),
    State.RESOLVED: N_("resolved, waiting for confirmation"),
    State.CLOSED: N_("closed"),
    State.CANCELLED: N_("withdrawn"),
}


def kind_label(lang: str, kind: Kind, category: Category | None) -> str:
    label = t(lang, KIND_LABELS[kind])
    if kind is Kind.SERVICE and category is not None:
        label += " · " + t(lang, CATEGORY_LABELS[category])
    return label


# Between names in a list: "、" in Chinese, ", " in English (a translator's choice).
NAME_SEPARATOR = N_(", ")


def names_list(lang: str, names: Iterable[str]) -> str:
    """Names as a list in the reader's language ("李强、钱卫东" / "李强, 钱卫东")."""
    return t(lang, NAME_SEPARATOR).join(names)


def state_label(lang: str, state: State) -> str:
    return t(lang, STATE_LABELS[state])


def age_text(lang: str, delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return t(lang, "just now")
    if minutes < 60:
        return t(lang, "{n} min", n=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return t(lang, "{h} h {m} min", h=hours, m=minutes)
    return t(lang, "{d} days", d=hours // 24)


def waited_text(lang: str, delta: timedelta) -> str:
    """How long something has waited, in seconds under a minute: a chain that escalates
    after 30 s must not say "1 min", and "nobody has taken it for just now" reads oddly."""
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return t(lang, "{n} s", n=max(seconds, 1))
    return age_text(lang, delta)


def clock_text(at: datetime, tz: ZoneInfo) -> str:
    return at.astimezone(tz).strftime("%m-%d %H:%M")


def text_message(text: str, buttons: list[list[tuple[str, Button]]] | None = None) -> Payload:
    """A sendMessage payload; the text is shortened to Telegram's limit if need be."""
    payload: Payload = {"text": shorten(text, TEXT_LIMIT)}
    if buttons is not None:
        payload["reply_markup"] = keyboard(buttons)
    return payload


def keyboard(rows: list[list[tuple[str, Button]]]) -> Payload:
    return {
        "inline_keyboard": [
            [{"text": label, "callback_data": button.pack()} for label, button in row]
            for row in rows
        ]
    }


def fit_body(header: str, body: str, footer: str, limit: int = TEXT_LIMIT) -> str:
    """Join header, user text and footer, shortening only the user text to fit."""
    room = limit - utf16_len(header) - utf16_len(footer) - 2
    parts = [header, shorten(body, max(room, 0)) if body else "", footer]
    return "\n".join(p for p in parts if p)


def with_note(original: str, note: str, limit: int = TEXT_LIMIT) -> str:
    """An earlier message with a line added below it (for edits), still within the limit."""
    return shorten(original, limit - utf16_len(note) - 1) + "\n" + note


def caption(text: str) -> str:
    return shorten(text, CAPTION_LIMIT)


def take_button(lang: str, number: int) -> list[list[tuple[str, Button]]]:
    return [[(t(lang, "Take"), Button(Verb.TAKE, number))]]


def owner_buttons(lang: str, number: int) -> list[list[tuple[str, Button]]]:
    return [
        [
            (t(lang, "Resolved"), Button(Verb.RESOLVE, number)),
            (t(lang, "Release"), Button(Verb.RELEASE, number)),
        ]
    ]


def confirm_buttons(lang: str, number: int) -> list[list[tuple[str, Button]]]:
    return [
        [
            (t(lang, "Confirm"), Button(Verb.CONFIRM, number)),
            (t(lang, "Not resolved"), Button(Verb.REJECT, number)),
        ]
    ]


def oversight_buttons(lang: str, number: int) -> list[list[tuple[str, Button]]]:
    return [
        [
            (t(lang, "Confirm for the worker"), Button(Verb.CONFIRM_FOR, number)),
            (t(lang, "Reopen"), Button(Verb.REOPEN, number)),
        ]
    ]


def rating_buttons(number: int) -> list[list[tuple[str, Button]]]:
    return [[(f"{n}⭐", Button(Verb.RATE, number, str(n))) for n in range(1, 6)]]


def category_buttons(lang: str) -> list[list[tuple[str, Button]]]:
    cats = list(Category)
    return [
        [(t(lang, CATEGORY_LABELS[c]), Button(Verb.CATEGORY, 0, c.value)) for c in cats[i : i + 2]]
        for i in range(0, len(cats), 2)
    ]


def draft_buttons(lang: str) -> list[list[tuple[str, Button]]]:
    return [
        [
            (t(lang, "Send"), Button(Verb.DRAFT, 0, "send")),
            (t(lang, "Discard"), Button(Verb.DRAFT, 0, "discard")),
        ]
    ]
