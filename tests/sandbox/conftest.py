"""Fixtures: a running sandbox and a real PTB ``Bot`` pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot
from telegram.request import HTTPXRequest

from sandbox import SandboxServer

BOT_ID = 7_000_000_001


@pytest.fixture
async def server() -> AsyncIterator[SandboxServer]:
    async with SandboxServer(bot_id=BOT_ID, bot_username="helpline_bot") as srv:
        yield srv


@pytest.fixture
async def bot(server: SandboxServer) -> AsyncIterator[Bot]:
    request = HTTPXRequest(read_timeout=2.0, connect_timeout=2.0)
    async with Bot(
        token="123:ABC",
        base_url=server.base_url,
        base_file_url=server.base_file_url,
        request=request,
    ) as tg_bot:
        yield tg_bot
