"""Generated rosters and bulk seeding of the database for the benchmarks.

The schema is created the way an operator creates it (``helpline roster import``, which
runs the migrations); the bulk rows are then written with SQLAlchemy Core over the sync
``sqlite`` driver, through the project's own tables so that every value (naive-UTC
timestamps, JSON) is stored exactly as the bot stores it. Big inserts go through
``executemany`` in large batches with ``synchronous=OFF``: 100,000 open requests take
seconds, not minutes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.engine import Connection

from storage.tables import branch_departments, branch_members, branches, deadlines, outbox
from storage.tables import people as people_table
from storage.tables import requests as requests_table

BATCH = 20_000
COMMITTEE_ID = 10_000
SECRETARY_BASE = 20_000_000
MEMBER_BASE = 30_000_000
WORKER_BASE = 40_000_000
REQUESTER_BASE = 50_000_000
NORMAL_CHAT_BASE = 60_000_000
CRITICAL_CHAIN: dict[str, Any] = {"waits": [120, 180], "repeat": 300}


@dataclass(frozen=True)
class RosterSpec:
    """How big a generated roster is: branches, members per branch, workers overall."""

    branches: int
    members_per_branch: int = 2
    workers: int = 0


@dataclass(frozen=True)
class Worker:
    key: str
    telegram_id: int
    branch: int  # index of the branch serving the worker's department


@dataclass(frozen=True)
class GeneratedRoster:
    text: str
    spec: RosterSpec
    workers: tuple[Worker, ...]

    def secretary_chat(self, branch: int) -> int:
        return SECRETARY_BASE + branch

    def member_chats(self, branch: int) -> tuple[int, ...]:
        return tuple(MEMBER_BASE + branch * 10 + j for j in range(self.spec.members_per_branch))


def _line(entry: dict[str, Any]) -> str:
    # JSON is YAML: a flow mapping per entry keeps the generated file short and exact.
    return "  - " + json.dumps(entry, ensure_ascii=False)


def make_roster(spec: RosterSpec) -> GeneratedRoster:
    """A roster in the shape of examples/roster.yaml: one committee officer; per branch a
    secretary (a distinct chat) and members who handle 120 and 110; workers spread over
    the branches round-robin."""
    if spec.branches < 1 or spec.members_per_branch > 10:
        raise ValueError("need at least one branch and at most 10 members per branch")
    out: list[str] = ["committee: [c0]", "branches:"]
    for b in range(spec.branches):
        members = [f"m{b}x{j}" for j in range(spec.members_per_branch)]
        out.append(
            _line(
                {
                    "key": f"b{b}",
                    "name": f"Branch {b}",
                    "departments": [f"dept-{b}"],
                    "secretary": f"s{b}",
                    "members": members,
                }
            )
        )
    out.append("people:")
    out.append(_line({"key": "c0", "name": "Committee 0", "telegram_id": COMMITTEE_ID}))
    for b in range(spec.branches):
        out.append(
            _line(
                {
                    "key": f"s{b}",
                    "name": f"Secretary {b}",
                    "telegram_id": SECRETARY_BASE + b,
                    "department": f"dept-{b}",
                }
            )
        )
        for j in range(spec.members_per_branch):
            out.append(
                _line(
                    {
                        "key": f"m{b}x{j}",
                        "name": f"Member {b}.{j}",
                        "telegram_id": MEMBER_BASE + b * 10 + j,
                        "department": f"dept-{b}",
                        "handles": ["120", "110"],
                    }
                )
            )
    workers = tuple(
        Worker(f"w{w}", WORKER_BASE + w, w % spec.branches) for w in range(spec.workers)
    )
    for worker in workers:
        out.append(
            _line(
                {
                    "key": worker.key,
                    "name": f"Worker {worker.key[1:]}",
                    "telegram_id": worker.telegram_id,
                    "department": f"dept-{worker.branch}",
                }
            )
        )
    out += [
        "escalation:",
        "  critical: {levels: [2m, 3m], repeat: 5m}",
        "  high: {levels: [5m, 10m], repeat: 10m}",
        "  normal: {levels: [4h, 8h], repeat: 1d}",
    ]
    return GeneratedRoster("\n".join(out) + "\n", spec, workers)


def sync_engine(db: Path) -> Engine:
    """A plain (sync) engine on the bot's SQLite file, tuned for bulk loading."""
    engine = create_engine(f"sqlite:///{db}")

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=OFF")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.close()

    return engine


def branch_ids(db: Path) -> dict[str, int]:
    """Branch key -> database id (after the roster was imported)."""
    engine = sync_engine(db)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(branches.c.key, branches.c.id)).all()
    finally:
        engine.dispose()
    return {str(r.key): int(r.id) for r in rows}


def _batches(rows: Iterator[dict[str, Any]], size: int = BATCH) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _next_id(conn: Connection, column: Any) -> int:
    from sqlalchemy import func

    return int(conn.scalar(select(func.coalesce(func.max(column), 0))) or 0) + 1


def seed_open_requests(
    db: Path,
    *,
    branch_of: Sequence[int],
    due: Sequence[datetime],
    marker: str,
    now: datetime,
) -> list[int]:
    """Open 120 requests at level 0, each with a pending ``escalate`` deadline.

    ``branch_of[i]`` is the database id of request i's branch and ``due[i]`` its first
    escalation time; request i's text is ``{marker}-{i}`` (found again in its alerts).
    Returns the request ids, in the same order.
    """
    if len(branch_of) != len(due):
        raise ValueError("branch_of and due must have the same length")
    engine = sync_engine(db)
    try:
        with engine.begin() as conn:
            first = _next_id(conn, requests_table.c.id)
            ids = list(range(first, first + len(due)))

            def request_rows() -> Iterator[dict[str, Any]]:
                for i, (rid, when) in enumerate(zip(ids, due, strict=True)):
                    yield {
                        "id": rid,
                        "kind": "120",
                        "category": None,
                        "urgency": "critical",
                        "state": "open",
                        "branch_id": branch_of[i],
                        "requester_id": None,
                        "requester_chat_id": REQUESTER_BASE + i,
                        "requester_name": f"Bench worker {i}",
                        "requester_department": None,
                        "unregistered": False,
                        "text": f"{marker}-{i}",
                        "owner_id": None,
                        "level": 0,
                        "chain": CRITICAL_CHAIN,
                        "rating": None,
                        "source_update_id": None,
                        "created_at": min(now, when),
                        "updated_at": min(now, when),
                    }

            def deadline_rows() -> Iterator[dict[str, Any]]:
                for rid, when in zip(ids, due, strict=True):
                    yield {
                        "request_id": rid,
                        "kind": "escalate",
                        "due_at": when,
                        "status": "pending",
                        "data": {"level": 0},
                        "created_at": min(now, when),
                        "fired_at": None,
                    }

            for batch in _batches(request_rows()):
                conn.execute(requests_table.insert(), batch)
            for batch in _batches(deadline_rows()):
                conn.execute(deadlines.insert(), batch)
    finally:
        engine.dispose()
    return ids


def seed_outbox(db: Path, *, count: int, marker: str, priority: int, now: datetime) -> None:
    """``count`` pending messages of ``priority``, each to its own chat, texts ``{marker}-{i}``."""
    engine = sync_engine(db)
    rows = (
        {
            "chat_id": NORMAL_CHAT_BASE + i,
            "priority": priority,
            "method": "sendMessage",
            "payload": {"text": f"{marker}-{i}"},
            "request_id": None,
            "recipient_id": None,
            "purpose": "notice",
            "level": None,
            "ref_id": None,
            "status": "pending",
            "attempts": 0,
            "not_before": now,
            "created_at": now,
            "sent_at": None,
            "message_id": None,
            "error": None,
        }
        for i in range(count)
    )
    try:
        with engine.begin() as conn:
            for batch in _batches(rows):
                conn.execute(outbox.insert(), batch)
    finally:
        engine.dispose()


def roster_counts(db: Path) -> dict[str, int]:
    """Rows in the roster tables (a sanity check after the import)."""
    from sqlalchemy import func

    engine = sync_engine(db)
    try:
        with engine.connect() as conn:
            return {
                name: int(conn.scalar(select(func.count()).select_from(table)) or 0)
                for name, table in (
                    ("people", people_table),
                    ("branches", branches),
                    ("branch_members", branch_members),
                    ("branch_departments", branch_departments),
                )
            }
    finally:
        engine.dispose()
