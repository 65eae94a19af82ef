"""/report through the real bot: the secretary's branch, the committee's company, refusals;
and the quarterly assessment, a durable deadline at the turn of the quarter."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from sandbox.users import SentMessage
from storage.tables import deadlines, events, outbox, requests
from tests.e2e.conftest import (
    CHEN,
    GU,
    LI,
    MAO,
    QIAN,
    STRANGER,
    SUN,
    WANG,
    WU,
    ZHAO,
    World,
    seeded_runtime,
)
from tests.e2e.report_story import (
    Case,
    assert_chart_png,
    captioned,
    photo_bytes,
    seed_closed,
    story,
)

NEW_YEAR = datetime(2026, 12, 31, 16, tzinfo=UTC)  # 2027-01-01 00:00 in Shanghai


async def _story(world: World) -> None:
    """Three warehouse emergencies taken after 1, 2 and 3 minutes; one at the dock."""
    await story(
        world,
        [
            Case(MAO, LI, "pain A", take_after=1),
            Case(ZHAO, QIAN, "pain B", take_after=2, stars=4),
            Case(QIAN, LI, "pain C", take_after=3),
            Case(SUN, WU, "pain D", take_after=1),
        ],
    )


async def _seeded(world: World) -> None:
    """The same figures as ``_story``, written straight into the database."""
    await seed_closed(world, "warehouse", [60, 120, 180], [5, 4, 5])
    await seed_closed(world, "dock", [60], [5])


def _new_photo(seen: set[int]) -> Callable[[SentMessage], bool]:
    return lambda m: m.kind == "photo" and m.message_id not in seen


async def _ask(world: World, telegram_id: int, text: str, photos: int) -> tuple[str, list[bytes]]:
    """Send a command; return the reply's text and the bytes of the photos after it."""
    user = world.user(telegram_id)
    user.mark()
    user.send(text)
    reply = await user.wait_message(lambda m: m.kind == "text")
    found: list[SentMessage] = []
    for _ in range(photos):
        seen = {m.message_id for m in found}
        found.append(await user.wait_message(_new_photo(seen)))
    return reply.text, [photo_bytes(world, m) for m in found]


async def test_a_secretary_gets_the_figures_of_their_branch_and_a_trend_line(
    dated: World,
) -> None:
    await _story(dated)
    text, (trend,) = await _ask(dated, WANG, "/report", photos=1)
    assert text.startswith("📊 Figures · 2026-12 (2026-12-01 – 2026-12-31)")
    assert "🏢 仓储部支部" in text and "码头机修支部" not in text
    assert "Requests: 3 — 120: 3 · 110: 0 · service: 0" in text
    assert "Time to take: median 2 min · 90% within 3 min" in text
    assert "Closed: 3 — confirmed by the worker 100% · by a secretary 0%" in text
    assert "Satisfaction: 4.7 / 5 (3 rated) — 5★ 2 · 4★ 1" in text
    assert "李强" not in text and "pain A" not in text
    assert_chart_png(trend)
    photo = dated.user(WANG).last
    assert photo.caption == "Requests per week · 2026-12"


async def test_the_committee_gets_every_branch_side_by_side_with_two_charts(
    dated: World,
) -> None:
    await _seeded(dated)
    text, charts = await _ask(dated, CHEN, "/report 2026Q4", photos=2)
    assert text.startswith("📊 Figures · 2026Q4 (2026-10-01 – 2026-12-31)")
    warehouse = text.index("🏢 仓储部支部")
    dock = text.index("🏢 码头机修支部")
    stray = text.index("🏢 Not in the roster")
    assert warehouse < dock < stray
    assert "Requests: 1 — 120: 1" in text[dock:stray]  # no suppression for the committee
    assert len(text) <= 4096
    for chart in charts:
        assert_chart_png(chart)
    captions = [m.caption for m in dated.user(CHEN).messages[-2:]]
    assert captions == ["Median time to take · 2026Q4", "Requests per week · 2026Q4"]


async def test_a_running_quarter_counts_no_visit_still_to_come(dated: World) -> None:
    """On the morning the example's plans begin, each has its first visit ahead in
    December: the quarter has visits, none of them due yet; not "0% of 3 due"."""
    await _seeded(dated)
    text, _charts = await _ask(dated, CHEN, "/report 2026Q4", photos=2)
    warehouse = text.index("🏢 仓储部支部")
    dock = text.index("🏢 码头机修支部")
    stray = text.index("🏢 Not in the roster")
    for block in (text[warehouse:dock], text[dock:stray]):
        assert "Care visits on time: no visits due yet" in block, block
    assert "% of" not in text


async def _dump(world: World) -> dict[str, list[Any]]:
    """The stored state, less the answers themselves (every answer is an outbox row)."""
    await world.settle()
    async with world.runtime.engine.connect() as conn:
        return {
            t.name: sorted(
                (tuple(r) for r in await conn.execute(select(t).where(*kept(t)))), key=repr
            )
            for t in (requests, events, deadlines, outbox)
        }


def kept(table: Any) -> list[Any]:
    return [outbox.c.purpose != "reply"] if table is outbox else []


async def test_others_are_refused_and_a_bad_period_is_explained_changing_nothing(
    dated: World,
) -> None:
    await _seeded(dated)
    before = await _dump(dated)
    refusals = {
        MAO: "Reports are for branch secretaries and the committee.",
        LI: "Reports are for branch secretaries and the committee.",
        STRANGER: "Reports are for branch secretaries and the committee.",
        GU: "/figures shows you the anonymised figures",
    }
    for who, refusal in refusals.items():
        text, _ = await _ask(dated, who, "/report", photos=0)
        assert refusal in text, (who, text)
    for bad in ("/report 2026Q5", "/report next-month", "/report 12/2026"):
        text, _ = await _ask(dated, WANG, bad, photos=0)
        assert "I do not know the period" in text
        assert "this-month (本月)" in text and "2026Q4" in text and "2026-11" in text
    refused, _ = await _ask(dated, MAO, "/figures", photos=0)
    assert "for supervisors and the committee" in refused
    assert await _dump(dated) == before
    assert all(m.kind == "text" for who in refusals for m in dated.user(who).messages[-1:])


async def _pending_assessments(world: World) -> list[Any]:
    async with world.runtime.engine.connect() as conn:
        return list(
            await conn.execute(
                select(deadlines.c.due_at, deadlines.c.data).where(
                    deadlines.c.kind == "assessment", deadlines.c.status == "pending"
                )
            )
        )


async def test_the_committee_receives_the_quarterly_assessment_at_the_new_year(
    dated: World,
) -> None:
    ((due, data),) = await _pending_assessments(dated)
    assert due == NEW_YEAR and data == {"year": 2026, "quarter": 4}
    await _seeded(dated)
    chen = dated.user(CHEN)
    chen.mark()
    await dated.advance(seconds=(NEW_YEAR - dated.clock.now()).total_seconds() - 1)
    await dated.settle()
    assert not any("Quarterly assessment" in m.text for m in chen.messages)
    await dated.advance(seconds=2)
    text = (await chen.wait_message("Quarterly assessment")).text
    assert text.startswith("📋 Quarterly assessment · 2026Q4 (2026-10-01 – 2026-12-31)")
    assert "the change against 2026Q3" in text
    assert "Requests: 3 — 120: 3 · 110: 0 · service: 0 (+3)" in text
    photos = [
        await chen.wait_message(captioned(caption))
        for caption in ("Median time to take · 2026Q4", "Requests per week · 2026Q4")
    ]
    for photo in photos:
        assert_chart_png(photo_bytes(dated, photo))
    async with dated.runtime.engine.connect() as conn:
        bands: set[int] = set(
            await conn.scalars(select(outbox.c.priority).where(outbox.c.purpose == "report"))
        )
    assert bands == {30}
    ((following, data),) = await _pending_assessments(dated)
    assert following == datetime(2027, 3, 31, 16, tzinfo=UTC) and data["quarter"] == 1
    assert not [m for m in dated.user(WANG).messages if "Quarterly assessment" in m.text]


async def test_an_assessment_due_while_the_bot_was_down_goes_out_once_after_restarts(
    dated: World,
) -> None:
    db = Path(dated.runtime.settings.db)
    await dated.runtime.stop()
    dated.clock.advance(NEW_YEAR - dated.clock.now() + timedelta(hours=5))
    for _ in range(2):  # restart twice: the second start finds the next quarter armed
        dated.runtime = await seeded_runtime(dated.server, db, clock=dated.clock)
        await dated.runtime.wakeups.fire_due()
        await dated.settle()
        assert len(await _pending_assessments(dated)) == 1
        await dated.runtime.stop()
    dated.runtime = await seeded_runtime(dated.server, db, clock=dated.clock)
    headers = [m for m in dated.user(CHEN).messages if "Quarterly assessment" in m.text]
    assert len(headers) == 1 and "2026Q4" in headers[0].text
    async with dated.runtime.engine.connect() as conn:
        fired: list[int] = list(
            await conn.scalars(
                select(deadlines.c.id).where(
                    deadlines.c.kind == "assessment", deadlines.c.status == "fired"
                )
            )
        )
    assert len(fired) == 1
