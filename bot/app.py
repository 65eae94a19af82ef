"""The composition root: real adapters are chosen here and handed to everything else."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Coroutine
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Update
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder

from bot import logs, offloop
from bot.clock import Clock, SystemClock
from bot.domain.purposes import Purpose
from bot.services import Services
from bot.settings import Settings, WebhookOptions
from bot.startup import StartupError, check_database, wait_for_telegram
from bot.usecases.common import Ctx
from bot.usecases.desk import digest, downtime
from bot.usecases.escalation.deadline_effects import effects
from bot.usecases.escalation.escalate import undeliverable
from bot.usecases.escalation.sweep import rearm_orphans, report_stuck_alerts
from bot.usecases.figures import assessment
from schedules import inbox
from schedules.deadlines import DeadlineEngine
from schedules.heartbeat import beat_outside
from schedules.outbox import Dispatcher
from schedules.pace import ChatLimiters
from schedules.plans import arm_plans
from schedules.poller import poll
from schedules.runner import Wakeups
from schedules.status import StatusOptions, StatusServer, problems
from schedules.supervise import Backoff, Fatal
from schedules.updates import (
    FIRST_RETRY,
    RETRY_KEY,
    InboxApplication,
    PerChatUpdates,
    on_senders,
)
from schedules.watch import Watch
from schedules.webhook import WebhookServer
from storage.db import make_engine, migrate
from storage.outbox_queue import Row

log = logging.getLogger(__name__)

# Telegram allows "about 30 messages per second" in all (Bot FAQ); a bot sending at exactly
# 30 meets a 429 whenever two requests arrive closer than they left (a stalled loop, the
# network). A little under it, a burst of twenty emergencies meets none.
OVERALL_PER_S = 28

# Updates handled side by side (one chat's still in order). A hundred /120s in a second
# are stored in shared transactions only if that many handlers reach the group commit
# together: with 16, they came in rounds of 16, and the hundredth was stored 1.5 s after
# the first (`python -m bench --quick --only mass_incident`); with 64, in about 1 s.
HANDLED_AT_ONCE = 64

ALIVE_EVERY = 60.0  # seconds between marks; a downtime is known to within a minute

AnyApp = Application[Any, Any, Any, Any, Any, Any]


def file_url(api_url: str) -> str:
    """Telegram serves files beside the API: .../bot -> .../file/bot."""
    return api_url[: -len("/bot")] + "/file/bot" if api_url.endswith("/bot") else api_url


class Runtime:
    """The running bot: PTB application, outbox dispatcher, deadline engine, poller."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        engine: AsyncEngine | None = None,
        webhook: WebhookOptions | None = None,
        schedule: bool = True,
        poll_timeout: int = 20,
        read_timeout: float = 5.0,
        chat_limiters: ChatLimiters | None = None,
        update_retry: float = FIRST_RETRY,
        status: StatusOptions | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.engine = engine or make_engine(settings.db)
        self.webhook = webhook
        self.schedule = schedule
        self.poll_timeout = poll_timeout
        self.read_timeout = read_timeout
        self.wakeups = Wakeups(self.clock)
        self.watch = Watch()
        self.status: StatusServer | None = None
        if status is not None:
            self.status = StatusServer(
                self.watch,
                self.engine,
                self.clock,
                status,
                polling=webhook is None,
                lang=settings.language,
            )
        self.ctx = Ctx(lang=settings.language, tz=settings.tz)
        self.app: AnyApp = self._build()
        self.services = Services(
            self.engine, self.clock, self.ctx, self.wakeups, settings.bot_username
        )
        self.app.bot_data["services"] = self.services
        self.app.bot_data[RETRY_KEY] = update_retry
        self.dispatcher = Dispatcher(
            self.engine,
            self.app.bot,
            self.clock,
            lang=settings.language,
            on_undeliverable=self._undeliverable,
            chat_limiters=chat_limiters,
            watch=self.watch,
        )
        self.deadlines = DeadlineEngine(
            self.engine,
            self.clock,
            self.wakeups,
            effects(self.ctx),
            tz=settings.tz,
            watch=self.watch,
        )
        self.wakeups.dispatcher = self.dispatcher
        self.wakeups.deadlines = self.deadlines
        self.wakeups.on_sweep = self._sweep
        self.wakeups.on_fatal = self._fatal
        self._tasks: list[asyncio.Task[None]] = []
        self._webhook_server: WebhookServer | None = None
        self._stopping = False
        self.failed = asyncio.Event()  # a part cannot go on: the process must exit
        self.failure = ""

    def _build(self) -> AnyApp:
        from handlers import register

        token = self.settings.bot_token
        assert token is not None
        builder = (
            ApplicationBuilder()
            .application_class(InboxApplication)
            .token(token.get_secret_value())
            .base_url(self.settings.api_url)
            .base_file_url(file_url(self.settings.api_url))
            .rate_limiter(AIORateLimiter(overall_max_rate=OVERALL_PER_S, overall_time_period=1))
            .read_timeout(self.read_timeout)
            .concurrent_updates(PerChatUpdates(HANDLED_AT_ONCE))
            .updater(None)  # polling and the webhook are ours: they store before confirming
        )
        app: AnyApp = builder.build()
        register(app)
        return app

    async def _undeliverable(self, row: Row, reason: str) -> None:
        async with self.services.uow() as uow:
            await undeliverable(
                uow,
                self.ctx,
                request_id=row.request_id if row.purpose == Purpose.ALERT else None,
                recipient_id=row.recipient_id,
                level=row.level,
                reason=reason,
            )

    async def _sweep(self) -> None:
        async with self.services.uow() as uow:
            await rearm_orphans(uow)
            await report_stuck_alerts(uow, self.ctx)
        await self.arm_plans()  # plans an import (another process) added or changed

    async def arm_plans(self) -> int:
        """Every active plan given its next visit (``schedules/plans.py``)."""
        return await arm_plans(self.engine, self.wakeups, self.clock, self.ctx.tz)

    async def start(self) -> None:
        await migrate(self.engine)
        await self.app.initialize()
        await self.dispatcher.recover()
        async with self.services.uow() as uow:  # the recurring digest keeps one pending
            told = await downtime.after_start(uow, self.ctx, self.settings.down_gap_delta)
            await digest.ensure_armed(uow)
            await assessment.ensure_armed(uow)  # and so does the quarterly assessment
        if told:
            log.warning(
                "the line was down longer than %s: %d committee member(s) told",
                self.settings.down_gap,
                told,
            )
        await self.app.start()
        self._spawn(self.dispatcher.run(), "outbox")
        self._spawn(self._mark_alive(), "alive")
        if self.schedule:
            assert self.app.job_queue is not None
            self.wakeups.start(self.app.job_queue)
            armed_at = await self.deadlines.next_due()
            if armed_at is not None:
                self.wakeups.deadline_armed(armed_at)
            log.info("ready: deadlines armed (next due %s)", armed_at)
            # What fell due while we were down fires right away, oldest first.
            self._spawn(self._catch_up(), "catch-up")
            self._spawn(self._arm_plans_task(), "plans")
        else:
            await self.arm_plans()  # tests drive time themselves: arm before the first step
        for payload in await inbox.unfinished(self.engine):
            await self.app.update_queue.put(Update.de_json(payload, self.app.bot))
        if self.webhook is None:
            await self.app.bot.delete_webhook()
            poller = poll(
                self.app,
                self.engine,
                self.clock,
                long_poll=self.poll_timeout,
                on_batch=on_senders,
                watch=self.watch,
            )
            self._spawn(poller, "poller")
        else:
            self._webhook_server = WebhookServer(
                self.app,
                self.engine,
                self.clock,
                self.webhook,
                on_batch=on_senders,
                watch=self.watch,
            )
            await self._webhook_server.start()
        if self.status is not None:
            await self.status.start()
        if self.settings.heartbeat_url is not None:
            url = self.settings.heartbeat_url.get_secret_value()
            self._spawn(beat_outside(url, self._problems), "heartbeat")

    async def _mark_alive(self) -> None:
        """Every minute, the mark a restart compares with (``usecases/desk/downtime.py``)."""
        backoff = Backoff("marking the line alive")
        while True:
            await asyncio.sleep(ALIVE_EVERY)
            try:
                async with self.services.uow() as uow:
                    await downtime.still_alive(uow)
            except Exception as exc:  # the next minute tries again
                backoff.failed(exc)
            else:
                backoff.ok()

    async def _problems(self) -> list[str]:
        return await problems(self.watch, self.engine, polling=self.webhook is None)

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        """Start a background part; if it ever ends by itself, the process must exit."""
        task = asyncio.create_task(work, name=name)
        self._tasks.append(task)
        task.add_done_callback(self._ended)

    def _ended(self, task: asyncio.Task[None]) -> None:
        if self._stopping or task.cancelled():
            return
        exc = task.exception()
        if exc is None:
            if task.get_name() in ("catch-up", "plans"):
                return  # one-off parts: done is done
            exc = RuntimeError("stopped by itself")
        if isinstance(exc, Fatal):
            self._fatal(exc)
            return
        log.error("%s ended: %s", task.get_name(), exc, exc_info=exc)
        self._fatal(Fatal(f"{task.get_name()}: {exc}"))

    def _fatal(self, exc: Fatal) -> None:
        if not self.failure:
            self.failure = str(exc)
            log.critical("cannot go on: %s; exiting so that the service manager restarts it", exc)
        self.failed.set()

    async def _arm_plans_task(self) -> None:
        try:
            batches = await self.arm_plans()
        except Exception as exc:  # the sweep arms them on its next round
            log.warning("care plans not armed at start (%s); the sweep will retry", exc)
            return
        log.info("care plans armed: %d batch(es) of plans given their next visit", batches)

    async def _catch_up(self) -> None:
        fired = await self.wakeups.fire_due()
        log.info("caught up: %d overdue deadline(s) fired", fired)

    async def stop(self) -> None:
        self._stopping = True
        if self.status is not None:
            await self.status.stop()
        if self._webhook_server is not None:
            await self._webhook_server.stop()
        for task in self._tasks:
            if task.get_name() in ("poller", "heartbeat", "alive"):  # loops that never end
                task.cancel()
        await self.dispatcher.stop()
        with contextlib.suppress(Exception):  # best effort: the minute's mark is close
            async with self.services.uow() as uow:
                await downtime.still_alive(uow)
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()
        await self.engine.dispose()

    async def __aenter__(self) -> Runtime:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


def run_bot(
    settings: Settings,
    webhook: WebhookOptions | None = None,
    status: StatusOptions | None = None,
) -> int:
    """Run until SIGINT/SIGTERM (exit status 0), or until a part cannot go on (1), or
    refuse to start (``StartupError``'s status); say why in one line on stderr."""

    async def main() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        runtime = Runtime(settings, webhook=webhook, status=status)
        try:
            for warning in await check_database(runtime.engine, settings.language):
                log.warning("%s", warning)
            await wait_for_telegram(runtime.app.initialize, settings)
            await runtime.start()
        except StartupError as exc:
            print(exc, file=sys.stderr)
            with contextlib.suppress(Exception):
                await runtime.stop()
            return exc.status
        log.info("helpline is running; Ctrl-C stops it")
        ended = asyncio.create_task(runtime.failed.wait())
        try:
            await asyncio.wait(
                [asyncio.create_task(stop.wait()), ended], return_when="FIRST_COMPLETED"
            )
        finally:
            await runtime.stop()
            offloop.shutdown()
        if runtime.failed.is_set():
            print(runtime.failure, file=sys.stderr)
            return 1
        return 0

    with logs.configured(settings.log_level, settings.log_format, settings.tz):
        return asyncio.run(main())
