"""Settings from ``HELPLINE_*`` environment variables and an optional ``.env`` file.

Every value is checked once, at start, and every bad value gets its own sentence: an
operator fixing a deployment should see all of the problems at once, in the configured
language, instead of a traceback or one error per restart (DESIGN.md §6).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.domain.durations import parse_duration
from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES, t
from bot.logs import FORMATS as LOG_FORMATS
from bot.logs import LEVELS as LOG_LEVELS

# BotFather's tokens are "<bot id>:<secret>"; the secret is URL-safe base64 text.
_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
# Telegram usernames: 5-32 characters, letters, digits and underscores.
_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{4,31}$")
# Telegram's rule for setWebhook's secret_token.
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class SettingsError(Exception):
    """The settings are unusable; ``problems`` holds one translated sentence per bad value."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def port_problem(lang: str, option: str, value: int) -> str | None:
    """``option``'s value is no TCP port: the line that says so (None: it is one)."""
    if 1 <= value <= 65535:
        return None
    return t(lang, "{option}: {value} is not a TCP port (1-65535)", option=option, value=value)


@dataclass(frozen=True)
class WebhookOptions:
    """How ``helpline run`` receives updates when it is not long polling."""

    url: str  # the public HTTPS URL Telegram posts to
    listen: str = "127.0.0.1"  # where the local web server binds (behind a reverse proxy)
    port: int = 8443
    secret_token: str | None = None  # checked against X-Telegram-Bot-Api-Secret-Token

    def problems(self, lang: str) -> list[str]:
        """Check the options the way Telegram will, so a typo fails here and not at setWebhook."""
        found: list[str] = []
        parts = urlsplit(self.url)
        if parts.scheme != "https" or not parts.hostname:
            found.append(
                t(
                    lang,
                    "--webhook-url: '{value}' is not an https:// URL with a host",
                    value=self.url,
                )
            )
        if (wrong := port_problem(lang, "--port", self.port)) is not None:
            found.append(wrong)
        if self.secret_token is not None and not _SECRET_TOKEN.match(self.secret_token):
            found.append(
                t(
                    lang,
                    "--secret-token: use 1-256 characters from A-Z, a-z, 0-9, _ and -",
                )
            )
        return found


class Settings(BaseSettings):
    """The deployment's configuration; build it with `load_settings`, which checks it."""

    model_config = SettingsConfigDict(
        env_prefix="HELPLINE_",
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,  # HELPLINE_DB= means "the default", not an empty path
        extra="ignore",  # the .env file may hold other programs' variables too
    )

    bot_token: SecretStr | None = None
    api_url: str = "https://api.telegram.org/bot"
    db: str = "helpline.db"
    timezone: str = "Asia/Shanghai"
    language: str = DEFAULT_LANGUAGE
    # For invite deep links, https://t.me/<username>?start=<code>; a leading @ is dropped.
    bot_username: str | None = None
    # A restart after a longer gap is told to the committee (bot/usecases/desk/downtime.py).
    down_gap: str = "10m"
    # Called every minute while the line is healthy (schedules/heartbeat.py).
    heartbeat_url: SecretStr | None = None
    log_level: str = "INFO"  # DEBUG, INFO, WARNING or ERROR
    log_format: str = "text"  # text, or json: one object per line for a log collector

    @field_validator("log_level")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.strip().upper()

    @field_validator("log_format")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.strip().lower()

    @field_validator("bot_username")
    @classmethod
    def _strip_at(cls, value: str | None) -> str | None:
        """People write the username as @name; links and app code want it bare."""
        return value.strip().lstrip("@") if value is not None else None

    @property
    def down_gap_delta(self) -> timedelta:
        return parse_duration(self.down_gap)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def username(self) -> str | None:
        """The bot's username, bare (kept for callers that prefer the short name)."""
        return self.bot_username or None

    @property
    def message_language(self) -> str:
        """The language for messages about the settings themselves, even when it is bad."""
        return self.language if self.language in LANGUAGES else DEFAULT_LANGUAGE

    def problems(self, *, require_token: bool) -> list[str]:
        """Return one translated sentence per bad value (empty when all is well)."""
        lang = self.message_language
        found: list[str] = []
        found += self._token_problems(lang, require_token=require_token)
        found += _api_url_problems(lang, self.api_url)
        found += _db_problems(lang, self.db)
        found += _timezone_problems(lang, self.timezone)
        if self.language not in LANGUAGES:
            found.append(
                t(
                    lang,
                    "HELPLINE_LANGUAGE: unknown language '{value}'; use one of {choices}",
                    value=self.language,
                    choices=", ".join(LANGUAGES),
                )
            )
        try:
            parse_duration(self.down_gap)
        except ValueError:
            found.append(
                t(
                    lang,
                    "HELPLINE_DOWN_GAP: '{value}' is not a duration (write 30s, 10m, 2h or 1d)",
                    value=self.down_gap,
                )
            )
        if self.heartbeat_url is not None and not _is_http(self.heartbeat_url.get_secret_value()):
            # Not echoed: a monitor's URL is a secret.
            found.append(t(lang, "HELPLINE_HEARTBEAT_URL: not an http:// or https:// URL"))
        if self.log_level not in LOG_LEVELS:
            found.append(
                t(
                    lang,
                    "HELPLINE_LOG_LEVEL: unknown level '{value}'; use one of {choices}",
                    value=self.log_level,
                    choices=", ".join(LOG_LEVELS),
                )
            )
        if self.log_format not in LOG_FORMATS:
            found.append(
                t(
                    lang,
                    "HELPLINE_LOG_FORMAT: unknown format '{value}'; use one of {choices}",
                    value=self.log_format,
                    choices=", ".join(LOG_FORMATS),
                )
            )
        if self.bot_username is not None and not _USERNAME.match(self.bot_username):
            found.append(
                t(
                    lang,
                    "HELPLINE_BOT_USERNAME: '{value}' is not a Telegram username "
                    "(5-32 letters, digits or _)",
                    value=self.bot_username,
                )
            )
        return found

    def _token_problems(self, lang: str, *, require_token: bool) -> list[str]:
        if self.bot_token is None:
            if require_token:
                return [t(lang, "HELPLINE_BOT_TOKEN is not set; put the token BotFather gave you")]
            return []
        if not _TOKEN.match(self.bot_token.get_secret_value()):
            # The token itself is never echoed: error output ends up in logs.
            return [t(lang, "HELPLINE_BOT_TOKEN does not look like a bot token (digits:secret)")]
        return []


def setting_names() -> list[str]:
    """The environment variables ``helpline`` reads (for ``run --help``)."""
    prefix = str(Settings.model_config.get("env_prefix", ""))
    return [prefix + name.upper() for name in Settings.model_fields]


# asyncio drivers SQLAlchemy knows, by URL scheme, and the package each needs.
ASYNC_DRIVERS = {
    "sqlite+aiosqlite": "aiosqlite",
    "postgresql+asyncpg": "asyncpg",
    "postgresql+psycopg": "psycopg",
    "mysql+aiomysql": "aiomysql",
}


def installed_drivers() -> list[str]:
    """The URL schemes whose asyncio driver is installed here."""
    from importlib.util import find_spec

    return [scheme for scheme, package in ASYNC_DRIVERS.items() if find_spec(package)]


def _usable(url: Any) -> bool:
    """Whether SQLAlchemy can open ``url`` with an asyncio driver installed here."""
    from sqlalchemy.exc import NoSuchModuleError

    try:
        dialect = url.get_dialect()
    except NoSuchModuleError:
        return False
    if not getattr(dialect, "is_async", False):
        return False
    try:
        dialect.import_dbapi()
    except ImportError:
        return False
    return True


def _is_http(value: str) -> bool:
    """An http(s) URL with a host."""
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. an invalid port or IPv6 literal
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _api_url_problems(lang: str, value: str) -> list[str]:
    """PTB appends ``<token>/<method>``, so only a base http(s) URL with a host works."""
    if not _is_http(value):
        return [
            t(lang, "HELPLINE_API_URL: '{value}' is not an http:// or https:// URL", value=value)
        ]
    return []


def _db_problems(lang: str, value: str) -> list[str]:
    """A path must be creatable and writable now, not at the first request's commit."""
    if "://" in value:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            url = make_url(value)
        except ArgumentError:
            return [t(lang, "HELPLINE_DB: not a database URL (nor a file path)")]
        if not _usable(url):
            # The scheme only: the rest of a URL may hold a password.
            return [
                t(
                    lang,
                    "HELPLINE_DB: no usable driver for '{scheme}'. Installed: {drivers}. "
                    "Give a file path for SQLite, or install an asyncio driver's package "
                    "(e.g. pip install asyncpg) and name it in the URL "
                    "(postgresql+asyncpg://...)",
                    scheme=url.drivername,
                    drivers=", ".join(installed_drivers()),
                )
            ]
        return []
    path = os.path.abspath(value)
    directory = os.path.dirname(path)
    if os.path.isdir(path):
        return [t(lang, "HELPLINE_DB: '{value}' is a directory, not a file", value=value)]
    if not os.path.isdir(directory):
        return [t(lang, "HELPLINE_DB: the directory '{path}' does not exist", path=directory)]
    if not os.access(directory, os.W_OK | os.X_OK):
        return [t(lang, "HELPLINE_DB: the directory '{path}' is not writable", path=directory)]
    if os.path.exists(path) and not os.access(path, os.R_OK | os.W_OK):
        return [t(lang, "HELPLINE_DB: the file '{path}' is not writable", path=path)]
    return []


def _timezone_problems(lang: str, value: str) -> list[str]:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return [t(lang, "HELPLINE_TIMEZONE: unknown time zone '{value}'", value=value)]
    return []


def load_settings(*, require_token: bool) -> Settings:
    """Read and check the settings; raise `SettingsError` listing every bad value."""
    try:
        settings = Settings()
    except ValidationError as exc:  # only a value pydantic itself cannot read gets here
        lang = _env_language()
        raise SettingsError(
            [
                t(
                    lang,
                    "HELPLINE_{name}: {reason}",
                    name=".".join(str(part) for part in err["loc"]).upper(),
                    reason=err["msg"],
                )
                for err in exc.errors()
            ]
        ) from None
    problems = settings.problems(require_token=require_token)
    if problems:
        raise SettingsError(problems)
    return settings


def _env_language() -> str:
    value = os.environ.get("HELPLINE_LANGUAGE", DEFAULT_LANGUAGE)
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def peek_language() -> str:
    """The configured language, or the default, for texts needed before settings are checked."""
    try:
        return Settings().message_language
    except ValidationError:
        return _env_language()
