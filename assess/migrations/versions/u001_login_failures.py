"""Failed logins: one row per failure of the current run for a user name, read by the login
throttle (``assess.accounts``); a new table, so no existing table (or its triggers) is rebuilt.

Revision ID: u001
Revises: m001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "u001"
down_revision = "m001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failure")),
    )
    op.create_index(op.f("ix_login_failure_username"), "login_failure", ["username"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_login_failure_username"), table_name="login_failure")
    op.drop_table("login_failure")
