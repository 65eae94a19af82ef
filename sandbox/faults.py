"""Injected faults and Telegram's flood limits.

The bot's delivery engine must survive 429s, 5xx answers, lost connections and replies
that come back after its timeout although the message was delivered. Tests script those
cases here, one rule at a time, instead of hoping for them. Flood limits use
``aiolimiter``'s leaky bucket rather than a home-made one.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Literal

from aiolimiter import AsyncLimiter

from sandbox.api import MESSAGE_METHODS, ApiError, too_many_requests

# What Telegram's flood limits count: every message sent, and every edit of one.
LIMITED_METHODS = MESSAGE_METHODS | {
    "editMessageText",
    "editMessageCaption",
    "editMessageMedia",
    "editMessageReplyMarkup",
}

FaultKind = Literal["fail", "delay", "drop"]


@dataclass
class FaultRule:
    """Applies to the next ``times`` calls matching ``method``, ``chat_id`` and, when
    given, whose text contains ``containing`` (None = any)."""

    kind: FaultKind
    method: str | None = None
    chat_id: int | str | None = None
    times: int = 1
    status: int = 429
    retry_after: int = 1
    seconds: float = 0.0
    deliver: bool = True
    description: str | None = None
    containing: str | None = None

    def matches(self, method: str, chat_id: object, text: object = None) -> bool:
        if self.method is not None and self.method.lower() != method.lower():
            return False
        if self.containing is not None and self.containing not in str(text or ""):
            return False
        return self.chat_id is None or self.chat_id == chat_id

    def error(self) -> ApiError:
        """The error a ``fail`` rule answers with, worded like Telegram."""
        if self.status == 429:
            return too_many_requests(self.retry_after)
        if self.description:
            return ApiError(self.status, self.description)
        try:
            phrase = HTTPStatus(self.status).phrase
        except ValueError:
            phrase = "Error"
        return ApiError(self.status, phrase)


@dataclass
class Limits:
    """Telegram-like flood limits for sends and edits (off unless configured).

    The numbers are Telegram's own, from the Bot FAQ ("My bot is hitting limits, how do I
    avoid this?", core.telegram.org/bots/faq): in a single chat avoid more than one message
    per second (short bursts are allowed, then 429s), in a group no more than 20 messages
    per minute, and no more than about 30 messages per second in all. Editing a message
    counts as sending one. A group is a chat whose id is negative, as in Telegram.

    ``global_burst`` defaults to ``global_per_s``. ``random_429_rate`` answers 429 to that
    share of sends regardless of the buckets, reproducibly from ``seed``.
    """

    global_per_s: float = 30.0
    chat_per_s: float = 1.0
    chat_burst: int = 3
    group_per_min: float = 20.0
    global_burst: int | None = None
    random_429_rate: float = 0.0
    seed: int = 0


@dataclass
class Faults:
    """Pending fault rules plus the live limiter state."""

    rules: list[FaultRule] = field(default_factory=list)
    _limits: Limits | None = None
    _global: AsyncLimiter | None = None
    _chats: dict[object, AsyncLimiter] = field(default_factory=dict)
    _rng: random.Random = field(default_factory=random.Random)

    @property
    def limits(self) -> Limits | None:
        return self._limits

    @limits.setter
    def limits(self, value: Limits | None) -> None:
        self._limits = value
        self._chats = {}
        self._global = None
        if value is not None:
            burst = value.global_burst or max(1, math.ceil(value.global_per_s))
            self._global = AsyncLimiter(burst, burst / value.global_per_s)
            self._rng = random.Random(value.seed)

    def add(self, rule: FaultRule) -> FaultRule:
        self.rules.append(rule)
        return rule

    def take(
        self, kind: FaultKind, method: str, chat_id: object, text: object = None
    ) -> FaultRule | None:
        """Consume one use of the first matching rule of ``kind``."""
        for rule in self.rules:
            if rule.kind == kind and rule.times > 0 and rule.matches(method, chat_id, text):
                rule.times -= 1
                if rule.times <= 0:
                    self.rules.remove(rule)
                return rule
        return None

    def clear(self) -> None:
        self.rules.clear()
        self.limits = None

    async def check_limits(self, method: str, chat_id: object) -> ApiError | None:
        """A 429 when a send exceeds the buckets (or the random share), else None."""
        limits = self._limits
        if limits is None or method not in LIMITED_METHODS or self._global is None:
            return None
        if limits.random_429_rate > 0 and self._rng.random() < limits.random_429_rate:
            return too_many_requests(max(1, math.ceil(1 / limits.chat_per_s)))
        chat = self._chats.get(chat_id)
        group = str(chat_id).startswith(("-", "@"))  # a group id, or a channel's @name
        if chat is None:
            if group:
                per_min = max(1, math.floor(limits.group_per_min))
                chat = self._chats[chat_id] = AsyncLimiter(per_min, 60.0)
            else:
                burst = max(1, limits.chat_burst)
                chat = self._chats[chat_id] = AsyncLimiter(burst, burst / limits.chat_per_s)
        if not chat.has_capacity():
            every = 60 / limits.group_per_min if group else 1 / limits.chat_per_s
            return too_many_requests(max(1, math.ceil(every)))
        if not self._global.has_capacity():
            return too_many_requests(max(1, math.ceil(1 / limits.global_per_s)))
        # Both have room, so neither acquire waits.
        await chat.acquire()
        await self._global.acquire()
        return None
