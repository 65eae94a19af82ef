"""/survey and the survey's answer buttons: parse, call the use case, answer briefly.

``/survey`` lists the surveys for the committee and shows anyone the question a survey is
waiting for them to answer; ``/survey open|close|publish KEY`` are the committee's.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardMarkup, Update

from bot.callbacks import Button
from bot.domain.survey import Verdict
from bot.i18n import N_, t
from bot.texts.render import Payload
from bot.usecases.common import Refused
from bot.usecases.surveys import survey_results, surveys
from handlers.common import Context, actor_of, lang, reply, services, usage

ANSWERS = {
    Verdict.RECORDED: N_("Answer kept."),
    Verdict.FINISHED: N_("Thank you!"),
    Verdict.CLOSED: N_("This survey is closed: it no longer takes answers."),
    Verdict.NOT_ASKED: N_("This survey was not sent to you."),
    Verdict.DONE: N_("You have answered this survey already. Thank you!"),
    Verdict.ANSWERED: N_("You have answered this question already."),
    Verdict.INVALID: N_("This button is no longer valid."),
}
SUBCOMMANDS = ("open", "close", "publish")


async def _show(update: Update, context: Context, payload: Payload) -> None:
    raw: Any = payload.get("reply_markup")
    keyboard = InlineKeyboardMarkup.de_json(raw, context.bot) if raw else None
    await reply(update, str(payload["text"]), stored=False, reply_markup=keyboard)


async def command(update: Update, context: Context) -> None:
    svc = services(context)
    lg = lang(context)
    actor = await actor_of(context, update)
    args = context.args or []
    try:
        if not args:
            async with svc.uow() as uow:
                shown = await surveys.overview(uow, svc.ctx, actor)
            for payload in shown:
                await _show(update, context, payload)
            return
        surveys.check_committee(actor)
        if args[0].lower() not in SUBCOMMANDS or len(args) != 2:
            await reply(update, usage(lg, "/survey open|close|publish KEY"))
            return
        await reply(update, await _run(context, actor, args[0].lower(), args[1]))
    except Refused as refused:
        await reply(update, refused.text(lg))


async def _run(context: Context, actor: Any, verb: str, key: str) -> str:
    svc = services(context)
    lg = lang(context)
    if verb == "open":
        asked = await survey_results.open_for_all(svc, actor, key)
        return t(
            lg,
            "The survey '{key}' is open: {count} people are asked, one question at a time. "
            "Whoever has not finished is reminded once, later.",
            key=key,
            count=asked,
        )
    if verb == "close":
        done = await survey_results.close(svc, actor, key)
        return t(
            lg,
            "The survey '{key}' is closed: {finished} of {asked} finished it. The results go "
            "to the committee; /survey publish {key} sends them to everyone.",
            key=key,
            finished=done.results.finished,
            asked=done.results.asked,
        )
    done = await survey_results.publish(svc, actor, key)
    return t(
        lg,
        "The results of '{key}' are on their way to {count} people.",
        key=key,
        count=done.recipients,
    )


async def on_button(update: Update, context: Context, button: Button) -> str:
    """A press on a survey answer: whatever it was, its update is redacted."""
    svc = services(context)
    actor = await actor_of(context, update)
    query = update.callback_query
    message_id = query.message.message_id if query is not None and query.message else None
    async with svc.uow() as uow:
        verdict = await surveys.answer(
            uow,
            svc.ctx,
            actor,
            button.number,
            button.arg,
            update_id=update.update_id,
            message_id=message_id,
        )
    return t(lang(context), ANSWERS[verdict])
