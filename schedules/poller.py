"""Long polling that records updates in the inbox before Telegram is told we have them.

PTB's own Updater confirms a batch (by asking for the next offset) while its handlers may
still be running; a crash then loses the batch. Here the batch is committed to the inbox
first, and only then is the next offset asked for.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Update
from telegram.error import NetworkError, RetryAfter, TimedOut
from telegram.ext import Application

from bot.clock import Clock
from schedules import inbox

log = logging.getLogger(__name__)


async def poll(
    app: Application[Any, Any, Any, Any, Any, Any],
    engine: AsyncEngine,
    clock: Clock,
    *,
    long_poll: int = 20,
) -> None:
    """Fetch, record, enqueue; runs until cancelled."""
    offset: int | None = None
    backoff = 0.5
    while True:
        try:
            updates = await app.bot.get_updates(
                offset=offset,
                timeout=long_poll,
                read_timeout=long_poll + 10,
                allowed_updates=Update.ALL_TYPES,
            )
        except RetryAfter as exc:
            wait = exc.retry_after
            await asyncio.sleep(wait if isinstance(wait, int | float) else wait.total_seconds())
            continue
        except (TimedOut, NetworkError) as exc:
            log.warning("getUpdates failed: %s; retrying in %.1fs", exc, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 30.0)
            continue
        backoff = 0.5
        if not updates:
            continue
        fresh = set(await inbox.record(engine, [u.to_dict() for u in updates], clock.now()))
        for update in updates:
            if update.update_id in fresh:
                await app.update_queue.put(update)
        offset = updates[-1].update_id + 1
