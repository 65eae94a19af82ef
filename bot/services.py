"""What handlers and jobs reach for: the database, the clock, the catalog context."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import Clock
from bot.domain.authz import Actor
from bot.usecases.common import Ctx
from storage import queries
from storage.db import reading
from storage.group_commit import GroupCommit, UseCase
from storage.uow import UnitOfWork, Wakeups

T = TypeVar("T")


@dataclass
class Services:
    engine: AsyncEngine
    clock: Clock
    ctx: Ctx
    wakeups: Wakeups
    bot_username: str | None = None
    _group: GroupCommit | None = field(default=None, init=False, repr=False)

    def uow(self, *, marks_update: bool = True) -> UnitOfWork:
        """A fresh transaction, stamped with the time it takes the write lock."""
        return UnitOfWork(
            self.engine, self.wakeups, self.clock, self.ctx.tz, marks_update=marks_update
        )

    async def actor(self, telegram_id: int, name: str) -> Actor:
        """Who is writing, as the roster knows them (a read, no write lock)."""
        async with reading(self.engine) as conn:
            return await queries.load_actor(conn, telegram_id, name)

    async def together(self, work: UseCase[T]) -> T:
        """Run ``work`` in a transaction it may share with others arriving at the same
        moment (``storage.group_commit``): how a flood of emergencies is stored."""
        if self._group is None:
            self._group = GroupCommit(self.engine, self.wakeups, self.clock, self.ctx.tz)
        return await self._group.run(work)


_SERVING: ContextVar[Services | None] = ContextVar("helpline_services", default=None)


@contextmanager
def serving(services: Services) -> Iterator[None]:
    """While an update is handled, what ``serving_now`` returns: a direct answer deep in a
    handler reaches the outbox without every caller passing the services down."""
    token = _SERVING.set(services)
    try:
        yield
    finally:
        _SERVING.reset(token)


def serving_now() -> Services | None:
    return _SERVING.get()
