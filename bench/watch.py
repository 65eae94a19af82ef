"""Index the sandbox's call record by the ``bench-<tag>-<n>`` markers in message texts.

Scanning is incremental (a cursor into ``srv.calls``), so waiting for thousands of
deliveries stays linear. Waiting polls with short sleeps: good enough for a benchmark,
and the timestamps come from the sandbox's own record, not from when we looked.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable

from bench.stats import markers
from sandbox import SandboxServer
from sandbox.records import Call

SEND = "sendMessage"


class Watch:
    def __init__(self, srv: SandboxServer) -> None:
        self.srv = srv
        self._cursor = 0
        self.by_marker: dict[tuple[str, int], list[Call]] = {}
        self.refused_429 = 0
        self.delivered_total = 0

    def scan(self) -> None:
        calls = self.srv.calls
        for call in calls[self._cursor :]:
            if call.method != SEND:
                continue
            if call.status == 429:
                self.refused_429 += 1
            if not call.ok:
                continue
            self.delivered_total += 1
            for found in markers(str(call.params.get("text", ""))):
                self.by_marker.setdefault(found, []).append(call)
        self._cursor = len(calls)

    def first(self, tag: str, n: int, chats: Iterable[int] | None = None) -> Call | None:
        """The first delivered message carrying ``bench-<tag>-<n>`` (to one of ``chats``)."""
        self.scan()
        allowed = None if chats is None else set(chats)
        for call in self.by_marker.get((tag, n), []):
            if allowed is None or _chat(call) in allowed:
                return call
        return None

    def delivered(self, tag: str) -> int:
        """How many distinct ``bench-<tag>-*`` markers reached the sandbox."""
        self.scan()
        return sum(1 for key in self.by_marker if key[0] == tag)

    def calls_for(self, tag: str, n: int) -> list[Call]:
        self.scan()
        return list(self.by_marker.get((tag, n), []))

    async def until(self, done: Callable[[], bool], timeout: float, poll: float = 0.02) -> bool:  # noqa: ASYNC109
        """Poll ``done`` until true (True) or ``timeout`` seconds pass (False)."""
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(poll)
        return True


def _chat(call: Call) -> int | None:
    try:
        return int(call.chat_id)
    except (TypeError, ValueError):
        return None
