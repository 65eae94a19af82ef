"""``kill -9`` between a bundle's send and its record (issue "A crane falls").

Eight workers call at once; li gets three alerts alone and those waiting at his chat's
next slot in a bundle (any raised later wait behind it). The bundle reaches li's phone
but Telegram's answer is held back, so the bot dies with the bundle claimed ('sending')
and the alerts it carries marked 'bundled'. After the restart the bundle goes once more,
marked as a repeat, as any send cut off so would; nothing else repeats and no request is
lost or recorded twice.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.crowd import FIRST, crowd_roster, marker
from tests.process.harness import LI, QIAN, WAIT, all_sent, harness_for, until

pytestmark = pytest.mark.process

WORKERS = 8


async def test_kill9_between_a_bundle_sent_and_recorded_repeats_it_once_marked(
    tmp_path: Path,
) -> None:
    roster = tmp_path / "crowd.yaml"
    roster.write_text(crowd_roster(WORKERS))
    async with harness_for(tmp_path, roster) as h:
        workers = [h.server.user(FIRST + i, f"工人{i}") for i in range(WORKERS)]
        li, qian = h.user(LI), h.user(QIAN)
        bot = await h.start_bot()
        h.server.delay("sendMessage", LI, seconds=30, deliver=True, containing="at once")
        for i, worker in enumerate(workers):
            worker.send(f"/120 {marker(i)} the crane fell")
        bundle = await li.wait_message("requests at once", WAIT)

        def only_li_bundle_in_flight() -> list[tuple[Any, ...]] | None:
            rows = h.query("SELECT chat_id, purpose, status FROM outbox ORDER BY id")
            flying = {r for r in rows if r[2] != "sent"}
            # li's alerts raised after the bundle formed wait behind it ('pending').
            allowed = {
                (LI, "bundle", "sending"),
                (LI, "alert", "bundled"),
                (LI, "alert", "pending"),
            }
            acked = all(w.messages for w in workers)
            sending = (LI, "bundle", "sending") in flying
            return rows if sending and flying <= allowed and acked else None

        await until(only_li_bundle_in_flight, "all but li's bundle recorded as sent")
        carried = h.query("SELECT count(*) FROM outbox WHERE status = 'bundled'")[0][0]
        await h.kill9(bot)

        await h.start_bot()
        again = await li.wait_message(lambda m: m.text.startswith("(repeat) "), WAIT)
        await until(lambda: all_sent(h), "the repeat recorded, its alerts with it")

        assert again.text == "(repeat) " + bundle.text
        assert again.buttons == bundle.buttons
        assert len(re.findall(r"^#\d+ ", bundle.text, re.M)) == carried
        assert sum(m.text.startswith("(repeat)") for m in li.messages) == 1
        assert not any(m.text.startswith("(repeat)") for m in qian.messages)
        for i, worker in enumerate(workers):  # each heard back once
            assert len([m for m in worker.messages if "received" in m.text]) == 1, i
        # Every request reached li: alone or in the bundle, and each is recorded once.
        reached = h.query(
            "SELECT request_id, count(*) FROM outbox WHERE chat_id = ? AND purpose = 'alert'"
            " AND status = 'sent' GROUP BY request_id",
            LI,
        )
        assert sorted(reached) == [(n, 1) for n in range(1, WORKERS + 1)]
        assert h.query("SELECT count(*) FROM requests") == [(WORKERS,)]
