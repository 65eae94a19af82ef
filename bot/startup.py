"""Before ``helpline run`` listens: refuse to run blind, and say start-up faults in a line.

A line that starts with nobody to ring would take workers' emergencies and tell no one,
so it does not start: no roster, or no committee member with a Telegram account, is exit
status 2 with one line. A branch that cannot reach anyone is a warning (its requests go
straight to the committee). A rejected token, a database that is newer than this program
or not a database at all are one line each, never a traceback, and never the token's
secret part; an unreachable Telegram is retried with backoff and said once.
"""

from __future__ import annotations

import asyncio
import logging

from alembic.util.exc import CommandError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.error import InvalidToken, NetworkError

from bot.i18n import t
from bot.settings import Settings
from schedules.supervise import Backoff
from storage.db import fatal_reason, migrate, reading
from storage.readiness import reach

log = logging.getLogger(__name__)


class StartupError(Exception):
    """One line for the operator, and the exit status to leave with."""

    def __init__(self, line: str, status: int) -> None:
        super().__init__(line)
        self.status = status


async def check_database(engine: AsyncEngine, lang: str) -> list[str]:
    """Migrate and look at the roster; return warnings, raise ``StartupError`` to refuse."""
    try:
        await migrate(engine)
        async with reading(engine) as conn:
            found = await reach(conn)
    except CommandError as exc:  # a revision this program does not know: a newer version
        line = t(lang, "the database was written by a newer version of helpline ({reason})")
        raise StartupError(line.format(reason=str(exc).splitlines()[0]), 1) from None
    except SQLAlchemyError as exc:
        reason = fatal_reason(exc) or str(exc.orig if hasattr(exc, "orig") else exc)
        line = t(lang, "cannot use the database: {reason}", reason=reason.splitlines()[0])
        raise StartupError(line, 1) from None
    if found.people == 0:
        line = t(lang, "the database has no roster: run `helpline roster import FILE` first")
        raise StartupError(line, 2)
    if found.committee_reachable == 0:
        line = t(
            lang,
            "no committee member has a Telegram account, so an emergency could reach "
            "no one: send one of them an invite (`helpline invite KEY`) first",
        )
        raise StartupError(line, 2)
    return [
        t(
            lang,
            "warning: in branch {branch} no member and no secretary has a Telegram "
            "account; its requests go straight to the committee",
            branch=name,
        )
        for name in found.unreachable_branches
    ]


async def wait_for_telegram(start: object, settings: Settings) -> None:
    """Run ``start`` (a coroutine function that calls Telegram) until it gets through."""
    assert callable(start)
    lang = settings.language
    backoff = Backoff("reaching the Telegram Bot API", first=1.0, most=60.0)
    while True:
        try:
            await start()
        except InvalidToken:
            token = settings.bot_token.get_secret_value() if settings.bot_token else ""
            bot_id = token.split(":", 1)[0] if ":" in token else "?"
            line = t(lang, "Telegram rejected the bot token (bot id {bot_id})", bot_id=bot_id)
            raise StartupError(line, 2) from None
        except NetworkError as exc:
            await asyncio.sleep(backoff.failed(exc, settings.api_url))
            continue
        backoff.ok()
        return
