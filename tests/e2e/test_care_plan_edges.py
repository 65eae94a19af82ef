"""Care plans at their edges: what a pause, a resume or an import leaves of a visit that
has begun, follow-ups that must not swallow talk, notice longer than a plan's gap,
downtime over two steps, and who sees a duty kept by the rota.

Same clock as test_care_plans.py: Tuesday 2026-12-01, 08:00 in Shanghai; ``sun-guardian``
visits on Saturday 12-05 (li and zhao, two days' notice, grace 3d).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from storage.tables import care_plans, deadlines, visits
from tests.e2e.conftest import LI, MAO, WANG, World

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _at(day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=SHANGHAI)


async def _until(world: World, local: datetime) -> None:
    await world.advance(seconds=(local.astimezone(UTC) - world.clock.now()).total_seconds())
    await world.settle()


async def _visits(world: World, key: str = "sun-guardian") -> dict[date, str]:
    async with world.runtime.engine.connect() as conn:
        rows = await conn.execute(
            select(visits.c.occurrence, visits.c.state)
            .join(care_plans, care_plans.c.id == visits.c.plan_id)
            .where(care_plans.c.key == key)
        )
        return {r.occurrence: r.state for r in rows}


async def _chains(world: World, key: str = "sun-guardian") -> int:
    """Pending steps that carry the plan forward: exactly one when it is armed."""
    async with world.runtime.engine.connect() as conn:
        found: Any = await conn.scalar(
            select(func.count())
            .select_from(deadlines.join(visits, visits.c.id == deadlines.c.visit_id))
            .join(care_plans, care_plans.c.id == visits.c.plan_id)
            .where(
                care_plans.c.key == key,
                deadlines.c.status == "pending",
                deadlines.c.kind.in_(("visit-ahead", "visit-day")),
            )
        )
        return int(found or 0)


def _today_for(m: Any) -> bool:
    return "孙琪伟" in m.text and "today" in m.text


async def test_a_pause_and_resume_after_the_day_keep_the_visit_owed(dated: World) -> None:
    wang = dated.user(WANG)
    await _until(dated, _at(6, 9))  # the day has passed; the visit is in its grace
    wang.send("/pause sun-guardian")
    await wang.wait_message("is paused")
    wang.send("/resume sun-guardian")
    await wang.wait_message("active again")
    found = await _visits(dated)
    assert found[date(2026, 12, 5)] == "due" and found[date(2027, 1, 2)] == "due"
    assert await _chains(dated) == 1
    wang.mark()
    await _until(dated, _at(9, 8, 31))
    await wang.wait_message(lambda m: "not logged in time" in m.text and "孙琪伟" in m.text)


async def test_done_before_the_day_then_pause_and_resume_leaves_one_chain(dated: World) -> None:
    li, wang = dated.user(LI), dated.user(WANG)
    await _until(dated, _at(3, 9))
    await li.press(await li.wait_message("孙琪伟", since=0), "Done")
    wang.send("/pause sun-guardian")
    await wang.wait_message("is paused")
    wang.send("/resume sun-guardian")
    await wang.wait_message("active again")
    assert await _chains(dated) == 1
    await _until(dated, _at(6, 9))
    assert await _chains(dated) == 1
    assert sorted(d for d, s in (await _visits(dated)).items() if s == "due") == [date(2027, 1, 2)]


async def test_a_reply_after_done_is_talk_with_the_worker_not_the_visit_note(
    dated: World,
) -> None:
    li, mao = dated.user(LI), dated.user(MAO)
    await _until(dated, _at(5, 9))
    await li.press(await li.wait_message(_today_for, since=0), "Done")
    await li.wait_message("send one message about the visit")
    mao.send("/120 胸口疼")
    alert = await li.wait_message("胸口疼")
    await li.press(alert, "Take")
    await mao.wait_message("is handling")
    li.send("救护车马上到", reply_to=alert)
    await mao.wait_message("救护车马上到")
    async with dated.runtime.engine.connect() as conn:
        note = await conn.scalar(
            select(visits.c.note).where(visits.c.occurrence == date(2026, 12, 5))
        )
    assert note is None


async def test_notice_as_long_as_the_gap_between_visits_is_refused(dated: World) -> None:
    wang = dated.user(WANG)
    wang.send("/newplan")
    await wang.wait_message("Who is cared for?")
    wang.send("钱师傅")
    visitors = await wang.wait_message("Who visits?")
    await wang.press(visitors, "李强")
    await wang.press(await wang.wait_message(lambda m: "✓ 李强" in m.buttons), "Next ▶")
    await wang.press(await wang.wait_message("How often?"), "Type an RRULE")
    await wang.wait_message("Send the RRULE")
    wang.send("FREQ=WEEKLY; BYDAY=TH")  # spaces are fine
    await wang.press(await wang.wait_message("From which date?"), "Today")
    remind = await wang.wait_message("how many days ahead")
    answer = await wang.press(remind, "7 days ahead")
    assert "remind at most 6 days ahead" in (answer.text or "")
    await wang.press(remind, "3 days ahead")
    await wang.press(await wang.wait_message("still be logged"), "3d")
    summary = await wang.wait_message("Save this plan?")
    assert "2026-12-03" in summary.text


async def test_odd_digits_in_the_dialog_are_answered_not_crashed_on(dated: World) -> None:
    wang = dated.user(WANG)
    wang.send("/newplan")
    await wang.wait_message("Who is cared for?")
    wang.send("孙父")
    visitors = await wang.wait_message("Who visits?")
    await wang.press(visitors, "李强")
    await wang.press(await wang.wait_message(lambda m: "✓ 李强" in m.buttons), "Next ▶")
    await wang.press(await wang.wait_message("How often?"), "Monthly on a day")
    await wang.wait_message("Which day of the month")
    wang.send("²")
    await wang.wait_message("Send a day of the month, 1 to 31.")


async def test_after_downtime_over_both_reminders_the_visit_is_reminded_once(
    dated: World,
) -> None:
    li = dated.user(LI)
    li.mark()
    await _until(dated, _at(5, 10))  # the bot fires both steps only now
    assert len([m for m in li.messages if "孙琪伟" in m.text]) == 1


async def test_a_stranger_learns_no_roster_keys_from_duty(dated: World) -> None:
    mao = dated.user(MAO)
    mao.send("/duty mon nobody-here")
    await mao.wait_message("Only a branch secretary can do this.")
    mao.send("/duty mon li")
    await mao.wait_message("Only a branch secretary can do this.")
