"""职能部门评分 and 合理缺项: the unit an account works for, department scores, exemptions.

``app_user`` gains a nullable column (added in place, no table rebuilt, so no trigger is
dropped); ``deptscore`` and ``exemption`` belong to a round and are frozen with it once
published, like every round-owned table (p001, y001).

Revision ID: d001
Revises: a001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "d001"
down_revision = "a001"
branch_labels = None
depends_on = None

TABLES = ("deptscore", "exemption")


def upgrade() -> None:
    op.add_column("app_user", sa.Column("unit_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
    op.create_table(
        "deptscore",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("indicator_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("scorer", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("entered_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["round_id"], ["round.id"], name=op.f("fk_deptscore_round_id_round")),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_deptscore_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deptscore")),
        sa.UniqueConstraint("round_id", "unit_id", "indicator_code",
                            name=op.f("uq_deptscore_round_id_unit_id_indicator_code")),
    )
    op.create_index(op.f("ix_deptscore_round_id"), "deptscore", ["round_id"], unique=False)
    op.create_index(op.f("ix_deptscore_unit_id"), "deptscore", ["unit_id"], unique=False)
    op.create_table(
        "exemption",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("indicator_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("requested_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["round_id"], ["round.id"], name=op.f("fk_exemption_round_id_round")),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_exemption_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exemption")),
    )
    op.create_index(op.f("ix_exemption_round_id"), "exemption", ["round_id"], unique=False)
    op.create_index(op.f("ix_exemption_unit_id"), "exemption", ["unit_id"], unique=False)
    for table in TABLES:
        _freeze(table)


def _freeze(table: str) -> None:
    """Refuse every insert, update and delete of a published round's rows (SQLite and PostgreSQL)."""
    frozen = f"考核轮次已公示冻结，不能修改: {table}"
    if op.get_bind().dialect.name == "sqlite":
        def published(ref: str) -> str:
            return f"(SELECT stage FROM round WHERE id = {ref}) = 'published'"

        op.execute(f"""CREATE TRIGGER d_frozen_{table}_insert BEFORE INSERT ON {table}
            WHEN {published("NEW.round_id")} BEGIN SELECT RAISE(ABORT, '{frozen}'); END""")
        op.execute(f"""CREATE TRIGGER d_frozen_{table}_update BEFORE UPDATE ON {table}
            WHEN {published("OLD.round_id")} OR {published("NEW.round_id")}
            BEGIN SELECT RAISE(ABORT, '{frozen}'); END""")
        op.execute(f"""CREATE TRIGGER d_frozen_{table}_delete BEFORE DELETE ON {table}
            WHEN {published("OLD.round_id")} BEGIN SELECT RAISE(ABORT, '{frozen}'); END""")
        return
    published = "EXISTS (SELECT 1 FROM round r WHERE r.id = {}.round_id AND r.stage = 'published')"
    op.execute(f"""
        CREATE FUNCTION d_refuse_frozen_{table}() RETURNS trigger AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') AND {published.format("OLD")} THEN
                RAISE EXCEPTION '{frozen}';
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') AND {published.format("NEW")} THEN
                RAISE EXCEPTION '{frozen}';
            END IF;
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;
        END $$ LANGUAGE plpgsql""")
    op.execute(
        f"CREATE TRIGGER d_frozen_{table} BEFORE INSERT OR UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION d_refuse_frozen_{table}()"
    )


def downgrade() -> None:
    for table in TABLES:
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS d_frozen_{table} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS d_refuse_frozen_{table}()")
        else:
            for what in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS d_frozen_{table}_{what}")
    op.drop_index(op.f("ix_exemption_unit_id"), table_name="exemption")
    op.drop_index(op.f("ix_exemption_round_id"), table_name="exemption")
    op.drop_table("exemption")
    op.drop_index(op.f("ix_deptscore_unit_id"), table_name="deptscore")
    op.drop_index(op.f("ix_deptscore_round_id"), table_name="deptscore")
    op.drop_table("deptscore")
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("unit_code")
