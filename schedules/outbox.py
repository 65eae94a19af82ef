"""The outbox dispatcher: every message is a row first; this sends them.

In priority order (critical before high before normal before digests), within Telegram's
limits: PTB's AIORateLimiter keeps the overall ~30/s, and a limiter per chat on top of it
keeps ~1/s per private chat (AIORateLimiter does not limit private chats). One message at a
time per chat keeps a conversation in order, and a chat whose message was put off (a 429,
a network error) gets nothing else until that one went. A row is claimed ('sending') only
once it is ready to go, so "sending" means "may have reached Telegram": those alone are
re-sent after a crash or a lost answer, once, marked as a repeat; a connection that was
never made is retried as it is. 403 and "chat not found" make the row undeliverable and
tell the escalation.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from aiolimiter import AsyncLimiter
from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.clock import Clock
from bot.domain.purposes import Purpose
from bot.i18n import t
from bot.texts.bundle_render import bundle_message
from schedules.supervise import Backoff
from schedules.telegram_calls import EDITS, call
from storage import bundles
from storage.db import reading, writing
from storage.tables import outbox, outbox_media, people, requests

log = logging.getLogger(__name__)

UNDELIVERABLE_400 = ("chat not found", "user not found", "peer_id_invalid")
# Failures that prove the request never left: no connection was made.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


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


def _row(r: Any) -> Row:
    return Row(
        r.id,
        r.chat_id,
        r.method,
        dict(r.payload),
        r.purpose,
        r.request_id,
        r.recipient_id,
        r.ref_id,
        r.attempts,
        r.level,
    )


LEFT_THE_ROSTER = "not sent: the recipient left the roster"
# How many of the most urgent due rows requesters take turns among: enough for every
# first alert of a crane falling, few enough that a backlog of 100,000 costs nothing.
FAIR_WINDOW = 2000


def _due_in_turns(now: datetime, limit: int) -> Select[Any]:
    """Due rows, most urgent first and, within one priority, requesters in turn: one
    worker's hundred messages cannot stand in front of another worker's first one.
    A requester's own messages keep their order (turns follow the row id)."""
    who = func.coalesce(requests.c.requester_chat_id, outbox.c.chat_id)
    due = (
        select(outbox.c.id, outbox.c.priority, who.label("who"))
        .select_from(outbox.outerjoin(requests, requests.c.id == outbox.c.request_id))
        .where(outbox.c.status == "pending", outbox.c.not_before <= now)
        .order_by(outbox.c.priority, outbox.c.id)
        .limit(FAIR_WINDOW)
        .subquery()
    )
    turn = func.row_number().over(partition_by=(due.c.priority, due.c.who), order_by=due.c.id)
    ranked = select(due.c.id, due.c.who, turn.label("turn")).subquery()
    return (
        select(outbox, ranked.c.who, ranked.c.turn)
        .join(ranked, ranked.c.id == outbox.c.id)
        .order_by(outbox.c.priority, ranked.c.turn, outbox.c.id)
        .limit(limit)
    )


Undeliverable = Callable[[Row, str], Awaitable[None]]


# How soon a round looks again at a chat that must wait for its pace: its next slot is
# missed by at most this much. The look is a read, no write lock; it happens only while
# some chat is being paced (a flood), and in a flood it is the slot that carries a bundle.
PACED_LOOK = timedelta(seconds=0.1)


class ChatLimiters:
    """A leaky bucket per chat: short bursts, then about one message a second; a group
    (negative id) 20 a minute. Telegram's numbers (Bot FAQ), sends and edits alike."""

    def __init__(self, burst: int = 3, period: float = 3.3) -> None:
        # 3 at once, then one each 1.1 s: a tenth under Telegram's one a second, so a
        # send delayed on its way (a busy loop, the network) does not make the next one
        # arrive too soon.
        self._burst, self._period = burst, period
        self._limiters: dict[int, AsyncLimiter] = {}

    def get(self, chat_id: int) -> AsyncLimiter:
        limiter = self._limiters.get(chat_id)
        if limiter is None:
            rate = (20, 60.0) if chat_id < 0 else (self._burst, self._period)
            limiter = self._limiters[chat_id] = AsyncLimiter(*rate)
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
        self._served: dict[int, int] = {}  # requester (or chat) -> messages launched
        self._limiters = chat_limiters or ChatLimiters()
        self._busy: set[int] = set()
        # Outcomes of finished sends, written by the next round in its own transaction:
        # one write per round instead of one per message.
        self._results: dict[int, dict[str, Any]] = {}
        self._result_chats: dict[int, int] = {}  # row -> its chat, for rows in _results
        self._tasks: set[asyncio.Task[None]] = set()
        self._bundle_ids: set[int] = set()  # bundles on the way: their members follow them
        self._wake = asyncio.Event()
        self._stopping = False
        self._stopped = asyncio.Event()
        self.idle = asyncio.Event()  # set whenever nothing is due and nothing is in flight

    def wake(self) -> None:
        self._wake.set()

    async def recover(self) -> int:
        """After a crash, rows left 'sending' were handed to Telegram (they are claimed
        only when ready to go) and may or may not have arrived: a send goes again once,
        marked as a repeat; one that was already a repeat is not sent a third time; an
        edit is safe to repeat as it is. Return how many go again."""
        again = 0
        async with writing(self._engine) as conn:
            rows = (await conn.execute(select(outbox).where(outbox.c.status == "sending"))).all()
            for r in rows:
                values: dict[str, Any] = {"status": "pending"}
                if r.method not in EDITS and r.payload.get("repeat"):
                    values = {"status": "failed", "error": "cut off twice; may have arrived"}
                else:
                    values["payload"] = self._as_repeat(r.method, r.payload)
                    again += 1
                await conn.execute(update(outbox).where(outbox.c.id == r.id).values(**values))
        return again

    async def run(self) -> None:
        """Send until stopped; sleeps until poked or until the next row's not_before.

        A round that fails (the database locked or full) is retried with backoff; the
        outcomes it held are kept for the next round, so nothing sent is forgotten."""
        backoff = Backoff("the outbox dispatcher")
        while not self._stopping:
            self._wake.clear()
            try:
                launched, next_at, paced = await self._launch_due()
            except Exception as exc:
                delay = backoff.failed(exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopped.wait(), delay)
                continue
            backoff.ok()
            if not launched and not paced and not self._tasks and not self._results:
                self.idle.set()
            timeout = 5.0
            if next_at is not None:
                timeout = max(0.01, min(timeout, (next_at - self._clock.now()).total_seconds()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    async def stop(self) -> None:
        self._stopping = True
        self._stopped.set()
        self._wake.set()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._results:
            try:
                async with writing(self._engine) as conn:
                    self._forget(await self._write_results(conn))
            except Exception:  # left 'sending': the next start re-sends them as repeats
                log.exception("could not record the last sends before stopping")

    async def _launch_due(self) -> tuple[int, datetime | None, bool]:
        """Start what can go now; return how many started, when to look again, and
        whether something due waits only for its chat's pace (so the outbox is not idle)."""
        now = self._clock.now()
        paced = False
        async with reading(self._engine) as conn:
            rows = (await conn.execute(_due_in_turns(now, self._batch))).all()
            if not rows:
                self._served.clear()  # a quiet outbox: everyone starts even again
            # Turns count what each requester was already served since the outbox was
            # last quiet, so a flood's next message does not tie with a newcomer's first.
            rows.sort(key=lambda r: (r.priority, self._served.get(r.who, 0) + r.turn, r.id))
            next_at = await conn.scalar(
                select(func.min(outbox.c.not_before)).where(
                    outbox.c.status == "pending", outbox.c.not_before > now
                )
            )
            # A chat whose earlier message was put off (a 429, a network error) waits
            # for it: per chat, messages leave in the order they were written.
            held = set(
                await conn.scalars(
                    select(outbox.c.chat_id)
                    .where(
                        outbox.c.status == "pending",
                        outbox.c.attempts > 0,
                        outbox.c.not_before > now,
                    )
                    .distinct()
                )
            )
            gone = await self._recipients_gone(conn, rows)
        held |= self._deferred_chats()
        chosen: list[tuple[Row, dict[str, Any]]] = []
        bundling: list[Row] = []  # a chat's first due alert, its others behind it
        waiting = Counter(
            r.chat_id
            for r in rows
            if r.id not in gone and bundles.bundleable(r.method, r.purpose, r.payload)
        )
        for r in rows:
            chat = r.chat_id
            if r.id in gone:
                self._set(_row(r), status="failed", error=LEFT_THE_ROSTER)
                continue
            if chat in self._busy or chat in held:
                held.add(chat)
                continue
            limiter = self._limiters.get(chat)
            if not limiter.has_capacity():
                held.add(chat)
                paced = True
                soon = now + PACED_LOOK
                next_at = soon if next_at is None else min(next_at, soon)
                continue
            if len(chosen) + len(bundling) >= self._concurrency - len(self._tasks):
                break
            held.add(chat)  # one row per chat per round
            row = _row(r)
            self._served[r.who] = self._served.get(r.who, 0) + 1
            if waiting[chat] >= 2 and not limiter.has_capacity(2) and r.purpose == Purpose.ALERT:
                # This slot is the chat's last for a while: every alert waiting for it
                # leaves in it, as one bundle, rather than one a second.
                bundling.append(row)
                continue
            payload = await self._prepare(row)
            if payload is not None:
                chosen.append((row, payload))
        claimed: set[int] = set()
        if chosen or bundling or self._results:
            async with writing(self._engine) as conn:
                written = await self._write_results(conn)
                for first in bundling:
                    bundled = await self._bundle(conn, first, now)
                    chosen.append(bundled)
                    if bundled[0].purpose == Purpose.BUNDLE:
                        claimed.add(bundled[0].id)  # claimed as it was made
                if chosen:
                    claimed |= await self._claim(conn, [row.id for row, _ in chosen])
            self._forget(written)
        for row, payload in chosen:
            if row.id not in claimed:
                continue  # cancelled meanwhile (e.g. taken), or another dispatcher has it
            await self._slots.acquire()
            self._busy.add(row.chat_id)
            self.idle.clear()
            task = asyncio.create_task(self._deliver(row, payload))
            self._tasks.add(task)
            task.add_done_callback(self._done)
        return len(claimed), next_at, paced

    async def _bundle(
        self, conn: AsyncConnection, first: Row, now: datetime
    ) -> tuple[Row, dict[str, Any]]:
        """The chat's waiting alerts as one bundle row (``storage/bundles.py``); the first
        alone if the others went meanwhile."""
        bundle_id = await bundles.form(conn, first.chat_id, now, recipient_id=first.recipient_id)
        if bundle_id is None:
            payload = dict(first.payload)
            payload.pop("repeat", None)
            return first, payload
        carried = {"bundle": bundle_id, "page": 0}
        row = Row(
            bundle_id, first.chat_id, "sendMessage", carried, Purpose.BUNDLE, None, None, None, 1
        )
        entries = await bundles.entries(conn, bundle_id)
        return row, bundle_message(self._lang, bundle_id, entries, 0)

    async def _drawn(self, row: Row, payload: dict[str, Any]) -> dict[str, Any]:
        """A bundle (re)sent or edited: drawn from its members as they are now."""
        bundle_id = int(payload["bundle"])
        async with reading(self._engine) as conn:
            found = await bundles.bundle_row(conn, bundle_id)
            entries = await bundles.entries(conn, bundle_id)
        page = int(found.payload.get("page", 0)) if found is not None else 0
        drawn = bundle_message(
            self._lang, bundle_id, entries, page, repeat=bool(row.payload.get("repeat"))
        )
        if "message_id" in payload:
            drawn["message_id"] = payload["message_id"]
        return drawn

    @staticmethod
    async def _claim(conn: AsyncConnection, ids: list[int]) -> set[int]:
        """Mark a round's rows 'sending' in one transaction, when each is ready to go (its
        payload built, its chat's room checked): the sends start as soon as this commits,
        so 'sending' means "may have reached Telegram" and ``recover`` repeats only those."""
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

    async def _deliver(self, row: Row, payload: dict[str, Any]) -> None:
        try:
            # The chat's slot is taken as the request leaves, not when the row was chosen:
            # a wait for the write lock in between (a burst of raises) must not bring two
            # messages to one chat closer together than Telegram allows. It had room when
            # the row was chosen, and nothing else for this chat went since: no wait.
            await self._limiters.get(row.chat_id).acquire()
            await self._send(row, payload)
        except Exception:  # never let one row stop the dispatcher
            log.exception("outbox row %s failed unexpectedly", row.id)
            self._set(row, status="pending", not_before=self._later(row.attempts + 1))
        finally:
            self._busy.discard(row.chat_id)
            self._slots.release()

    def _set(self, row: Row, **values: Any) -> None:
        """Note a row's outcome; the next round writes all outcomes in its transaction."""
        if row.purpose == Purpose.BUNDLE:  # its alerts share its outcome when it is written
            self._bundle_ids.add(row.id)
        self._results.setdefault(row.id, {}).update(values)
        self._result_chats[row.id] = row.chat_id

    def _deferred_chats(self) -> set[int]:
        """Chats with a message put off by an outcome not yet written."""
        return {
            self._result_chats[row_id]
            for row_id, values in self._results.items()
            if values.get("status") == "pending" and row_id in self._result_chats
        }

    async def _write_results(self, conn: AsyncConnection) -> dict[int, dict[str, Any]]:
        """Write the outcomes noted so far in the caller's transaction; return what was
        written, to be forgotten once it commits (if it does not, they are kept)."""
        written = {row_id: dict(values) for row_id, values in self._results.items()}
        for row_id, values in written.items():
            await conn.execute(update(outbox).where(outbox.c.id == row_id).values(**values))
            if row_id in self._bundle_ids and values.get("status") in ("sent", "failed"):
                outcome = {k: v for k, v in values.items() if k in ("status", "sent_at", "error")}
                await bundles.settle_members(conn, row_id, **outcome)
        return written

    def _forget(self, written: dict[int, dict[str, Any]]) -> None:
        for row_id, values in written.items():
            if self._results.get(row_id) == values:  # unchanged since it was written
                del self._results[row_id]
                self._result_chats.pop(row_id, None)
                if values.get("status") in ("sent", "failed"):
                    self._bundle_ids.discard(row_id)

    def _later(self, attempts: int) -> datetime:
        """1, 2, 4, 8, then every 10 s: a failed try costs one request, and an alert must
        leave within seconds of Telegram coming back, not a minute later."""
        return self._clock.now() + timedelta(seconds=min(2 ** max(attempts - 1, 0), 10))

    @staticmethod
    async def _recipients_gone(conn: AsyncConnection, rows: Sequence[Any]) -> set[int]:
        """Rows whose recipient left the roster since they were queued: checked when
        they are due, so nothing of a request reaches someone removed meanwhile (a
        worker still hears about their own request)."""
        ids = [r.id for r in rows if r.recipient_id is not None]
        if not ids:
            return set()
        found: Any = await conn.scalars(
            select(outbox.c.id)
            .join(people, people.c.id == outbox.c.recipient_id)
            .outerjoin(requests, requests.c.id == outbox.c.request_id)
            .where(outbox.c.id.in_(ids), people.c.active.is_(False))
            .where(
                or_(
                    requests.c.requester_id.is_(None),
                    requests.c.requester_id != outbox.c.recipient_id,
                )
            )
        )
        return {int(i) for i in found}

    async def _prepare(self, row: Row) -> dict[str, Any] | None:
        """The call's parameters, built before the row is claimed, so that nothing but
        the network lies between "claimed" and "handed to Telegram"; None when the row
        cannot go yet (an edit whose message is still on the way) or at all."""
        payload = dict(row.payload)
        payload.pop("repeat", None)
        if row.ref_id is not None:
            message_id = await self._edited_message(row)
            if message_id is None:
                return None
            payload["message_id"] = message_id
        media = payload.get("media")
        if media is not None:
            payload.update(await self._media(int(media)))
        if "bundle" in payload:
            return await self._drawn(row, payload)
        return payload

    async def _send(self, row: Row, payload: dict[str, Any]) -> None:
        try:
            sent = await call(self._bot, row.method, row.chat_id, payload)
        except RetryAfter as exc:
            wait = exc.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            log.warning("outbox row %s: Telegram asked to wait %.0f s (429)", row.id, seconds)
            self._set(
                row,
                status="pending",
                not_before=self._clock.now() + timedelta(seconds=seconds),
                error=f"429 retry after {seconds}",
            )
            return
        except Forbidden as exc:
            await self._undeliverable(row, f"403 {exc.message}")
            return
        except BadRequest as exc:
            text = exc.message.lower()
            if "message is not modified" in text:
                self._set(row, status="sent", sent_at=self._clock.now())
            elif any(marker in text for marker in UNDELIVERABLE_400):
                await self._undeliverable(row, f"400 {exc.message}")
            else:
                log.error("outbox row %s refused: %s", row.id, exc.message)
                self._set(row, status="failed", error=f"400 {exc.message}"[:300])
            return
        except NetworkError as exc:  # after BadRequest, its subclass; TimedOut included
            self._no_answer(row, exc)
            return
        media = payload.get("media")
        if media is not None and sent.file_id is not None and "photo" not in row.payload:
            async with writing(self._engine) as conn:  # once per picture: the rest reuse it
                await conn.execute(
                    update(outbox_media)
                    .where(outbox_media.c.id == int(media), outbox_media.c.file_id.is_(None))
                    .values(file_id=sent.file_id)
                )
        self._set(row, status="sent", sent_at=self._clock.now(), message_id=sent.message_id)

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
            self._set(row, status="pending", not_before=self._clock.now() + timedelta(seconds=0.5))
            return None
        if ref.status != "sent" or ref.message_id is None:
            self._set(row, status="cancelled")
            return None
        return int(ref.message_id)

    def _as_repeat(self, method: str, original: dict[str, Any]) -> dict[str, Any]:
        """A send that may have arrived goes again marked "(repeat)" (its text, or a photo's
        caption); an edit is safe to repeat as it is."""
        payload = dict(original)
        if method in EDITS or payload.get("repeat"):
            return payload
        if "bundle" in payload:  # drawn when it leaves: the drawing says it
            payload["repeat"] = True
            return payload
        for field in ("text", "caption"):
            if field in payload or (field == "caption" and method == "sendPhoto"):
                payload[field] = t(self._lang, "(repeat) ") + str(payload.get(field) or "")
                payload["repeat"] = True
                break
        return payload

    def _no_answer(self, row: Row, exc: NetworkError) -> None:
        """No good answer came back. If no connection was made, or Telegram answered with
        an error (a 5xx), nothing was sent: try again as it is. Otherwise (a read timeout,
        a reset) it may have arrived: an edit is safe to repeat; a send goes again once,
        marked as a repeat, and a repeat that meets the same fate is not sent a third
        time (the escalation goes on regardless)."""
        error = str(exc)[:300] or type(exc).__name__
        cause = exc.__cause__
        # Cut off after the request left (a read timeout, a reset) - unlike an error answer
        # from Telegram (a 5xx: no httpx error behind it) or a connection never made.
        cut_off = isinstance(exc, TimedOut) or isinstance(cause, httpx.HTTPError)
        if not cut_off or isinstance(cause, NOT_SENT):
            self._set(
                row,
                status="pending",
                payload=row.payload,
                not_before=self._later(row.attempts + 1),
                error=error,
            )
            return
        if row.method not in EDITS and row.payload.get("repeat"):
            self._set(row, status="failed", error=f"{error}; twice; may have arrived"[:300])
            return
        self._set(
            row,
            status="pending",
            payload=self._as_repeat(row.method, row.payload),
            not_before=self._later(row.attempts + 1),
            error=error,
        )

    async def _undeliverable(self, row: Row, reason: str) -> None:
        # Written at once: the escalation that follows reads which alerts are still alive.
        self._set(row, status="failed", error=reason[:300])
        carried: list[Row] = []
        async with writing(self._engine) as conn:
            if row.purpose == Purpose.BUNDLE:  # each alert it carried failed with it
                carried = [_row(m) for m in await bundles.members(conn, row.id)]
            written = await self._write_results(conn)
        self._forget(written)
        for each in carried or [row]:
            await self._on_undeliverable(each, reason)
