"""The ``plans`` scenario: 10,000 active care plans armed at start, escalations beside them.

DESIGN's target: arming and evaluating 10,000 active care plans at start and the next due
visit of each within 1 s, and not in the way of escalations. The plans (no visits yet, as
after a restore) and 200 overdue critical requests are seeded with SQL; the bot then runs
as a real process. The same 200 overdue requests are run once without plans first, as
the baseline the escalation figures are compared with. Arming is timed from the bot's
log: "ready: deadlines armed" (the plans task starts right after it) to "care plans
armed"; a second start on the armed database times the check alone.
"""

from __future__ import annotations

import contextlib
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from sqlalchemy import func, select

from bench import readback
from bench.proc import CAUGHT_UP, READY, BotProcess, LogLine
from bench.scenarios import REALISTIC, Outcome, _prepare, _wall_of
from bench.seed import RosterSpec, _batches, make_roster, seed_open_requests, sync_engine
from bench.stats import Metric, percentile
from bench.watch import Watch
from bot.domain.recurrence import Recurrence
from sandbox import Limits, SandboxServer
from storage.plan_queries import CHAIN
from storage.tables import branch_members, care_plan_visitors, care_plans, deadlines, visits

ARMED = "care plans armed:"
ARM_BUDGET = 60.0  # s the bench waits for the arming to finish
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def rule_pool() -> list[str]:
    """The rules secretaries write (the dialog's plain-word choices and a few by hand)."""
    rules = [f"FREQ=MONTHLY;BYDAY={n}{d}" for n in (1, 2, 3, 4, -1) for d in WEEKDAYS]
    rules += [f"FREQ=MONTHLY;BYMONTHDAY={d}" for d in range(1, 29)]
    rules += [
        "FREQ=MONTHLY;BYMONTHDAY=28,29;BYSETPOS=-1",
        "FREQ=MONTHLY;BYMONTHDAY=28,29,30;BYSETPOS=-1",
        "FREQ=MONTHLY;BYMONTHDAY=28,29,30,31;BYSETPOS=-1",
        "FREQ=MONTHLY;BYMONTHDAY=1,15",
    ]
    rules += [f"FREQ=WEEKLY;INTERVAL={w};BYDAY={d}" for w in (2, 3, 4) for d in WEEKDAYS]
    rules += [f"FREQ=WEEKLY;BYDAY={d}" for d in WEEKDAYS[:5]]
    rules += [f"FREQ=YEARLY;BYMONTH={m};BYMONTHDAY={d}" for m, d in ((1, 25), (6, 1), (9, 10))]
    return rules


def pair_pool(rng: random.Random, today: date, size: int) -> list[tuple[str, date]]:
    """``size`` (rule, start) pairs; starts over the last three years, a few ahead. A pair
    whose next occurrence is today starts tomorrow instead: a visit due today would fire
    its ``visit-day`` at once and send its reminders, which is not what is measured."""
    rules = rule_pool()
    out: set[tuple[str, date]] = set()
    while len(out) < size:
        rule = rng.choice(rules)
        ahead = rng.random() < 0.05  # a few plans begin within the next two months
        start = today + timedelta(days=rng.randint(1, 60) if ahead else -rng.randint(1, 3 * 365))
        if Recurrence(rule, start).next_on_or_after(today) == today:
            start = today + timedelta(days=1)
        out.add((rule, start))
    return sorted(out)


def seed_plans(
    db: Path, n: int, pairs: list[tuple[str, date]], rng: random.Random, now: datetime
) -> None:
    """``n`` active plans spread over the branches, each visited by 1-2 of its members."""
    engine = sync_engine(db)
    try:
        with engine.begin() as conn:
            members: dict[int, list[int]] = {}
            for row in conn.execute(select(branch_members.c.branch_id, branch_members.c.person_id)):
                members.setdefault(int(row.branch_id), []).append(int(row.person_id))
            branch_of = sorted(members)
            plan_rows: list[dict[str, Any]] = []
            visitor_rows: list[dict[str, Any]] = []
            for i in range(n):
                branch = branch_of[i % len(branch_of)]
                rule, start = pairs[i % len(pairs)] if i < len(pairs) else rng.choice(pairs)
                plan_rows.append(
                    {
                        "id": i + 1,
                        "key": f"bench-plan-{i}",
                        "branch_id": branch,
                        "kind": "care",
                        "cared_for": f"Cared-for {i}",
                        "note": "",
                        "rule": rule,
                        "start": start,
                        "remind_days_before": rng.randint(1, 3),
                        "grace": "3d",
                        "state": "active",
                        "source": "bot",
                        "remind_on_duty": False,
                        "created_by_id": None,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                chosen = rng.sample(members[branch], min(rng.randint(1, 2), len(members[branch])))
                visitor_rows += [
                    {"plan_id": i + 1, "person_id": p, "position": k} for k, p in enumerate(chosen)
                ]
            for batch in _batches(iter(plan_rows)):
                conn.execute(care_plans.insert(), batch)
            for batch in _batches(iter(visitor_rows)):
                conn.execute(care_plan_visitors.insert(), batch)
    finally:
        engine.dispose()


def check_visits(db: Path, today: date, sample: int, rng: random.Random) -> dict[str, int]:
    """Due visits, plans with more than one, plans left without a pending ``visit-day``,
    and of ``sample`` plans those whose visit is not on the day dateutil gives."""
    engine = sync_engine(db)
    try:
        with engine.connect() as conn:
            due = conn.execute(
                select(visits.c.plan_id, visits.c.occurrence).where(visits.c.state == "due")
            ).all()
            armed = conn.scalar(
                select(func.count(func.distinct(visits.c.plan_id)))
                .join(deadlines, deadlines.c.visit_id == visits.c.id)
                .where(deadlines.c.kind.in_(CHAIN), deadlines.c.status == "pending")
            )
            plans = {
                int(r.id): (str(r.rule), r.start)
                for r in conn.execute(
                    select(care_plans.c.id, care_plans.c.rule, care_plans.c.start)
                )
            }
    finally:
        engine.dispose()
    of_plan: dict[int, list[date]] = {}
    for row in due:
        of_plan.setdefault(int(row.plan_id), []).append(row.occurrence)
    wrong = 0
    for plan_id in rng.sample(sorted(plans), min(sample, len(plans))):
        rule, start = plans[plan_id]
        found = rrulestr(rule, dtstart=datetime.combine(start, time(0))).after(
            datetime.combine(max(today, start), time(0)), inc=True
        )
        expected = found.date() if found is not None else None
        ours = Recurrence(rule, start).next_on_or_after(today)
        wrong += of_plan.get(plan_id) != [expected] or ours != expected
    return {
        "due_visits": len(due),
        "plans_with_2_due": sum(1 for days in of_plan.values() if len(days) > 1),
        "plans_unarmed": len(plans) - int(armed or 0),
        "sampled": min(sample, len(plans)),
        "sample_wrong": wrong,
    }


@dataclass
class Run:
    ready: LogLine
    started_at: float
    armed: LogLine | None = None
    caught_up: LogLine | None = None
    fired_s: list[float] | None = None  # escalations fired, s after ready
    alert_s: list[float] | None = None  # their first alert at the server, s after ready
    rss_mb: float | None = None


async def _boot(
    srv: SandboxServer, env: dict[str, str], db: Path, tag: str, req_ids: list[int]
) -> Run:
    """Start the bot on ``db``; wait for plans armed, catch-up and every overdue's alert."""
    watch = Watch(srv)
    async with BotProcess(env, db.parent) as bot:
        ready = await bot.wait_line(READY, 120)
        run = Run(ready, bot.started_at)
        with contextlib.suppress(TimeoutError):  # reported as not armed, with the count
            run.armed = await bot.wait_line(ARMED, ARM_BUDGET)
        run.caught_up = await bot.wait_line(CAUGHT_UP, 300)
        if req_ids:
            await watch.until(lambda: watch.delivered(tag) >= len(req_ids), 120, poll=0.05)
            firsts = [watch.first(tag, i) for i in range(len(req_ids))]
            run.alert_s = [c.t_received - ready.at for c in firsts if c is not None]
        run.rss_mb = bot.memory_kb().get("VmHWM", 0) / 1024 or None
    if req_ids:
        ready_wall = _wall_of(ready.at)
        fired = readback.level0_deadlines(db, req_ids[0], req_ids[-1])
        run.fired_s = [_utc(f.fired_at).timestamp() - ready_wall for f in fired if f.fired_at]
    return run


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _seed_overdue(db: Path, n: int, marker: str) -> list[int]:
    engine = sync_engine(db)
    try:
        with engine.connect() as conn:
            ids = [int(r[0]) for r in conn.execute(select(branch_members.c.branch_id).distinct())]
    finally:
        engine.dispose()
    now = datetime.now(UTC)  # fell due during the last 30 s, as in the restart scenario
    return seed_open_requests(
        db,
        branch_of=[ids[i % len(ids)] for i in range(n)],
        due=[now - timedelta(seconds=30 - 20 * i / max(n, 1)) for i in range(n)],
        marker=marker,
        now=now - timedelta(minutes=2),
    )


def _ms(a: LogLine | None, b: LogLine | None) -> float | None:
    return (b.at - a.at) * 1000 if a is not None and b is not None else None


def _last(values: list[float] | None) -> float | None:
    return max(values) if values else None


async def plans(root: Path, n: int = 10_000, overdue: int = 200, pairs: int = 1500) -> Outcome:
    roster = make_roster(RosterSpec(branches=50, members_per_branch=3))
    out = Outcome()
    async with SandboxServer(port=0, limits=Limits(**vars(REALISTIC))) as srv:
        db, env = await _prepare(root / "plans-baseline", roster, srv.base_url)
        base = await _boot(srv, env, db, "base", _seed_overdue(db, overdue, "bench-base"))
    async with SandboxServer(port=0, limits=Limits(**vars(REALISTIC))) as srv:
        db, env = await _prepare(root / "plans", roster, srv.base_url)
        tz = ZoneInfo(env["HELPLINE_TIMEZONE"])
        rng = random.Random(11)
        today = datetime.now(tz).date()
        pool = pair_pool(rng, today, pairs)
        seed_plans(db, n, pool, rng, datetime.now(UTC))
        req_ids = _seed_overdue(db, overdue, "bench-esc")
        cold = await _boot(srv, env, db, "esc", req_ids)
        if datetime.now(tz).date() != today:
            raise RuntimeError("the local date changed during the run; run it again")
        checked = check_visits(db, today, 200, rng)
        # A warm start: every plan armed, the check alone (skipped if the cold one was cut).
        warm = await _boot(srv, env, db, "esc", []) if cold.armed is not None else None
    async with SandboxServer(port=0, limits=Limits(**vars(REALISTIC))) as srv:
        # The same plans with nothing else to do: arming alone, not yielding to escalations.
        db, env = await _prepare(root / "plans-solo", roster, srv.base_url)
        seed_plans(db, n, pool, random.Random(11), datetime.now(UTC))
        solo = await _boot(srv, env, db, "solo", [])
    arm_ms = _ms(cold.ready, cold.armed)
    start_s = cold.armed.at - cold.started_at if cold.armed is not None else None
    if start_s is not None:
        note_arm = f"while {overdue} overdue escalations fire and send; {start_s:.2f}s from start"
    else:
        note_arm = f"cut at {ARM_BUDGET:.0f}s: {n - checked['plans_unarmed']} of {n} armed"
    warm_note = "all armed: the check alone" if warm else "skipped: the cold start did not finish"
    esc_note = f"baseline without plans: {_last(base.fired_s) or float('nan'):.3f}s"
    alert_note = f"baseline without plans: {_last(base.alert_s) or float('nan'):.3f}s"
    out.metrics += [
        Metric("plans_active", n),
        Metric(
            "plans_arm_ms",
            _ms(solo.ready, solo.armed),
            "ms",
            1000,
            "<=",
            "ready -> armed, nothing else due at start",
        ),
        Metric("plans_arm_beside_esc_ms", arm_ms, "ms", None, "<=", note_arm),
        Metric("plans_rss_mb", cold.rss_mb, "MB", 120, "<="),
        Metric("plans_esc_fired_s", _last(cold.fired_s), "s", None, "<=", esc_note),
        Metric("plans_esc_last_alert_s", _last(cold.alert_s), "s", None, "<=", alert_note),
        Metric("plans_esc_alerts_missing", overdue - len(cold.alert_s or []), "", 0, "=="),
        Metric(
            "plans_warm_check_ms",
            _ms(warm.ready, warm.armed) if warm else None,
            "ms",
            None,
            "<=",
            warm_note,
        ),
        Metric("plans_due_visits", checked["due_visits"], "", n, "=="),
        Metric("plans_with_2_due", checked["plans_with_2_due"], "", 0, "=="),
        Metric("plans_unarmed", checked["plans_unarmed"], "", 0, "=="),
        Metric(
            "plans_wrong_occurrence",
            checked["sample_wrong"],
            "",
            0,
            "==",
            f"of {checked['sampled']} sampled, against dateutil",
        ),
    ]
    out.extra.update(
        plans_distinct_rule_start=min(len(pool), n),
        plans_arm_from_start_s=round(start_s, 3) if start_s else None,
        plans_armed_log=cold.armed.text if cold.armed else None,
        plans_caught_up_ms=_ms(cold.ready, cold.caught_up),
        plans_baseline_caught_up_ms=_ms(base.ready, base.caught_up),
        plans_esc_fired_p50_s=percentile(cold.fired_s or [], 50),
        plans_baseline_fired_p50_s=percentile(base.fired_s or [], 50),
        plans_esc_alert_p50_s=percentile(cold.alert_s or [], 50),
        plans_baseline_alert_p50_s=percentile(base.alert_s or [], 50),
        plans_baseline_rss_mb=base.rss_mb,
        plans_warm_rss_mb=warm.rss_mb if warm else None,
        plans_warm_armed_log=warm.armed.text if warm and warm.armed else None,
    )
    return out
