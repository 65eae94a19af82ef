"""Visits and plans: reminder buttons (Done, Postpone, Can't go), giving a visit to someone
else, /visits, /plan, /pause, /resume, /endplan and /duty.

After Done the visitor may send a note and a photo; after picking a postpone date, the
reason. Those follow-ups wait in ``user_data`` for half an hour: the state that matters
(done, postponed) is in the database the moment the button is pressed.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from telegram import Update

from bot.callbacks import Button, Verb
from bot.domain.rota import RotaError, format_hours, parse_hours, weekday_index
from bot.domain.visits import PlanAction
from bot.i18n import N_, t
from bot.texts import plan_render, render
from bot.usecases.care_plans import plan_admin, plan_views, visit_actions
from bot.usecases.common import Refused
from handlers.common import (
    Context,
    Declined,
    as_sender,
    attempt,
    begin_step,
    command_text,
    current_step,
    lang,
    markup,
    media_of,
    reply,
    usage,
)

STEP = "visit_step"
STEP_TTL = timedelta(minutes=30)


def pending_step(context: Context) -> dict[str, Any] | None:
    return current_step(context, STEP, STEP_TTL)


async def on_step(update: Update, context: Context) -> bool:
    """The one message that completes a visit's follow-up; False when none is waiting.

    A reply to another message is talk about a request, never the follow-up. The step
    ends with its message, unless the message was refused for a reason the visitor can
    fix (too long, too large, no reason given), so later messages flow as usual.
    """
    step = pending_step(context)
    message = update.effective_message
    if step is None or message is None or message.reply_to_message is not None:
        return False
    assert context.user_data is not None
    lg = lang(context)
    visit_id = int(step["visit"])
    text = message.text or message.caption or ""
    if step["kind"] == "note":
        photo = message.photo[-1] if message.photo else None
        if media_of(message) is not None and photo is None:
            await reply(update, t(lg, "Only a note and a photo can be kept with a visit."))
            return True
        work: Any = lambda uow, ctx, actor: visit_actions.add_note(  # noqa: E731
            uow,
            ctx,
            actor,
            visit_id,
            note=text,
            photo_file_id=photo.file_id if photo else None,
            photo_size=photo.file_size if photo else None,
        )
        done_text = t(lg, "Kept with the visit. Thank you.")
    else:
        day = date.fromisoformat(step["day"])
        work = lambda uow, ctx, actor: visit_actions.postpone(  # noqa: E731
            uow, ctx, actor, visit_id, day, text
        )
        done_text = t(lg, "Postponed to {day}.", day=plan_render.day_text(lg, day))
    try:
        await as_sender(update, context, work)
    except Refused as refused:
        if refused.msgid not in visit_actions.RETRYABLE:
            context.user_data.pop(STEP, None)
        await reply(update, refused.text(lg))
        return True
    context.user_data.pop(STEP, None)
    await reply(update, done_text)
    return True


async def press_done(update: Update, context: Context, button: Button) -> str:
    await as_sender(update, context, lambda u, c, a: visit_actions.done(u, c, a, button.number))
    begin_step(context, STEP, kind="note", visit=button.number)
    lg = lang(context)
    await reply(
        update,
        t(
            lg,
            "Logged, thank you. If you like, send one message about the visit: a note, or a "
            "photo with the note as its caption.",
        ),
    )
    return t(lg, "Visit logged.")


async def press_postpone(update: Update, context: Context, button: Button) -> str:
    lg = lang(context)
    if button.arg is None:
        days = await as_sender(
            update,
            context,
            lambda u, c, a: visit_actions.postpone_choices(u, a, button.number),
        )
        await reply(
            update,
            t(lg, "Postpone to which day?"),
            reply_markup=markup(plan_render.postpone_buttons(lg, button.number, days), context),
        )
        return t(lg, "Pick a day.")
    try:
        day = datetime.strptime(button.arg, "%Y%m%d").date()
    except ValueError:
        return t(lg, "This button is no longer valid.")
    days = await as_sender(
        update, context, lambda u, c, a: visit_actions.postpone_choices(u, a, button.number)
    )
    if day not in days:
        raise Refused("{day} is not within the visit's grace period.", day=day.isoformat())
    begin_step(context, STEP, kind="postpone", visit=button.number, day=day.isoformat())
    await reply(update, t(lg, "Why is it postponed? Send one line."))
    return t(lg, "OK")


async def press_decline(update: Update, context: Context, button: Button) -> str:
    await as_sender(update, context, lambda u, c, a: visit_actions.decline(u, c, a, button.number))
    return t(lang(context), "The secretary has been told.")


async def press_assign(update: Update, context: Context, button: Button) -> str:
    lg = lang(context)
    if not (button.arg or "").isdigit():
        return t(lg, "This button is no longer valid.")
    name = await as_sender(
        update,
        context,
        lambda u, c, a: visit_actions.assign(u, c, a, button.number, int(button.arg or 0)),
    )
    return t(lg, "Given to {name}; they have been reminded.", name=name)


VERBS = {
    Verb.VISIT_DONE: press_done,
    Verb.VISIT_POSTPONE: press_postpone,
    Verb.VISIT_DECLINE: press_decline,
    Verb.VISIT_ASSIGN: press_assign,
}


async def show_visits(update: Update, context: Context) -> None:
    text = await attempt(update, context, plan_views.visits_text)
    if not isinstance(text, Declined):
        await reply(update, text)


async def show_plan(update: Update, context: Context) -> None:
    key = (context.args or [""])[0]
    if not key:
        await reply(update, usage(lang(context), "/plan KEY"))
        return
    text = await attempt(
        update, context, lambda uow, ctx, actor: plan_views.plan_text(uow, ctx, actor, key)
    )
    if not isinstance(text, Declined):
        await reply(update, text)


async def _plan_state(update: Update, context: Context, action: PlanAction, name: str) -> None:
    lg = lang(context)
    args = context.args or []
    if not args:
        await reply(update, usage(lg, f"/{name} KEY [reason]"))
        return
    key = args[0]
    rest = command_text(update.effective_message) if update.effective_message else ""
    reason = rest[len(key) :].strip()
    if action is PlanAction.END and not reason:
        await reply(update, usage(lg, "/endplan KEY reason"))
        return
    done = await attempt(
        update,
        context,
        lambda uow, ctx, actor: plan_admin.change_state(uow, ctx, actor, key, action, reason),
    )
    if not isinstance(done, Declined):
        texts = {
            PlanAction.PAUSE: N_("Plan {key} is paused: no reminders until /resume {key}."),
            PlanAction.RESUME: N_("Plan {key} is active again from its next visit."),
            PlanAction.END: N_("Plan {key} has ended; its history stays (/plan {key})."),
        }
        await reply(update, t(lg, texts[action], key=key))


async def pause(update: Update, context: Context) -> None:
    await _plan_state(update, context, PlanAction.PAUSE, "pause")


async def resume(update: Update, context: Context) -> None:
    await _plan_state(update, context, PlanAction.RESUME, "resume")


async def end(update: Update, context: Context) -> None:
    await _plan_state(update, context, PlanAction.END, "endplan")


async def duty(update: Update, context: Context) -> None:
    """/duty shows the rota; /duty mon li zhao [08:00-20:00] sets a weekday's column."""
    lg = lang(context)
    args = context.args or []
    if not args:
        text = await attempt(update, context, plan_views.duty_text)
        if not isinstance(text, Declined):
            await reply(update, text)
        return
    try:
        weekday = weekday_index(args[0])
        hours = None
        keys = args[1:]
        if keys and ":" in keys[-1]:
            hours, keys = format_hours(*parse_hours(keys[-1])), keys[:-1]
    except RotaError as error:
        await reply(update, t(lg, error.msgid, **error.params))
        return
    if not keys:
        await reply(update, usage(lg, "/duty mon KEY KEY… [08:00-20:00] · /duty mon -"))
        return
    keys = [] if keys == ["-"] else keys
    done = await attempt(
        update,
        context,
        lambda uow, ctx, actor: plan_admin.set_duty_day(uow, actor, weekday, keys, hours),
    )
    if not isinstance(done, Declined):
        label = t(lg, plan_render.WEEKDAY_LABELS[weekday])
        await reply(
            update,
            t(
                lg,
                "{day}: {names}.",
                day=label,
                names=render.names_list(lg, keys) or t(lg, "nobody"),
            )
            if keys
            else t(lg, "{day}: nobody on duty.", day=label),
        )
