"""Routing: who is alerted at level 0 of a request (DESIGN.md §4)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.kinds import Urgency


@dataclass(frozen=True)
class Candidate:
    """A branch member as routing sees them."""

    person_id: int
    position: int
    handles: frozenset[str]
    reachable: bool = True  # has a Telegram account bound and is not known unreachable
    away: bool = False


def level_zero(
    urgency: Urgency,
    topic: str,
    members: list[Candidate],
    last_person_id: int | None,
    on_duty: frozenset[int] | None = None,
) -> list[int]:
    """Pick level 0: all handlers at once when urgent, the next one in turn otherwise.

    ``on_duty`` is who is on duty now when the branch keeps a rota (None when it does
    not): those of them who handle the topic are preferred; when none of them does, every
    handler is, so a gap in the rota never leaves a request without a phone to ring.
    An empty answer means the branch has nobody for this topic: the secretary is next.
    """
    able = sorted(
        (m for m in members if topic in m.handles and m.reachable and not m.away),
        key=lambda m: m.position,
    )
    if on_duty is not None:
        able = [m for m in able if m.person_id in on_duty] or able
    if not able:
        return []
    if urgency is not Urgency.NORMAL:
        return [m.person_id for m in able]
    ids = [m.person_id for m in able]
    if last_person_id in ids:
        return [ids[(ids.index(last_person_id) + 1) % len(ids)]]
    return [ids[0]]
