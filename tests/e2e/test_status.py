"""/healthz and /metrics, read over HTTP while a story runs, checked against the story
(issue "Run it as a service": health and metrics)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.startup import StartupError
from schedules.status import StatusOptions, StatusServer
from schedules.watch import DEADLINES, OUTBOX
from storage.db import make_engine
from tests.e2e.conftest import LI, MAO, QIAN, World

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture
async def status(world: World) -> AsyncIterator[StatusServer]:
    rt = world.runtime
    server = StatusServer(rt.watch, rt.engine, world.clock, StatusOptions(port=0), lang="en")
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def _get(server: StatusServer, path: str) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.get(f"http://127.0.0.1:{server.port}{path}")


async def _samples(server: StatusServer) -> Samples:
    text = (await _get(server, "/metrics")).text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_the_figures_are_what_the_story_did(world: World, status: StatusServer) -> None:
    worker, li, qian = world.user(MAO), world.user(LI), world.user(QIAN)
    worker.send("/120 chest pain")
    alert = await li.wait_message("chest pain")
    await qian.wait_message("chest pain")
    await li.press(alert, "Take")
    await worker.wait_message("李强 is handling your request #1")
    worker.send("/110 forklift")
    await li.wait_message("forklift")
    await world.settle()
    got = await _samples(status)
    assert got[("helpline_requests", (("kind", "120"), ("state", "taken")))] == 1
    assert got[("helpline_requests", (("kind", "110"), ("state", "open")))] == 1
    # 120: li and qian; 110: li and zhao. li's 120 alert, now his own message since he
    # took it, still counts: it went out as an alert.
    assert got[("helpline_alerts_total", (("outcome", "sent"),))] == 4
    assert got[("helpline_alerts_total", (("outcome", "undeliverable"),))] == 0
    assert got[("helpline_updates_received_total", ())] >= 3  # /120, the press, /110
    assert got[("helpline_telegram_429_total", ())] == 0
    assert got[("helpline_oldest_pending_alert_seconds", ())] == 0  # all out
    assert got[("helpline_last_successful_poll_timestamp_seconds", ())] > 0
    # #1 was taken at once; #2 waits: only #1 is in the time-to-take histogram.
    take = "helpline_time_to_take_seconds"
    assert got[(f"{take}_count", (("kind", "120"),))] == 1
    assert got[(f"{take}_bucket", (("kind", "120"), ("le", "10.0")))] == 1
    assert (f"{take}_count", (("kind", "110"),)) not in got
    # The 110's escalation falls due in its chain's first wait; it fires (late by the
    # step the test takes) and its lateness is counted.
    before = got.get(("helpline_deadline_lateness_seconds_count", ()), 0)
    await world.advance(minutes=30)
    after = await _samples(status)
    assert after[("helpline_deadline_lateness_seconds_count", ())] > before
    # Taken 40 minutes after it was raised: past the half hour, within the hour.
    await world.advance(minutes=10)
    await world.settle()
    sent = (await _samples(status))[("helpline_alerts_total", (("outcome", "sent"),))]
    forklift = await li.wait_message("forklift")
    await li.press(forklift, "Take")
    await worker.wait_message("李强 is handling your request #2")
    await world.settle()
    after = await _samples(status)
    # A counter: taking (the alert becomes the taker's own message) takes nothing off it.
    assert after[("helpline_alerts_total", (("outcome", "sent"),))] == sent
    assert after[(f"{take}_count", (("kind", "110"),))] == 1
    assert after[(f"{take}_bucket", (("kind", "110"), ("le", "1800.0")))] == 0
    assert after[(f"{take}_bucket", (("kind", "110"), ("le", "3600.0")))] == 1
    assert after[(f"{take}_sum", (("kind", "110"),))] >= 1800
    # ... and neither does the close, which retires the owner's messages.
    mine = await li.wait_message(lambda m: "Resolved" in m.buttons)
    await li.press(mine, "Resolved")
    question = await worker.wait_message(lambda m: "Confirm" in m.buttons)
    await worker.press(question, "Confirm")
    await li.wait_message("🏁 Request #2 is closed.")
    await world.settle()
    closed = await _samples(status)
    assert closed[("helpline_alerts_total", (("outcome", "sent"),))] == sent
    assert closed[("helpline_requests", (("kind", "110"), ("state", "closed")))] == 1


async def test_healthy_while_every_part_runs_and_says_which_stopped(
    world: World, status: StatusServer
) -> None:
    first = await _get(status, "/healthz")
    assert first.status_code == 503 and f"{DEADLINES}: has not run yet" in first.text
    world.user(MAO).send("/start")  # the poller answers with it
    await world.user(MAO).wait_message("/120")
    await world.advance(seconds=1)  # the deadline engine runs
    await world.settle()
    ok = await _get(status, "/healthz")
    assert (ok.status_code, ok.text) == (200, "ok\n")
    status.limits[OUTBOX] = 0.0  # as if the dispatcher had stopped
    stale = await _get(status, "/healthz")
    assert stale.status_code == 503 and f"{OUTBOX}: silent for" in stale.text
    assert "poller" not in stale.text and "database" not in stale.text


async def test_the_database_not_answering_is_a_reason(world: World, status: StatusServer) -> None:
    await world.advance(seconds=1)
    await world.runtime.engine.dispose()
    status.engine = _broken()
    got = await _get(status, "/healthz")
    assert got.status_code == 503 and "database:" in got.text


def _broken() -> AsyncEngine:
    """An engine on a file that cannot exist: every connection fails."""
    return make_engine("/nonexistent-dir/helpline.db")


async def test_a_taken_port_is_one_line(world: World, status: StatusServer) -> None:
    rt = world.runtime
    again = StatusServer(
        rt.watch, rt.engine, world.clock, StatusOptions(port=status.port), lang="en"
    )
    with pytest.raises(StartupError) as refused:
        await again.start()
    assert str(refused.value).startswith(
        f"--metrics-port: cannot listen on 127.0.0.1:{status.port}"
    )
