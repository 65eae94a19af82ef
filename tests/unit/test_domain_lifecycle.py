"""The request lifecycle (DESIGN.md §3): every (state, action) pair, and who may rate."""

from __future__ import annotations

import itertools

import pytest

from bot.domain.lifecycle import ACTIVE_STATES, FINAL_STATES, Action, State, may_rate, next_state

# The only moves DESIGN.md §3 allows; every other (state, action) pair is refused.
ALLOWED: dict[tuple[State, Action], State] = {
    (State.OPEN, Action.TAKE): State.TAKEN,  # a member takes it
    (State.TAKEN, Action.RELEASE): State.OPEN,  # released: back to open
    (State.TAKEN, Action.RESOLVE): State.RESOLVED,  # the owner says it is done
    (State.RESOLVED, Action.CONFIRM): State.CLOSED,  # the worker confirms
    (State.RESOLVED, Action.REJECT): State.TAKEN,  # "not resolved": same owner again
    (State.RESOLVED, Action.CONFIRM_FOR): State.CLOSED,  # a secretary, with a reason
    (State.RESOLVED, Action.REOPEN): State.TAKEN,  # a secretary sends it back
    (State.OPEN, Action.REASSIGN): State.TAKEN,  # a secretary hands it to a member
    (State.TAKEN, Action.REASSIGN): State.TAKEN,  # ... or to another member
    (State.OPEN, Action.CANCEL): State.CANCELLED,  # the worker withdraws it
    (State.TAKEN, Action.CANCEL): State.CANCELLED,
}

ALL_PAIRS = list(itertools.product(State, Action))
REFUSED = [pair for pair in ALL_PAIRS if pair not in ALLOWED]


@pytest.mark.parametrize(
    ("state", "action", "target"),
    [pytest.param(s, a, t, id=f"{s}-{a}-to-{t}") for (s, a), t in ALLOWED.items()],
)
def test_allowed_transition_leads_to_the_design_target_state(
    state: State, action: Action, target: State
) -> None:
    assert next_state(state, action) is target


@pytest.mark.parametrize(
    ("state", "action"), [pytest.param(s, a, id=f"{s}-{a}") for s, a in REFUSED]
)
def test_any_other_action_is_refused(state: State, action: Action) -> None:
    assert next_state(state, action) is None


@pytest.mark.parametrize(
    ("state", "action"),
    [
        pytest.param(State.OPEN, Action.RESOLVE, id="untaken-request-cannot-be-resolved"),
        pytest.param(State.OPEN, Action.RELEASE, id="untaken-request-cannot-be-released"),
        pytest.param(State.OPEN, Action.CONFIRM, id="untaken-request-cannot-be-confirmed"),
        pytest.param(State.TAKEN, Action.TAKE, id="taken-request-cannot-be-taken-twice"),
        pytest.param(State.TAKEN, Action.CONFIRM, id="unresolved-request-cannot-be-confirmed"),
        pytest.param(State.RESOLVED, Action.RESOLVE, id="resolved-request-cannot-resolve-again"),
        pytest.param(State.CLOSED, Action.REJECT, id="closed-request-cannot-be-reopened"),
        pytest.param(State.CANCELLED, Action.TAKE, id="cancelled-request-cannot-be-taken"),
    ],
)
def test_notable_refusals(state: State, action: Action) -> None:
    assert next_state(state, action) is None


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("state", sorted(FINAL_STATES))
def test_final_state_admits_no_transition(state: State, action: Action) -> None:
    assert next_state(state, action) is None


@pytest.mark.parametrize("action", [Action.RATE, Action.MESSAGE, Action.VIEW])
@pytest.mark.parametrize("state", list(State))
def test_rating_messaging_and_viewing_never_change_state(state: State, action: Action) -> None:
    assert next_state(state, action) is None


def test_active_and_final_states_partition_all_states() -> None:
    assert ACTIVE_STATES | FINAL_STATES == set(State)
    assert not ACTIVE_STATES & FINAL_STATES


def test_every_active_state_has_a_way_forward() -> None:
    for state in ACTIVE_STATES:
        assert any(next_state(state, a) is not None for a in Action)


@pytest.mark.parametrize(
    ("state", "rating", "expected"),
    [
        pytest.param(State.CLOSED, None, True, id="closed-unrated-request-may-be-rated"),
        pytest.param(State.CLOSED, 5, False, id="closed-request-is-rated-only-once"),
        pytest.param(State.CLOSED, 1, False, id="a-low-rating-is-also-final"),
        pytest.param(State.OPEN, None, False, id="open-request-cannot-be-rated"),
        pytest.param(State.TAKEN, None, False, id="taken-request-cannot-be-rated"),
        pytest.param(State.RESOLVED, None, False, id="unconfirmed-request-cannot-be-rated"),
        pytest.param(State.CANCELLED, None, False, id="cancelled-request-cannot-be-rated"),
    ],
)
def test_may_rate(state: State, rating: int | None, expected: bool) -> None:
    assert may_rate(state, rating) is expected
