"""Turn an outbox row (Bot API method + JSON parameters) into a PTB call."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import httpx
from telegram import Bot, InlineKeyboardMarkup, InputFile, Message, MessageId

from bot.i18n import t

# A 400 that means the chat is gone: the message is undeliverable, not wrong.
UNDELIVERABLE_400 = ("chat not found", "user not found", "peer_id_invalid")
# Failures that prove the request never left: no connection was made.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def _markup(payload: dict[str, Any], bot: Bot) -> InlineKeyboardMarkup | None:
    raw = payload.get("reply_markup")
    return InlineKeyboardMarkup.de_json(raw, bot) if raw else None


@dataclass(frozen=True)
class Sent:
    message_id: int | None  # None for edits
    file_id: str | None = None  # a photo's, to send it again without uploading it


async def call(bot: Bot, method: str, chat_id: int, payload: dict[str, Any]) -> Sent:
    """Perform the call; say which message it produced (and a photo's file_id)."""
    if method == "sendMessage":
        sent: Message | MessageId | bool = await bot.send_message(
            chat_id=chat_id, text=payload["text"], reply_markup=_markup(payload, bot)
        )
    elif method == "copyMessage":
        sent = await bot.copy_message(
            chat_id=chat_id,
            from_chat_id=payload["from_chat_id"],
            message_id=payload["message_id"],
            reply_markup=_markup(payload, bot),
        )
    elif method == "sendPhoto":
        # A chart rendered by the bot: its bytes (loaded by the dispatcher from
        # outbox_media), or base64 in the row; a photo already on Telegram: its file_id.
        raw = payload.get("png") or base64.b64decode(payload.get("png_b64") or "")
        photo: Any = payload.get("photo") or InputFile(raw, filename="chart.png")
        sent = await bot.send_photo(
            chat_id=chat_id,
            photo=photo,
            caption=payload.get("caption"),
            reply_markup=_markup(payload, bot),
        )
    elif method == "editMessageText":
        sent = await bot.edit_message_text(
            chat_id=chat_id,
            message_id=payload["message_id"],
            text=payload["text"],
            reply_markup=_markup(payload, bot),
        )
        return Sent(None)
    elif method == "editMessageReplyMarkup":
        await bot.edit_message_reply_markup(
            chat_id=chat_id, message_id=payload["message_id"], reply_markup=_markup(payload, bot)
        )
        return Sent(None)
    else:
        raise ValueError(f"outbox method not supported: {method}")
    if isinstance(sent, Message):
        return Sent(sent.message_id, sent.photo[-1].file_id if sent.photo else None)
    return Sent(sent.message_id if isinstance(sent, MessageId) else None)


EDITS = frozenset({"editMessageText", "editMessageReplyMarkup"})


def as_repeat(lang: str, method: str, original: dict[str, Any]) -> dict[str, Any]:
    """A send that may have arrived goes again marked "(repeat)" (its text, or a photo's
    caption); an edit is safe to repeat as it is."""
    payload = dict(original)
    if method in EDITS or payload.get("repeat"):
        return payload
    if "bundle" in payload:  # drawn when it leaves: the drawing says it
        payload["repeat"] = True
        return payload
    for field in ("text", "caption"):
        if field in payload or (field == "caption" and method == "sendPhoto"):
            payload[field] = t(lang, "(repeat) ") + str(payload.get(field) or "")
            payload["repeat"] = True
            break
    return payload
