"""The process tests' harness: the sandbox, a database with the roster, ``helpline run``
as child processes that a test can kill, and cheap reads of the database on the side."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from bench.proc import CAUGHT_UP, READY, BotProcess, bot_env, run_cli
from sandbox import SandboxServer
from sandbox.users import SentMessage, SimUser

# Telegram ids in examples/roster.yaml
CHEN, WANG, LI, ZHAO, QIAN, MAO = 1000, 1001, 1002, 1003, 1004, 2001
NAMES = {CHEN: "陈主任", WANG: "王芳", LI: "李强", ZHAO: "赵敏", QIAN: "钱卫东", MAO: "茅建国"}
TEXT = "/120 chest pain"
START_TIMEOUT = 20.0  # a cold interpreter importing PTB on a busy machine
WAIT = 10.0
T = TypeVar("T")


@dataclass
class Harness:
    server: SandboxServer
    db: Path
    root: Path
    env: dict[str, str]
    bots: list[BotProcess]

    def user(self, telegram_id: int) -> SimUser:
        return self.server.user(telegram_id)

    async def start_bot(self) -> BotProcess:
        """A fresh ``helpline run`` (its own cwd, so each keeps its own bot.log)."""
        cwd = self.root / f"run{len(self.bots) + 1}"
        cwd.mkdir()
        bot = BotProcess(self.env, cwd)
        self.bots.append(bot)
        await bot.start()
        await bot.wait_line(READY, START_TIMEOUT)
        await bot.wait_line(CAUGHT_UP, WAIT)
        return bot

    async def kill9(self, bot: BotProcess) -> None:
        os.kill(bot.pid, signal.SIGKILL)
        assert await bot.stop() == -signal.SIGKILL

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """A read on the side (WAL: it never waits for the bot, nor the bot for it)."""
        with contextlib.closing(sqlite3.connect(self.db, timeout=10)) as conn:
            return conn.execute(sql, params).fetchall()

    def logs(self) -> str:
        return "\n".join(f"--- {bot.cwd.name} ---\n{bot.tail(40)}" for bot in self.bots)


async def until(probe: Callable[[], T | None], what: str, timeout: float = WAIT) -> T:  # noqa: ASYNC109
    """Poll ``probe`` (a cheap DB read) every 20 ms until it returns something."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found is not None and found is not False:
            return found
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def harness_for(
    tmp_path: Path, roster: Path, db: Path | None = None
) -> AsyncIterator[Harness]:
    """The sandbox, the roster imported into ``db`` (default: in ``tmp_path``), no bot yet."""
    async with SandboxServer(bot_username="helpline_bot") as server:
        for telegram_id, name in NAMES.items():
            server.user(telegram_id, name)
        db = db or tmp_path / "helpline.db"
        env = bot_env(server.base_url, db, language="en")
        env["HELPLINE_BOT_TOKEN"] = "123456:TEST"
        await run_cli(["roster", "import", str(roster)], env, tmp_path, timeout=60)
        h = Harness(server, db, tmp_path, env, [])
        try:
            yield h
        except BaseException:
            print(h.logs())
            raise
        finally:
            for bot in h.bots:  # always ended, whatever happened above
                await bot.stop(grace=2.0)


def alerts(user: SimUser) -> list[SentMessage]:
    return [m for m in user.messages if "chest pain" in m.text and "#1" in m.text]


def outbox_rows(h: Harness) -> list[tuple[Any, ...]]:
    return h.query("SELECT id, chat_id, purpose, status FROM outbox ORDER BY id")


def all_sent(h: Harness) -> list[tuple[Any, ...]] | None:
    rows = outbox_rows(h)
    return rows if rows and all(r[3] == "sent" for r in rows) else None
