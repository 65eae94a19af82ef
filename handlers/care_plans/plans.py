"""/newplan: a secretary creates a care plan in a guided dialog, one question at a time.

Who is cared for (name, note) → visitors (tap to tick) → how it recurs, in plain words →
from which date → days of notice → grace period → a summary with the next dates → Save.
Every answer is checked as it comes and again by the use case on Save; a bad answer is
explained and asked again, and nothing is stored before Save. The form lives in
``user_data``: a restart mid-dialog costs the secretary the form, never a stored plan.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from telegram import Update
from telegram.error import TelegramError

from bot.callbacks import Button
from bot.domain import recurrence as rec
from bot.domain.durations import parse_duration
from bot.domain.visits import (
    PlanFieldError,
    check_grace,
    check_name,
    check_note,
    check_notice,
    check_start,
)
from bot.i18n import N_, t
from bot.texts import plan_render, render
from bot.usecases.care_plans import plan_admin, plan_views
from bot.usecases.common import Refused
from handlers.common import (
    Context,
    actor_of,
    begin_step,
    current_step,
    lang,
    markup,
    reply,
    services,
)

FORM = "plan_form"
FORM_TTL = timedelta(minutes=30)
Rows = plan_render.Rows

REMIND_CHOICES = (0, 1, 2, 3, 7)
GRACE_CHOICES = ("1d", "3d", "7d")


def _form(context: Context) -> dict[str, Any] | None:
    """The open form; one left alone for half an hour is dropped, so a secretary's chat
    with a worker is never swallowed by a form they forgot."""
    return current_step(context, FORM, FORM_TTL, touch=True)


async def start(update: Update, context: Context) -> None:
    lg = lang(context)
    actor = await actor_of(context, update)
    try:
        branch_id = plan_admin.home_branch(actor)
    except Refused as refused:
        await reply(update, refused.text(lg))
        return
    begin_step(context, FORM, step="name", branch=branch_id, visitors=[])
    await reply(
        update,
        t(
            lg,
            "New care plan. Who is cared for? Send the name; a short note (where, what for) "
            "can follow on a second line. /newplan starts again.",
        ),
    )


async def on_text(update: Update, context: Context) -> bool:
    """A text answer to the form's current question; False when no form is open."""
    form = _form(context)
    message = update.effective_message
    if form is None or message is None or message.reply_to_message is not None:
        return False  # a reply to a request's message is talk, not an answer to the form
    if not message.text:
        return False  # a photo or a voice note is not an answer either: it goes on as talk
    lg = lang(context)
    text = (message.text or "").strip()
    step = form["step"]
    if not text or step not in _TEXT_STEPS:
        await reply(update, t(lg, "Please answer with the buttons above, or /newplan to restart."))
        return True
    try:
        await _TEXT_STEPS[step](update, context, form, text)
    except (PlanFieldError, rec.RuleError) as error:
        await reply(update, t(lg, error.msgid, **error.params))
    return True


async def _name(update: Update, context: Context, form: dict[str, Any], text: str) -> None:
    first, _, rest = text.partition("\n")
    form["name"] = check_name(first)
    form["note"] = check_note(rest)
    form["step"] = "visitors"
    await _ask_visitors(update, context, form)


async def _visitor_rows(context: Context, form: dict[str, Any]) -> Rows:
    people = await plan_views.branch_visitors(services(context).engine, form["branch"])
    items = [(f"v{p.id}", ("✓ " if p.id in form["visitors"] else "") + p.name) for p in people]
    return [
        *plan_render.form_rows(items),
        [(t(lang(context), "Next ▶"), plan_render.form_button("vok"))],
    ]


async def _ask_visitors(update: Update, context: Context, form: dict[str, Any]) -> None:
    await reply(
        update,
        t(lang(context), "Who visits? Tap to tick, then Next."),
        reply_markup=markup(await _visitor_rows(context, form), context),
    )


async def _ask_pattern(update: Update, context: Context) -> None:
    lg = lang(context)
    items = [(arg, t(lg, label)) for arg, label in plan_render.PATTERNS]
    await reply(
        update, t(lg, "How often?"), reply_markup=markup(plan_render.form_rows(items), context)
    )


async def _ask_start(update: Update, context: Context, form: dict[str, Any]) -> None:
    form["step"] = "start"
    lg = lang(context)
    await reply(
        update,
        t(lg, "From which date? Send it as 2026-12-05, or press Today."),
        reply_markup=markup([[(t(lg, "Today"), plan_render.form_button("st"))]], context),
    )


def _today(context: Context) -> date:
    svc = services(context)
    return svc.clock.now().astimezone(svc.ctx.tz).date()


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise PlanFieldError(N_("Write a date as 2026-12-05.")) from None


async def _monthday(update: Update, context: Context, form: dict[str, Any], text: str) -> None:
    if not (text.isascii() and text.isdecimal()) or len(text) > 2:
        raise PlanFieldError(N_("Send a day of the month, 1 to 31."))
    form["rule"] = rec.monthly_on_day(int(text))
    await _ask_start(update, context, form)


async def _yearly(update: Update, context: Context, form: dict[str, Any], text: str) -> None:
    month, _, day = text.partition("-")
    if not all(p.isascii() and p.isdecimal() and len(p) <= 2 for p in (month, day)):
        raise PlanFieldError(N_("Send the date as month-day, e.g. 12-30."))
    form["rule"] = rec.yearly_on(int(month), int(day))
    await _ask_start(update, context, form)


async def _rrule(update: Update, context: Context, form: dict[str, Any], text: str) -> None:
    form["rule"] = rec.parse_rule(text, _today(context), today=_today(context)).rule
    await _ask_start(update, context, form)


async def _once(update: Update, context: Context, form: dict[str, Any], text: str) -> None:
    day = check_start(_parse_date(text), _today(context))
    form["rule"], form["start"] = rec.ONCE, day.isoformat()
    await _ask_remind(update, context, form)


async def _start(update: Update, context: Context, form: dict[str, Any], text: str) -> None:
    await _set_start(update, context, form, _parse_date(text))


async def _set_start(update: Update, context: Context, form: dict[str, Any], day: date) -> None:
    check_start(day, _today(context))
    rec.parse_rule(form["rule"], day, today=_today(context))
    form["start"] = day.isoformat()
    await _ask_remind(update, context, form)


async def _ask_remind(update: Update, context: Context, form: dict[str, Any]) -> None:
    form["step"] = "remind"
    lg = lang(context)
    items = [
        (f"r{n}", t(lg, "{n} days ahead", n=n) if n else t(lg, "on the day only"))
        for n in REMIND_CHOICES
    ]
    await reply(
        update,
        t(lg, "Remind the visitors how many days ahead?"),
        reply_markup=markup(plan_render.form_rows(items, 3), context),
    )


async def _ask_grace(update: Update, context: Context, form: dict[str, Any]) -> None:
    form["step"] = "grace"
    lg = lang(context)
    items = [(f"g{g}", g) for g in GRACE_CHOICES]
    await reply(
        update,
        t(lg, "How long after the day may the visit still be logged before the secretary is told?"),
        reply_markup=markup(plan_render.form_rows(items, 3), context),
    )


def _draft(form: dict[str, Any]) -> plan_admin.PlanDraft:
    return plan_admin.PlanDraft(
        branch_id=int(form["branch"]),
        cared_for=form["name"],
        note=form.get("note", ""),
        visitor_ids=tuple(form["visitors"]),
        rule=form["rule"],
        start=date.fromisoformat(form["start"]),
        remind_days_before=int(form["remind"]),
        grace=form["grace"],
    )


async def _summary(update: Update, context: Context, form: dict[str, Any]) -> None:
    form["step"] = "confirm"
    lg = lang(context)
    draft = _draft(form)
    upcoming = rec.Recurrence(draft.rule, draft.start).upcoming(_today(context), 3)
    found = await plan_views.people_named(services(context).engine, list(draft.visitor_ids))
    text = t(
        lg,
        "{name}\n{note}\nVisitors: {visitors}\nNext visits: {dates}\nReminded {days} day(s) "
        "ahead; grace {grace}.\nSave this plan?",
        name=draft.cared_for,
        note=draft.note or "—",
        visitors=render.names_list(lg, (found[i].name for i in draft.visitor_ids if i in found)),
        dates=", ".join(plan_render.day_text(lg, d) for d in upcoming),
        days=draft.remind_days_before,
        grace=draft.grace,
    )
    buttons = [
        [
            (t(lg, "Save"), plan_render.form_button("ok")),
            (t(lg, "Discard"), plan_render.form_button("no")),
        ]
    ]
    await reply(update, text, reply_markup=markup(buttons, context))


async def on_button(update: Update, context: Context, button: Button) -> str:
    """A button of the form; stale buttons of a finished form are refused politely."""
    lg = lang(context)
    form = _form(context)
    arg = button.arg or ""
    if form is None:
        return t(lg, "This form has expired; send /newplan to start again.")
    try:
        return await _press(update, context, form, arg)
    except (PlanFieldError, rec.RuleError) as error:
        raise Refused.of(error) from None


async def _press(update: Update, context: Context, form: dict[str, Any], arg: str) -> str:
    lg = lang(context)
    step = form["step"]
    if step == "visitors" and arg.startswith("v") and arg[1:].isdecimal():
        return await _toggle(update, context, form, int(arg[1:]))
    if step == "visitors" and arg == "vok":
        if not form["visitors"]:
            return t(lg, "Tick at least one visitor.")
        form["step"] = "pattern"
        await _ask_pattern(update, context)
        return t(lg, "OK")
    if step == "pattern" and arg in dict(plan_render.PATTERNS):
        return await _pattern(update, context, form, arg)
    if step == "weekday" and arg.startswith("d") and arg[1:].isdecimal():
        return await _weekday(update, context, form, int(arg[1:]))
    if step == "weeks" and arg.startswith("n") and arg[1:].isdecimal():
        form["rule"] = rec.every_n_weeks(int(arg[1:]), int(form["weekday"]))
        await _ask_start(update, context, form)
        return t(lg, "OK")
    if step == "start" and arg == "st":
        await _set_start(update, context, form, _today(context))
        return t(lg, "OK")
    if step == "remind" and arg.startswith("r") and arg[1:].isdecimal():
        upcoming = rec.Recurrence(form["rule"], date.fromisoformat(form["start"])).upcoming(
            _today(context), 13
        )
        form["remind"] = check_notice(int(arg[1:]), upcoming)
        await _ask_grace(update, context, form)
        return t(lg, "OK")
    if step == "grace" and arg.startswith("g") and arg[1:] in GRACE_CHOICES:
        form["grace"] = arg[1:]
        check_grace(parse_duration(form["grace"]))
        await _summary(update, context, form)
        return t(lg, "OK")
    if step == "confirm" and arg in ("ok", "no"):
        return await _finish(update, context, form, save=arg == "ok")
    return t(lg, "This button is no longer valid.")


async def _toggle(update: Update, context: Context, form: dict[str, Any], pid: int) -> str:
    allowed = await plan_views.branch_visitors(services(context).engine, form["branch"])
    if pid not in {p.id for p in allowed}:
        return t(lang(context), "This button is no longer valid.")
    chosen: list[int] = form["visitors"]
    chosen.remove(pid) if pid in chosen else chosen.append(pid)
    query = update.callback_query
    if query is not None:
        try:
            await query.edit_message_reply_markup(
                reply_markup=markup(await _visitor_rows(context, form), context)
            )
        except TelegramError:
            pass  # the ticks are a courtesy; the form holds the truth
    return t(lang(context), "OK")


async def _pattern(update: Update, context: Context, form: dict[str, Any], arg: str) -> str:
    lg = lang(context)
    form["pattern"] = arg
    questions = {
        "pm": (
            "monthday",
            N_(
                "Which day of the month (1-31)? Days 29-31 fall back to the last day of "
                "shorter months."
            ),
        ),
        "py": ("yearly", N_("Which date each year? Send month-day, e.g. 12-30.")),
        "po": ("once", N_("Which date? Send it as 2026-12-05.")),
        "pr": ("rrule", N_("Send the RRULE, e.g. FREQ=MONTHLY;BYDAY=1SA (no DTSTART).")),
    }
    if arg in questions:
        form["step"], question = questions[arg]
        await reply(update, t(lg, question))
    else:
        form["step"] = "weekday"
        await reply(
            update,
            t(lg, "Which weekday?"),
            reply_markup=markup(plan_render.weekday_rows(lg), context),
        )
    return t(lg, "OK")


async def _weekday(update: Update, context: Context, form: dict[str, Any], weekday: int) -> str:
    lg = lang(context)
    if not 0 <= weekday <= 6:
        return t(lg, "This button is no longer valid.")
    pattern = form.get("pattern")
    if pattern == "pw":
        form["weekday"], form["step"] = weekday, "weeks"
        items = [(f"n{n}", t(lg, "every {n} week(s)", n=n)) for n in (1, 2, 3, 4)]
        await reply(
            update,
            t(lg, "Every how many weeks?"),
            reply_markup=markup(plan_render.form_rows(items), context),
        )
        return t(lg, "OK")
    form["rule"] = rec.nth_weekday(1 if pattern == "pf" else -1, weekday)
    await _ask_start(update, context, form)
    return t(lg, "OK")


async def _finish(update: Update, context: Context, form: dict[str, Any], *, save: bool) -> str:
    lg = lang(context)
    assert context.user_data is not None
    if not save:
        context.user_data.pop(FORM, None)
        return t(lg, "Discarded.")
    svc = services(context)
    actor = await actor_of(context, update)
    async with svc.uow() as uow:
        plan = await plan_admin.create_plan(uow, svc.ctx, actor, _draft(form))
    context.user_data.pop(FORM, None)
    await reply(
        update,
        t(lg, "Plan {key} saved. /plan {key} shows it; /visits lists the visits.", key=plan.key),
    )
    return t(lg, "Saved.")


_TEXT_STEPS = {
    "name": _name,
    "monthday": _monthday,
    "yearly": _yearly,
    "rrule": _rrule,
    "once": _once,
    "start": _start,
}
