"""The SQL figures against hand-seeded requests whose medians, p90s and shares are known,
and the care visits counted as the domain's rule says at a fixed instant."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.figures import Period, Span, nearest_rank, visit_counted, visit_on_time
from bot.domain.visits import VisitState
from storage.db import reading
from storage.report_queries import period_report
from storage.tables import branches, care_plans, people, requests, visits

SHANGHAI = ZoneInfo("Asia/Shanghai")
Q4 = Period(2026, Span.QUARTER, 4)
START, END = Q4.bounds(SHANGHAI)  # 2026-09-30 16:00 UTC, 2026-12-31 16:00 UTC
NOW = datetime(2027, 1, 2, tzinfo=UTC)

# Warehouse: ten requests one day apart from the quarter's first instant. Nine were taken
# (10..90 s), eight resolved, six closed; five rated.
TAKES = [10, 20, 30, 40, 50, 60, 70, 80, 90, None]
RESOLVES = [100, 200, 300, 400, 500, 600, 700, 800, None, None]
CLOSES = [1000, 2000, 3000, 4000, 5000, 6000, None, None, None, None]
CLOSED_BY = ["worker", "worker", "worker", "worker", "secretary", "secretary"] + [None] * 4
RATINGS = [5, 5, 4, 3, 1, None, None, None, None, None]
REOPENS = [0, 1, 0, 0, 0, 2, 0, 0, 0, 0]
ESCALATED = [True, False, True, False, False, False, False, False, False, True]
KINDS = ["120", "120", "110", "service", "service", "service", "service", "110", "120", "120"]


def _row(branch_id: int | None, at: datetime, **facts: Any) -> dict[str, Any]:
    return {
        "kind": "120",
        "category": None,
        "urgency": "critical",
        "state": "closed",
        "branch_id": branch_id,
        "requester_chat_id": 2001,
        "requester_name": "茅建国",
        "text": "secret text",
        "chain": {},
        "created_at": at,
        "updated_at": at,
        "take_seconds": None,
        "resolve_seconds": None,
        "close_seconds": None,
        "closed_by": None,
        "rating": None,
        "reopen_count": 0,
        "escalated": False,
        **facts,
    }


def _id(result: Any) -> int:
    return int(result.inserted_primary_key[0])


async def _seed(engine: AsyncEngine) -> tuple[int, int]:
    async with engine.begin() as conn:
        sec = _id(
            await conn.execute(insert(people).values(key="wang", name="王芳", updated_at=NOW))
        )
        ids = []
        for key, name in (("warehouse", "仓储部支部"), ("dock", "码头机修支部")):
            result = await conn.execute(
                insert(branches).values(key=key, name=name, secretary_id=sec, active=True)
            )
            ids.append(_id(result))
        warehouse, dock = ids
        rows = [
            _row(
                warehouse,
                START + timedelta(days=i),
                kind=KINDS[i],
                category="gear" if KINDS[i] == "service" else None,
                take_seconds=TAKES[i],
                resolve_seconds=RESOLVES[i],
                close_seconds=CLOSES[i],
                closed_by=CLOSED_BY[i],
                rating=RATINGS[i],
                reopen_count=REOPENS[i],
                escalated=ESCALATED[i],
            )
            for i in range(10)
        ]
        rows += [
            _row(dock, START + timedelta(days=40), take_seconds=600),
            _row(dock, START + timedelta(days=41), take_seconds=30),
            _row(None, START + timedelta(days=50), take_seconds=5, escalated=True),
            # Outside the quarter by one microsecond either way: not counted.
            _row(warehouse, START - timedelta(microseconds=1), take_seconds=1),
            _row(warehouse, END, take_seconds=1),
            _row(dock, END + timedelta(days=3), take_seconds=1),
        ]
        await conn.execute(insert(requests), rows)
        plan = await conn.execute(
            insert(care_plans).values(
                key="p",
                branch_id=warehouse,
                cared_for="孙琪伟",
                rule="FREQ=MONTHLY",
                start=date(2026, 1, 1),
                grace="3d",
                state="active",
                source="file",
                created_at=NOW,
                updated_at=NOW,
            )
        )
        plan_id = _id(plan)
        visit_rows = [
            (date(2026, 10, 3), "done", 0),  # on time
            (date(2026, 11, 7), "done", 1),  # done, but only after escalation
            (date(2026, 12, 5), "missed", 1),
            (date(2026, 12, 19), "cancelled", 0),  # the plan was paused: not counted
            (date(2026, 9, 30), "done", 0),  # the quarter before
            (date(2027, 1, 2), "due", 0),  # the next quarter
        ]
        await conn.execute(
            insert(visits),
            [
                {
                    "plan_id": plan_id,
                    "occurrence": on,
                    "due_on": on,
                    "grace_until": NOW,
                    "state": state,
                    "escalation_level": level,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for on, state, level in visit_rows
            ],
        )
    return warehouse, dock


async def test_figures_per_branch_match_the_hand_worked_values(engine: AsyncEngine) -> None:
    warehouse, dock = await _seed(engine)
    async with reading(engine) as conn:
        report = await period_report(conn, Q4, SHANGHAI, unbranched_name="none")
    assert [b.branch_id for b in report.branches] == [warehouse, dock, None]
    w, d, stray = report.branches
    assert w.requests == 10 and d.requests == 2 and stray.requests == 1
    assert w.by_kind == {"120": 4, "110": 2, "service": 4}
    assert w.by_category["gear"] == 4 and w.by_category["insurance"] == 0
    taken = [v for v in TAKES if v is not None]
    assert (w.take.n, w.take.median, w.take.p90) == (9, 50, 90)
    assert (w.take.median, w.take.p90) == (nearest_rank(taken, 50), nearest_rank(taken, 90))
    assert (w.resolve.n, w.resolve.median, w.resolve.p90) == (8, 400, 800)
    assert (w.close.n, w.close.median, w.close.p90) == (6, 3000, 6000)
    assert (d.take.n, d.take.median, d.take.p90) == (2, 30, 600)  # lower middle of two
    assert d.resolve.n == 0 and d.resolve.median is None
    assert (w.escalated, stray.escalated) == (3, 1)
    assert (w.closed, w.closed_by_worker, w.closed_by_secretary) == (6, 4, 2)
    assert (w.resolved, w.reopened) == (8, 2)
    assert w.ratings == {1: 1, 2: 0, 3: 1, 4: 1, 5: 2} and w.rating_sum == 18
    assert w.rating_mean == 18 / 5
    assert (w.visits_due, w.visits_on_time) == (3, 1)
    assert (d.visits_due, stray.visits_due) == (0, 0)


async def test_the_weekly_series_counts_each_request_in_its_local_week(
    engine: AsyncEngine,
) -> None:
    await _seed(engine)
    async with reading(engine) as conn:
        report = await period_report(conn, Q4, SHANGHAI)
    w, d, stray = report.branches
    assert len(report.weeks) == 14 and report.weeks[:2] == [date(2026, 10, 1), date(2026, 10, 5)]
    # Oct 1 (Thu) - Oct 4: four requests; Oct 5 - 11: seven days, the other six.
    assert w.weekly[:3] == [4, 6, 0] and sum(w.weekly) == 10
    assert sum(d.weekly) == 2 and sum(stray.weekly) == 1


async def test_an_empty_period_has_every_active_branch_with_zeros(engine: AsyncEngine) -> None:
    await _seed(engine)
    async with reading(engine) as conn:
        report = await period_report(conn, Period(2025, Span.YEAR, 1), SHANGHAI)
    assert [b.requests for b in report.branches] == [0, 0, 0]
    assert all(b.take.median is None and b.weekly == [0] * 53 for b in report.branches)


async def test_the_previous_quarter_is_its_own_period(engine: AsyncEngine) -> None:
    await _seed(engine)
    async with reading(engine) as conn:
        before = await period_report(conn, Q4.previous(), SHANGHAI)
    w = before.branches[0]
    assert (w.requests, w.take.median, w.visits_due, w.visits_on_time) == (1, 1, 1, 1)


# Thursday 2026-11-12, 10:00 in Shanghai: the quarter is running.
MID_QUARTER = datetime(2026, 11, 12, 2, tzinfo=UTC)
DOCK_VISITS = [  # (due on, state, escalation level, grace until)
    (date(2026, 10, 8), "done", 0, datetime(2026, 10, 11, 16, tzinfo=UTC)),
    (date(2026, 10, 22), "done", 1, datetime(2026, 10, 25, 16, tzinfo=UTC)),
    (date(2026, 11, 5), "due", 0, datetime(2026, 11, 8, 16, tzinfo=UTC)),  # grace over
    (date(2026, 11, 10), "due", 0, datetime(2026, 11, 13, 16, tzinfo=UTC)),  # within grace
    (date(2026, 11, 12), "due", 0, datetime(2026, 11, 15, 16, tzinfo=UTC)),  # today
    (date(2026, 11, 19), "done", 0, datetime(2026, 11, 22, 16, tzinfo=UTC)),  # logged early
    (date(2026, 12, 3), "due", 0, datetime(2026, 12, 6, 16, tzinfo=UTC)),
    (date(2026, 12, 17), "due", 0, datetime(2026, 12, 20, 16, tzinfo=UTC)),
    (date(2026, 12, 31), "cancelled", 0, datetime(2027, 1, 3, 16, tzinfo=UTC)),
]


async def _dock_plan(engine: AsyncEngine, dock: int) -> None:
    async with engine.begin() as conn:
        plan_id = _id(
            await conn.execute(
                insert(care_plans).values(
                    key="reception",
                    branch_id=dock,
                    cared_for="码头机修接待日",
                    rule="FREQ=WEEKLY;INTERVAL=2;BYDAY=TH",
                    start=date(2026, 10, 8),
                    grace="3d",
                    state="active",
                    source="file",
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
        )
        await conn.execute(
            insert(visits),
            [
                {
                    "plan_id": plan_id,
                    "occurrence": on,
                    "due_on": on,
                    "grace_until": grace,
                    "state": state,
                    "escalation_level": level,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for on, state, level, grace in DOCK_VISITS
            ],
        )


async def test_a_running_quarter_counts_only_the_visits_already_due(engine: AsyncEngine) -> None:
    """The SQL applies ``visit_counted`` as at the report's instant: the visits still to
    come (or still within their grace) are in neither number, only in those ahead."""
    _warehouse, dock = await _seed(engine)
    await _dock_plan(engine, dock)
    async with reading(engine) as conn:
        running = await period_report(conn, Q4, SHANGHAI, now=MID_QUARTER)
        over = await period_report(conn, Q4, SHANGHAI, now=NOW)
    counted = [
        v for v in DOCK_VISITS if visit_counted(v[0], VisitState(v[1]), v[3], MID_QUARTER, SHANGHAI)
    ]
    on_time = [v for v in counted if visit_on_time(VisitState(v[1]), v[2])]
    d = running.branches[1]
    assert (d.visits_due, d.visits_on_time, d.visits_ahead) == (len(counted), len(on_time), 5)
    assert (d.visits_due, d.visits_on_time) == (3, 1)
    # Before the first visit's day: nothing due yet, all eight to come (not "0 % of 8").
    async with reading(engine) as conn:
        first = await period_report(conn, Q4, SHANGHAI, now=datetime(2026, 10, 2, tzinfo=UTC))
    assert (first.branches[1].visits_due, first.branches[1].visits_ahead) == (0, 8)
    # Once every grace has run out, every visit of the quarter but the cancelled one counts.
    w, d = over.branches[0], over.branches[1]
    assert (d.visits_due, d.visits_on_time, d.visits_ahead) == (8, 2, 0)
    assert (w.visits_due, w.visits_on_time, w.visits_ahead) == (3, 1, 0)
