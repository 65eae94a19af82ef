"""Reading Bot API parameters the way Telegram does, from any of the encodings PTB uses.

PTB sends form-urlencoded bodies in which every non-string value is a JSON string
(``reply_markup``, ``entities``, numbers, booleans) and multipart bodies when it uploads
files; other clients send JSON or query strings. Everything is normalised into one dict of
Python values so the method implementations never care about the transport. Fields that
are strings by definition stay strings even when they look like JSON (a message text of
``"42"`` or ``"true"`` must not become a number or a boolean).
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from sandbox.api import JSON, Params, Upload

STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "callback_query_id",
        "inline_message_id",
        "parse_mode",
        "url",
        "query",
        "title",
        "first_name",
        "last_name",
        "description",
        "short_description",
        "emoji",
        "name",
        "action",
        "language_code",
        "secret_token",
        "file_id",
        "photo",
        "voice",
        "document",
        "sticker",
        "video",
        "audio",
        "animation",
        "thumbnail",
        "address",
        "performer",
        "business_connection_id",
        "ip_address",
        "certificate",
        "message_effect_id",
        "custom_emoji_id",
    }
)
CHAT_FIELDS = frozenset({"chat_id", "from_chat_id", "user_id"})


def normalise_value(key: str, value: Any) -> Any:
    """One parameter as Telegram would interpret it."""
    if isinstance(value, Upload) or not isinstance(value, str):
        return value
    if key in CHAT_FIELDS:
        try:
            return int(value)
        except ValueError:
            return value
    if key in STRING_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def normalise(raw: dict[str, Any]) -> Params:
    return {key: normalise_value(key, value) for key, value in raw.items()}


def public_params(params: Params) -> JSON:
    """``params`` with uploads replaced by a short description, for the call record."""
    return {k: v.describe() if isinstance(v, Upload) else v for k, v in params.items()}


def _form_items(form: MultiDictProxy[Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in form.items():
        if isinstance(value, web.FileField):
            found[key] = Upload(key, value.filename, value.content_type, value.file.read())
        elif isinstance(value, bytes | bytearray):
            found[key] = value.decode("utf-8", "replace")
        else:
            found[key] = value
    return found


async def read_params(request: web.Request) -> Params:
    """Query string merged with the body (JSON, urlencoded or multipart), normalised.

    Raises ``ValueError`` for a body that cannot be read.
    """
    raw: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            body = await request.json()
            if not isinstance(body, dict):
                raise ValueError("JSON body must be an object")
            raw.update(body)
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            raw.update(_form_items(await request.post()))
    return normalise(raw)
