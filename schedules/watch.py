"""What the running process knows about itself: when each loop last did its work, and the
counts only it can keep (updates received, 429s, how late deadlines fired). The status
server (``schedules/status.py``) reads it; the loops only call ``beat`` and count.

The Prometheus registry is the process's own (not the library's global one), so two
runtimes in one test process never mix their numbers.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

# The parts /healthz watches, and the loop that beats for each.
POLLER, OUTBOX, DEADLINES = "poller", "outbox dispatcher", "deadline engine"

# Seconds from a request raised to its first take: a first alert's minute, the first
# escalation's few minutes, the duty officers' half hour, and beyond.
TAKE_BUCKETS = (10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)


@dataclass
class Snapshot:
    """The database's side of the figures, read at each scrape."""

    requests: dict[tuple[str, str], int] = field(default_factory=dict)
    pending: dict[int, int] = field(default_factory=dict)
    oldest_alert_age: float = 0.0
    alerts: dict[str, int] = field(default_factory=dict)
    # kind -> (cumulative counts per TAKE_BUCKETS bound then +Inf, total seconds)
    take: dict[str, tuple[list[int], float]] = field(default_factory=dict)


class _FromSnapshot(Collector):
    def __init__(self, watch: Watch) -> None:
        self._watch = watch

    def collect(self) -> Iterator[Metric]:
        snap = self._watch.snapshot
        requests = GaugeMetricFamily(
            "helpline_requests", "Requests by kind and state", labels=["kind", "state"]
        )
        for (kind, state), n in sorted(snap.requests.items()):
            requests.add_metric([kind, state], n)
        yield requests
        pending = GaugeMetricFamily(
            "helpline_outbox_pending",
            "Messages waiting in the outbox, by priority (0 = critical)",
            labels=["priority"],
        )
        for priority, n in sorted(snap.pending.items()):
            pending.add_metric([str(priority)], n)
        yield pending
        yield GaugeMetricFamily(
            "helpline_oldest_pending_alert_seconds",
            "How long the oldest alert not yet out has waited (0: none waiting)",
            value=snap.oldest_alert_age,
        )
        alerts = CounterMetricFamily(
            "helpline_alerts",
            "Alerts sent, and alerts that could not be delivered",
            labels=["outcome"],
        )
        alerts.add_metric(["sent"], snap.alerts.get("sent", 0))
        alerts.add_metric(["undeliverable"], snap.alerts.get("failed", 0))
        yield alerts
        take = HistogramMetricFamily(
            "helpline_time_to_take_seconds",
            "From a request raised to its first take, by kind",
            labels=["kind"],
        )
        for kind, (counts, total) in sorted(snap.take.items()):
            bounds = [*(str(b) for b in TAKE_BUCKETS), "+Inf"]
            take.add_metric([kind], list(zip(bounds, counts, strict=True)), total)
        yield take


class Watch:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._beats: dict[str, float] = {}
        self.snapshot = Snapshot()
        self.updates = Counter(
            "helpline_updates_received",
            "Updates received from Telegram (polling or webhook)",
            registry=self.registry,
        )
        self.throttled = Counter(
            "helpline_telegram_429",
            "Too Many Requests answers from Telegram",
            registry=self.registry,
        )
        self.last_poll = Gauge(
            "helpline_last_successful_poll_timestamp_seconds",
            "When getUpdates last answered (Unix time)",
            registry=self.registry,
        )
        self.lateness = Histogram(
            "helpline_deadline_lateness_seconds",
            "How long after its due time each deadline fired",
            buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600),
            registry=self.registry,
        )
        self.registry.register(_FromSnapshot(self))

    def beat(self, part: str) -> None:
        """``part`` did its work just now."""
        self._beats[part] = time.monotonic()

    def silent_for(self, part: str) -> float | None:
        """Seconds since ``part`` last did its work (None: never yet)."""
        at = self._beats.get(part)
        return None if at is None else time.monotonic() - at

    def polled(self, updates: int, at: datetime) -> None:
        self.beat(POLLER)
        self.last_poll.set(at.timestamp())
        self.updates.inc(updates)
