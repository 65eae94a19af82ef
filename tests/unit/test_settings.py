"""Settings: every bad value gets its own line; good values pass."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.settings import SettingsError, WebhookOptions, load_settings

TOKEN = "123456:ABC-def_ghi"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No HELPLINE_* variable or .env file from the developer's machine leaks in."""
    for name in list(os.environ):
        if name.startswith("HELPLINE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HELPLINE_LANGUAGE", "en")
    return tmp_path


def problems(*, require_token: bool = True) -> list[str]:
    with pytest.raises(SettingsError) as info:
        load_settings(require_token=require_token)
    assert str(info.value) == "\n".join(info.value.problems)
    return info.value.problems


def test_defaults_pass_without_token_when_not_required() -> None:
    s = load_settings(require_token=False)
    assert s.bot_token is None
    assert s.api_url == "https://api.telegram.org/bot"
    assert s.db == "helpline.db"
    assert s.tz == ZoneInfo("Asia/Shanghai")
    assert s.bot_username is None


def test_good_values_pass(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HELPLINE_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("HELPLINE_API_URL", "http://127.0.0.1:8081/bot")
    monkeypatch.setenv("HELPLINE_DB", str(tmp_path / "x.db"))
    monkeypatch.setenv("HELPLINE_TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("HELPLINE_BOT_USERNAME", "@port_helpline_bot")
    s = load_settings(require_token=True)
    assert s.bot_token is not None and s.bot_token.get_secret_value() == TOKEN
    assert s.api_url == "http://127.0.0.1:8081/bot"
    assert s.tz == ZoneInfo("Europe/Berlin")
    assert s.username == "port_helpline_bot"


def test_database_url_is_accepted(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    monkeypatch.setenv("HELPLINE_DB", url)
    assert load_settings(require_token=False).db == url


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://port:s3cret@db/helpline",  # psycopg: not an asyncio driver
        "postgresql+asyncpg://port:s3cret@db/helpline",  # not installed here
        "oracle9://port:s3cret@db/helpline",  # no such dialect
    ],
)
def test_a_database_url_without_a_usable_driver_is_one_line(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("HELPLINE_DB", url)
    lines = problems()
    db = [line for line in lines if line.startswith("HELPLINE_DB")]
    assert len(db) == 1 and "\n" not in db[0]
    assert "s3cret" not in db[0] and "Installed: sqlite+aiosqlite" in db[0]
    assert url.split("://")[0] in db[0]


def test_dotenv_file_is_read(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HELPLINE_LANGUAGE")
    (clean_env / ".env").write_text(f"HELPLINE_BOT_TOKEN={TOKEN}\nHELPLINE_LANGUAGE=en\n")
    s = load_settings(require_token=True)
    assert s.language == "en" and s.bot_token is not None


def test_missing_token() -> None:
    assert problems() == ["HELPLINE_BOT_TOKEN is not set; put the token BotFather gave you"]


def test_malformed_token_is_not_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPLINE_BOT_TOKEN", "secret-without-id")
    (line,) = problems(require_token=False)
    assert "HELPLINE_BOT_TOKEN" in line and "secret-without-id" not in line


@pytest.mark.parametrize(
    "url", ["api.telegram.org/bot", "ftp://api.telegram.org/bot", "https://", "http://:80/x"]
)
def test_malformed_api_url(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("HELPLINE_API_URL", url)
    assert problems(require_token=False) == [
        f"HELPLINE_API_URL: '{url}' is not an http:// or https:// URL"
    ]


def test_db_directory_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HELPLINE_DB", str(tmp_path / "nope" / "x.db"))
    (line,) = problems(require_token=False)
    assert line.startswith("HELPLINE_DB: the directory") and "does not exist" in line


def test_db_directory_unwritable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    if os.access(locked, os.W_OK):  # root ignores modes: pretend, as a plain user would see
        real = os.access
        monkeypatch.setattr(
            os,
            "access",
            lambda p, mode: False if str(p) == str(locked) else real(p, mode),
        )
    monkeypatch.setenv("HELPLINE_DB", str(locked / "x.db"))
    try:
        assert problems(require_token=False) == [
            f"HELPLINE_DB: the directory '{locked}' is not writable"
        ]
    finally:
        locked.chmod(0o700)


def test_db_is_a_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HELPLINE_DB", str(tmp_path))
    (line,) = problems(require_token=False)
    assert "is a directory" in line


def test_unknown_timezone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPLINE_TIMEZONE", "Mars/Olympus")
    assert problems(require_token=False) == ["HELPLINE_TIMEZONE: unknown time zone 'Mars/Olympus'"]


def test_unknown_language_is_reported_in_the_default_language(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HELPLINE_LANGUAGE", "fr")
    (line,) = problems(require_token=False)
    assert line.startswith("HELPLINE_LANGUAGE") and "'fr'" in line


def test_bad_bot_username(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPLINE_BOT_USERNAME", "t.me/bot")
    (line,) = problems(require_token=False)
    assert line.startswith("HELPLINE_BOT_USERNAME")


def test_several_problems_give_several_lines(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HELPLINE_API_URL", "telegram")
    monkeypatch.setenv("HELPLINE_DB", str(tmp_path / "nope" / "x.db"))
    monkeypatch.setenv("HELPLINE_TIMEZONE", "Mars/Olympus")
    monkeypatch.setenv("HELPLINE_LANGUAGE", "xx")
    lines = problems()
    assert [line.split(" ")[0].rstrip(":") for line in lines] == [
        "HELPLINE_BOT_TOKEN",
        "HELPLINE_API_URL",
        "HELPLINE_DB",
        "HELPLINE_TIMEZONE",
        "HELPLINE_LANGUAGE",
    ]


def test_webhook_options_are_checked() -> None:
    assert WebhookOptions("https://bot.example.com/hook").problems("en") == []
    bad = WebhookOptions("http://bot.example.com/hook", port=0, secret_token="a b")
    lines = bad.problems("en")
    assert len(lines) == 3
    assert lines[0].startswith("--webhook-url") and lines[2].startswith("--secret-token")


def test_a_bad_heartbeat_url_is_one_line_and_not_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPLINE_HEARTBEAT_URL", "hc-ping.com/5ecret-uuid")
    lines = [line for line in problems() if line.startswith("HELPLINE_HEARTBEAT_URL")]
    assert lines == ["HELPLINE_HEARTBEAT_URL: not an http:// or https:// URL"]
    monkeypatch.setenv("HELPLINE_HEARTBEAT_URL", "https://hc-ping.com/5ecret-uuid")
    assert not [line for line in problems() if line.startswith("HELPLINE_HEARTBEAT_URL")]
    assert "5ecret" not in repr(load_settings(require_token=False))


def test_a_bad_down_gap_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPLINE_DOWN_GAP", "a while")
    lines = [line for line in problems() if line.startswith("HELPLINE_DOWN_GAP")]
    assert lines == ["HELPLINE_DOWN_GAP: 'a while' is not a duration (write 30s, 10m, 2h or 1d)"]
    monkeypatch.setenv("HELPLINE_DOWN_GAP", "30m")
    assert load_settings(require_token=False).down_gap_delta == timedelta(minutes=30)
