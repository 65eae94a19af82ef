"""Validation and construction helpers shared by the message-producing methods.

Each check answers with the error text real Telegram uses, because the bot's error
handling (retry, give up, mark a chat undeliverable) keys on those answers.
"""

from __future__ import annotations

from typing import Any

from telegram.constants import InlineKeyboardButtonLimit, MessageLimit

from sandbox.api import JSON, ApiError, Params, Upload, bad_request, utf16_len
from sandbox.html_entities import parse_html
from sandbox.state import Chat, State, StoredFile

BLOCKED = "Forbidden: bot was blocked by the user"
DEACTIVATED = "Forbidden: user is deactivated"
NOT_STARTED = "Forbidden: bot can't initiate conversation with a user"
CHAT_NOT_FOUND = "chat not found"
CONTENT_KEYS = ("text", "entities", "photo", "voice", "document", "location", "sticker")
MEDIA_KEYS = ("photo", "voice", "document", "sticker")


def target_chat(state: State, p: Params, key: str = "chat_id", write: bool = True) -> Chat:
    """The chat a call addresses, or the error Telegram gives for it.

    ``write`` calls (sending, editing, deleting) also fail for blocked, deactivated and
    never-started users; unknown positive ids are auto-created like a user the test did not
    declare but who exists on Telegram.
    """
    ref = p.get(key)
    if ref is None or ref == "":
        raise bad_request(f"{key} is empty")
    if not isinstance(ref, int | str):
        raise bad_request(CHAT_NOT_FOUND)
    chat = state.find_chat(ref, create=True)
    if chat is None or chat.status == "not_found":
        raise bad_request(CHAT_NOT_FOUND)
    if write:
        if chat.status == "blocked":
            raise ApiError(403, BLOCKED)
        if chat.status == "deactivated":
            raise ApiError(403, DEACTIVATED)
        if not chat.started:
            raise ApiError(403, NOT_STARTED)
    return chat


def int_param(p: Params, key: str) -> int:
    value = p.get(key)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise bad_request(f"{key} is empty" if value is None else f"wrong {key} specified")
    try:
        return int(value)
    except ValueError:
        raise bad_request(f"wrong {key} specified") from None


def check_markup(markup: Any) -> JSON | None:
    """Validate ``reply_markup`` (inline or reply keyboard, remove, force reply)."""
    if markup is None or markup == "":
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard")
    if rows is None:
        if not any(k in markup for k in ("keyboard", "remove_keyboard", "force_reply")):
            raise bad_request("can't parse reply keyboard markup JSON object")
        return markup
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise bad_request(
            "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
        )
    low, high = (
        InlineKeyboardButtonLimit.MIN_CALLBACK_DATA,
        InlineKeyboardButtonLimit.MAX_CALLBACK_DATA,
    )
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not button.get("text"):
                raise bad_request(
                    "can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard"
                )
            data = button.get("callback_data")
            if data is not None and not (low <= len(str(data).encode("utf-8")) <= high):
                raise bad_request("BUTTON_DATA_INVALID")
    return markup


def format_text(
    text: Any, parse_mode: Any, entities: Any, *, caption: bool
) -> tuple[str, list[JSON] | None]:
    """Apply ``parse_mode`` and the length/emptiness limits; return text and entities."""
    if text is None:
        text = ""
    if not isinstance(text, str):
        text = str(text)
    found: list[JSON] | None = entities if isinstance(entities, list) else None
    mode = parse_mode.lower() if isinstance(parse_mode, str) and parse_mode else None
    if mode == "html":
        text, found = parse_html(text)
    elif mode is not None:
        raise bad_request(
            f"can't parse entities: parse_mode {parse_mode} is unsupported in sandbox"
        )
    if caption:
        if utf16_len(text) > MessageLimit.CAPTION_LENGTH:
            raise bad_request("message caption is too long")
    else:
        if not text.strip():
            raise bad_request("message text is empty")
        if utf16_len(text) > MessageLimit.MAX_TEXT_LENGTH:
            raise bad_request("message is too long")
    return text, found or None


def reply_target(state: State, chat: Chat, p: Params) -> JSON | None:
    """The message being replied to, from ``reply_parameters`` or ``reply_to_message_id``."""
    params = p.get("reply_parameters")
    allow_missing = bool(p.get("allow_sending_without_reply"))
    if isinstance(params, dict):
        message_id = params.get("message_id")
        allow_missing = bool(params.get("allow_sending_without_reply", allow_missing))
        if params.get("chat_id") not in (None, chat.id):
            other = state.find_chat(params["chat_id"])
            chat = other if other is not None else chat
    else:
        message_id = p.get("reply_to_message_id")
    if message_id is None:
        return None
    stored = state.message(chat, int(message_id)) if isinstance(message_id, int | str) else None
    if stored is None:
        if allow_missing:
            return None
        raise bad_request("message to be replied not found")
    return {k: v for k, v in stored.data.items() if k != "reply_to_message"}


def new_bot_message(
    state: State, chat: Chat, content: JSON, p: Params, markup: JSON | None
) -> JSON:
    """Build, store and return a Message sent by the bot into ``chat``."""
    data: JSON = {
        "message_id": chat.take_message_id(),
        "from": dict(state.bot),
        "chat": chat.chat_json(),
        "date": state.now(),
    }
    replied = reply_target(state, chat, p)
    if replied is not None:
        data["reply_to_message"] = replied
    data.update(content)
    if markup is not None and "inline_keyboard" in markup:
        data["reply_markup"] = markup
    if p.get("protect_content"):
        data["has_protected_content"] = True
    if isinstance(p.get("link_preview_options"), dict):
        data["link_preview_options"] = p["link_preview_options"]
    if markup is not None and "keyboard" in markup:
        chat.keyboard = markup
    elif markup is not None and markup.get("remove_keyboard"):
        chat.keyboard = None
    state.add_message(chat, data, from_bot=True, markup=markup)
    return data


def resolve_file(state: State, p: Params, field: str, kind: str) -> StoredFile:
    """A file given as an upload, an ``attach://`` reference, a known file_id or a URL."""
    value = p.get(field)
    if isinstance(value, str) and value.startswith("attach://"):
        value = p.get(value[len("attach://") :])
    if isinstance(value, Upload):
        return state.files.add(kind, value.data, value.filename, value.content_type)
    if isinstance(value, str) and value:
        known = state.files.get(value)
        if known is not None:
            return known
        if value.startswith(("http://", "https://")):
            name = value.rstrip("/").rpartition("/")[2] or None
            return state.files.add(kind, b"", name)
    raise bad_request("wrong file identifier/HTTP URL specified")


def photo_sizes(state: State, stored: StoredFile, width: int, height: int) -> list[JSON]:
    """A thumbnail and the full size, as Telegram returns; the last one is the biggest."""
    thumb = state.files.add("photo", stored.data, None, stored.mime_type)
    scale = 90 / max(width, height, 1)
    small = (max(1, round(width * scale)), max(1, round(height * scale)))
    return [
        {
            "file_id": thumb.file_id,
            "file_unique_id": thumb.file_unique_id,
            "file_size": len(thumb.data),
            "width": small[0],
            "height": small[1],
        },
        {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "width": width,
            "height": height,
        },
    ]


def media_json(stored: StoredFile, **extra: Any) -> JSON:
    data: JSON = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.data),
    }
    data.update({k: v for k, v in extra.items() if v is not None})
    return data


def caption_content(p: Params) -> JSON:
    """``caption`` and ``caption_entities`` for a media message, when a caption is given."""
    if p.get("caption") in (None, ""):
        return {}
    text, entities = format_text(
        p["caption"], p.get("parse_mode"), p.get("caption_entities"), caption=True
    )
    content: JSON = {"caption": text}
    if entities:
        content["caption_entities"] = entities
    return content
