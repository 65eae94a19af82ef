"""The record of every Bot API call and of every delivered message.

Tests assert on what the bot asked Telegram to do (and what it was told); benchmarks take
the wall-clock arrival time of each delivered message as the moment it "reached Telegram".
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox.api import JSON, MESSAGE_METHODS
from sandbox.state import Signal


@dataclass
class Call:
    """One API request: what was asked, what was answered, and when.

    ``seq`` numbers calls in the order they were answered (a long poll is recorded when it
    returns), which is what a "calls since" cursor needs.
    ``status`` is 0 for a request whose connection was dropped on purpose;
    ``t_*`` are ``time.monotonic()`` and ``wall_*`` the server clock.
    """

    seq: int
    method: str
    params: JSON
    status: int
    response: JSON | None
    t_received: float
    wall_received: float
    t_responded: float | None = None
    wall_responded: float | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def chat_id(self) -> Any:
        return self.params.get("chat_id")

    @property
    def result(self) -> Any:
        return None if self.response is None else self.response.get("result")

    def as_json(self) -> JSON:
        return {
            "seq": self.seq,
            "method": self.method,
            "params": self.params,
            "status": self.status,
            "response": self.response,
            "t_received": self.t_received,
            "wall_received": self.wall_received,
            "t_responded": self.t_responded,
            "wall_responded": self.wall_responded,
        }


@dataclass(frozen=True)
class Delivery:
    """A message that reached a chat, stamped with when its request arrived."""

    seq: int
    method: str
    chat_id: Any
    message_id: int
    wall_time: float
    monotonic: float

    def as_json(self) -> JSON:
        return {
            "seq": self.seq,
            "method": self.method,
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "wall_time": self.wall_time,
            "monotonic": self.monotonic,
        }


def _seq(call: Call) -> int:
    return call.seq


@dataclass
class Recorder:
    calls: list[Call] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    signal: Signal = field(default_factory=Signal)
    last_seq: int = 0  # survives clear() so that "since" cursors stay valid

    def record(self, call: Call) -> None:
        """Append ``call``, numbering it in recording order (so ``seq`` cursors never skip)."""
        self.last_seq += 1
        call.seq = self.last_seq
        self.calls.append(call)
        if call.ok and call.method in MESSAGE_METHODS and isinstance(call.result, dict):
            self.deliveries.append(
                Delivery(
                    seq=call.seq,
                    method=call.method,
                    chat_id=call.chat_id,
                    message_id=int(call.result["message_id"]),
                    wall_time=call.wall_received,
                    monotonic=call.t_received,
                )
            )
        self.signal.notify()

    def clear(self) -> None:
        self.calls.clear()
        self.deliveries.clear()
        self.signal.notify()

    async def wait_call(self, predicate: Callable[[Call], bool], timeout: float) -> Call:  # noqa: ASYNC109 (the waiting API takes a timeout by design)
        """The first recorded call matching ``predicate`` (already recorded ones count)."""
        checked = 0

        def probe() -> Call | None:
            nonlocal checked
            for call in self.calls[checked:]:
                if predicate(call):
                    return call
            checked = len(self.calls)
            return None

        try:
            return await self.signal.wait_for(probe, timeout)
        except TimeoutError:
            recent = ", ".join(f"#{c.seq} {c.method}->{c.status}" for c in self.calls[-10:])
            raise TimeoutError(
                f"no matching call within {timeout}s; last calls: {recent or 'none'}"
            ) from None

    async def wait_since(self, since: int, timeout: float) -> list[Call]:  # noqa: ASYNC109 (the waiting API takes a timeout by design)
        """Calls with ``seq > since``, waiting up to ``timeout`` for the first one."""

        def probe() -> list[Call] | None:
            return self.calls[bisect.bisect_right(self.calls, since, key=_seq) :] or None

        try:
            return await self.signal.wait_for(probe, timeout)
        except TimeoutError:
            return []
