"""The ``helpline`` command, called in-process at a named instant (``tests.moments.helpline``)."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
import types
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.settings import Settings, WebhookOptions
from schedules.status import StatusOptions
from storage.db import make_engine
from storage.tables import invites, people
from tests.moments import helpline

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "roster.yaml"
TOKEN = "123456:ABC-def_ghi"


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in list(os.environ):
        if name.startswith("HELPLINE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HELPLINE_LANGUAGE", "en")
    monkeypatch.setenv("HELPLINE_DB", str(tmp_path / "cli.db"))
    return tmp_path / "cli.db"


DumpFile = Callable[[Path], Any]


def test_roster_import_prints_report_and_is_idempotent(
    env: Path, capsys: pytest.CaptureFixture[str], dump_file: DumpFile
) -> None:
    assert helpline(["roster", "import", str(EXAMPLE)]) == 0
    out = capsys.readouterr()
    assert "imported" in out.out and "12 new" in out.out and out.err == ""
    assert len(out.out.strip().splitlines()) <= 2
    before = dump_file(env)
    assert helpline(["roster", "import", str(EXAMPLE)]) == 0
    assert "already up to date" in capsys.readouterr().out
    assert dump_file(env) == before


def test_bad_roster_is_refused_with_lines_and_changes_nothing(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], dump_file: DumpFile
) -> None:
    assert helpline(["roster", "import", str(EXAMPLE)]) == 0
    before = dump_file(env)
    bad = tmp_path / "bad.yaml"
    text = EXAMPLE.read_text(encoding="utf-8")
    bad.write_text(
        text.replace("members: [li, zhao, qian]", "members: [li, zhao, nobody]").replace(
            "critical: {levels: [2m, 3m]", "critical: {levels: [2m, 3q]"
        ),
        encoding="utf-8",
    )
    capsys.readouterr()
    assert helpline(["roster", "import", str(bad)]) == 2
    out = capsys.readouterr()
    assert out.out == ""
    lines = out.err.strip().splitlines()
    assert lines[0].startswith(f"{bad}:24: ") and "nobody" in lines[0]
    assert lines[1].startswith(f"{bad}:") and "'3q' is not a duration" in lines[1]
    assert "nothing was changed" in lines[-1]
    assert "Traceback" not in out.err
    assert dump_file(env) == before


def test_missing_roster_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert helpline(["roster", "import", "nope.yaml"]) == 2
    assert capsys.readouterr().err.strip() == "nope.yaml: no such file"


def test_run_without_token_is_a_clean_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert helpline(["run"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "HELPLINE_BOT_TOKEN is not set; put the token BotFather gave you"


def test_run_reports_every_bad_setting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HELPLINE_TIMEZONE", "Mars/Olympus")
    monkeypatch.setenv("HELPLINE_API_URL", "nowhere")
    assert helpline(["run"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 3


def test_run_hands_settings_and_webhook_to_the_app(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[tuple[Settings, WebhookOptions | None, StatusOptions | None]] = []
    fake = types.ModuleType("bot.app")

    def run_bot(
        settings: Settings, webhook: WebhookOptions | None, status: StatusOptions | None
    ) -> int:
        calls.append((settings, webhook, status))
        return 0

    fake.run_bot = run_bot  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "bot.app", fake)
    monkeypatch.setenv("HELPLINE_BOT_TOKEN", TOKEN)
    assert helpline(["run"]) == 0
    assert calls[-1][1] is None
    argv = ["run", "--webhook-url", "https://bot.example.com/hook", "--port", "9000"]
    assert helpline([*argv, "--secret-token", "s3cret"]) == 0
    assert calls[-1][1] == WebhookOptions(
        "https://bot.example.com/hook", "127.0.0.1", 9000, "s3cret"
    )
    assert calls[-1][2] is None  # no status server unless asked
    assert helpline(["run", "--metrics-port", "9102"]) == 0
    assert calls[-1][2] == StatusOptions(9102, "127.0.0.1")
    assert helpline(["run", "--metrics-port", "9102", "--metrics-host", "0.0.0.0"]) == 0
    assert calls[-1][2] == StatusOptions(9102, "0.0.0.0")
    capsys.readouterr()
    assert helpline(["run", "--metrics-port", "70000"]) == 2
    assert capsys.readouterr().err == "--metrics-port: 70000 is not a TCP port (1-65535)\n"
    assert helpline([*argv[:3], "--port", "0"]) == 2
    assert capsys.readouterr().err == "--port: 0 is not a TCP port (1-65535)\n"


def test_run_refuses_a_plain_http_webhook(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HELPLINE_BOT_TOKEN", TOKEN)
    assert helpline(["run", "--webhook-url", "http://bot.example.com/hook"]) == 2
    assert capsys.readouterr().err.startswith("--webhook-url")


def test_invite_prints_code_or_link(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert helpline(["roster", "import", str(EXAMPLE)]) == 0
    capsys.readouterr()
    assert helpline(["invite", "zheng"]) == 0
    out = capsys.readouterr().out
    assert "send /start " in out
    monkeypatch.setenv("HELPLINE_BOT_USERNAME", "@port_helpline_bot")
    assert helpline(["invite", "zheng", "--days", "3"]) == 0
    out = capsys.readouterr().out
    assert "https://t.me/port_helpline_bot?start=" in out
    codes = {row.code for row in dump_rows(env)}
    assert len(codes) == 2 and any(f"?start={c}" in out for c in codes)


def test_inviting_someone_already_bound_says_so(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """li has a Telegram account in the roster: a new link would move li to whichever
    account opens it, so the admin is told (on stderr; the link alone on stdout)."""
    assert helpline(["roster", "import", str(EXAMPLE)]) == 0
    capsys.readouterr()
    assert helpline(["invite", "li"]) == 0
    got = capsys.readouterr()
    assert "send /start " in got.out and "already has a Telegram account" not in got.out
    assert "already has a Telegram account registered" in got.err
    assert helpline(["invite", "zheng"]) == 0  # zheng has none: no warning
    assert capsys.readouterr().err == ""


def test_invite_days_are_a_week_or_so_not_years(capsys: pytest.CaptureFixture[str]) -> None:
    for days in ("0", "31", "9999", "-1"):
        assert helpline(["invite", "li", "--days", days]) == 2
        assert "--days must be between 1 and 30" in capsys.readouterr().err


def dump_rows(db: Path) -> Any:
    async def go() -> Any:
        engine = make_engine(str(db))
        try:
            async with engine.connect() as conn:
                query = select(invites.c.code).join(people, people.c.id == invites.c.person_id)
                return (await conn.execute(query.where(people.c.key == "zheng"))).all()
        finally:
            await engine.dispose()

    return asyncio.run(go())


def test_invite_unknown_person(capsys: pytest.CaptureFixture[str]) -> None:
    assert helpline(["invite", "nobody"]) == 2
    assert "'nobody'" in capsys.readouterr().err


def test_usage_error_returns_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert helpline(["bogus"]) == 2
    assert helpline(["invite", "li", "--days", "0"]) == 2
    capsys.readouterr()


def test_run_refuses_a_database_without_a_roster(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HELPLINE_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("HELPLINE_API_URL", "http://127.0.0.1:9/bot")  # never reached
    assert helpline(["run"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "the database has no roster: run `helpline roster import FILE` first"
    assert TOKEN.split(":")[1] not in err


def test_run_refuses_when_no_committee_member_can_be_reached(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert helpline(["roster", "import", str(EXAMPLE)]) == 0
    with sqlite3.connect(env) as conn:
        conn.execute(
            "UPDATE people SET telegram_id = NULL WHERE id IN "
            "(SELECT person_id FROM roles WHERE role = 'committee')"
        )
    capsys.readouterr()
    monkeypatch.setenv("HELPLINE_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("HELPLINE_API_URL", "http://127.0.0.1:9/bot")
    assert helpline(["run"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("no committee member has a Telegram account")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_run_says_in_one_line_that_the_file_is_not_a_database(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env.write_bytes(b"this is not a database, just some text" * 200)
    monkeypatch.setenv("HELPLINE_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("HELPLINE_API_URL", "http://127.0.0.1:9/bot")
    assert helpline(["run"]) == 1
    err = capsys.readouterr().err
    assert err.strip().startswith("cannot use the database: ")
    assert "not a database" in err and "Traceback" not in err


def test_version_is_printed(capsys: pytest.CaptureFixture[str]) -> None:
    assert helpline(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"helpline {metadata.version('helpline')}"


def test_run_help_names_every_setting_it_reads(capsys: pytest.CaptureFixture[str]) -> None:
    assert helpline(["run", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    for name in (
        "HELPLINE_BOT_TOKEN",
        "HELPLINE_API_URL",
        "HELPLINE_DB",
        "HELPLINE_TIMEZONE",
        "HELPLINE_LANGUAGE",
        "HELPLINE_BOT_USERNAME",
        "HELPLINE_LOG_LEVEL",
        "HELPLINE_LOG_FORMAT",
    ):
        assert name in out


@pytest.mark.parametrize(
    "command", [["run"], ["backup", "copy.db"], ["report", "--period", "2026Q4", "--out", "r.html"]]
)
def test_a_database_url_without_its_driver_is_one_line_and_no_secret(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    monkeypatch.setenv("HELPLINE_BOT_TOKEN", "123456:" + "A" * 35)
    monkeypatch.setenv("HELPLINE_DB", "postgresql://port:s3cret@db.example/helpline")
    assert helpline(command) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("HELPLINE_DB: no usable driver for 'postgresql'")
    assert len(err.splitlines()) == 1 and "s3cret" not in err and "Traceback" not in err


def test_argparse_speaks_the_operators_language(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """argparse's own words ("usage:", its errors, "options") come from our catalog too."""
    import argparse

    monkeypatch.setenv("HELPLINE_LANGUAGE", "zh")
    assert helpline(["invite"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("用法：helpline invite")
    assert "helpline invite：错误：缺少必需的参数：PERSON_KEY" in err
    assert helpline(["invite", "li", "--days", "x"]) == 2
    assert "参数 --days：无效的 int 值：'x'" in capsys.readouterr().err
    assert helpline(["bogus"]) == 2
    assert "无效的选择：'bogus'" in capsys.readouterr().err
    assert helpline(["invite", "--help"]) == 0
    shown = capsys.readouterr().out
    assert "选项" in shown and "显示此帮助并退出" in shown and "usage" not in shown
    monkeypatch.setenv("HELPLINE_LANGUAGE", "en")
    assert helpline(["invite"]) == 2
    assert "error: the following arguments are required: PERSON_KEY" in capsys.readouterr().err
    # and argparse is itself again for anyone else in the process
    assert argparse._("usage: ") == "usage: "  # type: ignore[attr-defined]
