"""/cancelall N reason, /block N reason, /unblock N: stopping a flood from the phone."""

from __future__ import annotations

from telegram import Update

from bot.i18n import t
from bot.usecases.requests import senders
from handlers.common import Context, Declined, attempt, lang, number_or_usage, reply
from handlers.escalation.oversight import rest_after


async def cancel_all(update: Update, context: Context) -> None:
    lg = lang(context)
    number = await number_or_usage(update, context, "/cancelall N reason")
    if number is None:
        return
    reason = rest_after(update, number)
    done = await attempt(
        update, context, lambda uow, ctx, actor: senders.cancel_all(uow, ctx, actor, number, reason)
    )
    if not isinstance(done, Declined):
        await reply(update, _cancelled(lg, done))


async def block(update: Update, context: Context) -> None:
    lg = lang(context)
    number = await number_or_usage(update, context, "/block N reason")
    if number is None:
        return
    reason = rest_after(update, number)
    done = await attempt(
        update, context, lambda uow, ctx, actor: senders.block(uow, ctx, actor, number, reason)
    )
    if not isinstance(done, Declined):
        blocked = t(lg, "The sender of request #{number} is blocked.", number=number)
        await reply(update, blocked + " " + _cancelled(lg, done))


async def unblock(update: Update, context: Context) -> None:
    lg = lang(context)
    number = await number_or_usage(update, context, "/unblock N")
    if number is None:
        return
    done = await attempt(
        update, context, lambda uow, _ctx, actor: senders.unblock(uow, actor, number)
    )
    if not isinstance(done, Declined):
        await reply(update, t(lg, "The sender of request #{number} is unblocked.", number=number))


def _cancelled(lg: str, numbers: list[int]) -> str:
    if not numbers:
        return t(lg, "Nothing of theirs was open.")
    return t(lg, "Cancelled: {numbers}.", numbers=", ".join(f"#{n}" for n in numbers))
