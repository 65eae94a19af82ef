"""/report and /figures: the figures as a short text, then the charts as photos."""

from __future__ import annotations

from telegram import Update

from bot.usecases.common import Refused
from bot.usecases.figures import reports
from bot.usecases.figures.reports import ReportView, Work
from handlers.common import Context, actor_of, command_text, lang, reply, services


async def _answer(update: Update, context: Context, work: Work) -> None:
    svc = services(context)
    actor = await actor_of(context, update)
    message = update.effective_message
    written = command_text(message) if message is not None else ""
    try:
        view: ReportView = await work(svc.engine, svc.ctx, actor, written, svc.clock.now())
    except Refused as refused:
        await reply(update, refused.text(lang(context)))
        return
    await reply(update, view.text, photos=[(c.png, c.caption) for c in view.charts])


async def report(update: Update, context: Context) -> None:
    """/report [period] — a secretary's branch, or every branch for the committee."""
    await _answer(update, context, reports.report)


async def figures(update: Update, context: Context) -> None:
    """/figures [period] — every branch, anonymised (supervisors and the committee)."""
    await _answer(update, context, reports.figures)
