"""Generic readers for roster fields: text, word lists, key references, with lines.

Split from `bot.files.roster_check` so the section rules read as rules; every reader records
a problem and returns what it could still read, so one run reports every mistake.
"""

from __future__ import annotations

from typing import Any

from bot.domain.roster_spec import RosterProblem
from bot.files.roster_yaml import is_list, is_mapping, item_line, key_line, node_line
from bot.i18n import t

KEY_MAX = 64  # the schema's String(64) for people.key and branches.key
TEXT_MAX = 200  # the schema's String(200) for names and departments


class FieldReader:
    """Reads fields of a loaded roster document, collecting `RosterProblem`s as it goes."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.problems: list[RosterProblem] = []

    def problem(self, line: int | None, message: str) -> None:
        """Record a translated ``message``; msgids stay inside `t()` for pybabel to find."""
        self.problems.append(RosterProblem(line, message))

    def entries(self, doc: Any, section: str, *, required: bool) -> list[tuple[Any, int | None]]:
        """The mappings listed under ``section``, each with its line."""
        if section not in doc or doc[section] is None:
            if required:
                self.problem(
                    None, t(self.lang, "the section '{section}:' is missing", section=section)
                )
            return []
        seq = doc[section]
        line = key_line(doc, section)
        if not is_list(seq):
            self.problem(line, t(self.lang, "'{field}' must be a list", field=section))
            return []
        found = []
        for index, entry in enumerate(seq):
            entry_line = item_line(seq, index, line)
            if not is_mapping(entry):
                self.problem(
                    entry_line,
                    t(self.lang, "each entry of '{section}' must be a mapping", section=section),
                )
                continue
            found.append((entry, node_line(entry) or entry_line))
        return found

    def unknown_fields(self, entry: Any, allowed: tuple[str, ...]) -> None:
        for name in entry:
            if str(name) not in allowed:
                self.problem(
                    key_line(entry, name),
                    t(
                        self.lang,
                        "unknown field '{field}' (allowed: {allowed})",
                        field=name,
                        allowed=", ".join(allowed),
                    ),
                )

    def text(
        self, entry: Any, name: str, *, required: bool, limit: int = TEXT_MAX, word: bool = False
    ) -> str | None:
        """A text field; ``word`` means a key: no spaces, at most `KEY_MAX` characters."""
        line = key_line(entry, name)
        value = entry.get(name)
        if value is None:
            if required:
                self.problem(line, t(self.lang, "'{field}' is required", field=name))
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.problem(line, t(self.lang, "'{field}' must be text", field=name))
            return None
        value = str(value).strip()
        if not value:
            self.problem(line, t(self.lang, "'{field}' must not be empty", field=name))
            return None
        if word and (len(value) > KEY_MAX or any(c.isspace() for c in value)):
            self.problem(
                line,
                t(
                    self.lang,
                    "'{field}' must be a single word of at most {limit} characters",
                    field=name,
                    limit=KEY_MAX,
                ),
            )
            return None
        if len(value) > limit:
            self.problem(
                line,
                t(
                    self.lang,
                    "'{field}' is longer than {limit} characters",
                    field=name,
                    limit=limit,
                ),
            )
            return None
        return value

    def names(self, node: Any, name: str, line: int | None) -> list[tuple[str, int | None]]:
        """A list of words (keys, departments) with their lines; scalars are refused."""
        if node is None:
            return []
        if not is_list(node):
            self.problem(line, t(self.lang, "'{field}' must be a list", field=name))
            return []
        found: list[tuple[str, int | None]] = []
        seen: set[str] = set()
        for index, item in enumerate(node):
            at = item_line(node, index, line)
            if isinstance(item, bool) or not isinstance(item, str | int) or not str(item).strip():
                self.problem(at, t(self.lang, "the entries of '{field}' must be text", field=name))
                continue
            value = str(item).strip()
            if value in seen:
                self.problem(
                    at, t(self.lang, "'{key}' is listed twice in '{field}'", key=value, field=name)
                )
                continue
            seen.add(value)
            found.append((value, at))
        return found

    def references(
        self, items: list[tuple[str, int | None]], known: set[str], name: str
    ) -> list[str]:
        for key, at in items:
            if key not in known:
                self.problem(
                    at,
                    t(self.lang, "'{field}' names an unknown person '{key}'", field=name, key=key),
                )
        return [key for key, _ in items if key in known]

    def key_list(self, doc: Any, section: str, known: set[str], *, required: bool) -> list[str]:
        """``committee:``/``supervisors:``: lists of people's keys."""
        raw = doc.get(section)
        line = key_line(doc, section) if section in doc else None
        keys = self.references(self.names(raw, section, line), known, section)
        if required and (raw is None or (is_list(raw) and not raw)):
            # Without a committee the last escalation level, and unregistered senders'
            # emergencies, would have nobody to reach.
            self.problem(
                line, t(self.lang, "'{field}' must name at least one person", field=section)
            )
        return keys
