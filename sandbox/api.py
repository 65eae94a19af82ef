"""Shared vocabulary of the sandbox: errors, uploads, the method registry.

Kept apart from the server and the method modules so that both can import it without a
cycle, and so that every method is registered under the name Telegram spells it while the
lookup stays case-insensitive like the real Bot API.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from sandbox.state import State

JSON = dict[str, Any]
Params = dict[str, Any]
Handler = Callable[["State", Params], Awaitable[Any]]
H = TypeVar("H", bound=Handler)


class ApiError(Exception):
    """A Bot API error answered as ``{"ok": false, ...}`` with HTTP status = ``code``."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> JSON:
        """The JSON body Telegram would send for this error."""
        body: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(detail: str) -> ApiError:
    """Telegram prefixes every 400 with "Bad Request: "; one helper keeps that uniform."""
    return ApiError(400, f"Bad Request: {detail}")


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request, read fully into memory (test files are small)."""

    name: str
    filename: str | None
    content_type: str | None
    data: bytes

    def describe(self) -> JSON:
        """What the call record shows instead of the raw bytes."""
        return {"upload": self.filename or self.name, "size": len(self.data)}


@dataclass(frozen=True)
class MethodEntry:
    name: str
    handler: Handler


METHODS: dict[str, MethodEntry] = {}

#: Methods that put a message into a chat: flood limits and ``deliveries`` concern these.
MESSAGE_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendVoice",
        "sendDocument",
        "sendLocation",
        "sendSticker",
        "copyMessage",
        "forwardMessage",
    }
)


def method(name: str) -> Callable[[H], H]:
    """Register ``handler`` as Bot API method ``name`` (looked up case-insensitively)."""

    def register(handler: H) -> H:
        METHODS[name.lower()] = MethodEntry(name, handler)
        return handler

    return register


def lookup(name: str) -> MethodEntry | None:
    return METHODS.get(name.lower())


def utf16_len(text: str) -> int:
    """Telegram measures text and entity offsets in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2
