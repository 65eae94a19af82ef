"""``helpline demo``: the bot, a local Telegram and a page of phones, on one machine.

No token and no network: the sandbox Bot API server (the one the tests use) listens on a
loopback address, the demo people from ``bot/demo_roster.yaml`` are its simulated users,
and the real bot runs against it with the system clock and its scheduler, on a fresh
temporary database (unless ``db`` is given). The page at ``Demo.url`` shows every
person's phone (``sandbox/web``).

Tests use the `Demo` class in process (with a shorter first escalation); the command runs
`run_demo` until SIGINT/SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import signal
import sys
import tempfile
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from types import TracebackType

from pydantic import SecretStr
from sqlalchemy import select

from bot.app import Runtime
from bot.domain.kinds import Urgency
from bot.files.roster import Roster, parse_roster
from bot.i18n import LANGUAGES, t
from bot.settings import Settings, SettingsError
from sandbox import SandboxServer
from sandbox.api import JSON
from sandbox.server import ensure_loopback
from sandbox.web import DemoHooks, add_web_routes, label
from storage.db import make_engine, migrate, reading
from storage.demo_marker import foreign_to_demo, mark_demo
from storage.roster_store import import_roster
from storage.tables import deadlines

log = logging.getLogger(__name__)

DEMO_TOKEN = "1:DEMO"
DEMO_BOT_USERNAME = "helpline_demo_bot"
ROSTER_NAME = "demo_roster.yaml"
# Display order of the phones: the story goes from the worker to the committee.
ROLE_ORDER = ("worker", "member", "secretary", "committee", "family")


@dataclass(frozen=True)
class DemoPerson:
    """Someone with a phone on the page."""

    key: str
    name: str
    telegram_id: int
    role: str  # one of ROLE_ORDER
    branch: str  # the branch's name ("" for the committee)

    def as_json(self) -> JSON:
        return {
            "id": self.telegram_id,
            "key": self.key,
            "name": self.name,
            "role": self.role,
            "branch": self.branch,
        }


def demo_roster(*, critical_first: timedelta | None = None, lang: str = "en") -> Roster:
    """The demo roster; ``critical_first`` replaces the wait before a 120's first escalation."""
    text = resources.files("bot.cli").joinpath(ROSTER_NAME).read_text(encoding="utf-8")
    roster = parse_roster(text, ROSTER_NAME, lang=lang)
    if critical_first is None:
        return roster
    chain = roster.escalation[Urgency.CRITICAL]
    chains = dict(roster.escalation)
    chains[Urgency.CRITICAL] = replace(chain, waits=(critical_first, *chain.waits[1:]))
    return replace(roster, escalation=chains)


def demo_people(roster: Roster) -> list[DemoPerson]:
    """Everyone in the roster who has a Telegram id, with the role the page shows."""
    branch_of_department = {d: b for b in roster.branches for d in b.departments}
    found: list[DemoPerson] = []
    for person in roster.people:
        if person.telegram_id is None:
            continue
        secretary_of = next((b for b in roster.branches if b.secretary == person.key), None)
        member_of = next((b for b in roster.branches if person.key in b.members), None)
        if person.key in roster.committee:
            role, branch = "committee", None
        elif secretary_of is not None:
            role, branch = "secretary", secretary_of
        elif member_of is not None:
            role, branch = "member", member_of
        elif person.family_of is not None:
            worker = roster.person(person.family_of)
            dept = worker.department if worker is not None else None
            role, branch = "family", branch_of_department.get(dept or "")
        else:
            role, branch = "worker", branch_of_department.get(person.department or "")
        found.append(
            DemoPerson(
                person.key, person.name, person.telegram_id, role, branch.name if branch else ""
            )
        )
    found.sort(key=lambda p: ROLE_ORDER.index(p.role))
    return found


class Demo:
    """The running demo: sandbox server + page + bot runtime; an async context manager."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        db: str | Path | None = None,
        language: str = "zh",
        timezone: str = "Asia/Shanghai",
        critical_first: timedelta | None = None,
        poll_timeout: int = 10,
    ) -> None:
        self.host = ensure_loopback(host)
        self.language = language
        self.timezone = timezone
        self.poll_timeout = poll_timeout
        self.roster = demo_roster(critical_first=critical_first, lang=language)
        self.people = demo_people(self.roster)
        self._tmpdir: Path | None = None
        if db is None:
            self._tmpdir = Path(tempfile.mkdtemp(prefix="helpline-demo-"))
            self.db = self._tmpdir / "helpline-demo.db"
        else:
            self.db = Path(db).resolve()
            if foreign_to_demo(self.db):  # a reset would delete it
                raise SettingsError([label(language, "cli_not_demo_db", file=self.db)])
        self.settings = self._settings_for("http://127.0.0.1/bot")  # checked before starting
        problems = self.settings.problems(require_token=True)
        if problems:
            if self._tmpdir is not None:
                shutil.rmtree(self._tmpdir, ignore_errors=True)
            raise SettingsError(problems)
        self.server = SandboxServer(
            self.host, port, bot_username=DEMO_BOT_USERNAME, bot_first_name="Helpline"
        )
        self.page = add_web_routes(
            self.server.app,
            self.server,
            DemoHooks(
                people=lambda: [p.as_json() for p in self.people],
                language=lambda: self.language,
                alert_buttons=lambda: [t(self.language, "Take")],
                next_deadline=self.next_deadline,
                reset=self.reset,
                timezone=self.timezone,
            ),
        )
        self.runtime: Runtime | None = None
        self._lock = asyncio.Lock()

    @property
    def url(self) -> str:
        """The page's address."""
        return f"{self.server.url}/"

    def _settings_for(self, api_url: str) -> Settings:
        return Settings(
            bot_token=SecretStr(DEMO_TOKEN),
            api_url=api_url,
            db=str(self.db),
            timezone=self.timezone,
            language=self.language,
            bot_username=DEMO_BOT_USERNAME,
        )

    # lifecycle ---------------------------------------------------------------------------

    async def start(self) -> Demo:
        await self.server.start()
        self.settings = self._settings_for(self.server.base_url)
        self._add_users()
        await self._seed()
        await self._start_bot()
        return self

    async def stop(self) -> None:
        """Stop the bot, then the server; remove the temporary database."""
        async with self._lock:
            await self._stop_bot()
        await self.server.stop()
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)

    async def reset(self) -> None:
        """Start over: bot stopped, database emptied, sandbox forgotten, bot started again."""
        async with self._lock:
            await self._stop_bot()
            self.server.reset()
            self._add_users()
            self._remove_db()
            await self._seed()
            await self._start_bot()

    async def __aenter__(self) -> Demo:
        try:
            return await self.start()
        except BaseException:
            await self.stop()
            raise

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # parts -------------------------------------------------------------------------------

    def _add_users(self) -> None:
        for person in self.people:
            self.server.user(person.telegram_id, person.name, language_code=self.language)

    def _remove_db(self) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                Path(f"{self.db}{suffix}").unlink()

    async def _seed(self) -> None:
        engine = make_engine(str(self.db))
        try:
            await migrate(engine)
            await import_roster(engine, self.roster, now=datetime.now(UTC))
            async with engine.begin() as conn:
                await mark_demo(conn)
        finally:
            await engine.dispose()

    async def _start_bot(self) -> None:
        runtime = Runtime(self.settings, schedule=True, poll_timeout=self.poll_timeout)
        try:
            await runtime.start()
        except BaseException:
            with contextlib.suppress(Exception):
                await runtime.stop()
            raise
        self.runtime = runtime

    async def _stop_bot(self) -> None:
        runtime, self.runtime = self.runtime, None
        if runtime is not None:
            await runtime.stop()

    async def next_deadline(self) -> JSON | None:
        """The earliest pending step of a request (for the page's clock, which counts down
        to the next escalation); digests, the quarterly assessment and visits keep their
        own, much slower time."""
        runtime = self.runtime
        if runtime is None:
            return None
        async with reading(runtime.engine) as conn:
            row = (
                await conn.execute(
                    select(deadlines.c.due_at, deadlines.c.kind, deadlines.c.request_id)
                    .where(deadlines.c.status == "pending", deadlines.c.request_id.is_not(None))
                    .order_by(deadlines.c.due_at, deadlines.c.id)
                    .limit(1)
                )
            ).first()
        if row is None:
            return None
        due: datetime = row.due_at
        if due.tzinfo is None:
            due = due.replace(tzinfo=UTC)
        return {
            "due_at": due.isoformat(),
            "seconds": max((due - datetime.now(UTC)).total_seconds(), 0.0),
            "kind": row.kind,
            "request": row.request_id,
        }


# the command -------------------------------------------------------------------------------


def run_demo(
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    db: str | None = None,
    language: str = "zh",
    timezone: str = "Asia/Shanghai",
) -> int:
    """Run the demo until SIGINT/SIGTERM; return the exit status (0 after a clean stop)."""
    if language not in LANGUAGES:
        print(
            label("en", "cli_bad_language", value=language, choices=", ".join(LANGUAGES)),
            file=sys.stderr,
        )
        return 2
    try:
        ensure_loopback(host)
    except ValueError:
        print(label(language, "cli_bad_host", host=host), file=sys.stderr)
        return 2
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return asyncio.run(_serve(host, port, db, language, timezone))


async def _serve(host: str, port: int, db: str | None, language: str, timezone: str) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    demo = Demo(host=host, port=port, db=db, language=language, timezone=timezone)
    try:
        await demo.start()
    except OSError as exc:
        await demo.stop()
        reason = exc.strerror or str(exc)
        print(
            label(language, "cli_port_busy", host=host, port=port, reason=reason), file=sys.stderr
        )
        return 1
    print(label(language, "cli_ready", url=demo.url), flush=True)
    try:
        await stop.wait()
    finally:
        await demo.stop()
    print(label(language, "cli_stopped"), flush=True)
    return 0
