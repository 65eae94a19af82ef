"""The roster file's values, as the rules see them: what `bot.files.roster.parse_roster` returns
(re-exported there), and what `storage/roster_store.py` writes.

Frozen, so a parsed roster can be handed around (CLI, import, tests) without anyone
changing it on the way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from typing import Any

from bot.domain.escalation import Chain
from bot.domain.kinds import Urgency


@dataclass(frozen=True)
class PersonSpec:
    key: str
    name: str
    telegram_id: int | None = None
    department: str | None = None
    handles: tuple[str, ...] = ()  # HANDLE_TOPICS values: "120", "110", categories
    family_of: str | None = None  # the employee this family member belongs to
    phone: str | None = None
    note: str | None = None
    language: str | None = None  # the person's own language, if not the deployment's


@dataclass(frozen=True)
class BranchSpec:
    key: str
    name: str
    departments: tuple[str, ...]
    secretary: str
    members: tuple[str, ...]  # in the order "one in turn" routing goes through them


@dataclass(frozen=True)
class PlanSpec:
    """A care plan (``care_plans:``) or a fixed duty (``duties:``), checked (DESIGN.md §5)."""

    key: str  # unique across both sections
    branch: str
    kind: str  # PlanKind: "care" for care_plans entries, the duty's kind for duties
    cared_for: str  # the cared-for person's name, or the duty's title
    note: str
    visitors: tuple[str, ...]  # people's keys, in the file's order
    rule: str  # an RRULE without DTSTART, as `parse_rule` normalised it
    start: date
    remind_days_before: int
    grace: str  # a duration as written: "3d"
    remind_on_duty: bool  # remind whoever of the branch is on duty that morning (rota)


@dataclass(frozen=True)
class ShiftSpec:
    """One person's recurring duty hours in a branch (``rota:``)."""

    branch: str
    person: str
    rule: str  # days: an RRULE (a weekly table's column is `weekly_rule(weekday)`)
    start: date
    begins: time
    ends: time | None  # None: until midnight (24:00)


@dataclass(frozen=True)
class Roster:
    people: tuple[PersonSpec, ...]
    branches: tuple[BranchSpec, ...]
    committee: tuple[str, ...]
    supervisors: tuple[str, ...]
    escalation: dict[Urgency, Chain]
    extras: dict[str, Any] = field(default_factory=dict)
    plans: tuple[PlanSpec, ...] = ()
    shifts: tuple[ShiftSpec, ...] = ()

    def person(self, key: str) -> PersonSpec | None:
        return next((p for p in self.people if p.key == key), None)

    def branch(self, key: str) -> BranchSpec | None:
        return next((b for b in self.branches if b.key == key), None)


@dataclass(frozen=True)
class RosterProblem:
    line: int | None  # 1-based line in the file, when known
    message: str  # one translated sentence
