"""How an incoming update is handled: from the inbox, in order per chat, retried on failure.

An update is in the inbox before any handler sees it (the poller and the webhook commit it
first). It is marked done only when its handler's transaction committed (the unit of work
marks it in that same transaction) or, for an answer that changes nothing, after the
answer was given. A handler that failed leaves it unfinished: it is tried again with
backoff, and after ``ATTEMPTS`` tries it is kept as failed and the committee is told, with
the sender and their words, so that no worker's message is lost to a bug or a fault.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import AsyncConnection
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, BaseUpdateProcessor

from bot.i18n import t
from bot.services import Services, serving
from bot.usecases.requests.unhandled import tell_committee
from schedules import inbox
from storage import blocklist
from storage.tables import people
from storage.uow import current_handling, handling_update

log = logging.getLogger(__name__)

ATTEMPTS = 6  # tries of one update: about half a minute of backoff (1+2+4+8+16 s) in all
FIRST_RETRY = 1.0
RETRY_KEY = "update_first_retry"  # bot_data: the first retry's delay, if not FIRST_RETRY


class InboxApplication(Application):  # type: ignore[type-arg]
    """Act on recorded updates; finish each only once its effect is stored."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._attempts: dict[int, int] = {}

    async def process_update(self, update: object) -> None:
        if not isinstance(update, Update):
            await super().process_update(update)
            return
        if not from_its_own_chat(update):
            log.warning(
                "update %s ignored: it claims a private chat that is not its sender's",
                update.update_id,
            )
            await inbox.finish(self._services.engine, update.update_id)
            return
        with handling_update(update.update_id) as handled, serving(self._services):
            await super().process_update(update)
        if handled.done:  # committed together with its effect
            self._attempts.pop(update.update_id, None)
        elif handled.failed is None:  # a read-only answer: nothing else to keep
            self._attempts.pop(update.update_id, None)
            try:
                await inbox.finish(self._services.engine, update.update_id)
            except Exception:  # answered already; after a restart it is answered again
                log.warning("update %s answered but not marked done", update.update_id)
        else:
            await self._failed(update)

    async def process_error(
        self,
        update: object | None,
        error: Exception,
        job: Any = None,
        coroutine: Any = None,
    ) -> bool:
        handled = current_handling()
        if handled is not None and isinstance(update, Update):
            if update.update_id == handled.update_id:
                handled.failed = error
        return await super().process_error(update, error, job, coroutine)

    @property
    def _services(self) -> Services:
        found = self.bot_data["services"]
        assert isinstance(found, Services)
        return found

    async def _failed(self, update: Update) -> None:
        tries = self._attempts.get(update.update_id, 0) + 1
        self._attempts[update.update_id] = tries
        if tries == 1:
            await self._tell_sender(update)
        first = float(self.bot_data.get(RETRY_KEY, FIRST_RETRY))
        if tries < ATTEMPTS:
            self._again(update, first * 2 ** (tries - 1))
            return
        try:
            await self._give_up(update)
        except Exception:
            log.exception("update %s: not recorded as failed; trying later", update.update_id)
            self._again(update, first * 2 ** (ATTEMPTS - 1))
            return
        self._attempts.pop(update.update_id, None)

    def _again(self, update: Update, delay: float) -> None:
        log.warning("update %s failed; trying it again in %.0f s", update.update_id, delay)
        loop = asyncio.get_running_loop()
        loop.call_later(delay, self.update_queue.put_nowait, update)

    async def _tell_sender(self, update: Update) -> None:
        """Once: the message is kept (it is in the inbox) and will be tried again."""
        chat = update.effective_chat
        if chat is None or chat.type != "private":
            return
        text = t(
            self._services.ctx.lang,
            "Sorry, something went wrong on our side. What you sent is saved; "
            "for an emergency send /120 again.",
        )
        try:
            await self.bot.send_message(chat.id, text)
        except TelegramError:
            log.warning("could not tell update %s's sender about the failure", update.update_id)

    async def _give_up(self, update: Update) -> None:
        services = self._services
        user = update.effective_user
        message = update.effective_message
        sender = user.full_name if user is not None else "?"
        if user is not None and user.username:
            sender += f" (@{user.username})"
        text = (message.text or message.caption or "") if message is not None else ""
        async with services.uow() as uow:
            await uow.conn.execute(inbox.failed(update.update_id))
            told = await tell_committee(
                uow, services.ctx, update_id=update.update_id, sender=sender, text=text
            )
        log.error(
            "update %s failed %d times; kept as failed, %d committee member(s) told",
            update.update_id,
            ATTEMPTS,
            told,
        )


def from_its_own_chat(update: Update) -> bool:
    """A private chat's id is its user's id: an update saying otherwise was forged (a
    committee member's id as sender, an attacker's chat for the answers) and is not acted
    on, so no answer, invite code or timeline can be steered to someone else's chat."""
    chat, user = update.effective_chat, update.effective_user
    return chat is None or user is None or chat.type != "private" or chat.id == user.id


class PerChatUpdates(BaseUpdateProcessor):
    """Updates from different chats are handled side by side, one chat's in order.

    A worker's "/request", category and description must be handled in the order sent;
    fifty workers' "/120"s need not wait for each other's database reads.
    """

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}  # chat -> (lock, users)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        lock, users = self._locks.get(chat.id, (asyncio.Lock(), 0))
        self._locks[chat.id] = (lock, users + 1)
        try:
            async with lock:
                await coroutine
        finally:
            lock, users = self._locks[chat.id]
            if users == 1:
                del self._locks[chat.id]
            else:
                self._locks[chat.id] = (lock, users - 1)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


async def on_senders(conn: AsyncConnection, telegram_ids: list[int]) -> set[int]:
    """In the transaction that records a batch: whoever writes to the bot can be reached
    again, and the blocked among them are returned (their updates are kept, not acted on)."""
    await conn.execute(
        sql_update(people)
        .where(people.c.telegram_id.in_(telegram_ids), people.c.unreachable_since.is_not(None))
        .values(unreachable_since=None)
    )
    return await blocklist.blocked_among(conn, telegram_ids)
