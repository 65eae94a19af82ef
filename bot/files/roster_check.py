"""The roster's rules, one method per section, collecting problems instead of stopping.

An administrator fixing a roster should see all of its mistakes in one run, each with
its line, so every check records a problem and carries on with what it can still read.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.domain.durations import parse_duration
from bot.domain.escalation import Chain
from bot.domain.kinds import CATEGORY_ALIASES, HANDLE_TOPICS, Urgency
from bot.domain.roster_spec import BranchSpec, PersonSpec, PlanSpec, ShiftSpec
from bot.files.roster_fields import FieldReader
from bot.files.roster_plans import Context
from bot.files.roster_rota import RotaChecks
from bot.files.roster_yaml import is_list, is_mapping, item_line, key_line
from bot.i18n import LANGUAGES, t

PERSON_FIELDS = (
    "key",
    "name",
    "telegram_id",
    "department",
    "handles",
    "family_of",
    "phone",
    "note",
    "language",
)
BRANCH_FIELDS = ("key", "name", "departments", "secretary", "members")
CHAIN_FIELDS = ("levels", "repeat")
_TOPIC_ORDER = ("120", "110", *sorted(HANDLE_TOPICS - {"120", "110"}))


class Checker(FieldReader):
    """The rules of each section of the roster."""

    def __init__(self, lang: str) -> None:
        super().__init__(lang)
        self._department_lines: dict[str, int | None] = {}
        self._dropped_branch = False

    def people(self, doc: Any) -> list[PersonSpec]:
        entries = self.entries(doc, "people", required=True)
        keys: dict[str, int | None] = {}
        for entry, _line in entries:
            key = entry.get("key")
            if isinstance(key, str | int) and not isinstance(key, bool):
                keys.setdefault(str(key).strip(), key_line(entry, "key"))
        people: list[PersonSpec] = []
        first_line: dict[str, int | None] = {}
        telegram_owner: dict[int, tuple[str, int | None]] = {}
        for entry, line in entries:
            self.unknown_fields(entry, PERSON_FIELDS)
            key = self.text(entry, "key", required=True, word=True)
            name = self.text(entry, "name", required=True)
            telegram_id = self.telegram_id(entry)
            department = self.text(entry, "department", required=False)
            handles = self.handles(entry)
            family_of = self.text(entry, "family_of", required=False, word=True)
            phone = self.text(entry, "phone", required=False, limit=40)
            note = self.text(entry, "note", required=False, limit=1000)
            language = self.text(entry, "language", required=False)
            if language is not None and language not in LANGUAGES:
                self.problem(
                    key_line(entry, "language"),
                    t(
                        self.lang,
                        "unknown language '{value}'; use one of {choices}",
                        value=language,
                        choices=", ".join(LANGUAGES),
                    ),
                )
            if family_of is not None and family_of not in keys:
                self.problem(
                    key_line(entry, "family_of"),
                    t(
                        self.lang,
                        "'{field}' names an unknown person '{key}'",
                        field="family_of",
                        key=family_of,
                    ),
                )
            elif family_of is not None and family_of == key:
                self.problem(
                    key_line(entry, "family_of"),
                    t(self.lang, "a person cannot be their own family"),
                )
            if key is None or name is None:
                continue
            self._department_lines[key] = key_line(entry, "department")
            if key in first_line:
                self.problem(
                    key_line(entry, "key") or line,
                    t(
                        self.lang,
                        "the person key '{key}' is used twice (first on line {first})",
                        key=key,
                        first=first_line[key],
                    ),
                )
                continue
            first_line[key] = key_line(entry, "key") or line
            if telegram_id is not None:
                if telegram_id in telegram_owner:
                    other, other_line = telegram_owner[telegram_id]
                    self.problem(
                        key_line(entry, "telegram_id"),
                        t(
                            self.lang,
                            "telegram_id {value} is also given to '{other}' (line {first})",
                            value=telegram_id,
                            other=other,
                            first=other_line,
                        ),
                    )
                else:
                    telegram_owner[telegram_id] = (key, key_line(entry, "telegram_id"))
            people.append(
                PersonSpec(
                    key, name, telegram_id, department, handles, family_of, phone, note, language
                )
            )
        return people

    def telegram_id(self, entry: Any) -> int | None:
        value = entry.get("telegram_id")
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            self.problem(
                key_line(entry, "telegram_id"),
                t(
                    self.lang,
                    "telegram_id must be a positive whole number (the person's Telegram user id)",
                ),
            )
            return None
        return int(value)

    def handles(self, entry: Any) -> tuple[str, ...]:
        line = key_line(entry, "handles")
        topics: list[str] = []
        for value, at in self.names(entry.get("handles"), "handles", line):
            spelled = value.strip().lower()
            alias = CATEGORY_ALIASES.get(spelled)
            topic = alias.value if alias is not None else spelled
            if topic not in HANDLE_TOPICS:
                self.problem(
                    at,
                    t(
                        self.lang,
                        "unknown topic '{value}' in handles; use one of {choices}",
                        value=value,
                        choices=", ".join(_TOPIC_ORDER),
                    ),
                )
            elif topic not in topics:
                topics.append(topic)
        return tuple(topics)

    def branches(self, doc: Any, known: set[str]) -> list[BranchSpec]:
        branches: list[BranchSpec] = []
        first_line: dict[str, int | None] = {}
        claimed: dict[str, str] = {}
        entries = self.entries(doc, "branches", required=True)
        self._dropped_branch = is_list(doc.get("branches")) and len(entries) < len(doc["branches"])
        for entry, line in entries:
            self.unknown_fields(entry, BRANCH_FIELDS)
            key = self.text(entry, "key", required=True, word=True)
            name = self.text(entry, "name", required=True)
            departments = self.names(
                entry.get("departments"), "departments", key_line(entry, "departments")
            )
            secretary = entry.get("secretary")
            if secretary is None:
                self.problem(line, t(self.lang, "branch '{key}' has no secretary", key=key or "?"))
            secretary = self.text(entry, "secretary", required=False, word=True)
            if secretary is not None:
                self.references([(secretary, key_line(entry, "secretary"))], known, "secretary")
            member_items = self.names(entry.get("members"), "members", key_line(entry, "members"))
            members = self.references(member_items, known, "members")
            if key is None:
                self._dropped_branch = True
                continue
            for department, at in departments:
                if department in claimed and claimed[department] != key:
                    self.problem(
                        at,
                        t(
                            self.lang,
                            "the department '{department}' is already served by branch '{other}'",
                            department=department,
                            other=claimed[department],
                        ),
                    )
                claimed.setdefault(department, key)
            if key in first_line:
                self.problem(
                    key_line(entry, "key") or line,
                    t(
                        self.lang,
                        "the branch key '{key}' is used twice (first on line {first})",
                        key=key,
                        first=first_line[key],
                    ),
                )
                self._dropped_branch = True
                continue
            first_line[key] = key_line(entry, "key") or line
            if name is None or secretary is None or secretary not in known:
                self._dropped_branch = True
            elif name is not None and secretary is not None and secretary in known:
                depts = tuple(d for d, _ in departments)
                branches.append(BranchSpec(key, name, depts, secretary, tuple(members)))
        return branches

    def departments_have_branches(
        self, people: list[PersonSpec], branches: list[BranchSpec]
    ) -> None:
        """A person's department must be a branch's, or their requests reach no branch.

        Mostly a typo catcher (仓储 for 仓储部), which would otherwise route silently nowhere.
        """
        if self._dropped_branch:
            return  # a broken branch already explains it; do not pile up follow-on errors
        served = {d for b in branches for d in b.departments}
        lines = self._department_lines
        for person in people:
            if person.department is not None and person.department not in served:
                self.problem(
                    lines.get(person.key),
                    t(
                        self.lang,
                        "no branch serves the department '{department}' of '{key}'",
                        department=person.department,
                        key=person.key,
                    ),
                )

    def escalation(self, doc: Any) -> dict[Urgency, Chain]:
        node = doc.get("escalation")
        if node is None:
            return {}
        if not is_mapping(node):
            self.problem(
                key_line(doc, "escalation"),
                t(self.lang, "'{field}' must be a mapping", field="escalation"),
            )
            return {}
        chains: dict[Urgency, Chain] = {}
        urgencies = [u.value for u in Urgency]
        for name, spec in node.items():
            line = key_line(node, name)
            if str(name) not in urgencies:
                self.problem(
                    line,
                    t(
                        self.lang,
                        "unknown urgency '{value}'; use one of {choices}",
                        value=name,
                        choices=", ".join(urgencies),
                    ),
                )
                continue
            chain = self.chain(str(name), spec, line)
            if chain is not None:
                chains[Urgency(str(name))] = chain
        return chains

    def chain(self, urgency: str, spec: Any, line: int | None) -> Chain | None:
        where = f"escalation.{urgency}"
        if not is_mapping(spec):
            self.problem(
                line,
                t(self.lang, "'{field}' must be a mapping with levels: and repeat:", field=where),
            )
            return None
        self.unknown_fields(spec, CHAIN_FIELDS)
        levels = spec.get("levels")
        levels_line = key_line(spec, "levels")
        if not is_list(levels) or not levels:
            self.problem(
                levels_line,
                t(
                    self.lang,
                    "'{field}' must be a non-empty list of durations such as [2m, 3m]",
                    field=f"{where}.levels",
                ),
            )
            return None
        waits = [self.duration(v, item_line(levels, i, levels_line)) for i, v in enumerate(levels)]
        # Without repeat:, the last level is alerted again after the last wait.
        repeat = (
            self.duration(spec["repeat"], key_line(spec, "repeat"))
            if "repeat" in spec
            else waits[-1]
        )
        if repeat is None or any(w is None for w in waits):
            return None
        return Chain(tuple(w for w in waits if w is not None), repeat)

    def duration(self, value: Any, line: int | None) -> timedelta | None:
        try:
            if isinstance(value, bool) or not isinstance(value, str):
                raise ValueError(value)
            return parse_duration(value)
        except ValueError:
            self.problem(
                line,
                t(self.lang, "'{value}' is not a duration; write 30s, 2m, 4h or 1d", value=value),
            )
            return None

    def care_plans(
        self, doc: Any, people: set[str], branches: list[BranchSpec], committee: list[str]
    ) -> tuple[list[PlanSpec], list[ShiftSpec]]:
        """``care_plans:``, ``duties:`` and ``rota:`` (rules: `bot.files.roster_plans`,
        `roster_rota`)."""
        rules = RotaChecks(self, Context.of(doc, people, branches, committee))
        shifts = rules.rota(doc)
        return rules.plans(doc), shifts
