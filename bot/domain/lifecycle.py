"""The request lifecycle: states and the transitions between them (DESIGN.md §3)."""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    OPEN = "open"  # nobody has taken it; alerts are going out
    TAKEN = "taken"  # one member owns it
    RESOLVED = "resolved"  # the owner says it is done; waiting for the worker
    CLOSED = "closed"  # the worker (or a secretary for them) confirmed it
    CANCELLED = "cancelled"  # the worker withdrew it


class Action(StrEnum):
    TAKE = "take"
    RELEASE = "release"
    RESOLVE = "resolve"
    CONFIRM = "confirm"
    REJECT = "reject"  # the worker says "not resolved"
    CANCEL = "cancel"
    RATE = "rate"
    CONFIRM_FOR = "confirm_for"  # a secretary confirms on the worker's behalf, with a reason
    REOPEN = "reopen"  # a secretary sends a resolved request back to its owner
    REASSIGN = "reassign"  # a secretary hands it to a member of the branch
    ESCALATE = "escalate"  # the worker, the owner or a secretary pushes it up one level now
    MESSAGE = "message"  # talk through the bot
    VIEW = "view"  # see the whole timeline
    STOP_SENDER = "stop_sender"  # cancel all a sender has open; block an unknown account


_TRANSITIONS: dict[tuple[State, Action], State] = {
    (State.OPEN, Action.TAKE): State.TAKEN,
    (State.TAKEN, Action.RELEASE): State.OPEN,
    (State.TAKEN, Action.RESOLVE): State.RESOLVED,
    (State.RESOLVED, Action.CONFIRM): State.CLOSED,
    (State.RESOLVED, Action.REJECT): State.TAKEN,
    (State.RESOLVED, Action.CONFIRM_FOR): State.CLOSED,
    (State.RESOLVED, Action.REOPEN): State.TAKEN,
    (State.OPEN, Action.REASSIGN): State.TAKEN,
    (State.TAKEN, Action.REASSIGN): State.TAKEN,
    (State.OPEN, Action.CANCEL): State.CANCELLED,
    (State.TAKEN, Action.CANCEL): State.CANCELLED,
}

ACTIVE_STATES = frozenset({State.OPEN, State.TAKEN, State.RESOLVED})
FINAL_STATES = frozenset({State.CLOSED, State.CANCELLED})


def next_state(state: State, action: Action) -> State | None:
    """Return the state ``action`` leads to from ``state``, or None if it is not allowed."""
    return _TRANSITIONS.get((state, action))


def may_rate(state: State, rating: int | None) -> bool:
    """A closed request may be rated once."""
    return state is State.CLOSED and rating is None
