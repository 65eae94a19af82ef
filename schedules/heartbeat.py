"""``HELPLINE_HEARTBEAT_URL``: a dead-man's switch outside the box.

While the line is healthy (the checks of /healthz) the bot calls the URL every minute; the
monitor behind it (a healthchecks-style service, an OnCall or GoAlert heartbeat) raises
the alarm when the calls stop - for a dead process, and for a dead box, which nothing
inside it can report. The URL is never logged: such URLs are secrets.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import httpx

log = logging.getLogger(__name__)

EVERY = 60.0  # seconds between calls; monitors are set to expect one a minute or so


async def beat_outside(
    url: str, check: Callable[[], Awaitable[list[str]]], *, every: float = EVERY
) -> None:
    """Call ``url`` every ``every`` seconds while ``check`` finds nothing wrong; log each
    change (withheld, failing, back) once. Runs until cancelled; survives everything."""
    state = "ok"
    async with httpx.AsyncClient(timeout=10.0) as client:
        while True:
            try:
                found = await check()
                if found:
                    if state != "withheld":
                        log.warning("heartbeat withheld: %s", "; ".join(found))
                    state = "withheld"
                else:
                    answer = await client.get(url)
                    answer.raise_for_status()
                    if state != "ok":
                        log.info("heartbeat: the monitor hears the line again")
                    state = "ok"
            except Exception as exc:  # the network, the monitor: try again next minute
                if state != "failing":
                    reason = (
                        f"HTTP {exc.response.status_code}"
                        if isinstance(exc, httpx.HTTPStatusError)
                        else type(exc).__name__
                    )
                    log.warning("heartbeat not delivered (%s); trying again each minute", reason)
                state = "failing"
            await asyncio.sleep(every)
