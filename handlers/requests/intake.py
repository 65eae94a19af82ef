"""/120 and /110 (one message is enough), /request (guided), /cancel."""

from __future__ import annotations

from typing import Any

from telegram import Update

from bot.callbacks import Button, Verb
from bot.domain.authz import Actor
from bot.domain.kinds import Category, Kind
from bot.i18n import t
from bot.texts import render
from bot.usecases.requests import actions
from bot.usecases.requests.raise_request import raise_or_join, raise_request
from bot.usecases.requests.relay import Media, relay
from handlers.common import (
    Context,
    Declined,
    actor_of,
    attempt,
    command_text,
    lang,
    markup,
    media_of,
    number_or_usage,
    reply,
    services,
)

DRAFT = "draft"


async def emergency(update: Update, context: Context) -> None:
    await _raise(update, context, Kind.EMERGENCY)


async def trouble(update: Update, context: Context) -> None:
    await _raise(update, context, Kind.TROUBLE)


async def _raise(update: Update, context: Context, kind: Kind) -> None:
    """Store and alert first; the worker's acknowledgement goes out through the outbox.
    Emergencies arriving together are stored together (``Services.together``)."""
    assert update.effective_message is not None
    assert update.effective_user is not None
    svc = services(context)
    sender = Actor(chat_id=update.effective_user.id, name=update.effective_user.full_name)
    text = command_text(update.effective_message)
    await svc.together(
        lambda uow: raise_or_join(
            uow, svc.ctx, sender, kind=kind, text=text, update_id=update.update_id
        )
    )


async def request_start(update: Update, context: Context) -> None:
    assert context.user_data is not None
    context.user_data[DRAFT] = {"category": None, "text": [], "media": []}
    lg = lang(context)
    await reply(
        update,
        t(lg, "What is it about?"),
        reply_markup=markup(render.category_buttons(lg), context),
    )


async def pick_category(update: Update, context: Context, button: Button) -> str:
    """A category button of /request: remember it and ask for the description."""
    lg = lang(context)
    draft = (context.user_data or {}).get(DRAFT)
    try:
        category = Category(button.arg or "")
    except ValueError:
        return t(lg, "This button is no longer valid.")
    if draft is None:
        return t(lg, "This form has expired; send /request to start again.")
    draft["category"] = category.value
    await reply(
        update,
        t(
            lg,
            "{category}: describe what you need. Send text, a photo, a voice note or a "
            "location; press Send when you are done.",
            category=t(lg, render.CATEGORY_LABELS[category]),
        ),
    )
    return t(lg, "OK")


def draft_for(context: Context) -> dict[str, Any] | None:
    draft = (context.user_data or {}).get(DRAFT)
    return draft if isinstance(draft, dict) and draft.get("category") else None


async def add_to_draft(update: Update, context: Context, draft: dict[str, Any]) -> None:
    message = update.effective_message
    assert message is not None
    if message.text:
        draft["text"].append(message.text)
    if message.caption:
        draft["text"].append(message.caption)
    media = media_of(message)
    if media is not None:
        draft["media"].append(media.__dict__)
    lg = lang(context)
    await reply(
        update,
        t(lg, "Added. Send more, or press Send."),
        reply_markup=markup(render.draft_buttons(lg), context),
    )


async def finish_draft(update: Update, context: Context, button: Button) -> str:
    lg = lang(context)
    assert context.user_data is not None
    draft = draft_for(context)
    if draft is None:
        return t(lg, "This form has expired; send /request to start again.")
    if button.arg == "discard":
        context.user_data.pop(DRAFT, None)
        return t(lg, "Discarded.")
    if not draft["text"] and not draft["media"]:
        return t(lg, "Please describe what you need first.")
    svc = services(context)
    actor = await actor_of(context, update)
    async with svc.uow() as uow:
        raised = await raise_request(
            uow,
            svc.ctx,
            actor,
            kind=Kind.SERVICE,
            category=Category(draft["category"]),
            text="\n".join(draft["text"]),
        )
        for item in draft["media"]:
            await relay(uow, svc.ctx, actor, raised.request, media=Media(**item))
    context.user_data.pop(DRAFT, None)
    return t(lg, "Sent as request #{number}.", number=raised.request.id)


async def cancel(update: Update, context: Context) -> None:
    lg = lang(context)
    number = await number_or_usage(update, context, "/cancel N")
    if number is None:
        return
    done = await attempt(
        update, context, lambda uow, ctx, actor: actions.cancel(uow, ctx, actor, number)
    )
    if not isinstance(done, Declined):
        await reply(update, t(lg, "Request #{number} is withdrawn.", number=number))


VERBS = {Verb.CATEGORY: pick_category, Verb.DRAFT: finish_draft}
