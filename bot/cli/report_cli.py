"""``helpline report --period 2026Q4 --out FILE.html``: the figures as one HTML file.

Works on the ``HELPLINE_DB`` database, while the bot runs or not (it only reads). The
page is the one to publish, so every figure over fewer than 3 requests is withheld, as in
the supervisors' view; ``--internal`` keeps them all (for the committee's own desk). As
everywhere in the command, an operator's mistake ends with one sentence and status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import SQLAlchemyError

from bot.i18n import LANGUAGES, t
from bot.settings import load_settings

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _err(line: str) -> None:
    print(line, file=sys.stderr)


def add_parser(commands: Any, lang: str) -> None:
    report = commands.add_parser(
        "report", help=t(lang, "write a period's figures of every branch as one HTML file")
    )
    report.add_argument(
        "--period",
        default="",
        help=t(lang, "this-month, last-month, 2026-11, 2026Q4 or 2026 (default: this month)"),
    )
    report.add_argument("--out", required=True, metavar="FILE.html")
    report.add_argument("--language", choices=LANGUAGES, help=t(lang, "the page's language"))
    report.add_argument("--force", action="store_true", help=t(lang, "overwrite FILE if it exists"))
    report.add_argument(
        "--internal",
        action="store_true",
        help=t(lang, "show figures over fewer than 3 requests too (not for publishing)"),
    )


def run(args: argparse.Namespace) -> int:
    settings = load_settings(require_token=False)
    lang = args.language or settings.language
    return asyncio.run(
        write_report(
            lang,
            settings.db,
            settings.tz,
            args.period,
            Path(args.out),
            suppress=not args.internal,
            now=args.clock.now(),
            force=args.force,
        )
    )


async def write_report(
    lang: str,
    db: str,
    tz: ZoneInfo,
    written: str,
    out: Path,
    *,
    suppress: bool,
    now: datetime,
    force: bool = False,
) -> int:
    """Query, draw and write the page; print one line saying what was written."""
    from bot import offloop
    from bot.files.backup import sqlite_path
    from bot.files.outfiles import OutputError, check_target, put_in_place, staged
    from bot.texts import report_charts, report_html
    from bot.usecases.common import Ctx, Refused
    from bot.usecases.figures.reports import figures_of, period_of
    from storage.db import make_engine, migrate, reading

    ctx = Ctx(lang=lang, tz=tz)
    try:
        period = period_of(ctx, written, now)
        check_target(out, sqlite_path(db), force=force)  # before any query
    except (Refused, OutputError) as refused:
        _err(refused.text(lang))
        return EXIT_USAGE
    engine = make_engine(db)
    try:
        await migrate(engine)
        async with reading(engine) as conn:
            report = await figures_of(conn, ctx, period, now)
            before = await figures_of(conn, ctx, period.previous(), now)
    except SQLAlchemyError as exc:
        _err(t(lang, "database error: {reason}", reason=exc))
        return EXIT_FAILED
    finally:
        await engine.dispose()
    charts = await offloop.run(report_charts.render_charts, lang, report, suppress=suppress)
    html = report_html.page(lang, report, before, charts, suppress=suppress, made_at=now, tz=tz)
    try:
        with staged([out]) as (partial,):  # a reader never sees half a page
            partial.write_text(html, encoding="utf-8")
            put_in_place([(partial, out)], force=force)
    except OutputError as refused:
        _err(refused.text(lang))
        return EXIT_USAGE
    except OSError as exc:
        _err(t(lang, "{file}: cannot be written ({reason})", file=out, reason=exc.strerror or exc))
        return EXIT_USAGE
    print(
        t(
            lang,
            "{file}: the figures of {period} for {branches} branches ({size} KB)",
            file=out,
            period=period.label,
            branches=sum(1 for b in report.branches if b.branch_id is not None),
            size=max(1, round(len(html.encode()) / 1024)),
        )
    )
    return EXIT_OK
