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
    _freeze_deadlines()


FROZEN = "考核轮次已公示冻结，不能修改: stagedeadline"


def _freeze_deadlines() -> None:
    """A round's stage deadlines belong to it: frozen with it once published (as migration p001
    does for every round-owned table)."""
    if op.get_bind().dialect.name == "sqlite":
        def published(ref: str) -> str:
            return f"(SELECT stage FROM round WHERE id = {ref}) = 'published'"

        op.execute(f"""CREATE TRIGGER y_frozen_stagedeadline_insert BEFORE INSERT ON stagedeadline
            WHEN {published("NEW.round_id")} BEGIN SELECT RAISE(ABORT, '{FROZEN}'); END""")
        op.execute(f"""CREATE TRIGGER y_frozen_stagedeadline_update BEFORE UPDATE ON stagedeadline
            WHEN {published("OLD.round_id")} OR {published("NEW.round_id")}
            BEGIN SELECT RAISE(ABORT, '{FROZEN}'); END""")
        op.execute(f"""CREATE TRIGGER y_frozen_stagedeadline_delete BEFORE DELETE ON stagedeadline
            WHEN {published("OLD.round_id")} BEGIN SELECT RAISE(ABORT, '{FROZEN}'); END""")
        return
    published = "EXISTS (SELECT 1 FROM round r WHERE r.id = {}.round_id AND r.stage = 'published')"
    op.execute(f"""
        CREATE FUNCTION y_refuse_frozen_stagedeadline() RETURNS trigger AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') AND {published.format("OLD")} THEN
                RAISE EXCEPTION '{FROZEN}';
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') AND {published.format("NEW")} THEN
                RAISE EXCEPTION '{FROZEN}';
            END IF;
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;
        END $$ LANGUAGE plpgsql""")
    op.execute(
        "CREATE TRIGGER y_frozen_stagedeadline BEFORE INSERT OR UPDATE OR DELETE ON stagedeadline "
        "FOR EACH ROW EXECUTE FUNCTION y_refuse_frozen_stagedeadline()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS y_frozen_stagedeadline ON stagedeadline")
        op.execute("DROP FUNCTION IF EXISTS y_refuse_frozen_stagedeadline()")
    else:
        for what in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS y_frozen_stagedeadline_{what}")
    op.drop_index(op.f("ix_cadrepledge_cadre_id"), table_name="cadrepledge")
    op.drop_table("cadrepledge")
    op.drop_index(op.f("ix_stagedeadline_round_id"), table_name="stagedeadline")
    op.drop_table("stagedeadline")
    op.drop_index(op.f("ix_blacklistentry_unit_id"), table_name="blacklistentry")
    op.drop_index(op.f("ix_blacklistentry_cadre_id"), table_name="blacklistentry")
    op.drop_table("blacklistentry")
