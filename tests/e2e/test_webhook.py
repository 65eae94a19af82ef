"""Webhook mode: the secret is checked first, and Telegram hears 200 only once stored.

The sandbox posts updates to the bot's endpoint as Telegram does (retrying until 2xx);
forged posts come from the test itself, as an attacker's would.
"""

from __future__ import annotations

import asyncio
import socket
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from bot.settings import WebhookOptions
from schedules.webhook import SECRET_HEADER
from storage.tables import inbox, requests
from tests.e2e.conftest import LI, MAO, World, world_at
from tests.moments import QUIET

SECRET = "s3cret-token_value"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def hooked(tmp_path: Path) -> AsyncIterator[tuple[World, WebhookOptions]]:
    port = _free_port()
    hook = WebhookOptions(f"http://127.0.0.1:{port}/telegram", "127.0.0.1", port, SECRET)
    async with world_at(tmp_path, QUIET, webhook=hook) as world:
        yield world, hook


def _forged(update_id: int, text: str) -> dict[str, Any]:
    """A committee member's id, an attacker's chat."""
    sender = {"id": 1000, "is_bot": False, "first_name": "陈主任"}
    chat = {"id": 4242, "type": "private"}
    message = {"message_id": 1, "date": 0, "chat": chat, "from": sender, "text": text}
    return {"update_id": update_id, "message": message}


async def _until_refused(world: World, status: str) -> None:
    """Until the sandbox (as Telegram would) notes that the webhook answered ``status``."""
    for _ in range(600):  # the bot waits out SQLite's 10 s busy timeout first
        hook = world.server.state.webhook
        if hook is not None and status in (hook.last_error_message or ""):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the webhook never answered {status}")


async def _stored(world: World) -> list[int]:
    async with world.runtime.engine.connect() as conn:
        return list(await conn.scalars(select(inbox.c.update_id).order_by(inbox.c.update_id)))


async def test_updates_arrive_by_webhook_and_forgeries_are_refused(
    hooked: tuple[World, WebhookOptions],
) -> None:
    world, hook = hooked
    world.user(MAO).send("/120 chest pain")
    await world.user(LI).wait_message("chest pain")
    stored = await _stored(world)
    assert len(stored) == 1
    async with aiohttp.ClientSession() as attacker:
        for headers in ({}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: SECRET[:-1]}):
            async with attacker.post(
                hook.url, json=_forged(900, "/status 1"), headers=headers
            ) as r:
                assert r.status == 403
        good = {SECRET_HEADER: SECRET}
        for body in (b"not json", b"[1, 2]", b'{"no": "update_id"}'):
            async with attacker.post(hook.url, data=body, headers=good) as r:
                assert r.status == 400
    await world.settle()
    assert await _stored(world) == stored
    assert world.server.sent_to(4242) == []


async def test_an_update_the_database_cannot_take_is_answered_503_and_sent_again(
    hooked: tuple[World, WebhookOptions],
) -> None:
    world, _hook = hooked
    lock = sqlite3.connect(world.runtime.settings.db, timeout=10, isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")  # another process holds the write lock past the timeout
    try:
        world.user(MAO).send("/120 chest pain")
        await _until_refused(world, "503")
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    # Telegram (the sandbox) sends it again; now it is stored, and acted on once.
    await world.user(LI).wait_message("chest pain", timeout=30)
    await world.settle()
    assert len(await _stored(world)) == 1
    async with world.runtime.engine.connect() as conn:
        assert len(list(await conn.scalars(select(requests.c.id)))) == 1
