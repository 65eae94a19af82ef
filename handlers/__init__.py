"""Telegram in and out. ``register`` wires every handler in one place."""

from __future__ import annotations

from typing import Any

from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from handlers import buttons
from handlers.care_plans import plans, visits
from handlers.desk import desk
from handlers.errors import on_error
from handlers.escalation import oversight
from handlers.figures import reports
from handlers.requests import intake, senders, talk, views
from handlers.surveys import surveys


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    # Only new messages: an edited "/120 ..." must not raise a second request.
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    commands = [
        ("120", intake.emergency),
        ("110", intake.trouble),
        ("request", intake.request_start),
        ("cancel", intake.cancel),
        ("start", views.start),
        ("help", views.help_),
        ("mine", views.mine),
        ("status", views.status),
        ("resolve", views.resolve),
        ("invite", views.invite),
        ("escalate", oversight.escalate),
        ("confirm", oversight.confirm_for),
        ("away", oversight.away),
        ("back", oversight.back),
        ("board", desk.show_board),
        ("handles", desk.handles),
        ("remove", desk.remove),
        ("cancelall", senders.cancel_all),
        ("block", senders.block),
        ("unblock", senders.unblock),
        ("family", desk.family),
        ("newplan", plans.start),
        ("visits", visits.show_visits),
        ("plan", visits.show_plan),
        ("pause", visits.pause),
        ("resume", visits.resume),
        ("endplan", visits.end),
        ("duty", visits.duty),
        ("report", reports.report),
        ("figures", reports.figures),
        ("survey", surveys.command),
    ]
    for name, callback in commands:
        app.add_handler(CommandHandler(name, callback, filters=private))
    app.add_handler(CallbackQueryHandler(buttons.on_button))
    edited = filters.ChatType.PRIVATE & filters.UpdateType.EDITED_MESSAGE
    app.add_handler(MessageHandler(edited, talk.on_edit))
    app.add_handler(MessageHandler(private & filters.COMMAND, views.help_))
    app.add_handler(MessageHandler(private, talk.on_message))
    app.add_error_handler(on_error)
