"""A person of the roster as the rules see them: who they are, what they handle, whether
they can be reached. Stored in ``people`` (``storage/tables.py``); read by ``storage``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Person:
    id: int
    key: str
    name: str
    telegram_id: int | None
    department: str | None
    handles: frozenset[str]
    family_of_id: int | None
    unreachable: bool
    away_until: datetime | None
    active: bool = True  # False: taken off the roster; history keeps pointing at them
