"""The ``export`` scenario: ``helpline export --format xlsx`` of a year of 100,000 requests.

The roster is imported with the real CLI; a year of requests with their timelines (about
six events each) is seeded with SQL (``bench/history.py``); the export then runs as its own
process, exactly as an operator runs it, and is measured from outside: wall time, and its
peak resident memory as the kernel accounts it for that one process (``ru_maxrss`` from
``os.wait4`` in a small launcher, so neither the bench nor any earlier child counts). The
workbook is then opened with openpyxl and its rows counted. The same export as CSV is
measured beside it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from bench.history import seed_history
from bench.proc import helpline_command
from bench.scenarios import Outcome, _prepare
from bench.seed import RosterSpec, make_roster
from bench.stats import Metric

NO_API = "http://127.0.0.1:9/bot"  # the export never talks to Telegram
RSS_TARGET_MB = 200
YEAR = 2026


@dataclass(frozen=True)
class Measured:
    status: int
    wall_s: float
    peak_rss_mb: float  # the child's own high-water mark
    output: str


# A small Python between the bench and the measured process: it forks the command and
# reaps it with wait4, whose ru_maxrss is that child's peak. Linux carries the parent's
# high-water mark over fork and exec, so reaping from the bench itself (hundreds of MB by
# then) would report the bench; the launcher's own ~10 MB is the floor instead.
LAUNCHER = """
import os, subprocess, sys, time
started = time.monotonic()
child = subprocess.Popen(sys.argv[2:])
_pid, status, usage = os.wait4(child.pid, 0)
took = time.monotonic() - started
with open(sys.argv[1], "w") as out:
    out.write(f"{os.waitstatus_to_exitcode(status)} {took} {usage.ru_maxrss}")
"""


def run_measured(args: list[str], env: dict[str, str], cwd: Path, timeout: float) -> Measured:
    """Run ``helpline ARGS``: its exit status, wall time and own peak resident memory."""
    log, figures = cwd / f"helpline-{args[0]}.log", cwd / f"helpline-{args[0]}.rusage"
    figures.unlink(missing_ok=True)
    with log.open("wb") as out:
        launcher = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER, str(figures), *helpline_command(), *args],
            env=env,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            launcher.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(launcher.pid, signal.SIGKILL)
            launcher.wait()
            raise
    text = log.read_text(encoding="utf-8", errors="replace").strip()
    try:
        status, took, max_kb = figures.read_text().split()
    except (OSError, ValueError):
        raise RuntimeError(f"the launcher did not report ({launcher.returncode}): {text}") from None
    return Measured(int(status), float(took), int(max_kb) / 1024, text)


def count_xlsx(path: Path) -> tuple[list[str], int, int]:
    """Sheet names, rows of "requests" read through openpyxl, rows of "events" (counted in
    the sheet's XML: reading 600,000 rows cell by cell would only time openpyxl)."""
    book = load_workbook(path, read_only=True)
    try:
        names = list(book.sheetnames)
        requests = sum(1 for _ in book["requests"].iter_rows(values_only=True)) - 1
    finally:
        book.close()
    end_of_row, events, tail = b"</row>", 0, b""
    with zipfile.ZipFile(path) as z, z.open("xl/worksheets/sheet2.xml") as sheet:
        while chunk := sheet.read(1 << 20):
            data = tail + chunk
            events += data.count(end_of_row)
            tail = data[-len(end_of_row) + 1 :]  # too short to hold a whole one: none counted twice
    return names, requests, events - 1


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, clock_time(0), tzinfo=tz)


async def export(root: Path, n: int = 100_000) -> Outcome:
    roster = make_roster(RosterSpec(branches=20, members_per_branch=3))
    work = root / "export"
    db, env = await _prepare(work, roster, NO_API)
    tz = ZoneInfo(env["HELPLINE_TIMEZONE"])
    started = time.monotonic()
    seeded = await asyncio.to_thread(
        seed_history,
        db,
        count=n,
        first=_local_midnight(date(YEAR, 1, 1), tz),
        last=_local_midnight(date(YEAR + 1, 1, 1), tz),
        timelines=True,
    )
    seed_s = time.monotonic() - started
    period = ["--from", f"{YEAR}-01-01", "--to", f"{YEAR}-12-31"]
    book = work / f"requests-{YEAR}.xlsx"
    xlsx = await asyncio.to_thread(
        run_measured, ["export", *period, "--format", "xlsx", "--out", str(book)], env, work, 1800
    )
    if xlsx.status != 0:
        raise RuntimeError(f"helpline export failed ({xlsx.status}): {xlsx.output}")
    sheets, rows, event_rows = await asyncio.to_thread(count_xlsx, book)
    flat = work / f"requests-{YEAR}.csv"
    csv = await asyncio.to_thread(
        run_measured, ["export", *period, "--format", "csv", "--out", str(flat)], env, work, 900
    )
    csv_mb = sum(p.stat().st_size for p in work.glob(f"requests-{YEAR}*.csv")) / 2**20
    book_mb = book.stat().st_size / 2**20
    csv_s = csv.wall_s if csv.status == 0 else None
    out = Outcome()
    out.metrics += [
        Metric("export_requests", rows, "", n, "==", f"rows of the 'requests' sheet; {sheets}"),
        Metric("export_events", event_rows, "", seeded.events, "==", "rows of the 'events' sheet"),
        Metric("export_xlsx_s", xlsx.wall_s, "s", None, "<=", f"one workbook, {book_mb:.0f} MB"),
        Metric("export_xlsx_rss_mb", xlsx.peak_rss_mb, "MB", RSS_TARGET_MB, "<=", "peak RSS"),
        Metric("export_csv_s", csv_s, "s", None, "<=", f"two files, {csv_mb:.0f} MB"),
        Metric("export_csv_rss_mb", csv.peak_rss_mb, "MB", RSS_TARGET_MB, "<=", "peak RSS"),
    ]
    db_mb = sum(p.stat().st_size for p in work.glob("helpline.db*")) / 2**20
    out.extra.update(
        export_seed_s=round(seed_s, 2),
        export_db_mb=round(db_mb, 1),
        export_seeded_states=seeded.by_state,
        export_xlsx_output=xlsx.output,
        export_csv_output=csv.output,
    )
    return out
