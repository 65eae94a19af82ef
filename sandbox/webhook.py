"""Webhook delivery: POST each queued update to the bot's URL, in order, until accepted.

Like Telegram, an update stays queued (and is retried with a pause) until the webhook
answers 2xx, and the secret token travels in ``X-Telegram-Bot-Api-Secret-Token``.
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp

from sandbox.methods_core import wanted
from sandbox.state import State

log = logging.getLogger(__name__)
RETRY_PAUSE = 0.5


async def run_webhook(state: State, stopped: asyncio.Event) -> None:
    """Deliver ``state.webhook_queue`` until ``stopped`` is set."""

    def work() -> bool | None:
        if stopped.is_set() or state.closing:
            return True
        return True if state.webhook is not None and state.webhook_queue else None

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        while True:
            await state.webhook_signal.wait_for(work, None)
            hook = state.webhook
            if stopped.is_set() or state.closing or hook is None:
                if stopped.is_set() or state.closing:
                    return
                continue
            queue = state.webhook_queue
            update = queue[0]
            if not wanted(update, hook.allowed_updates):
                queue.pop(0)
                continue
            headers = {}
            if hook.secret_token:
                headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
            error: str | None = None
            try:
                async with session.post(hook.url, json=update, headers=headers) as response:
                    if response.status >= 300:
                        error = f"Wrong response from the webhook: {response.status}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                error = f"Connection failed: {exc!r}"
            if error is None:
                if queue and queue[0] is update:
                    queue.pop(0)
                continue
            log.info("webhook delivery failed: %s", error)
            hook.last_error_date = state.now()
            hook.last_error_message = error
            try:
                await asyncio.wait_for(stopped.wait(), RETRY_PAUSE)
            except TimeoutError:
                pass
