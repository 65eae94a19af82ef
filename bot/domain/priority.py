"""Outbox priorities: which waiting message leaves first (lower first).

Each urgency has a band of ten: its first alert per request, then its further alerts,
then everything else about it, so when many requests come at once each gets one phone
ringing before any gets a second. A closed set of bands; offsets within a band come from
the functions below, never from numbers written elsewhere.
"""

from __future__ import annotations

from enum import IntEnum

from bot.domain.kinds import Urgency


class Priority(IntEnum):
    CRITICAL = 0  # a 120's messages
    HIGH = 10  # a 110's messages
    NORMAL = 20  # a service request's messages
    REPLY = 25  # an answer to someone who just wrote: after every request's messages
    LOW = 30  # reminders, notices and digests

    @staticmethod
    def band(urgency: Urgency) -> int:
        return {
            Urgency.CRITICAL: Priority.CRITICAL,
            Urgency.HIGH: Priority.HIGH,
            Urgency.NORMAL: Priority.NORMAL,
        }[urgency]

    @staticmethod
    def of(urgency: Urgency) -> int:
        """Messages about a request of ``urgency`` other than its alerts."""
        return Priority.band(urgency) + 2

    @staticmethod
    def alert(urgency: Urgency, index: int) -> int:
        """The ``index``-th alert of one level of a request: the first one goes first."""
        return Priority.band(urgency) + min(index, 1)
