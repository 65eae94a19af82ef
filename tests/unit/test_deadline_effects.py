"""The deadline engine's table: every kind a deadline can have does one thing when due."""

from __future__ import annotations

from bot.domain.deadline_kinds import DeadlineKind
from bot.usecases.escalation.deadline_effects import EFFECTS


def test_every_deadline_kind_has_one_effect() -> None:
    assert set(EFFECTS) == set(DeadlineKind)
