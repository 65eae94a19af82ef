"""The last line: log the failure, tell the user plainly, never show a traceback."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot.i18n import t
from handlers.common import Context, lang

log = logging.getLogger(__name__)


async def on_error(update: object, context: Context) -> None:
    log.error("update failed", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    try:
        await update.effective_chat.send_message(
            t(
                lang(context),
                "Sorry, something went wrong on our side. What you sent is saved; "
                "for an emergency send /120 again.",
            )
        )
    except TelegramError:
        log.warning("could not tell the user about the failure")
