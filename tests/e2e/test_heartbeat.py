"""HELPLINE_HEARTBEAT_URL: the monitor hears the line each interval while it is healthy,
and stops hearing it when a part stops - checked against a real HTTP monitor and the real
health checks of a running bot."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from schedules.heartbeat import beat_outside
from schedules.status import LIMITS, problems
from schedules.watch import OUTBOX
from tests.e2e.conftest import MAO, World


@dataclass
class Monitor:
    status: int = 200
    hits: int = 0
    heard: asyncio.Event = field(default_factory=asyncio.Event)
    url: str = ""

    async def handle(self, _request: web.Request) -> web.Response:
        self.hits += 1
        self.heard.set()
        return web.Response(status=self.status, text="OK")


@pytest.fixture
async def monitor() -> AsyncIterator[Monitor]:
    found = Monitor()
    app = web.Application()
    app.router.add_get("/ping/{uuid}", found.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    found.url = f"http://127.0.0.1:{port}/ping/5ecret-uuid"
    yield found
    await runner.cleanup()


async def _heard(monitor: Monitor, times: int) -> None:
    while monitor.hits < times:
        monitor.heard.clear()
        await monitor.heard.wait()


async def test_the_monitor_hears_a_healthy_line_and_not_a_sick_one(
    world: World, monitor: Monitor, caplog: pytest.LogCaptureFixture
) -> None:
    rt = world.runtime
    limits = dict(LIMITS)
    checked = asyncio.Event()

    async def check() -> list[str]:
        checked.set()
        return await problems(rt.watch, rt.engine, polling=True, limits=limits)

    world.user(MAO).send("/start")  # the poller has had an answer
    await world.user(MAO).wait_message("/120")
    await world.advance(seconds=1)  # and the deadline engine has run
    beating = asyncio.create_task(beat_outside(monitor.url, check, every=0.01))
    try:
        await asyncio.wait_for(_heard(monitor, 3), 30)
        limits[OUTBOX] = 0.0  # the dispatcher "stops"
        caplog.set_level(logging.WARNING, logger="schedules.heartbeat")
        for _ in range(5):  # five more checks: none reaches the monitor
            checked.clear()
            await asyncio.wait_for(checked.wait(), 30)
        hits = monitor.hits
        for _ in range(3):
            checked.clear()
            await asyncio.wait_for(checked.wait(), 30)
        assert monitor.hits == hits
        withheld = [r.getMessage() for r in caplog.records if "withheld" in r.getMessage()]
        assert len(withheld) == 1 and "outbox dispatcher" in withheld[0]
        assert not any("5ecret" in r.getMessage() for r in caplog.records)
    finally:
        beating.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beating


async def test_a_monitor_that_fails_is_logged_once_and_tried_again(
    monitor: Monitor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="schedules.heartbeat")
    monitor.status = 500

    async def healthy() -> list[str]:
        return []

    beating = asyncio.create_task(beat_outside(monitor.url, healthy, every=0.01))
    try:
        await asyncio.wait_for(_heard(monitor, 4), 30)
        monitor.status = 200
        await asyncio.wait_for(_heard(monitor, monitor.hits + 2), 30)
    finally:
        beating.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beating
    said = [r.getMessage() for r in caplog.records]
    assert [m for m in said if "not delivered" in m] == [
        "heartbeat not delivered (HTTP 500); trying again each minute"
    ]
    assert "heartbeat: the monitor hears the line again" in said
    assert not any("5ecret" in m for m in said)
