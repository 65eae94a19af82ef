"""Read the bot's database after a run: when deadlines fired, what the outbox did."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import and_, func, select

from bench.seed import sync_engine
from storage.tables import deadlines, outbox, requests


@dataclass(frozen=True)
class Fired:
    request_id: int
    due_at: datetime
    fired_at: datetime | None
    status: str

    @property
    def lateness_s(self) -> float | None:
        if self.fired_at is None:
            return None
        return (self.fired_at - self.due_at).total_seconds()


def level0_deadlines(db: Path, first_id: int, last_id: int) -> list[Fired]:
    """The first-escalation (level 0) deadline of each request in [first_id, last_id]."""
    engine = sync_engine(db)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(
                    deadlines.c.request_id,
                    deadlines.c.due_at,
                    deadlines.c.fired_at,
                    deadlines.c.status,
                    deadlines.c.data,
                ).where(
                    and_(
                        deadlines.c.kind == "escalate",
                        deadlines.c.request_id.between(first_id, last_id),
                    )
                )
            ).all()
    finally:
        engine.dispose()
    return [
        Fired(int(r.request_id), r.due_at, r.fired_at, str(r.status))
        for r in rows
        if (r.data or {}).get("level") == 0
    ]


def alert_statuses(db: Path, first_id: int, last_id: int) -> Counter[str]:
    """Status counts of the alert rows of the requests in [first_id, last_id]."""
    engine = sync_engine(db)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(outbox.c.status, func.count())
                .where(
                    outbox.c.request_id.between(first_id, last_id),
                    outbox.c.purpose.in_(("alert", "alert-retired")),
                )
                .group_by(outbox.c.status)
            ).all()
    finally:
        engine.dispose()
    return Counter({str(r[0]): int(r[1]) for r in rows})


def intake_times(db: Path, marker: str) -> dict[str, tuple[datetime, datetime | None]]:
    """Per request text containing ``marker``: (request created_at, first alert sent_at)."""
    engine = sync_engine(db)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(requests.c.text, requests.c.created_at, func.min(outbox.c.sent_at))
                .join(
                    outbox,
                    and_(outbox.c.request_id == requests.c.id, outbox.c.purpose == "alert"),
                    isouter=True,
                )
                .where(requests.c.text.contains(marker))
                .group_by(requests.c.id)
            ).all()
    finally:
        engine.dispose()
    return {str(r[0]): (r[1], r[2]) for r in rows}
