"""/start, /help, /mine, /status, /resolve and /invite."""

from __future__ import annotations

from telegram import Update

from bot.i18n import t
from bot.usecases.common import Refused
from bot.usecases.requests import actions, views
from bot.usecases.roster.registration import bind_invite, invite_link, make_invite
from bot.usecases.roster.roster_desk import ROLES
from handlers.common import (
    Context,
    Declined,
    actor_of,
    attempt,
    command_text,
    lang,
    number_or_usage,
    parse_number,
    reply,
    services,
    usage,
)
from handlers.desk import desk
from handlers.requests.talk import help_text


async def start(update: Update, context: Context) -> None:
    lg = lang(context)
    svc = services(context)
    code = (context.args or [""])[0]
    user = update.effective_user
    assert user is not None
    if code:
        try:
            async with svc.uow() as uow:
                name = await bind_invite(uow, code=code, chat_id=user.id)
        except Refused as refused:
            await reply(update, refused.text(lg))
            return
        await reply(update, t(lg, "Welcome, {name}! Your account is registered.", name=name))
    actor = await actor_of(context, update)
    greeting = t(lg, "Hello, {name}.", name=actor.name) if actor.registered else t(lg, "Hello.")
    await reply(update, greeting + "\n\n" + help_text(lg, actor))


async def help_(update: Update, context: Context) -> None:
    actor = await actor_of(context, update)
    await reply(update, help_text(lang(context), actor))


async def mine(update: Update, context: Context) -> None:
    svc = services(context)
    actor = await actor_of(context, update)
    async with svc.uow() as uow:
        text = await views.mine(uow, svc.ctx, actor)
    await reply(update, text)


async def status(update: Update, context: Context) -> None:
    number = await number_or_usage(update, context, "/status N")
    if number is None:
        return
    text = await attempt(
        update, context, lambda uow, ctx, actor: views.status(uow, ctx, actor, number)
    )
    if not isinstance(text, Declined):
        await reply(update, text)


async def resolve(update: Update, context: Context) -> None:
    """/resolve N summary — resolve with a summary the worker sees."""
    lg = lang(context)
    number = parse_number(context)
    message = update.effective_message
    if number is None or message is None:
        await reply(update, usage(lg, "/resolve N [summary]"))
        return
    summary = command_text(message).lstrip("#").removeprefix(str(number)).strip()
    done = await attempt(
        update, context, lambda uow, ctx, actor: actions.resolve(uow, ctx, actor, number, summary)
    )
    if isinstance(done, Declined):
        return
    await reply(
        update,
        t(
            lg,
            "Request #{number} is marked resolved; the worker is asked to confirm.",
            number=number,
        ),
    )


async def invite(update: Update, context: Context) -> None:
    """/invite KEY — a secretary's one-time link for someone of their branch;
    /invite member|worker KEY NAME — for someone new to the branch."""
    lg = lang(context)
    args = context.args or []
    if len(args) >= 3 and args[0] in ROLES:
        message = update.effective_message
        assert message is not None
        name = command_text(message).split(maxsplit=2)[2]
        await desk.invite_new(update, context, args[0], args[1], name)
        return
    if len(args) != 1:
        await reply(update, usage(lg, "/invite PERSON_KEY | /invite member|worker KEY NAME"))
        return
    key = args[0]
    code = await attempt(update, context, lambda uow, _ctx, actor: make_invite(uow, actor, key))
    if not isinstance(code, Declined):
        svc = services(context)
        await reply(update, invite_link(lg, code, svc.bot_username, svc.ctx.tz))
