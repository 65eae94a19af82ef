"""The ``/_sandbox/`` control API through ``SandboxClient``, the webhook and the CLI."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden

from sandbox import SandboxServer
from sandbox.client import SandboxClient, SandboxClientError

ROOT = Path(__file__).resolve().parents[2]


async def test_control_api_round_trip(server: SandboxServer, bot: Bot) -> None:
    async with SandboxClient(server.url) as client:
        info = await client.info()
        assert info["base_url"] == server.base_url
        user = await client.add_user(2001, "Alice", language_code="en")
        assert user == {"id": 2001, "is_bot": False, "first_name": "Alice", "language_code": "en"}

        sent = await client.send(2001, "/110 fire in hall 3")
        updates = await bot.get_updates(timeout=0)
        assert updates[0].message is not None
        assert updates[0].message.message_id == sent["message_id"]
        await client.send(2001, kind="photo", caption="smoke", size=[640, 480])
        await client.send(2001, kind="location", latitude=31.2, longitude=121.4)

        markup = InlineKeyboardMarkup([[InlineKeyboardButton("Take", callback_data="t:1")]])
        alert = await bot.send_message(2001, "Alert", reply_markup=markup)
        chat = await client.chat(2001)
        assert [m["kind"] for m in chat["messages"]] == ["text", "photo", "location", "text"]
        assert chat["messages"][-1]["buttons"] == ["Take"]

        async def answer() -> None:
            ups = await bot.get_updates(offset=updates[-1].update_id + 1, timeout=5)
            query = next(u.callback_query for u in ups if u.callback_query)
            await query.answer("ok!")

        answering = asyncio.create_task(answer())
        pressed = await client.press(2001, alert.message_id, button_text="Take")
        await answering
        assert pressed["text"] == "ok!"
        with pytest.raises(SandboxClientError) as caught:
            await client.press(2001, alert.message_id, button_text="Nope")
        assert caught.value.status == 400

        page = await client.calls(since=0)
        assert [c["seq"] for c in page["calls"]] == list(range(1, page["last_seq"] + 1))
        waiting = asyncio.create_task(client.calls(since=page["last_seq"], wait=5))
        await bot.send_message(2001, "later")
        later = await waiting
        assert later["calls"][0]["method"] == "sendMessage"
        assert (await client.wait_message(2001, "later"))["message"]["text"] == "later"
        assert [d["message_id"] for d in await client.deliveries()][-1] == later["calls"][0][
            "response"
        ]["result"]["message_id"]

        await client.block(2001)
        with pytest.raises(Forbidden):
            await bot.send_message(2001, "x")
        await client.unblock(2001)
        await client.fail(method="sendMessage", status=500)
        await client.set_limits(chat_per_s=1, chat_burst=5)
        assert server.limits is not None and server.limits.chat_burst == 5
        await client.set_limits(enabled=False)
        assert server.limits is None

        await client.reset()
        assert server.calls == [] and server.state.chats == {}
        assert (await client.calls(since=page["last_seq"]))["calls"] == []


async def test_webhook_delivery_with_secret(server: SandboxServer, bot: Bot) -> None:
    received: asyncio.Queue[tuple[str | None, dict[str, object]]] = asyncio.Queue()

    async def hook(request: web.Request) -> web.Response:
        await received.put(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        alice = server.user(2001)
        alice.send("queued before the webhook")
        await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cret")
        info = await bot.get_webhook_info()
        assert info.url.endswith("/hook")
        alice.send("after")
        first, second = await received.get(), await received.get()
        assert first[0] == "s3cret"
        assert [u[1]["message"]["text"] for u in (first, second)] == [  # type: ignore[index]
            "queued before the webhook",
            "after",
        ]
        await bot.delete_webhook()
        alice.send("polled again")
        updates = await bot.get_updates(timeout=0)
        assert [u.message.text for u in updates if u.message] == ["polled again"]
    finally:
        await runner.cleanup()


async def test_wait_message_timeout_dumps_the_chat(server: SandboxServer, bot: Bot) -> None:
    alice = server.user(2001, "Alice")
    alice.send("hello?")
    await bot.send_message(2001, "Menu")
    with pytest.raises(TimeoutError) as caught:
        await alice.wait_message("taken", timeout=0.05)
    assert "Menu" in str(caught.value) and "hello?" in str(caught.value)


def test_cli_refuses_non_loopback_host() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sandbox", "--host", "0.0.0.0", "--port", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "only listens on loopback" in done.stderr


def test_constructor_refuses_non_loopback_host() -> None:
    with pytest.raises(ValueError, match="loopback"):
        SandboxServer(host="192.168.1.5")


async def test_bot_replies_and_reset_with_webhook_then_stop(bot: Bot) -> None:
    server = SandboxServer()
    async with server:
        alice = server.user(2001, "Alice", language_code="en")
        assert server.user(2001).chat.language_code == "en"  # a lookup changes nothing
        mine = alice.send("help")
        async with Bot("123:ABC", base_url=server.base_url) as other:
            reply = await other.send_message(2001, "on it", reply_to_message_id=mine["message_id"])
            assert reply.reply_to_message is not None
            assert alice.last.reply_to == mine["message_id"]
            with pytest.raises(BadRequest, match=r"(?i)message to be replied not found"):
                await other.send_message(2001, "x", reply_to_message_id=999)
            await other.set_webhook("http://127.0.0.1:9/unreachable")
            alice.send("goes to a dead webhook")
            server.reset()
            assert server.state.webhook is None and server.users == {}
    assert server.state.closing
