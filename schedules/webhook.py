"""Webhook mode: an update is answered 200 only once its inbox row is committed.

Telegram sends an update again until the webhook answers 2xx, so answering first and
storing later (what PTB's own webhook server does) loses every update in flight when the
process dies. Here the answer waits for the commit; if the database cannot take it, the
answer is 503 and Telegram tries again later.

A secret token is always required: without ``--secret-token`` a random one is made for
this run and given to ``setWebhook``, so Telegram sends it and nobody else knows it (a
restart makes a new one and registers it again: nothing to store, nothing to leak). It
is compared in constant time before anything is read; a post without it gets 403.
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Update
from telegram.ext import Application

from bot.clock import Clock
from bot.settings import WebhookOptions
from schedules import inbox
from schedules.poller import OnBatch
from schedules.supervise import Backoff
from schedules.watch import Watch
from storage.db import writing

log = logging.getLogger(__name__)

PATH = "/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookServer:
    def __init__(
        self,
        app: Application[Any, Any, Any, Any, Any, Any],
        engine: AsyncEngine,
        clock: Clock,
        options: WebhookOptions,
        on_batch: OnBatch | None = None,
        watch: Watch | None = None,
    ) -> None:
        self._app, self._engine, self._clock = app, engine, clock
        self._watch = watch or Watch()
        self._options, self._on_batch = options, on_batch
        self._backoff = Backoff("recording webhook updates")
        self._secret = options.secret_token or secrets.token_urlsafe(32)
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        web_app = web.Application(client_max_size=1024 * 1024)
        web_app.router.add_post(PATH, self._receive)
        self._runner = web.AppRunner(web_app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._options.listen, self._options.port)
        await site.start()
        await self._app.bot.set_webhook(
            url=self._options.url,
            secret_token=self._secret,
            allowed_updates=Update.ALL_TYPES,
        )

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self._secret.encode()):
            return web.Response(status=403)
        try:
            body = json.loads(await request.read())
            if not isinstance(body, dict) or not isinstance(body.get("update_id"), int):
                return web.Response(status=400)
            update = Update.de_json(body, self._app.bot)
        except Exception:  # not JSON, or not an update: nothing to store, nothing to do
            return web.Response(status=400)
        try:
            async with writing(self._engine) as conn:
                fresh = await inbox.record(conn, [body], self._clock.now())
                sender = update.effective_user
                if fresh and sender is not None and self._on_batch is not None:
                    if await self._on_batch(conn, [sender.id]):  # blocked: kept, not acted on
                        await inbox.mark_done(conn, fresh)
                        fresh = []
        except Exception as exc:  # not stored: Telegram must send it again
            self._backoff.failed(exc)
            return web.Response(status=503)
        self._backoff.ok()
        self._watch.updates.inc()
        if fresh:
            await self._app.update_queue.put(update)
        return web.Response(status=200)
