"""/escalate, /confirm (on a worker's behalf), /away and /back."""

from __future__ import annotations

from telegram import Update

from bot.i18n import t
from bot.render import clock_text
from bot.usecases import oversight, presence
from bot.usecases.common import Refused
from handlers.common import (
    Context,
    actor_of,
    command_text,
    lang,
    parse_number,
    reply,
    services,
    usage,
)


def _rest(update: Update, number: int) -> str:
    """The text after ``/command N``."""
    message = update.effective_message
    assert message is not None
    return command_text(message).lstrip("#").removeprefix(str(number)).strip()


async def escalate(update: Update, context: Context) -> None:
    lg = lang(context)
    number = parse_number(context)
    if number is None:
        await reply(update, usage(lg, "/escalate N [reason]"))
        return
    svc = services(context)
    actor = await actor_of(context, update)
    try:
        async with svc.uow() as uow:
            people = await oversight.escalate_now(
                uow, svc.ctx, actor, number, _rest(update, number)
            )
    except Refused as refused:
        await reply(update, refused.text(lg))
        return
    names = "、".join(p.name for p in people) or t(lg, "nobody reachable")
    await reply(
        update, t(lg, "Request #{number} escalated; told: {names}.", number=number, names=names)
    )


async def confirm_for(update: Update, context: Context) -> None:
    lg = lang(context)
    number = parse_number(context)
    if number is None:
        await reply(update, usage(lg, "/confirm N reason"))
        return
    svc = services(context)
    actor = await actor_of(context, update)
    try:
        async with svc.uow() as uow:
            await oversight.confirm_for(uow, svc.ctx, actor, number, _rest(update, number))
    except Refused as refused:
        await reply(update, refused.text(lg))
        return
    await reply(update, t(lg, "Request #{number} is closed on the worker's behalf.", number=number))


async def away(update: Update, context: Context) -> None:
    lg = lang(context)
    message = update.effective_message
    assert message is not None
    svc = services(context)
    actor = await actor_of(context, update)
    try:
        async with svc.uow() as uow:
            until = await presence.set_away(uow, actor, command_text(message))
    except Refused as refused:
        await reply(update, refused.text(lg))
        return
    await reply(
        update,
        t(
            lg,
            "You are away until {time}; alerts go to others meanwhile. /back ends it early.",
            time=clock_text(until, svc.ctx.tz),
        ),
    )


async def back(update: Update, context: Context) -> None:
    lg = lang(context)
    svc = services(context)
    actor = await actor_of(context, update)
    try:
        async with svc.uow() as uow:
            await presence.set_back(uow, actor)
    except Refused as refused:
        await reply(update, refused.text(lg))
        return
    await reply(update, t(lg, "Welcome back: you receive alerts again."))
