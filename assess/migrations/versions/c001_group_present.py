"""实到 per voter group of a session (``sessionvotergroup.present``): the meeting's record that
bounds the ballots of the group (docs/reliability.md, 选票数以会议记录为界).

Revision ID: c001
Revises: u001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c001"
down_revision = "u001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (no batch mode): recreating the table would drop any trigger it carries.
    op.add_column("sessionvotergroup", sa.Column("present", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("sessionvotergroup", schema=None) as batch_op:
        batch_op.drop_column("present")
