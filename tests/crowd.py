"""The example roster with a crowd of workers in 仓储部, whose 120s li and qian take: the
branch on the day a crane falls (issue "A crane falls")."""

from __future__ import annotations

import io
from pathlib import Path

from ruamel.yaml import YAML

ROSTER = Path(__file__).resolve().parents[1] / "examples" / "roster.yaml"
FIRST = 5000  # telegram id of the first extra worker; the others follow


def crowd_roster(workers: int, base: str | None = None) -> str:
    """``base`` (default: the example roster's text) with ``workers`` more workers."""
    yaml = YAML()
    data = yaml.load(ROSTER.read_text() if base is None else base)
    for i in range(workers):
        data["people"].append(
            {"key": f"w{i}", "name": f"工人{i}", "telegram_id": FIRST + i, "department": "仓储部"}
        )
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def marker(i: int) -> str:
    """What worker i writes first, unique among a hundred ("crane-1" is in "crane-10")."""
    return f"crane-{i:03d}"
