"""``kill -9`` at the worst moments loses nothing (DESIGN.md §9).

The bot runs as a real ``helpline run`` child process against the sandbox Bot API in this
test's event loop; it is killed with SIGKILL at a moment chosen by holding something up
(an HTTP response, SQLite's write lock) and then started again on the same database. The
only tolerated trace of a crash is a repeated alert marked as a repeat.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable
from typing import Any

import pytest

from sandbox.records import Call
from tests.process.harness import (
    LI,
    MAO,
    QIAN,
    TEXT,
    WAIT,
    WANG,
    ZHAO,
    Harness,
    alerts,
    all_sent,
    outbox_rows,
    until,
)

pytestmark = pytest.mark.process


def assert_one_request_intact(h: Harness) -> None:
    assert h.query("SELECT id, kind, state, text FROM requests") == [
        (1, "120", "open", "chest pain")
    ]
    assert [r[0] for r in h.query("SELECT type FROM events ORDER BY id")] == ["raised", "alerted"]
    # The escalation step is still armed: a crash did not lose the timer.
    assert h.query(
        "SELECT request_id, kind, status FROM deadlines WHERE request_id IS NOT NULL"
    ) == [(1, "escalate", "pending")]


async def test_kill9_between_alert_sent_and_recorded_repeats_it_marked(harness: Harness) -> None:
    h = harness
    worker, li, qian = h.user(MAO), h.user(LI), h.user(QIAN)
    bot = await h.start_bot()
    # li's alert is delivered, but the answer (and so the 'sent' mark) is held back.
    h.server.delay("sendMessage", chat_id=LI, seconds=30, deliver=True)
    worker.send(TEXT)
    first = await li.wait_message("chest pain", WAIT)
    await qian.wait_message("chest pain", WAIT)
    await worker.wait_message("Request #1 received", WAIT)

    def only_li_in_flight() -> list[tuple[Any, ...]] | None:
        rows = outbox_rows(h)
        flying = [r for r in rows if r[3] != "sent"]
        return rows if [(r[1], r[2], r[3]) for r in flying] == [(LI, "alert", "sending")] else None

    await until(only_li_in_flight, "everything but li's alert recorded as sent")
    await h.kill9(bot)

    await h.start_bot()
    again = await li.wait_message(lambda m: m.text.startswith("(repeat) "), WAIT)
    await until(lambda: all_sent(h), "li's repeat recorded as sent")

    assert "chest pain" in again.text and "#1" in again.text
    assert again.text == "(repeat) " + first.text
    assert again.buttons == first.buttons == ["Take"]
    li_alerts = alerts(li)
    assert len(li_alerts) == 2
    assert sum(m.text.startswith("(repeat)") for m in li_alerts) == 1
    assert len(alerts(qian)) == 1 and not alerts(qian)[0].text.startswith("(repeat)")
    acks = [m for m in worker.messages if "Request #1 received" in m.text]
    assert len(acks) == 1 and not acks[0].text.startswith("(repeat)")
    assert h.server.sent_to(WANG) == [] and h.server.sent_to(ZHAO) == []
    assert_one_request_intact(h)
    assert h.query("SELECT count(*) FROM inbox") == [(1,)]


def fetched(text: str) -> Callable[[Call], bool]:
    def probe(call: Call) -> bool:
        if call.method != "getUpdates" or not call.ok or not isinstance(call.result, list):
            return False
        return any((u.get("message") or {}).get("text") == text for u in call.result)

    return probe


async def test_kill9_between_update_fetched_and_stored_processes_it_once(
    harness: Harness,
) -> None:
    h = harness
    worker, li, qian = h.user(MAO), h.user(LI), h.user(QIAN)
    bot = await h.start_bot()
    # Hold SQLite's write lock, as a slow writer in another process would: the bot can
    # fetch the update but cannot record it.
    lock = sqlite3.connect(h.db, timeout=10, isolation_level=None)
    try:
        lock.execute("BEGIN IMMEDIATE")
        worker.send(TEXT)
        await h.server.wait_call(fetched(TEXT), WAIT)
        await h.kill9(bot)
        assert lock.execute("SELECT count(*) FROM inbox").fetchone() == (0,)
        assert lock.execute("SELECT count(*) FROM requests").fetchone() == (0,)
    finally:
        with contextlib.suppress(sqlite3.Error):
            lock.execute("ROLLBACK")
        lock.close()
    assert alerts(li) == [] and alerts(qian) == []

    # Never confirmed to Telegram, so Telegram hands it over again after the restart.
    await h.start_bot()
    await li.wait_message("chest pain", WAIT)
    await qian.wait_message("chest pain", WAIT)
    await worker.wait_message("Request #1 received", WAIT)
    await until(lambda: all_sent(h), "every message recorded as sent")
    await until(
        lambda: h.query("SELECT status FROM inbox") == [("done",)], "the update marked done"
    )

    assert len(alerts(li)) == 1 and len(alerts(qian)) == 1
    acks = [m for m in worker.messages if "Request #1 received" in m.text]
    assert len(acks) == 1
    everything = [m.text for u in (li, qian, worker) for m in u.messages]
    assert not any(text.startswith("(repeat)") for text in everything)
    assert_one_request_intact(h)


async def test_kill9_with_an_update_in_the_inbox_but_not_handled_finishes_it_once(
    harness: Harness,
) -> None:
    h = harness
    worker, li, zhao = h.user(MAO), h.user(LI), h.user(ZHAO)
    bot = await h.start_bot()
    worker.send(TEXT)
    alert = await li.wait_message("chest pain", WAIT)
    await until(lambda: all_sent(h), "request #1 delivered")
    # li's Take commits, then its handler waits for Telegram's answer to the button (held
    # back here): one chat's updates are handled in order, so li's next one is fetched and
    # recorded in the inbox but its handler cannot start.
    h.server.delay("answerCallbackQuery", seconds=30, deliver=True)
    await li.press(alert, "Take", timeout=WAIT)
    await h.server.wait_call("answerCallbackQuery", WAIT)
    li.send("/110 the crane fell")

    def recorded_not_handled() -> bool:
        inbox = h.query("SELECT status, payload FROM inbox ORDER BY update_id")
        waiting = [s for s, p in inbox if "the crane fell" in p]
        sent = all_sent(h) is not None
        return (
            waiting == ["received"] and sent and h.query("SELECT count(*) FROM requests") == [(1,)]
        )

    await until(recorded_not_handled, "the /110 recorded in the inbox, not yet handled")
    await h.kill9(bot)
    assert h.query("SELECT count(*) FROM requests") == [(1,)], "the kill came too late"
    assert not [m for m in li.messages if "the crane fell" in m.text]

    await h.start_bot()
    second = await zhao.wait_message("the crane fell", WAIT)
    await li.wait_message("Request #2 received", WAIT)
    await until(lambda: all_sent(h), "every message recorded as sent")
    await until(
        lambda: {s for (s,) in h.query("SELECT status FROM inbox")} == {"done"},
        "every update marked done",
    )

    assert "#2" in second.text
    assert h.query("SELECT id, kind, state, text FROM requests ORDER BY id") == [
        (1, "120", "taken", "chest pain"),
        (2, "110", "open", "the crane fell"),
    ]
    assert [r[0] for r in h.query("SELECT type FROM events WHERE request_id = 2 ORDER BY id")] == [
        "raised",
        "alerted",
    ]
    assert [r[0] for r in h.query("SELECT type FROM events WHERE request_id = 1 ORDER BY id")] == [
        "raised",
        "alerted",
        "taken",
    ]
    assert len([m for m in zhao.messages if "the crane fell" in m.text]) == 1
    assert not [m for m in li.messages if "the crane fell" in m.text]  # not about their own
    assert len([m for m in li.messages if "Request #2 received" in m.text]) == 1
    everything = [m.text for u in (li, zhao, worker, h.user(QIAN)) for m in u.messages]
    assert not any(text.startswith("(repeat)") for text in everything)
    assert h.query("SELECT request_id, kind, status FROM deadlines WHERE request_id = 2") == [
        (2, "escalate", "pending")
    ]
