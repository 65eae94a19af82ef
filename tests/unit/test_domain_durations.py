"""Kinds, topics and roster durations (DESIGN.md §3, §6)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.durations import parse_duration
from bot.domain.kinds import (
    CATEGORY_ALIASES,
    DEFAULT_URGENCY,
    HANDLE_TOPICS,
    Category,
    Kind,
    Urgency,
    topic_of,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("30s", timedelta(seconds=30), id="seconds"),
        pytest.param("2m", timedelta(minutes=2), id="minutes"),
        pytest.param("4h", timedelta(hours=4), id="hours"),
        pytest.param("1d", timedelta(days=1), id="days"),
        pytest.param("90m", timedelta(minutes=90), id="more-than-an-hour-in-minutes"),
        pytest.param(" 5m ", timedelta(minutes=5), id="surrounding-spaces-are-tolerated"),
        pytest.param("05m", timedelta(minutes=5), id="leading-zero-is-tolerated"),
    ],
)
def test_duration_is_parsed(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("5", id="no-unit"),
        pytest.param("m", id="no-number"),
        pytest.param("2x", id="unknown-unit"),
        pytest.param("2M", id="upper-case-unit"),
        pytest.param("-1m", id="negative"),
        pytest.param("0s", id="zero"),
        pytest.param("00d", id="zero-with-leading-zero"),
        pytest.param("1.5h", id="fraction"),
        pytest.param("2m30s", id="compound"),
        pytest.param("2 minutes", id="spelled-out"),
        pytest.param("1w", id="weeks-not-supported"),
    ],
)
def test_bad_duration_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_absurdly_long_duration_is_refused_as_a_bad_value() -> None:
    with pytest.raises(ValueError):
        parse_duration("99999999999d")


@pytest.mark.parametrize(
    ("kind", "category", "topic"),
    [
        pytest.param(Kind.EMERGENCY, None, "120", id="medical-emergency-topic-is-120"),
        pytest.param(Kind.TROUBLE, None, "110", id="trouble-topic-is-110"),
        pytest.param(Kind.EMERGENCY, Category.INSURANCE, "120", id="emergency-ignores-category"),
        pytest.param(Kind.SERVICE, Category.INSURANCE, "insurance", id="service-uses-category"),
        pytest.param(Kind.SERVICE, Category.GEAR, "gear", id="service-gear"),
        pytest.param(Kind.SERVICE, None, "other", id="service-without-category-is-other"),
    ],
)
def test_topic_of(kind: Kind, category: Category | None, topic: str) -> None:
    assert topic_of(kind, category) == topic


@pytest.mark.parametrize("kind", list(Kind))
@pytest.mark.parametrize("category", [None, *Category])
def test_every_topic_can_be_handled_in_the_roster(kind: Kind, category: Category | None) -> None:
    assert topic_of(kind, category) in HANDLE_TOPICS


@pytest.mark.parametrize(
    ("kind", "urgency"),
    [
        pytest.param(Kind.EMERGENCY, Urgency.CRITICAL, id="120-is-critical"),
        pytest.param(Kind.TROUBLE, Urgency.HIGH, id="110-is-high"),
        pytest.param(Kind.SERVICE, Urgency.NORMAL, id="service-is-normal"),
    ],
)
def test_default_urgency(kind: Kind, urgency: Urgency) -> None:
    assert DEFAULT_URGENCY[kind] is urgency


def test_service_is_not_a_handle_topic_of_its_own() -> None:
    assert Kind.SERVICE.value not in HANDLE_TOPICS


@pytest.mark.parametrize(
    ("alias", "category"),
    [
        pytest.param("protective gear", Category.GEAR, id="protective-gear"),
        pytest.param("policy question", Category.POLICY, id="policy-question"),
        pytest.param("family difficulty", Category.FAMILY, id="family-difficulty"),
    ],
)
def test_design_category_words_are_aliases(alias: str, category: Category) -> None:
    assert CATEGORY_ALIASES[alias] is category
