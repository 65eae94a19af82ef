"""The yearly survey's tables, part of the one schema (``storage/tables.py``'s metadata)."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, Integer, String, Table, Text

from storage.tables import metadata
from storage.types import UTCDateTime

# The yearly survey (issue 8): questions on a 1-5 scale or multiple choice. Answers carry
# no person and no time; ``survey_takers`` only says who was asked, how far they are and
# who finished, so nobody answers twice. Each answer is written as it is given (see
# storage/survey_store.py): no row ever holds a person next to an answer.
surveys = Table(
    "surveys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(64), nullable=False, unique=True),
    Column("title", String(200), nullable=False),
    Column("intro", Text, nullable=False, default=""),
    Column("questions", JSON, nullable=False),  # [{text, kind: scale|choice, choices}]
    Column("remind_after", String(16), nullable=False, default="3d"),
    Column("state", String(16), nullable=False),  # draft, open, closed, published
    Column("created_at", UTCDateTime(), nullable=False),
    Column("opened_at", UTCDateTime()),
    Column("closed_at", UTCDateTime()),
    Column("published_at", UTCDateTime()),
)

survey_takers = Table(
    "survey_takers",
    metadata,
    Column("survey_id", Integer, ForeignKey("surveys.id"), primary_key=True),
    Column("person_id", Integer, ForeignKey("people.id"), primary_key=True),
    Column("next_question", Integer, nullable=False, default=0),
    Column("finished", Boolean, nullable=False, default=False),
)

survey_answers = Table(
    "survey_answers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("survey_id", Integer, ForeignKey("surveys.id"), nullable=False),
    Column("question", Integer, nullable=False),
    Column("value", String(200), nullable=False),  # "1".."5", or the choice's index
    Index("ix_survey_answers", "survey_id", "question"),
)
