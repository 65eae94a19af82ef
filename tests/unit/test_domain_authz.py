"""Who may do what to a request (DESIGN.md §2, bot/domain/authz.py), per actor kind."""

from __future__ import annotations

import pytest

from bot.domain.authz import (
    Actor,
    RequestFacts,
    is_owner,
    is_requester,
    may,
    may_add_family,
    oversees,
    steers_roster,
)
from bot.domain.lifecycle import Action

BRANCH = 1
OTHER_BRANCH = 2
REQUESTER_CHAT = 5001
OWNER_ID = 11

REQUEST = RequestFacts(branch_id=BRANCH, requester_chat_id=REQUESTER_CHAT, owner_id=OWNER_ID)
UNTAKEN = RequestFacts(branch_id=BRANCH, requester_chat_id=REQUESTER_CHAT, owner_id=None)
# Raised by a sender the roster does not know: no branch.
ORPHAN = RequestFacts(branch_id=None, requester_chat_id=REQUESTER_CHAT, owner_id=OWNER_ID)

ACTORS: dict[str, Actor] = {
    "requester": Actor(chat_id=REQUESTER_CHAT, person_id=50),
    "owner": Actor(chat_id=1011, person_id=OWNER_ID, member_of=frozenset({BRANCH})),
    "branch_member": Actor(chat_id=1012, person_id=12, member_of=frozenset({BRANCH})),
    "other_member": Actor(chat_id=1013, person_id=13, member_of=frozenset({OTHER_BRANCH})),
    "branch_secretary": Actor(chat_id=1014, person_id=14, secretary_of=frozenset({BRANCH})),
    "other_secretary": Actor(chat_id=1015, person_id=15, secretary_of=frozenset({OTHER_BRANCH})),
    "committee": Actor(chat_id=1016, person_id=16, committee=True),
    "supervisor": Actor(chat_id=1017, person_id=17, supervisor=True),
    "stranger": Actor(chat_id=9999),
}

# Who may, per action, on a request of BRANCH owned by OWNER_ID; everyone else may not.
ALLOWED: dict[Action, set[str]] = {
    Action.TAKE: {"owner", "branch_member", "branch_secretary", "committee"},
    Action.RELEASE: {"owner"},
    Action.RESOLVE: {"owner"},
    Action.CONFIRM: {"requester"},
    Action.REJECT: {"requester"},
    Action.RATE: {"requester"},
    Action.CANCEL: {"requester"},
    Action.CONFIRM_FOR: {"branch_secretary", "committee"},
    Action.REOPEN: {"branch_secretary", "committee"},
    Action.REASSIGN: {"branch_secretary", "committee"},
    Action.ESCALATE: {"requester", "owner", "branch_secretary", "committee"},
    Action.MESSAGE: {"requester", "owner"},
    Action.VIEW: {"requester", "owner", "branch_secretary", "committee"},
    Action.STOP_SENDER: {"branch_secretary", "committee"},
}

# With no branch (unregistered sender) only the committee may take it.
ALLOWED_ORPHAN: dict[Action, set[str]] = {
    **ALLOWED,
    Action.TAKE: {"committee"},
    Action.VIEW: {"requester", "owner", "committee"},
    Action.CONFIRM_FOR: {"committee"},
    Action.REOPEN: {"committee"},
    Action.REASSIGN: {"committee"},
    Action.ESCALATE: {"requester", "owner", "committee"},
    Action.STOP_SENDER: {"committee"},  # blocking an unknown account is the committee's
}


def _table(allowed: dict[Action, set[str]]) -> list[object]:
    return [
        pytest.param(
            action,
            who,
            who in allowed[action],
            id=f"{who}-{'may' if who in allowed[action] else 'may-not'}-{action}",
        )
        for action in Action
        for who in ACTORS
    ]


def test_every_action_has_a_rule() -> None:
    assert set(ALLOWED) == set(Action)


@pytest.mark.parametrize(("action", "who", "expected"), _table(ALLOWED))
def test_who_may_act_on_a_branch_request(action: Action, who: str, expected: bool) -> None:
    assert may(ACTORS[who], action, REQUEST) is expected


@pytest.mark.parametrize(("action", "who", "expected"), _table(ALLOWED_ORPHAN))
def test_who_may_act_on_an_unregistered_senders_request(
    action: Action, who: str, expected: bool
) -> None:
    assert may(ACTORS[who], action, ORPHAN) is expected


@pytest.mark.parametrize("action", list(Action))
def test_unregistered_stranger_may_do_nothing_even_on_an_untaken_request(action: Action) -> None:
    # owner_id None must not match a stranger's person_id None.
    assert may(ACTORS["stranger"], action, UNTAKEN) is False


@pytest.mark.parametrize("action", [Action.RELEASE, Action.RESOLVE, Action.MESSAGE])
def test_nobody_owns_an_untaken_request(action: Action) -> None:
    for who, actor in ACTORS.items():
        if who != "requester":
            assert may(actor, action, UNTAKEN) is False, who


def test_requester_is_recognised_by_chat_id_even_when_unregistered() -> None:
    unregistered_requester = Actor(chat_id=REQUESTER_CHAT)
    for action in (Action.CONFIRM, Action.REJECT, Action.RATE, Action.CANCEL, Action.MESSAGE):
        assert may(unregistered_requester, action, ORPHAN) is True


def test_a_member_who_is_also_the_requester_may_not_resolve_someone_elses_request() -> None:
    actor = Actor(chat_id=REQUESTER_CHAT, person_id=12, member_of=frozenset({BRANCH}))
    assert may(actor, Action.CONFIRM, REQUEST) is True
    assert may(actor, Action.RESOLVE, REQUEST) is False


def test_secretary_who_is_also_a_member_of_the_branch_may_take_and_view() -> None:
    actor = Actor(
        chat_id=1020, person_id=20, member_of=frozenset({BRANCH}), secretary_of=frozenset({BRANCH})
    )
    assert may(actor, Action.TAKE, REQUEST) is True
    assert may(actor, Action.VIEW, REQUEST) is True
    assert may(actor, Action.RESOLVE, REQUEST) is False


@pytest.mark.parametrize(
    ("actor", "registered", "is_member"),
    [
        pytest.param(ACTORS["stranger"], False, False, id="stranger-is-unregistered"),
        pytest.param(ACTORS["requester"], True, False, id="worker-is-registered-not-member"),
        pytest.param(ACTORS["branch_member"], True, True, id="member-is-member"),
        pytest.param(ACTORS["branch_secretary"], True, True, id="secretary-counts-as-member"),
        pytest.param(ACTORS["committee"], True, True, id="committee-counts-as-member"),
        pytest.param(ACTORS["supervisor"], True, False, id="supervisor-is-not-member"),
    ],
)
def test_actor_properties(actor: Actor, registered: bool, is_member: bool) -> None:
    assert actor.registered is registered
    assert actor.is_member is is_member


def test_helper_predicates() -> None:
    assert is_requester(ACTORS["requester"], REQUEST)
    assert not is_requester(ACTORS["owner"], REQUEST)
    assert is_owner(ACTORS["owner"], REQUEST)
    assert not is_owner(ACTORS["stranger"], UNTAKEN)
    assert oversees(ACTORS["branch_secretary"], REQUEST)
    assert not oversees(ACTORS["branch_secretary"], ORPHAN)
    assert not oversees(ACTORS["other_secretary"], REQUEST)
    assert oversees(ACTORS["committee"], ORPHAN)


@pytest.mark.parametrize(
    ("actor", "branches", "expected"),
    [
        (ACTORS["branch_secretary"], frozenset({BRANCH}), True),
        (ACTORS["other_secretary"], frozenset({BRANCH}), False),
        (ACTORS["committee"], frozenset({BRANCH}), True),
        (ACTORS["branch_member"], frozenset({BRANCH}), False),
        (ACTORS["supervisor"], frozenset({BRANCH}), False),
        (ACTORS["branch_secretary"], frozenset(), False),  # someone no branch serves
    ],
)
def test_who_steers_the_roster(actor: Actor, branches: frozenset[int], expected: bool) -> None:
    assert steers_roster(actor, branches) is expected


def test_family_members_cannot_add_family_and_strangers_cannot_either() -> None:
    assert may_add_family(ACTORS["requester"])
    assert not may_add_family(Actor(chat_id=1, person_id=2, family=True))
    assert not may_add_family(ACTORS["stranger"])
