"""The roster's care_plans:, duties: and rota: sections: good shapes parse, bad ones are
refused whole with FILE:LINE and the reason."""

from __future__ import annotations

from datetime import date, time

import pytest

from bot.domain.rota import TABLE_START, weekly_rule
from bot.files.roster import PlanSpec, RosterError, ShiftSpec, parse_roster

BASE = """\
committee: [chen]
branches:
  - key: warehouse
    name: 仓储部支部
    departments: [仓储部]
    secretary: wang
    members: [li, zhao, qian]
  - key: dock
    name: 码头机修支部
    departments: [机修车间]
    secretary: zhou
    members: [wu]
people:
  - {key: chen, name: 陈主任, telegram_id: 1000}
  - {key: wang, name: 王芳, telegram_id: 1001}
  - {key: li, name: 李强, telegram_id: 1002}
  - {key: zhao, name: 赵敏, telegram_id: 1003}
  - {key: qian, name: 钱卫东, telegram_id: 1004}
  - {key: zhou, name: 周海涛, telegram_id: 1101}
  - {key: wu, name: 吴建华, telegram_id: 1102}
"""

PLANS = """\
care_plans:
  - key: sun-guardian
    branch: warehouse
    cared_for: 孙琪伟
    note: 宝山精神卫生中心, 监护探视
    visitors: [li, zhao]
    rule: "FREQ=MONTHLY;BYDAY=1SA"
    start: 2026-12-01
    remind_days_before: 2
    grace: 3d
  - key: retired-fang
    branch: dock
    cared_for: 方师傅
    visitors: [wu, zhou]
    rule: "FREQ=MONTHLY;BYMONTHDAY=28,29,30,31;BYSETPOS=-1"
    start: "2020-01-01"
duties:
  - key: reception-warehouse
    kind: reception
    branch: warehouse
    title: 接待日
    rule: "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH"
    start: 2026-12-03
    remind: on-duty
  - key: committee-visit-dock
    kind: department-visit
    branch: dock
    title: 委员会走访码头机修
    visitors: [chen]
    rule: "FREQ=MONTHLY;BYDAY=2TU"
    start: 2026-12-01
    grace: 12h
rota:
  warehouse:
    hours: "08:00-20:00"
    weekly: {mon: [li], tue: [zhao], wed: [qian], thu: [li, zhao], fri: [qian]}
    shifts:
      - person: qian
        rule: "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA,SU"
        start: 2026-12-05
        hours: "20:00-08:00"
  dock:
    weekly: {monday: [wu, zhou]}
"""
GOOD = BASE + PLANS


def parse(text: str) -> object:
    return parse_roster(text, "r.yaml", lang="en")


def edit(old: str, new: str) -> str:
    assert GOOD.count(old) == 1, old
    return GOOD.replace(old, new)


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the only line containing ``needle``."""
    found = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(found) == 1, (needle, found)
    return found[0]


def test_good_plans_duties_and_rota_parse() -> None:
    roster = parse_roster(GOOD, "r.yaml", lang="en")
    assert roster.plans == (
        PlanSpec(
            key="sun-guardian",
            branch="warehouse",
            kind="care",
            cared_for="孙琪伟",
            note="宝山精神卫生中心, 监护探视",
            visitors=("li", "zhao"),
            rule="FREQ=MONTHLY;BYDAY=1SA",
            start=date(2026, 12, 1),
            remind_days_before=2,
            grace="3d",
            remind_on_duty=False,
        ),
        PlanSpec(
            key="retired-fang",
            branch="dock",
            kind="care",
            cared_for="方师傅",
            note="",
            visitors=("wu", "zhou"),
            rule="FREQ=MONTHLY;BYMONTHDAY=28,29,30,31;BYSETPOS=-1",
            start=date(2020, 1, 1),  # an old start is fine: the bot plans from today
            remind_days_before=1,
            grace="3d",
            remind_on_duty=False,
        ),
        PlanSpec(
            key="reception-warehouse",
            branch="warehouse",
            kind="reception",
            cared_for="接待日",
            note="",
            visitors=(),
            rule="FREQ=WEEKLY;INTERVAL=2;BYDAY=TH",
            start=date(2026, 12, 3),
            remind_days_before=1,
            grace="3d",
            remind_on_duty=True,
        ),
        PlanSpec(
            key="committee-visit-dock",
            branch="dock",
            kind="department-visit",
            cared_for="委员会走访码头机修",
            note="",
            visitors=("chen",),
            rule="FREQ=MONTHLY;BYDAY=2TU",
            start=date(2026, 12, 1),
            remind_days_before=1,
            grace="12h",
            remind_on_duty=False,
        ),
    )
    day = (time(8), time(20))
    table = [
        ShiftSpec("warehouse", person, weekly_rule(weekday), TABLE_START, *day)
        for person, weekday in [
            ("li", 0),
            ("zhao", 1),
            ("qian", 2),
            ("li", 3),
            ("zhao", 3),
            ("qian", 4),
        ]
    ]
    night = ShiftSpec(
        "warehouse",
        "qian",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA,SU",
        date(2026, 12, 5),
        time(20),
        time(8),
    )
    dock = [
        ShiftSpec("dock", person, weekly_rule(0), TABLE_START, time(0), None)
        for person in ("wu", "zhou")
    ]
    assert roster.shifts == (*table, night, *dock)
    assert TABLE_START.weekday() == 0
    # the raw sections stay in extras too
    assert roster.extras["duties"][0]["key"] == "reception-warehouse"


def test_reception_on_duty_may_have_visitors_and_rules_are_normalised() -> None:
    text = edit("    remind: on-duty\n", "    remind: on-duty\n    visitors: [li]\n").replace(
        '"FREQ=MONTHLY;BYDAY=1SA"', '"  RRULE:FREQ=MONTHLY;BYDAY=1SA "'
    )
    roster = parse_roster(text, "r.yaml", lang="en")
    plans = {p.key: p for p in roster.plans}
    assert plans["reception-warehouse"].visitors == ("li",)
    assert plans["sun-guardian"].rule == "FREQ=MONTHLY;BYDAY=1SA"


def test_a_roster_without_the_sections_has_no_plans_or_shifts() -> None:
    roster = parse_roster(BASE, "r.yaml", lang="en")
    assert roster.plans == () and roster.shifts == ()


NOTE_501 = "x" * 501

BAD: list[tuple[str, str, str, str]] = [
    # (id, text, a unique piece of the line the problem is on, reason)
    (
        "unknown visitor",
        edit("visitors: [li, zhao]", "visitors: [li, nobody]"),
        "[li, nobody]",
        "unknown person",
    ),
    (
        "visitor of another branch",
        edit("visitors: [li, zhao]", "visitors: [li, wu]"),
        "[li, wu]",
        "'wu' is not a member or the secretary of branch 'warehouse', nor on the committee",
    ),
    (
        "every minute",
        edit('"FREQ=MONTHLY;BYDAY=1SA"', "FREQ=MINUTELY"),
        "FREQ=MINUTELY",
        "'FREQ=MINUTELY' recurs more often than once a day",
    ),
    (
        "impossible rule",
        edit('"FREQ=MONTHLY;BYDAY=2TU"', "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"),
        "BYMONTHDAY=30",
        "never happens from 2026-12-01 on",
    ),
    (
        "not a rule",
        edit('"FREQ=MONTHLY;BYDAY=1SA"', "first saturday"),
        "first saturday",
        "is not an RFC 5545 RRULE",
    ),
    (
        "bad date",
        edit('start: "2020-01-01"', 'start: "2026-02-30"'),
        "2026-02-30",
        "'start' must be a date such as 2026-12-01, not '2026-02-30'",
    ),
    (
        "date and time",
        edit("start: 2026-12-03", "start: 2026-12-03T10:00:00"),
        "2026-12-03T10",
        "'start' must be a date",
    ),
    (
        "note too long",
        edit("note: 宝山精神卫生中心, 监护探视", f"note: {NOTE_501}"),
        "note: x",
        "The note is 501 characters; at most 500 fit.",
    ),
    (
        "name too long",
        edit("cared_for: 方师傅", "cared_for: " + "方" * 201),
        "cared_for: 方方",
        "A name is at most 200 characters.",
    ),
    ("grace zero", edit("grace: 3d", "grace: 0d"), "grace: 0d", "between 1h and 31d"),
    ("grace too long", edit("grace: 3d", "grace: 40d"), "grace: 40d", "between 1h and 31d"),
    ("grace too short", edit("grace: 12h", "grace: 30m"), "grace: 30m", "between 1h and 31d"),
    ("grace not a duration", edit("grace: 3d", "grace: soon"), "grace: soon", "not a duration"),
    (
        "remind days",
        edit("remind_days_before: 2", "remind_days_before: 31"),
        "remind_days_before",
        "Remind 0 to 30 days ahead, not 31.",
    ),
    (
        "remind days not a number",
        edit("remind_days_before: 2", "remind_days_before: two"),
        "remind_days_before",
        "must be a whole number",
    ),
    (
        "unknown weekday",
        edit("fri: [qian]", "fry: [qian]"),
        "fry: [qian]",
        "unknown weekday fry",
    ),
    (
        "same weekday twice",
        edit("{monday: [wu, zhou]}", "{monday: [wu], mon: [zhou]}"),
        "{monday: [wu], mon: [zhou]}",
        "'mon' and 'monday' are the same weekday",
    ),
    (
        "bad hours",
        edit('hours: "08:00-20:00"', 'hours: "8 to 8"'),
        "8 to 8",
        "hours look like 08:00-20:00",
    ),
    (
        "shift ends as it begins",
        edit('hours: "20:00-08:00"', 'hours: "08:00-08:00"'),
        "08:00-08:00",
        "cannot end when it begins",
    ),
    (
        "rota person of another branch",
        edit("tue: [zhao]", "tue: [wu]"),
        "tue: [wu]",
        "'wu' is not a member or the secretary of branch 'warehouse'",
    ),
    (
        "rota unknown person",
        edit("person: qian", "person: qiao"),
        "person: qiao",
        "'person' names an unknown person 'qiao'",
    ),
    (
        "rota unknown branch",
        edit("  dock:\n    weekly", "  docks:\n    weekly"),
        "  docks:",
        "'rota' names an unknown branch 'docks'",
    ),
    (
        "rota shift typo",
        edit('hours: "20:00-08:00"', 'hour: "20:00-08:00"'),
        "hour:",
        "unknown field 'hour'",
    ),
    (
        "duplicate key across sections",
        edit("key: committee-visit-dock", "key:  sun-guardian"),
        "key:  sun-guardian",
        "the plan key 'sun-guardian' is used twice",
    ),
    (
        "unknown branch",
        edit("branch: dock\n    cared_for", "branch: docks\n    cared_for"),
        "branch: docks",
        "'branch' names an unknown branch 'docks'",
    ),
    (
        "unknown plan field",
        edit("grace: 3d", "grace: 3d\n    remind: on-duty  # not for care plans"),
        "not for care plans",
        "unknown field 'remind'",
    ),
    (
        "missing rule",
        edit('    rule: "FREQ=MONTHLY;BYDAY=2TU"\n', ""),
        "key: committee-visit-dock",
        "'rule' is required",
    ),
    (
        "missing cared_for",
        edit("    cared_for: 方师傅\n", ""),
        "key: retired-fang",
        "'cared_for' is required",
    ),
    (
        "missing title",
        edit("    title: 接待日\n", ""),
        "key: reception-warehouse",
        "'title' is required",
    ),
    (
        "missing visitors",
        edit("    visitors: [chen]\n", ""),
        "key: committee-visit-dock",
        "'visitors' must name at least one person",
    ),
    (
        "empty visitors",
        edit("visitors: [wu, zhou]", "visitors: []"),
        "visitors: []",
        "'visitors' must name at least one person",
    ),
    (
        "missing start",
        edit("    start: 2026-12-01\n    grace: 12h\n", "    grace: 12h\n"),
        "key: committee-visit-dock",
        "'start' is required",
    ),
    (
        "unknown duty kind",
        edit("kind: department-visit", "kind: party"),
        "kind: party",
        "unknown duty kind 'party'",
    ),
    (
        "on-duty for a department visit",
        edit("    grace: 12h\n", "    grace: 12h\n    remind: on-duty  # a visit\n"),
        "on-duty  # a visit",
        "for reception duties only",
    ),
    (
        "on-duty without a rota",
        edit("branch: warehouse\n    title", "branch: dock\n    title").replace(
            "  dock:\n    weekly: {monday: [wu, zhou]}\n", ""
        ),
        "remind: on-duty",
        "needs a rota for branch 'dock'",
    ),
    (
        "remind something else",
        edit("remind: on-duty", "remind: everyone"),
        "remind: everyone",
        "'remind' is on-duty or left out",
    ),
    (
        "plans not a list",
        BASE + "care_plans: {key: x}\n",
        "care_plans:",
        "'care_plans' must be a list",
    ),
    ("rota not a mapping", BASE + "rota: [li]\n", "rota:", "'rota' must be a mapping"),
]


@pytest.mark.parametrize(
    ("text", "needle", "reason"), [c[1:] for c in BAD], ids=[c[0] for c in BAD]
)
def test_bad_plans_are_refused_with_line_and_reason(text: str, needle: str, reason: str) -> None:
    line = line_of(text, needle)
    with pytest.raises(RosterError) as info:
        parse(text)
    lines = info.value.lines()
    assert any(s.startswith(f"r.yaml:{line}: ") and reason in s for s in lines), lines


def test_every_problem_of_the_sections_is_reported_at_once() -> None:
    text = (
        edit("visitors: [li, zhao]", "visitors: [li, nobody]")
        .replace("grace: 3d", "grace: 40d")
        .replace("fri: [qian]", "fry: [qian]")
    )
    with pytest.raises(RosterError) as info:
        parse(text)
    assert len(info.value.problems) == 3, info.value.lines()
