"""/escalate, /confirm (on a worker's behalf), /away and /back."""

from __future__ import annotations

from telegram import Update

from bot.domain.durations import parse_duration
from bot.i18n import t
from bot.texts import render
from bot.texts.render import clock_text
from bot.usecases.desk import presence
from bot.usecases.escalation import oversight
from handlers.common import (
    Context,
    Declined,
    attempt,
    command_text,
    lang,
    number_or_usage,
    reply,
    services,
)
from handlers.desk import desk


def rest_after(update: Update, number: int) -> str:
    """The text after ``/command N``."""
    message = update.effective_message
    assert message is not None
    return command_text(message).lstrip("#").removeprefix(str(number)).strip()


async def escalate(update: Update, context: Context) -> None:
    lg = lang(context)
    number = await number_or_usage(update, context, "/escalate N [reason]")
    if number is None:
        return
    reason = rest_after(update, number)
    people = await attempt(
        update,
        context,
        lambda uow, ctx, actor: oversight.escalate_now(uow, ctx, actor, number, reason),
    )
    if isinstance(people, Declined):
        return
    names = render.names_list(lg, (p.name for p in people)) or t(lg, "nobody reachable")
    await reply(
        update, t(lg, "Request #{number} escalated; told: {names}.", number=number, names=names)
    )


async def confirm_for(update: Update, context: Context) -> None:
    lg = lang(context)
    number = await number_or_usage(update, context, "/confirm N reason")
    if number is None:
        return
    reason = rest_after(update, number)
    done = await attempt(
        update,
        context,
        lambda uow, ctx, actor: oversight.confirm_for(uow, ctx, actor, number, reason),
    )
    if not isinstance(done, Declined):
        await reply(
            update, t(lg, "Request #{number} is closed on the worker's behalf.", number=number)
        )


async def away(update: Update, context: Context) -> None:
    lg = lang(context)
    message = update.effective_message
    assert message is not None
    text = command_text(message)
    first, _, rest = text.partition(" ")
    if rest.strip() and _names_someone(first):
        await desk.away_for(update, context, first, rest.strip())
        return
    until = await attempt(
        update, context, lambda uow, ctx, actor: presence.set_away(uow, actor, text)
    )
    if isinstance(until, Declined):
        return
    await reply(
        update,
        t(
            lg,
            "You are away until {time}; alerts go to others meanwhile. /back ends it early.",
            time=clock_text(until, services(context).ctx.tz),
        ),
    )


def _names_someone(word: str) -> bool:
    """``/away KEY 3d``: the first word is a roster key, not a date or a duration."""
    try:
        parse_duration(word)
    except ValueError:
        return any(c.isascii() and c.isalpha() for c in word)
    return False


async def back(update: Update, context: Context) -> None:
    done = await attempt(update, context, lambda uow, ctx, actor: presence.set_back(uow, actor))
    if not isinstance(done, Declined):
        await reply(update, t(lang(context), "Welcome back: you receive alerts again."))
