"""Care plans and their visits (DESIGN.md §5, bot/domain/visits.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.authz import Actor
from bot.domain.visits import (
    MAX_REMIND_DAYS,
    NAME_LIMIT,
    NOTE_LIMIT,
    PHOTO_LIMIT_BYTES,
    POSTPONE_CHOICES,
    VISIT_NOTE_LIMIT,
    PlanAction,
    PlanFieldError,
    PlanState,
    VisitState,
    check_grace,
    check_name,
    check_note,
    check_photo,
    check_remind_days,
    check_start,
    committee_after,
    loggable,
    may_log,
    plan_move,
    postpone_dates,
    sees_plan,
    steers_plan,
    visit_times,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
MORNING = time(8, 30)
TODAY = date(2026, 12, 1)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def refused(check: Callable[[], object]) -> PlanFieldError:
    with pytest.raises(PlanFieldError) as caught:
        check()
    return caught.value


# When a visit reminds and runs out of grace.


def test_visit_times_in_shanghai() -> None:
    times = visit_times(TODAY, 2, 3 * DAY, SHANGHAI, time(9))
    assert times.remind_ahead == datetime(2026, 11, 29, 9, tzinfo=SHANGHAI)
    assert times.remind_day == datetime(2026, 12, 1, 9, tzinfo=SHANGHAI)
    assert times.grace_until == datetime(2026, 12, 5, tzinfo=SHANGHAI)
    assert times.remind_ahead == utc(2026, 11, 29, 1)
    assert times.remind_day == utc(2026, 12, 1, 1)
    assert times.grace_until == utc(2026, 12, 4, 16)


@pytest.mark.parametrize(
    ("day", "ahead", "on_the_day", "grace_until"),
    [
        pytest.param(
            date(2026, 3, 28),
            utc(2026, 3, 26, 7, 30),
            utc(2026, 3, 28, 7, 30),
            utc(2026, 3, 31, 22),
            id="day-before-spring-forward-is-winter-time",
        ),
        pytest.param(
            date(2026, 3, 29),
            utc(2026, 3, 27, 7, 30),
            utc(2026, 3, 29, 6, 30),
            utc(2026, 4, 1, 22),
            id="spring-forward-day-is-summer-time-by-morning",
        ),
        pytest.param(
            date(2026, 10, 24),
            utc(2026, 10, 22, 6, 30),
            utc(2026, 10, 24, 6, 30),
            utc(2026, 10, 27, 23),
            id="day-before-fall-back-is-summer-time",
        ),
        pytest.param(
            date(2026, 10, 25),
            utc(2026, 10, 23, 6, 30),
            utc(2026, 10, 25, 7, 30),
            utc(2026, 10, 28, 23),
            id="fall-back-day-is-winter-time-by-morning",
        ),
    ],
)
def test_visit_times_follow_the_local_clock_across_daylight_saving(
    day: date, ahead: datetime, on_the_day: datetime, grace_until: datetime
) -> None:
    times = visit_times(day, 2, 3 * DAY, BERLIN, MORNING)
    assert times.remind_ahead == ahead
    assert times.remind_day == on_the_day
    assert times.grace_until == grace_until
    assert times.remind_day.astimezone(BERLIN).time() == MORNING
    assert times.remind_day.astimezone(BERLIN).date() == day
    assert times.grace_until.astimezone(BERLIN) == datetime.combine(day + 4 * DAY, time(0), BERLIN)


def test_no_reminder_ahead_when_remind_days_before_is_zero() -> None:
    times = visit_times(TODAY, 0, 3 * DAY, SHANGHAI, time(9))
    assert times.remind_ahead is None
    assert times.remind_day == datetime(2026, 12, 1, 9, tzinfo=SHANGHAI)


def test_grace_counts_from_the_end_of_the_visit_day() -> None:
    times = visit_times(TODAY, 1, HOUR, SHANGHAI, time(9))
    assert times.grace_until == datetime(2026, 12, 2, 1, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("grace", "after"),
    [
        pytest.param(HOUR, DAY, id="an-hour-of-grace-still-gives-the-committee-a-day"),
        pytest.param(DAY, DAY, id="a-day-of-grace-gives-a-day"),
        pytest.param(3 * DAY, 3 * DAY, id="three-days-of-grace-give-three-days"),
        pytest.param(31 * DAY, 31 * DAY, id="the-longest-grace-gives-the-same"),
    ],
)
def test_committee_is_told_after_the_grace_again_but_at_least_a_day(
    grace: timedelta, after: timedelta
) -> None:
    assert committee_after(grace) == after


# Postponing a visit.

GRACE_UNTIL = datetime(2026, 12, 5, tzinfo=SHANGHAI)  # a visit on Dec 1 with 3d of grace


@pytest.mark.parametrize(
    ("today", "grace_until", "expected"),
    [
        pytest.param(
            TODAY,
            GRACE_UNTIL,
            [date(2026, 12, 2), date(2026, 12, 3), date(2026, 12, 4)],
            id="on-the-day-every-day-of-grace",
        ),
        pytest.param(
            date(2026, 11, 29),
            GRACE_UNTIL,
            [date(2026, 12, 2), date(2026, 12, 3), date(2026, 12, 4)],
            id="before-the-day-only-after-the-day",
        ),
        pytest.param(date(2026, 12, 3), GRACE_UNTIL, [date(2026, 12, 4)], id="only-after-today"),
        pytest.param(date(2026, 12, 4), GRACE_UNTIL, [], id="last-day-of-grace-leaves-none"),
        pytest.param(
            TODAY,
            GRACE_UNTIL.astimezone(UTC),
            [date(2026, 12, 2), date(2026, 12, 3), date(2026, 12, 4)],
            id="grace-end-read-back-in-utc",
        ),
        pytest.param(
            TODAY,
            datetime(2026, 12, 2, 1, tzinfo=SHANGHAI),
            [date(2026, 12, 2)],
            id="an-hour-of-grace-reaches-into-the-next-day",
        ),
        pytest.param(
            TODAY, datetime(2026, 12, 2, tzinfo=SHANGHAI), [], id="grace-ending-at-midnight"
        ),
        pytest.param(
            TODAY,
            datetime(2027, 1, 2, tzinfo=SHANGHAI),
            [TODAY + n * DAY for n in range(1, POSTPONE_CHOICES + 1)],
            id="at-most-seven-dates",
        ),
    ],
)
def test_postpone_dates(today: date, grace_until: datetime, expected: list[date]) -> None:
    assert postpone_dates(TODAY, grace_until, today, SHANGHAI) == expected


# Plan and visit states.


@pytest.mark.parametrize(
    ("state", "action", "after"),
    [
        pytest.param(PlanState.ACTIVE, PlanAction.PAUSE, PlanState.PAUSED, id="active-pauses"),
        pytest.param(PlanState.ACTIVE, PlanAction.RESUME, None, id="active-cannot-resume"),
        pytest.param(PlanState.ACTIVE, PlanAction.END, PlanState.ENDED, id="active-ends"),
        pytest.param(PlanState.PAUSED, PlanAction.PAUSE, None, id="paused-cannot-pause"),
        pytest.param(PlanState.PAUSED, PlanAction.RESUME, PlanState.ACTIVE, id="paused-resumes"),
        pytest.param(PlanState.PAUSED, PlanAction.END, PlanState.ENDED, id="paused-ends"),
        pytest.param(PlanState.ENDED, PlanAction.PAUSE, None, id="ended-cannot-pause"),
        pytest.param(PlanState.ENDED, PlanAction.RESUME, None, id="ended-cannot-resume"),
        pytest.param(PlanState.ENDED, PlanAction.END, None, id="ended-cannot-end-again"),
    ],
)
def test_plan_move(state: PlanState, action: PlanAction, after: PlanState | None) -> None:
    assert plan_move(state, action) == after


def test_plan_move_table_covers_every_state_and_action() -> None:
    moves = {(s, a): plan_move(s, a) for s in PlanState for a in PlanAction}
    assert len(moves) == 9
    assert sum(1 for m in moves.values() if m is not None) == 4


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        pytest.param(VisitState.DUE, True, id="a-due-visit-is-loggable"),
        pytest.param(VisitState.MISSED, True, id="a-missed-visit-is-still-loggable"),
        pytest.param(VisitState.DONE, False, id="a-done-visit-is-not-logged-twice"),
        pytest.param(VisitState.CANCELLED, False, id="a-cancelled-visit-is-not-loggable"),
    ],
)
def test_loggable(state: VisitState, expected: bool) -> None:
    assert loggable(state) is expected


# The field checks.


@pytest.mark.parametrize(
    ("name", "cleaned"),
    [
        pytest.param("孙琪伟", "孙琪伟", id="plain"),
        pytest.param("  孙   琪伟 \n", "孙 琪伟", id="whitespace-collapsed"),
        pytest.param("x" * NAME_LIMIT, "x" * NAME_LIMIT, id="at-the-limit"),
    ],
)
def test_check_name_accepts(name: str, cleaned: str) -> None:
    assert check_name(name) == cleaned


@pytest.mark.parametrize("name", [pytest.param("", id="empty"), pytest.param(" \n ", id="blank")])
def test_check_name_refuses_an_empty_name(name: str) -> None:
    assert "Write who is cared for" in refused(lambda: check_name(name)).msgid


def test_check_name_refuses_a_name_over_the_limit() -> None:
    error = refused(lambda: check_name("x" * (NAME_LIMIT + 1)))
    assert "at most {limit} characters" in error.msgid
    assert error.params == {"limit": 200}


def test_check_note_accepts_500_characters_and_strips() -> None:
    assert check_note("n" * NOTE_LIMIT) == "n" * 500
    assert check_note("  宝山精神卫生中心  ") == "宝山精神卫生中心"
    assert check_note("n" * NOTE_LIMIT + "   ") == "n" * 500
    assert check_note("") == ""


def test_check_note_refuses_501_characters() -> None:
    error = refused(lambda: check_note("n" * (NOTE_LIMIT + 1)))
    assert error.params == {"length": 501, "limit": 500}


def test_check_note_takes_the_visit_note_limit() -> None:
    assert check_note("n" * VISIT_NOTE_LIMIT, VISIT_NOTE_LIMIT) == "n" * 2000
    assert refused(lambda: check_note("n" * 2001, VISIT_NOTE_LIMIT)).params["limit"] == 2000


@pytest.mark.parametrize(
    ("days", "ok"),
    [
        pytest.param(-1, False, id="minus-1-refused"),
        pytest.param(0, True, id="0-ok"),
        pytest.param(MAX_REMIND_DAYS, True, id="30-ok"),
        pytest.param(MAX_REMIND_DAYS + 1, False, id="31-refused"),
    ],
)
def test_check_remind_days(days: int, ok: bool) -> None:
    if ok:
        assert check_remind_days(days) == days
    else:
        assert refused(lambda: check_remind_days(days)).params == {"limit": 30, "days": days}


@pytest.mark.parametrize(
    ("grace", "ok"),
    [
        pytest.param(timedelta(minutes=30), False, id="30m-refused"),
        pytest.param(HOUR - timedelta(microseconds=1), False, id="just-under-1h-refused"),
        pytest.param(HOUR, True, id="1h-ok"),
        pytest.param(31 * DAY, True, id="31d-ok"),
        pytest.param(32 * DAY, False, id="32d-refused"),
    ],
)
def test_check_grace(grace: timedelta, ok: bool) -> None:
    if ok:
        assert check_grace(grace) == grace
    else:
        assert "between 1h and 31d" in refused(lambda: check_grace(grace)).msgid


def test_check_start_refuses_yesterday() -> None:
    error = refused(lambda: check_start(TODAY - DAY, TODAY))
    assert "is in the past" in error.msgid
    assert error.params == {"date": "2026-11-30"}


@pytest.mark.parametrize("start", [date(9999, 12, 31), TODAY + 2 * 367 * DAY])
def test_check_start_refuses_a_date_years_ahead(start: date) -> None:
    """9999-12-31 typed by mistake would overflow the recurrence's date arithmetic."""
    error = refused(lambda: check_start(start, TODAY))
    assert "too far ahead" in error.msgid and error.params == {"date": start.isoformat()}


@pytest.mark.parametrize(
    "start", [pytest.param(TODAY, id="today"), pytest.param(TODAY + DAY, id="tomorrow")]
)
def test_check_start_accepts_today_and_later(start: date) -> None:
    assert check_start(start, TODAY) == start


@pytest.mark.parametrize(
    "size",
    [
        pytest.param(None, id="no-photo"),
        pytest.param(0, id="empty"),
        pytest.param(PHOTO_LIMIT_BYTES, id="5-mb"),
    ],
)
def test_check_photo_accepts_up_to_5_mb(size: int | None) -> None:
    check_photo(size)


def test_check_photo_refuses_one_byte_over_5_mb() -> None:
    error = refused(lambda: check_photo(PHOTO_LIMIT_BYTES + 1))
    assert "at most {limit} MB" in error.msgid
    assert error.params["limit"] == 5


# Who may do what with a plan.

BRANCH, OTHER_BRANCH = 7, 8
VISITOR_ID, ASSIGNEE_ID = 4, 5
VISITORS = (VISITOR_ID, 40)

ACTORS = {
    "committee": Actor(101, 1, committee=True),
    "secretary-of-the-branch": Actor(102, 2, secretary_of=frozenset({BRANCH})),
    "secretary-of-another-branch": Actor(
        103, 3, member_of=frozenset({OTHER_BRANCH}), secretary_of=frozenset({OTHER_BRANCH})
    ),
    "visitor": Actor(104, VISITOR_ID, member_of=frozenset({BRANCH})),
    "assignee": Actor(105, ASSIGNEE_ID, member_of=frozenset({BRANCH})),
    "branch-member": Actor(106, 6, member_of=frozenset({BRANCH})),
    "member-of-another-branch": Actor(107, 9, member_of=frozenset({OTHER_BRANCH})),
    "unregistered": Actor(108),
}

# actor: (steers, sees, may log a care visit, may log an on-duty visit)
RIGHTS = {
    "committee": (True, True, True, True),
    "secretary-of-the-branch": (True, True, True, True),
    "secretary-of-another-branch": (False, False, False, False),
    "visitor": (False, True, True, True),
    # The one a visit was given to may log it, but the plan itself is for its visitors.
    "assignee": (False, False, True, True),
    "branch-member": (False, False, False, True),
    "member-of-another-branch": (False, False, False, False),
    "unregistered": (False, False, False, False),
}


@pytest.mark.parametrize("who", list(ACTORS))
def test_steers_plan(who: str) -> None:
    assert steers_plan(ACTORS[who], BRANCH) is RIGHTS[who][0]


@pytest.mark.parametrize("who", list(ACTORS))
def test_sees_plan(who: str) -> None:
    assert sees_plan(ACTORS[who], BRANCH, VISITORS) is RIGHTS[who][1]


@pytest.mark.parametrize("who", list(ACTORS))
def test_may_log_a_care_visit(who: str) -> None:
    assert may_log(ACTORS[who], BRANCH, VISITORS, ASSIGNEE_ID, False) is RIGHTS[who][2]


@pytest.mark.parametrize("who", list(ACTORS))
def test_may_log_an_on_duty_visit(who: str) -> None:
    assert may_log(ACTORS[who], BRANCH, VISITORS, ASSIGNEE_ID, True) is RIGHTS[who][3]


def test_a_visitor_may_log_a_visit_given_to_someone_else() -> None:
    assert may_log(ACTORS["visitor"], BRANCH, VISITORS, ASSIGNEE_ID, False)


def test_without_an_assignee_only_visitors_and_stewards_log_a_care_visit() -> None:
    assert not may_log(ACTORS["assignee"], BRANCH, VISITORS, None, False)
    assert may_log(ACTORS["visitor"], BRANCH, VISITORS, None, False)
    assert may_log(ACTORS["secretary-of-the-branch"], BRANCH, (), None, False)
