"""Bot API methods that do not produce messages: identity, updates, webhook, settings."""

from __future__ import annotations

import json
import time
from typing import Any

from telegram.constants import CallbackQueryLimit

from sandbox.api import JSON, ApiError, Params, bad_request, method
from sandbox.content import target_chat
from sandbox.state import State, Webhook

#: How long a callback query can still be answered (Telegram allows a few seconds).
CALLBACK_TTL = 15.0
#: Update kinds Telegram sends when ``allowed_updates`` is empty or absent.
_NOT_DEFAULT = {"chat_member", "message_reaction", "message_reaction_count"}
CONFLICT_POLL = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)


def _kind(update: JSON) -> str:
    return next((k for k in update if k != "update_id"), "")


def wanted(update: JSON, allowed: list[str] | None) -> bool:
    kind = _kind(update)
    return kind in allowed if allowed else kind not in _NOT_DEFAULT


def _number(p: Params, key: str, default: float) -> float:
    value = p.get(key, default)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise bad_request(f"wrong parameter {key}") from None


@method("getMe")
async def get_me(state: State, p: Params) -> JSON:
    return {
        **state.bot,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@method("getUpdates")
async def get_updates(state: State, p: Params) -> list[JSON]:
    """Long poll; a newer call ends an older waiting one with 409, as on Telegram."""
    if state.webhook is not None:
        raise ApiError(409, CONFLICT_WEBHOOK)
    state.poll_generation += 1
    mine = state.poll_generation
    state.updates_signal.notify()
    if isinstance(p.get("allowed_updates"), list):
        state.allowed_updates = [str(k) for k in p["allowed_updates"]] or None
    offset = p.get("offset")
    if isinstance(offset, int) and offset < 0:
        state.updates = state.updates[offset:]
    elif isinstance(offset, int) and offset > 0:
        state.updates = [u for u in state.updates if u["update_id"] >= offset]
    limit = min(100, max(1, int(_number(p, "limit", 100))))
    timeout = max(0.0, _number(p, "timeout", 0))

    def ready() -> list[JSON] | None:
        if state.closing:
            return []
        if state.poll_generation != mine:
            raise ApiError(409, CONFLICT_POLL)
        state.updates = [u for u in state.updates if wanted(u, state.allowed_updates)]
        return state.updates[:limit] or None

    try:
        return await state.updates_signal.wait_for(ready, timeout)
    except TimeoutError:
        return []


@method("setWebhook")
async def set_webhook(state: State, p: Params) -> bool:
    url = p.get("url") or ""
    if not url:
        return await delete_webhook(state, p)
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    allowed = p.get("allowed_updates") if isinstance(p.get("allowed_updates"), list) else None
    pending = [] if p.get("drop_pending_updates") else state.updates
    if state.webhook is not None:
        pending = [*(state.webhook_queue if not p.get("drop_pending_updates") else []), *pending]
    secret = p.get("secret_token")
    state.webhook = Webhook(
        url=url, secret_token=str(secret) if secret else None, allowed_updates=allowed
    )
    state.updates = []
    state.webhook_queue = pending
    state.poll_generation += 1
    state.updates_signal.notify()  # a waiting getUpdates ends with 409
    state.webhook_signal.notify()
    return True


@method("deleteWebhook")
async def delete_webhook(state: State, p: Params) -> bool:
    if state.webhook is not None:
        state.updates = [*state.webhook_queue, *state.updates]
        state.webhook_queue = []
        state.webhook = None
    if p.get("drop_pending_updates"):
        state.updates = []
    state.webhook_signal.notify()
    return True


@method("getWebhookInfo")
async def get_webhook_info(state: State, p: Params) -> JSON:
    hook = state.webhook
    info: JSON = {
        "url": hook.url if hook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(state.webhook_queue if hook else state.updates),
    }
    if hook is not None:
        info["max_connections"] = hook.max_connections
        if hook.allowed_updates:
            info["allowed_updates"] = hook.allowed_updates
        if hook.last_error_date is not None:
            info["last_error_date"] = hook.last_error_date
            info["last_error_message"] = hook.last_error_message
    return info


def _commands_key(p: Params) -> str:
    scope = p.get("scope") if isinstance(p.get("scope"), dict) else {"type": "default"}
    return json.dumps([scope, p.get("language_code") or ""], sort_keys=True)


@method("setMyCommands")
async def set_my_commands(state: State, p: Params) -> bool:
    commands = p.get("commands")
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    for command in commands:
        name = command.get("command", "") if isinstance(command, dict) else ""
        if not (1 <= len(name) <= 32) or not all(
            c.islower() or c.isdigit() or c == "_" for c in name
        ):
            raise bad_request("BOT_COMMAND_INVALID")
        if not (1 <= len(str(command.get("description", ""))) <= 256):
            raise bad_request("command description is empty")
    state.commands[_commands_key(p)] = commands
    return True


@method("getMyCommands")
async def get_my_commands(state: State, p: Params) -> list[Any]:
    return state.commands.get(_commands_key(p), [])


@method("deleteMyCommands")
async def delete_my_commands(state: State, p: Params) -> bool:
    state.commands.pop(_commands_key(p), None)
    return True


@method("setChatMenuButton")
async def set_chat_menu_button(state: State, p: Params) -> bool:
    given = p.get("menu_button")
    button: JSON = given if isinstance(given, dict) else {"type": "default"}
    state.menu_buttons[str(p.get("chat_id", ""))] = button
    return True


@method("getChatMenuButton")
async def get_chat_menu_button(state: State, p: Params) -> JSON:
    key = str(p.get("chat_id", ""))
    return state.menu_buttons.get(key) or state.menu_buttons.get("") or {"type": "commands"}


@method("answerCallbackQuery")
async def answer_callback_query(state: State, p: Params) -> bool:
    pending = state.callbacks.get(str(p.get("callback_query_id", "")))
    if (
        pending is None
        or pending.future.done()
        or time.monotonic() - pending.created > CALLBACK_TTL
    ):
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    text = p.get("text")
    if text is not None and len(str(text)) > CallbackQueryLimit.ANSWER_CALLBACK_QUERY_TEXT_LENGTH:
        raise bad_request("MESSAGE_TOO_LONG")
    pending.future.set_result(
        {
            "text": None if text is None else str(text),
            "show_alert": bool(p.get("show_alert")),
            "url": p.get("url"),
            "cache_time": p.get("cache_time"),
        }
    )
    return True


@method("getFile")
async def get_file(state: State, p: Params) -> JSON:
    stored = state.files.get(str(p.get("file_id", "")))
    if stored is None:
        raise bad_request("invalid file_id")
    return stored.as_file()


@method("getChat")
async def get_chat(state: State, p: Params) -> JSON:
    chat = target_chat(state, p, write=False)
    return {
        **chat.chat_json(),
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    }


async def _accept(state: State, p: Params) -> bool:
    """Settings the sandbox accepts and ignores: nothing in the tests reads them back."""
    return True


for _name in (
    "close",
    "logOut",
    "setMyDescription",
    "setMyShortDescription",
    "setMyName",
    "setMyDefaultAdministratorRights",
):
    method(_name)(_accept)
