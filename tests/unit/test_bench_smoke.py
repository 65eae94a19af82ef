"""The benchmark's pure helpers (the benchmark itself is run by hand: python -m bench)."""

from __future__ import annotations

import math
import random
from datetime import date

import pytest

from bench import exporting, plans, proc, readback, reports, scenarios, watch  # noqa: F401
from bench.history import Branch, _History, stamp
from bench.seed import RosterSpec, make_roster
from bench.stats import Metric, format_table, markers, percentile
from bot.domain.recurrence import parse_rule
from bot.files.roster import parse_roster


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


def test_history_stamps_instants_as_sqlalchemy_stores_them() -> None:
    from datetime import UTC, datetime, timedelta, timezone

    from sqlalchemy import DateTime
    from sqlalchemy.dialects.sqlite import dialect

    sqlite = dialect()
    bind = DateTime().dialect_impl(sqlite).bind_processor(sqlite)
    assert bind is not None
    at = datetime(2026, 12, 1, 9, 30, 5, 120, tzinfo=timezone(timedelta(hours=8)))
    assert (
        stamp(at) == bind(at.astimezone(UTC).replace(tzinfo=None)) == "2026-12-01 01:30:05.000120"
    )


def test_history_draws_facts_that_agree_with_their_timeline() -> None:
    from datetime import UTC, datetime, timedelta

    branches = [
        Branch(b, f"dept-{b}", (100 + b, 2000 + b), ((10 + b, 1000 + b),)) for b in range(3)
    ]
    history = _History(branches, random.Random(5), timelines=True)
    first = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [history.request(i, first + timedelta(minutes=i)) for i in range(1, 3001)]
    assert "open" not in history.by_state  # the bot's sweep would re-arm and alert them
    events: dict[int, list[tuple[str, str]]] = {}
    for rid, _at, type_, _actor, _chat, data in history.events:
        events.setdefault(rid, []).append((type_, data))
    escalated = 0
    for row in rows:
        rid, state, take, resolve, close, closed_by, rating = (
            row[0], row[4], row[20], row[21], row[22], row[23], row[15]
        )  # fmt: skip
        types = [t for t, _ in events[rid]]
        assert types[:2] == ["raised", "alerted"]
        assert (take is None) == (state == "cancelled") == ("taken" not in types)
        assert (close is not None) == (state == "closed") == ("closed" in types)
        if close is not None:
            assert take <= resolve <= close and closed_by in ("worker", "secretary")
            assert ('"on_behalf": true' in events[rid][types.index("closed")][1]) == (
                closed_by == "secretary"
            )
        assert (rating is not None) == ("rated" in types)
        assert rating is None or closed_by == "worker"
        assert types.count("reopened") == row[24]
        escalated += row[25]
    assert 0.03 < escalated / len(rows) < 0.15
