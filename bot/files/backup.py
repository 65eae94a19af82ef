"""``helpline backup FILE``: a consistent copy of the live SQLite database.

SQLite's online backup API (``sqlite3.Connection.backup``) copies the database page by
page from a read snapshot, so the bot keeps running and writing meanwhile (WAL: a reader
never blocks the writer) and the copy is the database as of one moment, never half a
transaction. By default the copy is taken in one step: with a writer busy in another
process, SQLite restarts a multi-step backup whenever the source changes between two
steps, so small steps could chase a busy bot for ever; one step holds one snapshot and
always finishes. ``pages``/``pause`` allow stepping for tests or a quiet database.

The copy is written in a private directory beside FILE (``bot/files/outfiles.py``) and moved
into place only when it is complete and readable: a failed or interrupted backup never
leaves a half file named FILE. Every refusal is an ``OutputError`` (``BackupError`` for
the backup's own) carrying a catalog msgid, for a one-line message.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from bot.files.outfiles import OutputError, check_target, put_in_place, staged
from bot.i18n import N_, t


class BackupError(OutputError):
    """The operator asked for something we refuse; ``msgid``/``params`` say why."""


@dataclass(frozen=True)
class BackupReport:
    path: Path
    size: int  # bytes
    requests: int | None  # None: the copy has no requests table (not migrated yet)


def sqlite_path(db: str) -> Path | None:
    """The file behind ``HELPLINE_DB`` (a path or an SQLAlchemy URL), or None if it is not
    an SQLite file (another database server, or an in-memory database)."""
    if "://" not in db:
        return Path(db) if db and db != ":memory:" else None
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(db)
    except ArgumentError:
        return None
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover


def backup(
    db: str,
    target: Path,
    *,
    force: bool = False,
    pages: int = -1,
    pause: float = 0.01,
) -> BackupReport:
    """Copy the database named by ``db`` (``HELPLINE_DB``) to ``target``.

    ``pages`` per backup step (-1: all in one step) and ``pause`` seconds between steps.
    """
    source = sqlite_path(db)
    if source is None:
        raise BackupError(
            N_(
                "HELPLINE_DB: '{value}' is not an SQLite file; back it up with that "
                "database's own tools"
            ),
            value=_shown(db),
        )
    if not source.is_file():
        raise BackupError(
            N_("HELPLINE_DB: '{path}' does not exist; there is nothing to back up"), path=source
        )
    check_target(target, source, force=force)
    with staged([target]) as (partial,):
        requests = _copy(source, partial, pages=pages, pause=pause)
        put_in_place([(partial, target)], force=force)
    return BackupReport(target, target.stat().st_size, requests)


def _copy(source: Path, partial: Path, *, pages: int, pause: float) -> int | None:
    try:
        # Read-write, though only read: a read-only connection could not tidy up the
        # -wal/-shm files it creates when the bot is stopped.
        src = sqlite3.connect(source, timeout=10)
    except sqlite3.Error as exc:
        raise BackupError(
            N_("{file}: cannot be read ({reason})"), file=source, reason=exc, operator=False
        ) from None
    try:
        try:
            src.execute("PRAGMA busy_timeout=10000")
            src.execute("SELECT count(*) FROM sqlite_schema").fetchone()
        except sqlite3.DatabaseError as exc:
            raise BackupError(
                N_("{file}: not an SQLite database ({reason})"), file=source, reason=exc
            ) from None
        try:
            dst = sqlite3.connect(partial)
        except sqlite3.Error as exc:
            raise BackupError(
                N_("{file}: cannot be written ({reason})"), file=partial.parent, reason=exc
            ) from None
        try:
            src.backup(dst, pages=pages, sleep=pause)
            # The copy carries the source's WAL flag; a single file is easier to move around.
            dst.execute("PRAGMA journal_mode=DELETE")
            return _count_requests(dst)
        except sqlite3.Error as exc:
            raise BackupError(
                N_("backup failed, nothing was written: {reason}"), reason=exc, operator=False
            ) from None
        finally:
            dst.close()
    finally:
        src.close()


def _count_requests(conn: sqlite3.Connection) -> int | None:
    found = conn.execute(
        "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'requests'"
    ).fetchone()
    if found is None:
        return None
    row = conn.execute("SELECT count(*) FROM requests").fetchone()
    return int(row[0])


def main_backup(lang: str, db: str, target: Path, *, force: bool) -> tuple[int, str]:
    """Run a backup for the CLI: (0, report line) or (1 or 2, error line)."""
    started = time.monotonic()
    try:
        report = backup(db, target, force=force)
    except OutputError as exc:
        return (2 if exc.operator else 1), exc.text(lang)
    except OSError as exc:
        return 1, t(lang, "{file}: cannot be written ({reason})", file=target, reason=exc)
    seconds = time.monotonic() - started
    if report.requests is None:
        return 0, t(
            lang,
            "{file}: backed up, {size} in {seconds}s; the copy has no requests table yet",
            file=report.path,
            size=human_size(report.size),
            seconds=f"{seconds:.1f}",
        )
    return 0, t(
        lang,
        "{file}: backed up, {size} in {seconds}s, {requests} requests in the copy",
        file=report.path,
        size=human_size(report.size),
        seconds=f"{seconds:.1f}",
        requests=report.requests,
    )


def _shown(db: str) -> str:
    """``HELPLINE_DB`` as it may be printed: a URL's password masked."""
    if "://" not in db:
        return db
    from sqlalchemy.engine import make_url

    url = make_url(db)
    return db if url.password is None else url.render_as_string(hide_password=True)
