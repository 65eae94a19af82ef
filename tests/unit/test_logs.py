"""The log's shape: ISO 8601 times with the deployment's offset, text or JSON lines, and
the libraries' chatter kept below INFO."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.logs import QUIET, JsonFormatter, TextFormatter, configure, configured
from bot.settings import Settings

SHANGHAI = ZoneInfo("Asia/Shanghai")
AT = datetime(2026, 12, 7, 2, 0, 1, 250000, tzinfo=UTC)  # 10:00:01.250 in Shanghai


def record(message: str, **extra: object) -> logging.LogRecord:
    rec = logging.LogRecord("helpline.story", logging.INFO, __file__, 1, message, (), None)
    rec.created = AT.timestamp()
    for key, value in extra.items():
        setattr(rec, key, value)
    return rec


def test_text_lines_carry_the_local_time_with_its_offset() -> None:
    line = TextFormatter(SHANGHAI).format(record("request #417 taken kind=120"))
    assert line == (
        "2026-12-07T10:00:01.250+08:00 INFO helpline.story: request #417 taken kind=120"
    )


def test_json_lines_carry_the_story_as_fields() -> None:
    story = {"request": 417, "event": "taken", "kind": "120"}
    out = json.loads(JsonFormatter(SHANGHAI).format(record("request #417 taken", story=story)))
    assert out == {
        "time": "2026-12-07T10:00:01.250+08:00",
        "level": "INFO",
        "logger": "helpline.story",
        "message": "request #417 taken",
        "request": 417,
        "event": "taken",
        "kind": "120",
    }


def test_json_keeps_chinese_readable_and_an_error_in_one_line() -> None:
    try:
        raise ValueError("坏了")
    except ValueError:
        import sys

        rec = record("出错", exc_info=sys.exc_info())
    line = JsonFormatter(SHANGHAI).format(rec)
    assert "\n" not in line and "出错" in line
    assert "ValueError: 坏了" in json.loads(line)["error"]


@pytest.fixture
def restored() -> Iterator[None]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, {n: logging.getLogger(n).level for n in QUIET})
    yield
    root.handlers[:], root.level = saved[0], saved[1]
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)


def test_configure_keeps_per_call_chatter_below_info(restored: None) -> None:
    out = io.StringIO()
    configure("INFO", "text", SHANGHAI, out)
    logging.getLogger("apscheduler.executors.default").info("Running job 'wake'")
    logging.getLogger("httpx").info("HTTP Request: POST .../getUpdates")
    logging.getLogger("helpline.story").info("request #1 raised kind=120")
    logging.getLogger("apscheduler.scheduler").warning("job missed")
    logging.getLogger("alembic.runtime.migration").info("Context impl SQLiteImpl.")
    lines = out.getvalue().splitlines()
    assert [line.split(" ", 2)[2] for line in lines] == [
        "helpline.story: request #1 raised kind=120",
        "apscheduler.scheduler: job missed",
    ]


def test_a_debug_level_shows_everything_but_the_chatter_stays_quiet(restored: None) -> None:
    out = io.StringIO()
    configure("DEBUG", "json", SHANGHAI, out)
    logging.getLogger("bot.app").debug("looked")
    logging.getLogger("httpx").info("HTTP Request")
    assert [json.loads(line)["message"] for line in out.getvalue().splitlines()] == ["looked"]


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"HELPLINE_LOG_LEVEL": "LOUD"}, "HELPLINE_LOG_LEVEL: unknown level 'LOUD'"),
        ({"HELPLINE_LOG_FORMAT": "xml"}, "HELPLINE_LOG_FORMAT: unknown format 'xml'"),
    ],
)
def test_a_bad_log_setting_is_one_line(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], said: str
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    problems = Settings(language="en", _env_file=None).problems(require_token=False)  # type: ignore[call-arg]
    assert [p for p in problems if p.startswith(said)] != []


def test_log_settings_are_read_in_any_case(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPLINE_LOG_LEVEL", "warning")
    monkeypatch.setenv("HELPLINE_LOG_FORMAT", "JSON")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (settings.log_level, settings.log_format) == ("WARNING", "json")
    assert settings.problems(require_token=False) == []


def test_a_run_leaves_the_logging_as_it_found_it() -> None:
    root = logging.getLogger()
    before = (list(root.handlers), root.level, logging.getLogger("httpx").level)
    with configured("DEBUG", "text", SHANGHAI):
        assert root.level == logging.DEBUG
        assert logging.getLogger("httpx").level == logging.WARNING
    assert (list(root.handlers), root.level, logging.getLogger("httpx").level) == before
