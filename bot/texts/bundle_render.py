"""A bundle: the alerts waiting for one person, as one message.

Telegram lets a bot write about one message a second into a private chat. When twenty
workers of one branch call at once, twenty alerts sent one by one reach the last member
twenty seconds late; sent as one message at the chat's next slot they are all in front of
the member at once (issue "A crane falls"). The outbox forms a bundle only behind alerts
already sent one by one, so a single emergency still arrives as an ordinary alert.

Each entry is the alert's own summary (``brief``, written when the alert was, under the
same rules as the alert's text), with a Take button while it is open; a retired entry
says why ("✅ Taken by …") and has no button. Ten entries to a page, ◀ ▶ between pages:
a phone shows ten at a glance, and ten Take buttons fit one keyboard.

Pure functions of their arguments: the outbox and the page buttons load the entries.
"""

from __future__ import annotations

import math

from bot.callbacks import Button, Verb
from bot.domain.bundles import Entry
from bot.i18n import t
from bot.texts.render import Payload, text_message

PAGE = 10  # entries per page
BRIEF_LINE = 60  # characters of what the worker wrote, in an entry


Buttons = list[list[tuple[str, Button]]]


def pages(entries: list[Entry]) -> int:
    return max(1, math.ceil(len(entries) / PAGE))


def bundle(
    lang: str, bundle_id: int, entries: list[Entry], page: int, *, repeat: bool = False
) -> tuple[str, Buttons]:
    """The text and buttons of page ``page`` (clamped) of a bundle."""
    count, last = len(entries), pages(entries) - 1
    page = min(max(page, 0), last)
    still = sum(e.note is None for e in entries)
    if entries and all(e.escalated for e in entries):
        head = t(lang, "⬆ ESCALATION: {count} requests nobody has taken yet", count=count)
    else:
        head = t(lang, "🚨 {count} requests at once", count=count)
    lines = [head, t(lang, "{open} of them still open", open=still)]
    if last:
        lines[-1] += " · " + t(lang, "page {page} of {pages}", page=page + 1, pages=last + 1)
    if repeat:
        lines[0] = t(lang, "(repeat) ") + lines[0]
    shown = entries[page * PAGE : (page + 1) * PAGE]
    for entry in shown:
        lines.append("")
        lines.append(entry.brief)
        if entry.note is not None:
            lines.append(entry.note)
    takes = [
        (t(lang, "Take #{number}", number=e.request_id), Button(Verb.TAKE, e.request_id))
        for e in shown
        if e.note is None
    ]
    buttons: Buttons = [takes[i : i + 2] for i in range(0, len(takes), 2)]
    if last:
        nav: list[tuple[str, Button]] = []
        if page > 0:
            nav.append(("◀", Button(Verb.BUNDLE, bundle_id, str(page - 1))))
        if page < last:
            nav.append(("▶", Button(Verb.BUNDLE, bundle_id, str(page + 1))))
        buttons.append(nav)
    return "\n".join(lines), buttons


def bundle_message(
    lang: str, bundle_id: int, entries: list[Entry], page: int, *, repeat: bool = False
) -> Payload:
    """The sendMessage / editMessageText payload of a bundle's page."""
    return text_message(*bundle(lang, bundle_id, entries, page, repeat=repeat))
