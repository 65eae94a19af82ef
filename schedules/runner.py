"""Keep the next deadline wake-up armed in PTB's JobQueue (APScheduler), plus a slow sweep.

The JobQueue holds one job: the earliest pending deadline. Every commit that arms an
earlier deadline re-arms it; the sweep catches anything else (a deadline written by
another process, a clock jump). A firing that fails (the database locked or full) is
retried with backoff by its own wake-up, not left to the sweep; a fault that no retry
mends is handed to ``on_fatal``, which stops the process.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from telegram.ext import JobQueue

from bot.clock import Clock
from schedules.deadlines import DeadlineEngine
from schedules.outbox import Dispatcher
from schedules.supervise import Backoff, Fatal
from schedules.watch import DEADLINES

log = logging.getLogger(__name__)

WAKEUP_JOB = "deadline-wakeup"
SWEEP_SECONDS = 30.0


class Wakeups:
    """Pokes the dispatcher after a commit with messages, re-arms after one with deadlines."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.on_sweep: Callable[[], Awaitable[object]] | None = None
        self.dispatcher: Dispatcher | None = None
        self.deadlines: DeadlineEngine | None = None
        self.job_queue: JobQueue[Any] | None = None
        self.on_fatal: Callable[[Fatal], None] | None = None
        self._armed_at: datetime | None = None
        self._lock = asyncio.Lock()
        self._firing = Backoff("the deadline engine")
        self._sweeping = Backoff("the safety sweep")

    def outbox_changed(self) -> None:
        if self.dispatcher is not None:
            self.dispatcher.wake()

    def deadline_armed(self, due_at: datetime) -> None:
        if self.job_queue is None:
            return
        if self._armed_at is None or due_at < self._armed_at:
            self._arm(due_at)

    def _arm(self, due_at: datetime) -> None:
        assert self.job_queue is not None
        for job in self.job_queue.get_jobs_by_name(WAKEUP_JOB):
            job.schedule_removal()
        self._armed_at = due_at
        delay = max((due_at - self._clock.now()).total_seconds(), 0.0)
        self.job_queue.run_once(self._wake_job, when=timedelta(seconds=delay), name=WAKEUP_JOB)

    async def _wake_job(self, _context: object) -> None:
        self._armed_at = None
        await self.fire_due()

    async def fire_due(self) -> int:
        """Fire what is due and arm the next wake-up; one at a time. A failure is retried
        by a wake-up after a backoff; return how many fired."""
        if self.deadlines is None:
            return 0
        async with self._lock:
            try:
                fired = await self.deadlines.tick()
                upcoming = await self.deadlines.next_due()
                self.deadlines.watch.beat(DEADLINES)
            except Exception as exc:
                self._retry_after(self._failed(self._firing, exc))
                return 0
            self._firing.ok()
        if upcoming is not None and self.job_queue is not None:
            if self._armed_at is None or upcoming < self._armed_at:
                self._arm(upcoming)
        return fired

    def _failed(self, backoff: Backoff, exc: Exception) -> float:
        """The backoff's delay; a fatal fault goes to ``on_fatal`` (or up, if nobody)."""
        try:
            return backoff.failed(exc)
        except Fatal as fatal:
            if self.on_fatal is None:
                raise
            self.on_fatal(fatal)
            return 3600.0

    def _retry_after(self, delay: float) -> None:
        if self.job_queue is not None:
            self._arm(self._clock.now() + timedelta(seconds=delay))

    def start(self, job_queue: JobQueue[Any]) -> None:
        self.job_queue = job_queue
        job_queue.run_repeating(self._sweep, interval=SWEEP_SECONDS, first=SWEEP_SECONDS)

    async def _sweep(self, _context: object) -> None:
        await self.sweep()

    async def sweep(self) -> None:
        """Repair what no event would catch, then fire anything due."""
        try:
            if self.on_sweep is not None:
                await self.on_sweep()
        except Exception as exc:
            self._failed(self._sweeping, exc)  # the next sweep is the retry
        else:
            self._sweeping.ok()
        await self.fire_due()
