"""mass_incident: a crane falls. 20, then 100, workers of one branch send /120 in the same
second, with Telegram's flood limits on (the sandbox answers 429 past them). Measured at
the sandbox: for every request, how long from its /120 until it was in front of one of
the branch's first-level responders (its own alert, or a bundle that lists it on any
page); the messages each responder got in the first minute; and the 429s received
(issue "A crane falls": at most 2 s for the last of them, and no 429)."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from pathlib import Path

from bench.proc import READY, BotProcess
from bench.scenarios import REALISTIC, Outcome, _prepare
from bench.seed import RosterSpec, make_roster
from bench.stats import Metric
from bench.watch import Watch
from sandbox import Limits, SandboxServer


async def mass_incident(root: Path, sizes: tuple[int, ...] = (20, 100)) -> Outcome:
    out = Outcome()
    for n in sizes:
        out.metrics += await _one(root / f"mass-{n}", n)
    return out


async def _one(work: Path, n: int) -> list[Metric]:
    roster = make_roster(RosterSpec(branches=1, members_per_branch=2, workers=n))
    chats = roster.member_chats(0)
    async with SandboxServer(port=0, limits=Limits(**vars(REALISTIC))) as srv:
        db, env = await _prepare(work, roster, srv.base_url)
        watch = Watch(srv)
        async with BotProcess(env, db.parent) as bot:
            await bot.wait_line(READY, 60)
            senders = [srv.user(w.telegram_id, f"W{i}") for i, w in enumerate(roster.workers)]
            t0 = time.monotonic()
            for i, worker in enumerate(senders):
                worker.send(f"/120 bench-mass-{i} the crane fell on berth 4")
            if not await watch.until(lambda: _reached(db, chats) >= n, 120):
                raise RuntimeError(f"not every request reached a responder:\n{bot.tail()}")
            await watch.until(lambda: time.monotonic() - t0 >= 60, 61)  # the first minute
    arrived = {
        (c.chat_id, int(c.result["message_id"])): c.t_received
        for c in srv.calls
        if c.method == "sendMessage" and c.ok and c.chat_id in chats
    }
    first: dict[int, float] = {}
    for request_id, chat_id, message_id in _carriers(db, chats):
        at = arrived.get((chat_id, message_id))
        if at is not None:
            first[request_id] = min(first.get(request_id, at), at)
    per_chat = [
        sum(1 for c in srv.calls if c.ok and c.chat_id == chat and c.t_received - t0 <= 60)
        for chat in chats
    ]
    throttled = sum(1 for c in srv.calls if c.status == 429)
    worst = max(first.values()) - t0 if len(first) == n else None
    return [
        Metric(
            f"mass_{n}_in_front_p100_s",
            worst,
            "s",
            2,
            "<=",
            f"{n} /120s in one second: the last one in front of a responder",
        ),
        Metric(
            f"mass_{n}_messages_per_responder",
            max(per_chat),
            "",
            None,
            "<=",
            "sends and edits to one responder in the first minute",
        ),
        Metric(f"mass_{n}_429s", throttled, "", 0, "<=", "Too Many Requests received"),
    ]


def _reached(db: Path, chats: tuple[int, ...]) -> int:
    """Requests whose alert to one of ``chats`` was sent, alone or in a bundle."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        marks = ",".join("?" * len(chats))
        found = conn.execute(
            f"SELECT count(DISTINCT request_id) FROM outbox WHERE chat_id IN ({marks})"
            " AND purpose IN ('alert', 'alert-retired') AND status = 'sent'",
            chats,
        ).fetchone()
    return int(found[0])


def _carriers(db: Path, chats: tuple[int, ...]) -> list[tuple[int, int, int]]:
    """(request, chat, message id) of every message that put a request in front of a
    responder: its own alert's, or the bundle's that carried it."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        marks = ",".join("?" * len(chats))
        rows = conn.execute(
            "SELECT a.request_id, a.chat_id, coalesce(b.message_id, a.message_id)"
            " FROM outbox a LEFT JOIN outbox b ON b.id = a.ref_id AND b.purpose = 'bundle'"
            f" WHERE a.chat_id IN ({marks}) AND a.purpose IN ('alert', 'alert-retired')"
            " AND a.status = 'sent'",
            chats,
        ).fetchall()
    return [(int(r), int(c), int(m)) for r, c, m in rows if m is not None]
