"""The ``/_sandbox/`` JSON control API: the Python API, for other processes.

Benchmarks, the crash test and the demo page run the sandbox out of process and drive it
through these routes (see ``sandbox.client.SandboxClient``). Answers use the Bot API
envelope (``{"ok": true, "result": ...}``) so one client helper reads both.

Every route is one ``ControlRoute`` (``sandbox/control_table.py``) in ``Control.routes``:
the same table mounts the routes and answers ``GET /_sandbox/`` with their list, so a
route cannot exist undocumented. Its description is the first paragraph of its handler's
docstring, so the listing, the code and ``help()`` say the same thing.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from sandbox.api import JSON
from sandbox.control_table import ControlRoute, Route, fault_actions
from sandbox.users import SentMessage, SimUser

if TYPE_CHECKING:
    from sandbox.server import SandboxServer

PREFIX = "/_sandbox"

# Names, messages and buttons are Chinese: written as is (UTF-8) so that ``curl`` shows
# 张三 rather than \u5f20\u4e09. Still valid JSON for every client.
_dumps = functools.partial(json.dumps, ensure_ascii=False)


class ControlError(Exception):
    """A request the control API refuses: answered in the envelope with ``status``."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status


def json_response(data: Any, status: int = 200) -> web.Response:
    """A JSON answer in UTF-8 (``application/json; charset=utf-8``), Chinese unescaped."""
    return web.json_response(data, status=status, dumps=_dumps)


def _ok(result: Any) -> web.Response:
    return json_response({"ok": True, "result": result})


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
    """Route handlers bound to one server, and the table that mounts and lists them."""

    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        self.fault_actions = fault_actions(server)
        self.routes = self._routes()

    def _routes(self) -> list[ControlRoute]:
        user_id = "integer, required: the simulated user (and their private chat)"
        timeout = "seconds to wait, default 5 (then 504)"
        return [
            ControlRoute("GET", f"{PREFIX}/", self.index, aliases=(PREFIX,)),
            ControlRoute("GET", f"{PREFIX}/info", self.info),
            ControlRoute(
                "POST",
                f"{PREFIX}/users",
                self.add_user,
                body={
                    "id": "integer, required: the user id",
                    "first_name": "default User<id> (or the name already known)",
                    "last_name": "optional",
                    "username": "optional",
                    "language_code": "optional, e.g. zh or en",
                    "started": "default true; false: never pressed Start (the bot gets 403)",
                },
            ),
            ControlRoute("GET", f"{PREFIX}/chats", self.list_chats),
            ControlRoute("GET", f"{PREFIX}/chats/{{user_id}}", self.chat),
            ControlRoute(
                "POST",
                f"{PREFIX}/send",
                self.send,
                body={
                    "user_id": user_id,
                    "kind": "text (default), photo, voice, location, sticker, document or edit",
                    "text": "text and edit: the text (a /command gets its entity)",
                    "reply_to_message_id": "text: the message it replies to",
                    "caption": "photo and document: optional caption",
                    "size": "photo: [width, height], default [1280, 960]",
                    "duration": "voice: seconds, default 3",
                    "latitude": "location: required",
                    "longitude": "location: required",
                    "emoji": "sticker: default 👍",
                    "file_name": "document: default document.pdf",
                    "message_id": "edit: required, one of the user's own messages",
                },
            ),
            ControlRoute(
                "POST",
                f"{PREFIX}/press",
                self.press,
                body={
                    "user_id": user_id,
                    "message_id": "integer, required: the message carrying the button",
                    "button_text": "the button's label (exact, else the first containing it)",
                    "data": "instead of button_text: callback data sent as is (forged)",
                    "timeout": timeout,
                },
            ),
            ControlRoute(
                "POST",
                f"{PREFIX}/wait_message",
                self.wait_message,
                body={
                    "user_id": user_id,
                    "contains": "substring of the text or caption, default any",
                    "timeout": timeout,
                    "since": "change cursor, default the user's last action",
                },
            ),
            ControlRoute(
                "GET",
                f"{PREFIX}/calls",
                self.calls,
                query={
                    "since": "only calls with seq > since, default 0",
                    "wait": "seconds to long-poll for the first new call, default 0, max 60",
                },
            ),
            ControlRoute(
                "GET",
                f"{PREFIX}/deliveries",
                self.deliveries,
                query={"since": "only deliveries with seq > since, default 0"},
            ),
            ControlRoute(
                "POST",
                f"{PREFIX}/updates",
                self.push_update,
                body={
                    "update_id": "optional: assigned if absent",
                    "*": "any Update field (message, callback_query, ...), passed on as is",
                },
            ),
            ControlRoute(
                "POST",
                f"{PREFIX}/faults",
                self.faults,
                body={
                    "action": "required: " + ", ".join(self.fault_actions),
                    "*": "the action's own fields (see actions)",
                },
                actions=self.fault_actions,
            ),
            ControlRoute("POST", f"{PREFIX}/reset", self.reset),
        ]

    def _user(self, user_id: Any) -> SimUser:
        try:
            uid = int(user_id)
        except (TypeError, ValueError):
            raise ControlError(400, "user_id must be an integer") from None
        sim = self.server.users.get(uid)
        return sim if sim is not None else self.server.user(uid)

    async def index(self, request: web.Request) -> web.StreamResponse:
        """Every control route with its body or query fields, and the fault actions.

        Generated from the table that mounts the routes, so it cannot miss one.
        """
        return _ok({"routes": [route.as_json() for route in self.routes]})

    async def info(self, request: web.Request) -> web.StreamResponse:
        """The Bot API's base_url and base_file_url, and the bot user: what a bot needs."""
        srv = self.server
        return _ok(
            {"base_url": srv.base_url, "base_file_url": srv.base_file_url, "bot": srv.state.bot}
        )

    async def add_user(self, request: web.Request) -> web.StreamResponse:
        """Register a simulated user with a private chat with the bot (or change a known one).

        Users are also created on first use by any route that names a user_id.
        """
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
        """Every private chat: the user, its status, whether they started the bot, and how
        many messages it holds."""
        chats = [
            {**c.user_json(), "status": c.status, "started": c.started, "messages": len(c.messages)}
            for c in self.server.state.chats.values()
        ]
        return _ok(chats)

    async def chat(self, request: web.Request) -> web.StreamResponse:
        """What one user's phone shows: every message (buttons, edits, deletions), the
        reply keyboard and the chat's status."""
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
        """Send a message to the bot as a user (text, photo, voice, location, sticker,
        document) or edit one of theirs; the bot gets it as an update."""
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
        """Press an inline button as a user and wait for the bot's answerCallbackQuery;
        returns that answer (504 if the bot does not answer in time)."""
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
        """Wait for a bot message to the user, new or edited since their last action, that
        contains a text (504 with the chat's contents if none comes in time)."""
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
        """The bot's Bot API calls, in order, after a cursor; long-polls for new ones.

        Returns ``last_seq``: the cursor for the next page.
        """
        since = int(request.query.get("since", 0))
        wait = min(float(request.query.get("wait", 0)), 60.0)
        found = await self.server.recorder.wait_since(since, wait)
        return _ok(
            {"calls": [c.as_json() for c in found], "last_seq": self.server.recorder.last_seq}
        )

    async def deliveries(self, request: web.Request) -> web.StreamResponse:
        """The messages the bot delivered (chat, message_id, times), after a cursor."""
        since = int(request.query.get("since", 0))
        return _ok([d.as_json() for d in self.server.deliveries if d.seq > since])

    async def push_update(self, request: web.Request) -> web.StreamResponse:
        """Queue a raw update for the bot (replays, malformed updates) exactly as given."""
        return _ok(self.server.push_update(await _body(request)))

    async def faults(self, request: web.Request) -> web.StreamResponse:
        """Inject a fault: a blocked or vanished user, failed, delayed or dropped calls,
        or Telegram's flood limits (one action per call)."""
        body = await _body(request)
        action = body.pop("action", None)
        fault = self.fault_actions.get(action) if isinstance(action, str) else None
        if fault is None:
            known = ", ".join(self.fault_actions)
            raise ControlError(400, f"unknown action {action!r} (one of {known})")
        try:
            return _ok(fault.apply(body))
        except (KeyError, TypeError, ValueError) as exc:
            raise ControlError(400, f"bad fault {action!r}: {exc}") from None

    async def reset(self, request: web.Request) -> web.StreamResponse:
        """Forget users, messages, updates, calls and fault rules, as a fresh start
        (the bot's identity and flood limits stay)."""
        self.server.reset()
        return _ok(True)


def _guard(handler: Route) -> Route:
    """Answer a refused request in the envelope, never with aiohttp's text error page: a
    client reads ``description`` instead of guessing. A number that is not one (a bad
    ``since``, ``id`` or ``timeout``) is the client's mistake too, so a 400, not a 500."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except ControlError as exc:
            error = {"ok": False, "error_code": exc.status, "description": str(exc)}
            return json_response(error, status=exc.status)
        except (KeyError, TypeError, ValueError) as exc:
            error = {"ok": False, "error_code": 400, "description": f"bad request: {exc}"}
            return json_response(error, status=400)

    return wrapped


def add_control_routes(app: web.Application, server: SandboxServer) -> Control:
    """Mount the control API under ``/_sandbox/``, every route of ``Control.routes``."""
    control = Control(server)
    for route in control.routes:
        for path in (route.path, *route.aliases):
            app.router.add_route(route.method, path, _guard(route.handler))
    return control
