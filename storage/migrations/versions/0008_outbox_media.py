"""Pictures the outbox sends, stored once

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 19:55:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox_media",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("png", sa.LargeBinary(), nullable=False),
        sa.Column("file_id", sa.String(length=200), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_media")),
    )


def downgrade() -> None:
    op.drop_table("outbox_media")
