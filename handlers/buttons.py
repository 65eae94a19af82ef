"""Every inline button press: unpack, re-authorise through the use case, answer briefly."""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.error import TelegramError

from bot.callbacks import Button, Verb, unpack
from bot.i18n import N_, t
from bot.texts import render
from bot.texts.textfit import shorten
from bot.usecases.common import Refused
from bot.usecases.escalation import oversight
from bot.usecases.requests import actions, bundle_pages
from handlers.care_plans import plans, visits
from handlers.common import Context, actor_of, as_sender, lang, services
from handlers.desk import desk
from handlers.requests import intake
from handlers.surveys import surveys

log = logging.getLogger(__name__)

ANSWER_LIMIT = 200

_DONE = {
    Verb.TAKE: N_("You took request #{number}."),
    Verb.RELEASE: N_("You released request #{number}."),
    Verb.RESOLVE: N_("Request #{number} is marked resolved; the worker is asked to confirm."),
    Verb.CONFIRM: N_("Thank you!"),
    Verb.REJECT: N_("Sent back to whoever handled it."),
    Verb.RATE: N_("Thank you for your rating."),
    Verb.REOPEN: N_("Request #{number} is back with its owner."),
    Verb.CONFIRM_FOR: N_(
        "Send /confirm {number} and the reason, e.g. /confirm {number} the worker said so by phone."
    ),
}


async def on_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    lg = lang(context)
    button = unpack(query.data)
    if button is None:
        await _answer(update, t(lg, "This button is no longer valid."))
        return
    try:
        if button.verb in intake.VERBS:
            text = await intake.VERBS[button.verb](update, context, button)
        elif button.verb in desk.VERBS:
            text = await desk.VERBS[button.verb](update, context, button)
        elif button.verb in visits.VERBS:
            text = await visits.VERBS[button.verb](update, context, button)
        elif button.verb is Verb.PLAN_FORM:
            text = await plans.on_button(update, context, button)
        elif button.verb is Verb.SURVEY:
            text = await surveys.on_button(update, context, button)
        elif button.verb is Verb.BUNDLE:
            text = await _bundle_page(update, context, button)
        else:
            text = await _lifecycle(update, context, button)
    except Refused as refused:
        await _answer(update, refused.text(lg), alert=True)
        return
    await _answer(update, text)
    if button.verb in (Verb.CONFIRM, Verb.REJECT, Verb.RATE, Verb.DRAFT, Verb.CATEGORY):
        await _answered(update, context, button)


async def _answered(update: Update, context: Context, button: Button) -> None:
    """The worker's question is answered: take its buttons away so it is not pressed twice.
    A rating stays in sight under its question (the toast saying thanks is gone in a
    moment, and the worker would not know what they gave)."""
    query = update.callback_query
    assert query is not None
    message = query.message
    try:
        if button.verb is Verb.RATE and isinstance(message, Message) and message.text:
            note = t(lang(context), "Your rating: {stars}", stars="⭐" * _stars(button))
            await query.edit_message_text(render.with_note(message.text, note), reply_markup=None)
        else:
            await query.edit_message_reply_markup(reply_markup=None)
    except TelegramError as exc:
        log.info("could not remove buttons: %s", exc)


async def _lifecycle(update: Update, context: Context, button: Button) -> str:
    svc = services(context)
    actor = await actor_of(context, update)
    number = button.number
    async with svc.uow() as uow:
        if button.verb is Verb.TAKE:
            await actions.take(uow, svc.ctx, actor, number)
        elif button.verb is Verb.RELEASE:
            await actions.release(uow, svc.ctx, actor, number)
        elif button.verb is Verb.RESOLVE:
            await actions.resolve(uow, svc.ctx, actor, number)
        elif button.verb is Verb.CONFIRM:
            await actions.confirm(uow, svc.ctx, actor, number)
        elif button.verb is Verb.REJECT:
            await actions.reject(uow, svc.ctx, actor, number)
        elif button.verb is Verb.REOPEN:
            await oversight.reopen(uow, svc.ctx, actor, number)
        elif button.verb is Verb.CONFIRM_FOR:
            await oversight.check_may_confirm_for(uow, actor, number)
        elif button.verb is Verb.RATE:
            await actions.rate(uow, svc.ctx, actor, number, _stars(button))
    return t(lang(context), _DONE[button.verb], number=number)


def _stars(button: Button) -> int:
    """A rating button's stars (0, refused by the use case, for forged data)."""
    return int(button.arg) if button.arg and button.arg.isdigit() else 0


async def _bundle_page(update: Update, context: Context, button: Button) -> str:
    """◀ ▶ in a bundle of alerts: the same message shows another page."""
    shown = await as_sender(
        update,
        context,
        lambda uow, ctx, actor: bundle_pages.page(uow, actor, button.number, button.arg),
    )
    return t(lang(context), "Page {page}", page=shown + 1)


async def _answer(update: Update, text: str, *, alert: bool = False) -> None:
    query = update.callback_query
    assert query is not None
    try:
        await query.answer(shorten(text, ANSWER_LIMIT), show_alert=alert)
    except TelegramError as exc:  # a query older than Telegram keeps them: nothing to answer
        log.info("could not answer callback query: %s", exc)
