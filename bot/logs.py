"""How the log is written: times in ISO 8601 with the deployment's offset (what users see
is Shanghai time; a log in machine time without a zone has to be converted by hand), text
or one JSON object per line, a level, and the libraries' per-call chatter kept below INFO
(APScheduler logged every wake-up: ~5,800 lines a day of an idle bot).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TextIO
from zoneinfo import ZoneInfo

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
FORMATS = ("text", "json")

# Loggers that say something for every call or every wake-up; their warnings still show.
QUIET = {
    "alembic": logging.WARNING,  # "Context impl SQLiteImpl." at every start
    "apscheduler": logging.WARNING,
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "aiosqlite": logging.WARNING,
    # The outbox logs each 429 in one line and retries it itself; PTB's limiter would add
    # a traceback for every one.
    "telegram.ext.AIORateLimiter": logging.CRITICAL,
}


_OURS = "helpline"


class _LocalTime(logging.Formatter):
    def __init__(self, tz: ZoneInfo, fmt: str | None = None) -> None:
        super().__init__(fmt)
        self._tz = tz

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created, self._tz).isoformat(timespec="milliseconds")


class TextFormatter(_LocalTime):
    """``2026-12-07T10:00:01.250+08:00 INFO helpline.story: request #417 taken kind=120``"""

    def __init__(self, tz: ZoneInfo) -> None:
        super().__init__(tz, "%(asctime)s %(levelname)s %(name)s: %(message)s")


class JsonFormatter(_LocalTime):
    """One object per line: time, level, logger, message, and a story line's fields
    (``request``, ``event``, ``kind``, ...) as keys of their own, for a log collector."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        story = getattr(record, "story", None)
        if isinstance(story, dict):
            out.update(story)
        if record.exc_info:
            out["error"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Whatever ``sys.stderr`` is when a record is written (a test may swap it)."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def configure(level: str, fmt: str, tz: ZoneInfo, stream: TextIO | None = None) -> None:
    """Send every log record to ``stream`` (stderr) in ``fmt`` from ``level`` up; called
    again, it replaces its own handler and leaves others (a test runner's) alone."""
    handler = logging.StreamHandler(stream) if stream is not None else _Stderr()
    handler.setFormatter(JsonFormatter(tz) if fmt == "json" else TextFormatter(tz))
    handler.set_name(_OURS)
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _OURS]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name, quiet in QUIET.items():
        logging.getLogger(name).setLevel(max(quiet, root.level))


@contextmanager
def configured(level: str, fmt: str, tz: ZoneInfo, stream: TextIO | None = None) -> Iterator[None]:
    """``configure`` for as long as the block runs (``helpline run``); the root logger's
    level and handlers are as they were afterwards."""
    root = logging.getLogger()
    before = root.level, {name: logging.getLogger(name).level for name in QUIET}
    configure(level, fmt, tz, stream)
    try:
        yield
    finally:
        for handler in [h for h in root.handlers if h.get_name() == _OURS]:
            root.removeHandler(handler)
        root.setLevel(before[0])
        for name, quiet in before[1].items():
            logging.getLogger(name).setLevel(quiet)
