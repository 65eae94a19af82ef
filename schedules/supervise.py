"""How every background loop meets a fault: say it once, back off, resume by itself.

A loop that dies quietly leaves the line alive and deaf, the worst way to fail: the
poller, the outbox dispatcher, the deadline wake-ups and the sweep each keep a ``Backoff``
and carry on through any exception from the database or the network. The log gets one
line when a part starts failing and one when it recovers, not one per retry (a database
locked for a minute must not write a thousand lines). A fault no retry can mend (the file
is not a database) is raised as ``Fatal``: the process then exits non-zero, so that its
service manager starts it again, instead of retrying forever.
"""

from __future__ import annotations

import logging
import time

from storage.db import fatal_reason

log = logging.getLogger(__name__)


class Fatal(Exception):
    """A part cannot go on; the process must exit and be restarted."""


class Backoff:
    """One part's failures: the delay before its next try, and the log lines about them."""

    def __init__(self, part: str, *, first: float = 0.5, most: float = 30.0) -> None:
        self.part = part
        self._first, self._most = first, most
        self._delay = first
        self.failures = 0
        self._since = 0.0

    @property
    def failing(self) -> bool:
        return self.failures > 0

    def failed(self, exc: BaseException, what: str = "") -> float:
        """Note a failure; return how long to wait before trying again.

        Raises ``Fatal`` when the failure is one no wait will mend."""
        reason = fatal_reason(exc)
        if reason is not None:
            raise Fatal(f"{self.part}: {reason}") from exc
        if self.failures == 0:
            self._since = time.monotonic()
            detail = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
            doing = f" ({what})" if what else ""
            log.error(
                "%s failed%s: %s; retrying with backoff, quiet until it recovers",
                self.part,
                doing,
                detail,
            )
        self.failures += 1
        delay = self._delay
        self._delay = min(self._delay * 2, self._most)
        return delay

    def ok(self) -> None:
        """The part worked: log the recovery once and start the delays over."""
        if self.failures:
            log.warning(
                "%s recovered after %d failed attempt(s) over %.0f s",
                self.part,
                self.failures,
                time.monotonic() - self._since,
            )
        self.failures = 0
        self._delay = self._first
