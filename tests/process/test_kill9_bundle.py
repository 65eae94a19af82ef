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
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.crowd import FIRST, crowd_roster, marker
from tests.process.harness import LI, QIAN, WAIT, all_sent, harness_for, until

pytestmark = pytest.mark.process

WORKERS = 8


@pytest.fixture
def crowd(tmp_path: Path, undated_roster: Path) -> Path:
    """The crowd, on a roster with no dated sections: nothing but the crane that day."""
    roster = tmp_path / "crowd.yaml"
    roster.write_text(crowd_roster(WORKERS, undated_roster.read_text()))
    return roster


async def test_kill9_between_a_bundle_sent_and_recorded_repeats_it_once_marked(
    tmp_path: Path, crowd: Path
) -> None:
    async with harness_for(tmp_path, crowd) as h:
        workers = [h.server.user(FIRST + i, f"工人{i}") for i in range(WORKERS)]
        li, qian = h.user(LI), h.user(QIAN)
        bot = await h.start_bot()
        h.server.delay("sendMessage", LI, seconds=30, deliver=True, containing="at once")
        for i, worker in enumerate(workers):
            worker.send(f"/120 {marker(i)} the crane fell")
        bundle = await li.wait_message("requests at once", WAIT)

        def bundle_on_its_way() -> list[tuple[Any, ...]] | None:
            rows = h.query("SELECT chat_id, purpose, status FROM outbox ORDER BY id")
            return rows if (LI, "bundle", "sending") in rows else None

        # Killed at once: before the bot's read timeout gives up on the held answer.
        await until(bundle_on_its_way, "li's bundle claimed and on its way")
        carried = h.query(
            "SELECT count(*) FROM outbox WHERE status = 'bundled' AND chat_id = ?", LI
        )[0][0]
        await h.kill9(bot)

        await h.start_bot()
        again = await li.wait_message(lambda m: m.text.startswith("(repeat) 🚨"), WAIT)
        try:
            await until(lambda: all_sent(h), "the repeat recorded, its alerts with it", 90)
        except TimeoutError:
            rows = h.query("SELECT id, chat_id, purpose, status, error FROM outbox ORDER BY id")
            raise AssertionError(f"not all sent: {[r for r in rows if r[3] != 'sent']}") from None

        assert again.text == "(repeat) " + bundle.text
        assert again.buttons == bundle.buttons
        assert len(re.findall(r"^#\d+ ", bundle.text, re.M)) == carried
        assert sum(m.text.startswith("(repeat) 🚨") for m in li.messages) == 1
        # Anything else the kill caught on its way (qian's bundle, an acknowledgement) goes
        # again at most once, marked; nothing arrives twice unmarked.
        for user in [*workers, li, qian]:
            plain = Counter(m.text for m in user.messages if not m.text.startswith("(repeat) "))
            marked = Counter(m.text for m in user.messages if m.text.startswith("(repeat) "))
            assert all(n == 1 for n in (*plain.values(), *marked.values())), user.id
        for i, worker in enumerate(workers):  # each heard back
            assert any("received" in m.text for m in worker.messages), i
        # Every request reached li: alone or in the bundle, and each is recorded once.
        reached = h.query(
            "SELECT request_id, count(*) FROM outbox WHERE chat_id = ? AND purpose = 'alert'"
            " AND status = 'sent' GROUP BY request_id",
            LI,
        )
        assert sorted(reached) == [(n, 1) for n in range(1, WORKERS + 1)]
        assert h.query("SELECT count(*) FROM requests") == [(WORKERS,)]
