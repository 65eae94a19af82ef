"""``python -m bench [--quick] [--json FILE] [--scaling] [--only a,b]``: DESIGN.md §9, measured.

Scenarios: intake (50 workers' /120 at once), flood (100 /120s from one worker, then a
colleague's one), mass_incident (20 and 100 workers of one branch at once, Telegram's
limits on), inputs (a /120 right behind the committee's /report),
deadlines (1,000 due within 2 s, then their
alerts drained under 429s), overtake (a /120 behind 1,000 queued normal messages),
restart (100,000 open requests, or 10,000 with --quick, plus 1,000 overdue), plans
(10,000 active care plans armed at start beside 200 overdue escalations, in both modes),
export (an xlsx and a CSV export of a year of 100,000 requests and their timelines, 10,000
with --quick), report (/report 2026Q4 by the committee over 1,000,000 stored requests)
and, in full mode or with --scaling, the restart figures at 10k, 100k and 1M open requests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

from bench import exporting, flood, inputs, mass, reports, scenarios
from bench import plans as plans_scenario
from bench.stats import Metric, format_table

SCENARIOS = (
    "intake",
    "flood",
    "mass_incident",
    "inputs",
    "deadlines",
    "overtake",
    "restart",
    "plans",
    "export",
    "report",
)
SCALING_FULL = (10_000, 100_000, 1_000_000)


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10k open requests, no scaling")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--scaling", action="store_true", help="restart at 10k/100k/1M")
    parser.add_argument("--only", help=f"comma-separated subset of {','.join(SCENARIOS)}")
    parser.add_argument("--keep", action="store_true", help="keep the working directory")
    return parser.parse_args(argv)


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    try:
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            if row.startswith("model name"):
                info["cpu"] = row.split(":", 1)[1].strip()
                break
        for row in Path("/proc/meminfo").read_text().splitlines():
            if row.startswith("MemTotal"):
                info["mem_gb"] = round(int(row.split()[1]) / 2**20, 1)
    except OSError:
        pass
    if shutil.which("nproc"):
        out = subprocess.run(["nproc"], capture_output=True, text=True, check=False)
        info["nproc"] = int(out.stdout.strip() or 0) or info["nproc"]
    return info


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 4)
    return value


async def _run_one(
    name: str, run: Callable[[], Awaitable[scenarios.Outcome]], errors: dict[str, str]
) -> scenarios.Outcome:
    started = time.monotonic()
    print(f"[bench] {name} ...", file=sys.stderr, flush=True)
    try:
        outcome = await run()
    except Exception as exc:
        errors[name] = f"{type(exc).__name__}: {exc}"
        traceback.print_exc()
        outcome = scenarios.Outcome()
    outcome.extra[f"{name}_duration_s"] = round(time.monotonic() - started, 1)
    print(f"[bench] {name} done in {time.monotonic() - started:.1f}s", file=sys.stderr)
    return outcome


async def main_async(args: argparse.Namespace, root: Path) -> dict[str, Any]:
    only = set(args.only.split(",")) if args.only else set(SCENARIOS)
    unknown = only - set(SCENARIOS) - {"scaling"}
    if unknown:
        raise SystemExit(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    open_n = 10_000 if args.quick else 100_000
    errors: dict[str, str] = {}
    metrics: list[Metric] = []
    extra: dict[str, Any] = {}
    plan: list[tuple[str, Callable[[], Awaitable[scenarios.Outcome]]]] = [
        ("intake", lambda: scenarios.intake(root)),
        ("flood", lambda: flood.flood(root)),
        ("mass_incident", lambda: mass.mass_incident(root)),
        ("inputs", lambda: inputs.inputs(root)),
        ("deadlines", lambda: scenarios.deadlines(root)),
        ("overtake", lambda: scenarios.overtake(root)),
        ("restart", lambda: scenarios.restart(root, open_n)),
        ("plans", lambda: plans_scenario.plans(root)),
        ("export", lambda: exporting.export(root, 10_000 if args.quick else 100_000)),
        ("report", lambda: reports.report(root, warm_runs=1 if args.quick else 3)),
    ]
    for name, run in plan:
        if name in only:
            outcome = await _run_one(name, run, errors)
            metrics += outcome.metrics
            extra.update(outcome.extra)
    scaling: list[dict[str, Any]] = []
    if (args.scaling or not args.quick) and (not args.only or "scaling" in only):
        for n in SCALING_FULL:
            outcome = await _run_one(f"scaling-{n}", partial(scenarios.restart, root, n), errors)
            row: dict[str, Any] = {m.key: _clean(m.value) for m in outcome.metrics}
            row.update({k: v for k, v in outcome.extra.items() if k.startswith("restart_")})
            row["open_requests"] = n
            scaling.append(row)
    if metrics:
        print(format_table(metrics, "Branch 110/120 benchmark (DESIGN.md §9)"))
    if scaling:
        print()
        print(_scaling_table(scaling))
    if errors:
        print("\nerrors:", file=sys.stderr)
        for name, why in errors.items():
            print(f"  {name}: {why.splitlines()[0]}", file=sys.stderr)
    result: dict[str, Any] = {m.key: _clean(m.value) for m in metrics}
    result["targets"] = {
        m.key: {"target": m.target, "op": m.op, "passed": m.passed}
        for m in metrics
        if m.target is not None
    }
    result["details"] = {k: _clean(v) for k, v in extra.items()}
    if scaling:
        result["scaling"] = scaling
    result["errors"] = errors
    return result


def _scaling_table(rows: list[dict[str, Any]]) -> str:
    cols = (
        ("open_requests", "open"),
        ("restart_seed_s", "seed s"),
        ("restart_db_mb", "db MB"),
        ("restart_boot_s", "boot s"),
        ("restart_armed_s", "armed s"),
        ("restart_first_overdue_s", "1st overdue s"),
        ("restart_caught_up_s", "caught up s"),
        ("restart_rss_mb", "peak RSS MB"),
    )
    cells = [[h for _, h in cols]]
    for row in rows:
        cells.append([_fmt(row.get(k)) for k, _ in cols])
    widths = [max(len(r[i]) for r in cells) for i in range(len(cols))]
    lines = ["How restart grows with the number of open requests"]
    for i, r in enumerate(cells):
        lines.append("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)))
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3f}" if value < 10 else f"{value:.1f}"
    return str(value)


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    started = time.monotonic()
    root = Path(tempfile.mkdtemp(prefix="helpline-bench-"))
    try:
        result = asyncio.run(main_async(args, root))
    finally:
        if args.keep:
            print(f"[bench] kept {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)
    duration = time.monotonic() - started
    result["mode"] = "quick" if args.quick else "full"
    result["duration_s"] = round(duration, 1)
    result["machine"] = machine()
    print(f"\nmode: {result['mode']}, wall time {duration:.1f}s, machine: {result['machine']}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
