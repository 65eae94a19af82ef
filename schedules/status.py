"""``helpline run --metrics-port N``: /healthz and /metrics for whoever watches the box.

/healthz answers 200 only while every part is alive: the poller had an answer from
Telegram within its timeout (in webhook mode the web server itself is the part: Telegram
calls only when there is something to say), the outbox dispatcher and the deadline engine
ran within their intervals, and the database answers; otherwise 503 and one line per
reason. /metrics is Prometheus's text format (``schedules/watch.py`` for what is in it).
Bound to 127.0.0.1 unless told otherwise: the figures are the company's.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import Clock
from bot.i18n import t
from bot.startup import StartupError
from schedules.watch import DEADLINES, OUTBOX, POLLER, TAKE_BUCKETS, Watch
from storage import status_queries
from storage.db import reading

log = logging.getLogger(__name__)

# Seconds a part may stay silent: the long poll answers within ~20 s (+ the network), the
# dispatcher looks at least every 5 s, the safety sweep fires deadlines every 30 s.
LIMITS = {POLLER: 90.0, OUTBOX: 30.0, DEADLINES: 120.0}
DB_TIMEOUT = 3.0


@dataclass
class StatusOptions:
    port: int
    host: str = "127.0.0.1"


@dataclass
class StatusServer:
    watch: Watch
    engine: AsyncEngine
    clock: Clock
    options: StatusOptions
    polling: bool = True  # False: a webhook, which has no poller to watch
    lang: str = "zh"  # for the one line that refuses to start
    limits: dict[str, float] = field(default_factory=lambda: dict(LIMITS))
    _runner: web.AppRunner | None = None
    port: int = 0  # the port bound (the option's, or the one picked for port 0)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.options.host, self.options.port)
        try:
            await site.start()
        except OSError as exc:  # the port is taken, the address is not this machine's
            await self._runner.cleanup()
            where = f"{self.options.host}:{self.options.port}"
            line = t(
                self.lang,
                "--metrics-port: cannot listen on {where}: {reason}",
                where=where,
                reason=exc.strerror or str(exc),
            )
            raise StartupError(line, 1) from None
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = int(sockets[0].getsockname()[1]) if sockets else self.options.port
        log.info("status on http://%s:%d/healthz and /metrics", self.options.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def problems(self) -> list[str]:
        return await problems(self.watch, self.engine, polling=self.polling, limits=self.limits)

    async def _healthz(self, _request: web.Request) -> web.Response:
        found = await self.problems()
        if found:
            return web.Response(status=503, text="\n".join(found) + "\n")
        return web.Response(text="ok\n")

    async def _metrics(self, _request: web.Request) -> web.Response:
        try:
            await self._refresh()
        except Exception as exc:  # the process's own figures are still worth serving
            log.warning("metrics: the database's figures could not be read (%s)", exc)
        return web.Response(
            body=generate_latest(self.watch.registry),
            headers={"Content-Type": CONTENT_TYPE_LATEST},
        )

    async def _refresh(self) -> None:
        snap = self.watch.snapshot
        async with reading(self.engine) as conn:
            snap.requests = await status_queries.requests_by_kind_and_state(conn)
            snap.pending = await status_queries.pending_by_priority(conn)
            oldest = await status_queries.oldest_pending_alert(conn)
            snap.alerts = await status_queries.alerts_by_status(conn)
            snap.take = await status_queries.take_times(conn, TAKE_BUCKETS)
        now = self.clock.now()
        snap.oldest_alert_age = max((now - oldest).total_seconds(), 0.0) if oldest else 0.0


async def problems(
    watch: Watch, engine: AsyncEngine, *, polling: bool, limits: dict[str, float] = LIMITS
) -> list[str]:
    """One line per part that is not alive (empty: healthy): /healthz and the heartbeat."""
    found: list[str] = []
    for part, limit in limits.items():
        if part == POLLER and not polling:
            continue
        silent = watch.silent_for(part)
        if silent is None:
            found.append(f"{part}: has not run yet")
        elif silent > limit:
            found.append(f"{part}: silent for {silent:.0f} s (limit {limit:.0f} s)")
    try:
        async with asyncio.timeout(DB_TIMEOUT):
            async with reading(engine) as conn:
                await status_queries.ping(conn)
    except Exception as exc:  # any failure to answer is the reason, in one line
        found.append(f"database: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
    return found
