"""``helpline backup FILE``: a consistent copy of the live database, while it is written."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.files.backup import backup, sqlite_path
from bot.files.outfiles import OutputError
from storage.db import make_engine, migrate
from tests.moments import helpline

REQUEST_SQL = (
    "INSERT INTO requests (kind, urgency, state, requester_chat_id, requester_name,"
    " unregistered, text, level, chain, created_at, updated_at)"
    " VALUES ('120', 'critical', 'open', 2001, 'w', 0, ?, 0, '{}', ?, ?)"
)
EVENT_SQL = "INSERT INTO events (request_id, at, type, data) VALUES (?, ?, 'raised', '{}')"
NOW = "2026-12-01 01:00:00.000000"


@pytest.fixture
def db(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A migrated database named by HELPLINE_DB, with a few MB of rows to copy."""
    for name in list(os.environ):
        if name.startswith("HELPLINE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HELPLINE_LANGUAGE", "en")
    path = tmp_path / "live.db"
    monkeypatch.setenv("HELPLINE_DB", str(path))

    async def create() -> None:
        engine = make_engine(str(path))
        try:
            await migrate(engine)
        finally:
            await engine.dispose()

    asyncio.run(create())
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO inbox (update_id, received_at, status, payload) VALUES (?, ?, 'done', ?)",
            [(i, NOW, '{"text": "' + "x" * 200 + '"}') for i in range(20_000)],
        )
    return path


class Writer(threading.Thread):
    """Commits one request and its event per transaction until stopped."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.done = 0
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self._progress = threading.Condition()

    def run(self) -> None:
        try:
            conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            conn.execute("PRAGMA busy_timeout=10000")
            while not self.stop.is_set():
                conn.execute("BEGIN IMMEDIATE")
                cur = conn.execute(REQUEST_SQL, ("x" * 500, NOW, NOW))
                conn.execute(EVENT_SQL, (cur.lastrowid, NOW))
                conn.execute("COMMIT")
                with self._progress:
                    self.done += 1
                    self._progress.notify_all()
            conn.close()
        except BaseException as exc:  # surfaced by the test
            with self._progress:
                self.error = exc
                self._progress.notify_all()

    def wait_for(self, count: int, timeout: float = 10.0) -> None:
        """Until ``count`` commits: woken by each one, not by polling with sleeps (and
        ``time.sleep`` fails under libfaketime, which ``tools/any-date`` runs this with)."""
        with self._progress:
            reached = self._progress.wait_for(
                lambda: self.done >= count or self.error is not None, timeout
            )
        assert self.error is None, self.error
        assert reached, f"writer stuck at {self.done}"


@pytest.fixture
def writer(db: Path) -> Iterator[Writer]:
    w = Writer(db)
    w.start()
    try:
        yield w
    finally:
        w.stop.set()
        w.join(10)


def test_backup_while_writing_is_a_consistent_copy(
    db: Path, writer: Writer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    writer.wait_for(50)
    before = writer.done
    target = tmp_path / "copy.db"
    assert helpline(["backup", str(target)]) == 0
    after = writer.done
    writer.wait_for(after + 50)  # the live database kept taking writes
    out = capsys.readouterr()
    assert out.err == ""
    assert len(out.out.strip().splitlines()) == 1
    with sqlite3.connect(target) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        tables = {r[0] for r in copy.execute("SELECT name FROM sqlite_schema WHERE type='table'")}
        assert {"requests", "events", "outbox", "deadlines", "inbox", "alembic_version"} <= tables
        version = copy.execute("SELECT version_num FROM alembic_version").fetchone()
        with sqlite3.connect(db) as live:
            assert version == live.execute("SELECT version_num FROM alembic_version").fetchone()
        count = copy.execute("SELECT count(*) FROM requests").fetchone()[0]
        ids = copy.execute("SELECT min(id), max(id) FROM requests").fetchone()
        events = copy.execute("SELECT count(*), count(DISTINCT request_id) FROM events").fetchone()
        inbox = copy.execute("SELECT count(*) FROM inbox").fetchone()[0]
    # One moment of the database: every committed request with its event, nothing torn.
    assert before <= count <= after + 1
    print(f"writer: {before} before the backup, {after} after; the copy has {count}")
    assert ids == (1, count)
    assert events == (count, count)
    assert inbox == 20_000
    assert f"{count} requests in the copy" in out.out
    assert "MB" in out.out
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]
    assert not Path(f"{target}-wal").exists()


def test_backup_refuses_to_overwrite_unless_forced(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "old.db"
    target.write_bytes(b"yesterday's backup")
    assert helpline(["backup", str(target)]) == 2
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err.strip() == (
        f"{target}: already exists; choose another name or add --force to overwrite it"
    )
    assert target.read_bytes() == b"yesterday's backup"

    assert helpline(["backup", "--force", str(target)]) == 0
    assert "0 requests in the copy" in capsys.readouterr().out
    with sqlite3.connect(target) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_backup_of_the_live_file_onto_itself_is_refused(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    size = db.stat().st_size
    assert helpline(["backup", "--force", str(db)]) == 2
    assert capsys.readouterr().err.strip() == f"{db}: is the live database itself"
    assert db.stat().st_size == size


@pytest.mark.parametrize("url", ["sqlite+aiosqlite:///:memory:"])
def test_backup_refuses_a_database_that_is_not_an_sqlite_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str], url: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HELPLINE_LANGUAGE", "en")
    monkeypatch.setenv("HELPLINE_DB", url)
    assert helpline(["backup", str(tmp_path / "copy.db")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"HELPLINE_DB: '{url}' is not an SQLite file; back it up with that database's own tools"
    )
    assert not (tmp_path / "copy.db").exists()


def test_backup_of_a_database_whose_driver_is_missing_says_so_without_the_password(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """(A server database whose driver is installed is refused by the backup itself, with
    its password masked: ``backup._shown``.)"""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HELPLINE_LANGUAGE", "en")
    monkeypatch.setenv("HELPLINE_DB", "postgresql+asyncpg://helpline:s3cret@db.example/helpline")
    assert helpline(["backup", str(tmp_path / "copy.db")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("HELPLINE_DB: no usable driver for 'postgresql+asyncpg'")
    assert "s3cret" not in err and not (tmp_path / "copy.db").exists()


def test_backup_of_a_missing_database_or_into_a_missing_directory(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert helpline(["backup", str(tmp_path / "no" / "such" / "dir.db")]) == 2
    assert "the directory does not exist" in capsys.readouterr().err
    monkeypatch.setenv("HELPLINE_DB", str(tmp_path / "never.db"))
    assert helpline(["backup", str(tmp_path / "copy.db")]) == 2
    assert "does not exist; there is nothing to back up" in capsys.readouterr().err
    assert not (tmp_path / "never.db").exists()
    not_a_db = tmp_path / "notes.txt"
    not_a_db.write_text("just text, no database here\n" * 100)
    monkeypatch.setenv("HELPLINE_DB", str(not_a_db))
    assert helpline(["backup", str(tmp_path / "copy.db")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"{not_a_db}: not an SQLite database") and "\n" not in err
    assert not (tmp_path / "copy.db").exists()


def test_a_restored_backup_opens_and_migrates(db: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    report = backup(str(db), copy, pages=512, pause=0.0)  # stepped: nobody writes now
    assert report.requests == 0 and report.size == copy.stat().st_size
    restored = tmp_path / "restored.db"
    restored.write_bytes(copy.read_bytes())

    async def reopen() -> int:
        engine = make_engine(str(restored))
        try:
            await migrate(engine)  # already at head: nothing to do
            async with engine.connect() as conn:
                return int((await conn.exec_driver_sql("SELECT count(*) FROM inbox")).scalar_one())
        finally:
            await engine.dispose()

    assert asyncio.run(reopen()) == 20_000


def test_sqlite_path_reads_paths_and_urls() -> None:
    assert sqlite_path("helpline.db") == Path("helpline.db")
    assert sqlite_path("sqlite+aiosqlite:////srv/h.db") == Path("/srv/h.db")
    assert sqlite_path("sqlite+aiosqlite:///h.db") == Path("h.db")
    assert sqlite_path("postgresql+asyncpg://u@h/db") is None
    assert sqlite_path(":memory:") is None
    with pytest.raises(OutputError):
        backup("postgresql+asyncpg://u@h/db", Path("x.db"))
