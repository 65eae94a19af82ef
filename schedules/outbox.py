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
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.clock import Clock
from bot.domain.purposes import Purpose
from bot.texts.bundle_render import bundle_message
from schedules.outcomes import Outcomes
from schedules.pace import PACED_LOOK, ChatLimiters
from schedules.supervise import Backoff
from schedules.telegram_calls import EDITS, NOT_SENT, UNDELIVERABLE_400, as_repeat, call
from schedules.watch import OUTBOX, Watch
from storage import bundles, outbox_queue
from storage.db import reading, writing
from storage.outbox_queue import Row, row_of

log = logging.getLogger(__name__)

LEFT_THE_ROSTER = "not sent: the recipient left the roster"
Undeliverable = Callable[[Row, str], Awaitable[None]]


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
        watch: Watch | None = None,
    ) -> None:
        self._engine, self._bot, self._clock, self._lang = engine, bot, clock, lang
        self._on_undeliverable = on_undeliverable
        self._slots = asyncio.Semaphore(concurrency)
        self._concurrency = concurrency
        self._batch = batch
        self._served: dict[int, int] = {}  # requester (or chat) -> messages launched
        self._limiters = chat_limiters or ChatLimiters()
        self._watch = watch or Watch()
        self._busy: set[int] = set()
        self._outcomes = Outcomes()
        self._tasks: set[asyncio.Task[None]] = set()
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
            for r in await outbox_queue.cut_off(conn):
                values: dict[str, Any] = {"status": "pending"}
                if r.method not in EDITS and r.payload.get("repeat"):
                    values = {"status": "failed", "error": "cut off twice; may have arrived"}
                else:
                    values["payload"] = as_repeat(self._lang, r.method, r.payload)
                    again += 1
                await outbox_queue.record(conn, r.id, **values)
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
            self._watch.beat(OUTBOX)
            if not launched and not paced and not self._tasks and not self._outcomes:
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
        if self._outcomes:
            try:
                async with writing(self._engine) as conn:
                    self._outcomes.forget(await self._outcomes.write(conn))
            except Exception:  # left 'sending': the next start re-sends them as repeats
                log.exception("could not record the last sends before stopping")

    async def _launch_due(self) -> tuple[int, datetime | None, bool]:
        """Start what can go now; return how many started, when to look again, and
        whether something due waits only for its chat's pace (so the outbox is not idle)."""
        now = self._clock.now()
        paced = False
        async with reading(self._engine) as conn:
            rows = await outbox_queue.due(conn, now, self._batch)
            if not rows:
                self._served.clear()  # a quiet outbox: everyone starts even again
            # Turns count what each requester was already served since the outbox was
            # last quiet, so a flood's next message does not tie with a newcomer's first.
            rows.sort(key=lambda r: (r.priority, self._served.get(r.who, 0) + r.turn, r.id))
            next_at = await outbox_queue.next_not_before(conn, now)
            # A chat whose earlier message was put off (a 429, a network error) waits
            # for it: per chat, messages leave in the order they were written.
            held = await outbox_queue.put_off_chats(conn, now)
            gone = await outbox_queue.recipients_gone(conn, rows)
        held |= self._outcomes.deferred_chats()
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
                self._outcomes.note(row_of(r), status="failed", error=LEFT_THE_ROSTER)
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
            row = row_of(r)
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
        if chosen or bundling or self._outcomes:
            async with writing(self._engine) as conn:
                written = await self._outcomes.write(conn)
                for first in bundling:
                    bundled = await self._bundle(conn, first, now)
                    chosen.append(bundled)
                    if bundled[0].purpose == Purpose.BUNDLE:
                        claimed.add(bundled[0].id)  # claimed as it was made
                if chosen:
                    # Claimed when ready to go (payload built, chat's room checked): the
                    # sends start as this commits, so 'sending' means "may have reached
                    # Telegram" and ``recover`` repeats only those.
                    claimed |= await outbox_queue.claim(conn, [row.id for row, _ in chosen])
            self._outcomes.forget(written)
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
            self._outcomes.note(row, status="pending", not_before=self._later(row.attempts + 1))
        finally:
            self._busy.discard(row.chat_id)
            self._slots.release()

    def _later(self, attempts: int) -> datetime:
        """1, 2, 4, 8, then every 10 s: a failed try costs one request, and an alert must
        leave within seconds of Telegram coming back, not a minute later."""
        return self._clock.now() + timedelta(seconds=min(2 ** max(attempts - 1, 0), 10))

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
            self._watch.throttled.inc()
            self._outcomes.note(
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
                self._outcomes.note(row, status="sent", sent_at=self._clock.now())
            elif any(marker in text for marker in UNDELIVERABLE_400):
                await self._undeliverable(row, f"400 {exc.message}")
            else:
                log.error("outbox row %s refused: %s", row.id, exc.message)
                self._outcomes.note(row, status="failed", error=f"400 {exc.message}"[:300])
            return
        except NetworkError as exc:  # after BadRequest, its subclass; TimedOut included
            self._no_answer(row, exc)
            return
        media = payload.get("media")
        if media is not None and sent.file_id is not None and "photo" not in row.payload:
            async with writing(self._engine) as conn:  # once per picture: the rest reuse it
                await outbox_queue.uploaded(conn, int(media), sent.file_id)
        self._outcomes.note(
            row, status="sent", sent_at=self._clock.now(), message_id=sent.message_id
        )

    async def _media(self, media_id: int) -> dict[str, Any]:
        """A stored picture for a photo row: its file_id once uploaded, else its bytes."""
        async with reading(self._engine) as conn:
            file_id, png = await outbox_queue.picture(conn, media_id)
        return {"photo": file_id} if file_id else {"png": png}

    async def _edited_message(self, row: Row) -> int | None:
        """The message an edit applies to, once its own send is done; else None, and the
        edit waits (its message is still on the way) or is dropped (it never arrived)."""
        assert row.ref_id is not None
        noted = self._outcomes.get(row.ref_id)
        if noted.get("status") == "sent" and noted.get("message_id") is not None:
            return int(noted["message_id"])
        async with reading(self._engine) as conn:
            status, message_id = await outbox_queue.sent_to(conn, row.ref_id)
        if status in ("pending", "sending"):
            self._outcomes.note(
                row, status="pending", not_before=self._clock.now() + timedelta(seconds=0.5)
            )
            return None
        if status != "sent" or message_id is None:
            self._outcomes.note(row, status="cancelled")
            return None
        return int(message_id)

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
            self._outcomes.note(
                row,
                status="pending",
                payload=row.payload,
                not_before=self._later(row.attempts + 1),
                error=error,
            )
            return
        if row.method not in EDITS and row.payload.get("repeat"):
            self._outcomes.note(
                row, status="failed", error=f"{error}; twice; may have arrived"[:300]
            )
            return
        self._outcomes.note(
            row,
            status="pending",
            payload=as_repeat(self._lang, row.method, row.payload),
            not_before=self._later(row.attempts + 1),
            error=error,
        )

    async def _undeliverable(self, row: Row, reason: str) -> None:
        # Written at once: the escalation that follows reads which alerts are still alive.
        self._outcomes.note(row, status="failed", error=reason[:300])
        carried: list[Row] = []
        async with writing(self._engine) as conn:
            if row.purpose == Purpose.BUNDLE:  # each alert it carried failed with it
                carried = [row_of(m) for m in await bundles.members(conn, row.id)]
            written = await self._outcomes.write(conn)
        self._outcomes.forget(written)
        for each in carried or [row]:
            await self._on_undeliverable(each, reason)
