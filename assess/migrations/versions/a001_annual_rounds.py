"""Annual rounds (年度考核): the round of a year that combines the quarterly rounds.

A new table only (no table is rebuilt, so no trigger is dropped); it belongs to its round and is
frozen with it once published, as migration p001 does for every round-owned table.

Revision ID: a001
Revises: o001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "a001"
down_revision = "o001"
branch_labels = None
depends_on = None

FROZEN = "考核轮次已公示冻结，不能修改: annualround"


def upgrade() -> None:
    op.create_table(
        "annualround",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(["round_id"], ["round.id"], name=op.f("fk_annualround_round_id_round")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_annualround")),
        sa.UniqueConstraint("round_id", name=op.f("uq_annualround_round_id")),
    )
    _freeze()


def _freeze() -> None:
    if op.get_bind().dialect.name == "sqlite":
        def published(ref: str) -> str:
            return f"(SELECT stage FROM round WHERE id = {ref}) = 'published'"

        op.execute(f"""CREATE TRIGGER a_frozen_annualround_insert BEFORE INSERT ON annualround
            WHEN {published("NEW.round_id")} BEGIN SELECT RAISE(ABORT, '{FROZEN}'); END""")
        op.execute(f"""CREATE TRIGGER a_frozen_annualround_update BEFORE UPDATE ON annualround
            WHEN {published("OLD.round_id")} OR {published("NEW.round_id")}
            BEGIN SELECT RAISE(ABORT, '{FROZEN}'); END""")
        op.execute(f"""CREATE TRIGGER a_frozen_annualround_delete BEFORE DELETE ON annualround
            WHEN {published("OLD.round_id")} BEGIN SELECT RAISE(ABORT, '{FROZEN}'); END""")
        return
    published = "EXISTS (SELECT 1 FROM round r WHERE r.id = {}.round_id AND r.stage = 'published')"
    op.execute(f"""
        CREATE FUNCTION a_refuse_frozen_annualround() RETURNS trigger AS $$
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
        "CREATE TRIGGER a_frozen_annualround BEFORE INSERT OR UPDATE OR DELETE ON annualround "
        "FOR EACH ROW EXECUTE FUNCTION a_refuse_frozen_annualround()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS a_frozen_annualround ON annualround")
        op.execute("DROP FUNCTION IF EXISTS a_refuse_frozen_annualround()")
    else:
        for what in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS a_frozen_annualround_{what}")
    op.drop_table("annualround")
