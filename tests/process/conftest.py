"""Real-process tests: ``helpline run`` as a child process, killed with SIGKILL on purpose.

Deselect them with ``-m "not process"`` (they start the bot several times, a few seconds
each). The bot runs on the real clock, so it gets a roster without anything the calendar
drives (care plans, duties, the rota, the digest): what it does must not depend on the
day the suite runs. ``tools/any-date`` runs these tests at other dates to prove it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.process.harness import Harness, harness_for

EXAMPLE_ROSTER = Path(__file__).resolve().parents[2] / "examples" / "roster.yaml"
DATED_SECTIONS = ("care_plans", "duties", "rota", "digest")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "process: starts `helpline run` as a real subprocess (and kills it)"
    )
    config.addinivalue_line(
        "markers",
        "slow: a real outage or pause (30 s to minutes); its outcome does not depend on the date",
    )


@pytest.fixture
def undated_roster(tmp_path: Path) -> Path:
    """examples/roster.yaml less the sections that make the bot act on calendar dates,
    with room in the request budget for the bursts."""
    yaml = YAML()
    data = yaml.load(EXAMPLE_ROSTER.read_text(encoding="utf-8"))
    for section in DATED_SECTIONS:
        data.pop(section, None)
    # The fault tests raise bursts of fifty separate emergencies from one worker; the
    # budget that stops a flood from ringing phones (tests/e2e) must not hide them here.
    data["request_budget"] = {"count": 1000, "per": "1h"}
    path = tmp_path / "roster.yaml"
    with path.open("w", encoding="utf-8") as out:
        yaml.dump(data, out)
    return path


@pytest.fixture
async def harness(tmp_path: Path, undated_roster: Path) -> AsyncIterator[Harness]:
    async with harness_for(tmp_path, undated_roster) as h:
        yield h
