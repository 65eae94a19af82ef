"""flood: one worker sends /120 a hundred times in a burst, then a colleague of the same
branch sends one. What matters is the colleague: their first alert must not wait behind
the flood (issue "Nobody can impersonate, flood, overhear or break it")."""

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


async def flood(root: Path, burst: int = 100) -> Outcome:
    roster = make_roster(RosterSpec(branches=2, members_per_branch=2, workers=4))
    flooder = roster.workers[0]
    other = next(w for w in roster.workers[1:] if w.branch == flooder.branch)
    chats = roster.member_chats(other.branch)
    out = Outcome()
    async with SandboxServer(port=0, limits=Limits(**vars(REALISTIC))) as srv:
        db, env = await _prepare(root / "flood", roster, srv.base_url)
        watch = Watch(srv)
        async with BotProcess(env, db.parent) as bot:
            await bot.wait_line(READY, 60)
            panicking = srv.user(flooder.telegram_id, "Flooder")
            for i in range(burst):
                panicking.send(f"/120 bench-flood-{i} help")
            t0 = time.monotonic()
            srv.user(other.telegram_id, "Other").send("/120 bench-other-0 chest pain")
            if not await watch.until(lambda: watch.first("other", 0, chats) is not None, 60):
                raise RuntimeError(f"the colleague's alert never arrived:\n{bot.tail()}")
            call = watch.first("other", 0, chats)
            assert call is not None
            await watch.until(lambda: _pending(db) == 0, 180)
    with contextlib.closing(sqlite3.connect(db)) as conn:
        raised, alerts, messages = conn.execute(
            "SELECT (SELECT count(*) FROM requests WHERE requester_chat_id = ?),"
            " (SELECT count(*) FROM outbox o JOIN requests r ON r.id = o.request_id"
            "  WHERE r.requester_chat_id = ? AND o.purpose = 'alert'),"
            " (SELECT count(*) FROM outbox o JOIN requests r ON r.id = o.request_id"
            "  WHERE r.requester_chat_id = ?)",
            (flooder.telegram_id,) * 3,
        ).fetchone()
    out.metrics += [
        Metric(
            "flood_other_first_alert_s",
            call.t_received - t0,
            "s",
            3,
            "<=",
            f"a colleague's /120 sent after {burst} /120s from one worker",
        ),
        Metric("flood_requests", raised, "", None, "<=", f"raised by the {burst} /120s"),
        Metric("flood_alerts", alerts, "", None, "<=", "alerts (with Take) for the flood"),
        Metric("flood_messages", messages, "", None, "<=", "every message about the flood"),
    ]
    return out


def _pending(db: Path) -> int:
    with contextlib.closing(sqlite3.connect(db, timeout=10)) as conn:
        row = conn.execute("SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')")
        return int(row.fetchone()[0])
