"""The sandbox Bot API server: an aiohttp app on a loopback address.

The bot under test is a real python-telegram-bot ``Application`` pointed at
``server.base_url``; tests, benchmarks and the demo drive the simulated users and faults
through this object (in process) or through ``/_sandbox/`` (out of process).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import ipaddress
import logging
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

from aiohttp import web

from sandbox import methods_core, methods_edit, methods_send  # noqa: F401  (registration)
from sandbox.api import JSON, MESSAGE_METHODS, ApiError, MethodEntry, Params, lookup
from sandbox.faults import FaultRule, Faults, Limits
from sandbox.params import public_params, read_params
from sandbox.records import Call, Delivery, Recorder
from sandbox.state import Chat, State
from sandbox.users import SimUser
from sandbox.webhook import run_webhook

log = logging.getLogger(__name__)
DEFAULT_BOT_ID = 7_000_000_001
INTERNAL_ERROR: JSON = {"ok": False, "error_code": 500, "description": "Internal Server Error"}


def ensure_loopback(host: str) -> str:
    """Refuse to listen anywhere but loopback: the sandbox accepts any token and has no auth."""
    if host == "localhost":
        return host
    try:
        if ipaddress.ip_address(host).is_loopback:
            return host
    except ValueError:
        pass
    raise ValueError(
        f"the sandbox only listens on loopback addresses (127.0.0.1, ::1), not {host!r}"
    )


class SandboxServer:
    """A local Telegram for one bot; also an async context manager (start/stop)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        bot_id: int = DEFAULT_BOT_ID,
        bot_username: str = "helpline_bot",
        bot_first_name: str = "Helpline",
        clock: Callable[[], float] = time.time,
        limits: Limits | bool | None = None,
    ) -> None:
        self.host = ensure_loopback(host)
        self.port = port
        bot: JSON = {"id": bot_id, "is_bot": True, "first_name": bot_first_name}
        bot["username"] = bot_username
        self.state = State(bot, clock)
        self.faults = Faults()
        self.recorder = Recorder()
        self.limits = Limits() if limits is True else (limits or None)
        self.users: dict[int, SimUser] = {}
        self.app = build_app(self)
        self._runner: web.AppRunner | None = None
        self._stopped = asyncio.Event()
        self._webhook_task: asyncio.Task[None] | None = None

    # lifecycle ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url(...)`` / ``Bot(base_url=...)``."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    async def start(self) -> SandboxServer:
        self.state.closing = False
        self._stopped.clear()
        # No access log: every call is in ``calls`` already, and a line per long poll
        # would bury the bot's own log in the demo's terminal.
        self._runner = web.AppRunner(
            self.app, handle_signals=False, shutdown_timeout=1.0, access_log=None
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        if self.port == 0 and self._runner.addresses:
            self.port = int(self._runner.addresses[0][1])
        self._webhook_task = asyncio.create_task(run_webhook(self.state, self._stopped))
        return self

    async def stop(self) -> None:
        """End long polls and held responses at once, then close the listener."""
        self.state.closing = True
        self._stopped.set()
        self.state.updates_signal.notify()
        self.state.webhook_signal.notify()
        self._abandon_callbacks("the sandbox stopped")
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> SandboxServer:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def reset(self) -> None:
        """Forget users, messages, updates, calls and faults (bot identity and limits stay)."""
        self._abandon_callbacks("the sandbox was reset")
        self.state.reset()
        self.recorder.clear()
        self.faults.rules.clear()
        self.faults.limits = self.faults.limits
        self.users.clear()

    def _abandon_callbacks(self, why: str) -> None:
        for pending in self.state.callbacks.values():
            if not pending.future.done():
                pending.future.set_exception(RuntimeError(f"callback query abandoned: {why}"))
                pending.future.exception()  # mark retrieved: nobody may be waiting any more

    # users -------------------------------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str | None = None,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        started: bool | None = None,
    ) -> SimUser:
        """Register a simulated user with a private chat with the bot, or look one up.

        For a known user only the fields given (not None) change. ``started=False`` makes
        the bot's first message fail as for a user who never pressed Start.
        """
        known = self.state.chats.get(user_id)
        given = {
            "last_name": last_name,
            "username": username,
            "language_code": language_code,
            "started": started,
        }
        fields = {k: v for k, v in given.items() if v is not None}
        chat = self.state.add_chat(
            user_id, first_name or (known.first_name if known else f"User{user_id}"), **fields
        )
        sim = self.users.get(user_id)
        if sim is None or sim.chat is not chat:
            sim = self.users[user_id] = SimUser(self, chat)
        return sim

    def chat(self, chat_id: int) -> Chat:
        chat = self.state.find_chat(chat_id, create=True)
        if chat is None:
            raise KeyError(f"no chat {chat_id}")
        return chat

    def push_update(self, update: JSON) -> JSON:
        """Inject a raw update (replays, garbage); an ``update_id`` is assigned if absent."""
        return self.state.push_update(update)

    # faults ------------------------------------------------------------------------------

    def block(self, chat_id: int) -> None:
        self.chat(chat_id).status = "blocked"

    def deactivate(self, chat_id: int) -> None:
        self.chat(chat_id).status = "deactivated"

    def chat_not_found(self, chat_id: int) -> None:
        self.chat(chat_id).status = "not_found"

    def unblock(self, chat_id: int) -> None:
        self.chat(chat_id).status = "ok"

    def fail(
        self,
        method: str | None = None,
        chat_id: int | str | None = None,
        status: int = 429,
        retry_after: int = 1,
        times: int = 1,
        description: str | None = None,
    ) -> FaultRule:
        """The next ``times`` matching calls fail (429 with retry_after, 500, 502, ...)."""
        return self.faults.add(
            FaultRule("fail", method, chat_id, times, status, retry_after, description=description)
        )

    def delay(
        self,
        method: str | None = None,
        chat_id: int | str | None = None,
        seconds: float = 1.0,
        times: int = 1,
        deliver: bool = True,
        containing: str | None = None,
    ) -> FaultRule:
        """Hold the response ``seconds``; with ``deliver`` the call still takes effect first.
        ``containing``: only a message whose text contains it."""
        return self.faults.add(
            FaultRule(
                "delay",
                method,
                chat_id,
                times,
                seconds=seconds,
                deliver=deliver,
                containing=containing,
            )
        )

    def drop_connection(
        self, method: str | None = None, times: int = 1, chat_id: int | str | None = None
    ) -> FaultRule:
        """Close the connection without answering; the call has no effect."""
        return self.faults.add(FaultRule("drop", method, chat_id, times))

    @property
    def limits(self) -> Limits | None:
        return self.faults.limits

    @limits.setter
    def limits(self, value: Limits | None) -> None:
        self.faults.limits = value

    # record ------------------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        return self.recorder.calls

    @property
    def deliveries(self) -> list[Delivery]:
        return self.recorder.deliveries

    async def wait_call(
        self,
        predicate: Callable[[Call], bool] | str,
        timeout: float = 5.0,  # noqa: ASYNC109 (the waiting API takes a timeout by design)
    ) -> Call:
        """Wait for a call matching ``predicate`` (or with that method name)."""
        if isinstance(predicate, str):
            name = predicate.lower()
            return await self.recorder.wait_call(lambda c: c.method.lower() == name, timeout)
        return await self.recorder.wait_call(predicate, timeout)

    def sent_to(self, chat_id: int | str) -> list[Call]:
        """Successful message-producing calls addressed to ``chat_id``."""
        return [
            c for c in self.calls if c.ok and c.method in MESSAGE_METHODS and c.chat_id == chat_id
        ]

    # HTTP --------------------------------------------------------------------------------

    async def _hold(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopped.wait(), seconds)

    async def _perform(
        self, entry: MethodEntry | None, name: str, params: Params
    ) -> tuple[int, JSON]:
        try:
            if entry is None:
                raise ApiError(404, "Not Found")
            chat_id = params.get("chat_id")
            rule = self.faults.take("fail", name, chat_id, params.get("text"))
            if rule is not None:
                raise rule.error()
            limited = await self.faults.check_limits(name, chat_id)
            if limited is not None:
                raise limited
            result = await entry.handler(self.state, params)
            return 200, {"ok": True, "result": copy.deepcopy(result)}
        except ApiError as error:
            return error.code, error.payload()
        except Exception:
            log.exception("sandbox method %s failed", name)
            return 500, dict(INTERNAL_ERROR)

    async def handle_api(self, request: web.Request) -> web.StreamResponse:
        t0, wall0 = time.monotonic(), self.state.clock()
        entry = lookup(request.match_info["method"])
        name = entry.name if entry else request.match_info["method"]
        try:
            params = await read_params(request)
        except (ConnectionError, asyncio.IncompleteReadError):
            # The client died mid-request (kill -9 between its headers and its body):
            # recorded as cut off, so a test can tell "handed to the network, never
            # arrived" from "never sent".
            self.recorder.record(Call(0, name, {}, CUT_OFF, None, t0, wall0))
            raise
        except (ValueError, UnicodeDecodeError):
            body: JSON = {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: can't parse request",
            }
            self.recorder.record(Call(0, name, {}, 400, body, t0, wall0))
            return web.json_response(body, status=400)
        call = Call(0, name, public_params(params), 0, None, t0, wall0)
        chat_id = params.get("chat_id")
        text = params.get("text")
        drop = self.faults.take("drop", name, chat_id, text)
        delay = None if drop else self.faults.take("delay", name, chat_id, text)
        if drop is not None or (delay is not None and not delay.deliver):
            if delay is not None:
                await self._hold(delay.seconds)
            self.recorder.record(call)
            return _drop(request)
        call.status, call.response = await self._perform(entry, name, params)
        self.recorder.record(call)
        if delay is not None:
            await self._hold(delay.seconds)
        call.t_responded, call.wall_responded = time.monotonic(), self.state.clock()
        return web.json_response(call.response, status=call.status)

    async def handle_file(self, request: web.Request) -> web.StreamResponse:
        stored = self.state.files.by_path(request.match_info["file_path"])
        if stored is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )


CUT_OFF = 499  # a request whose client went away before its body arrived (nginx's code)


def _drop(request: web.Request) -> web.StreamResponse:
    """Close the socket without an answer: the client sees a network error."""
    if request.transport is not None:
        request.transport.close()
    # aiohttp quietly gives up writing this to the closed socket.
    return web.Response(status=204)


def build_app(
    server: SandboxServer, extra_routes: Callable[[web.Application], Any] | None = None
) -> web.Application:
    """The one place the aiohttp app is assembled; later pages add routes via ``extra_routes``
    (or directly on ``server.app`` before ``start()``)."""
    from sandbox.control import add_control_routes

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_route("*", "/bot{token}/{method}", server.handle_api)
    app.router.add_get("/file/bot{token}/{file_path:.+}", server.handle_file)
    add_control_routes(app, server)
    if extra_routes is not None:
        extra_routes(app)
    return app
