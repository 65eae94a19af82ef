"""The outbox dispatcher: every message is a row first; this sends them.

In priority order (critical before high before normal before digests), within Telegram's
limits: PTB's AIORateLimiter keeps the overall ~30/s, and a limiter per chat on top of it
keeps ~1/s per private chat (AIORateLimiter does not limit private chats). One message at a
time per chat keeps a conversation in order. 429s and network errors are retried with
backoff; a send that timed out may have arrived, so it is re-sent marked as a repeat, never
blindly; 403 and "chat not found" make the row undeliverable and tell the escalation.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiolimiter import AsyncLimiter
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.clock import Clock
from bot.i18n import t
from schedules.telegram_calls import EDITS, call
from storage.db import reading, writing
from storage.tables import outbox, outbox_media

log = logging.getLogger(__name__)

UNDELIVERABLE_400 = ("chat not found", "user not found", "peer_id_invalid")


@dataclass(frozen=True)
class Row:
    id: int
    chat_id: int
    method: str
    payload: dict[str, Any]
    purpose: str
    request_id: int | None
    recipient_id: int | None
    ref_id: int | None
    attempts: int
    level: int | None = None


Undeliverable = Callable[[Row, str], Awaitable[None]]


class ChatLimiters:
    """A leaky bucket per chat: short bursts, then about one message a second."""

    def __init__(self, burst: int = 3, period: float = 3.0) -> None:
        self._burst, self._period = burst, period
        self._limiters: dict[int, AsyncLimiter] = {}

    def get(self, chat_id: int) -> AsyncLimiter:
        limiter = self._limiters.get(chat_id)
        if limiter is None:
            limiter = self._limiters[chat_id] = AsyncLimiter(self._burst, self._period)
        return limiter


class Dispatcher:
    def __init__(
        self,
        engine: AsyncEngine,
        bot: Bot,
        clock: Clock,
        *,
        lang: str,
        on_undeliverable: Undeliverable,
        concurrency: int = 8,
        batch: int = 200,
        chat_limiters: ChatLimiters | None = None,
    ) -> None:
        self._engine, self._bot, self._clock, self._lang = engine, bot, clock, lang
        self._on_undeliverable = on_undeliverable
        self._slots = asyncio.Semaphore(concurrency)
        self._concurrency = concurrency
        self._batch = batch
        self._limiters = chat_limiters or ChatLimiters()
        self._busy: set[int] = set()
        # Outcomes of finished sends, written by the next round in its own transaction:
        # one write per round instead of one per message.
        self._results: dict[int, dict[str, Any]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._stopping = False
        self.idle = asyncio.Event()  # set whenever nothing is due and nothing is in flight

    def wake(self) -> None:
        self._wake.set()

    async def recover(self) -> int:
        """After a crash, rows caught mid-send may or may not have arrived: send again, marked."""
        async with writing(self._engine) as conn:
            rows = (await conn.execute(select(outbox).where(outbox.c.status == "sending"))).all()
            for r in rows:
                payload = self._as_repeat(r.method, r.payload)
                await conn.execute(
                    update(outbox)
                    .where(outbox.c.id == r.id)
                    .values(status="pending", payload=payload)
                )
        return len(rows)

    async def run(self) -> None:
        """Send until stopped; sleeps until poked or until the next row's not_before."""
        while not self._stopping:
            self._wake.clear()
            launched, next_at = await self._launch_due()
            if not launched and not self._tasks and not self._results:
                self.idle.set()
            timeout = 5.0
            if next_at is not None:
                timeout = max(0.01, min(timeout, (next_at - self._clock.now()).total_seconds()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._results:
            async with writing(self._engine) as conn:
                await self._write_results(conn)

    async def _launch_due(self) -> tuple[int, datetime | None]:
        now = self._clock.now()
        async with reading(self._engine) as conn:
            rows = (
                await conn.execute(
                    select(outbox)
                    .where(outbox.c.status == "pending", outbox.c.not_before <= now)
                    .order_by(outbox.c.priority, outbox.c.id)
                    .limit(self._batch)
                )
            ).all()
            next_at = await conn.scalar(
                select(func.min(outbox.c.not_before)).where(
                    outbox.c.status == "pending", outbox.c.not_before > now
                )
            )
        chosen: list[Row] = []
        held: set[int] = set()  # chats with an earlier row left waiting: keep their order
        for r in rows:
            chat = r.chat_id
            if chat in self._busy or chat in held:
                held.add(chat)
                continue
            if not self._limiters.get(chat).has_capacity():
                held.add(chat)
                soon = now + timedelta(seconds=0.3)
                next_at = soon if next_at is None else min(next_at, soon)
                continue
            if len(chosen) >= self._concurrency - len(self._tasks):
                break
            held.add(chat)  # one row per chat per round
            chosen.append(
                Row(
                    r.id,
                    chat,
                    r.method,
                    dict(r.payload),
                    r.purpose,
                    r.request_id,
                    r.recipient_id,
                    r.ref_id,
                    r.attempts,
                    r.level,
                )
            )
        claimed: set[int] = set()
        if chosen or self._results:
            async with writing(self._engine) as conn:
                await self._write_results(conn)
                if chosen:
                    claimed = await self._claim(conn, [row.id for row in chosen])
        for row in chosen:
            if row.id not in claimed:
                continue  # cancelled meanwhile (e.g. taken), or another dispatcher has it
            await self._slots.acquire()
            self._busy.add(row.chat_id)
            self.idle.clear()
            task = asyncio.create_task(self._deliver(row))
            self._tasks.add(task)
            task.add_done_callback(self._done)
        return len(claimed), next_at

    @staticmethod
    async def _claim(conn: AsyncConnection, ids: list[int]) -> set[int]:
        """Mark a round's rows 'sending' in one transaction, before any of them is sent: a
        crash from here on leaves them 'sending', which ``recover`` re-sends as repeats."""
        rows = await conn.execute(
            update(outbox)
            .where(outbox.c.id.in_(ids), outbox.c.status == "pending")
            .values(status="sending", attempts=outbox.c.attempts + 1)
            .returning(outbox.c.id)
        )
        return {int(r.id) for r in rows}

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._wake.set()

    async def _deliver(self, row: Row) -> None:
        try:
            await self._deliver_row(row)
        except Exception:  # never let one row stop the dispatcher
            log.exception("outbox row %s failed unexpectedly", row.id)
            self._set(row.id, status="pending", not_before=self._later(row.attempts + 1))
        finally:
            self._busy.discard(row.chat_id)
            self._slots.release()

    def _set(self, row_id: int, **values: Any) -> None:
        """Note a row's outcome; the next round writes all outcomes in its transaction."""
        self._results.setdefault(row_id, {}).update(values)

    async def _write_results(self, conn: AsyncConnection) -> None:
        results, self._results = self._results, {}
        for row_id, values in results.items():
            await conn.execute(update(outbox).where(outbox.c.id == row_id).values(**values))

    def _later(self, attempts: int) -> datetime:
        return self._clock.now() + timedelta(seconds=min(2 ** max(attempts - 1, 0), 60))

    async def _deliver_row(self, row: Row) -> None:
        payload = dict(row.payload)
        if row.ref_id is not None:
            message_id = await self._edited_message(row)
            if message_id is None:
                return
            payload["message_id"] = message_id
        media = payload.get("media")
        if media is not None:
            payload.update(await self._media(int(media)))
        await self._limiters.get(row.chat_id).acquire()
        payload.pop("repeat", None)
        try:
            sent = await call(self._bot, row.method, row.chat_id, payload)
        except RetryAfter as exc:
            wait = exc.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            self._set(
                row.id,
                status="pending",
                not_before=self._clock.now() + timedelta(seconds=seconds),
                error=f"429 retry after {seconds}",
            )
            return
        except TimedOut:
            await self._timed_out(row)
            return
        except Forbidden as exc:
            await self._undeliverable(row, f"403 {exc.message}")
            return
        except BadRequest as exc:
            text = exc.message.lower()
            if "message is not modified" in text:
                self._set(row.id, status="sent", sent_at=self._clock.now())
            elif any(marker in text for marker in UNDELIVERABLE_400):
                await self._undeliverable(row, f"400 {exc.message}")
            else:
                log.error("outbox row %s refused: %s", row.id, exc.message)
                self._set(row.id, status="failed", error=f"400 {exc.message}"[:300])
            return
        except NetworkError as exc:
            self._set(
                row.id,
                status="pending",
                not_before=self._later(row.attempts + 1),
                error=str(exc)[:300],
            )
            return
        if media is not None and sent.file_id is not None and "photo" not in payload:
            async with writing(self._engine) as conn:  # once per picture: the rest reuse it
                await conn.execute(
                    update(outbox_media)
                    .where(outbox_media.c.id == int(media), outbox_media.c.file_id.is_(None))
                    .values(file_id=sent.file_id)
                )
        self._set(row.id, status="sent", sent_at=self._clock.now(), message_id=sent.message_id)

    async def _media(self, media_id: int) -> dict[str, Any]:
        """A stored picture for a photo row: its file_id once uploaded, else its bytes."""
        async with reading(self._engine) as conn:
            row = (
                await conn.execute(
                    select(outbox_media.c.file_id, outbox_media.c.png).where(
                        outbox_media.c.id == media_id
                    )
                )
            ).one()
        return {"photo": row.file_id} if row.file_id else {"png": bytes(row.png)}

    async def _edited_message(self, row: Row) -> int | None:
        """The message an edit applies to, once its own send is done; else None, and the
        edit waits (its message is still on the way) or is dropped (it never arrived)."""
        assert row.ref_id is not None
        noted = self._results.get(row.ref_id, {})
        if noted.get("status") == "sent" and noted.get("message_id") is not None:
            return int(noted["message_id"])
        async with reading(self._engine) as conn:
            ref = (
                await conn.execute(
                    select(outbox.c.status, outbox.c.message_id).where(outbox.c.id == row.ref_id)
                )
            ).one()
        if ref.status in ("pending", "sending"):
            self._set(
                row.id,
                status="pending",
                attempts=row.attempts,
                not_before=self._clock.now() + timedelta(seconds=0.5),
            )
            return None
        if ref.status != "sent" or ref.message_id is None:
            self._set(row.id, status="cancelled")
            return None
        return int(ref.message_id)

    def _as_repeat(self, method: str, original: dict[str, Any]) -> dict[str, Any]:
        """A send that may have arrived goes again marked "(repeat)" (its text, or a photo's
        caption); an edit is safe to repeat as it is."""
        payload = dict(original)
        if method in EDITS or payload.get("repeat"):
            return payload
        for field in ("text", "caption"):
            if field in payload or (field == "caption" and method == "sendPhoto"):
                payload[field] = t(self._lang, "(repeat) ") + str(payload.get(field) or "")
                payload["repeat"] = True
                break
        return payload

    async def _timed_out(self, row: Row) -> None:
        """It may have arrived: edits are safe to repeat; a send goes again marked as a repeat."""
        payload = self._as_repeat(row.method, row.payload)
        self._set(
            row.id,
            status="pending",
            payload=payload,
            not_before=self._later(row.attempts + 1),
            error="timed out",
        )

    async def _undeliverable(self, row: Row, reason: str) -> None:
        # Written at once: the escalation that follows reads which alerts are still alive.
        self._set(row.id, status="failed", error=reason[:300])
        async with writing(self._engine) as conn:
            await self._write_results(conn)
        await self._on_undeliverable(row, reason)
