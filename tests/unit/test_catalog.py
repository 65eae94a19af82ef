"""The zh catalog translates every msgid the code uses, with the same {placeholders}.

The msgids are extracted from the source tree at test time (Babel, the same keywords as
`pybabel extract -k t:2 -k N_ -k Refused`), so a new text without a translation fails
here, not in front of a worker.
"""

from __future__ import annotations

import ast
import string
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from bot.i18n import t

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("bot", "handlers", "schedules", "storage")
# t(lang, msgid, **params): 2nd argument; N_(msgid); Refused(msgid, **params).
KEYWORDS: dict[str, tuple[int, ...] | None] = {"t": (2,), "N_": None, "Refused": None}
MSGID_ARG = {"t": 1, "N_": 0, "Refused": 0, "Lazy": 0}  # 0-based, for the AST check
# Babel leaves parse_mapping_cfg unannotated: give it its type once.
_parse_mapping: Callable[[IO[str]], tuple[list[tuple[str, str]], dict[str, dict[str, Any]]]] = (
    parse_mapping_cfg
)
ZH_PO = ROOT / "bot" / "locale" / "zh" / "LC_MESSAGES" / "messages.po"
FIX = (
    "run `python tools/catalog.py update`, then translate them in "
    "bot/locale/zh/LC_MESSAGES/messages.po (keep every {placeholder}; drop `#, fuzzy` "
    "once checked); `python tools/catalog.py check` lists what is left"
)


def placeholders(text: str) -> set[str] | None:
    """The `{field}` names of `text`, or None if its braces are malformed."""
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
    except ValueError:
        return None
    return {f.split(".")[0].split("[")[0] for f in fields}


@pytest.fixture(scope="module")
def msgids() -> dict[str, list[str]]:
    """Every msgid in the source tree, with where it is used."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as fh:
        method_map, options_map = _parse_mapping(fh)
    found: dict[str, list[str]] = {}
    for source in SOURCES:
        for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT / source, method_map, options_map, keywords=KEYWORDS
        ):
            if isinstance(message, str) and message:
                where = f"{source}/{Path(filename).as_posix()}:{lineno}"
                found.setdefault(message, []).append(where)
    assert found, "extraction found no msgid at all: is babel.cfg right?"
    return found


@pytest.fixture(scope="module")
def zh() -> Catalog:
    assert ZH_PO.exists(), f"{ZH_PO.relative_to(ROOT)} is missing; {FIX}"
    with ZH_PO.open("rb") as fh:
        return read_po(fh, locale="zh")


def _translation(zh: Catalog, msgid: str) -> str | None:
    message = zh.get(msgid)
    if message is None or message.fuzzy or not message.string:
        return None
    return str(message.string)


def _report(problems: list[str]) -> str:
    return "\n".join(f"  {p}" for p in problems)


def test_every_msgid_has_a_zh_translation(msgids: dict[str, list[str]], zh: Catalog) -> None:
    missing = [
        f"{where[0]}: {msgid!r}"
        for msgid, where in msgids.items()
        if _translation(zh, msgid) is None
    ]
    assert not missing, (
        f"{len(missing)} msgid(s) have no zh translation (or only a fuzzy one); {FIX}:\n"
        + _report(missing)
    )


def test_zh_translations_keep_the_placeholders(msgids: dict[str, list[str]], zh: Catalog) -> None:
    wrong = []
    for msgid, where in msgids.items():
        text = _translation(zh, msgid)
        if text is None:
            continue  # the test above reports it
        expected, got = placeholders(msgid), placeholders(text)
        if got != expected:
            wrong.append(
                f"{where[0]}: {msgid!r} has {sorted(expected or [])}, "
                f"{text!r} has {'malformed braces' if got is None else sorted(got)}"
            )
    assert not wrong, f"zh translations whose {{placeholders}} differ; {FIX}:\n" + _report(wrong)


def test_zh_translations_format_with_their_msgids_params(
    msgids: dict[str, list[str]], zh: Catalog
) -> None:
    broken = []
    for msgid, where in msgids.items():
        text = _translation(zh, msgid)
        if text is None:
            continue
        params = {name: "x" for name in placeholders(msgid) or set()}
        try:
            text.format(**params)
        except (KeyError, IndexError, ValueError, AttributeError) as exc:
            broken.append(f"{where[0]}: {text!r}: {type(exc).__name__}: {exc}")
    assert not broken, f"zh translations that do not format; {FIX}:\n" + _report(broken)


def test_buttons_read_in_each_language() -> None:
    assert t("zh", "Take") == "接单"
    assert t("en", "Take") == "Take"
    assert t("zh", "Request #{number} was already taken by {name}.", number=7, name="李") == (
        "求助 #7 已被 李 接单。"
    )
    assert t("en", "Take me nowhere, {x}", x=1) == "Take me nowhere, 1"  # unknown: the msgid


def _calls(tree: ast.AST) -> Iterator[tuple[str, ast.Call]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = (
                func.id
                if isinstance(func, ast.Name)
                else func.attr
                if isinstance(func, ast.Attribute)
                else None
            )
            if name in MSGID_ARG:
                yield name, node


def test_msgids_are_written_where_extraction_finds_them() -> None:
    """A msgid Babel cannot see is never translated: catch the usual ways to hide one.

    - `t(lang, TABLE[key])` / `Refused(TABLE[key])` where TABLE's values are plain strings:
      wrap each value in `N_()`;
    - an f-string, `"a" + b` or `"a" if c else "b"` as the msgid: Babel extracts nothing,
      or a wrong concatenation; pass params, or make two calls;
    - `f"<th>{t(lang, 'Figure')}</th>"`: a call inside an f-string is part of one string
      token to Babel, never extracted (the zh report's table said "Figure / Value").
    """
    trees = {
        path: ast.parse(path.read_text(encoding="utf-8"), str(path))
        for source in SOURCES
        for path in sorted((ROOT / source).rglob("*.py"))
    }
    tables: dict[str, list[tuple[Path, ast.Dict]]] = {}
    for path, tree in trees.items():
        for node in ast.walk(tree):
            target, value = None, None
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            elif isinstance(node, ast.AnnAssign):
                target, value = node.target, node.value
            if isinstance(target, ast.Name) and isinstance(value, ast.Dict):
                tables.setdefault(target.id, []).append((path, value))
    problems = []
    for path, tree in trees.items():
        rel = path.relative_to(ROOT)
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                for name, call in _calls(node):
                    args = call.args[MSGID_ARG[name] :]
                    if args and isinstance(args[0], ast.Constant):
                        problems.append(f"{rel}:{call.lineno}: {name}() inside an f-string")
        for name, call in _calls(tree):
            index = MSGID_ARG[name]
            if len(call.args) <= index:
                continue
            arg = call.args[index]
            if isinstance(arg, ast.JoinedStr | ast.BinOp | ast.IfExp | ast.BoolOp):
                problems.append(f"{rel}:{call.lineno}: {name}() msgid is `{ast.unparse(arg)}`")
            elif isinstance(arg, ast.Subscript):
                table = arg.value
                key = (
                    table.id
                    if isinstance(table, ast.Name)
                    else table.attr
                    if isinstance(table, ast.Attribute)
                    else None
                )
                for where, mapping in tables.get(key or "", []):
                    for value in mapping.values:
                        if isinstance(value, ast.Constant) and isinstance(value.value, str):
                            problems.append(
                                f"{where.relative_to(ROOT)}:{value.lineno}: {value.value!r} "
                                f"(used through {key}[...] at {rel}:{call.lineno}) needs N_()"
                            )
    assert not problems, (
        "msgids that `pybabel extract` cannot see, so they would never be translated; "
        "wrap table values in N_() (from bot.i18n), then "
        + FIX
        + ":\n"
        + _report(sorted(set(problems)))
    )
