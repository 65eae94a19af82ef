"""Turn an outbox row (Bot API method + JSON parameters) into a PTB call."""

from __future__ import annotations

import base64
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, InputFile, Message, MessageId


def _markup(payload: dict[str, Any], bot: Bot) -> InlineKeyboardMarkup | None:
    raw = payload.get("reply_markup")
    return InlineKeyboardMarkup.de_json(raw, bot) if raw else None


async def call(bot: Bot, method: str, chat_id: int, payload: dict[str, Any]) -> int | None:
    """Perform the call; return the id of the message it produced (None for edits)."""
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
        # A chart rendered by the bot travels in the outbox as base64 PNG; a photo already
        # on Telegram as its file_id.
        photo: Any = payload.get("photo") or InputFile(
            base64.b64decode(payload["png_b64"]), filename="chart.png"
        )
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
        return None
    elif method == "editMessageReplyMarkup":
        await bot.edit_message_reply_markup(
            chat_id=chat_id, message_id=payload["message_id"], reply_markup=_markup(payload, bot)
        )
        return None
    else:
        raise ValueError(f"outbox method not supported: {method}")
    return sent.message_id if isinstance(sent, Message | MessageId) else None


EDITS = frozenset({"editMessageText", "editMessageReplyMarkup"})
