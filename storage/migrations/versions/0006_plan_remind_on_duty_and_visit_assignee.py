"""A plan's "remind whoever is on duty" and a visit's assignee

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("care_plans", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("remind_on_duty", sa.Boolean(), server_default=sa.false(), nullable=False)
        )

    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assignee_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_visits_assignee_id_people"), "people", ["assignee_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_visits_assignee_id_people"), type_="foreignkey")
        batch_op.drop_column("assignee_id")

    with op.batch_alter_table("care_plans", schema=None) as batch_op:
        batch_op.drop_column("remind_on_duty")
