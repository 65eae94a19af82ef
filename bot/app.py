"""The composition root: real adapters are chosen here and handed to everything else."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable
from typing import Any

from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from telegram import Update
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, BaseUpdateProcessor

from bot.clock import Clock, SystemClock
from bot.services import Services
from bot.settings import Settings, WebhookOptions
from bot.usecases import assessment, digest, plan_schedule
from bot.usecases.common import Ctx
from bot.usecases.escalate import undeliverable
from bot.usecases.followups import effects
from bot.usecases.sweep import rearm_orphans, report_stuck_alerts
from bot.usecases.uow import UnitOfWork, handling_update
from schedules import inbox
from schedules.deadlines import DeadlineEngine
from schedules.outbox import Dispatcher, Row
from schedules.poller import poll
from schedules.runner import Wakeups
from storage import plan_queries
from storage.db import make_engine, migrate, reading, writing
from storage.tables import people

log = logging.getLogger(__name__)

AnyApp = Application[Any, Any, Any, Any, Any, Any]


class InboxApplication(Application):  # type: ignore[type-arg]
    """Record each update by update_id before acting on it; drop repeats."""

    async def process_update(self, update: object) -> None:
        services: Services = self.bot_data["services"]
        if not isinstance(update, Update):
            await super().process_update(update)
            return
        if self.bot_data.get(CLAIM_HERE):
            # Webhook mode: nobody recorded the update yet.
            async with writing(services.engine) as conn:
                claimed = await inbox.begin(
                    conn, update.update_id, update.to_dict(), services.clock.now()
                )
                if claimed and update.effective_user is not None:
                    await reachable_again(conn, [update.effective_user.id])
            if not claimed:
                return
        with handling_update(update.update_id) as handled:
            try:
                await super().process_update(update)
            finally:
                if not handled.done:  # a read-only answer: no unit of work marked it
                    await inbox.finish(services.engine, update.update_id)


CLAIM_HERE = "inbox_claim_in_process_update"


class PerChatUpdates(BaseUpdateProcessor):
    """Updates from different chats are handled side by side, one chat's in order.

    A worker's "/request", category and description must be handled in the order sent;
    fifty workers' "/120"s need not wait for each other's database reads.
    """

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}  # chat -> (lock, users)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        lock, users = self._locks.get(chat.id, (asyncio.Lock(), 0))
        self._locks[chat.id] = (lock, users + 1)
        try:
            async with lock:
                await coroutine
        finally:
            lock, users = self._locks[chat.id]
            if users == 1:
                del self._locks[chat.id]
            else:
                self._locks[chat.id] = (lock, users - 1)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


async def reachable_again(conn: AsyncConnection, telegram_ids: list[int]) -> None:
    """Someone who writes to the bot can be reached again."""
    await conn.execute(
        sql_update(people)
        .where(people.c.telegram_id.in_(telegram_ids), people.c.unreachable_since.is_not(None))
        .values(unreachable_since=None)
    )


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
    ) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.engine = engine or make_engine(settings.db)
        self.webhook = webhook
        self.schedule = schedule
        self.poll_timeout = poll_timeout
        self.read_timeout = read_timeout
        self.wakeups = Wakeups(self.clock)
        self.ctx = Ctx(lang=settings.language, tz=settings.tz)
        self.app: AnyApp = self._build()
        self.services = Services(
            self.engine, self.clock, self.ctx, self.wakeups, settings.bot_username
        )
        self.app.bot_data["services"] = self.services
        self.app.bot_data[CLAIM_HERE] = webhook is not None
        self.dispatcher = Dispatcher(
            self.engine,
            self.app.bot,
            self.clock,
            lang=settings.language,
            on_undeliverable=self._undeliverable,
        )
        self.deadlines = DeadlineEngine(
            self.engine, self.clock, self.wakeups, effects(self.ctx), tz=settings.tz
        )
        self.wakeups.dispatcher = self.dispatcher
        self.wakeups.deadlines = self.deadlines
        self.wakeups.on_sweep = self._sweep
        self._tasks: list[asyncio.Task[None]] = []

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
            .rate_limiter(AIORateLimiter())
            .read_timeout(self.read_timeout)
            .concurrent_updates(PerChatUpdates(16))
        )
        if self.webhook is None:
            builder = builder.updater(None)
        app: AnyApp = builder.build()
        register(app)
        return app

    async def _undeliverable(self, row: Row, reason: str) -> None:
        async with self.services.uow() as uow:
            await undeliverable(
                uow,
                self.ctx,
                request_id=row.request_id if row.purpose == "alert" else None,
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
        """Give every active plan its next visit, a bounded batch per transaction so that
        an escalation due meanwhile takes the write lock between batches; return how many
        batches it took."""
        batches, last = 0, 0
        while True:
            # Looking costs no write lock: the sweep every 30 s mostly finds nothing.
            async with reading(self.engine) as conn:
                if not await plan_queries.unarmed_active_plans(conn, 1, after_id=last):
                    return batches
            # A batch unit of work: the plans' deadline rows go out in one executemany.
            batch_uow = UnitOfWork(
                self.engine, self.wakeups, self.clock.now(), self.ctx.tz, batch=True
            )
            async with batch_uow as uow:
                last = await plan_schedule.ensure_armed(uow, after_id=last)
            if not last:
                return batches
            batches += 1

    async def start(self) -> None:
        await migrate(self.engine)
        await self.app.initialize()
        await self.dispatcher.recover()
        async with self.services.uow() as uow:  # the recurring digest keeps one pending
            await digest.ensure_armed(uow)
            await assessment.ensure_armed(uow)  # and so does the quarterly assessment
        await self.app.start()
        self._tasks.append(asyncio.create_task(self.dispatcher.run(), name="outbox"))
        if self.schedule:
            assert self.app.job_queue is not None
            self.wakeups.start(self.app.job_queue)
            armed_at = await self.deadlines.next_due()
            if armed_at is not None:
                self.wakeups.deadline_armed(armed_at)
            log.info("ready: deadlines armed (next due %s)", armed_at)
            # What fell due while we were down fires right away, oldest first.
            self._tasks.append(asyncio.create_task(self._catch_up(), name="catch-up"))
            self._tasks.append(asyncio.create_task(self._arm_plans_task(), name="plans"))
        else:
            await self.arm_plans()  # tests drive time themselves: arm before the first step
        for payload in await inbox.unfinished(self.engine):
            await self.app.update_queue.put(Update.de_json(payload, self.app.bot))
        if self.webhook is None:
            await self.app.bot.delete_webhook()
            self._tasks.append(
                asyncio.create_task(
                    poll(
                        self.app,
                        self.engine,
                        self.clock,
                        long_poll=self.poll_timeout,
                        on_batch=reachable_again,
                    ),
                    name="poller",
                )
            )
        else:
            assert self.app.updater is not None
            hook = self.webhook
            await self.app.updater.start_webhook(
                listen=hook.listen,
                port=hook.port,
                url_path="telegram",
                webhook_url=hook.url,
                secret_token=hook.secret_token,
                allowed_updates=Update.ALL_TYPES,
            )

    async def _arm_plans_task(self) -> None:
        batches = await self.arm_plans()
        log.info("care plans armed: %d batch(es) of plans given their next visit", batches)

    async def _catch_up(self) -> None:
        fired = await self.wakeups.fire_due()
        log.info("caught up: %d overdue deadline(s) fired", fired)

    async def stop(self) -> None:
        for task in self._tasks:
            if task.get_name() == "poller":
                task.cancel()
        await self.dispatcher.stop()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.app.updater is not None and self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()
        await self.engine.dispose()

    async def __aenter__(self) -> Runtime:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


def run_bot(settings: Settings, webhook: WebhookOptions | None = None) -> None:
    """Run until SIGINT/SIGTERM."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        runtime = Runtime(settings, webhook=webhook)
        await runtime.start()
        log.info("helpline is running; Ctrl-C stops it")
        try:
            await stop.wait()
        finally:
            await runtime.stop()

    asyncio.run(main())
