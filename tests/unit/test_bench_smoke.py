"""The benchmark's pure helpers (the benchmark itself is run by hand: python -m bench)."""

from __future__ import annotations

import math
import random
from datetime import date

import pytest

from bench import plans, proc, readback, scenarios, watch  # noqa: F401  (they import cleanly)
from bench.seed import RosterSpec, make_roster
from bench.stats import Metric, format_table, markers, percentile
from bot.domain.recurrence import parse_rule
from bot.roster import parse_roster


def test_percentile_interpolates_like_numpy() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 99) == pytest.approx(99.01)
    assert percentile([3.0], 99) == 3.0
    assert math.isnan(percentile([], 50))


def test_markers_and_metric_verdicts() -> None:
    assert markers("⬆ ESCALATION\nbench-dl-17 and bench-intake-3 x") == [
        ("dl", 17),
        ("intake", 3),
    ]
    assert Metric("a", 120.0, "ms", 150).passed is True
    assert Metric("b", 26.0, "msg/s", 27, ">=").passed is False
    assert Metric("c", 0, "", 0, "==").passed is True
    assert Metric("d", None, "s", 1).passed is False
    assert Metric("e", 5).passed is None
    table = format_table([Metric("x_ms", 1.5, "ms", 2)])
    assert "x_ms" in table and "pass" in table


def test_generated_roster_is_accepted() -> None:
    generated = make_roster(RosterSpec(branches=5, members_per_branch=2, workers=12))
    roster = parse_roster(generated.text, "bench.yaml", lang="en")
    assert len(roster.branches) == 5
    assert len(generated.workers) == 12
    assert {w.branch for w in generated.workers} == set(range(5))
    assert generated.secretary_chat(3) not in generated.member_chats(3)


def test_plan_pairs_are_valid_distinct_and_not_due_today() -> None:
    today = date(2026, 12, 1)
    pairs = plans.pair_pool(random.Random(1), today, 300)
    assert len(set(pairs)) == 300
    for rule, start in pairs:
        recurrence = parse_rule(rule, start, today=today)
        assert recurrence.next_on_or_after(today) != today
