"""The roster file: who is who, which branch serves which department, how to escalate.

`parse_roster` turns the YAML text into frozen values or refuses it whole with every
problem and its line (DESIGN.md §6): a half-applied roster could leave a department
without a branch or an alert without a recipient, so nothing is applied until all of it
is sound. Pure: no SQL, no Telegram; `storage.roster_store` applies the result.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.escalation import DEFAULT_CHAINS
from bot.domain.policy import PolicyError, policy_from
from bot.domain.roster_spec import (
    BranchSpec,
    PersonSpec,
    PlanSpec,
    Roster,
    RosterProblem,
    ShiftSpec,
)
from bot.files.roster_check import Checker
from bot.files.roster_yaml import YamlLoadError, is_mapping, key_line, load_yaml, plain
from bot.i18n import DEFAULT_LANGUAGE, t

__all__ = [
    "EXTRA_SECTIONS",
    "BranchSpec",
    "PersonSpec",
    "PlanSpec",
    "Roster",
    "RosterError",
    "RosterProblem",
    "ShiftSpec",
    "format_problem",
    "parse_roster",
    "yaml_problem",
]

# Optional top-level sections kept raw (as plain data) for the features that use them.
EXTRA_SECTIONS: tuple[str, ...] = (
    "working_hours",
    "working_days",
    "holidays",
    "care_plans",
    "duties",
    "rota",
    "take_timeout",
    "resolve_deadline",
    "confirm_timeout",
    "invite_valid",
    "request_budget",
    "digest",
    "language",
    "timezone",
)
SECTIONS: tuple[str, ...] = (
    "people",
    "branches",
    "committee",
    "supervisors",
    "escalation",
    *EXTRA_SECTIONS,
)


class RosterError(Exception):
    """The roster was refused; nothing of it may be applied."""

    def __init__(self, problems: list[RosterProblem], filename: str = "roster") -> None:
        self.problems = sorted(problems, key=lambda p: (p.line is None, p.line or 0))
        self.filename = filename
        super().__init__(str(self))

    def lines(self) -> list[str]:
        """``FILE:LINE: reason`` per problem, as compilers print them (editors jump there)."""
        return [format_problem(self.filename, p) for p in self.problems]

    def __str__(self) -> str:
        return "\n".join(self.lines())


def format_problem(filename: str, problem: RosterProblem) -> str:
    if problem.line is None:
        return f"{filename}: {problem.message}"
    return f"{filename}:{problem.line}: {problem.message}"


def yaml_problem(exc: YamlLoadError, lang: str) -> RosterProblem:
    """A file that is not YAML (or writes a key twice), in the reader's words."""
    if exc.duplicate_key is not None:
        message = t(lang, "the key '{key}' is written twice here", key=exc.duplicate_key)
    else:
        reason = t(lang, exc.problem, **exc.params)
        message = t(lang, "this is not valid YAML: {reason}", reason=reason)
    return RosterProblem(exc.line, message)


def parse_roster(text: str, filename: str, *, lang: str = DEFAULT_LANGUAGE) -> Roster:
    """Parse and check the roster text; raise `RosterError` listing every problem."""
    try:
        doc = load_yaml(text)
    except YamlLoadError as exc:
        raise RosterError([yaml_problem(exc, lang)], filename) from None
    if doc is None:
        raise RosterError([RosterProblem(None, t(lang, "the roster file is empty"))], filename)
    if not is_mapping(doc):
        message = t(lang, "the roster must be a mapping of sections (people:, branches:, ...)")
        raise RosterError([RosterProblem(1, message)], filename)

    check = Checker(lang)
    for key in doc:
        if str(key) not in SECTIONS:
            check.problem(
                key_line(doc, key),
                t(
                    lang,
                    "unknown section '{key}' (known: {allowed})",
                    key=key,
                    allowed=", ".join(SECTIONS),
                ),
            )
    people = check.people(doc)
    known = {p.key for p in people}
    branches = check.branches(doc, known)
    committee = check.key_list(doc, "committee", known, required=True)
    supervisors = check.key_list(doc, "supervisors", known, required=False)
    check.departments_have_branches(people, branches)
    escalation = check.escalation(doc)
    _check_timing(check, doc, lang)
    plans, shifts = check.care_plans(doc, known, branches, committee)
    if check.problems:
        raise RosterError(check.problems, filename)
    chains = dict(DEFAULT_CHAINS)
    chains.update(escalation)
    return Roster(
        people=tuple(people),
        branches=tuple(branches),
        committee=tuple(committee),
        supervisors=tuple(supervisors),
        escalation=chains,
        extras={str(k): plain(v) for k, v in doc.items() if str(k) in EXTRA_SECTIONS},
        plans=tuple(plans),
        shifts=tuple(shifts),
    )


def _check_timing(check: Checker, doc: Any, lang: str) -> None:
    """Take-timeouts, resolve deadlines, confirmation and working time must make sense."""
    extras = {str(k): plain(v) for k, v in doc.items() if str(k) in EXTRA_SECTIONS}
    try:
        policy_from(None, extras, ZoneInfo("UTC"))
    except PolicyError as exc:
        check.problem(
            key_line(doc, exc.key),
            t(lang, "'{key}' is not valid: {reason}", key=exc.key, reason=exc.message),
        )
