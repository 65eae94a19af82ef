"""Level 0 of the escalation chain (DESIGN.md §4, bot/domain/routing.py)."""

from __future__ import annotations

import pytest

from bot.domain.kinds import Urgency
from bot.domain.routing import Candidate, level_zero

MEDICAL = "120"


def member(
    person_id: int,
    position: int,
    handles: tuple[str, ...] = (MEDICAL,),
    *,
    reachable: bool = True,
    away: bool = False,
) -> Candidate:
    return Candidate(person_id, position, frozenset(handles), reachable=reachable, away=away)


# Given out of position order on purpose: routing must sort by position.
ROSTER = [member(30, 3), member(10, 1), member(20, 2)]


@pytest.mark.parametrize("urgency", [Urgency.CRITICAL, Urgency.HIGH])
def test_urgent_request_alerts_every_able_handler_in_position_order(urgency: Urgency) -> None:
    assert level_zero(urgency, MEDICAL, ROSTER, None) == [10, 20, 30]


@pytest.mark.parametrize("urgency", [Urgency.CRITICAL, Urgency.HIGH])
def test_urgent_request_ignores_the_turn(urgency: Urgency) -> None:
    assert level_zero(urgency, MEDICAL, ROSTER, 20) == [10, 20, 30]


@pytest.mark.parametrize(
    ("last", "expected"),
    [
        pytest.param(None, 10, id="no-one-yet-gives-the-first"),
        pytest.param(10, 20, id="after-the-first-comes-the-second"),
        pytest.param(20, 30, id="after-the-second-comes-the-third"),
        pytest.param(30, 10, id="after-the-last-it-wraps-to-the-first"),
        pytest.param(99, 10, id="unknown-last-gives-the-first"),
    ],
)
def test_normal_request_goes_to_one_handler_in_turn(last: int | None, expected: int) -> None:
    assert level_zero(Urgency.NORMAL, MEDICAL, ROSTER, last) == [expected]


def test_turns_cycle_through_every_handler() -> None:
    seen: list[int] = []
    last: int | None = None
    for _ in range(6):
        (last,) = level_zero(Urgency.NORMAL, MEDICAL, ROSTER, last)
        seen.append(last)
    assert seen == [10, 20, 30, 10, 20, 30]


@pytest.mark.parametrize(
    ("members", "expected"),
    [
        pytest.param([member(10, 1, away=True), member(20, 2)], [20], id="away-member-is-skipped"),
        pytest.param(
            [member(10, 1, reachable=False), member(20, 2)],
            [20],
            id="unreachable-member-is-skipped",
        ),
        pytest.param(
            [member(10, 1, ("110",)), member(20, 2)], [20], id="member-of-another-topic-is-skipped"
        ),
    ],
)
@pytest.mark.parametrize("urgency", list(Urgency))
def test_only_able_handlers_are_alerted(
    urgency: Urgency, members: list[Candidate], expected: list[int]
) -> None:
    assert level_zero(urgency, MEDICAL, members, None) == expected


def test_turn_skips_an_away_member_after_the_last_one() -> None:
    members = [member(10, 1), member(20, 2, away=True), member(30, 3)]
    assert level_zero(Urgency.NORMAL, MEDICAL, members, 10) == [30]


def test_turn_after_a_member_who_went_away_starts_again_at_the_first() -> None:
    members = [member(10, 1), member(20, 2, away=True), member(30, 3)]
    assert level_zero(Urgency.NORMAL, MEDICAL, members, 20) == [10]


def test_single_handler_gets_every_turn() -> None:
    assert level_zero(Urgency.NORMAL, MEDICAL, [member(10, 1)], 10) == [10]


@pytest.mark.parametrize(
    "members",
    [
        pytest.param([], id="empty-branch"),
        pytest.param([member(10, 1, ("110",))], id="nobody-handles-the-topic"),
        pytest.param(
            [member(10, 1, away=True), member(20, 2, reachable=False)],
            id="every-handler-away-or-unreachable",
        ),
    ],
)
@pytest.mark.parametrize("urgency", list(Urgency))
def test_nobody_able_gives_an_empty_level_zero(urgency: Urgency, members: list[Candidate]) -> None:
    assert level_zero(urgency, MEDICAL, members, None) == []


def test_service_category_topic_is_matched_exactly() -> None:
    members = [member(10, 1, ("insurance",)), member(20, 2, ("reimbursement", MEDICAL))]
    assert level_zero(Urgency.NORMAL, "reimbursement", members, None) == [20]
