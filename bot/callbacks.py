"""Typed callback data: what a button press means, packed within Telegram's 64 bytes.

Buttons carry only a verb and a request number; everything else is loaded from the
database and re-authorised on the server when the button is pressed, so a forged or
stale button can at most be refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from telegram.constants import InlineKeyboardButtonLimit

MAX_BYTES = int(InlineKeyboardButtonLimit.MAX_CALLBACK_DATA)


class Verb(StrEnum):
    TAKE = "t"
    RELEASE = "l"
    RESOLVE = "r"
    CONFIRM = "c"
    REJECT = "n"
    RATE = "s"
    CATEGORY = "k"  # /request: the category was picked
    DRAFT = "d"  # /request: send or discard the draft
    CONFIRM_FOR = "f"  # a secretary confirms on the worker's behalf (a reason is asked)
    REOPEN = "o"  # a secretary sends a resolved request back to its owner
    ASSIGN = "a"  # /board: give the request to member ``arg`` (``ID_y``: confirmed)
    BOARD = "b"  # /board: show page ``number``
    ESCALATE = "e"  # /board: escalate the request one level now
    REASSIGN = "g"  # /board: list the members the request could go to
    NUDGE = "h"  # /board: ask unreachable member ``number`` to open the bot
    BUNDLE = "u"  # a bundle of alerts (``number``: its outbox row) shows page ``arg``
    # Care plans: ``number`` is the visit id.
    VISIT_DONE = "v"  # the visit took place (a note and a photo may follow)
    VISIT_POSTPONE = "p"  # offer dates; with ``arg`` YYYYMMDD: move the visit there
    VISIT_DECLINE = "x"  # the visitor cannot go: the secretary is told
    VISIT_ASSIGN = "y"  # the secretary gives the visit to person ``arg``
    PLAN_FORM = "w"  # /newplan: a choice in the dialog (``arg`` says which)
    SURVEY = "q"  # the survey ``number`` answered: ``arg`` "3_5" = question 3, answer 5


_PATTERN = re.compile(r"([a-z]):([0-9]{1,12})(?::([a-z0-9_]{1,24}))?", re.ASCII)


@dataclass(frozen=True)
class Button:
    verb: Verb
    number: int  # the request number (0 where there is none yet)
    arg: str | None = None

    def pack(self) -> str:
        """Write the data; refuse anything ``unpack`` would not read back."""
        data = f"{self.verb.value}:{self.number}" + (f":{self.arg}" if self.arg else "")
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
        if unpack(data) != self:
            raise ValueError(f"callback data that could not be read back: {data!r}")
        return data


def unpack(data: str | None) -> Button | None:
    """Read callback data back; anything we did not write gives None."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    match = _PATTERN.fullmatch(data)
    if not match:
        return None
    try:
        verb = Verb(match.group(1))
    except ValueError:
        return None
    return Button(verb, int(match.group(2)), match.group(3))
