"""inputs: does heavy work asked for by someone delay an emergency? The committee asks for
the year's /report (figures and charts, drawn off the event loop) and a worker raises a
/120 right behind it; the alert's delay is compared with the same /120 on a quiet bot
(issue "Nobody can impersonate, flood, overhear or break it": at most 50 ms more). The
first loaded round includes starting the report worker (``bot/offloop.py``)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.proc import READY, BotProcess
from bench.scenarios import REALISTIC, Outcome, _prepare
from bench.seed import COMMITTEE_ID, RosterSpec, branch_ids, make_roster, seed_open_requests
from bench.stats import Metric, percentile
from bench.watch import Watch
from sandbox import Limits, SandboxServer


async def inputs(root: Path, rounds: int = 5, history: int = 5000) -> Outcome:
    roster = make_roster(RosterSpec(branches=4, members_per_branch=2, workers=2 * rounds + 1))
    out = Outcome()
    async with SandboxServer(port=0, limits=Limits(**vars(REALISTIC))) as srv:
        db, env = await _prepare(root / "inputs", roster, srv.base_url)
        ids = list(branch_ids(db).values())
        now = datetime.now(UTC)
        seed_open_requests(  # figures to compute and draw
            db,
            branch_of=[ids[i % len(ids)] for i in range(history)],
            due=[now + timedelta(days=1)] * history,
            marker="bench-history",
            now=now,
        )
        watch = Watch(srv)
        committee = srv.user(COMMITTEE_ID, "Committee")
        async with BotProcess(env, db.parent) as bot:
            await bot.wait_line(READY, 60)
            calm: list[float] = []
            busy: list[float] = []
            # Round 0 warms up (the first connection, the first alert to each chat take
            # twice as long, report or not) and is not counted.
            for i in range(2 * rounds + 1):
                worker = roster.workers[i]
                chats = roster.member_chats(worker.branch)
                loaded = i % 2 == 0 and i > 0
                before = _photos(srv, COMMITTEE_ID)
                if loaded:
                    committee.send("/report this-month")
                t0 = time.monotonic()
                srv.user(worker.telegram_id, f"W{i}").send(f"/120 bench-input-{i} help")

                def arrived(i: int = i, chats: tuple[int, ...] = chats) -> bool:
                    return watch.first("input", i, chats) is not None

                if not await watch.until(arrived, 30):
                    raise RuntimeError(f"alert {i} never arrived:\n{bot.tail()}")
                call = watch.first("input", i, chats)
                assert call is not None
                if i > 0:
                    (busy if loaded else calm).append((call.t_received - t0) * 1000)
                if loaded:  # the report's charts are out before the next round

                    def drawn(n: int = before) -> bool:
                        return _photos(srv, COMMITTEE_ID) > n

                    await watch.until(drawn, 60)
                await asyncio.sleep(1.2)  # both rate buckets refill between rounds
    extra = max(busy) - percentile(calm, 50) if calm and busy else None
    out.metrics += [
        Metric("inputs_calm_p50_ms", percentile(calm, 50), "ms", None, "<=", "a /120 alone"),
        Metric(
            "inputs_busy_max_ms",
            max(busy) if busy else None,
            "ms",
            None,
            "<=",
            "a /120 right behind the committee's /report",
        ),
        Metric("inputs_extra_ms", extra, "ms", 50, "<=", "how much later than alone"),
    ]
    return out


def _photos(srv: SandboxServer, chat: int) -> int:
    return sum(1 for c in srv.calls if c.method == "sendPhoto" and c.ok and c.chat_id == chat)
