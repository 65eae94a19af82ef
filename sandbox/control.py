"""The ``/_sandbox/`` JSON control API: the Python API, for other processes.

Benchmarks, the crash test and the demo page run the sandbox out of process and drive it
through these routes (see ``sandbox.client.SandboxClient``). Answers use the Bot API
envelope (``{"ok": true, "result": ...}``) so one client helper reads both.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from sandbox.api import JSON
from sandbox.faults import Limits
from sandbox.users import SentMessage, SimUser

if TYPE_CHECKING:
    from sandbox.server import SandboxServer

Route = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ControlError(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _message_json(view: SentMessage) -> JSON:
    return {
        "message": view.raw,
        "from_bot": view.from_bot,
        "kind": view.kind,
        "edits": view.edited,
        "deleted": view.deleted,
        "buttons": view.buttons,
        "reply_markup": view.reply_markup,
    }


async def _body(request: web.Request) -> JSON:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except ValueError:
        raise ControlError(400, "body must be JSON") from None
    if not isinstance(body, dict):
        raise ControlError(400, "body must be a JSON object")
    return body


class Control:
    """Route handlers bound to one server."""

    def __init__(self, server: SandboxServer) -> None:
        self.server = server

    def _user(self, user_id: Any) -> SimUser:
        try:
            uid = int(user_id)
        except (TypeError, ValueError):
            raise ControlError(400, "user_id must be an integer") from None
        sim = self.server.users.get(uid)
        return sim if sim is not None else self.server.user(uid)

    async def info(self, request: web.Request) -> web.StreamResponse:
        srv = self.server
        return _ok(
            {"base_url": srv.base_url, "base_file_url": srv.base_file_url, "bot": srv.state.bot}
        )

    async def add_user(self, request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        if "id" not in body:
            raise ControlError(400, "id is required")
        fields = {k: body.get(k) for k in ("last_name", "username", "language_code")}
        sim = self.server.user(
            int(body["id"]),
            body.get("first_name"),
            started=bool(body.get("started", True)),
            **fields,
        )
        return _ok(sim.user_json)

    async def list_chats(self, request: web.Request) -> web.StreamResponse:
        chats = [
            {**c.user_json(), "status": c.status, "started": c.started, "messages": len(c.messages)}
            for c in self.server.state.chats.values()
        ]
        return _ok(chats)

    async def chat(self, request: web.Request) -> web.StreamResponse:
        sim = self._user(request.match_info["user_id"])
        return _ok(
            {
                "user": sim.user_json,
                "status": sim.chat.status,
                "keyboard": sim.keyboard,
                "last_action": sim.chat.last_action,
                "messages": [_message_json(m) for m in sim.history],
            }
        )

    async def send(self, request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        sim = self._user(body.get("user_id"))
        kind = body.get("kind", "text")
        try:
            if kind == "text":
                result = sim.send(
                    str(body.get("text", "")), reply_to=body.get("reply_to_message_id")
                )
            elif kind == "photo":
                size = body.get("size") or (1280, 960)
                result = sim.send_photo(body.get("caption"), size=(int(size[0]), int(size[1])))
            elif kind == "voice":
                result = sim.send_voice(int(body.get("duration", 3)))
            elif kind == "location":
                result = sim.send_location(float(body["latitude"]), float(body["longitude"]))
            elif kind == "sticker":
                result = sim.send_sticker(str(body.get("emoji", "👍")))
            elif kind == "document":
                result = sim.send_document(
                    file_name=str(body.get("file_name", "document.pdf")),
                    caption=body.get("caption"),
                )
            elif kind == "edit":
                result = sim.edit(int(body["message_id"]), str(body.get("text", "")))
            else:
                raise ControlError(400, f"unknown kind {kind!r}")
        except (KeyError, LookupError, TypeError, ValueError) as exc:
            raise ControlError(400, f"cannot send: {exc}") from None
        return _ok(result)

    async def press(self, request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        sim = self._user(body.get("user_id"))
        timeout = float(body.get("timeout", 5.0))
        try:
            if "data" in body:
                answer = await sim.press_data(int(body["message_id"]), str(body["data"]), timeout)
            else:
                answer = await sim.press(int(body["message_id"]), str(body["button_text"]), timeout)
        except (KeyError, LookupError) as exc:
            raise ControlError(400, f"cannot press: {exc}") from None
        except TimeoutError as exc:
            raise ControlError(504, str(exc)) from None
        return _ok(dataclasses.asdict(answer))

    async def wait_message(self, request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        sim = self._user(body.get("user_id"))
        try:
            view = await sim.wait_message(
                str(body.get("contains", "")), float(body.get("timeout", 5.0)), body.get("since")
            )
        except TimeoutError as exc:
            raise ControlError(504, str(exc)) from None
        return _ok(_message_json(view))

    async def calls(self, request: web.Request) -> web.StreamResponse:
        since = int(request.query.get("since", 0))
        wait = min(float(request.query.get("wait", 0)), 60.0)
        found = await self.server.recorder.wait_since(since, wait)
        return _ok(
            {"calls": [c.as_json() for c in found], "last_seq": self.server.recorder.last_seq}
        )

    async def deliveries(self, request: web.Request) -> web.StreamResponse:
        since = int(request.query.get("since", 0))
        return _ok([d.as_json() for d in self.server.deliveries if d.seq > since])

    async def push_update(self, request: web.Request) -> web.StreamResponse:
        return _ok(self.server.push_update(await _body(request)))

    async def faults(self, request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        action = body.pop("action", None)
        srv = self.server
        chat_actions = {
            "block": srv.block,
            "unblock": srv.unblock,
            "deactivate": srv.deactivate,
            "chat_not_found": srv.chat_not_found,
        }
        try:
            if action in chat_actions:
                chat_actions[action](int(body["chat_id"]))
                return _ok(True)
            if action == "fail":
                return _ok(dataclasses.asdict(srv.fail(**body)))
            if action == "delay":
                return _ok(dataclasses.asdict(srv.delay(**body)))
            if action == "drop_connection":
                return _ok(dataclasses.asdict(srv.drop_connection(**body)))
            if action == "limits":
                enabled = body.pop("enabled", True) is not False
                srv.limits = Limits(**body) if enabled else None
                return _ok(None if srv.limits is None else dataclasses.asdict(srv.limits))
            if action == "clear":
                srv.faults.rules.clear()
                return _ok(True)
        except (KeyError, TypeError, ValueError) as exc:
            raise ControlError(400, f"bad fault {action!r}: {exc}") from None
        raise ControlError(400, f"unknown action {action!r}")

    async def reset(self, request: web.Request) -> web.StreamResponse:
        self.server.reset()
        return _ok(True)


def _guard(handler: Route) -> Route:
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except ControlError as exc:
            return web.json_response(
                {"ok": False, "error_code": exc.status, "description": str(exc)}, status=exc.status
            )

    return wrapped


def add_control_routes(app: web.Application, server: SandboxServer) -> None:
    """Mount the control API under ``/_sandbox/``."""
    c = Control(server)
    routes: list[tuple[str, str, Route]] = [
        ("GET", "/_sandbox/info", c.info),
        ("POST", "/_sandbox/users", c.add_user),
        ("GET", "/_sandbox/chats", c.list_chats),
        ("GET", "/_sandbox/chats/{user_id}", c.chat),
        ("POST", "/_sandbox/send", c.send),
        ("POST", "/_sandbox/press", c.press),
        ("POST", "/_sandbox/wait_message", c.wait_message),
        ("GET", "/_sandbox/calls", c.calls),
        ("GET", "/_sandbox/deliveries", c.deliveries),
        ("POST", "/_sandbox/updates", c.push_update),
        ("POST", "/_sandbox/faults", c.faults),
        ("POST", "/_sandbox/reset", c.reset),
    ]
    for verb, path, handler in routes:
        app.router.add_route(verb, path, _guard(handler))
