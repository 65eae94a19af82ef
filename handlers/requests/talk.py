"""Free messages: the /request form, or talk between a worker and whoever handles it."""

from __future__ import annotations

from telegram import Update

from bot.domain.authz import Actor
from bot.i18n import t
from bot.usecases.common import Refused
from bot.usecases.requests.relay import NoTarget, find_target, relay
from handlers.care_plans import plans, visits
from handlers.common import Context, actor_of, lang, media_of, reply, services
from handlers.requests import intake


async def on_message(update: Update, context: Context) -> None:
    message = update.effective_message
    assert message is not None
    if await plans.on_text(update, context) or await visits.on_step(update, context):
        return
    draft = intake.draft_for(context)
    if draft is not None:
        await intake.add_to_draft(update, context, draft)
        return
    svc = services(context)
    lg = lang(context)
    actor = await actor_of(context, update)
    reply_to = message.reply_to_message.message_id if message.reply_to_message else None
    text = message.text or message.caption or ""
    try:
        async with svc.uow() as uow:
            target = await find_target(uow, actor, reply_to)
            await relay(uow, svc.ctx, actor, target, text=text, media=media_of(message))
    except NoTarget:
        await reply(update, help_text(lg, actor))
    except Refused as refused:
        await reply(update, refused.text(lg))


async def on_edit(update: Update, context: Context) -> None:
    """An edited message is passed on as a new message; the original stays on the timeline."""
    message = update.edited_message
    if message is None or not (message.text or message.caption):
        return
    if (message.text or "").startswith("/"):
        return  # editing a command does not raise a second request
    svc = services(context)
    lg = lang(context)
    actor = await actor_of(context, update)
    reply_to = message.reply_to_message.message_id if message.reply_to_message else None
    text = t(lg, "(edited) {text}", text=message.text or message.caption or "")
    try:
        async with svc.uow() as uow:
            target = await find_target(uow, actor, reply_to)
            await relay(uow, svc.ctx, actor, target, text=text)
    except (NoTarget, Refused):
        return


def help_text(lg: str, actor: Actor) -> str:
    """What this person can do, by role."""
    parts = [
        t(
            lg,
            "Branch 110/120 help line.\n"
            "/120 what happened — medical emergency\n"
            "/110 what happened — trouble, accident, conflict\n"
            "/request — ask for a service (reimbursement, gear, insurance, …)\n"
            "/mine — your requests\n"
            "/status N — the whole story of request N\n"
            "/cancel N — withdraw request N\n"
            "/escalate N reason — push request N up one level now",
        )
    ]
    if actor.is_member:
        parts.append(
            t(
                lg,
                "As a member: press Take on an alert; reply to the request's messages to talk "
                "to the worker; /resolve N summary; /away 3d or /away 2026-12-05, /back.",
            )
        )
        parts.append(
            t(
                lg,
                "Care plans: /visits — the visits you are in (press Done, Postpone or Can't go "
                "on a reminder); /plan KEY — a plan's history; /duty — who is on duty.",
            )
        )
    if actor.registered and not actor.family:
        parts.append(
            t(lg, "/family NAME — register a family member: you get a link to forward to them.")
        )
    if actor.secretary_of or actor.committee:
        parts.append(
            t(
                lg,
                "As a secretary: /board — every request of the branch that is not closed, "
                "with Reassign, Escalate, Confirm for and Reopen buttons; "
                "/invite KEY — a one-time registration link; "
                "/invite member|worker KEY NAME — someone new to the branch; "
                "/handles KEY 120 110 … — what a member is alerted for; "
                "/away KEY 3d — mark a member away; /remove KEY reason; "
                "/confirm N reason — close on the worker's behalf.",
            )
        )
        parts.append(
            t(
                lg,
                "A flood: /cancelall N reason — cancel everything the sender of #N has "
                "open; /block N reason — block an account the roster does not know "
                "(committee); /unblock N.",
            )
        )
        parts.append(
            t(
                lg,
                "Plans of the branch: /newplan — a care plan, step by step; /pause KEY, "
                "/resume KEY, /endplan KEY reason; /duty mon li zhao [08:00-20:00] — who is "
                "on duty on a weekday (/duty mon - clears it).",
            )
        )
        parts.append(
            t(
                lg,
                "Figures: /report [period] — requests, times to take, resolve and close, "
                "escalations, satisfaction and visits, with charts; the period is this-month "
                "(default), last-month, 2026-11, 2026Q4 or 2026.",
            )
        )
    if actor.supervisor:
        parts.append(
            t(
                lg,
                "As a supervisor: /figures [quarter] — every branch's figures, anonymised: "
                "no names, no texts, nothing over fewer than 3 requests; for a quarter that "
                "has ended, such as 2026Q3 (the last one by default).",
            )
        )
    if actor.committee:
        parts.append(
            t(
                lg,
                "The yearly survey: /survey — the surveys and how many answered; /survey open "
                "KEY (after `helpline survey import FILE`), /survey close KEY — results to the "
                "committee, /survey publish KEY — results to everyone.",
            )
        )
    if not actor.registered:
        parts.append(
            t(
                lg,
                "You are not in the roster yet: /120 and /110 still reach the duty officers. "
                "Ask your branch secretary for an invite link to register.",
            )
        )
    return "\n\n".join(parts)
