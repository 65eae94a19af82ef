"""The bot as a real subprocess: ``helpline run``, its stderr read line by line, its memory.

Every stderr line is stamped with ``time.monotonic()`` when the bench reads it (the same
clock the sandbox stamps deliveries with) and kept, so a scenario can wait for "ready:
deadlines armed" and later show the log when something went wrong. The process is
always ended: SIGTERM, then SIGKILL if it does not stop in time.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

READY = "ready: deadlines armed"
CAUGHT_UP = "caught up:"
TOKEN = "123456:BENCH"


def helpline_command() -> list[str]:
    """The installed console script beside this interpreter (else the one on PATH)."""
    beside = Path(sys.executable).parent / "helpline"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("helpline")
    if found is None:
        raise RuntimeError("the `helpline` command is not installed (pip install -e .)")
    return [found]


def bot_env(api_url: str, db: Path, *, language: str = "en") -> dict[str, str]:
    """The environment for ``helpline``: ours minus any HELPLINE_* setting, plus the bench's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPLINE_")}
    env.update(
        HELPLINE_BOT_TOKEN=TOKEN,
        HELPLINE_API_URL=api_url,
        HELPLINE_DB=str(db),
        HELPLINE_LANGUAGE=language,
        HELPLINE_TIMEZONE="Asia/Shanghai",
        PYTHONUNBUFFERED="1",
    )
    return env


async def run_cli(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 300) -> str:  # noqa: ASYNC109
    """Run a short ``helpline`` subcommand; raise with its output if it fails."""
    proc = await asyncio.create_subprocess_exec(
        *helpline_command(),
        *args,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    text = out.decode("utf-8", "replace")
    if proc.returncode != 0:
        raise RuntimeError(f"helpline {' '.join(args)} failed ({proc.returncode}):\n{text}")
    return text


@dataclass
class LogLine:
    at: float  # time.monotonic() when read
    text: str


@dataclass
class BotProcess:
    """``helpline run`` in ``cwd``; use as ``async with BotProcess(...) as bot``."""

    env: dict[str, str]
    cwd: Path
    started_at: float = 0.0  # time.monotonic() just before the exec
    lines: list[LogLine] = field(default_factory=list)
    _proc: asyncio.subprocess.Process | None = None
    _reader: asyncio.Task[None] | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def pid(self) -> int:
        assert self._proc is not None
        return self._proc.pid

    @property
    def returncode(self) -> int | None:
        """None while the process runs."""
        return None if self._proc is None else self._proc.returncode

    @property
    def log_path(self) -> Path:
        return self.cwd / "bot.log"

    async def start(self) -> BotProcess:
        self.started_at = time.monotonic()
        self._proc = await asyncio.create_subprocess_exec(
            *helpline_command(),
            "run",
            env=self.env,
            cwd=self.cwd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        assert self._proc is not None and self._proc.stderr is not None
        stream = self._proc.stderr
        with self.log_path.open("w", encoding="utf-8") as log:
            while True:
                raw = await stream.readline()
                if not raw:
                    break
                text = raw.decode("utf-8", "replace").rstrip("\n")
                self.lines.append(LogLine(time.monotonic(), text))
                log.write(text + "\n")
                self._changed.set()
        self._changed.set()

    def find(self, needle: str) -> LogLine | None:
        return next((line for line in self.lines if needle in line.text), None)

    async def wait_line(self, needle: str, timeout: float) -> LogLine:  # noqa: ASYNC109
        """The first stderr line containing ``needle`` (already read ones count)."""
        deadline = time.monotonic() + timeout
        checked = 0
        while True:
            for line in self.lines[checked:]:
                if needle in line.text:
                    return line
            checked = len(self.lines)
            if self._proc is not None and self._proc.returncode is not None:
                raise RuntimeError(f"the bot exited ({self._proc.returncode}):\n{self.tail()}")
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {needle!r} from the bot in {timeout}s:\n{self.tail()}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(left, 0.5))

    def tail(self, n: int = 25) -> str:
        return "\n".join(line.text for line in self.lines[-n:])

    def count(self, needle: str) -> int:
        return sum(needle in line.text for line in self.lines)

    def memory_kb(self) -> dict[str, int]:
        """VmHWM (peak resident set) and VmRSS from /proc, in kB ({} once it has exited)."""
        found: dict[str, int] = {}
        with contextlib.suppress(OSError):
            for row in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                name, _, value = row.partition(":")
                if name in ("VmHWM", "VmRSS"):
                    found[name] = int(value.split()[0])
        return found

    async def stop(self, grace: float = 5.0) -> int | None:
        """SIGTERM, then SIGKILL after ``grace`` seconds; returns the exit status."""
        proc = self._proc
        if proc is None:
            return None
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), grace)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._reader, 5)
        return proc.returncode

    async def __aenter__(self) -> BotProcess:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
