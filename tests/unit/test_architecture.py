"""The one rule of dependencies (ARCHITECTURE.md), read from the source itself.

The domain imports only the standard library, dateutil and itself: a rule can be read and
tested without Telegram, SQL or a clock. Handlers translate updates into use cases and
never reach the database themselves. Storage knows the domain's types and nothing else
of the bot.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def imports(folder: str) -> dict[str, set[str]]:
    """Every module imported by each file under ``folder`` (relative path -> names)."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / folder).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module)
        found[str(path.relative_to(ROOT))] = names
    return found


def breaking(folder: str, allowed: tuple[str, ...]) -> dict[str, list[str]]:
    """For each file, the imports outside ``allowed`` (a name or its parent package)."""
    out: dict[str, list[str]] = {}
    for path, names in imports(folder).items():
        bad = sorted(n for n in names if not any(n == a or n.startswith(a + ".") for a in allowed))
        if bad:
            out[path] = bad
    return out


STDLIB = tuple(sorted(sys.stdlib_module_names))


def test_the_domain_imports_only_the_standard_library_dateutil_and_itself() -> None:
    assert breaking("bot/domain", (*STDLIB, "dateutil", "bot.domain")) == {}


def test_handlers_never_reach_the_database() -> None:
    reaching = {
        path: [n for n in names if n.split(".")[0] in ("storage", "sqlalchemy", "aiosqlite")]
        for path, names in imports("handlers").items()
    }
    assert {path: names for path, names in reaching.items() if names} == {}


def test_use_cases_hold_no_sql() -> None:
    """Every statement is a named function in storage/: a use case loads, asks the domain,
    records. (A connection's type, for a read outside the write lock, is not SQL.)"""
    sql = {
        path: [
            n
            for n in names
            if n == "sqlalchemy" or n == "storage.tables" or n.startswith("sqlalchemy.sql")
        ]
        for path, names in imports("bot/usecases").items()
    }
    assert {path: names for path, names in sql.items() if names} == {}


def test_storage_knows_only_the_domain_of_the_bot() -> None:
    of_bot = {
        path: [n for n in names if n.split(".")[0] == "bot" and not n.startswith("bot.domain")]
        for path, names in imports("storage").items()
    }
    assert {path: names for path, names in of_bot.items() if names} == {}


@pytest.mark.parametrize("folder", ["bot/domain", "bot/usecases", "handlers", "storage"])
def test_the_check_reads_real_files(folder: str) -> None:
    """A wrong folder must not make the rules pass by reading nothing."""
    assert len(imports(folder)) >= 5
