"""The roster's ``care_plans:`` and ``duties:`` sections (DESIGN.md §5); ``rota:`` builds on
these checks in `bot.files.roster_rota`.

Split from `bot.files.roster_check` (which calls it) so each file reads as one set of rules.
The field rules themselves are the domain's (``bot.domain.recurrence``, ``visits``,
``rota``): the file and the bot's dialogs refuse the same things, with the same words.
A rule is checked from its own start date only: importing a plan that began long ago is
fine (the bot arms its next occurrence from today).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from bot.domain.durations import parse_duration
from bot.domain.recurrence import Recurrence, RuleError, parse_rule
from bot.domain.roster_spec import BranchSpec, PlanSpec
from bot.domain.visits import (
    PlanFieldError,
    PlanKind,
    check_grace,
    check_name,
    check_note,
    check_notice,
    check_remind_days,
    fitting_notice,
)
from bot.files.roster_fields import FieldReader
from bot.files.roster_yaml import is_list, is_mapping, key_line
from bot.i18n import t

PLAN_FIELDS = (
    "key",
    "branch",
    "cared_for",
    "note",
    "visitors",
    "rule",
    "start",
    "remind_days_before",
    "grace",
)
DUTY_FIELDS = (
    "key",
    "kind",
    "branch",
    "title",
    "note",
    "visitors",
    "rule",
    "start",
    "remind_days_before",
    "grace",
    "remind",
)
DUTY_KINDS = (PlanKind.RECEPTION.value, PlanKind.DEPARTMENT_VISIT.value)
ON_DUTY = "on-duty"
DEFAULT_REMIND_DAYS = 1
DEFAULT_GRACE = "3d"
_LONG = 100_000  # the domain checks lengths (with their own words); this only bounds input
_ZERO = re.compile(r"\s*0+\s*[smhd]\s*", re.ASCII)


@dataclass(frozen=True)
class Context:
    """What the plans and the rota are checked against."""

    people: set[str]  # every valid person key
    branches: dict[str, BranchSpec]  # the valid branches
    written: set[str]  # every branch key the file writes (valid or not)
    committee: set[str]
    rota: set[str]  # the branch keys written under rota:

    @classmethod
    def of(
        cls, doc: Any, people: set[str], branches: list[BranchSpec], committee: list[str]
    ) -> Context:
        written = {
            str(entry.get("key")).strip()
            for entry in (doc.get("branches") if is_list(doc.get("branches")) else [])
            if is_mapping(entry) and entry.get("key") is not None
        }
        rota = doc.get("rota")
        return cls(
            people=people,
            branches={b.key: b for b in branches},
            written=written,
            committee=set(committee),
            rota={str(k) for k in rota} if is_mapping(rota) else set(),
        )


def staff(branch: BranchSpec) -> set[str]:
    return {branch.secretary, *branch.members}


class PlanChecks:
    """The rules of ``care_plans:`` and ``duties:``; problems go to ``reader``."""

    def __init__(self, reader: FieldReader, context: Context) -> None:
        self.r = reader
        self.lang = reader.lang
        self.ctx = context

    # --- care plans and duties -------------------------------------------------------

    def plans(self, doc: Any) -> list[PlanSpec]:
        """Both sections, in file order; a key is unique across the two."""
        found: list[PlanSpec] = []
        first_line: dict[str, int | None] = {}
        for section in ("care_plans", "duties"):
            for entry, line in self.r.entries(doc, section, required=False):
                key_at = key_line(entry, "key") if "key" in entry else line
                plan = self.plan(entry, line, duty=section == "duties")
                raw = entry.get("key")
                key = str(raw).strip() if isinstance(raw, str | int) else None
                if key and key in first_line:
                    self.r.problem(
                        key_at,
                        t(
                            self.lang,
                            "the plan key '{key}' is used twice (first on line {first})",
                            key=key,
                            first=first_line[key],
                        ),
                    )
                    continue
                if key:
                    first_line[key] = key_at
                if plan is not None:
                    found.append(plan)
        return found

    def plan(self, entry: Any, line: int | None, *, duty: bool) -> PlanSpec | None:
        r = self.r
        r.unknown_fields(entry, DUTY_FIELDS if duty else PLAN_FIELDS)
        key = r.text(entry, "key", required=True, word=True)
        branch_key = r.text(entry, "branch", required=True, word=True)
        branch = self.branch(branch_key, key_line(entry, "branch"), "branch")
        kind = self.kind(entry) if duty else PlanKind.CARE.value
        name = self.name(entry, "title" if duty else "cared_for")
        note = self.note(entry)
        on_duty = self.remind(entry, kind) if duty else False
        visitors = self.visitors(entry, line, branch, on_duty)
        if on_duty and not visitors and branch_key is not None and branch_key not in self.ctx.rota:
            r.problem(
                key_line(entry, "remind"),
                t(
                    self.lang,
                    "remind: on-duty needs a rota for branch '{branch}' (rota: {branch}:) "
                    "or visitors",
                    branch=branch_key,
                ),
            )
        start = self.day(entry, "start")
        rule = self.rule(entry, start)
        remind_days = self.notice(entry, rule, start, self.remind_days(entry))
        grace = self.grace(entry)
        if (
            key is None
            or branch is None
            or kind is None
            or name is None
            or note is None
            or visitors is None
            or start is None
            or rule is None
            or remind_days is None
            or grace is None
        ):
            return None
        return PlanSpec(
            key=key,
            branch=branch.key,
            kind=kind,
            cared_for=name,
            note=note,
            visitors=tuple(visitors),
            rule=rule,
            start=start,
            remind_days_before=remind_days,
            grace=grace,
            remind_on_duty=on_duty,
        )

    def branch(self, key: str | None, line: int | None, field: str) -> BranchSpec | None:
        if key is None:
            return None
        if key not in self.ctx.written:
            self.r.problem(
                line,
                t(self.lang, "'{field}' names an unknown branch '{key}'", field=field, key=key),
            )
        return self.ctx.branches.get(key)  # None for a broken branch: reported there

    def kind(self, entry: Any) -> str | None:
        kind = self.r.text(entry, "kind", required=True)
        if kind is not None and kind not in DUTY_KINDS:
            self.r.problem(
                key_line(entry, "kind"),
                t(
                    self.lang,
                    "unknown duty kind '{value}'; use one of {choices}",
                    value=kind,
                    choices=", ".join(DUTY_KINDS),
                ),
            )
            return None
        return kind

    def name(self, entry: Any, field: str) -> str | None:
        value = self.r.text(entry, field, required=True, limit=_LONG)
        if value is None:
            return None
        try:
            return check_name(value)
        except PlanFieldError as err:
            self.r.problem(key_line(entry, field), t(self.lang, err.msgid, **err.params))
            return None

    def note(self, entry: Any) -> str | None:
        if entry.get("note") is None:
            return ""
        value = self.r.text(entry, "note", required=False, limit=_LONG)
        if value is None:
            return None
        try:
            return check_note(value)
        except PlanFieldError as err:
            self.r.problem(key_line(entry, "note"), t(self.lang, err.msgid, **err.params))
            return None

    def remind(self, entry: Any, kind: str | None) -> bool:
        value = entry.get("remind")
        if value is None:
            return False
        line = key_line(entry, "remind")
        if value != ON_DUTY:
            self.r.problem(
                line,
                t(self.lang, "'remind' is on-duty or left out, not '{value}'", value=value),
            )
            return False
        if kind is not None and kind != PlanKind.RECEPTION.value:
            self.r.problem(line, t(self.lang, "remind: on-duty is for reception duties only"))
            return False
        return True

    def visitors(
        self, entry: Any, line: int | None, branch: BranchSpec | None, on_duty: bool
    ) -> list[str] | None:
        """Members or the secretary of the plan's branch, or committee people."""
        at = key_line(entry, "visitors") if "visitors" in entry else line
        items = self.r.names(entry.get("visitors"), "visitors", at)
        if not items and not on_duty:
            if entry.get("visitors") is None or is_list(entry.get("visitors")):
                self.r.problem(
                    at, t(self.lang, "'{field}' must name at least one person", field="visitors")
                )
            return None
        known = self.r.references(items, self.ctx.people, "visitors")
        if len(known) < len(items):
            return None
        ok = True
        for person, item_at in items:
            if branch is not None and person not in staff(branch) | self.ctx.committee:
                ok = False
                self.r.problem(
                    item_at,
                    t(
                        self.lang,
                        "'{key}' is not a member or the secretary of branch '{branch}', "
                        "nor on the committee",
                        key=person,
                        branch=branch.key,
                    ),
                )
        return known if ok else None

    def day(self, entry: Any, field: str) -> date | None:
        value = entry.get(field)
        line = key_line(entry, field)
        if value is None:
            self.r.problem(line, t(self.lang, "'{field}' is required", field=field))
            return None
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.r.problem(
            line,
            t(
                self.lang,
                "'{field}' must be a date such as 2026-12-01, not '{value}'",
                field=field,
                value=value,
            ),
        )
        return None

    def rule(self, entry: Any, start: date | None) -> str | None:
        text = self.r.text(entry, "rule", required=True, limit=_LONG)
        if text is None or start is None:
            return None  # without a start the rule cannot be checked: the start is reported
        try:
            return parse_rule(text, start).rule
        except RuleError as err:
            self.r.problem(key_line(entry, "rule"), t(self.lang, err.msgid, **err.params))
            return None

    def notice(
        self, entry: Any, rule: str | None, start: date | None, days: int | None
    ) -> int | None:
        """The notice must fit between visits; a default one is shortened to fit."""
        if rule is None or start is None or days is None:
            return days
        upcoming = Recurrence(rule, start).upcoming(start, 13)
        if "remind_days_before" not in entry:
            return fitting_notice(days, upcoming)
        try:
            return check_notice(days, upcoming)
        except PlanFieldError as err:
            self.r.problem(
                key_line(entry, "remind_days_before"), t(self.lang, err.msgid, **err.params)
            )
            return None

    def remind_days(self, entry: Any) -> int | None:
        value = entry.get("remind_days_before")
        if value is None:
            return DEFAULT_REMIND_DAYS
        line = key_line(entry, "remind_days_before")
        if isinstance(value, bool) or not isinstance(value, int):
            self.r.problem(
                line,
                t(self.lang, "'{field}' must be a whole number", field="remind_days_before"),
            )
            return None
        try:
            return check_remind_days(int(value))
        except PlanFieldError as err:
            self.r.problem(line, t(self.lang, err.msgid, **err.params))
            return None

    def grace(self, entry: Any) -> str | None:
        value = entry.get("grace")
        if value is None:
            return DEFAULT_GRACE
        line = key_line(entry, "grace")
        if isinstance(value, str) and _ZERO.fullmatch(value):
            # parse_duration refuses zero as "not a duration"; say what the bound is.
            self.r.problem(line, t(self.lang, "A grace period is between 1h and 31d."))
            return None
        wait = self.duration(value, line)
        if wait is None:
            return None
        try:
            check_grace(wait)
        except PlanFieldError as err:
            self.r.problem(line, t(self.lang, err.msgid, **err.params))
            return None
        return str(value).strip()

    def duration(self, value: Any, line: int | None) -> timedelta | None:
        try:
            if isinstance(value, bool) or not isinstance(value, str):
                raise ValueError(value)
            return parse_duration(value)
        except ValueError:
            self.r.problem(
                line,
                t(self.lang, "'{value}' is not a duration; write 30s, 2m, 4h or 1d", value=value),
            )
            return None
