"""Telegram accounts whose updates are stored and ignored

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 15:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blocked_chats",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("blocked_by_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("blocked_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["blocked_by_id"], ["people.id"], name=op.f("fk_blocked_chats_blocked_by_id_people")
        ),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_blocked_chats")),
    )


def downgrade() -> None:
    op.drop_table("blocked_chats")
