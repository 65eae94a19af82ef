"""The example roster with a crowd of workers in 仓储部, whose 120s li and qian take: the
branch on the day a crane falls (issue "A crane falls")."""

from __future__ import annotations

from pathlib import Path

ROSTER = Path(__file__).resolve().parents[1] / "examples" / "roster.yaml"
FIRST = 5000  # telegram id of the first extra worker; the others follow


def crowd_roster(workers: int) -> str:
    extra = "".join(
        f"  - {{key: w{i}, name: 工人{i}, telegram_id: {FIRST + i}, department: 仓储部}}\n"
        for i in range(workers)
    )
    return ROSTER.read_text().replace("  # workers\n", "  # workers\n" + extra, 1)


def marker(i: int) -> str:
    """What worker i writes first, unique among a hundred ("crane-1" is in "crane-10")."""
    return f"crane-{i:03d}"
