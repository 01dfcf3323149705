"""The assessment year: 黑名单 register, stage deadlines per round, cadres' 年初承诺.

New tables only (no table is rebuilt, so no trigger is dropped).

Revision ID: y001
Revises: p001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "y001"
down_revision = "p001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blacklistentry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("cadre_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("basis", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("entered_on", sa.Date(), nullable=False),
        sa.Column("exit_on", sa.Date(), nullable=True),
        sa.Column("exit_reason", sa.Text(), nullable=True),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("exited_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.ForeignKeyConstraint(["cadre_id"], ["cadre.id"], name=op.f("fk_blacklistentry_cadre_id_cadre")),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_blacklistentry_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blacklistentry")),
    )
    op.create_index(op.f("ix_blacklistentry_cadre_id"), "blacklistentry", ["cadre_id"], unique=False)
    op.create_index(op.f("ix_blacklistentry_unit_id"), "blacklistentry", ["unit_id"], unique=False)

    op.create_table(
        "stagedeadline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("set_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["round_id"], ["round.id"], name=op.f("fk_stagedeadline_round_id_round")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stagedeadline")),
        sa.UniqueConstraint("round_id", "stage", name=op.f("uq_stagedeadline_round_id_stage")),
    )
    op.create_index(op.f("ix_stagedeadline_round_id"), "stagedeadline", ["round_id"], unique=False)

    op.create_table(
        "cadrepledge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cadre_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["cadre_id"], ["cadre.id"], name=op.f("fk_cadrepledge_cadre_id_cadre")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cadrepledge")),
        sa.UniqueConstraint("cadre_id", "year", name=op.f("uq_cadrepledge_cadre_id_year")),
    )
    op.create_index(op.f("ix_cadrepledge_cadre_id"), "cadrepledge", ["cadre_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_cadrepledge_cadre_id"), table_name="cadrepledge")
    op.drop_table("cadrepledge")
    op.drop_index(op.f("ix_stagedeadline_round_id"), table_name="stagedeadline")
    op.drop_table("stagedeadline")
    op.drop_index(op.f("ix_blacklistentry_unit_id"), table_name="blacklistentry")
    op.drop_index(op.f("ix_blacklistentry_cadre_id"), table_name="blacklistentry")
    op.drop_table("blacklistentry")
