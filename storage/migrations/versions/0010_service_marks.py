"""When the running bot last said it was alive

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 23:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service_marks",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_service_marks")),
    )


def downgrade() -> None:
    op.drop_table("service_marks")
