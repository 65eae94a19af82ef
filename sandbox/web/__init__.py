"""The page of phones for ``helpline demo``, served by the sandbox server itself.

Everything the page loads ships in ``sandbox/web/static`` (no CDN, no fonts, no map
tiles). The browser drives the simulated users through the ``/_sandbox/`` control API and
learns about new messages from ``/_demo/changes``, a long poll that answers as soon as the
sandbox's chats change. What only the running demo knows (its people, the next deadline
in the bot's database, how to start over) comes in through `DemoHooks`, so the sandbox
does not import the bot.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import mimetypes
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from sandbox.api import JSON

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

if TYPE_CHECKING:
    from sandbox.server import SandboxServer

STATIC = Path(__file__).resolve().parent / "static"
LANGUAGES = ("zh", "en")
MAX_WAIT = 30.0  # seconds a /_demo/changes long poll may be held


@cache
def labels() -> dict[str, dict[str, Any]]:
    """The page's own words (and the demo command's), per language, from labels.json."""
    data: dict[str, dict[str, Any]] = json.loads((STATIC / "labels.json").read_text("utf-8"))
    return data


def label(lang: str, key: str, **params: Any) -> str:
    """One of the demo's own texts in ``lang`` (English when missing), placeholders filled."""
    table = labels()
    text = str(table.get(lang, {}).get(key) or table["en"][key])
    return text.format(**params) if params else text


@dataclass
class DemoHooks:
    """What the page needs from the running demo."""

    people: Callable[[], list[JSON]]  # [{id, name, role, branch}] in display order
    language: Callable[[], str]
    alert_buttons: Callable[[], list[str]]  # labels of buttons that make a phone ring
    next_deadline: Callable[[], Awaitable[JSON | None]]
    reset: Callable[[], Awaitable[None]]
    timezone: str  # the bot's IANA zone (HELPLINE_TIMEZONE): the page shows times in it


class DemoPage:
    """Route handlers for the page, bound to one sandbox server and one demo."""

    def __init__(self, server: SandboxServer, hooks: DemoHooks) -> None:
        self.server = server
        self.hooks = hooks
        self.epoch = 0  # bumped by every reset, so pages drop what they showed before
        self.closing = False
        self._reset_lock = asyncio.Lock()

    async def index(self, request: web.Request) -> web.StreamResponse:
        return _file(STATIC / "index.html")

    async def static(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        # Only the files that ship, by their plain names: no paths, no traversal.
        if "/" in name or "\\" in name or name.startswith(".") or not (STATIC / name).is_file():
            raise web.HTTPNotFound()
        return _file(STATIC / name)

    async def config(self, request: web.Request) -> web.StreamResponse:
        lang = request.query.get("lang") or self.hooks.language()
        if lang not in LANGUAGES:
            lang = self.hooks.language()
        return web.json_response(
            {
                "language": lang,
                "bot_language": self.hooks.language(),
                "timezone": self.hooks.timezone,
                "people": self.hooks.people(),
                "alert_buttons": self.hooks.alert_buttons(),
                "labels": {**labels()["en"], **labels().get(lang, {})},
                "epoch": self.epoch,
            }
        )

    async def changes(self, request: web.Request) -> web.StreamResponse:
        """Answer when the chats differ from the client's ``since``/``epoch`` (or at ``wait``)."""
        try:
            since = int(request.query.get("since", -1))
            epoch = int(request.query.get("epoch", -1))
            wait = min(max(float(request.query.get("wait", 0)), 0.0), MAX_WAIT)
        except ValueError:
            raise web.HTTPBadRequest(text="since, epoch and wait must be numbers") from None
        state = self.server.state

        def probe() -> bool | None:
            if self.closing or state.closing:
                return True
            return True if (state.change_seq != since or self.epoch != epoch) else None

        try:
            await state.changed.wait_for(probe, wait)
        except TimeoutError:
            pass
        return web.json_response({"seq": state.change_seq, "epoch": self.epoch})

    async def on_shutdown(self, app: web.Application) -> None:
        """Answer held long polls at once, so stopping does not wait for them to time out."""
        self.closing = True
        self.server.state.changed.notify()

    async def next_deadline(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"next": await self.hooks.next_deadline()})

    async def reset(self, request: web.Request) -> web.StreamResponse:
        async with self._reset_lock:
            await self.hooks.reset()
            self.epoch += 1
            self.server.state.changed.notify()
        return web.json_response({"ok": True, "epoch": self.epoch})


def _file(path: Path) -> web.StreamResponse:
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    charset = "utf-8" if kind.startswith("text/") or kind.endswith(("json", "javascript")) else None
    return web.Response(
        body=path.read_bytes(),
        content_type=kind,
        charset=charset,
        headers={"Cache-Control": "no-cache"},
    )


CONTROL_PATHS = ("/_sandbox/", "/_demo/")


def _loopback_name(host: str) -> bool:
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    name = name.strip("[]")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@web.middleware
async def same_origin_only(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The demo runs on the user's own machine, and other sites they visit must not drive
    it: the Host must be a loopback name (a DNS name rebound to 127.0.0.1 is not), and a
    control call that changes something must be JSON (a cross-site form cannot be) from
    this very page when the browser names its origin."""
    if not _loopback_name(request.host):
        raise web.HTTPForbidden(text="the demo answers only on a loopback address")
    if request.method == "POST" and request.path.startswith(CONTROL_PATHS):
        if request.content_type != "application/json":
            raise web.HTTPUnsupportedMediaType(text="control calls are JSON")
        origin = request.headers.get("Origin")
        if origin is not None and origin != f"{request.scheme}://{request.host}":
            raise web.HTTPForbidden(text="control calls come from the demo page only")
    return await handler(request)


def add_web_routes(app: web.Application, server: SandboxServer, hooks: DemoHooks) -> DemoPage:
    """Mount the page at ``/`` and its JSON endpoints under ``/_demo/`` (before start),
    and guard the control calls (``same_origin_only``)."""
    app.middlewares.append(same_origin_only)
    page = DemoPage(server, hooks)
    app.router.add_get("/", page.index)
    app.router.add_get("/static/{name}", page.static)
    app.router.add_get("/_demo/config", page.config)
    app.router.add_get("/_demo/changes", page.changes)
    app.router.add_get("/_demo/next-deadline", page.next_deadline)
    app.router.add_post("/_demo/reset", page.reset)
    app.on_shutdown.append(page.on_shutdown)
    return page
