"""Who may do what to a request (DESIGN.md §2). Checked on the server for every press."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.domain.lifecycle import Action


@dataclass(frozen=True)
class Actor:
    """The person behind an update, as the roster knows them (or not)."""

    chat_id: int
    person_id: int | None = None
    name: str = ""
    member_of: frozenset[int] = field(default_factory=frozenset)
    secretary_of: frozenset[int] = field(default_factory=frozenset)
    committee: bool = False
    supervisor: bool = False
    family: bool = False  # a worker's family member, registered through them

    @property
    def registered(self) -> bool:
        return self.person_id is not None

    @property
    def is_member(self) -> bool:
        return bool(self.member_of or self.secretary_of or self.committee)


@dataclass(frozen=True)
class RequestFacts:
    """The facts about a request that authorisation looks at."""

    branch_id: int | None
    requester_chat_id: int
    owner_id: int | None


def is_requester(actor: Actor, req: RequestFacts) -> bool:
    return actor.chat_id == req.requester_chat_id


def is_owner(actor: Actor, req: RequestFacts) -> bool:
    return actor.person_id is not None and actor.person_id == req.owner_id


def oversees(actor: Actor, req: RequestFacts) -> bool:
    """The branch secretary and the committee oversee a request."""
    return actor.committee or (req.branch_id is not None and req.branch_id in actor.secretary_of)


def may(actor: Actor, action: Action, req: RequestFacts) -> bool:
    """Decide whether ``actor`` may perform ``action`` on the request."""
    if action is Action.TAKE:
        in_branch = req.branch_id is not None and (
            req.branch_id in actor.member_of or req.branch_id in actor.secretary_of
        )
        return in_branch or actor.committee
    if action in (Action.RELEASE, Action.RESOLVE):
        return is_owner(actor, req)
    if action in (Action.CONFIRM, Action.REJECT, Action.RATE, Action.CANCEL):
        return is_requester(actor, req)
    if action in (Action.CONFIRM_FOR, Action.REOPEN, Action.REASSIGN, Action.STOP_SENDER):
        return oversees(actor, req)
    if action is Action.ESCALATE:
        return is_requester(actor, req) or is_owner(actor, req) or oversees(actor, req)
    if action is Action.MESSAGE:
        return is_requester(actor, req) or is_owner(actor, req)
    if action is Action.VIEW:
        return is_requester(actor, req) or is_owner(actor, req) or oversees(actor, req)
    return False


def steers_roster(actor: Actor, subject_branches: frozenset[int]) -> bool:
    """A secretary manages the people of their own branch; the committee manages anyone."""
    return actor.committee or bool(actor.secretary_of & subject_branches)


def may_add_family(actor: Actor) -> bool:
    """Any registered employee may add family; a family member may not add their own."""
    return actor.registered and not actor.family
