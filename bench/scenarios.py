"""One async function per measured promise of DESIGN.md §9.

Each runs in its own directory with a fresh database, a fresh sandbox (in this process)
and the bot as a subprocess, which is always stopped, even on error. Times are
``time.monotonic()`` in both places that matter: when the bench queued an update, and
when the sandbox received the message (``Call.t_received``).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import readback
from bench.proc import CAUGHT_UP, READY, BotProcess, bot_env, run_cli
from bench.seed import GeneratedRoster, RosterSpec, branch_ids, make_roster, seed_open_requests
from bench.seed import seed_outbox as seed_outbox_rows
from bench.stats import Metric, percentile
from bench.watch import Watch
from bot.domain.priority import Priority
from sandbox import Limits, SandboxServer

REALISTIC = Limits(global_per_s=30, chat_per_s=1, chat_burst=3)


@dataclass
class Outcome:
    metrics: list[Metric] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


def _workspace(work: Path, roster: GeneratedRoster) -> tuple[Path, Path]:
    work.mkdir(parents=True, exist_ok=True)
    path = work / "roster.yaml"
    path.write_text(roster.text, encoding="utf-8")
    return work / "helpline.db", path


async def _prepare(
    work: Path, roster: GeneratedRoster, api_url: str
) -> tuple[Path, dict[str, str]]:
    """A fresh directory and database with ``roster`` imported (the real CLI, migrations)."""
    db, path = _workspace(work, roster)
    env = bot_env(api_url, db)
    await run_cli(["roster", "import", str(path)], env, work)
    return db, env


def _wall_of(mono: float) -> float:
    """The wall-clock time of an earlier ``time.monotonic()`` reading."""
    return time.time() - (time.monotonic() - mono)


# --- intake: 50 workers send /120 at once ------------------------------------------------


async def intake(root: Path, workers: int = 50) -> Outcome:
    roster = make_roster(RosterSpec(branches=25, members_per_branch=2, workers=workers + 1))
    out = Outcome()
    async with SandboxServer(port=0, limits=Limits(**vars(REALISTIC))) as srv:
        db, env = await _prepare(root / "intake", roster, srv.base_url)
        watch = Watch(srv)
        async with BotProcess(env, db.parent) as bot:
            await bot.wait_line(READY, 60)
            # A warm-up request: the first one after start pays for lazy imports and
            # statement compilation; the figure is about a bot that is up.
            warm = roster.workers[-1]
            srv.user(warm.telegram_id, "Warm").send("/120 bench-warm-0 warm-up")
            if not await watch.until(lambda: watch.first("warm", 0) is not None, 30):
                raise RuntimeError(f"warm-up alert never arrived:\n{bot.tail()}")
            await watch.until(lambda: watch.delivered_total >= 3, 10)
            await asyncio.sleep(1.2)  # let both rate buckets (bot's and sandbox's) refill
            users = [
                (i, w, srv.user(w.telegram_id, f"Worker {i}"))
                for i, w in enumerate(roster.workers[:workers])
            ]
            sent: dict[int, tuple[float, float]] = {}
            for i, _w, user in users:
                sent[i] = (time.monotonic(), time.time())
                user.send(f"/120 bench-intake-{i} fell from the ladder at dock {i}")
            chats = {i: roster.member_chats(w.branch) for i, w, _ in users}

            def all_alerted() -> bool:
                return all(watch.first("intake", i, chats[i]) is not None for i in sent)

            done = await watch.until(all_alerted, 60)
        latencies: list[float] = []
        for i, (mono, _wall) in sent.items():
            call = watch.first("intake", i, chats[i])
            if call is not None:
                latencies.append((call.t_received - mono) * 1000)
        stored = readback.intake_times(db, "bench-intake-")
        store_ms: list[float] = []
        for i, (_mono, wall) in sent.items():
            times = stored.get(f"bench-intake-{i} fell from the ladder at dock {i}")
            if times is not None:
                store_ms.append((times[0].timestamp() - wall) * 1000)
    missing = workers - len(latencies)
    note = "bot and sandbox limit 30 msg/s; 50 first alerts + 2nd alerts + acks compete"
    # The k-th first alert of a burst cannot reach Telegram before about k/30 s: what
    # counts is how much later than that each one came.
    excess = [max(0.0, ms - 1000 * k / 30) for k, ms in enumerate(sorted(latencies))]
    out.metrics += [
        Metric("intake_p50_ms", percentile(latencies, 50), "ms"),
        Metric("intake_p99_ms", percentile(latencies, 99), "ms", None, "<=", note),
        Metric("intake_max_ms", max(latencies) if latencies else None, "ms"),
        Metric(
            "intake_stored_p99_ms",
            percentile(store_ms, 99),
            "ms",
            100,
            "<=",
            "sent -> its request stored (created_at: when its transaction took the write lock)",
        ),
        Metric(
            "intake_excess_p99_ms",
            percentile(excess, 99),
            "ms",
            150,
            "<=",
            "first alert at the server, later than the k/30 s Telegram allows",
        ),
        Metric("intake_missing", missing, "", 0, "=="),
    ]
    out.extra["intake_all_arrived"] = done
    out.extra["intake_latencies_ms"] = sorted(round(x, 1) for x in latencies)
    return out


# --- deadlines: 1,000 fall due within 2 s; their alerts drain under 429s -----------------


async def deadlines(root: Path, n: int = 1000, lead: float = 8.0, window: float = 2.0) -> Outcome:
    roster = make_roster(RosterSpec(branches=n, members_per_branch=1))
    out = Outcome()
    limits = Limits(global_per_s=30, chat_per_s=1, chat_burst=3, random_429_rate=0.02, seed=7)
    async with SandboxServer(port=0, limits=limits) as srv:
        db, env = await _prepare(root / "deadlines", roster, srv.base_url)
        ids = branch_ids(db)
        now = datetime.now(UTC)
        first_due = now + timedelta(seconds=lead)
        due = [first_due + timedelta(seconds=window * i / max(n - 1, 1)) for i in range(n)]
        req_ids = seed_open_requests(
            db, branch_of=[ids[f"b{i}"] for i in range(n)], due=due, marker="bench-dl", now=now
        )
        watch = Watch(srv)
        async with BotProcess(env, db.parent) as bot:
            ready = await bot.wait_line(READY, 60)
            margin = first_due.timestamp() - _wall_of(ready.at)
            budget = lead + window + n / 20 + 60
            complete = await watch.until(lambda: watch.delivered("dl") >= n, budget, poll=0.1)
            firsts = [c for i in range(n) if (c := watch.first("dl", i)) is not None]
            lost = n - len(firsts)
            unmarked_repeats = 0
            repeats = 0
            for i in range(n):
                calls = watch.calls_for("dl", i)
                repeats += max(len(calls) - 1, 0)
                unmarked_repeats += sum(
                    1 for c in calls[1:] if "(repeat)" not in str(c.params.get("text", ""))
                )
            refused = watch.refused_429
        fired = readback.level0_deadlines(db, req_ids[0], req_ids[-1])
        statuses = readback.alert_statuses(db, req_ids[0], req_ids[-1])
    lateness = [x * 1000 for f in fired if (x := f.lateness_s) is not None]
    early = sum(1 for x in lateness if x < 0)
    unfired = n - len(lateness)
    times = sorted(c.t_received for c in firsts)
    rate = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else None
    warn = "" if margin >= 0.5 else f"window began only {margin:.2f}s after ready"
    out.metrics += [
        Metric("deadline_p50_ms", percentile(lateness, 50), "ms"),
        Metric("deadline_p99_ms", percentile(lateness, 99), "ms", 200, "<=", warn),
        Metric("deadline_max_ms", max(lateness) if lateness else None, "ms"),
        Metric("deadline_early", early, "", 0, "=="),
        Metric("deadline_unfired", unfired, "", 0, "=="),
        Metric("delivery_rate", rate, "msg/s", 27, ">=", f"{n} alerts, {refused} answered 429"),
        Metric("delivery_lost", lost, "", 0, "=="),
        Metric("delivery_unmarked_repeats", unmarked_repeats, "", 0, "=="),
    ]
    out.extra.update(
        deadline_window_after_ready_s=round(margin, 3),
        delivery_complete=complete,
        delivery_429s=refused,
        delivery_repeats=repeats,
        delivery_drain_s=round(times[-1] - times[0], 3) if len(times) > 1 else None,
        alert_outbox_statuses=dict(statuses),
    )
    return out


# --- overtake: a /120 behind 1,000 queued normal messages -------------------------------


async def overtake(root: Path, queued: int = 1000) -> Outcome:
    roster = make_roster(RosterSpec(branches=2, members_per_branch=2, workers=2))
    out = Outcome()
    async with SandboxServer(port=0, limits=Limits(**vars(REALISTIC))) as srv:
        db, env = await _prepare(root / "overtake", roster, srv.base_url)
        seed_outbox_rows(
            db, count=queued, marker="bench-normal", priority=Priority.NORMAL, now=datetime.now(UTC)
        )
        watch = Watch(srv)
        async with BotProcess(env, db.parent) as bot:
            await bot.wait_line(READY, 60)
            # Past the first burst: the queue is draining at the steady rate.
            if not await watch.until(lambda: watch.delivered("normal") >= 60, 30):
                raise RuntimeError(f"the queued messages are not being sent:\n{bot.tail()}")
            worker = roster.workers[0]
            user = srv.user(worker.telegram_id, "Worker 0")
            chats = roster.member_chats(worker.branch)
            before = watch.delivered("normal")
            t0 = time.monotonic()
            user.send("/120 bench-overtake-0 chest pain in the canteen")
            arrived = await watch.until(lambda: watch.first("overtake", 0, chats) is not None, 30)
            call = watch.first("overtake", 0, chats)
            after = watch.delivered("normal")
    seconds = call.t_received - t0 if call is not None and arrived else None
    out.metrics.append(
        Metric(
            "overtake_s",
            seconds,
            "s",
            1,
            "<=",
            f"{queued - before} normal msgs still queued; {after - before} went meanwhile",
        )
    )
    return out


# --- restart: N open requests, 1,000 overdue ---------------------------------------------


async def restart(root: Path, open_n: int, overdue: int = 1000) -> Outcome:
    roster = make_roster(RosterSpec(branches=20, members_per_branch=2))
    out = Outcome()
    async with SandboxServer(port=0, limits=Limits(**vars(REALISTIC))) as srv:
        db, env = await _prepare(root / f"restart-{open_n}", roster, srv.base_url)
        ids = list(branch_ids(db).values())
        t_seed = time.monotonic()
        now = datetime.now(UTC)
        spread = 86_400 / max(open_n, 1)
        seed_open_requests(
            db,
            branch_of=[ids[i % len(ids)] for i in range(open_n)],
            due=[now + timedelta(hours=1, seconds=i * spread) for i in range(open_n)],
            marker="bench-open",
            now=now,
        )
        now = datetime.now(UTC)  # the overdue ones fell due during the last 30 s
        seed_open_requests(
            db,
            branch_of=[ids[i % len(ids)] for i in range(overdue)],
            due=[now - timedelta(seconds=30 - 20 * i / max(overdue, 1)) for i in range(overdue)],
            marker="bench-late",
            now=now - timedelta(minutes=2),
        )
        seed_s = time.monotonic() - t_seed
        db_mb = sum(p.stat().st_size for p in db.parent.glob("helpline.db*")) / 2**20
        watch = Watch(srv)
        async with BotProcess(env, db.parent) as bot:
            ready = await bot.wait_line(READY, 120)
            first_log = bot.lines[0].at if bot.lines else ready.at
            got = await watch.until(lambda: watch.delivered("late") > 0, 120)
            late = [c for k, cs in watch.by_marker.items() if k[0] == "late" for c in cs]
            first_late = min((c.t_received for c in late), default=None)
            caught = await bot.wait_line(CAUGHT_UP, 300)
            memory = bot.memory_kb()
    start = bot.started_at
    out.metrics += [
        Metric("open_requests", open_n),
        Metric(
            "restart_armed_s",
            ready.at - start,
            "s",
            1,
            "<=",
            f"of which {first_log - start:.2f}s interpreter+imports before the 1st log line",
        ),
        Metric(
            "restart_first_overdue_s",
            first_late - start if got and first_late is not None else None,
            "s",
        ),
        Metric(
            "restart_caught_up_s", caught.at - start, "s", None, "<=", f"{overdue} overdue fired"
        ),
        Metric("restart_rss_mb", memory.get("VmHWM", 0) / 1024 or None, "MB", 120, "<="),
    ]
    out.extra.update(
        restart_boot_s=round(first_log - start, 3),
        restart_seed_s=round(seed_s, 2),
        restart_db_mb=round(db_mb, 1),
        restart_rss_now_mb=round(memory.get("VmRSS", 0) / 1024, 1),
    )
    return out
