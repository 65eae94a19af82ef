"""Group commit: use cases that arrive while the database is busy share one transaction.

When a crane falls, a hundred workers send /120 within a second. One transaction each,
they queue for the write lock one by one: on SQLite every statement is a hop to the
driver's thread, every commit wakes the dispatcher, and the hundredth emergency was
stored seconds after the first (issue "A crane falls"). Here the first use case runs at
once, as before; those that arrive while it holds the database wait for it and then run
together in one batch unit of work (timeline events, outbox rows and deadlines written
with one statement each; one commit; one wake-up of the dispatcher). Each still marks its
own incoming update done in that same transaction.

A shared transaction that fails is not anyone's fault in particular: each of its use cases
runs again alone, so one request that cannot be stored never holds back the others, and
each caller gets its own result or its own exception - as if it had run alone.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from storage.uow import Clock, Handling, UnitOfWork, Wakeups, current_handling

log = logging.getLogger(__name__)

T = TypeVar("T")
UseCase = Callable[[UnitOfWork], Awaitable[T]]

# More than this many waiting are split over several transactions: a transaction holds the
# write lock, and the dispatcher must get its turn to send what the last one stored. With
# 20 a turn held the lock ~200 ms and a mass incident's first alert left 330 ms after its
# request was stored; with 10, 170 ms, and the hundredth request was in front of a
# responder sooner too (bench mass_incident: 1.76 s -> 1.62 s).
LIMIT = 10


@dataclass
class _Waiting(Generic[T]):
    work: UseCase[T]
    handling: Handling | None
    result: asyncio.Future[T] = field(default_factory=lambda: _loop().create_future())


def _loop() -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()


class GroupCommit:
    """Runs use cases in shared transactions, in the order they were handed in."""

    def __init__(
        self, engine: AsyncEngine, wakeups: Wakeups, clock: Clock, tz: ZoneInfo, limit: int = LIMIT
    ) -> None:
        self._engine = engine
        self._wakeups = wakeups
        self._clock = clock
        self._tz = tz
        self._limit = limit
        self._waiting: list[_Waiting[Any]] = []
        self._runner: asyncio.Task[None] | None = None

    async def run(self, work: UseCase[T]) -> T:
        """Run ``work`` in a transaction, perhaps shared; return once it committed."""
        waiting: _Waiting[T] = _Waiting(work, current_handling())
        self._waiting.append(waiting)
        if self._runner is None or self._runner.done():
            # A clean context: the runner serves many updates, not the one that woke it.
            self._runner = asyncio.create_task(
                self._run_waiting(), name="group-commit", context=contextvars.Context()
            )
        return await waiting.result

    async def _run_waiting(self) -> None:
        turn: list[_Waiting[Any]] = []
        try:
            while self._waiting:
                turn = [w for w in self._waiting[: self._limit] if not w.result.done()]
                del self._waiting[: self._limit]
                if len(turn) > 1 and await self._together(turn):
                    continue
                for waiting in turn:
                    await self._alone(waiting)
        except BaseException:  # cancelled (the loop is closing): nobody may wait forever
            for waiting in [*turn, *self._waiting]:
                waiting.result.cancel()
            self._waiting.clear()
            raise

    async def _together(self, turn: list[_Waiting[Any]]) -> bool:
        handlings = [w.handling for w in turn if w.handling is not None]
        try:
            async with self._uow(batch=True, handlings=handlings) as uow:
                results = [await w.work(uow) for w in turn]
        except Exception as exc:
            log.warning("%d use cases failed together (%s); each is tried alone", len(turn), exc)
            return False
        for waiting, result in zip(turn, results, strict=True):
            if not waiting.result.done():
                waiting.result.set_result(result)
        return True

    async def _alone(self, waiting: _Waiting[Any]) -> None:
        handlings = [waiting.handling] if waiting.handling is not None else []
        try:
            async with self._uow(batch=False, handlings=handlings) as uow:
                result = await waiting.work(uow)
        except Exception as exc:
            if not waiting.result.done():
                waiting.result.set_exception(exc)
            return
        if not waiting.result.done():
            waiting.result.set_result(result)

    def _uow(self, *, batch: bool, handlings: list[Handling]) -> UnitOfWork:
        return UnitOfWork(
            self._engine, self._wakeups, self._clock, self._tz, batch=batch, handlings=handlings
        )
