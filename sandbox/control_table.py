"""What the ``/_sandbox/`` control API offers, described: the route and fault-action
records that mount and list it, and the fault actions themselves (``sandbox/control.py``
holds the routes' handlers). Fields of the faults that are ``SandboxServer`` methods and
of ``Limits`` are read from the code, so a new one is listed without a word here.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from aiohttp import web

from sandbox.api import JSON
from sandbox.faults import Limits

if TYPE_CHECKING:
    from sandbox.server import SandboxServer

Route = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _first_paragraph(doc: str | None) -> str:
    """A docstring's first paragraph on one line, reST's double backquotes made single: the
    listing's one-line description, readable in a terminal."""
    first = inspect.cleandoc(doc or "").split("\n\n", 1)[0]
    return " ".join(first.replace("``", "`").split())


# What the fault actions' fields mean; their names and defaults are read from the code
# (``_fields``), so a field missing here is still listed, with its default.
FIELD_MEANINGS = {
    "method": "only calls of this Bot API method, e.g. sendMessage",
    "chat_id": "only calls to this chat",
    "times": "how many matching calls",
    "status": "the HTTP status and error_code",
    "retry_after": "a 429's retry_after, seconds",
    "description": "the error's text (default the status's phrase)",
    "seconds": "how long the answer is held",
    "deliver": "the call takes effect before the hold (false: never, and no answer)",
    "containing": "only a message whose text contains this",
    "global_per_s": "sends and edits per second in all",
    "chat_per_s": "per private chat, per second",
    "chat_burst": "a private chat's short burst",
    "group_per_min": "per group (a negative chat id), per minute",
    "global_burst": "the global bucket's burst (null: global_per_s)",
    "random_429_rate": "share of sends answered 429 whatever the buckets",
    "seed": "makes random_429_rate reproducible",
}


def _field(name: str, default: Any) -> str:
    """One field as listed: its meaning, and whether it is required or its default (in
    JSON, as a client writes it)."""
    meaning = FIELD_MEANINGS.get(name)
    if default is inspect.Parameter.empty or default is dataclasses.MISSING:
        said = "required"
    elif default is None:
        said = "optional (default any)" if name in ("method", "chat_id") else "optional"
    else:
        said = f"default {json.dumps(default, ensure_ascii=False)}"
    return said if meaning is None else f"{meaning}; {said}"


def _fields(function: Callable[..., Any]) -> dict[str, str]:
    """The body fields of a fault action that is a ``SandboxServer`` method: its keyword
    parameters and defaults, read from the method itself so a new one is listed too."""
    return {
        name: _field(name, parameter.default)
        for name, parameter in inspect.signature(function).parameters.items()
    }


@dataclasses.dataclass(frozen=True)
class FaultAction:
    """One ``action`` of ``POST /_sandbox/faults``: what it does, its fields, and how."""

    description: str
    body: Mapping[str, str]
    apply: Callable[[JSON], Any]

    def as_json(self) -> JSON:
        return {"description": self.description, "body": dict(self.body)}


@dataclasses.dataclass(frozen=True)
class ControlRoute:
    """One control route: mounted by ``add_control_routes`` and listed by ``GET /_sandbox/``.

    ``body`` and ``query`` map each field a client may send to what it means (``*``:
    further fields, passed on);
    ``aliases`` are further paths to the same handler (listed with it, not apart);
    ``actions`` are the values of a route's ``action`` field, each with its own fields.
    """

    method: str
    path: str
    handler: Route
    body: Mapping[str, str] = dataclasses.field(default_factory=dict)
    query: Mapping[str, str] = dataclasses.field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    actions: Mapping[str, FaultAction] = dataclasses.field(default_factory=dict)

    @property
    def description(self) -> str:
        return _first_paragraph(self.handler.__doc__)

    def as_json(self) -> JSON:
        listed: JSON = {
            "method": self.method,
            "path": self.path,
            "description": self.description,
            "body": dict(self.body),
            "query": dict(self.query),
        }
        if self.aliases:
            listed["aliases"] = list(self.aliases)
        if self.actions:
            listed["actions"] = {name: a.as_json() for name, a in self.actions.items()}
        return listed


def fault_actions(srv: SandboxServer) -> dict[str, FaultAction]:
    """What ``POST /_sandbox/faults`` can do to ``srv``, each action described."""
    chat_id = {"chat_id": "integer, required: the user's id"}

    def on_chat(act: Callable[[int], None]) -> Callable[[JSON], Any]:
        def apply(body: JSON) -> bool:
            act(int(body["chat_id"]))
            return True

        return apply

    def rule(add: Callable[..., Any]) -> Callable[[JSON], Any]:
        return lambda body: dataclasses.asdict(add(**body))

    def limits(body: JSON) -> JSON | None:
        enabled = body.pop("enabled", True) is not False
        srv.limits = Limits(**body) if enabled else None
        return None if srv.limits is None else dataclasses.asdict(srv.limits)

    def clear(body: JSON) -> bool:
        srv.faults.rules.clear()
        return True

    limit_fields = {f.name: _field(f.name, f.default) for f in dataclasses.fields(Limits)}
    return {
        "block": FaultAction(
            "The user blocked the bot: sends to them fail with 403.",
            chat_id,
            on_chat(srv.block),
        ),
        "unblock": FaultAction(
            "The chat works again (undoes block, deactivate and chat_not_found).",
            chat_id,
            on_chat(srv.unblock),
        ),
        "deactivate": FaultAction(
            "The user deleted their account: sends to them fail with 403.",
            chat_id,
            on_chat(srv.deactivate),
        ),
        "chat_not_found": FaultAction(
            "Sends to the chat fail with 400 chat not found.",
            chat_id,
            on_chat(srv.chat_not_found),
        ),
        "fail": FaultAction(_first_paragraph(srv.fail.__doc__), _fields(srv.fail), rule(srv.fail)),
        "delay": FaultAction(
            _first_paragraph(srv.delay.__doc__), _fields(srv.delay), rule(srv.delay)
        ),
        "drop_connection": FaultAction(
            _first_paragraph(srv.drop_connection.__doc__),
            _fields(srv.drop_connection),
            rule(srv.drop_connection),
        ),
        "limits": FaultAction(
            "Telegram-like flood limits on sends and edits (429 with retry_after), or none.",
            {"enabled": "false turns the limits off; default true", **limit_fields},
            limits,
        ),
        "clear": FaultAction(
            "Forget the pending fail, delay and drop_connection rules (limits stay).", {}, clear
        ),
    }
