"""The figures of a period, per branch, as SQL aggregates (``bot/domain/figures.py``).

Three passes over the period's requests, each a range scan of ``ix_requests_created``
(created_at, branch_id), whatever the number of requests: one ``GROUP BY branch, week``
with conditional sums for every count (the weekly trend line comes out of the same pass;
the handful of groups are added up per branch in Python), one window pass for the
nearest-rank median and 90th percentile of the three times, and one over the visits due
(those still to come at the report's instant left out: ``figures.visit_counted``).
Python never sees a request row. Week buckets and percentile ranks are plain CASE and
integer arithmetic - no dialect's date functions, no CEIL - so PostgreSQL runs the same SQL.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.figures import (
    DECIDED_VISITS,
    BranchFigures,
    Period,
    Report,
    Timing,
    local_midnight,
)
from bot.domain.kinds import Category, Kind
from bot.domain.visits import VisitState
from storage.tables import branches, care_plans, requests, visits

KINDS = [k.value for k in Kind]
CATEGORIES = [c.value for c in Category]
STARS = range(1, 6)
TIMES = {"take": requests.c.take_seconds, "resolve": requests.c.resolve_seconds}
TIMES["close"] = requests.c.close_seconds
PERCENTILES = (50, 90)
COUNTED = ["branch_id", "kind", "category", "escalated", "close_seconds", "closed_by"]
COUNTED += ["resolve_seconds", "reopen_count", "rating"]


def _sum_if(condition: ColumnElement[bool]) -> Any:
    return func.sum(case((condition, 1), else_=0))


def _in_period(start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(requests.c.created_at >= start, requests.c.created_at < end)


async def _counts(
    conn: AsyncConnection, start: datetime, end: datetime, week_ends: list[datetime]
) -> dict[int | None, dict[str, Any]]:
    """Every count per branch, and requests per week, in one pass."""
    week = case(
        *[(requests.c.created_at < bound, i) for i, bound in enumerate(week_ends[:-1])],
        else_=len(week_ends) - 1,
    )
    # The week is a column of a subquery so GROUP BY names it rather than repeating the
    # CASE (PostgreSQL would not see two copies with their own parameters as one).
    needed = [requests.c[name] for name in COUNTED]
    r = select(*needed, week.label("week")).where(_in_period(start, end)).subquery("r")
    columns: list[Any] = [
        r.c.branch_id,
        r.c.week,
        func.count().label("requests"),
        _sum_if(r.c.escalated.is_(True)).label("escalated"),
        func.count(r.c.close_seconds).label("closed"),
        _sum_if(r.c.closed_by == "worker").label("by_worker"),
        _sum_if(r.c.closed_by == "secretary").label("by_secretary"),
        func.count(r.c.resolve_seconds).label("resolved"),
        _sum_if(and_(r.c.resolve_seconds.is_not(None), r.c.reopen_count > 0)).label("reopened"),
        func.coalesce(func.sum(r.c.rating), 0).label("rating_sum"),
    ]
    columns += [_sum_if(r.c.kind == k).label(f"kind_{k}") for k in KINDS]
    columns += [_sum_if(r.c.category == c).label(f"cat_{c}") for c in CATEGORIES]
    columns += [_sum_if(r.c.rating == s).label(f"star_{s}") for s in STARS]
    rows = await conn.execute(select(*columns).group_by(r.c.branch_id, r.c.week))
    totals: dict[int | None, dict[str, Any]] = {}
    for row in rows:  # one row per branch and week: a few dozen, not a request each
        values = row._mapping
        into = totals.setdefault(
            row.branch_id, {"weekly": [0] * len(week_ends), **dict.fromkeys(values.keys(), 0)}
        )
        for key, value in values.items():
            if key not in ("branch_id", "week"):
                into[key] += int(value or 0)
        into["weekly"][int(row.week)] += int(row.requests)
    return totals


def _nulls_last(column: Any) -> list[Any]:
    # NULLS LAST spelt portably: rows with the fact come first, numbered 1..n.
    return [case((column.is_(None), 1), else_=0), column]


async def _timings(
    conn: AsyncConnection, start: datetime, end: datetime
) -> dict[int | None, dict[str, Timing]]:
    """Nearest-rank median and p90 of each time per branch: ROW_NUMBER() and COUNT() over
    the branch's requests ordered by that time; the p-th percentile is the smallest value
    whose rank r satisfies 100 * r >= p * n."""
    ranked = []
    for name, column in TIMES.items():
        branch = requests.c.branch_id
        ranked += [
            column.label(name),
            func.row_number()
            .over(partition_by=branch, order_by=_nulls_last(column))
            .label(f"{name}_rn"),
            func.count(column).over(partition_by=branch).label(f"{name}_n"),
        ]
    inner = select(requests.c.branch_id, *ranked).where(_in_period(start, end)).subquery("ranked")
    picked: list[Any] = [inner.c.branch_id]
    for name in TIMES:
        value, rank, n = inner.c[name], inner.c[f"{name}_rn"], inner.c[f"{name}_n"]
        picked.append(func.max(n).label(f"{name}_n"))
        for pct in PERCENTILES:
            picked.append(
                func.min(case((rank * 100 >= n * pct, value), else_=None)).label(f"{name}_{pct}")
            )
    rows = await conn.execute(select(*picked).group_by(inner.c.branch_id))
    return {
        row.branch_id: {
            name: Timing(
                n=int(row._mapping[f"{name}_n"] or 0),
                median=row._mapping[f"{name}_50"],
                p90=row._mapping[f"{name}_90"],
            )
            for name in TIMES
        }
        for row in rows
    }


def _counted(tz: ZoneInfo, now: datetime | None) -> ColumnElement[bool]:
    """``bot.domain.figures.visit_counted`` in SQL: the visit's local day has come and it
    is done, missed or out of grace. ``now`` None: every visit (judged after all is over)."""
    if now is None:
        return visits.c.state != VisitState.CANCELLED.value
    return and_(
        visits.c.due_on <= now.astimezone(tz).date(),
        or_(
            visits.c.state.in_([s.value for s in DECIDED_VISITS]),
            visits.c.grace_until <= now,
        ),
    )


async def _visits(
    conn: AsyncConnection, period: Period, tz: ZoneInfo, now: datetime | None
) -> dict[int, tuple[int, int, int]]:
    """Per branch, of the visits due in the period (not cancelled): those counted at
    ``now``, those of them done on time, and the rest (still to come)."""
    counted = _counted(tz, now)
    on_time = and_(counted, visits.c.state == VisitState.DONE.value, visits.c.escalation_level == 0)
    rows = await conn.execute(
        select(
            care_plans.c.branch_id,
            func.count().label("visits"),
            _sum_if(counted).label("due"),
            _sum_if(on_time).label("on_time"),
        )
        .join(care_plans, care_plans.c.id == visits.c.plan_id)
        .where(
            visits.c.due_on >= period.first,
            visits.c.due_on < period.end,
            visits.c.state != VisitState.CANCELLED.value,
        )
        .group_by(care_plans.c.branch_id)
    )
    return {
        r.branch_id: (int(r.due or 0), int(r.on_time or 0), int(r.visits) - int(r.due or 0))
        for r in rows
    }


async def period_report(
    conn: AsyncConnection,
    period: Period,
    tz: ZoneInfo,
    *,
    now: datetime | None = None,
    unbranched_name: str = "",
) -> Report:
    """Every active branch's figures for ``period`` (and any inactive one that has some),
    then the requests of senders no branch serves under ``unbranched_name``. Visits are
    judged as at ``now`` (those still to come are not counted); None judges every one, as
    long after the period (the benchmark)."""
    start, end = period.bounds(tz)
    weeks = period.weeks()
    week_ends = [local_midnight(d, tz) for d in weeks[1:]] + [end]
    counted = await _counts(conn, start, end, week_ends)
    timed = await _timings(conn, start, end)
    seen = await _visits(conn, period, tz, now)
    with_data = [b for b in [*counted, *seen] if b is not None]
    rows = await conn.execute(
        select(branches.c.id, branches.c.name)
        .where(or_(branches.c.active.is_(True), branches.c.id.in_(with_data)))
        .order_by(branches.c.id)
    )
    named: list[tuple[int | None, str]] = [(r.id, r.name) for r in rows]
    named.append((None, unbranched_name))
    found = []
    for branch_id, name in named:
        c: dict[str, Any] = counted.get(branch_id) or defaultdict(int, weekly=[0] * len(weeks))
        times = timed.get(branch_id, {})
        due, on_time, ahead = seen.get(branch_id, (0, 0, 0)) if branch_id is not None else (0, 0, 0)
        found.append(
            BranchFigures(
                branch_id=branch_id,
                name=name,
                requests=c["requests"],
                by_kind={k: c[f"kind_{k}"] for k in KINDS},
                by_category={k: c[f"cat_{k}"] for k in CATEGORIES},
                take=times.get("take", Timing()),
                resolve=times.get("resolve", Timing()),
                close=times.get("close", Timing()),
                escalated=c["escalated"],
                closed=c["closed"],
                closed_by_worker=c["by_worker"],
                closed_by_secretary=c["by_secretary"],
                resolved=c["resolved"],
                reopened=c["reopened"],
                ratings={s: c[f"star_{s}"] for s in STARS},
                rating_sum=c["rating_sum"],
                visits_due=due,
                visits_on_time=on_time,
                visits_ahead=ahead,
                weekly=list(c["weekly"]),
            )
        )
    return Report(period, weeks, found)
