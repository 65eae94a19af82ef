"""What handlers and jobs reach for: the database, the clock, the catalog context."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import Clock
from bot.usecases.common import Ctx
from bot.usecases.uow import UnitOfWork, Wakeups


@dataclass
class Services:
    engine: AsyncEngine
    clock: Clock
    ctx: Ctx
    wakeups: Wakeups
    bot_username: str | None = None

    def uow(self) -> UnitOfWork:
        """A fresh transaction stamped with the current time."""
        return UnitOfWork(self.engine, self.wakeups, self.clock.now(), self.ctx.tz)
