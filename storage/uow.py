"""One transaction per use case: state, timeline event, outbox rows and deadlines together.

Nobody is told anything until the transaction commits; then the dispatcher and the
deadline engine are poked so they do not wait for their next sweep.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import Table, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.domain.policy import Policy
from storage import queries, request_facts
from storage.db import use_case_gate, write_lock
from storage.story import Story
from storage.tables import deadlines, events, inbox, outbox, outbox_media

UTC_ZONE = ZoneInfo("UTC")


@dataclass
class Handling:
    update_id: int
    done: bool = False  # a unit of work committed and marked the update done with it
    failed: Exception | None = None  # a handler raised: the update is to be tried again


_HANDLING: ContextVar[Handling | None] = ContextVar("helpline_handling", default=None)


@contextmanager
def handling_update(update_id: int) -> Iterator[Handling]:
    """While an incoming update is handled, the first unit of work that commits also marks
    it done in the inbox - in the same transaction, so an update whose effect committed is
    never handled again after a crash, and one whose effect did not is."""
    state = Handling(update_id)
    token = _HANDLING.set(state)
    try:
        yield state
    finally:
        _HANDLING.reset(token)


def current_handling() -> Handling | None:
    """The update being handled in this task, if any."""
    return _HANDLING.get()


class Clock(Protocol):
    """Whatever tells the time (``bot.clock``): the unit of work reads it when it takes
    the write lock."""

    def now(self) -> datetime: ...


class Wakeups(Protocol):
    """What must hear about a commit: the outbox dispatcher and the deadline scheduler."""

    def outbox_changed(self) -> None: ...

    def deadline_armed(self, due_at: datetime) -> None: ...


class NoWakeups:
    def outbox_changed(self) -> None:
        pass

    def deadline_armed(self, due_at: datetime) -> None:
        pass


@dataclass
class Send:
    """A message to send, as Bot API method and parameters."""

    chat_id: int
    method: str
    payload: dict[str, Any]
    priority: int
    purpose: str
    request_id: int | None = None
    recipient_id: int | None = None
    ref_id: int | None = None
    level: int | None = None


class UnitOfWork:
    """An open transaction plus the outbox rows and deadlines it has written.

    ``marks_update=False``: committing does not count as handling the incoming update
    (an answer queued on the way must not mark done an update whose effect may yet fail).
    ``handlings``: the updates this transaction handles, when it is not the current
    task's (a shared transaction of ``storage.group_commit`` handles several).

    With ``batch=True`` (the deadline engine firing many steps in one transaction) the
    rows it appends - outbox messages, timeline events, deadlines - are written with one
    executemany each at commit instead of one statement each: on SQLite every statement
    costs a thread hop. Such a unit of work must not read back what it appended; nothing
    that runs in a batch does (``disarm`` writes pending deadlines out first).
    """

    def __init__(
        self,
        engine: AsyncEngine,
        wakeups: Wakeups,
        now: datetime | Clock,
        tz: ZoneInfo = UTC_ZONE,
        *,
        batch: bool = False,
        marks_update: bool = True,
        handlings: list[Handling] | None = None,
    ) -> None:
        self._engine = engine
        self._marks_update = marks_update
        self._handlings = handlings
        self._wakeups = wakeups
        # Given a clock, the transaction's time is read when it takes the write lock: the
        # timeline then follows the order of commits, and a request's time is when it
        # was stored, not when its handler began to wait for its turn.
        self._clock = None if isinstance(now, datetime) else now
        self.now = now if isinstance(now, datetime) else now.now()
        self.tz = tz
        self._conn: AsyncConnection | None = None
        self._sent = False
        self._earliest: datetime | None = None
        self._buffer: dict[Table, list[dict[str, Any]]] | None = (
            {outbox: [], events: [], deadlines: []} if batch else None
        )
        self._facts: list[tuple[int, str, dict[str, Any]]] | None = [] if batch else None
        self._policy: Policy | None = None
        self._story = Story()

    @property
    def conn(self) -> AsyncConnection:
        assert self._conn is not None, "use the unit of work as an async context manager"
        return self._conn

    async def __aenter__(self) -> UnitOfWork:
        self._gate = use_case_gate(self._engine)
        self._lock = write_lock(self._engine)
        async with self._gate:
            await self._lock.acquire()
        if self._clock is not None:
            self.now = self._clock.now()
        try:
            self._conn = await self._engine.connect()
            await self._conn.begin()
        except BaseException:
            self._lock.release()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn = self.conn
        try:
            if exc_type is None:
                await self.flush()
                await self._story.resolve(conn)
                marks = [h for h in self._handles() if not h.done]
                if marks:
                    await conn.execute(
                        update(inbox)
                        .where(inbox.c.update_id.in_([h.update_id for h in marks]))
                        .values(status="done")
                    )
                await conn.commit()
                for handling in marks:
                    handling.done = True
            else:
                await conn.rollback()
        finally:
            await conn.close()
            self._lock.release()
        if exc_type is None:
            self._story.tell()
            if self._sent:
                self._wakeups.outbox_changed()
            if self._earliest is not None:
                self._wakeups.deadline_armed(self._earliest)

    def _handles(self) -> list[Handling]:
        """The incoming updates this transaction's commit finishes."""
        if self._handlings is not None:
            return self._handlings
        current = _HANDLING.get() if self._marks_update else None
        return [current] if current is not None else []

    async def policy(self) -> Policy:
        """The roster's timing policy, read once per transaction: a batch of a thousand
        reminders or escalations asks for it a thousand times."""
        if self._policy is None:
            self._policy = await queries.load_policy(self.conn, self.tz)
        return self._policy

    async def flush(self, *tables: Table) -> None:
        """Write out appended rows (of ``tables``, or all) that are still buffered."""
        if self._buffer is None:
            return
        for table, rows in self._buffer.items():
            if rows and (not tables or table in tables):
                await self.conn.execute(table.insert(), rows)
                self._buffer[table] = []
        if self._facts and (not tables or events in tables):
            await request_facts.apply(self.conn, self._facts, self.now)
            self._facts = []

    async def flush_deadlines(self) -> None:
        """Write out buffered deadlines, for a statement that reads them next."""
        await self.flush(deadlines)

    async def flush_outbox(self) -> None:
        """Write out buffered messages, for a statement that reads them next."""
        await self.flush(outbox)

    async def _append(self, table: Table, row: dict[str, Any]) -> int | None:
        if self._buffer is not None:
            self._buffer[table].append(row)
            return None
        result = await self.conn.execute(table.insert().values(**row))
        pk = result.inserted_primary_key
        return int(pk[0]) if pk else None

    async def event(
        self,
        request_id: int,
        type_: str,
        *,
        actor_id: int | None = None,
        actor_chat_id: int | None = None,
        **data: Any,
    ) -> None:
        """Append to the request's timeline (never updated, never deleted), and keep the
        request's facts for the figures in step with it."""
        await self._append(
            events,
            {
                "request_id": request_id,
                "at": self.now,
                "type": type_,
                "actor_id": actor_id,
                "actor_chat_id": actor_chat_id,
                "data": data,
            },
        )
        self._story.add("request", request_id, type_, data)
        if type_ in request_facts.FACT_EVENTS:
            if self._facts is not None:
                self._facts.append((request_id, type_, data))
            else:
                await request_facts.apply(self.conn, [(request_id, type_, data)], self.now)

    def story(self, subject: str, number: int, what: str, **facts: Any) -> None:
        """Something that is not a request's event but belongs in the log's story (a plan's
        visit, a survey), told after the commit like the events (``storage.story``)."""
        self._story.add(subject, number, what, facts)

    async def send(self, msg: Send, *, not_before: datetime | None = None) -> int | None:
        """Queue a message in the outbox; returns its row id (None when batched)."""
        self._sent = True
        return await self._append(
            outbox,
            {
                "chat_id": msg.chat_id,
                "priority": msg.priority,
                "method": msg.method,
                "payload": msg.payload,
                "request_id": msg.request_id,
                "recipient_id": msg.recipient_id,
                "purpose": msg.purpose,
                "ref_id": msg.ref_id,
                "level": msg.level,
                "status": "pending",
                "attempts": 0,
                "not_before": not_before or self.now,
                "created_at": self.now,
                "sent_at": None,
                "message_id": None,
                "error": None,
                "delay_reported_at": None,
            },
        )

    async def media(self, png: bytes) -> int:
        """Store a picture once for many outbox rows (``{"media": id}`` in their payload)."""
        result = await self.conn.execute(
            outbox_media.insert().values(png=png, file_id=None, created_at=self.now)
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    async def arm(
        self,
        kind: str,
        due_at: datetime,
        *,
        request_id: int | None = None,
        visit_id: int | None = None,
        **data: Any,
    ) -> None:
        """Write a deadline row; the scheduler only caches the earliest one."""
        await self._append(
            deadlines,
            {
                "request_id": request_id,
                "visit_id": visit_id,
                "kind": kind,
                "due_at": due_at,
                "status": "pending",
                "data": data,
                "created_at": self.now,
                "fired_at": None,
            },
        )
        if self._earliest is None or due_at < self._earliest:
            self._earliest = due_at

    async def disarm(self, request_id: int, *kinds: str) -> None:
        """Cancel the request's pending deadlines (of the given kinds, or all)."""
        await self._disarm(deadlines.c.request_id == request_id, kinds)

    async def disarm_visit(self, visit_id: int, *kinds: str) -> None:
        """Cancel a care-plan visit's pending steps (of the given kinds, or all)."""
        await self._disarm(deadlines.c.visit_id == visit_id, kinds)

    async def _disarm(self, owner: Any, kinds: tuple[str, ...]) -> None:
        await self.flush(deadlines)
        stmt = update(deadlines).where(owner, deadlines.c.status == "pending")
        if kinds:
            stmt = stmt.where(deadlines.c.kind.in_(kinds))
        await self.conn.execute(stmt.values(status="cancelled", fired_at=self.now))
