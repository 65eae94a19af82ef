"""Bot API methods that change or remove a message the bot already sent."""

from __future__ import annotations

from typing import Any

from sandbox.api import JSON, Params, bad_request, method
from sandbox.content import MEDIA_KEYS, check_markup, format_text, int_param, target_chat
from sandbox.state import State, StoredMessage

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


def _editable(state: State, p: Params) -> StoredMessage:
    if p.get("inline_message_id"):
        raise bad_request("inline messages are not supported in sandbox")
    chat = target_chat(state, p)
    stored = state.message(chat, int_param(p, "message_id"))
    if stored is None:
        raise bad_request("message to edit not found")
    if not stored.from_bot:
        raise bad_request("message can't be edited")
    return stored


def _same(a: Any, b: Any) -> bool:
    return (a or None) == (b or None)


def _apply(
    state: State, stored: StoredMessage, changes: dict[str, Any], markup: JSON | None
) -> JSON:
    """Set ``changes`` (None removes a key) and the new markup, or 400 "not modified"."""
    data = stored.data
    current_markup = data.get("reply_markup")
    new_markup = markup if markup is not None and "inline_keyboard" in markup else None
    if all(_same(data.get(k), v) for k, v in changes.items()) and _same(current_markup, new_markup):
        raise bad_request(NOT_MODIFIED)
    for key, value in changes.items():
        if value:
            data[key] = value
        else:
            data.pop(key, None)
    if new_markup is None:
        data.pop("reply_markup", None)
    else:
        data["reply_markup"] = new_markup
    stored.markup = new_markup
    data["edit_date"] = state.now()
    stored.edits += 1
    state.touch(stored)
    return data


@method("editMessageText")
async def edit_message_text(state: State, p: Params) -> JSON:
    stored = _editable(state, p)
    markup = check_markup(p.get("reply_markup"))
    if "text" not in stored.data:
        raise bad_request("there is no text in the message to edit")
    text, entities = format_text(
        p.get("text"), p.get("parse_mode"), p.get("entities"), caption=False
    )
    changes: JSON = {"text": text, "entities": entities}
    if isinstance(p.get("link_preview_options"), dict):
        changes["link_preview_options"] = p["link_preview_options"]
    return _apply(state, stored, changes, markup)


@method("editMessageCaption")
async def edit_message_caption(state: State, p: Params) -> JSON:
    stored = _editable(state, p)
    markup = check_markup(p.get("reply_markup"))
    if not any(k in stored.data for k in MEDIA_KEYS):
        raise bad_request("there is no caption in the message to edit")
    text, entities = format_text(
        p.get("caption"), p.get("parse_mode"), p.get("caption_entities"), caption=True
    )
    return _apply(state, stored, {"caption": text, "caption_entities": entities}, markup)


@method("editMessageReplyMarkup")
async def edit_message_reply_markup(state: State, p: Params) -> JSON:
    stored = _editable(state, p)
    return _apply(state, stored, {}, check_markup(p.get("reply_markup")))


@method("deleteMessage")
async def delete_message(state: State, p: Params) -> bool:
    chat = target_chat(state, p, write=False)
    stored = state.message(chat, int_param(p, "message_id"))
    if stored is None:
        raise bad_request("message to delete not found")
    stored.deleted = True
    state.touch(stored)
    return True
