"""Long polling that records updates in the inbox before Telegram is told we have them.

PTB's own Updater confirms a batch (by asking for the next offset) while its handlers may
still be running; a crash then loses the batch. Here the batch is committed to the inbox
first, and only then is the next offset asked for: if the database cannot take it (locked,
disk full), the offset stays where it was and Telegram hands the same batch out again on
the next try. Any failure backs off and polls again (``schedules.supervise``); a 409 means
another process is polling with the same token, which is said as such.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from telegram import Update
from telegram.error import Conflict, RetryAfter
from telegram.ext import Application

from bot.clock import Clock
from schedules import inbox
from schedules.supervise import Backoff
from schedules.watch import Watch
from storage.db import writing

log = logging.getLogger(__name__)

# Runs in the transaction that records a batch, with its senders' ids; returns the senders
# whose updates are kept but not acted on (blocked accounts).
OnBatch = Callable[[AsyncConnection, list[int]], Awaitable[set[int]]]


async def poll(
    app: Application[Any, Any, Any, Any, Any, Any],
    engine: AsyncEngine,
    clock: Clock,
    *,
    long_poll: int = 20,
    on_batch: OnBatch | None = None,
    watch: Watch | None = None,
) -> None:
    """Fetch, record, enqueue; runs until cancelled.

    ``on_batch`` runs in the transaction that records a batch, with its senders' ids.
    """
    offset: int | None = None
    # At most 10 s between tries: once Telegram is back, workers are heard within 10 s.
    backoff = Backoff("polling Telegram (getUpdates)", most=10.0)
    while True:
        try:
            offset = await _poll_once(app, engine, clock, offset, long_poll, on_batch, watch)
        except RetryAfter as exc:
            wait = exc.retry_after
            await asyncio.sleep(wait if isinstance(wait, int | float) else wait.total_seconds())
            continue
        except Conflict as exc:
            await asyncio.sleep(backoff.failed(exc, "another process is polling this bot"))
            continue
        except Exception as exc:  # the network, the database: never stop polling
            await asyncio.sleep(backoff.failed(exc))
            continue
        backoff.ok()


async def _poll_once(
    app: Application[Any, Any, Any, Any, Any, Any],
    engine: AsyncEngine,
    clock: Clock,
    offset: int | None,
    long_poll: int,
    on_batch: OnBatch | None,
    watch: Watch | None = None,
) -> int | None:
    """One long poll: fetch, record, enqueue; return the next offset to ask for."""
    updates = await app.bot.get_updates(
        offset=offset,
        timeout=long_poll,
        read_timeout=long_poll + 10,
        allowed_updates=Update.ALL_TYPES,
    )
    if watch is not None:
        watch.polled(len(updates), clock.now())
    if not updates:
        return offset
    async with writing(engine) as conn:
        fresh = set(await inbox.record(conn, [u.to_dict() for u in updates], clock.now()))
        senders = sorted({u.effective_user.id for u in updates if u.effective_user})
        ignored = await on_batch(conn, senders) if on_batch is not None and senders else set()
        kept_only = [u.update_id for u in updates if u.update_id in fresh and _from(u, ignored)]
        await inbox.mark_done(conn, kept_only)
    for update in updates:
        if update.update_id in fresh and update.update_id not in kept_only:
            await app.update_queue.put(update)
    return int(updates[-1].update_id) + 1


def _from(update: Update, senders: set[int]) -> bool:
    user = update.effective_user
    return user is not None and user.id in senders
