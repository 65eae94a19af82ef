"""The last line: log the failure once, never show a traceback to a user.

Telling the sender and trying the update again is the inbox's job (``schedules.updates``): it
knows whether the update's effect was stored and how many tries it has had.
"""

from __future__ import annotations

import logging

from handlers.common import Context

log = logging.getLogger(__name__)


async def on_error(update: object, context: Context) -> None:
    error = context.error
    update_id = getattr(update, "update_id", None)
    log.error("update %s failed: %s: %s", update_id, type(error).__name__, error, exc_info=error)
