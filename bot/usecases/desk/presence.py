"""Members set themselves away (skipped by routing) and back."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil import parser as dateparser

from bot.domain.authz import Actor
from bot.domain.durations import parse_duration
from bot.usecases.common import Refused
from bot.usecases.roster.roster_log import record
from storage import roster_edits
from storage.uow import UnitOfWork

MAX_AWAY = timedelta(days=366)


def parse_until(text: str, now: datetime, tz: ZoneInfo) -> datetime:
    """``3d``/``4h`` from now, or a date (``2026-12-05``, ``12-05``): back at its start."""
    text = text.strip()
    if not text:
        raise Refused("Usage: {command}", command="/away 3d | /away 2026-12-05")
    try:
        return now + parse_duration(text)
    except ValueError:
        pass
    local_now = now.astimezone(tz)
    try:
        default = datetime.combine(local_now.date(), time(0))  # naive: an offset shows
        parsed = dateparser.parse(text, default=default, yearfirst=True)
    except (ValueError, OverflowError):
        raise Refused(
            "I could not read {text!r} as a date or a duration; try /away 3d or /away 2026-12-05",
            text=text[:40],
        ) from None
    if parsed.tzinfo is not None:
        # An offset written by hand is a mistake more often than a wish ("GMT+3" reads as
        # UTC-3 in POSIX's convention), and dateutil takes offsets a datetime cannot hold.
        raise Refused(
            "Write the local date and time, without a time zone: /away 2026-12-05 or "
            "/away 2026-12-05 18:00"
        )
    return parsed.replace(tzinfo=tz)


async def set_away(uow: UnitOfWork, actor: Actor, text: str) -> datetime:
    if actor.person_id is None or not actor.is_member:
        raise Refused("Only members of a branch can set themselves away.")
    return await mark_away(uow, actor, actor.person_id, text)


async def mark_away(
    uow: UnitOfWork, actor: Actor, person_id: int, text: str, branch_id: int | None = None
) -> datetime:
    """``person_id`` away until the time ``text`` names (in the future, within a year),
    by ``actor`` (themselves, or their branch's secretary)."""
    until = parse_until(text, uow.now, uow.tz)
    if until <= uow.now:
        raise Refused("That time has already passed; give a date in the future.")
    if until - uow.now > MAX_AWAY:
        raise Refused("You can be away for at most a year.")
    await roster_edits.set_away(uow.conn, person_id, until)
    await record(uow, "away", actor, person_id, branch_id=branch_id, until=until.isoformat())
    return until


async def set_back(uow: UnitOfWork, actor: Actor) -> None:
    if actor.person_id is None or not actor.is_member:
        raise Refused("Only members of a branch can set themselves away.")
    await roster_edits.set_away(uow.conn, actor.person_id, None)
    await record(uow, "back", actor, actor.person_id)
