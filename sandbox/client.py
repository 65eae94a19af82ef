"""``SandboxClient``: drive a sandbox running in another process over ``/_sandbox/``.

Mirrors the in-process API (users, sending, pressing, faults, the call record) for
benchmarks, the crash test and the demo page.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

import httpx

from sandbox.api import JSON


class SandboxClientError(Exception):
    """The control API refused a request; ``status`` is the HTTP status."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(f"{status}: {description}")
        self.status = status
        self.description = description


class SandboxClient:
    """Async client for the control API of the sandbox at ``url`` (e.g. ``http://127.0.0.1:8081``)."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.AsyncClient(base_url=f"{self.url}/_sandbox", timeout=timeout)

    async def __aenter__(self) -> SandboxClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(
        self,
        verb: str,
        path: str,
        body: JSON | None = None,
        params: JSON | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (the waiting API takes a timeout by design)
    ) -> Any:
        extra: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
        response = await self._http.request(verb, path, json=body, params=params, **extra)
        data = response.json()
        if not data.get("ok"):
            raise SandboxClientError(response.status_code, str(data.get("description")))
        return data["result"]

    # identity and users ------------------------------------------------------------------

    async def info(self) -> JSON:
        """``base_url``, ``base_file_url`` and the bot user."""
        result: JSON = await self._call("GET", "/info")
        return result

    async def add_user(self, user_id: int, first_name: str | None = None, **fields: Any) -> JSON:
        result: JSON = await self._call(
            "POST", "/users", {"id": user_id, "first_name": first_name, **fields}
        )
        return result

    async def chats(self) -> list[JSON]:
        result: list[JSON] = await self._call("GET", "/chats")
        return result

    async def chat(self, user_id: int) -> JSON:
        """``{"user", "status", "keyboard", "messages": [{message, from_bot, kind, ...}]}``."""
        result: JSON = await self._call("GET", f"/chats/{user_id}")
        return result

    # acting as a user --------------------------------------------------------------------

    async def send(self, user_id: int, text: str = "", kind: str = "text", **fields: Any) -> JSON:
        """Send as ``user_id``; ``kind`` is text/photo/voice/location/sticker/document/edit."""
        result: JSON = await self._call(
            "POST", "/send", {"user_id": user_id, "kind": kind, "text": text, **fields}
        )
        return result

    async def press(
        self,
        user_id: int,
        message_id: int,
        button_text: str | None = None,
        data: str | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 (the waiting API takes a timeout by design)
    ) -> JSON:
        """Press a button (by text) or send forged ``data``; returns the bot's answer."""
        body: JSON = {"user_id": user_id, "message_id": message_id, "timeout": timeout}
        if data is not None:
            body["data"] = data
        else:
            body["button_text"] = button_text
        result: JSON = await self._call("POST", "/press", body, timeout=timeout + 5)
        return result

    async def wait_message(self, user_id: int, contains: str = "", timeout: float = 5.0) -> JSON:  # noqa: ASYNC109 (the waiting API takes a timeout by design)
        body = {"user_id": user_id, "contains": contains, "timeout": timeout}
        result: JSON = await self._call("POST", "/wait_message", body, timeout=timeout + 5)
        return result

    async def push_update(self, update: JSON) -> JSON:
        result: JSON = await self._call("POST", "/updates", update)
        return result

    # record ------------------------------------------------------------------------------

    async def calls(self, since: int = 0, wait: float = 0.0) -> JSON:
        """``{"calls": [...], "last_seq": N}``; long-polls up to ``wait`` seconds for new ones."""
        result: JSON = await self._call(
            "GET", "/calls", params={"since": since, "wait": wait}, timeout=wait + 10
        )
        return result

    async def deliveries(self, since: int = 0) -> list[JSON]:
        result: list[JSON] = await self._call("GET", "/deliveries", params={"since": since})
        return result

    # faults ------------------------------------------------------------------------------

    async def fault(self, action: str, **fields: Any) -> Any:
        """Generic fault control: block/unblock/deactivate/chat_not_found/fail/delay/
        drop_connection/limits/clear, with the same keyword arguments as the server methods."""
        return await self._call("POST", "/faults", {"action": action, **fields})

    async def block(self, chat_id: int) -> None:
        await self.fault("block", chat_id=chat_id)

    async def unblock(self, chat_id: int) -> None:
        await self.fault("unblock", chat_id=chat_id)

    async def fail(self, **fields: Any) -> JSON:
        result: JSON = await self.fault("fail", **fields)
        return result

    async def delay(self, **fields: Any) -> JSON:
        result: JSON = await self.fault("delay", **fields)
        return result

    async def set_limits(self, enabled: bool = True, **fields: Any) -> Any:
        return await self.fault("limits", enabled=enabled, **fields)

    async def reset(self) -> None:
        await self._call("POST", "/reset")
