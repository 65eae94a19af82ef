"""YAML reading for the roster: line numbers and plain Python values.

The round-trip loader of ruamel.yaml remembers where every key and item was written
(``.lc``), which is what lets a refused roster point at the line to fix. Everything
here is tolerant of nodes that carry no position (values built by aliases, scalars):
a problem without a line is still reported, just without ``:LINE``.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from bot.i18n import N_

_DUPLICATE = re.compile(r'duplicate key "(?P<key>[^"]*)"')
_BAD_START = re.compile(r"found character '(?P<char>.+)' that cannot start any token")

_BACKSLASH = N_("a backslash inside double quotes; use single quotes ('C:\\path')")
_NO_SUCH_DAY = N_("a date that does not exist; write YYYY-MM-DD")

# The parser's English, said as a secretary fixing the file needs it (msgid, then what
# of the parser's words it names); the first pattern found in the parser's message wins.
_PLAIN: tuple[tuple[str, str], ...] = (
    ("'\\t' that cannot start", N_("a tab is used to indent; indent with spaces")),
    ("cannot start any token", N_("'{char}' cannot start a value; put the value in quotes")),
    ("could not find expected ':'", N_("a line here has no ':' after its name")),
    (
        "mapping values are not allowed",
        N_("a ':' where none can be; put a value holding ': ' in quotes"),
    ),
    ("unknown escape character", _BACKSLASH),
    ("expected escape sequence", _BACKSLASH),
    ("quoted scalar", N_("a quote is opened and never closed")),
    ("expected <block end>", N_("this line's indentation does not match the lines above")),
    ("flow sequence", N_("a [ ... ] list is not closed properly")),
    ("flow mapping", N_("a mapping in curly brackets is not closed properly")),
    ("undefined alias", N_("'*' refers to nothing; put the value in quotes")),
    ("single document", N_("the file holds more than one document ('---'); keep one")),
    ("must be in", _NO_SUCH_DAY),
    ("out of range for month", _NO_SUCH_DAY),
)
BROKEN = N_("its structure is broken here; check the indentation, colons and quotes")


class YamlLoadError(Exception):
    """The text is not one YAML document; ``line`` is 1-based when the parser knew it.
    ``problem`` is a msgid of the catalog (with ``params``), never the parser's English:
    a Chinese frame around an English reason helps nobody fix the file."""

    def __init__(self, line: int | None, reason: str, duplicate_key: str | None) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason  # the parser's own words, for a developer
        self.duplicate_key = duplicate_key
        self.problem, self.params = plain_reason(reason)


def plain_reason(reason: str) -> tuple[str, dict[str, str]]:
    """The parser's message as a msgid and its parameters."""
    for pattern, msgid in _PLAIN:
        if pattern in reason:
            found = _BAD_START.search(reason)
            return msgid, {"char": found.group("char")} if found else {}
    return BROKEN, {}


def load_yaml(text: str) -> Any:
    """Parse one YAML document with positions kept; raise `YamlLoadError`."""
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False  # two entries for one key is a mistake, not an override
    try:
        return yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        reason = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        match = _DUPLICATE.search(str(exc.problem or ""))
        return _raise(line, reason, match.group("key") if match else None)
    except (YAMLError, ValueError, TypeError, RecursionError) as exc:
        # e.g. a date like 2026-13-45: the constructor raises without a position.
        return _raise(None, str(exc) or type(exc).__name__, None)


def _raise(line: int | None, reason: str, duplicate_key: str | None) -> Any:
    raise YamlLoadError(line, reason, duplicate_key)


def is_mapping(node: Any) -> bool:
    return isinstance(node, dict)


def is_list(node: Any) -> bool:
    return isinstance(node, list)


def node_line(node: Any) -> int | None:
    """The line a mapping or sequence starts on."""
    lc = getattr(node, "lc", None)
    line = getattr(lc, "line", None)
    return line + 1 if isinstance(line, int) else None


def key_line(mapping: Any, key: Any) -> int | None:
    """The line where ``key`` is written in ``mapping`` (else where the mapping starts)."""
    try:
        return int(mapping.lc.key(key)[0]) + 1
    except (AttributeError, KeyError, TypeError, IndexError):
        return node_line(mapping)


def item_line(seq: Any, index: int, fallback: int | None) -> int | None:
    """The line of the ``index``-th item of ``seq``."""
    try:
        return int(seq.lc.item(index)[0]) + 1
    except (AttributeError, KeyError, TypeError, IndexError):
        return node_line(seq) or fallback


def plain(node: Any) -> Any:
    """Turn ruamel's commented containers and scalar subclasses into plain Python data.

    Dates stay `date`/`datetime` (later features parse them); tagged or exotic scalars
    become their text, so the result can always be stored once dates are made ISO text.
    """
    if node is None or isinstance(node, bool):
        return node
    if isinstance(node, dict):
        return {plain(k): plain(v) for k, v in node.items()}
    if isinstance(node, list | tuple):
        return [plain(v) for v in node]
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    if isinstance(node, datetime | date):
        return node
    value = getattr(node, "value", None)  # TaggedScalar
    return str(value if value is not None else node)
