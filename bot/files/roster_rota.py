"""The roster's ``rota:`` section: who of a branch is on duty when (DESIGN.md §4).

Builds on the plans' checks (a shift's branch, start date and rule are checked the same
way as a plan's); the hours and weekdays are the domain's (``bot.domain.rota``).
"""

from __future__ import annotations

from datetime import time
from typing import Any

from bot.domain.roster_spec import BranchSpec, ShiftSpec
from bot.domain.rota import (
    TABLE_START,
    WHOLE_DAY,
    RotaError,
    parse_hours,
    weekday_index,
    weekly_rule,
)
from bot.files.roster_plans import PlanChecks, staff
from bot.files.roster_yaml import is_mapping, key_line
from bot.i18n import t

ROTA_FIELDS = ("hours", "weekly", "shifts")
SHIFT_FIELDS = ("person", "rule", "start", "hours")


class RotaChecks(PlanChecks):
    """The rules of ``rota:`` on top of those of ``care_plans:`` and ``duties:``."""

    def rota(self, doc: Any) -> list[ShiftSpec]:
        """``rota: {BRANCH: {hours:, weekly:, shifts:}}``: every branch's shifts."""
        node = doc.get("rota")
        if node is None:
            return []
        if not is_mapping(node):
            self.r.problem(
                key_line(doc, "rota"), t(self.lang, "'{field}' must be a mapping", field="rota")
            )
            return []
        found: list[ShiftSpec] = []
        for name, spec in node.items():
            branch = self.branch(str(name), key_line(node, name), "rota")
            if spec is None:
                continue
            if not is_mapping(spec):
                where = f"rota.{name}"
                self.r.problem(
                    key_line(node, name), t(self.lang, "'{field}' must be a mapping", field=where)
                )
                continue
            self.r.unknown_fields(spec, ROTA_FIELDS)
            hours = self.hours(spec, key_line(spec, "hours"))
            for shift in [*self.weekly(spec, branch, hours), *self.shifts(spec, branch)]:
                if shift not in found:
                    found.append(shift)
        return found

    def hours(self, spec: Any, line: int | None) -> tuple[time, time | None] | None:
        value = spec.get("hours")
        if value is None:
            return WHOLE_DAY
        try:
            return parse_hours(str(value))
        except RotaError as err:
            self.r.problem(line, t(self.lang, err.msgid, **err.params))
            return None

    def on_staff(self, person: str, at: int | None, branch: BranchSpec | None) -> bool:
        if person not in self.ctx.people:
            return False  # already reported as unknown
        if branch is not None and person not in staff(branch):
            self.r.problem(
                at,
                t(
                    self.lang,
                    "'{key}' is not a member or the secretary of branch '{branch}'",
                    key=person,
                    branch=branch.key,
                ),
            )
            return False
        return branch is not None

    def weekly(
        self, spec: Any, branch: BranchSpec | None, hours: tuple[time, time | None] | None
    ) -> list[ShiftSpec]:
        """``weekly: {mon: [li], ...}``: one weekly rule per weekday and person."""
        table = spec.get("weekly")
        if table is None:
            return []
        if not is_mapping(table):
            self.r.problem(
                key_line(spec, "weekly"),
                t(self.lang, "'{field}' must be a mapping", field="weekly"),
            )
            return []
        found: list[ShiftSpec] = []
        days: dict[int, str] = {}
        for day, listed in table.items():
            at = key_line(table, day)
            try:
                index = weekday_index(str(day))
            except RotaError as err:
                self.r.problem(at, t(self.lang, err.msgid, **err.params))
                continue
            if index in days:
                self.r.problem(
                    at,
                    t(
                        self.lang,
                        "'{name}' and '{other}' are the same weekday",
                        name=day,
                        other=days[index],
                    ),
                )
                continue
            days[index] = str(day)
            items = self.r.names(listed, f"weekly.{day}", at)
            self.r.references(items, self.ctx.people, f"weekly.{day}")
            for person, person_at in items:
                if self.on_staff(person, person_at, branch) and hours is not None:
                    assert branch is not None
                    begins, ends = hours
                    found.append(
                        ShiftSpec(branch.key, person, weekly_rule(index), TABLE_START, begins, ends)
                    )
        return found

    def shifts(self, spec: Any, branch: BranchSpec | None) -> list[ShiftSpec]:
        found: list[ShiftSpec] = []
        for entry, _line in self.r.entries(spec, "shifts", required=False):
            self.r.unknown_fields(entry, SHIFT_FIELDS)
            person = self.r.text(entry, "person", required=True, word=True)
            if person is not None:
                self.r.references([(person, key_line(entry, "person"))], self.ctx.people, "person")
            staffed = person is not None and self.on_staff(
                person, key_line(entry, "person"), branch
            )
            start = self.day(entry, "start")
            rule = self.rule(entry, start)
            hours = self.hours(entry, key_line(entry, "hours"))
            if staffed and start is not None and rule is not None and hours is not None:
                assert branch is not None and person is not None
                found.append(ShiftSpec(branch.key, person, rule, start, *hours))
        return found
