"""A request for help as the rules see it: what it is, whose it is, where it stands on
its chain. Stored in ``requests`` (``storage/tables.py``); read by ``storage``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.authz import RequestFacts
from bot.domain.escalation import Chain
from bot.domain.kinds import Category, Kind, Urgency
from bot.domain.lifecycle import State


@dataclass(frozen=True)
class Request:
    id: int
    kind: Kind
    category: Category | None
    urgency: Urgency
    state: State
    branch_id: int | None
    requester_id: int | None
    requester_chat_id: int
    requester_name: str
    requester_department: str | None
    unregistered: bool
    text: str
    owner_id: int | None
    level: int
    chain: Chain
    rating: int | None
    family_of_name: str | None  # raised by a family member of this employee
    created_at: datetime
    updated_at: datetime

    @property
    def facts(self) -> RequestFacts:
        return RequestFacts(self.branch_id, self.requester_chat_id, self.owner_id)
