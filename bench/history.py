"""A help line's past, seeded fast: years of requests with their figures' facts and timelines.

For the ``export`` and ``report`` scenarios: hundreds of thousands to millions of requests,
raised one after the other over a span of dates across the roster's branches, most of them
long closed, with the facts columns the bot keeps (``storage/request_facts.py``) drawn from
realistic spreads - time to take, resolve and close log-normal around what each urgency
usually takes; escalated when the take came after the first level's wait; some reopened,
some closed by a secretary, most rated - and, when asked, the timeline events the bot
would have written (raised, alerted, escalated, taken, messages, resolved, reopened,
closed, rated, cancelled), in the same shapes as ``bot/usecases``.

Rows go in through the sync ``sqlite3`` driver (``executemany`` in batches of 50,000, one
transaction, ``synchronous=OFF``), in the exact format SQLAlchemy stores them in (naive UTC
``YYYY-MM-DD HH:MM:SS.ffffff`` timestamps, JSON text): a million requests in seconds.
No request is left ``open`` - the bot's safety sweep would re-arm and alert them.
"""

from __future__ import annotations

import json
import math
import random
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

BATCH = 50_000
REQUESTER_CHAT_BASE = 70_000_000
CATEGORIES = ("reimbursement", "gear", "insurance", "policy", "family", "facilities", "other")
# kind, urgency, share of requests; first escalation wait (s); medians (s) of the times
KINDS = (
    ("120", "critical", 0.10, 120, 50, 1800),
    ("110", "high", 0.15, 300, 150, 7200),
    ("service", "normal", 0.75, 14_400, 2400, 86_400),
)
CHAINS = {
    "critical": {"waits": [120, 180], "repeat": 300},
    "high": {"waits": [300, 600], "repeat": 600},
    "normal": {"waits": [14_400, 28_800], "repeat": 86_400},
}
STARS = (5, 5, 5, 5, 5, 5, 4, 4, 4, 4, 3, 3, 2, 1)
TEXTS = (
    "胸口疼，喘不上气，在三号泊位",
    "叉车撞到了货架，有人被压住了腿",
    "医药费报销提交三个月了还没有回音",
    "劳保鞋磨破了，申请换一双新的",
    "工伤保险的材料不知道该交给谁",
    "家里老人住院，想请几天假照顾",
    "宿舍热水器坏了一个星期了",
    "夜班加班费的计算方式有疑问",
)
REQUEST_COLUMNS = (
    "id, kind, category, urgency, state, branch_id, requester_id, requester_chat_id, "
    "requester_name, requester_department, unregistered, text, owner_id, level, chain, "
    "rating, family_of_name, source_update_id, created_at, updated_at, take_seconds, "
    "resolve_seconds, close_seconds, closed_by, reopen_count, escalated"
)
EVENT_COLUMNS = "request_id, at, type, actor_id, actor_chat_id, data"


@dataclass(frozen=True)
class Branch:
    id: int
    department: str
    secretary: tuple[int, int]  # (person id, telegram id)
    members: tuple[tuple[int, int], ...]


@dataclass
class Seeded:
    requests: int = 0
    events: int = 0
    first_id: int = 0
    last_id: int = 0
    by_state: dict[str, int] | None = None


def staff(db: Path) -> list[Branch]:
    """The imported roster's branches with their secretary and members."""
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute(
            "SELECT b.id, b.secretary_id, s.telegram_id, d.department FROM branches b"
            " JOIN people s ON s.id = b.secretary_id"
            " LEFT JOIN branch_departments d ON d.branch_id = b.id ORDER BY b.id"
        ).fetchall()
        members: dict[int, list[tuple[int, int]]] = {}
        for branch_id, person_id, telegram_id in conn.execute(
            "SELECT m.branch_id, p.id, p.telegram_id FROM branch_members m"
            " JOIN people p ON p.id = m.person_id ORDER BY m.branch_id, m.position"
        ):
            members.setdefault(branch_id, []).append((person_id, telegram_id))
    finally:
        conn.close()
    seen: dict[int, Branch] = {}
    for branch_id, person_id, telegram_id, department in rows:
        if branch_id not in seen:
            team = tuple(members.get(branch_id, [])) or ((person_id, telegram_id),)
            seen[branch_id] = Branch(branch_id, department or "", (person_id, telegram_id), team)
    return list(seen.values())


def stamp(at: datetime) -> str:
    """A UTC instant the way SQLAlchemy's SQLite DateTime stores it."""
    u = at.astimezone(UTC)
    return (
        f"{u.year:04d}-{u.month:02d}-{u.day:02d} "
        f"{u.hour:02d}:{u.minute:02d}:{u.second:02d}.{u.microsecond:06d}"
    )


def _lognormal(rng: random.Random, median: float, sigma: float) -> int:
    return max(1, int(rng.lognormvariate(math.log(median), sigma)))


@dataclass
class Drawn:
    """One request of the past, as drawn."""

    id: int
    created: datetime
    kind: str
    urgency: str
    category: str | None
    first_wait: int
    branch: Branch | None
    chat: int
    worker: int
    family: bool
    text: str
    state: str
    take: int | None = None
    resolve: int | None = None
    close: int | None = None
    closed_by: str | None = None
    rating: int | None = None
    reopen: int = 0
    owner: tuple[int, int] | None = None
    escalated: bool = False

    @property
    def unregistered(self) -> bool:
        return self.branch is None


class _History:
    """Draws one request (and its events) after another."""

    def __init__(self, branches: list[Branch], rng: random.Random, timelines: bool) -> None:
        self.branches = branches
        self.rng = rng
        self.timelines = timelines
        self.events: list[tuple[Any, ...]] = []
        self.by_state: dict[str, int] = {}
        self._chains = {u: json.dumps(c) for u, c in CHAINS.items()}

    def request(self, rid: int, created: datetime) -> tuple[Any, ...]:
        d = self._draw(rid, created)
        self.by_state[d.state] = self.by_state.get(d.state, 0) + 1
        if self.timelines:
            self._timeline(d)
        return self._row(d)

    def _draw(self, rid: int, created: datetime) -> Drawn:
        rng = self.rng
        pick = rng.random()
        kind, urgency, _share, first_wait, take_median, resolve_median = KINDS[
            0 if pick < 0.10 else 1 if pick < 0.25 else 2
        ]
        unregistered = kind != "service" and rng.random() < 0.02
        worker = rng.randrange(20_000)
        draw = rng.random()
        state = "closed" if draw < 0.93 else "cancelled" if draw < 0.96 else "resolved"
        d = Drawn(
            id=rid,
            created=created,
            kind=kind,
            urgency=urgency,
            category=rng.choice(CATEGORIES) if kind == "service" else None,
            first_wait=first_wait,
            branch=None if unregistered else rng.choice(self.branches),
            chat=REQUESTER_CHAT_BASE + worker,
            worker=worker,
            family=rng.random() < 0.02,
            text=TEXTS[rid % len(TEXTS)] + f" ({rid})",
            state="taken" if draw >= 0.99 else state,
        )
        if d.state != "cancelled":
            d.take = _lognormal(rng, take_median, 0.8)
            d.owner = rng.choice(d.branch.members) if d.branch else None
        if d.state in ("resolved", "closed"):
            d.reopen = 0 if rng.random() < 0.94 else 1 if rng.random() < 0.85 else 2
            d.resolve = (d.take or 0) + _lognormal(rng, resolve_median, 0.9) * (1 + d.reopen)
        if d.state == "closed":
            resolved = d.resolve or 0
            if rng.random() < 0.88:
                d.closed_by = "worker"
                d.close = resolved + _lognormal(rng, 7200, 1.2)
                d.rating = rng.choice(STARS) if rng.random() < 0.7 else None
            else:
                d.closed_by = "secretary"
                d.close = resolved + 259_200 + _lognormal(rng, 14_400, 1.0)
        d.escalated = (d.take is None and rng.random() < 0.3) or (d.take or 0) > first_wait
        return d

    def _row(self, d: Drawn) -> tuple[Any, ...]:
        level = 0
        if d.unregistered:
            level = 2
        elif d.escalated:
            level = 2 if (d.take or 0) > 2.5 * d.first_wait else 1
        last = d.created + timedelta(seconds=d.close or d.resolve or d.take or 60)
        return (
            d.id,
            d.kind,
            d.category,
            d.urgency,
            d.state,
            d.branch.id if d.branch else None,
            None,
            d.chat,
            f"工人{d.worker}",
            d.branch.department if d.branch else None,
            int(d.unregistered),
            d.text,
            d.owner[0] if d.owner else None,
            level,
            self._chains[d.urgency],
            d.rating,
            f"职工{d.worker}" if d.family else None,
            None,
            stamp(d.created),
            stamp(last),
            d.take,
            d.resolve,
            d.close,
            d.closed_by,
            d.reopen,
            int(d.escalated),
        )

    def _event(
        self, d: Drawn, after: float, type_: str, actor: tuple[int | None, int | None], **data: Any
    ) -> None:
        at = stamp(d.created + timedelta(seconds=after))
        self.events.append((d.id, at, type_, actor[0], actor[1], json.dumps(data)))

    def _timeline(self, d: Drawn) -> None:
        worker, system = (None, d.chat), (None, None)
        raised = {"kind": d.kind, "category": d.category, "text": d.text}
        self._event(d, 0, "raised", worker, **raised, unregistered=d.unregistered)
        team = [p for p, _ in d.branch.members] if d.branch else []
        self._event(d, 0, "alerted", system, level=0, to=team)
        if d.escalated and d.branch is not None:
            up = [d.branch.secretary[0]]
            self._event(d, d.first_wait, "escalated", system, reason="timeout", level=1, to=up)
        if d.take is None:
            self._event(d, 300, "cancelled", worker)
            return
        staff = d.owner or (d.branch.secretary if d.branch else (None, None))
        self._event(d, d.take, "taken", staff)
        if self.rng.random() < 0.5:
            self._event(d, d.take + 60, "message", staff, text="我马上到，请稍等", media=None)
        if self.rng.random() < 0.2:
            photo = {"kind": "photo", "message_id": d.id, "file_id": f"AgACAgUAAxkB{d.id:09d}"}
            self._event(d, d.take + 90, "message", worker, text="", media=photo)
        if d.resolve is None:
            return
        for n in range(d.reopen):
            step = d.take + (d.resolve - d.take) * (n + 1) / (d.reopen + 1)
            self._event(d, step, "resolved", staff, summary="已处理")
            self._event(d, step + 600, "reopened", worker, reason="还没有解决")
        self._event(d, d.resolve, "resolved", staff, summary="已处理完毕")
        if d.close is None:
            return
        if d.closed_by == "worker":
            self._event(d, d.close, "closed", worker)
        else:
            secretary = d.branch.secretary if d.branch else system
            why = "电话确认已解决"
            self._event(d, d.close, "closed", secretary, on_behalf=True, reason=why)
        if d.rating is not None:
            self._event(d, d.close + 30, "rated", worker, stars=d.rating)


def connect(db: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-200000")
    return conn


def seed_history(
    db: Path,
    *,
    count: int,
    first: datetime,
    last: datetime,
    timelines: bool = False,
    seed: int = 110,
) -> Seeded:
    """``count`` requests raised in [first, last), in order, over the roster's branches."""
    branches = staff(db)
    if not branches:
        raise RuntimeError("import a roster with branches first")
    history = _History(branches, random.Random(seed), timelines)
    span = (last - first).total_seconds()
    conn = connect(db)
    done = Seeded(by_state=history.by_state)
    try:
        start = int(conn.execute("SELECT coalesce(max(id), 0) FROM requests").fetchone()[0]) + 1
        conn.execute("BEGIN")
        # Indexes are built once at the end (the same statements the schema made them
        # with): sorting a million keys once beats a million random B-tree inserts.
        indexes = [
            str(sql)
            for (sql,) in conn.execute(
                "SELECT sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL"
                " AND tbl_name IN ('requests', 'events')"
            )
        ]
        for sql in indexes:
            conn.execute("DROP INDEX " + sql.split(" ON ")[0].split()[-1])
        rows: list[tuple[Any, ...]] = []
        for i in range(count):
            created = first + timedelta(seconds=span * (i + history.rng.random()) / count)
            rows.append(history.request(start + i, created))
            if len(rows) >= BATCH:
                _flush(conn, rows, history.events, done)
        _flush(conn, rows, history.events, done)
        for sql in indexes:
            conn.execute(sql)
        conn.execute("COMMIT")  # no ANALYZE: the bot's own database never has statistics
    finally:
        conn.close()
    done.first_id, done.last_id = start, start + count - 1
    return done


def _flush(
    conn: sqlite3.Connection,
    rows: list[tuple[Any, ...]],
    events: list[tuple[Any, ...]],
    done: Seeded,
) -> None:
    marks = ", ".join("?" * len(REQUEST_COLUMNS.split(",")))
    conn.executemany(f"INSERT INTO requests ({REQUEST_COLUMNS}) VALUES ({marks})", rows)
    conn.executemany(f"INSERT INTO events ({EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)", events)
    done.requests += len(rows)
    done.events += len(events)
    rows.clear()
    events.clear()
