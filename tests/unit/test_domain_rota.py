"""The duty rota and routing by it (DESIGN.md §4, bot/domain/rota.py, bot/domain/routing.py)."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.domain.kinds import Urgency
from bot.domain.recurrence import nth_weekday
from bot.domain.rota import (
    TABLE_START,
    WHOLE_DAY,
    RotaError,
    Shift,
    format_hours,
    on_duty,
    parse_hours,
    table_weekday,
    weekday_index,
    weekly_rule,
)
from bot.domain.routing import Candidate, level_zero

MON, SAT = 0, 5
LI, ZHAO, WANG = 10, 20, 30

MONDAYS = Shift(LI, weekly_rule(MON), TABLE_START)
MONDAY_DAYTIME = Shift(LI, weekly_rule(MON), TABLE_START, time(8), time(20))
SATURDAY_NIGHTS = Shift(ZHAO, weekly_rule(SAT), date(2026, 1, 3), time(20), time(8))
EVERY_OTHER_WEEKEND = Shift(WANG, "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA,SU", date(2026, 12, 5))


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute)


@pytest.mark.parametrize(
    ("local", "covered"),
    [
        pytest.param(at(2026, 1, 5, 10), True, id="first-monday-10h"),
        pytest.param(at(2026, 1, 5), True, id="monday-from-midnight"),
        pytest.param(datetime(2026, 1, 5, 23, 59, 59, 999999), True, id="monday-until-midnight"),
        pytest.param(at(2026, 3, 16, 10), True, id="a-later-monday"),
        pytest.param(at(2026, 1, 6, 10), False, id="not-tuesday"),
        pytest.param(at(2026, 1, 4, 23, 59), False, id="not-the-sunday-before"),
        pytest.param(at(2025, 12, 29, 10), False, id="not-a-monday-before-the-start"),
    ],
)
def test_weekly_table_shift_covers_its_weekday_all_day(local: datetime, covered: bool) -> None:
    assert MONDAYS.covers(local) is covered


@pytest.mark.parametrize(
    ("local", "covered"),
    [
        pytest.param(datetime(2026, 1, 5, 7, 59, 59, 999999), False, id="before-08-00-out"),
        pytest.param(at(2026, 1, 5, 8), True, id="08-00-in"),
        pytest.param(datetime(2026, 1, 5, 19, 59, 59, 999999), True, id="just-before-20-00-in"),
        pytest.param(at(2026, 1, 5, 20), False, id="20-00-out"),
        pytest.param(at(2026, 1, 6, 10), False, id="tuesday-out"),
    ],
)
def test_daytime_shift_runs_from_its_start_up_to_its_end(local: datetime, covered: bool) -> None:
    assert MONDAY_DAYTIME.covers(local) is covered


@pytest.mark.parametrize(
    ("local", "covered"),
    [
        pytest.param(at(2026, 1, 3, 19, 59), False, id="saturday-19-59-out"),
        pytest.param(at(2026, 1, 3, 20), True, id="saturday-20-00-in"),
        pytest.param(at(2026, 1, 3, 23), True, id="saturday-23-00-in"),
        pytest.param(at(2026, 1, 4, 0), True, id="sunday-midnight-in"),
        pytest.param(at(2026, 1, 4, 7, 59), True, id="sunday-07-59-in"),
        pytest.param(at(2026, 1, 4, 8), False, id="sunday-08-00-out"),
        pytest.param(at(2026, 1, 4, 23), False, id="sunday-evening-out"),
        pytest.param(at(2026, 1, 3, 0, 30), False, id="early-saturday-is-not-friday-night"),
        pytest.param(at(2026, 1, 2, 23), False, id="friday-night-out"),
        pytest.param(at(2026, 1, 11, 3), True, id="the-next-saturday-night-in"),
    ],
)
def test_overnight_shift_runs_into_the_next_morning(local: datetime, covered: bool) -> None:
    assert SATURDAY_NIGHTS.covers(local) is covered


def test_only_a_shift_ending_before_it_begins_is_overnight() -> None:
    assert SATURDAY_NIGHTS.overnight
    assert not MONDAY_DAYTIME.overnight
    assert not MONDAYS.overnight
    assert not Shift(LI, weekly_rule(MON), TABLE_START, time(20), None).overnight


@pytest.mark.parametrize(
    ("day", "covered"),
    [
        pytest.param(date(2026, 12, 5), True, id="first-saturday"),
        pytest.param(date(2026, 12, 6), True, id="first-sunday"),
        pytest.param(date(2026, 12, 12), False, id="the-weekend-off-saturday"),
        pytest.param(date(2026, 12, 13), False, id="the-weekend-off-sunday"),
        pytest.param(date(2026, 12, 19), True, id="the-next-saturday-on"),
        pytest.param(date(2026, 12, 20), True, id="the-next-sunday-on"),
        pytest.param(date(2027, 1, 2), True, id="across-the-new-year-saturday"),
        pytest.param(date(2027, 1, 3), True, id="across-the-new-year-sunday"),
        pytest.param(date(2026, 12, 7), False, id="not-a-weekday"),
        pytest.param(date(2026, 11, 28), False, id="not-before-the-start"),
    ],
)
def test_every_other_weekend(day: date, covered: bool) -> None:
    assert EVERY_OTHER_WEEKEND.covers(datetime.combine(day, time(12))) is covered


def test_on_duty_names_everyone_whose_shift_covers_the_moment() -> None:
    shifts = [MONDAYS, SATURDAY_NIGHTS, EVERY_OTHER_WEEKEND]
    assert on_duty(shifts, at(2026, 12, 5, 21)) == frozenset({ZHAO, WANG})
    assert on_duty(shifts, at(2026, 12, 6, 7)) == frozenset({ZHAO, WANG})
    assert on_duty(shifts, at(2026, 12, 7, 7)) == frozenset({LI})
    assert on_duty(shifts, at(2026, 12, 8, 7)) == frozenset()
    assert on_duty([], at(2026, 12, 7, 7)) == frozenset()


def test_on_duty_reads_the_wall_clock_of_an_aware_local_time() -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    assert on_duty([MONDAY_DAYTIME], datetime(2026, 1, 5, 8, tzinfo=shanghai)) == {LI}
    assert on_duty([MONDAY_DAYTIME], datetime(2026, 1, 5, 20, tzinfo=shanghai)) == frozenset()


def test_a_shift_on_a_monthly_rule() -> None:
    first_saturday = Shift(LI, nth_weekday(1, SAT), date(2026, 12, 1), time(9), time(17))
    assert first_saturday.covers(at(2026, 12, 5, 9))
    assert not first_saturday.covers(at(2026, 12, 12, 9))
    assert first_saturday.covers(at(2027, 1, 2, 16, 59))


# Hours.


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        pytest.param("08:00-20:00", (time(8), time(20)), id="daytime"),
        pytest.param("00:00-24:00", (time(0), None), id="whole-day-ends-at-none"),
        pytest.param("20:00-24:00", (time(20), None), id="until-midnight"),
        pytest.param("20:00-08:00", (time(20), time(8)), id="overnight"),
        pytest.param(" 08:30 - 17:45 ", (time(8, 30), time(17, 45)), id="spaces"),
    ],
)
def test_parse_hours(text: str, hours: tuple[time, time | None]) -> None:
    assert parse_hours(text) == hours


def test_whole_day_is_midnight_to_24_00() -> None:
    assert parse_hours("00:00-24:00") == WHOLE_DAY
    assert format_hours(*WHOLE_DAY) == "00:00-24:00"


@pytest.mark.parametrize("text", ["08:00-20:00", "20:00-08:00", "00:00-24:00", "08:30-17:45"])
def test_format_hours_round_trips(text: str) -> None:
    assert format_hours(*parse_hours(text)) == text


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        pytest.param("8-20x", "hours look like 08:00-20:00", id="garbage"),
        pytest.param("08:00", "hours look like 08:00-20:00", id="no-end"),
        pytest.param("08:00-20:00-22:00", "hours look like 08:00-20:00", id="three-times"),
        pytest.param("24:00-08:00", "hours look like 08:00-20:00", id="begins-at-24-00"),
        pytest.param("25:00-26:00", "hours look like 08:00-20:00", id="no-such-hour"),
        pytest.param("", "hours look like 08:00-20:00", id="empty"),
        pytest.param("09:00-09:00", "cannot end when it begins", id="ends-when-it-begins"),
        pytest.param("00:00-00:00", "cannot end when it begins", id="midnight-to-midnight"),
    ],
)
def test_parse_hours_refuses(text: str, reason: str) -> None:
    with pytest.raises(RotaError) as caught:
        parse_hours(text)
    assert reason in caught.value.msgid
    assert caught.value.params == {"text": text}


@pytest.mark.parametrize("text", ["08:00Z-20:00", "08:00-20:00+08:00"])
def test_parse_hours_refuses_a_utc_offset(text: str) -> None:
    with pytest.raises(RotaError):
        parse_hours(text)


# Weekdays of the weekly table.


@pytest.mark.parametrize(
    ("name", "index"),
    [
        pytest.param("mon", 0, id="mon"),
        pytest.param("monday", 0, id="monday"),
        pytest.param("MON", 0, id="upper-case"),
        pytest.param("tue", 1, id="tue"),
        pytest.param("wed", 2, id="wed"),
        pytest.param("thursday", 3, id="thursday"),
        pytest.param("fri", 4, id="fri"),
        pytest.param("Sat", 5, id="sat"),
        pytest.param(" sun ", 6, id="padded-sun"),
    ],
)
def test_weekday_index(name: str, index: int) -> None:
    assert weekday_index(name) == index


@pytest.mark.parametrize("name", ["xyz", "", "m", "dimanche"])
def test_weekday_index_refuses_an_unknown_weekday(name: str) -> None:
    with pytest.raises(RotaError) as caught:
        weekday_index(name)
    assert "unknown weekday" in caught.value.msgid
    assert caught.value.params == {"name": name}


def test_weekday_index_takes_a_two_letter_weekday_as_its_docstring_says() -> None:
    assert weekday_index("Mo") == 0


def test_weekly_rule_of_monday() -> None:
    assert weekly_rule(MON) == "FREQ=WEEKLY;BYDAY=MO"
    assert weekly_rule(6) == "FREQ=WEEKLY;BYDAY=SU"


@pytest.mark.parametrize("weekday", range(7))
def test_weekly_rule_and_table_weekday_round_trip(weekday: int) -> None:
    assert table_weekday(weekly_rule(weekday)) == weekday


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA,SU",
        "FREQ=WEEKLY;BYDAY=MO,TU",
        "FREQ=MONTHLY;BYDAY=1SA",
        "FREQ=DAILY",
        "RRULE:FREQ=WEEKLY;BYDAY=MO",
    ],
)
def test_table_weekday_is_none_for_any_other_rule(rule: str) -> None:
    assert table_weekday(rule) is None


# Routing by the rota: level 0 prefers who is on duty.

MEDICAL = "120"


def member(person_id: int, position: int, *, away: bool = False) -> Candidate:
    return Candidate(person_id, position, frozenset({MEDICAL}), away=away)


ROSTER = [member(WANG, 3), member(LI, 1), member(ZHAO, 2)]
OFF_TOPIC = Candidate(40, 4, frozenset({"110"}))


@pytest.mark.parametrize("urgency", [Urgency.CRITICAL, Urgency.HIGH])
def test_urgent_request_alerts_the_on_duty_handlers_only(urgency: Urgency) -> None:
    on = frozenset({ZHAO, WANG})
    assert level_zero(urgency, MEDICAL, ROSTER, None, on) == [ZHAO, WANG]


@pytest.mark.parametrize(
    ("last", "expected"),
    [
        pytest.param(None, ZHAO, id="no-one-yet-gives-the-first-on-duty"),
        pytest.param(ZHAO, WANG, id="the-turn-passes-among-the-on-duty"),
        pytest.param(WANG, ZHAO, id="the-turn-wraps-among-the-on-duty"),
        pytest.param(LI, ZHAO, id="last-one-off-duty-gives-the-first-on-duty"),
    ],
)
def test_normal_request_turns_among_the_on_duty_handlers(last: int | None, expected: int) -> None:
    on = frozenset({ZHAO, WANG})
    assert level_zero(Urgency.NORMAL, MEDICAL, [*ROSTER, OFF_TOPIC], last, on) == [expected]


@pytest.mark.parametrize(
    "on",
    [
        pytest.param(frozenset(), id="nobody-on-duty"),
        pytest.param(frozenset({40}), id="only-someone-of-another-topic-on-duty"),
        pytest.param(frozenset({99}), id="only-a-stranger-on-duty"),
    ],
)
@pytest.mark.parametrize(
    ("urgency", "expected"),
    [
        pytest.param(Urgency.CRITICAL, [LI, ZHAO, WANG], id="critical"),
        pytest.param(Urgency.NORMAL, [LI], id="normal"),
    ],
)
def test_no_on_duty_handler_falls_back_to_every_handler(
    on: frozenset[int], urgency: Urgency, expected: list[int]
) -> None:
    assert level_zero(urgency, MEDICAL, [*ROSTER, OFF_TOPIC], None, on) == expected


def test_an_away_member_on_duty_does_not_count_as_on_duty() -> None:
    members = [member(LI, 1), member(ZHAO, 2, away=True), member(WANG, 3)]
    assert level_zero(Urgency.CRITICAL, MEDICAL, members, None, frozenset({ZHAO})) == [LI, WANG]


def test_a_branch_without_handlers_is_empty_even_with_someone_on_duty() -> None:
    assert level_zero(Urgency.CRITICAL, MEDICAL, [OFF_TOPIC], None, frozenset({40})) == []


@pytest.mark.parametrize("last", [None, LI, ZHAO, WANG])
@pytest.mark.parametrize("urgency", list(Urgency))
def test_no_rota_routes_as_before(urgency: Urgency, last: int | None) -> None:
    assert level_zero(urgency, MEDICAL, ROSTER, last, None) == level_zero(
        urgency, MEDICAL, ROSTER, last
    )
    expected = [LI, ZHAO, WANG]
    if urgency is Urgency.NORMAL:
        expected = [expected[(expected.index(last) + 1) % 3]] if last is not None else [LI]
    assert level_zero(urgency, MEDICAL, ROSTER, last, None) == expected
