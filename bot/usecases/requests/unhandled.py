"""An update the bot could not handle, after every retry: a person must see it.

The inbox keeps the update (marked failed) so nothing is lost; the committee is told who
wrote and what, word for word, because a worker's message that no code could act on may
still be an emergency.
"""

from __future__ import annotations

from bot.domain.priority import Priority
from bot.i18n import t
from bot.usecases import common
from bot.usecases.common import Ctx
from storage.uow import UnitOfWork


async def tell_committee(
    uow: UnitOfWork, ctx: Ctx, *, update_id: int, sender: str, text: str
) -> int:
    """Queue the notice to each committee member with a Telegram account; return how many."""
    notice = t(
        ctx.lang,
        "The bot could not handle a message from {sender} after several tries "
        "(update {update_id}). Please contact them. What they sent:\n{text}",
        sender=sender,
        update_id=update_id,
        text=text or t(ctx.lang, "(no text)"),
    )
    return await common.tell_committee(uow, notice, purpose="unhandled", priority=Priority.CRITICAL)
