"""Escalation chains (DESIGN.md §4 and §6, bot/domain/escalation.py)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.domain.escalation import DEFAULT_CHAINS, Audience, Chain, audience_of
from bot.domain.kinds import Urgency

MIN = timedelta(minutes=1)

# DESIGN.md §6: critical: {levels: [2m, 3m], repeat: 5m}
CRITICAL = Chain((2 * MIN, 3 * MIN), 5 * MIN)


def alert_times(chain: Chain, alerts: int) -> list[tuple[timedelta, Audience]]:
    """When each alert after level 0 goes out, counted from the request's creation."""
    out: list[tuple[timedelta, Audience]] = []
    at = timedelta(0)
    level = 0
    for _ in range(alerts):
        at += chain.wait_after(level)
        level = chain.next_level(level)
        out.append((at, audience_of(level)))
    return out


def test_design_example_secretary_at_2_then_committee_every_5_minutes() -> None:
    assert alert_times(CRITICAL, 5) == [
        (2 * MIN, Audience.SECRETARY),
        (5 * MIN, Audience.COMMITTEE),
        (10 * MIN, Audience.COMMITTEE),
        (15 * MIN, Audience.COMMITTEE),
        (20 * MIN, Audience.COMMITTEE),
    ]


@pytest.mark.parametrize(
    ("level", "wait"),
    [
        pytest.param(0, 2 * MIN, id="members-have-2-minutes"),
        pytest.param(1, 3 * MIN, id="secretary-has-3-more-minutes"),
        pytest.param(2, 5 * MIN, id="committee-repeats-every-5-minutes"),
        pytest.param(7, 5 * MIN, id="levels-past-the-last-repeat"),
    ],
)
def test_wait_after_level(level: int, wait: timedelta) -> None:
    assert CRITICAL.wait_after(level) == wait


@pytest.mark.parametrize(
    ("level", "nxt"),
    [
        pytest.param(0, 1, id="members-then-secretary"),
        pytest.param(1, 2, id="secretary-then-committee"),
        pytest.param(2, 2, id="committee-stays-committee"),
        pytest.param(9, 2, id="beyond-the-last-level-stays-last"),
    ],
)
def test_next_level(level: int, nxt: int) -> None:
    assert CRITICAL.next_level(level) == nxt


def test_last_level_is_the_number_of_waits() -> None:
    assert CRITICAL.last_level == 2
    assert Chain((), 5 * MIN).last_level == 0


def test_a_chain_without_levels_repeats_level_zero() -> None:
    chain = Chain((), 5 * MIN)
    assert chain.next_level(0) == 0
    assert chain.wait_after(0) == 5 * MIN


@pytest.mark.parametrize(
    "chain",
    [
        pytest.param(CRITICAL, id="design-critical"),
        *(pytest.param(c, id=f"default-{u}") for u, c in DEFAULT_CHAINS.items()),
        pytest.param(Chain((), timedelta(seconds=30)), id="no-levels"),
        pytest.param(Chain((timedelta(days=3),) * 4, timedelta(days=7)), id="long-chain"),
    ],
)
def test_chain_survives_a_json_round_trip(chain: Chain) -> None:
    data = json.loads(json.dumps(chain.to_json()))
    assert Chain.from_json(data) == chain


def test_to_json_writes_whole_seconds() -> None:
    assert CRITICAL.to_json() == {"waits": [120, 180], "repeat": 300}


@pytest.mark.parametrize(
    ("urgency", "first"),
    [
        pytest.param(Urgency.CRITICAL, 2 * MIN, id="120-escalates-after-2-minutes"),
        pytest.param(Urgency.HIGH, 5 * MIN, id="110-escalates-after-5-minutes"),
        pytest.param(Urgency.NORMAL, timedelta(hours=4), id="service-escalates-after-4-hours"),
    ],
)
def test_default_first_escalation_matches_design(urgency: Urgency, first: timedelta) -> None:
    assert DEFAULT_CHAINS[urgency].wait_after(0) == first


def test_default_chains_match_the_design_roster_example() -> None:
    assert DEFAULT_CHAINS == {
        Urgency.CRITICAL: Chain((2 * MIN, 3 * MIN), 5 * MIN),
        Urgency.HIGH: Chain((5 * MIN, 10 * MIN), 10 * MIN),
        Urgency.NORMAL: Chain((timedelta(hours=4), timedelta(hours=8)), timedelta(days=1)),
    }


@pytest.mark.parametrize(
    ("level", "audience"),
    [
        pytest.param(0, Audience.MEMBERS, id="level-0-is-the-members"),
        pytest.param(1, Audience.SECRETARY, id="level-1-is-the-secretary"),
        pytest.param(2, Audience.COMMITTEE, id="level-2-is-the-committee"),
        pytest.param(3, Audience.COMMITTEE, id="level-3-is-the-committee-again"),
        pytest.param(50, Audience.COMMITTEE, id="far-levels-are-the-committee"),
    ],
)
def test_audience_of_level(level: int, audience: Audience) -> None:
    assert audience_of(level) is audience
