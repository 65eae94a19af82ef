"""The ``report`` scenario: ``/report 2026Q4`` over 1,000,000 stored requests.

A million requests raised from 2023 to 2026 across 30 branches, with the figures' facts
filled as the bot keeps them (``bench/history.py``; no timelines: the report reads only
the facts). Then:

- the SQL alone: ``storage.report_queries.period_report`` for the quarter, on a read-only
  connection in this process (best and median of three);
- the whole reply from a real ``helpline run`` against the sandbox with Telegram's limits
  (~1 message/s per chat, a burst of 3), timed from the send to the last message of the
  reply (text parts and chart photos) reaching the sandbox: a branch secretary's report
  (the first after start apart: it pays for matplotlib's import), then the committee's,
  every branch side by side, and the committee's again with the per-chat limit lifted, to
  tell the bot's own time from Telegram's pacing. A reply any of whose messages was
  refused (429) is incomplete and has no time.

The reports code is looked up at run time: until it exists the notes say so.
"""

from __future__ import annotations

import asyncio
import importlib
import sqlite3
import statistics
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench.history import seed_history, stamp
from bench.proc import READY, BotProcess
from bench.scenarios import REALISTIC, Outcome, _prepare
from bench.seed import COMMITTEE_ID, RosterSpec, make_roster
from bench.stats import Metric
from sandbox import Limits, SandboxServer
from sandbox.records import Call

TARGET_S = 2.0
PERIOD = "2026Q4"
REPLY_METHODS = frozenset({"sendMessage", "sendPhoto"})
# The reply is over when nothing more came for this long: its messages follow each other
# within milliseconds, or about a second apart when Telegram's per-chat limit paces them.
QUIET_S = 2.5
HANDLERS = Path(__file__).resolve().parent.parent / "handlers" / "reports.py"


@dataclass
class Reply:
    sent_at: float
    calls: list[Call] = field(default_factory=list)  # delivered, in order
    refused: int = 0  # messages of the reply the server refused (429)

    @property
    def complete(self) -> bool:
        return bool(self.calls) and self.refused == 0

    @property
    def last_s(self) -> float | None:
        return self.calls[-1].t_received - self.sent_at if self.complete else None

    @property
    def first_s(self) -> float | None:
        return self.calls[0].t_received - self.sent_at if self.calls else None

    @property
    def photos(self) -> list[Call]:
        return [c for c in self.calls if c.method == "sendPhoto"]

    def shape(self) -> str:
        texts = len(self.calls) - len(self.photos)
        said = f"{texts} texts + {len(self.photos)} photos"
        return said + (f", {self.refused} refused (429)" if self.refused else "")


def _to(call: Call, chat: int) -> bool:
    try:
        return call.method in REPLY_METHODS and int(call.chat_id) == chat
    except (TypeError, ValueError):
        return False


async def ask(srv: SandboxServer, chat: int, text: str, timeout: float = 60) -> Reply:  # noqa: ASYNC109
    """Send ``text`` from ``chat`` and collect the bot's reply until it goes quiet."""
    cursor = len(srv.calls)
    reply = Reply(time.monotonic())
    srv.user(chat).send(text)
    deadline = reply.sent_at + timeout
    last_seen = 0.0
    while time.monotonic() < deadline:
        await asyncio.sleep(0.02)
        calls = srv.calls
        for call in calls[cursor:]:
            if _to(call, chat):
                last_seen = call.t_received
                if call.ok:
                    reply.calls.append(call)
                else:
                    reply.refused += 1
        cursor = len(calls)
        if last_seen and time.monotonic() - last_seen >= QUIET_S:
            break
    return reply


def png_ok(srv: SandboxServer, call: Call) -> bool:
    """The photo the bot uploaded is a PNG of sensible size (1 kB .. 5 MB)."""
    try:
        sizes = call.result["photo"]
        stored = srv.state.files.get(sizes[-1]["file_id"])
        data: bytes = stored.data if stored is not None else b""
    except (KeyError, IndexError, TypeError, AttributeError):
        return False
    return data.startswith(b"\x89PNG\r\n\x1a\n") and 1024 <= len(data) <= 5 * 2**20


async def time_sql(db: Path, tz: ZoneInfo, period_text: str, runs: int = 3) -> list[float]:
    """Seconds of ``period_report`` for the period, ``runs`` times."""
    queries: Any = importlib.import_module("storage.report_queries")
    figures: Any = importlib.import_module("bot.domain.figures")
    from storage.db import make_engine, reading

    period = figures.parse_period(period_text, datetime.now(tz).date())
    engine = make_engine(str(db))
    took: list[float] = []
    try:
        for _ in range(runs):
            async with reading(engine) as conn:
                started = time.perf_counter()
                await queries.period_report(conn, period, tz, unbranched_name="-")
                took.append(time.perf_counter() - started)
    finally:
        await engine.dispose()
    return took


def _local(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, clock_time(0), tzinfo=tz).astimezone(UTC)


async def _replies(srv: SandboxServer, env: dict[str, str], db: Path, secretary: int,
                   warm_runs: int) -> tuple[dict[str, list[Reply]], dict[str, int]]:  # fmt: skip
    """The /report replies of one bot process: cold, secretary, committee, unpaced."""
    got: dict[str, list[Reply]] = {"cold": [], "secretary": [], "committee": [], "unpaced": []}
    ask_for = f"/report {PERIOD}"
    async with BotProcess(env, db.parent) as bot:
        await bot.wait_line(READY, 120)
        got["cold"].append(await ask(srv, secretary, ask_for))
        for _ in range(warm_runs):
            got["secretary"].append(await ask(srv, secretary, ask_for))
        for _ in range(max(1, warm_runs - 1)):
            got["committee"].append(await ask(srv, COMMITTEE_ID, ask_for))
        srv.limits = Limits(global_per_s=1000, chat_per_s=1000, chat_burst=1000)
        for _ in range(max(1, warm_runs - 1)):
            got["unpaced"].append(await ask(srv, COMMITTEE_ID, ask_for))
        srv.limits = Limits(**vars(REALISTIC))
        return got, bot.memory_kb()


def _median(replies: list[Reply]) -> float | None:
    times = [s for r in replies if (s := r.last_s) is not None]
    return statistics.median(times) if len(times) == len(replies) and times else None


async def report(root: Path, n: int = 1_000_000, warm_runs: int = 3) -> Outcome:
    roster = make_roster(RosterSpec(branches=30, members_per_branch=3))
    out = Outcome()
    got: dict[str, list[Reply]] = {}
    memory: dict[str, int] = {}
    async with SandboxServer(port=0, limits=Limits(**vars(REALISTIC))) as srv:
        db, env = await _prepare(root / "report", roster, srv.base_url)
        tz = ZoneInfo(env["HELPLINE_TIMEZONE"])
        started = time.monotonic()
        seeded = await asyncio.to_thread(
            seed_history, db, count=n, first=_local(date(2023, 1, 1), tz),
            last=_local(date(2027, 1, 1), tz),
        )  # fmt: skip
        seed_s = time.monotonic() - started
        try:
            sql = await time_sql(db, tz, PERIOD)
        except (ImportError, AttributeError) as exc:
            sql, out.extra["report_sql_missing"] = [], f"{type(exc).__name__}: {exc}"
        if HANDLERS.exists():
            got, memory = await _replies(srv, env, db, roster.secretary_chat(0), warm_runs)
            photos = [c for replies in got.values() for r in replies for c in r.photos]
            out.extra["report_png_ok"] = f"{sum(png_ok(srv, c) for c in photos)}/{len(photos)}"
    quarter = quarter_requests(db, tz)
    missing = "" if HANDLERS.exists() else "; handlers/figures/reports.py not there yet"

    def shape(name: str) -> str:
        replies = got.get(name) or []
        return (replies[0].shape() if replies else "n/a") + missing

    sql_note = f"period_report alone, median {statistics.median(sql):.3f}s" if sql else "n/a"
    out.metrics += [
        Metric("report_requests_stored", seeded.requests, "", n, "==", f"{quarter} in {PERIOD}"),
        Metric("report_sql_s", min(sql) if sql else None, "s", None, "<=", sql_note),
        Metric("report_cold_s", _median(got.get("cold", [])), "s", TARGET_S, "<=",
               f"secretary, 1st after start: {shape('cold')}"),
        Metric("report_secretary_s", _median(got.get("secretary", [])), "s", TARGET_S, "<=",
               f"median of {warm_runs}: {shape('secretary')}"),
        Metric("report_committee_s", _median(got.get("committee", [])), "s", TARGET_S, "<=",
               f"30 branches: {shape('committee')}"),
        Metric("report_committee_unpaced_s", _median(got.get("unpaced", [])), "s", None, "<=",
               f"per-chat limit lifted: {shape('unpaced')}"),
        Metric("report_rss_mb", memory.get("VmHWM", 0) / 1024 or None, "MB"),
    ]  # fmt: skip
    out.extra.update(
        report_seed_s=round(seed_s, 2),
        report_quarter_requests=quarter,
        report_sql_runs_s=[round(s, 3) for s in sql],
        report_runs={
            name: [{"first_s": r.first_s, "last_s": r.last_s, "shape": r.shape()} for r in replies]
            for name, replies in got.items()
        },
    )
    return out


def quarter_requests(db: Path, tz: ZoneInfo) -> int:
    """Requests raised in 2026Q4 (local dates), as seeded."""
    conn = sqlite3.connect(db)
    try:
        start, end = stamp(_local(date(2026, 10, 1), tz)), stamp(_local(date(2027, 1, 1), tz))
        found = conn.execute(
            "SELECT count(*) FROM requests WHERE created_at >= ? AND created_at < ?", (start, end)
        ).fetchone()
    finally:
        conn.close()
    return int(found[0])
