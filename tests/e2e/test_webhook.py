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
from storage.tables import inbox, invites, requests
from tests.e2e.conftest import CHEN, LI, MAO, ZHOU, World, world_at
from tests.moments import QUIET

SECRET = "s3cret-token_value"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(params=[SECRET])
async def hooked(
    tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[tuple[World, WebhookOptions]]:
    """Webhook mode with ``--secret-token`` (the parameter; None: run without one)."""
    port = _free_port()
    hook = WebhookOptions(f"http://127.0.0.1:{port}/telegram", "127.0.0.1", port, request.param)
    async with world_at(tmp_path, QUIET, webhook=hook) as world:
        yield world, hook


def _forged(update_id: int, text: str, sender_id: int = CHEN) -> dict[str, Any]:
    """A committee member's id (or ``sender_id``), an attacker's chat."""
    sender = {"id": sender_id, "is_bot": False, "first_name": "陈主任"}
    return {"update_id": update_id, "message": _command(text, sender, chat_id=4242)}


def _command(text: str, sender: dict[str, Any], chat_id: int) -> dict[str, Any]:
    """A message as Telegram sends it: a command carries its bot_command entity."""
    chat = {"id": chat_id, "type": "private", "first_name": sender["first_name"]}
    command = {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
    message = {"message_id": 1, "date": 0, "chat": chat, "from": sender, "text": text}
    return {**message, "entities": [command]}


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


@pytest.mark.parametrize("hooked", [None], indirect=True)
async def test_without_a_secret_token_one_is_made_and_every_post_must_carry_it(
    hooked: tuple[World, WebhookOptions],
) -> None:
    world, hook = hooked
    registered = world.server.state.webhook
    assert registered is not None and registered.secret_token is not None
    assert len(registered.secret_token) >= 32  # random, given to Telegram only
    world.user(MAO).send("/120 chest pain")  # Telegram (the sandbox) sends it, signed
    await world.user(LI).wait_message("chest pain")
    stored = await _stored(world)
    async with aiohttp.ClientSession() as attacker:
        for headers in ({}, {SECRET_HEADER: ""}, {SECRET_HEADER: "guess"}):
            async with attacker.post(
                hook.url, json=_forged(900, "/status 1"), headers=headers
            ) as r:
                assert r.status == 403
    await world.settle()
    assert await _stored(world) == stored
    assert world.server.sent_to(4242) == []


async def test_a_signed_update_whose_private_chat_is_not_its_senders_is_not_acted_on(
    hooked: tuple[World, WebhookOptions],
) -> None:
    """Even with the secret (a leaked one, a bug in a proxy), a committee member's id with
    an attacker's chat gets no timeline, no invite code and binds nobody."""
    world, hook = hooked
    world.user(MAO).send("/120 chest pain, my ID number is 310101199001011234")
    await world.user(LI).wait_message("chest pain")
    signed = {SECRET_HEADER: SECRET}
    async with aiohttp.ClientSession() as attacker:
        for update_id, text, sender in (
            (901, "/status 1", CHEN),
            (902, "/invite zheng", ZHOU),
            (903, "/cancel 1 forged", MAO),
        ):
            async with attacker.post(
                hook.url, json=_forged(update_id, text, sender), headers=signed
            ) as r:
                assert r.status == 200  # stored, as Telegram's would be; then not acted on
    await world.settle()
    assert world.server.sent_to(4242) == []
    assert world.user(CHEN).messages == [] and world.user(ZHOU).messages == []
    assert await world.count(invites) == 0
    async with world.runtime.engine.connect() as conn:
        states: list[str] = list(await conn.scalars(select(requests.c.state)))
        done: set[str] = set(
            await conn.scalars(select(inbox.c.status).where(inbox.c.update_id > 900))
        )
    assert states == ["open"] and done == {"done"}


async def test_the_same_update_posted_twice_is_acted_on_once(
    hooked: tuple[World, WebhookOptions],
) -> None:
    world, hook = hooked
    sender = {"id": MAO, "is_bot": False, "first_name": "茅建国"}
    update = {"update_id": 950, "message": _command("/120 fire", sender, chat_id=MAO)}
    async with aiohttp.ClientSession() as telegram:
        for _ in range(2):  # Telegram resends when it did not hear our 200 in time
            async with telegram.post(hook.url, json=update, headers={SECRET_HEADER: SECRET}) as r:
                assert r.status == 200
    await world.user(LI).wait_message("fire")
    await world.settle()
    assert await world.count(requests) == 1
    assert len([m for m in world.user(LI).messages if "fire" in m.text]) == 1


async def test_a_blocked_account_posting_by_webhook_is_stored_and_not_acted_on(
    hooked: tuple[World, WebhookOptions],
) -> None:
    world, hook = hooked
    stranger = {"id": 4343, "is_bot": False, "first_name": "Nobody"}
    world.user(CHEN).send("/status 1")  # warm: the committee's chat exists
    await world.user(CHEN).wait_message("There is no request #1")
    async with aiohttp.ClientSession() as telegram:
        first = {"update_id": 960, "message": _command("/120 spam", stranger, chat_id=4343)}
        async with telegram.post(hook.url, json=first, headers={SECRET_HEADER: SECRET}) as r:
            assert r.status == 200
        await world.user(CHEN).wait_message("spam")
        world.user(CHEN).send("/block 1 spam")
        await world.user(CHEN).wait_message("is blocked", timeout=30)  # slow under load
        again = {"update_id": 961, "message": _command("/120 new spam", stranger, chat_id=4343)}
        async with telegram.post(hook.url, json=again, headers={SECRET_HEADER: SECRET}) as r:
            assert r.status == 200  # Telegram must not send it again: it is stored
    await world.settle()
    assert await world.count(requests) == 1
    assert 961 in await _stored(world)
