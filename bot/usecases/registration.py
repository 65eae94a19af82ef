"""Binding a Telegram account to a roster person through a one-time invite."""

from __future__ import annotations

from bot.domain.authz import Actor, steers_roster
from bot.i18n import N_, t
from bot.usecases.common import Refused
from bot.usecases.uow import UnitOfWork
from storage import queries
from storage.board_queries import person_branches
from storage.invites import RedeemStatus, create_invite, person_id_by_key, redeem_invite

_REFUSALS = {
    RedeemStatus.UNKNOWN: N_(
        "This invite code is not valid. Ask your branch secretary for a new link."
    ),
    RedeemStatus.EXPIRED: N_("This invite has expired. Ask your branch secretary for a new link."),
    RedeemStatus.USED: N_(
        "This invite has already been used. Ask your branch secretary for a new link."
    ),
    RedeemStatus.CHAT_ALREADY_BOUND: N_(
        "This Telegram account is already registered to someone else in the roster."
    ),
}


async def bind_invite(uow: UnitOfWork, *, code: str, chat_id: int) -> str:
    """Redeem ``code`` for this chat; return the person's name."""
    result = await redeem_invite(uow.conn, code=code, chat_id=chat_id, now=uow.now)
    if not result.ok or result.person_id is None:
        raise Refused(_REFUSALS[result.status])
    person = await queries.person_by_id(uow.conn, result.person_id)
    assert person is not None
    return person.name


async def make_invite(uow: UnitOfWork, actor: Actor, key: str) -> str:
    """A secretary invites someone of their branch; the committee invites anyone."""
    if not (actor.secretary_of or actor.committee):
        raise Refused("Only a branch secretary or the committee can create invites.")
    person_id = await person_id_by_key(uow.conn, key)
    if person_id is None:
        raise Refused("There is nobody with the key {key} in the roster.", key=key)
    if not steers_roster(actor, await person_branches(uow.conn, person_id)):
        raise Refused("{key} is not in your branch.", key=key)
    return await create_invite(
        uow.conn, person_id=person_id, created_by_id=actor.person_id, now=uow.now
    )


def invite_link(lang: str, code: str, bot_username: str | None) -> str:
    if bot_username:
        return t(
            lang,
            "One-time invite link (valid 7 days): https://t.me/{bot}?start={code}",
            bot=bot_username,
            code=code,
        )
    return t(lang, "One-time invite code (valid 7 days): send /start {code} to the bot.", code=code)
