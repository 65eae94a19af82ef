"""``helpline export``: the requests raised between two dates and their timelines, as CSV or
xlsx, for the company's own analysis (``--anonymised`` for readers outside the help line).

Dates are local dates in ``HELPLINE_TIMEZONE``, both included. Everything the operator
can get wrong is checked before anything is written, and the files are written under
temporary names beside the targets and moved into place only when complete, as
``helpline backup`` does: a refused, failed or interrupted export leaves nothing behind.
Rows are streamed from one read-only snapshot, so memory stays flat with the size of the
export and a running bot neither blocks it nor is blocked by it.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.exc import SQLAlchemyError

from bot.files.backup import human_size, sqlite_path
from bot.files.export_rows import (
    ANONYMISED_EVENT_COLUMNS,
    ANONYMISED_REQUEST_COLUMNS,
    EVENT_COLUMNS,
    REQUEST_COLUMNS,
    Pseudonyms,
    event_record,
    request_record,
)
from bot.files.outfiles import OutputError, check_target, put_in_place, staged
from bot.i18n import N_, t

if TYPE_CHECKING:
    from sqlalchemy.engine import RowMapping

    from bot.files import export_writers

FORMATS = ("csv", "xlsx")
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(2100, 12, 31)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class Progress(Protocol):
    """Told how many rows the export will write, then as they are written (the CLI's
    progress bar: an export of 100,000 requests takes a minute)."""

    def total(self, rows: int) -> None: ...

    def update(self, rows: int) -> None: ...


STEP = 1000  # rows between two progress updates


class ExportError(OutputError):
    """The export is refused (``operator``: the operator can fix it) or failed."""


@dataclass(frozen=True)
class ExportOptions:
    first: date
    last: date
    format: str
    out: Path
    anonymised: bool = False
    force: bool = False

    @property
    def targets(self) -> dict[str, Path]:
        """Sheet -> file: one workbook, or the requests file and its "-events.csv" beside it."""
        if self.format == "xlsx":
            return {"requests": self.out}
        return {"requests": self.out, "events": self.out.with_name(f"{self.out.stem}-events.csv")}

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) in UTC: from the local midnight of ``first`` to the one after ``last``."""
        start = datetime.combine(self.first, clock_time(0), tzinfo=tz)
        end = datetime.combine(self.last + timedelta(days=1), clock_time(0), tzinfo=tz)
        return start.astimezone(UTC), end.astimezone(UTC)


@dataclass(frozen=True)
class ExportReport:
    files: list[Path]
    requests: int
    events: int
    size: int  # bytes, all files


def _day(option: str, value: str | None) -> date:
    if value is None:
        raise ExportError(
            N_("{option} is required: a local date such as 2026-10-01"), option=option
        )
    found: date | None = None
    if _DATE.fullmatch(value.strip()):
        with contextlib.suppress(ValueError):
            found = date.fromisoformat(value.strip())
    if found is None or not FIRST_DAY <= found <= LAST_DAY:
        raise ExportError(
            N_(
                "{option}: “{value}” is not a date from 1970-01-01 to 2100-12-31 (write YYYY-MM-DD)"
            ),
            option=option,
            value=value,
        )
    return found


def parse_options(
    first: str | None,
    last: str | None,
    format_: str | None,
    out: str | None,
    *,
    anonymised: bool = False,
    force: bool = False,
) -> ExportOptions:
    """Check what the operator typed; raise ExportError with the first problem."""
    start, end = _day("--from", first), _day("--to", last)
    if start > end:
        raise ExportError(
            N_("--from {first} is after --to {last}: nothing can be in that period"),
            first=start.isoformat(),
            last=end.isoformat(),
        )
    if not out:
        raise ExportError(N_("--out FILE is required: the file to write the export to"))
    path = Path(out)
    fmt = (format_ or path.suffix.lstrip(".")).strip().lower()
    if not fmt:
        raise ExportError(
            N_("--format is required (csv or xlsx) when FILE ends in neither .csv nor .xlsx")
        )
    if fmt not in FORMATS:
        raise ExportError(
            N_("--format: “{value}” is not a format this export writes; use csv or xlsx"),
            value=fmt,
        )
    return ExportOptions(start, end, fmt, path, anonymised=anonymised, force=force)


def check_targets(options: ExportOptions, db: str) -> None:
    """Refuse targets that exist (unless --force), are directories, or are the database."""
    live = sqlite_path(db)
    for target in options.targets.values():
        check_target(target, live, force=options.force)
    if live is not None and not live.is_file():
        raise ExportError(
            N_("HELPLINE_DB: '{path}' does not exist; there is nothing to export"), path=live
        )


async def export(
    db: str, tz: ZoneInfo, options: ExportOptions, progress: Progress | None = None
) -> ExportReport:
    """Write the export; nothing is left behind unless it is complete."""
    from bot.files.export_writers import CsvSink, Sink, XlsxSink  # openpyxl: only when exporting

    check_targets(options, db)
    targets = options.targets
    with staged(list(targets.values())) as paths:
        partials = dict(zip(targets, paths, strict=True))
        sink: Sink = (
            XlsxSink(partials["requests"]) if options.format == "xlsx" else CsvSink(partials)
        )
        try:
            counts = await _write(db, tz, options, sink, progress)
            sink.finish()
        finally:
            sink.close()
        put_in_place([(partials[k], targets[k]) for k in targets], force=options.force)
    files = list(targets.values())
    return ExportReport(files, *counts, size=sum(f.stat().st_size for f in files))


async def _write(
    db: str,
    tz: ZoneInfo,
    options: ExportOptions,
    sink: export_writers.Sink,
    progress: Progress | None,
) -> tuple[int, int]:
    from storage.db import make_engine, reading
    from storage.export_queries import count, events_query, people_names, requests_query, stream

    start, end = options.bounds(tz)
    anon = options.anonymised
    pseudonym = Pseudonyms() if anon else None
    engine = make_engine(db)
    try:
        async with reading(engine) as conn, conn.begin():  # one snapshot for both sheets
            of_requests = requests_query(start, end, anonymised=anon)
            of_events = events_query(start, end, anonymised=anon)
            if progress is not None:
                progress.total(await count(conn, of_requests) + await count(conn, of_events))
            names = None if anon else await people_names(conn)
            sink.begin("requests", ANONYMISED_REQUEST_COLUMNS if anon else REQUEST_COLUMNS)
            requests = await _copy(
                stream(conn, of_requests),
                lambda row: request_record(row, tz, pseudonym),
                sink,
                progress,
            )
            sink.begin("events", ANONYMISED_EVENT_COLUMNS if anon else EVENT_COLUMNS)
            events = await _copy(
                stream(conn, of_events),
                lambda row: event_record(row, tz, pseudonym, names),
                sink,
                progress,
            )
    except SQLAlchemyError as exc:
        raise ExportError(
            N_("database error, nothing was written: {reason}"), operator=False, reason=exc
        ) from None
    finally:
        await engine.dispose()
    return requests, events


async def _copy(
    rows: AsyncIterator[RowMapping],
    record: Callable[[RowMapping], dict[str, Any]],
    sink: export_writers.Sink,
    progress: Progress | None,
) -> int:
    """Write each row's record to the sink's current sheet; tell ``progress`` every
    ``STEP`` rows and at the end. Returns how many rows were written."""
    written = 0
    async for row in rows:
        sink.row(record(row))
        written += 1
        if progress is not None and written % STEP == 0:
            progress.update(STEP)
    if progress is not None:
        progress.update(written % STEP)
    return written


def main_export(
    lang: str, db: str, tz: ZoneInfo, options: ExportOptions, progress: Progress | None = None
) -> tuple[int, str]:
    """Run an export for the CLI: (0, report line) or (1 or 2, error line)."""
    started = time.monotonic()
    try:
        report = _run(db, tz, options, progress)
    except OutputError as exc:
        return (2 if exc.operator else 1), exc.text(lang)
    except OSError as exc:
        return 1, t(
            lang,
            "{file}: cannot be written ({reason})",
            file=options.out,
            reason=exc.strerror or exc,
        )
    params = {
        "files": ", ".join(str(f) for f in report.files),
        "requests": report.requests,
        "events": report.events,
        "first": options.first.isoformat(),
        "last": options.last.isoformat(),
        "size": human_size(report.size),
        "seconds": f"{time.monotonic() - started:.1f}",
    }
    if options.anonymised:
        return 0, t(
            lang,
            "{files}: {requests} requests raised from {first} to {last} and their {events} "
            "timeline events, anonymised ({size}, {seconds}s)",
            **params,
        )
    return 0, t(
        lang,
        "{files}: {requests} requests raised from {first} to {last} and their {events} "
        "timeline events ({size}, {seconds}s)",
        **params,
    )


def _run(db: str, tz: ZoneInfo, options: ExportOptions, progress: Progress | None) -> ExportReport:
    import asyncio

    return asyncio.run(export(db, tz, options, progress))
