"""The secretary's desk: /board and its buttons, /handles, /remove, /away KEY, /family."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot.callbacks import Button, Verb
from bot.i18n import t
from bot.texts import render
from bot.texts.render import clock_text
from bot.usecases.desk import board
from bot.usecases.escalation import oversight
from bot.usecases.roster import roster_desk
from bot.usecases.roster.registration import invite_link
from handlers.common import (
    Context,
    Declined,
    actor_of,
    as_sender,
    attempt,
    command_text,
    lang,
    markup,
    reply,
    services,
    usage,
)

log = logging.getLogger(__name__)


async def show_board(update: Update, context: Context) -> None:
    view = await attempt(update, context, lambda uow, ctx, actor: board.board(uow, ctx, actor))
    if not isinstance(view, Declined):
        await reply(update, view.text, reply_markup=markup(view.buttons, context))


async def _send(update: Update, context: Context, view: board.View) -> None:
    await reply(update, view.text, reply_markup=markup(view.buttons, context))


async def page(update: Update, context: Context, button: Button) -> str:
    """◀ / ▶ on the board: the same message shows another page."""
    view = await as_sender(
        update, context, lambda uow, ctx, actor: board.board(uow, ctx, actor, button.number)
    )
    query = update.callback_query
    assert query is not None
    try:
        await query.edit_message_text(view.text, reply_markup=markup(view.buttons, context))
    except TelegramError as exc:
        if "not modified" not in str(exc).lower():  # the board message is gone: show it anew
            log.info("could not edit the board: %s", exc)
            await _send(update, context, view)
    return t(lang(context), "Page {page}", page=button.number + 1)


async def reassign_menu(update: Update, context: Context, button: Button) -> str:
    view = await as_sender(
        update, context, lambda uow, ctx, actor: board.choices(uow, ctx, actor, button.number)
    )
    await _send(update, context, view)
    return t(lang(context), "Choose the member.")


async def assign(update: Update, context: Context, button: Button) -> str:
    arg = button.arg or ""
    confirmed = arg.endswith("_y")
    person = arg.removesuffix("_y")
    if not person.isdigit():
        return t(lang(context), "This button is no longer valid.")
    svc = services(context)
    actor = await actor_of(context, update)
    async with svc.uow() as uow:
        outcome, view = await board.reassign(
            uow, svc.ctx, actor, button.number, int(person), confirmed=confirmed
        )
    if outcome is board.Outcome.ASK:
        await _send(update, context, view)
        return t(lang(context), "Please confirm.")
    return view.text


async def escalate(update: Update, context: Context, button: Button) -> str:
    lg = lang(context)
    svc = services(context)
    actor = await actor_of(context, update)
    async with svc.uow() as uow:
        people = await oversight.escalate_now(uow, svc.ctx, actor, button.number, "board")
    names = render.names_list(lg, (p.name for p in people)) or t(lg, "nobody reachable")
    return t(lg, "Request #{number} escalated; told: {names}.", number=button.number, names=names)


async def nudge(update: Update, context: Context, button: Button) -> str:
    svc = services(context)
    actor = await actor_of(context, update)
    async with svc.uow() as uow:
        person = await roster_desk.nudge(uow, svc.ctx, actor, button.number)
    return t(lang(context), "{name} is asked to open the bot.", name=person.name)


VERBS = {
    Verb.BOARD: page,
    Verb.REASSIGN: reassign_menu,
    Verb.ASSIGN: assign,
    Verb.ESCALATE: escalate,
    Verb.NUDGE: nudge,
}


async def handles(update: Update, context: Context) -> None:
    """/handles KEY topic... — what a member of the branch is alerted for."""
    lg = lang(context)
    args = context.args or []
    if len(args) < 2:
        await reply(update, usage(lg, "/handles KEY 120 110 reimbursement …"))
        return
    key, words = args[0], args[1:]
    person = await attempt(
        update, context, lambda uow, _ctx, actor: roster_desk.set_handles(uow, actor, key, words)
    )
    if not isinstance(person, Declined):
        await reply(
            update,
            t(
                lg,
                "{name} now handles: {topics}",
                name=person.name,
                topics=", ".join(roster_desk.parse_topics(words)),
            ),
        )


async def remove(update: Update, context: Context) -> None:
    """/remove KEY reason — take someone off the roster."""
    lg = lang(context)
    message = update.effective_message
    args = context.args or []
    if not args or message is None:
        await reply(update, usage(lg, "/remove KEY reason"))
        return
    key = args[0]
    reason = command_text(message).removeprefix(key).strip()
    passed = await attempt(
        update, context, lambda uow, ctx, actor: roster_desk.remove(uow, ctx, actor, key, reason)
    )
    if isinstance(passed, Declined):
        return
    numbers = ", ".join(f"#{n}" for n in passed) or "—"
    await reply(
        update,
        t(
            lg,
            "{key} is off the roster; their history stays. Alerted again: {numbers}",
            key=key,
            numbers=numbers,
        ),
    )


async def away_for(update: Update, context: Context, key: str, text: str) -> None:
    """/away KEY 3d — a secretary marks a member of the branch away."""
    found = await attempt(
        update, context, lambda uow, _ctx, actor: roster_desk.set_away_for(uow, actor, key, text)
    )
    if isinstance(found, Declined):
        return
    person, until = found
    await reply(
        update,
        t(
            lang(context),
            "{name} is away until {time}; alerts go to others meanwhile.",
            name=person.name,
            time=clock_text(until, services(context).ctx.tz),
        ),
    )


async def invite_new(update: Update, context: Context, role: str, key: str, name: str) -> None:
    """/invite member|worker KEY NAME — a new person of the branch and their link."""
    code = await attempt(
        update,
        context,
        lambda uow, _ctx, actor: roster_desk.add_person(uow, actor, role, key, name),
    )
    if not isinstance(code, Declined):
        svc = services(context)
        await reply(update, invite_link(lang(context), code, svc.bot_username, svc.ctx.tz))


async def family(update: Update, context: Context) -> None:
    """/family NAME — a worker registers a family member and gets their invite link."""
    lg = lang(context)
    message = update.effective_message
    assert message is not None
    name = command_text(message)
    added = await attempt(
        update, context, lambda uow, _ctx, actor: roster_desk.add_family(uow, actor, name)
    )
    if isinstance(added, Declined):
        return
    name, code = added
    await reply(
        update,
        t(
            lg,
            "Forward this link to {name}. Their /120, /110 and /request go to your branch, "
            "and you are told when they ask for help.",
            name=name,
        )
        + "\n"
        + invite_link(lg, code, services(context).bot_username, services(context).ctx.tz),
    )
