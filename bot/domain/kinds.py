"""Kinds of request, service categories and urgencies (DESIGN.md §3)."""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    EMERGENCY = "120"  # medical emergency
    TROUBLE = "110"  # trouble, accident, incident, conflict
    SERVICE = "service"  # ordinary request in a category


class Urgency(StrEnum):
    CRITICAL = "critical"  # never waits: all level-0 members at once
    HIGH = "high"  # never waits: all level-0 members at once
    NORMAL = "normal"  # one member in turn; respects working time


class Category(StrEnum):
    REIMBURSEMENT = "reimbursement"
    GEAR = "gear"  # protective gear
    INSURANCE = "insurance"
    POLICY = "policy"  # policy question
    FAMILY = "family"  # family difficulty
    FACILITIES = "facilities"
    OTHER = "other"


DEFAULT_URGENCY: dict[Kind, Urgency] = {
    Kind.EMERGENCY: Urgency.CRITICAL,
    Kind.TROUBLE: Urgency.HIGH,
    Kind.SERVICE: Urgency.NORMAL,
}

# What a member's ``handles`` may name in the roster: a kind or a service category.
HANDLE_TOPICS: frozenset[str] = frozenset(
    [Kind.EMERGENCY.value, Kind.TROUBLE.value] + [c.value for c in Category]
)

# Roster spellings accepted for categories, so DESIGN.md's words work as written.
CATEGORY_ALIASES: dict[str, Category] = {
    "protective_gear": Category.GEAR,
    "protective gear": Category.GEAR,
    "policy_question": Category.POLICY,
    "policy question": Category.POLICY,
    "family_difficulty": Category.FAMILY,
    "family difficulty": Category.FAMILY,
}


def topic_of(kind: Kind, category: Category | None) -> str:
    """Name the topic members must handle to be level 0 for this request."""
    if kind is Kind.SERVICE:
        return (category or Category.OTHER).value
    return kind.value
