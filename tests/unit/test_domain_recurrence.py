"""Recurrences of care plans and duties (DESIGN.md §5, bot/domain/recurrence.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from bot.domain.recurrence import (
    MAX_RULE_LENGTH,
    ONCE,
    Recurrence,
    RuleError,
    every_n_weeks,
    monthly_on_day,
    nth_weekday,
    parse_rule,
    yearly_on,
)

START = date(2026, 12, 1)  # a Tuesday
MON, THU, FRI, SAT = 0, 3, 4, 5


def plan(rule: str, start: date = START) -> Recurrence:
    return parse_rule(rule, start, today=start)


def refusal(rule: str, start: date = START, today: date | None = None) -> RuleError:
    with pytest.raises(RuleError) as caught:
        parse_rule(rule, start, today=today)
    return caught.value


# Monthly on a day: a month too short for the day has the visit on its last day.


@pytest.mark.parametrize(
    ("day", "month", "expected"),
    [
        pytest.param(31, date(2026, 12, 1), date(2026, 12, 31), id="31st-is-dec-31"),
        pytest.param(31, date(2027, 1, 1), date(2027, 1, 31), id="31st-is-jan-31"),
        pytest.param(31, date(2027, 2, 1), date(2027, 2, 28), id="31st-is-feb-28"),
        pytest.param(31, date(2027, 3, 1), date(2027, 3, 31), id="31st-is-mar-31"),
        pytest.param(31, date(2027, 4, 1), date(2027, 4, 30), id="31st-is-apr-30"),
        pytest.param(31, date(2028, 2, 1), date(2028, 2, 29), id="31st-is-feb-29-in-a-leap-year"),
        pytest.param(30, date(2027, 1, 1), date(2027, 1, 30), id="30th-is-jan-30"),
        pytest.param(30, date(2027, 2, 1), date(2027, 2, 28), id="30th-is-feb-28"),
        pytest.param(30, date(2027, 4, 1), date(2027, 4, 30), id="30th-is-apr-30"),
        pytest.param(30, date(2028, 2, 1), date(2028, 2, 29), id="30th-is-feb-29-in-a-leap-year"),
        pytest.param(29, date(2027, 2, 1), date(2027, 2, 28), id="29th-is-feb-28"),
        pytest.param(29, date(2027, 3, 1), date(2027, 3, 29), id="29th-is-mar-29"),
        pytest.param(29, date(2028, 2, 1), date(2028, 2, 29), id="29th-is-feb-29-in-a-leap-year"),
        pytest.param(15, date(2027, 2, 1), date(2027, 2, 15), id="15th-is-feb-15"),
        pytest.param(15, date(2027, 4, 1), date(2027, 4, 15), id="15th-is-apr-15"),
    ],
)
def test_monthly_on_a_day_falls_back_to_the_last_day_of_a_short_month(
    day: int, month: date, expected: date
) -> None:
    assert plan(monthly_on_day(day)).next_on_or_after(month) == expected


def test_monthly_on_the_31st_is_once_a_month_for_a_year() -> None:
    assert plan(monthly_on_day(31)).upcoming(START, 13) == [
        date(2026, 12, 31),
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
        date(2027, 4, 30),
        date(2027, 5, 31),
        date(2027, 6, 30),
        date(2027, 7, 31),
        date(2027, 8, 31),
        date(2027, 9, 30),
        date(2027, 10, 31),
        date(2027, 11, 30),
        date(2027, 12, 31),
    ]


def test_monthly_on_a_day_any_month_has_is_a_plain_rule() -> None:
    assert monthly_on_day(15) == "FREQ=MONTHLY;BYMONTHDAY=15"
    assert monthly_on_day(28) == "FREQ=MONTHLY;BYMONTHDAY=28"


# Yearly on a date.


def test_yearly_on_feb_29_happens_only_in_leap_years() -> None:
    feb29 = plan(yearly_on(2, 29))
    assert feb29.upcoming(START, 3) == [date(2028, 2, 29), date(2032, 2, 29), date(2036, 2, 29)]
    assert not feb29.occurs_on(date(2027, 2, 28))
    assert not feb29.occurs_on(date(2027, 3, 1))


def test_yearly_on_feb_29_is_accepted_although_its_first_visit_is_over_a_year_away() -> None:
    assert parse_rule(yearly_on(2, 29), START, today=START) == Recurrence(
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", START
    )


def test_yearly_on_feb_29_is_accepted_across_2100_which_is_not_a_leap_year() -> None:
    start = date(2096, 3, 1)
    assert parse_rule(yearly_on(2, 29), start).next_on_or_after(start) == date(2104, 2, 29)


def test_yearly_before_the_new_year() -> None:
    assert plan(yearly_on(12, 30)).upcoming(START, 2) == [date(2026, 12, 30), date(2027, 12, 30)]


# The n-th weekday of each month.


def test_first_saturday_is_the_design_rule() -> None:
    assert nth_weekday(1, SAT) == "FREQ=MONTHLY;BYDAY=1SA"


@pytest.mark.parametrize(
    ("nth", "weekday", "month", "expected"),
    [
        pytest.param(1, SAT, date(2026, 12, 1), date(2026, 12, 5), id="first-saturday-of-dec"),
        pytest.param(1, SAT, date(2027, 1, 1), date(2027, 1, 2), id="first-saturday-of-jan"),
        pytest.param(1, SAT, date(2027, 2, 1), date(2027, 2, 6), id="first-saturday-of-feb"),
        pytest.param(-1, FRI, date(2026, 12, 1), date(2026, 12, 25), id="last-friday-of-dec"),
        pytest.param(-1, FRI, date(2027, 1, 1), date(2027, 1, 29), id="last-friday-of-jan"),
        pytest.param(-1, FRI, date(2027, 2, 1), date(2027, 2, 26), id="last-friday-of-feb"),
        pytest.param(-1, FRI, date(2027, 4, 1), date(2027, 4, 30), id="last-friday-of-apr"),
        pytest.param(4, MON, date(2027, 2, 1), date(2027, 2, 22), id="fourth-monday-of-feb"),
    ],
)
def test_nth_weekday_of_each_month(nth: int, weekday: int, month: date, expected: date) -> None:
    assert plan(nth_weekday(nth, weekday)).next_on_or_after(month) == expected


def test_first_saturday_skips_the_other_saturdays() -> None:
    first_saturday = plan(nth_weekday(1, SAT))
    assert first_saturday.occurs_on(date(2026, 12, 5))
    assert not first_saturday.occurs_on(date(2026, 12, 12))
    assert first_saturday.next_after(date(2026, 12, 5)) == date(2027, 1, 2)


# Every n weeks.


def test_every_other_thursday_runs_across_the_year_boundary() -> None:
    start = date(2026, 12, 3)  # a Thursday
    every_other_thursday = plan(every_n_weeks(2, THU), start)
    assert every_other_thursday.upcoming(start, 6) == [
        date(2026, 12, 3),
        date(2026, 12, 17),
        date(2026, 12, 31),
        date(2027, 1, 14),
        date(2027, 1, 28),
        date(2027, 2, 11),
    ]
    assert not every_other_thursday.occurs_on(date(2026, 12, 10))
    assert not every_other_thursday.occurs_on(date(2027, 1, 7))


def test_every_other_thursday_from_a_tuesday_begins_that_week() -> None:
    assert plan(every_n_weeks(2, THU)).upcoming(START, 3) == [
        date(2026, 12, 3),
        date(2026, 12, 17),
        date(2026, 12, 31),
    ]


@pytest.mark.parametrize(
    ("weeks", "weekday", "rule"),
    [
        pytest.param(1, MON, "FREQ=WEEKLY;BYDAY=MO", id="weekly-has-no-interval"),
        pytest.param(2, THU, "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH", id="every-other-thursday"),
        pytest.param(52, 6, "FREQ=WEEKLY;INTERVAL=52;BYDAY=SU", id="every-52-weeks"),
    ],
)
def test_every_n_weeks_rule(weeks: int, weekday: int, rule: str) -> None:
    assert every_n_weeks(weeks, weekday) == rule


# Once, and the Recurrence queries.


def test_once_gives_the_start_date_and_then_nothing() -> None:
    once = plan(ONCE)
    assert once.upcoming(date(2026, 11, 1), 5) == [START]
    assert once.next_on_or_after(date(2026, 11, 1)) == START
    assert once.next_after(START) is None
    assert once.occurs_on(START)
    assert not once.occurs_on(date(2026, 12, 2))


def test_next_after_is_strictly_after_and_next_on_or_after_includes_the_day() -> None:
    monthly = plan(monthly_on_day(15))
    assert monthly.next_on_or_after(date(2026, 12, 15)) == date(2026, 12, 15)
    assert monthly.next_after(date(2026, 12, 15)) == date(2027, 1, 15)
    assert monthly.next_after(date(2026, 12, 14)) == date(2026, 12, 15)


def test_nothing_occurs_before_the_start() -> None:
    monthly = plan(monthly_on_day(15))
    assert not monthly.occurs_on(date(2026, 11, 15))
    assert monthly.next_on_or_after(date(2020, 1, 1)) == date(2026, 12, 15)


def test_upcoming_stops_at_count_and_when_the_rule_ends() -> None:
    three_days = plan("FREQ=DAILY;COUNT=3")
    assert three_days.upcoming(START, 0) == []
    assert three_days.upcoming(START, 2) == [START, date(2026, 12, 2)]
    assert three_days.upcoming(START, 10) == [START, date(2026, 12, 2), date(2026, 12, 3)]
    assert three_days.upcoming(date(2026, 12, 4), 10) == []
    assert three_days.next_on_or_after(date(2026, 12, 4)) is None


# Parsing.


@pytest.mark.parametrize(
    "rule",
    [
        pytest.param("RRULE:FREQ=MONTHLY;BYDAY=1SA", id="rrule-prefix"),
        pytest.param("  FREQ=MONTHLY;BYDAY=1SA \n", id="surrounding-whitespace"),
    ],
)
def test_an_rrule_prefix_and_whitespace_are_accepted_and_dropped(rule: str) -> None:
    assert parse_rule(rule, START) == Recurrence("FREQ=MONTHLY;BYDAY=1SA", START)


def test_a_rule_of_exactly_the_limit_is_accepted() -> None:
    head = "FREQ=DAILY;INTERVAL="
    rule = head + "0" * (MAX_RULE_LENGTH - len(head) - 1) + "1"
    assert len(rule) == MAX_RULE_LENGTH
    assert parse_rule(rule, START).upcoming(START, 2) == [START, date(2026, 12, 2)]


def test_a_rule_that_ended_before_today_is_refused_but_accepted_from_its_own_start() -> None:
    rule = "FREQ=DAILY;UNTIL=20250101"
    error = refusal(rule, date(2024, 12, 1), today=date(2026, 12, 1))
    assert "never happens" in error.msgid
    assert error.params["start"] == date(2026, 12, 1)
    accepted = parse_rule(rule, date(2024, 12, 1))
    assert accepted.upcoming(date(2024, 12, 30), 5) == [
        date(2024, 12, 30),
        date(2024, 12, 31),
        date(2025, 1, 1),
    ]


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        pytest.param("FREQ=MINUTELY", "more often than once a day", id="minutely"),
        pytest.param("FREQ=HOURLY", "more often than once a day", id="hourly"),
        pytest.param("FREQ=SECONDLY", "more often than once a day", id="secondly"),
        pytest.param("freq=hourly", "more often than once a day", id="hourly-in-lower-case"),
        pytest.param("FREQ=DAILY;BYHOUR=9", "more often than once a day", id="daily-at-an-hour"),
        pytest.param("FREQ=DAILY;BYMINUTE=30", "more often than once a day", id="by-minute"),
        pytest.param("FREQ=WEEKLY;BYSECOND=0", "more often than once a day", id="by-second"),
        pytest.param("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "never happens", id="feb-30"),
        pytest.param("FREQ=DAILY;COUNT=0", "never happens", id="count-zero"),
        pytest.param("garbage", "is not an RFC 5545 RRULE", id="garbage"),
        pytest.param("every other thursday", "is not an RFC 5545 RRULE", id="plain-words"),
        pytest.param("FREQ=WEEKLY;BYDAY=XX", "is not an RFC 5545 RRULE", id="unknown-weekday"),
        pytest.param("INTERVAL=2", "is not an RFC 5545 RRULE", id="no-freq"),
        pytest.param("", "empty", id="empty"),
        pytest.param("   \n ", "empty", id="only-whitespace"),
        pytest.param("RRULE:", "empty", id="only-the-prefix"),
        pytest.param(
            "DTSTART:20261201T000000\nRRULE:FREQ=DAILY", "without DTSTART", id="with-dtstart"
        ),
        pytest.param("FREQ=DAILY;DTSTART=20261201", "without DTSTART", id="dtstart-inside"),
        pytest.param(
            "RRULE:FREQ=DAILY\nEXDATE:20261202T000000", "without DTSTART", id="with-exdate"
        ),
        pytest.param(
            "FREQ=DAILY;INTERVAL=" + "0" * 480 + "1", "longer than", id="over-500-characters"
        ),
    ],
)
def test_parse_rule_refuses(rule: str, reason: str) -> None:
    assert reason in refusal(rule).msgid


def test_an_over_long_rule_names_the_limit() -> None:
    error = refusal("FREQ=DAILY;" + "X" * MAX_RULE_LENGTH)
    assert error.params == {"limit": MAX_RULE_LENGTH}


def test_a_refusal_quotes_the_rule() -> None:
    error = refusal("FREQ=HOURLY")
    assert error.params == {"rule": "FREQ=HOURLY"}
    assert str(error) == "'FREQ=HOURLY' recurs more often than once a day"


def test_a_repeated_freq_cannot_smuggle_in_an_hourly_rule() -> None:
    assert "more often than once a day" in refusal("FREQ=DAILY;COUNT=3;FREQ=HOURLY").msgid


# The dialog's builders refuse what cannot be a rule.


@pytest.mark.parametrize(
    ("build", "reason"),
    [
        pytest.param(lambda: monthly_on_day(0), "a day of the month is 1 to 31", id="day-0"),
        pytest.param(lambda: monthly_on_day(32), "a day of the month is 1 to 31", id="day-32"),
        pytest.param(lambda: yearly_on(2, 30), "is not a date", id="feb-30"),
        pytest.param(lambda: yearly_on(4, 31), "is not a date", id="apr-31"),
        pytest.param(lambda: yearly_on(13, 1), "is not a date", id="month-13"),
        pytest.param(lambda: nth_weekday(5, MON), "first to fourth or the last", id="fifth"),
        pytest.param(lambda: nth_weekday(0, MON), "first to fourth or the last", id="zeroth"),
        pytest.param(lambda: nth_weekday(-2, MON), "first to fourth or the last", id="second-last"),
        pytest.param(lambda: nth_weekday(1, 7), "first to fourth or the last", id="weekday-7"),
        pytest.param(lambda: every_n_weeks(0, 1), "every 1 to 52 weeks", id="every-0-weeks"),
        pytest.param(lambda: every_n_weeks(53, 1), "every 1 to 52 weeks", id="every-53-weeks"),
        pytest.param(lambda: every_n_weeks(1, -1), "every 1 to 52 weeks", id="weekday-minus-1"),
    ],
)
def test_builders_refuse_impossible_inputs(build: Callable[[], str], reason: str) -> None:
    with pytest.raises(RuleError) as caught:
        build()
    assert reason in caught.value.msgid


def test_a_builder_refusal_carries_its_parameters() -> None:
    with pytest.raises(RuleError) as caught:
        yearly_on(2, 30)
    assert caught.value.params == {"month": 2, "day": 30}
    assert str(caught.value) == "2-30 is not a date"


@pytest.mark.parametrize("start", [date(9999, 12, 1), date(2200, 1, 1)])
def test_a_start_centuries_ahead_is_refused_not_overflowed(start: date) -> None:
    """A roster typo (start: 9999-12-01) once ended `helpline roster import` with an
    OverflowError traceback; it is one refusal with the line now."""
    error = refusal("FREQ=MONTHLY;BYDAY=1SA", start=start)
    assert "too far ahead" in error.msgid and error.params["date"] == start.isoformat()
