"""Request facts for the figures, and the yearly survey

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 18:50:00.000000
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("take_seconds", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("resolve_seconds", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("close_seconds", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("closed_by", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("reopen_count", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("escalated", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_index("ix_requests_created", ["created_at", "branch_id"], unique=False)
    _backfill()

    op.create_table(
        "surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("intro", sa.Text(), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("remind_after", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("opened_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("closed_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("published_at", storage.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys")),
        sa.UniqueConstraint("key", name=op.f("uq_surveys_key")),
    )
    op.create_table(
        "survey_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.Integer(), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["surveys.id"], name=op.f("fk_survey_answers_survey_id_surveys")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_answers")),
    )
    with op.batch_alter_table("survey_answers", schema=None) as batch_op:
        batch_op.create_index("ix_survey_answers", ["survey_id", "question"], unique=False)
    op.create_table(
        "survey_takers",
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("next_question", sa.Integer(), nullable=False),
        sa.Column("finished", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_survey_takers_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["surveys.id"], name=op.f("fk_survey_takers_survey_id_surveys")
        ),
        sa.PrimaryKeyConstraint("survey_id", "person_id", name=op.f("pk_survey_takers")),
    )


def _backfill() -> None:
    """Derive the facts of requests raised before this migration from their timelines
    (in Python, so no dialect's date arithmetic is needed), one request's events at a
    time and written in batches, so a large database is upgraded in bounded memory."""
    bind = op.get_bind()
    meta = sa.MetaData()
    requests = sa.Table("requests", meta, autoload_with=bind)
    events = sa.Table("events", meta, autoload_with=bind)
    rows = bind.execute(
        sa.select(
            events.c.request_id, events.c.type, events.c.at, events.c.data, requests.c.created_at
        )
        .join(requests, requests.c.id == events.c.request_id)
        .where(
            events.c.type.in_(
                ("taken", "reassigned", "resolved", "closed", "reopened", "escalated", "alerted")
            )
        )
        .order_by(events.c.request_id, events.c.id)
    )
    stmt = (
        requests.update()
        .where(requests.c.id == sa.bindparam("rid"))
        .values(
            take_seconds=sa.bindparam("take_seconds"),
            resolve_seconds=sa.bindparam("resolve_seconds"),
            close_seconds=sa.bindparam("close_seconds"),
            closed_by=sa.bindparam("closed_by"),
            reopen_count=sa.bindparam("reopen_count"),
            escalated=sa.bindparam("escalated"),
        )
    )
    batch: list[dict[str, Any]] = []
    fact: dict[str, Any] | None = None
    for row in rows:
        if fact is None or fact["rid"] != row.request_id:
            if fact is not None:
                batch.append(fact)
            fact = {
                "rid": row.request_id,
                "take_seconds": None,
                "resolve_seconds": None,
                "close_seconds": None,
                "closed_by": None,
                "reopen_count": 0,
                "escalated": False,
            }
            if len(batch) >= 5000:
                bind.execute(stmt, batch)
                batch = []
        seconds = max(0, int((_naive(row.at) - _naive(row.created_at)).total_seconds()))
        data = row.data or {}
        if row.type in ("taken", "reassigned") and fact["take_seconds"] is None:
            fact["take_seconds"] = seconds
        elif row.type == "resolved":
            fact["resolve_seconds"] = seconds
        elif row.type == "closed":
            fact["close_seconds"] = seconds
            fact["closed_by"] = "secretary" if data.get("on_behalf") else "worker"
        elif row.type == "reopened":
            fact["reopen_count"] += 1
        elif row.type == "escalated" or (row.type == "alerted" and int(data.get("level") or 0) > 0):
            fact["escalated"] = True
    if fact is not None:
        batch.append(fact)
    if batch:
        bind.execute(stmt, batch)


def _naive(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=None) if isinstance(value, datetime) else value


def downgrade() -> None:
    op.drop_table("survey_takers")
    with op.batch_alter_table("survey_answers", schema=None) as batch_op:
        batch_op.drop_index("ix_survey_answers")
    op.drop_table("survey_answers")
    op.drop_table("surveys")
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.drop_index("ix_requests_created")
        batch_op.drop_column("escalated")
        batch_op.drop_column("reopen_count")
        batch_op.drop_column("closed_by")
        batch_op.drop_column("close_seconds")
        batch_op.drop_column("resolve_seconds")
        batch_op.drop_column("take_seconds")
