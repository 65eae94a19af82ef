"""The roster parser: every bad file is refused with the right line and a reason."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from bot.domain.escalation import DEFAULT_CHAINS, Chain
from bot.domain.kinds import Urgency
from bot.files.roster import RosterError, RosterProblem, parse_roster

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "roster.yaml"

# Line numbers below refer to this text; keep it in step with the table.
GOOD = """\
committee: [chen]
supervisors: [gu]
branches:
  - key: warehouse
    name: 仓储部支部
    departments: [仓储部]
    secretary: wang
    members: [li, zhao]
people:
  - {key: chen, name: 陈主任, telegram_id: 1000}
  - {key: wang, name: 王芳, telegram_id: 1001}
  - {key: li, name: 李强, telegram_id: 1002, handles: ["120", "110", reimbursement]}
  - {key: zhao, name: 赵敏, telegram_id: 1003, handles: [insurance, "110"]}
  - {key: mao, name: 茅建国, telegram_id: 2001, department: 仓储部}
  - {key: gu, name: 顾明, telegram_id: 3001}
escalation:
  critical: {levels: [2m, 3m], repeat: 5m}
"""


def edit(old: str, new: str) -> str:
    assert old in GOOD, old
    return GOOD.replace(old, new, 1)


def parse(text: str) -> object:
    return parse_roster(text, "r.yaml", lang="en")


BAD: list[tuple[str, str, int | None, str]] = [
    ("invalid yaml", edit("members: [li, zhao]", "members: [li, zhao"), 9, "not valid YAML"),
    ("tab", edit("    name: 仓储部支部", "\tname: x"), 5, "not valid YAML"),
    (
        "yaml duplicate key",
        edit("name: 陈主任, telegram_id: 1000", "name: 陈主任, telegram_id: 1000, name: x"),
        10,
        "'name' is written twice",
    ),
    (
        "duplicate person",
        edit("  - {key: gu,", "  - {key: mao, name: 别人}\n  - {key: gu,"),
        15,
        "'mao' is used twice (first on line 14)",
    ),
    (
        "duplicate branch",
        edit("people:", "  - {key: warehouse, name: X, secretary: wang}\npeople:"),
        9,
        "'warehouse' is used twice",
    ),
    ("unknown member", edit("[li, zhao]", "[li, zhao, nobody]"), 8, "unknown person 'nobody'"),
    ("member listed twice", edit("[li, zhao]", "[li, zhao, li]"), 8, "'li' is listed twice"),
    ("unknown secretary", edit("secretary: wang", "secretary: wong"), 7, "unknown person 'wong'"),
    ("no secretary", edit("    secretary: wang\n", ""), 4, "has no secretary"),
    ("unknown committee", edit("[chen]", "[chen, nobody]"), 1, "unknown person 'nobody'"),
    ("empty committee", edit("committee: [chen]", "committee: []"), 1, "at least one person"),
    ("unknown supervisor", edit("[gu]", "[gu, nobody]"), 2, "unknown person 'nobody'"),
    (
        "unknown family_of",
        edit("department: 仓储部}", "department: 仓储部, family_of: zz}"),
        14,
        "unknown person 'zz'",
    ),
    (
        "own family",
        edit("department: 仓储部}", "department: 仓储部, family_of: mao}"),
        14,
        "own family",
    ),
    (
        "care plan visitor",
        GOOD + "care_plans:\n  - key: sun\n    visitors: [li, nobody]\n",
        20,
        "unknown person 'nobody'",
    ),
    (
        "care plan branch",
        GOOD + "care_plans:\n  - key: sun\n    branch: dock\n",
        20,
        "unknown branch 'dock'",
    ),
    ("bad duration", edit("[2m, 3m]", "[2m, 3x]"), 17, "'3x' is not a duration"),
    ("number duration", edit("repeat: 5m", "repeat: 5"), 17, "'5' is not a duration"),
    ("zero duration", edit("[2m, 3m]", "[0m, 3m]"), 17, "'0m' is not a duration"),
    ("empty levels", edit("[2m, 3m]", "[]"), 17, "non-empty list"),
    ("unknown urgency", edit("  critical:", "  urgent:"), 17, "unknown urgency 'urgent'"),
    ("chain typo", edit("repeat: 5m", "repeats: 5m"), 17, "unknown field 'repeats'"),
    ("invite valid too long", GOOD + "invite_valid: 31d\n", 18, "between 1h and 30d"),
    ("invite valid too short", GOOD + "invite_valid: 30m\n", 18, "between 1h and 30d"),
    ("invite valid not a duration", GOOD + "invite_valid: soon\n", 18, "not a duration"),
    ("budget of zero", GOOD + "request_budget: {count: 0, per: 1h}\n", 18, "from 1 to 1000"),
    ("budget not a mapping", GOOD + "request_budget: 5\n", 18, "{count: 5, per: 1h}"),
    ("budget bad period", GOOD + "request_budget: {per: soon}\n", 18, "not a duration"),
    (
        "department twice",
        edit("people:", "  - {key: b2, name: X, secretary: wang, departments: [仓储部]}\npeople:"),
        9,
        "already served by branch 'warehouse'",
    ),
    (
        "unserved department",
        edit("department: 仓储部}", "department: 仓储}"),
        14,
        "no branch serves the department '仓储'",
    ),
    ("same telegram_id", edit("1003", "1002"), 13, "telegram_id 1002 is also given to 'li'"),
    ("unknown topic", edit('"110", reimbursement', '"110", fire'), 12, "unknown topic 'fire'"),
    ("unknown int topic", edit('"120", "110"', '"120", 119'), 12, "unknown topic '119'"),
    ("telegram_id text", edit("telegram_id: 1000", 'telegram_id: "1000"'), 10, "telegram_id"),
    ("telegram_id bool", edit("telegram_id: 1000", "telegram_id: true"), 10, "telegram_id"),
    ("telegram_id negative", edit("telegram_id: 1000", "telegram_id: -5"), 10, "telegram_id"),
    ("name missing", edit("{key: gu, name: 顾明,", "{key: gu,"), 15, "'name' is required"),
    ("name empty", edit("name: 顾明", 'name: ""'), 15, "'name' must not be empty"),
    ("name not text", edit("name: 顾明", "name: [a]"), 15, "'name' must be text"),
    ("key with space", edit("{key: gu,", '{key: "g u",'), 15, "single word"),
    ("unknown section", edit("supervisors:", "supervisor:"), 2, "unknown section 'supervisor'"),
    (
        "person typo",
        edit("telegram_id: 3001", "telgram_id: 3001"),
        15,
        "unknown field 'telgram_id'",
    ),
    ("branch typo", edit("departments:", "department:"), 6, "unknown field 'department'"),
    ("people not a list", edit("people:", "people: 3\nold_people:"), 9, "must be a list"),
    ("person not a mapping", edit("  - {key: gu,", "  - gu\n  - {key: gu2,"), 15, "mapping"),
    ("person language", edit("telegram_id: 3001", "telegram_id: 3001, language: fr"), 15, "'fr'"),
    ("top level list", "- a\n- b\n", 1, "must be a mapping"),
    ("empty file", "", None, "empty"),
]


@pytest.mark.parametrize(("text", "line", "reason"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_roster_is_refused_with_line_and_reason(
    text: str, line: int | None, reason: str
) -> None:
    with pytest.raises(RosterError) as info:
        parse(text)
    problems = info.value.problems
    assert any(p.line == line and reason in p.message for p in problems), problems


def test_error_renders_file_line_reason() -> None:
    with pytest.raises(RosterError) as info:
        parse(edit("[li, zhao]", "[li, zhao, nobody]"))
    assert str(info.value) == "r.yaml:8: 'members' names an unknown person 'nobody'"
    assert info.value.lines() == [str(info.value)]


def test_all_problems_are_reported_in_line_order() -> None:
    text = edit("[gu]", "[gu, nobody]").replace("1003", "1002").replace("3m]", "3x]")
    with pytest.raises(RosterError) as info:
        parse(text)
    assert [p.line for p in info.value.problems] == [2, 13, 17]


def test_problem_without_line_renders_file_only() -> None:
    err = RosterError([RosterProblem(None, "boom")], "x.yaml")
    assert str(err) == "x.yaml: boom"


def test_good_roster_parses() -> None:
    roster = parse_roster(GOOD, "r.yaml")
    assert [p.key for p in roster.people] == ["chen", "wang", "li", "zhao", "mao", "gu"]
    li = roster.person("li")
    assert li is not None and li.handles == ("120", "110", "reimbursement")
    assert li.telegram_id == 1002 and li.department is None
    branch = roster.branch("warehouse")
    assert branch is not None
    assert branch.departments == ("仓储部",) and branch.secretary == "wang"
    assert branch.members == ("li", "zhao")
    assert roster.committee == ("chen",) and roster.supervisors == ("gu",)
    assert roster.extras == {}


def test_escalation_durations_and_defaults() -> None:
    roster = parse_roster(GOOD, "r.yaml")
    assert roster.escalation[Urgency.CRITICAL] == Chain(
        (timedelta(minutes=2), timedelta(minutes=3)), timedelta(minutes=5)
    )
    assert roster.escalation[Urgency.HIGH] == DEFAULT_CHAINS[Urgency.HIGH]
    assert roster.escalation[Urgency.NORMAL] == DEFAULT_CHAINS[Urgency.NORMAL]


def test_repeat_defaults_to_last_wait_and_seconds_days_parse() -> None:
    chain = parse_roster(
        edit("{levels: [2m, 3m], repeat: 5m}", "{levels: [30s, 1d]}"), "r.yaml"
    ).escalation[Urgency.CRITICAL]
    assert chain == Chain((timedelta(seconds=30), timedelta(days=1)), timedelta(days=1))


def test_handles_accept_ints_aliases_and_case() -> None:
    text = edit('["120", "110", reimbursement]', '[120, 110, "protective gear", Policy_Question]')
    li = parse_roster(text, "r.yaml").person("li")
    assert li is not None and li.handles == ("120", "110", "gear", "policy")


def test_optional_sections_and_person_fields_are_kept() -> None:
    text = (
        edit(
            "telegram_id: 3001}", "telegram_id: 3001, phone: 13800138000, note: 夜班, language: en}"
        )
        + "working_hours: {start: '08:30', end: '17:30'}\n"
        + "holidays: [2026-10-01]\n"
        + "care_plans:\n  - {key: sun, branch: warehouse, visitors: [li], start: 2026-12-01,\n"
        + '     cared_for: 孙琪伟, rule: "FREQ=MONTHLY;BYDAY=1SA"}\n'
        + "timezone: Asia/Shanghai\n"
    )
    roster = parse_roster(text, "r.yaml")
    gu = roster.person("gu")
    assert gu is not None and (gu.phone, gu.note, gu.language) == ("13800138000", "夜班", "en")
    assert roster.extras["working_hours"] == {"start": "08:30", "end": "17:30"}
    assert type(roster.extras["working_hours"]) is dict
    assert str(roster.extras["holidays"][0]) == "2026-10-01"
    assert roster.extras["care_plans"][0]["visitors"] == ["li"]
    assert roster.extras["timezone"] == "Asia/Shanghai"


def test_person_without_telegram_id_and_family_of() -> None:
    text = edit("  - {key: gu,", "  - {key: mao-son, name: 茅小军, family_of: mao}\n  - {key: gu,")
    son = parse_roster(text, "r.yaml").person("mao-son")
    assert son is not None and son.telegram_id is None and son.family_of == "mao"


def test_example_roster_parses() -> None:
    roster = parse_roster(EXAMPLE.read_text(encoding="utf-8"), str(EXAMPLE))
    assert {b.key for b in roster.branches} >= {"warehouse"}
    warehouse = roster.branch("warehouse")
    assert warehouse is not None and warehouse.departments == ("仓储部",)
    assert roster.committee == ("chen",) and roster.supervisors == ("gu",)
    handled = {h for p in roster.people for h in p.handles}
    assert {"120", "110", "reimbursement", "insurance"} <= handled
    assert any(p.telegram_id is None for p in roster.people)
    assert any(p.family_of is not None for p in roster.people)
    for branch in roster.branches:  # every branch has a worker who is not a member
        staff = {branch.secretary, *branch.members}
        assert any(p.department in branch.departments and p.key not in staff for p in roster.people)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("a:\n\tb: 1\n", "a tab is used to indent; indent with spaces"),
        ("a: 1\nb\nc: 2\n", "a line here has no ':' after its name"),
        ("a: b: c\n", "a ':' where none can be; put a value holding ': ' in quotes"),
        ('a: "unclosed\nb: 2\n', "a quote is opened and never closed"),
        ("a:\n  b: 1\n c: 2\n", "this line's indentation does not match the lines above"),
        ("a: [1, 2\nb: 3\n", "a [ ... ] list is not closed properly"),
        ("a: {x: 1\n", "a mapping in curly brackets is not closed properly"),
        ("a: *nope\n", "'*' refers to nothing; put the value in quotes"),
        ("a: @x\n", "'@' cannot start a value; put the value in quotes"),
        ("a: 1\n---\nb: 2\n", "the file holds more than one document ('---'); keep one"),
        ("a: 2026-13-45\n", "a date that does not exist; write YYYY-MM-DD"),
        ("a: 2026-02-30\n", "a date that does not exist; write YYYY-MM-DD"),
        ("a: *escape\n", "'*' refers to nothing; put the value in quotes"),  # a name, not \\
        ('a: "C:\\path"\n', "a backslash inside double quotes; use single quotes ('C:\\path')"),
        ('a: "\\u12"\n', "a backslash inside double quotes; use single quotes ('C:\\path')"),
    ],
)
def test_a_file_that_is_not_yaml_is_explained_in_plain_words(text: str, said: str) -> None:
    with pytest.raises(RosterError) as caught:
        parse_roster(text, "roster.yaml", lang="en")
    assert caught.value.problems[0].message == f"this is not valid YAML: {said}"


def test_the_yaml_reason_is_chinese_in_a_chinese_frame() -> None:
    """No English parser words inside a Chinese sentence (only the format's name)."""
    for text in ("a:\n\tb: 1\n", "a: [1, 2\nb: 3\n", "a: 1\n- b\n", "a: !!binary x\n"):
        with pytest.raises(RosterError) as caught:
            parse_roster(text, "roster.yaml", lang="zh")
        message = caught.value.problems[0].message
        assert message.startswith("不是有效的 YAML：")
        words = re.findall(r"[A-Za-z]{3,}", message.replace("YAML", "").replace("Tab", ""))
        assert words in ([], ["YYYY"]), message
