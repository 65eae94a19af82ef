"""Care plans end to end: the /newplan dialog, reminders, Done/Postpone/Can't go, escalation
of a visit nobody logged, a restart in the middle of a plan, /visits and /plan.

The clock starts on Tuesday 2026-12-01 at 08:00 in Shanghai. The example roster's
``sun-guardian`` plan (warehouse; li and zhao; the first Saturday; reminded two days
ahead; grace 3d) therefore has its first visit on Saturday 2026-12-05, reminded on
Thursday 12-03 and on the morning of 12-05 at 08:30, escalated to the secretary at the
end of 12-08 and to the committee three days later.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from storage.tables import care_plans, deadlines, plan_events, visits
from tests.e2e.conftest import (
    CHEN,
    LI,
    QIAN,
    WANG,
    ZHAO,
    ZHOU,
    World,
    runtime_for,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def plans(dated: World) -> World:
    return dated


async def _until(world: World, local: datetime) -> None:
    """Move the clock to ``local`` (Shanghai) and fire what fell due; then deliver it."""
    await world.advance(seconds=(local.astimezone(UTC) - world.clock.now()).total_seconds())
    await world.settle()


def _today_for(name: str = "孙琪伟") -> Any:
    """A reminder of ``name``'s visit on its day (other plans remind the same people)."""
    return lambda m: name in m.text and "today" in m.text


def _at(day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=SHANGHAI)


async def _visit(world: World, key: str, occurrence: date) -> Any:
    async with world.runtime.engine.connect() as conn:
        return (
            await conn.execute(
                select(visits)
                .join(care_plans, care_plans.c.id == visits.c.plan_id)
                .where(care_plans.c.key == key, visits.c.occurrence == occurrence)
            )
        ).one()


async def _events(world: World, key: str) -> list[str]:
    async with world.runtime.engine.connect() as conn:
        found: Any = await conn.scalars(
            select(plan_events.c.type)
            .join(care_plans, care_plans.c.id == plan_events.c.plan_id)
            .where(care_plans.c.key == key)
            .order_by(plan_events.c.id)
        )
        return list(found)


async def test_the_first_visit_of_each_plan_is_armed_at_start(plans: World) -> None:
    visit = await _visit(plans, "sun-guardian", date(2026, 12, 5))
    assert visit.state == "due"
    async with plans.runtime.engine.connect() as conn:
        kinds: list[str] = sorted(
            await conn.scalars(
                select(deadlines.c.kind).where(
                    deadlines.c.visit_id == visit.id, deadlines.c.status == "pending"
                )
            )
        )
    assert kinds == ["visit-ahead"]  # then the day, then the end of grace: one at a time


async def test_visitors_are_reminded_ahead_and_done_stops_the_escalation(plans: World) -> None:
    li, zhao = plans.user(LI), plans.user(ZHAO)
    li.mark()
    await _until(plans, _at(3, 8, 31))
    ahead = await li.wait_message("孙琪伟")
    assert "2026-12-05" in ahead.text and "in 2 days" in ahead.text
    assert ahead.buttons == ["Done", "Postpone", "Can't go"]
    await zhao.wait_message("孙琪伟", since=0)
    await _until(plans, _at(5, 8, 31))
    today = await li.wait_message(_today_for())
    answer = await li.press(today, "Done")
    assert "logged" in (answer.text or "").lower()
    await li.wait_message("send one message about the visit")
    li.send_photo(caption="他精神不错, 送了冬衣")
    await li.wait_message("Kept with the visit")
    visit = await _visit(plans, "sun-guardian", date(2026, 12, 5))
    assert visit.state == "done" and visit.note == "他精神不错, 送了冬衣"
    assert visit.photo_file_id
    # zhao's reminder is now stale: pressing it changes nothing.
    stale = await zhao.press(await zhao.wait_message(_today_for(), since=0), "Done")
    assert "done already" in (stale.text or "")
    wang = plans.user(WANG)
    wang.mark()
    await _until(plans, _at(12, 9))
    assert not [m for m in wang.messages if "not logged" in m.text and "孙琪伟" in m.text]
    # The next occurrence (the first Saturday of January) was armed on the visit's day.
    assert (await _visit(plans, "sun-guardian", date(2027, 1, 2))).state == "due"


async def test_an_unlogged_visit_goes_to_the_secretary_then_the_committee_across_a_restart(
    plans: World, tmp_path: Path
) -> None:
    wang, chen = plans.user(WANG), plans.user(CHEN)
    wang.mark()
    chen.mark()
    await _until(plans, _at(9, 8, 29))  # grace ends at midnight; told in working time
    assert not [m for m in wang.messages if "孙琪伟" in m.text]
    await _until(plans, _at(9, 8, 31))
    told = await wang.wait_message(lambda m: "not logged in time" in m.text and "孙琪伟" in m.text)
    assert "孙琪伟" in told.text and "李强" in told.text
    assert "钱卫东" in told.buttons  # give it to someone else
    # The bot restarts in the middle of the plan: nothing fires twice, nothing is lost.
    await plans.runtime.stop()
    plans.runtime = runtime_for(plans.server, tmp_path / "helpline.db", plans.clock)
    await plans.runtime.start()
    await _until(plans, _at(14, 8, 29))  # three days later is a Saturday: Monday morning
    assert not [m for m in chen.messages if "still not logged" in m.text and "孙琪伟" in m.text]
    await _until(plans, _at(14, 8, 31))
    await chen.wait_message(lambda m: "still not logged" in m.text and "孙琪伟" in m.text)
    assert (
        len([m for m in wang.messages if "not logged in time" in m.text and "孙琪伟" in m.text])
        == 1
    )
    assert (await _events(plans, "sun-guardian")).count("escalated") == 2
    # Still loggable after its escalation; the secretary hears that it was done.
    li = plans.user(LI)
    reminder = await li.wait_message(_today_for(), since=0)
    await li.press(reminder, "Done")
    await wang.wait_message("was logged by 李强")


async def test_cant_go_tells_the_secretary_who_gives_the_visit_to_someone_else(
    plans: World,
) -> None:
    li, wang, qian = plans.user(LI), plans.user(WANG), plans.user(QIAN)
    await _until(plans, _at(3, 8, 31))
    answer = await li.press(await li.wait_message("孙琪伟", since=0), "Can't go")
    assert "secretary" in (answer.text or "")
    offer = await wang.wait_message("cannot go")
    assert "李强" not in offer.buttons and "钱卫东" in offer.buttons
    qian.mark()
    given = await wang.press(offer, "钱卫东")
    assert "钱卫东" in (given.text or "")
    reminder = await qian.wait_message("孙琪伟")
    assert reminder.buttons == ["Done", "Postpone", "Can't go"]
    # On the day only qian (the one it was given to) is reminded, not li again.
    li.mark()
    await _until(plans, _at(5, 8, 31))
    await qian.wait_message(_today_for())
    assert not [m for m in li.messages if _today_for()(m)]


async def test_postpone_moves_the_visit_within_its_grace_with_a_reason(plans: World) -> None:
    li, zhao = plans.user(LI), plans.user(ZHAO)
    await _until(plans, _at(5, 8, 31))
    reminder = await li.wait_message(_today_for(), since=0)
    await li.press(reminder, "Postpone")
    choices = await li.wait_message("Postpone to which day?")
    assert choices.buttons[0].startswith("12-06") and len(choices.buttons) == 3  # 6th..8th
    await li.press(choices, choices.buttons[1])
    await li.wait_message("Why is it postponed?")
    li.send("医院那天不让探视")
    await li.wait_message("Postponed to 2026-12-07")
    await zhao.wait_message("postponed the visit")
    visit = await _visit(plans, "sun-guardian", date(2026, 12, 5))
    assert visit.due_on == date(2026, 12, 7) and visit.state == "due"
    zhao.mark()
    await _until(plans, _at(7, 8, 31))
    await zhao.wait_message(_today_for())


async def test_a_date_outside_the_grace_period_cannot_be_forged(plans: World) -> None:
    li = plans.user(LI)
    await _until(plans, _at(5, 8, 31))
    reminder = await li.wait_message(_today_for(), since=0)
    visit = await _visit(plans, "sun-guardian", date(2026, 12, 5))
    answer = await li.press_data(reminder, f"p:{visit.id}:20261220")
    assert "not within" in (answer.text or "")
    answer = await plans.user(ZHOU).press_data(reminder, f"v:{visit.id}")
    assert "no visit that you can act on" in (answer.text or "")
    assert (await _visit(plans, "sun-guardian", date(2026, 12, 5))).state == "due"


async def test_visits_show_members_their_plans_and_secretaries_who_went(plans: World) -> None:
    li, wang, zhou = plans.user(LI), plans.user(WANG), plans.user(ZHOU)
    await _until(plans, _at(5, 8, 31))
    await li.press(await li.wait_message(_today_for(), since=0), "Done")
    li.send("/visits")
    mine = await li.wait_message("🗓 Visits")
    assert "孙琪伟" in mine.text and "方师傅" not in mine.text
    wang.send("/visits")
    board = await wang.wait_message("🗓 Visits")
    assert "by 李强" in board.text and "方师傅" not in board.text
    zhou.send("/plan sun-guardian")
    await zhou.wait_message("There is no plan sun-guardian that you can act on.")
    zhou.send("/visits")
    dock = await zhou.wait_message("🗓 Visits")
    assert "孙琪伟" not in dock.text
    wang.send("/plan sun-guardian")
    history = await wang.wait_message("History:")
    assert "visit done" in history.text and "李强" in history.text


async def test_pause_stops_reminders_and_resume_starts_from_the_next_visit(plans: World) -> None:
    wang, li = plans.user(WANG), plans.user(LI)
    wang.send("/pause sun-guardian 住院观察期间不探视")
    await wang.wait_message("is paused")
    li.mark()
    await _until(plans, _at(5, 9))
    assert not [m for m in li.messages if "孙琪伟" in m.text]
    assert (await _visit(plans, "sun-guardian", date(2026, 12, 5))).state == "cancelled"
    await _until(plans, _at(6, 9))
    wang.send("/resume sun-guardian")
    await wang.wait_message("active again")
    assert (await _visit(plans, "sun-guardian", date(2027, 1, 2))).state == "due"
    li.send("/pause sun-guardian")
    await li.wait_message("There is no plan sun-guardian that you can act on.")
    wang.send("/endplan sun-guardian")
    await wang.wait_message("Usage: /endplan KEY reason")
    wang.send("/endplan sun-guardian 已转院")
    await wang.wait_message("has ended")
    assert (await _events(plans, "sun-guardian"))[-3:] == ["paused", "resumed", "ended"]
    assert (await _visit(plans, "sun-guardian", date(2027, 1, 2))).state == "cancelled"
    wang.send("/resume sun-guardian")
    await wang.wait_message("cannot be done now")


async def test_a_secretary_creates_a_plan_in_the_dialog(plans: World) -> None:
    wang = plans.user(WANG)
    wang.send("/newplan")
    await wang.wait_message("Who is cared for?")
    wang.send("孙父\n在家养伤, 腿骨折")
    visitors = await wang.wait_message("Who visits?")
    await wang.press(visitors, "李强")
    ticked = await wang.wait_message(lambda m: "✓ 李强" in m.buttons)
    await wang.press(ticked, "Next ▶")
    how = await wang.wait_message("How often?")
    await wang.press(how, "Monthly on a day")
    await wang.wait_message("Which day of the month")
    wang.send("31")
    start = await wang.wait_message("From which date?")
    await wang.press(start, "Today")
    remind = await wang.wait_message("how many days ahead")
    await wang.press(remind, "2 days ahead")
    grace = await wang.wait_message("still be logged")
    await wang.press(grace, "3d")
    summary = await wang.wait_message("Save this plan?")
    assert "2026-12-31" in summary.text and "2027-01-31" in summary.text
    assert "2027-02-28" in summary.text  # day 31 falls back to February's last day
    await wang.press(summary, "Save")
    saved = await wang.wait_message("saved")
    key = saved.text.split()[1]
    async with plans.runtime.engine.connect() as conn:
        plan = (await conn.execute(select(care_plans).where(care_plans.c.key == key))).one()
    assert plan.source == "bot" and plan.cared_for == "孙父" and plan.note == "在家养伤, 腿骨折"
    assert (await _visit(plans, key, date(2026, 12, 31))).state == "due"
    li = plans.user(LI)
    await _until(plans, _at(29, 8, 31))
    await li.wait_message("孙父", since=0)


async def _count_plans(world: World) -> int:
    async with world.runtime.engine.connect() as conn:
        return len((await conn.execute(select(care_plans.c.id))).all())


async def test_bad_answers_in_the_dialog_are_explained_and_nothing_is_stored(
    plans: World,
) -> None:
    wang = plans.user(WANG)
    before = await _count_plans(plans)
    wang.send("/newplan")
    await wang.wait_message("Who is cared for?")
    wang.send("孙" * 201)
    await wang.wait_message("at most 200 characters")
    wang.send("孙父\n" + "长" * 501)
    await wang.wait_message("at most 500 fit")
    wang.send("孙父")
    visitors = await wang.wait_message("Who visits?")
    answer = await wang.press(visitors, "Next ▶")
    assert "at least one visitor" in (answer.text or "")
    forged = await wang.press_data(visitors, "w:0:v1001")  # chen is not in the branch
    assert "no longer valid" in (forged.text or "")
    await wang.press(visitors, "赵敏")
    await wang.press(await wang.wait_message(lambda m: "✓ 赵敏" in m.buttons), "Next ▶")
    await wang.press(await wang.wait_message("How often?"), "Type an RRULE")
    await wang.wait_message("Send the RRULE")
    wang.send("FREQ=MINUTELY")
    await wang.wait_message("more often than once a day")
    wang.send("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30")
    await wang.wait_message("never happens")
    wang.send("FREQ=MONTHLY;BYDAY=-1FR")
    await wang.wait_message("From which date?")
    wang.send("2026-11-30")
    await wang.wait_message("is in the past")
    wang.send("next week")
    await wang.wait_message("Write a date as 2026-12-05")
    wang.send("2026-12-02")
    remind = await wang.wait_message("how many days ahead")
    await wang.press(remind, "on the day only")
    await wang.press(await wang.wait_message("still be logged"), "7d")
    summary = await wang.wait_message("Save this plan?")
    assert "2026-12-25" in summary.text  # the last Friday of December
    await wang.press(summary, "Discard")
    assert await _count_plans(plans) == before
    stale = await wang.press(summary, "Save")
    assert "expired" in (stale.text or "")
    assert await _count_plans(plans) == before
    # A member cannot start the dialog at all.
    plans.user(LI).send("/newplan")
    await plans.user(LI).wait_message("Only a branch secretary can do this.")


async def test_a_note_too_long_or_a_photo_too_large_is_refused_and_the_visit_kept(
    plans: World,
) -> None:
    li = plans.user(LI)
    await _until(plans, _at(5, 8, 31))
    await li.press(await li.wait_message(_today_for(), since=0), "Done")
    await li.wait_message("send one message about the visit")
    li.send("好" * 2001)
    await li.wait_message("at most 2000 fit")
    li.send_photo(data=b"\xff\xd8" + b"0" * (5 * 1024 * 1024 + 1))
    await li.wait_message("at most 5 MB")
    visit = await _visit(plans, "sun-guardian", date(2026, 12, 5))
    assert visit.state == "done" and visit.note is None and visit.photo_file_id is None
    li.send("一切安好")
    await li.wait_message("Kept with the visit")
    assert (await _visit(plans, "sun-guardian", date(2026, 12, 5))).note == "一切安好"


async def test_the_next_visit_is_armed_once_on_the_visit_day(plans: World) -> None:
    await _until(plans, _at(5, 9))
    await plans.runtime.arm_plans()
    async with plans.runtime.engine.connect() as conn:
        rows = (
            await conn.execute(
                select(visits.c.occurrence)
                .join(care_plans, care_plans.c.id == visits.c.plan_id)
                .where(care_plans.c.key == "sun-guardian")
            )
        ).all()
    assert sorted(r.occurrence for r in rows) == [date(2026, 12, 5), date(2027, 1, 2)]
