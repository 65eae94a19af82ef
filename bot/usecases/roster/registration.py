"""Binding a Telegram account to a roster person through a one-time invite."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.authz import Actor, steers_roster
from bot.i18n import N_, t
from bot.texts import render
from bot.usecases.common import Refused
from storage import queries
from storage.board_queries import person_branches
from storage.invites import RedeemStatus, create_invite, person_id_by_key, redeem_invite
from storage.uow import UnitOfWork

# Unknown, used and expired codes get the same answer: someone trying codes learns
# nothing about which ones exist.
NOT_VALID = N_(
    "This invite code is not valid: unknown, already used or expired. Ask your branch "
    "secretary for a new link."
)
_REFUSALS = {
    RedeemStatus.UNKNOWN: NOT_VALID,
    RedeemStatus.EXPIRED: NOT_VALID,
    RedeemStatus.USED: NOT_VALID,
    RedeemStatus.CHAT_ALREADY_BOUND: N_(
        "This Telegram account is already registered to someone else in the roster."
    ),
}


@dataclass(frozen=True)
class Invite:
    code: str
    until: datetime
    already_bound: bool = False  # the person has an account: the link would move them


async def issue_invite(
    uow: UnitOfWork, person_id: int, created_by_id: int | None, ttl: timedelta | None = None
) -> Invite:
    """A one-time code for ``person_id``, valid for ``ttl`` (default: as long as the
    roster's ``invite_valid``)."""
    until = uow.now + (ttl if ttl is not None else (await uow.policy()).invite_valid)
    code = await create_invite(
        uow.conn,
        person_id=person_id,
        created_by_id=created_by_id,
        now=uow.now,
        ttl=until - uow.now,
    )
    person = await queries.person_by_id(uow.conn, person_id)
    return Invite(code, until, already_bound=person is not None and person.telegram_id is not None)


async def bind_invite(uow: UnitOfWork, *, code: str, chat_id: int) -> str:
    """Redeem ``code`` for this chat; return the person's name."""
    result = await redeem_invite(uow.conn, code=code, chat_id=chat_id, now=uow.now)
    if not result.ok or result.person_id is None:
        raise Refused(_REFUSALS[result.status])
    person = await queries.person_by_id(uow.conn, result.person_id)
    assert person is not None
    return person.name


async def make_invite(uow: UnitOfWork, actor: Actor, key: str) -> Invite:
    """A secretary invites someone of their branch; the committee invites anyone."""
    if not (actor.secretary_of or actor.committee):
        raise Refused("Only a branch secretary or the committee can create invites.")
    person_id = await person_id_by_key(uow.conn, key)
    if person_id is None:
        raise Refused("There is nobody with the key {key} in the roster.", key=key)
    if not steers_roster(actor, await person_branches(uow.conn, person_id)):
        raise Refused("{key} is not in your branch.", key=key)
    return await issue_invite(uow, person_id, actor.person_id)


async def admin_invite(uow: UnitOfWork, key: str, ttl: timedelta) -> Invite | None:
    """``helpline invite KEY``: the admin invites anyone active in the roster (None: no
    such person); the same invite as a secretary's, warning included."""
    person_id = await person_id_by_key(uow.conn, key)
    if person_id is None:
        return None
    return await issue_invite(uow, person_id, None, ttl)


def already_bound_warning(lang: str) -> str:
    return t(
        lang,
        "⚠ This person already has a Telegram account registered. The link moves them "
        "to the account that opens it: send it only if they changed phones.",
    )


def invite_link(lang: str, invite: Invite, bot_username: str | None, tz: ZoneInfo) -> str:
    until = render.clock_text(invite.until, tz)
    if bot_username:
        text = t(
            lang,
            "One-time invite link (valid until {until}): https://t.me/{bot}?start={code}",
            until=until,
            bot=bot_username,
            code=invite.code,
        )
    else:
        text = t(
            lang,
            "One-time invite code (valid until {until}): send /start {code} to the bot.",
            until=until,
            code=invite.code,
        )
    if invite.already_bound:
        text += "\n" + already_bound_warning(lang)
    return text
