"""End-to-end harness: the real PTB Application against the sandbox Bot API over HTTP.

The clock is fake: it starts at an instant the test names (``moment``, by default
``tests.moments.QUIET``; never today), time moves only when a test says so, and deadlines
fire when the test calls ``world.advance``; delivery and handlers run for real.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from bot.app import Runtime
from bot.clock import FakeClock
from bot.files.roster import parse_roster
from bot.settings import Settings, WebhookOptions
from sandbox import Limits, SandboxServer
from sandbox.users import SimUser
from schedules.pace import ChatLimiters
from storage.db import make_engine, migrate
from storage.roster_store import import_roster
from tests.moments import DEC_1_MORNING, QUIET

ROSTER = Path(__file__).resolve().parents[2] / "examples" / "roster.yaml"

# Telegram ids in examples/roster.yaml
CHEN, GU, WANG, LI, ZHAO, QIAN = 1000, 3001, 1001, 1002, 1003, 1004
ZHOU, WU = 1101, 1102
MAO, SUN, SUN_MOTHER = 2001, 2002, 2003
STRANGER = 9999
NAMES = {
    CHEN: "陈主任",
    GU: "顾明",
    WANG: "王芳",
    LI: "李强",
    ZHAO: "赵敏",
    QIAN: "钱卫东",
    ZHOU: "周海涛",
    WU: "吴建华",
    MAO: "茅建国",
    SUN: "孙小红",
    SUN_MOTHER: "孙母",
}


@dataclass
class World:
    server: SandboxServer
    runtime: Runtime
    clock: FakeClock

    def user(self, telegram_id: int, name: str | None = None) -> SimUser:
        return self.server.user(telegram_id, name)

    async def advance(self, **delta: float) -> int:
        """Move time forward and let the deadline engine fire what fell due."""
        self.clock.advance(timedelta(**delta))
        self.runtime.dispatcher.wake()
        return await self.runtime.wakeups.fire_due()

    async def settle(self) -> None:
        """Wait until the outbox has nothing left to send now."""
        dispatcher = self.runtime.dispatcher
        dispatcher.idle.clear()
        dispatcher.wake()
        await dispatcher.idle.wait()

    async def count(self, table: Any, *where: Any) -> int:
        async with self.runtime.engine.connect() as conn:
            return int(
                await conn.scalar(select(func.count()).select_from(table).where(*where)) or 0
            )


async def service_request(world: World, worker_id: int, category: str, text: str) -> None:
    """Walk a worker through /request: category, description, Send."""
    worker = world.user(worker_id)
    worker.send("/request")
    menu = await worker.wait_message("What is it about?")
    await worker.press(menu, category)
    await worker.wait_message("describe what you need")
    worker.send(text)
    ready = await worker.wait_message(lambda m: "Send" in m.buttons)
    await worker.press(ready, "Send")


def settings_for(server: SandboxServer, db: Path, language: str = "en") -> Settings:
    return Settings(
        bot_token=SecretStr("123456:TEST-TOKEN"),
        api_url=server.base_url,
        db=str(db),
        timezone="Asia/Shanghai",
        language=language,
        bot_username="helpline_bot",
    )


async def seeded_runtime(
    server: SandboxServer,
    db: Path,
    *,
    clock: FakeClock,
    language: str = "en",
    read_timeout: float = 5.0,
    webhook: WebhookOptions | None = None,
    roster: str | None = None,
    limiters: ChatLimiters | None = None,
) -> Runtime:
    """``roster``: the roster file's text (default: the example's); ``limiters``: the
    bot's pace per chat (default: faster than Telegram, see ``runtime_for``)."""
    engine = make_engine(str(db))
    await migrate(engine)
    text = ROSTER.read_text() if roster is None else roster
    await import_roster(engine, parse_roster(text, str(ROSTER)), now=clock.now())
    await engine.dispose()
    runtime = runtime_for(
        server,
        db,
        clock,
        language=language,
        read_timeout=read_timeout,
        webhook=webhook,
        limiters=limiters,
    )
    await runtime.start()
    return runtime


def runtime_for(
    server: SandboxServer,
    db: Path,
    clock: FakeClock,
    *,
    language: str = "en",
    read_timeout: float = 5.0,
    webhook: WebhookOptions | None = None,
    limiters: ChatLimiters | None = None,
) -> Runtime:
    """The bot as the stories run it: time moves only when the test says, and each chat
    may take messages faster than Telegram's one a second. That pace is real-time and
    the bench's subject (its sandbox enforces it); here it would make a story that asks
    400 questions in one chat take 400 s, and prove nothing more. Likewise a failed
    update is retried after real-time backoff, shortened here."""
    return Runtime(
        settings_for(server, db, language),
        clock=clock,
        schedule=False,
        poll_timeout=1,
        read_timeout=read_timeout,
        webhook=webhook,
        chat_limiters=limiters or ChatLimiters(burst=30, period=1.0),
        update_retry=0.05,  # a failed update is tried again after 0.05, 0.1, 0.2 ... s
    )


@pytest.fixture
def language() -> str:
    return "en"


@pytest.fixture
def read_timeout() -> float:
    return 5.0


@pytest.fixture
def moment() -> datetime:
    """Where the world's clock starts; a test names another with parametrize("moment")."""
    return QUIET


@asynccontextmanager
async def world_at(
    tmp_path: Path, start: datetime, *, limits: Limits | None = None, **options: Any
) -> AsyncIterator[World]:
    """The sandbox, the example roster and the bot, with a fake clock at ``start``;
    ``limits``: Telegram's flood limits, enforced by the sandbox (off by default)."""
    clock = FakeClock(start.astimezone(UTC))
    async with SandboxServer(bot_username="helpline_bot", limits=limits) as server:
        for telegram_id, name in NAMES.items():
            server.user(telegram_id, name)
        runtime = await seeded_runtime(server, tmp_path / "helpline.db", clock=clock, **options)
        world = World(server, runtime, clock)
        try:
            yield world
        finally:
            await world.runtime.stop()  # a test may have restarted it


@pytest.fixture
async def world(
    tmp_path: Path, moment: datetime, language: str, read_timeout: float
) -> AsyncIterator[World]:
    async with world_at(tmp_path, moment, language=language, read_timeout=read_timeout) as world:
        yield world


@pytest.fixture
async def dated(tmp_path: Path) -> AsyncIterator[World]:
    """A world whose fake clock starts at ``DEC_1_MORNING``, the day the plans begin."""
    async with world_at(tmp_path, DEC_1_MORNING) as world:
        yield world
