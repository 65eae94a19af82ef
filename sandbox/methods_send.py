"""Bot API methods that put a message into a chat (send*, copyMessage, forwardMessage)."""

from __future__ import annotations

import copy
from typing import Any

from sandbox.api import JSON, Params, bad_request, method
from sandbox.content import (
    CONTENT_KEYS,
    MEDIA_KEYS,
    caption_content,
    check_markup,
    format_text,
    int_param,
    media_json,
    new_bot_message,
    photo_sizes,
    resolve_file,
    target_chat,
)
from sandbox.state import State

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)


def _int_or(value: Any, default: int) -> int:
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else default


@method("sendMessage")
async def send_message(state: State, p: Params) -> JSON:
    chat = target_chat(state, p)
    markup = check_markup(p.get("reply_markup"))
    text, entities = format_text(
        p.get("text"), p.get("parse_mode"), p.get("entities"), caption=False
    )
    content: JSON = {"text": text}
    if entities:
        content["entities"] = entities
    return new_bot_message(state, chat, content, p, markup)


@method("sendPhoto")
async def send_photo(state: State, p: Params) -> JSON:
    chat = target_chat(state, p)
    markup = check_markup(p.get("reply_markup"))
    content = caption_content(p)
    stored = resolve_file(state, p, "photo", "photo")
    content["photo"] = photo_sizes(state, stored, 320, 320)
    return new_bot_message(state, chat, content, p, markup)


@method("sendVoice")
async def send_voice(state: State, p: Params) -> JSON:
    chat = target_chat(state, p)
    markup = check_markup(p.get("reply_markup"))
    content = caption_content(p)
    stored = resolve_file(state, p, "voice", "voice")
    content["voice"] = media_json(
        stored, duration=_int_or(p.get("duration"), 0), mime_type=stored.mime_type or "audio/ogg"
    )
    return new_bot_message(state, chat, content, p, markup)


@method("sendDocument")
async def send_document(state: State, p: Params) -> JSON:
    chat = target_chat(state, p)
    markup = check_markup(p.get("reply_markup"))
    content = caption_content(p)
    stored = resolve_file(state, p, "document", "document")
    content["document"] = media_json(stored, file_name=stored.file_name, mime_type=stored.mime_type)
    return new_bot_message(state, chat, content, p, markup)


@method("sendSticker")
async def send_sticker(state: State, p: Params) -> JSON:
    chat = target_chat(state, p)
    markup = check_markup(p.get("reply_markup"))
    stored = resolve_file(state, p, "sticker", "sticker")
    content: JSON = {
        "sticker": media_json(
            stored,
            type="regular",
            width=512,
            height=512,
            is_animated=False,
            is_video=False,
            emoji=p.get("emoji"),
        )
    }
    return new_bot_message(state, chat, content, p, markup)


@method("sendLocation")
async def send_location(state: State, p: Params) -> JSON:
    chat = target_chat(state, p)
    markup = check_markup(p.get("reply_markup"))
    try:
        latitude, longitude = float(p["latitude"]), float(p["longitude"])
    except (KeyError, TypeError, ValueError):
        raise bad_request("wrong latitude or longitude specified") from None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise bad_request("wrong latitude or longitude specified")
    location: JSON = {"latitude": latitude, "longitude": longitude}
    if p.get("horizontal_accuracy") is not None:
        location["horizontal_accuracy"] = p["horizontal_accuracy"]
    return new_bot_message(state, chat, {"location": location}, p, markup)


@method("sendChatAction")
async def send_chat_action(state: State, p: Params) -> bool:
    chat = target_chat(state, p)
    if p.get("action") not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    chat.last_action = str(p["action"])
    return True


def _source_message(state: State, p: Params, verb: str) -> JSON:
    source_chat = target_chat(state, p, key="from_chat_id", write=False)
    stored = state.message(source_chat, int_param(p, "message_id"))
    if stored is None:
        raise bad_request(f"message to {verb} not found")
    return stored.data


@method("copyMessage")
async def copy_message(state: State, p: Params) -> JSON:
    """Copy the content (not the sender) of any stored message, optionally re-captioned."""
    source = _source_message(state, p, "copy")
    chat = target_chat(state, p)
    markup = check_markup(p.get("reply_markup"))
    content = {k: copy.deepcopy(source[k]) for k in CONTENT_KEYS if k in source}
    has_media = any(k in content for k in MEDIA_KEYS)
    if has_media and "caption" in p:
        content.update(caption_content(p))
    elif has_media:
        for key in ("caption", "caption_entities"):
            if key in source:
                content[key] = copy.deepcopy(source[key])
    data = new_bot_message(state, chat, content, p, markup)
    return {"message_id": data["message_id"]}


@method("forwardMessage")
async def forward_message(state: State, p: Params) -> JSON:
    source = _source_message(state, p, "forward")
    chat = target_chat(state, p)
    keys = (*CONTENT_KEYS, "caption", "caption_entities")
    content = {k: copy.deepcopy(source[k]) for k in keys if k in source}
    content["forward_origin"] = {
        "type": "user",
        "sender_user": copy.deepcopy(source.get("from", state.bot)),
        "date": source["date"],
    }
    return new_bot_message(state, chat, content, p, None)
