"""End to end: a real PTB ``Application`` polling the sandbox answers simulated users."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from sandbox import SandboxServer


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None
    code = " ".join(context.args or []) or "-"
    await update.message.reply_text(
        f"<b>Welcome</b>, code {code}",
        parse_mode="HTML",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Take", callback_data="take:1")]]),
    )


async def take(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("You took it")
    await query.edit_message_text("Taken by you")


@pytest.fixture
async def application(server: SandboxServer) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    app = (
        ApplicationBuilder()
        .token("123:ABC")
        .base_url(server.base_url)
        .base_file_url(server.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(take, pattern=r"^take:"))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=5)
        yield app
        await app.updater.stop()
        await app.stop()


async def test_application_answers_start_and_buttons(
    server: SandboxServer,
    application: Application,  # type: ignore[type-arg]
) -> None:
    alice = server.user(2001, first_name="茅建国", language_code="zh")
    sent = alice.send("/start INVITE42")
    welcome = await alice.wait_message("Welcome")
    assert welcome.text == "Welcome, code INVITE42"
    assert welcome.reply_to is None
    assert welcome.message_id == sent["message_id"] + 1

    answer = await alice.press(welcome, "Take")
    assert answer.text == "You took it"
    edited = await alice.wait_message("Taken by you")
    assert edited.message_id == welcome.message_id and edited.edited == 1

    call = await server.wait_call("answerCallbackQuery")
    assert call.ok and call.params["text"] == "You took it"
    assert any(c.method == "getUpdates" and c.params.get("timeout") == 5 for c in server.calls)
