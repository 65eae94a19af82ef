"""The sandbox answers a real PTB ``Bot`` the way Telegram does."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, ReplyKeyboardMarkup
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.request import HTTPXRequest

from sandbox import Limits, SandboxServer
from sandbox.faults import Faults

# RetryAfter.retry_after warns about its future type; the value is what we check.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


def keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d) for t, d in pairs]])


async def test_html_message_with_inline_keyboard_arrives_as_plain_text(
    server: SandboxServer, bot: Bot
) -> None:
    alice = server.user(2001, first_name="茅建国", language_code="zh")
    sent = await bot.send_message(
        2001,
        "<b>Urgent</b> 😀 &lt;120&gt; <i>chest</i>",
        parse_mode="HTML",
        reply_markup=keyboard(("Take", "take:1")),
    )
    assert sent.text == "Urgent 😀 <120> chest"
    assert sent.from_user is not None and sent.from_user.username == "helpline_bot"
    message = alice.last
    assert message.text == "Urgent 😀 <120> chest"
    assert message.buttons == ["Take"]
    assert message.callback_data("Take") == "take:1"
    # the emoji counts as two UTF-16 units
    assert [(e["type"], e["offset"], e["length"]) for e in message.entities] == [
        ("bold", 0, 6),
        ("italic", 16, 5),
    ]
    assert server.sent_to(2001)[0].params["parse_mode"] == "HTML"


async def test_string_fields_stay_strings(server: SandboxServer, bot: Bot) -> None:
    server.user(2001)
    sent = await bot.send_message(2001, "42")
    assert sent.text == "42"
    assert server.calls[-1].params["text"] == "42"


async def test_text_limits(server: SandboxServer, bot: Bot) -> None:
    server.user(2001)
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(2001, "x" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(2001, "😀" * 2049)  # 4098 UTF-16 units
    await bot.send_message(2001, "😀" * 2048)
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(2001, "  ")
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(2001, "<blink>x</blink>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)message caption is too long"):
        await bot.send_photo(2001, b"img", caption="c" * 1025)
    assert server.calls[1].status == 400
    assert server.calls[1].response == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: message is too long",
    }


async def test_callback_data_over_64_bytes_is_refused(server: SandboxServer, bot: Bot) -> None:
    server.user(2001)
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(2001, "hi", reply_markup=keyboard(("Take", "x" * 65)))
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(2001, "hi", reply_markup=keyboard(("Take", "茅" * 22)))  # 66 bytes
    await bot.send_message(2001, "hi", reply_markup=keyboard(("Take", "x" * 64)))


async def test_unreachable_users(server: SandboxServer, bot: Bot) -> None:
    server.user(2001)
    server.block(2001)
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(2001, "hi")
    server.unblock(2001)
    await bot.send_message(2001, "hi")
    server.deactivate(2001)
    with pytest.raises(Forbidden, match=r"(?i)user is deactivated"):
        await bot.send_message(2001, "hi")
    server.chat_not_found(2001)
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(2001, "hi")
    server.user(3001, started=False)
    with pytest.raises(Forbidden, match=r"(?i)can't initiate conversation"):
        await bot.send_message(3001, "hi")
    # a user nobody declared exists and receives the message
    await bot.send_message(4001, "hello stranger")
    assert server.user(4001).last.text == "hello stranger"


async def test_injected_failures(server: SandboxServer, bot: Bot) -> None:
    server.user(2001)
    server.fail("sendMessage", status=429, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(2001, "hi")
    assert caught.value.retry_after in (7, timedelta(seconds=7))
    server.fail(chat_id=2001, status=502, times=2)
    for _ in range(2):
        with pytest.raises(NetworkError, match=r"(?i)Bad Gateway"):
            await bot.send_message(2001, "hi")
    await bot.send_message(2001, "finally")
    assert [m.text for m in server.user(2001).messages] == ["finally"]
    assert len(server.deliveries) == 1


async def test_dropped_connection_is_a_network_error_and_not_delivered(
    server: SandboxServer, bot: Bot
) -> None:
    alice = server.user(2001)
    server.drop_connection("sendMessage")
    with pytest.raises(NetworkError):
        await bot.send_message(2001, "lost")
    assert alice.messages == []
    assert server.calls[-1].status == 0


async def test_delayed_reply_times_out_but_message_was_delivered(server: SandboxServer) -> None:
    alice = server.user(2001)
    server.delay("sendMessage", seconds=3.0, deliver=True)
    request = HTTPXRequest(read_timeout=0.3)
    async with Bot("123:ABC", base_url=server.base_url, request=request) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(2001, "slow")
    assert alice.last.text == "slow"
    assert server.deliveries[-1].chat_id == 2001


async def test_flood_limits(server: SandboxServer, bot: Bot) -> None:
    server.user(2001)
    server.limits = Limits(chat_per_s=1, chat_burst=2)
    await bot.send_message(2001, "one")
    await bot.send_message(2001, "two")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(2001, "three")
    assert caught.value.retry_after in (1, timedelta(seconds=1))
    assert server.calls[-1].response is not None
    assert server.calls[-1].response["description"] == "Too Many Requests: retry after 1"
    await bot.send_message(2002, "another chat is not limited")


async def test_limits_true_and_random_429(bot: Bot) -> None:
    async with SandboxServer(limits=True) as srv:
        assert srv.limits == Limits()
    srv = SandboxServer(limits=Limits(random_429_rate=0.5, seed=1, chat_burst=100))
    async with srv, Bot("123:ABC", base_url=srv.base_url) as other:
        outcomes = []
        for i in range(20):
            try:
                await other.send_message(2001, f"m{i}")
                outcomes.append(True)
            except RetryAfter:
                outcomes.append(False)
    assert 0 < outcomes.count(False) < 20


async def test_get_updates_long_poll_and_offset(server: SandboxServer, bot: Bot) -> None:
    alice = server.user(2001, first_name="Alice")
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await _until_polling(server)
    sent = alice.send("/120 chest pain")
    updates = await poll
    assert len(updates) == 1
    message = updates[0].message
    assert message is not None and message.text == "/120 chest pain"
    assert message.message_id == sent["message_id"]
    assert message.entities[0].type == "bot_command" and message.entities[0].length == 4
    again = await bot.get_updates(timeout=0)
    assert [u.update_id for u in again] == [updates[0].update_id]  # not confirmed yet
    assert await bot.get_updates(offset=updates[0].update_id + 1, timeout=0) == ()


async def test_second_get_updates_conflicts_the_first(server: SandboxServer, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await _until_polling(server)
    async with Bot("123:ABC", base_url=server.base_url) as other_instance:
        assert await other_instance.get_updates(timeout=0) == ()
    with pytest.raises(Conflict, match=r"(?i)terminated by other getUpdates request"):
        await first


async def test_a_poller_polls_on_through_a_reset(server: SandboxServer, bot: Bot) -> None:
    """The demo's "start over" resets the sandbox under a polling bot: its long poll is
    not a conflict, and the next update's id is past every offset the bot confirmed."""
    alice = server.user(2001)
    alice.send("before")
    first = await bot.get_updates(timeout=0)
    before = server.state.poll_generation
    poll = asyncio.create_task(bot.get_updates(offset=first[-1].update_id + 1, timeout=5))
    await _until_polling(server, after=before)  # parked: the reset comes during the poll
    server.state.reset()
    server.user(2001).send("after")
    updates = await poll  # no Conflict
    assert [u.message.text for u in updates if u.message] == ["after"]
    assert updates[0].update_id > first[-1].update_id


async def _until_polling(server: SandboxServer, after: int = 0) -> None:
    """Wait (event based) until a getUpdates is parked on the server (one started after
    generation ``after``)."""
    await server.state.updates_signal.wait_for(
        lambda: True if server.state.poll_generation > after else None, timeout=5
    )


async def test_press_returns_the_bots_answer(server: SandboxServer, bot: Bot) -> None:
    alice = server.user(2001)
    await bot.send_message(2001, "Alert", reply_markup=keyboard(("Take it", "take:9")))

    async def answer_one() -> None:
        updates = await bot.get_updates(timeout=5)
        query = updates[0].callback_query
        assert query is not None and query.data == "take:9"
        assert query.message is not None and query.message.message_id == alice.last.message_id
        await bot.answer_callback_query(query.id, text="taken", show_alert=True)
        with pytest.raises(BadRequest, match=r"(?i)query is too old"):
            await bot.answer_callback_query(query.id)

    answering = asyncio.create_task(answer_one())
    answer = await alice.press(alice.last, "Take")
    assert (answer.text, answer.show_alert) == ("taken", True)
    await answering
    with pytest.raises(LookupError, match=r"(?i)no inline button 'Release'"):
        await alice.press(alice.last, "Release")


async def test_press_data_times_out_with_a_clear_error(server: SandboxServer, bot: Bot) -> None:
    alice = server.user(2001)
    await bot.send_message(2001, "Alert")
    with pytest.raises(TimeoutError, match=r"(?i)did not answer callback query 'forged'"):
        await alice.press_data(alice.last, "forged", timeout=0.05)


async def test_edit_message_text(server: SandboxServer, bot: Bot) -> None:
    alice = server.user(2001)
    sent = await bot.send_message(2001, "Alert", reply_markup=keyboard(("Take", "t")))
    waiting = asyncio.create_task(alice.wait_message(lambda m: "taken" in m.text))
    edited = await bot.edit_message_text("Alert — taken by Li", 2001, sent.message_id)
    assert isinstance(edited, object) and getattr(edited, "edit_date", None) is not None
    message = await waiting
    assert message.edited == 1 and message.buttons == []  # no markup given: keyboard removed
    assert [m.text for m in alice.messages] == ["Alert — taken by Li"]
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("Alert — taken by Li", 2001, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", 2001, 999)
    await bot.edit_message_reply_markup(2001, sent.message_id, reply_markup=keyboard(("Done", "d")))
    assert alice.last.buttons == ["Done"]
    assert await bot.delete_message(2001, sent.message_id)
    assert alice.messages == []


async def test_copy_users_photo_into_another_chat(server: SandboxServer, bot: Bot) -> None:
    alice = server.user(2001)
    li = server.user(1002)
    photo = alice.send_photo(caption="broken pallet", size=(800, 600))
    copied = await bot.copy_message(1002, 2001, photo["message_id"])
    message = li.last
    assert message.message_id == copied.message_id
    assert message.kind == "photo" and message.caption == "broken pallet"
    assert message.photo is not None and message.photo[-1]["width"] == 800
    file = await bot.get_file(message.photo[-1]["file_id"])
    assert bytes(await file.download_as_bytearray()).startswith(b"\xff\xd8")
    again = await bot.copy_message(
        1002, 2001, photo["message_id"], caption="<b>new</b>", parse_mode="HTML"
    )
    assert li.messages[-1].caption == "new" and again.message_id == message.message_id + 1


async def test_user_actions_become_updates(server: SandboxServer, bot: Bot) -> None:
    alice = server.user(2001)
    bot_message = await bot.send_message(
        2001, "Which?", reply_markup=ReplyKeyboardMarkup([["Fire", "Flood"]])
    )
    assert alice.keyboard == ["Fire", "Flood"]
    mine = alice.send("Fire", reply_to=alice.last)
    alice.edit(mine, "Flood")
    alice.send_voice(duration=4)
    alice.send_location(31.23, 121.47)
    alice.send_sticker()
    alice.send_document()
    server.push_update({"update_id": 500, "message": mine})
    server.push_update({"update_id": 500, "message": mine})
    updates = await bot.get_updates(timeout=0)
    first = updates[0].message
    assert first is not None and first.reply_to_message is not None
    assert first.reply_to_message.message_id == bot_message.message_id
    assert updates[1].edited_message is not None and updates[1].edited_message.text == "Flood"
    kinds = [u.message.effective_attachment.__class__.__name__ for u in updates[2:6] if u.message]
    assert kinds == ["Voice", "Location", "Sticker", "Document"]
    assert [u.update_id for u in updates[-2:]] == [500, 500]
    assert len({u.update_id for u in updates}) == len(updates) - 1


async def test_send_existing_file_id_and_settings(server: SandboxServer, bot: Bot) -> None:
    server.user(2001)
    first = await bot.send_voice(2001, b"OggS", duration=2)
    assert first.voice is not None
    again = await bot.send_voice(2001, first.voice.file_id)
    assert again.voice is not None and again.voice.file_id == first.voice.file_id
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_document(2001, "nope")
    await bot.send_chat_action(2001, "typing")
    location = await bot.send_location(2001, 31.2, 121.4)
    assert location.location is not None
    await bot.set_my_commands([("start", "Start"), ("mine", "My requests")])
    assert [c.command for c in await bot.get_my_commands()] == ["start", "mine"]
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    await bot.set_chat_menu_button()
    assert (await bot.get_webhook_info()).url == ""
    chat = await bot.get_chat(2001)
    assert chat.id == 2001
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("noSuchMethod")
    assert server.calls[-1].status == 404


async def test_a_request_cut_off_before_its_body_is_recorded_as_cut_off(
    server: SandboxServer,
) -> None:
    """kill -9 between a client's headers and its body: the call is kept with status 499,
    so a fault test can tell "handed to the network, never arrived" from "never sent"."""
    from sandbox.server import CUT_OFF

    reader, writer = await asyncio.open_connection(server.host, server.port)
    head = (
        "POST /bot123:TEST/sendMessage HTTP/1.1\r\nHost: x\r\n"
        "Content-Type: application/json\r\nContent-Length: 200\r\n\r\n"
    )
    writer.write(head.encode() + b'{"chat_id": 1')
    await writer.drain()
    writer.transport.abort()  # the process died: no body, no FIN handshake
    await server.wait_call(lambda c: c.status == CUT_OFF, 5)
    cut = [c for c in server.calls if c.status == CUT_OFF]
    assert [(c.method, c.params) for c in cut] == [("sendMessage", {})]
    del reader


async def test_edits_count_against_the_chat_limit(server: SandboxServer, bot: Bot) -> None:
    server.user(2001)
    server.limits = Limits(chat_per_s=1, chat_burst=2)
    sent = await bot.send_message(2001, "one")
    await bot.edit_message_text("one, edited", chat_id=2001, message_id=sent.message_id)
    with pytest.raises(RetryAfter):
        await bot.edit_message_text("one, again", chat_id=2001, message_id=sent.message_id)
    assert server.user(2001).last.text == "one, edited"


async def test_a_group_takes_twenty_a_minute() -> None:
    """The help line writes to private chats only, and the sandbox has no group chats to
    deliver to; the rule is checked where it lives, on the limiter."""
    faults = Faults()
    faults.limits = Limits(group_per_min=20, chat_burst=100, global_per_s=100)
    assert [await faults.check_limits("sendMessage", -1001) for _ in range(20)] == [None] * 20
    refused = await faults.check_limits("editMessageText", -1001)
    assert refused is not None and refused.code == 429
    assert refused.description == "Too Many Requests: retry after 3"
    assert await faults.check_limits("sendMessage", 2001) is None  # a private chat is not
