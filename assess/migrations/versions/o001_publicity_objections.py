"""公示 then objections then 定稿: the 公示 periods of a round with their snapshots, and the
objections received and answered (assess/publicity.py).

New tables only; both belong to a round and are frozen with it once published (as migrations
p001 and y001 do for every round-owned table).

Revision ID: o001
Revises: v001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "o001"
down_revision = "v001"
branch_labels = None
depends_on = None

TABLES = ("publicityperiod", "objection")


def upgrade() -> None:
    op.create_table(
        "publicityperiod",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("contact", sa.Text(), nullable=True),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("audit_head", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("opened_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["round_id"], ["round.id"], name=op.f("fk_publicityperiod_round_id_round")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publicityperiod")),
    )
    op.create_index(op.f("ix_publicityperiod_round_id"), "publicityperiod", ["round_id"], unique=False)
    op.create_table(
        "objection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("submitter_kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("submitter", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("contact", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("cadre_id", sa.Integer(), nullable=True),
        sa.Column("figure", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("registered_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decision", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("answered_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("vote_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["cadre_id"], ["cadre.id"], name=op.f("fk_objection_cadre_id_cadre")),
        sa.ForeignKeyConstraint(
            ["period_id"], ["publicityperiod.id"], name=op.f("fk_objection_period_id_publicityperiod")
        ),
        sa.ForeignKeyConstraint(["round_id"], ["round.id"], name=op.f("fk_objection_round_id_round")),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_objection_unit_id_unit")),
        sa.ForeignKeyConstraint(["vote_id"], ["approvalvote.id"], name=op.f("fk_objection_vote_id_approvalvote")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objection")),
    )
    op.create_index(op.f("ix_objection_period_id"), "objection", ["period_id"], unique=False)
    op.create_index(op.f("ix_objection_round_id"), "objection", ["round_id"], unique=False)
    for table in TABLES:
        _freeze(table)
    _round_stage_check(STAGES_AFTER)  # the stage 公示中 (publicity) joins v001's rule


def _freeze(table: str) -> None:
    """Refuse INSERT, UPDATE and DELETE of a published round's rows (SQLite and PostgreSQL)."""
    frozen = f"考核轮次已公示冻结，不能修改: {table}"
    if op.get_bind().dialect.name == "sqlite":
        def published(ref: str) -> str:
            return f"(SELECT stage FROM round WHERE id = {ref}) = 'published'"

        op.execute(f"""CREATE TRIGGER o_frozen_{table}_insert BEFORE INSERT ON {table}
            WHEN {published("NEW.round_id")} BEGIN SELECT RAISE(ABORT, '{frozen}'); END""")
        op.execute(f"""CREATE TRIGGER o_frozen_{table}_update BEFORE UPDATE ON {table}
            WHEN {published("OLD.round_id")} OR {published("NEW.round_id")}
            BEGIN SELECT RAISE(ABORT, '{frozen}'); END""")
        op.execute(f"""CREATE TRIGGER o_frozen_{table}_delete BEFORE DELETE ON {table}
            WHEN {published("OLD.round_id")} BEGIN SELECT RAISE(ABORT, '{frozen}'); END""")
        return
    published = "EXISTS (SELECT 1 FROM round r WHERE r.id = {}.round_id AND r.stage = 'published')"
    op.execute(f"""
        CREATE FUNCTION o_refuse_frozen_{table}() RETURNS trigger AS $$
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
        f"CREATE TRIGGER o_frozen_{table} BEFORE INSERT OR UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION o_refuse_frozen_{table}()"
    )


STAGES_BEFORE = (
    "draft", "selfcheck_open", "selfcheck_closed", "spotcheck_drawn", "spotcheck_done",
    "appraisal_certified", "computed", "under_review", "approved", "published",
)
STAGES_AFTER = (*STAGES_BEFORE[:-1], "publicity", "published")


def _round_stage_check(stages: tuple[str, ...]) -> None:
    """Replace the round.stage rule of v001 (CHECK on PostgreSQL, triggers on SQLite) by ``stages``."""
    values = ", ".join(f"'{v}'" for v in stages)
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f("ck_round_stage_allowed"), "round", type_="check")
        op.create_check_constraint("stage_allowed", "round", f"stage IN ({values})")
        return
    for event in ("insert", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS v_check_round_stage_{event}")
        op.execute(
            f"CREATE TRIGGER v_check_round_stage_{event} BEFORE {event.upper()} "
            + ("OF stage " if event == "update" else "")
            + f"ON round FOR EACH ROW WHEN NEW.stage NOT IN ({values}) "
            "BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: round.stage'); END"
        )


def downgrade() -> None:
    _round_stage_check(STAGES_BEFORE)
    for table in TABLES:
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS o_frozen_{table} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS o_refuse_frozen_{table}()")
        else:
            for what in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS o_frozen_{table}_{what}")
    op.drop_index(op.f("ix_objection_round_id"), table_name="objection")
    op.drop_index(op.f("ix_objection_period_id"), table_name="objection")
    op.drop_table("objection")
    op.drop_index(op.f("ix_publicityperiod_round_id"), table_name="publicityperiod")
    op.drop_table("publicityperiod")
