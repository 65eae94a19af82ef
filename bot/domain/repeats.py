"""A worker who sends /120 again while help is on its way means the same emergency.

In a panic people send the command again and again; each one ringing every phone of the
branch anew buries everyone else's emergencies (a hundred /120s from one phone made two
hundred alerts). So while a request of the same kind from the same chat is open or
taken, a new one is added to it: its words go on the timeline and to whoever is alerted
or handling it. Once it is resolved or closed, /120 raises a new request as usual. A
genuinely second emergency is raised with the word "new" (or 新) first: ``/120 new …``.

And each sender has a budget of new requests per period (roster ``request_budget``,
default 5 an hour): past it, a request is stored and shown on the board and in the
digest, the sender is told so, and no phone rings - a flood of "new" ones rings nobody.
"""

from __future__ import annotations

from bot.domain.lifecycle import State

# States in which a repeated command from the same chat joins the request.
JOINS = frozenset({State.OPEN, State.TAKEN})
NEW_WORDS = ("new", "新")


def asks_for_new(text: str) -> tuple[bool, str]:
    """Whether the text starts with "new" (or 新), and the text without it."""
    stripped = text.lstrip()
    for word in NEW_WORDS:
        if stripped[: len(word)].lower() == word:
            rest = stripped[len(word) :]
            if not rest or not rest[0].isalnum() or word == "新":
                return True, rest.strip(" ,:：，")
    return False, text


def over_budget(raised_in_period: int, budget: tuple[int, object]) -> bool:
    """Whether a sender who raised ``raised_in_period`` requests in the budget's period
    has used it up (the one being raised now would be one too many)."""
    return raised_in_period >= budget[0]
