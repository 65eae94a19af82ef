"""A worker who sends /120 again while help is on its way means the same emergency.

In a panic people send the command again and again; each one ringing every phone of the
branch anew buries everyone else's emergencies (a hundred /120s from one phone made two
hundred alerts). So while a request of the same kind from the same chat is open or
taken, a new one is added to it: its words go on the timeline and to whoever is alerted
or handling it. Once it is resolved or closed, /120 raises a new request as usual. A
genuinely second emergency is raised with the word "new" (or 新) first: ``/120 new …``.
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
