"""ballot resolutions; database guards that keep certified batches and ballots immutable

Revision ID: b001
Revises: 0001
Create Date: 2026-11-24 09:00:00

A certified batch never changes, whatever writes to the database: ``ballot`` rows are never
updated or deleted, and no row of ``ballot``, ``tallycount``, ``entrypass``, ``passballot`` or
``ballotresolution`` belonging to a certified batch may be inserted, updated or deleted; the
certified ``ballotbatch`` row itself is frozen. Enforced by triggers on SQLite and PostgreSQL.

Note for later migrations on SQLite: a ``batch_alter_table`` that recreates one of these tables
drops its triggers; re-create them (``create_guards``) after such a change.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "b001"
down_revision = "0001"
branch_labels = None
depends_on = None

MESSAGE = "已核定的选票批次及其选票不能修改或删除"
BALLOT_MESSAGE = "选票一经核定不能修改或删除"

# table -> SQL giving the batch id of a row (NEW or OLD as the row alias)
_BATCH_OF = {
    "tallycount": "{row}.batch_id",
    "entrypass": "{row}.batch_id",
    "ballotresolution": "{row}.batch_id",
    "ballot": "{row}.batch_id",
    "passballot": "(SELECT batch_id FROM entrypass WHERE entrypass.id = {row}.pass_id)",
}


def _certified(table: str, row: str) -> str:
    batch = _BATCH_OF[table].format(row=row)
    return f"(SELECT status FROM ballotbatch WHERE ballotbatch.id = {batch}) = 'certified'"


def _sqlite_guards() -> list[str]:
    out = [
        f"CREATE TRIGGER IF NOT EXISTS guard_ballot_update BEFORE UPDATE ON ballot BEGIN SELECT RAISE(ABORT, '{BALLOT_MESSAGE}'); END",
        f"CREATE TRIGGER IF NOT EXISTS guard_ballot_delete BEFORE DELETE ON ballot BEGIN SELECT RAISE(ABORT, '{BALLOT_MESSAGE}'); END",
        f"CREATE TRIGGER IF NOT EXISTS guard_ballot_insert BEFORE INSERT ON ballot WHEN {_certified('ballot', 'NEW')} "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
        f"CREATE TRIGGER IF NOT EXISTS guard_ballotbatch_update BEFORE UPDATE ON ballotbatch WHEN OLD.status = 'certified' "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
        f"CREATE TRIGGER IF NOT EXISTS guard_ballotbatch_delete BEFORE DELETE ON ballotbatch WHEN OLD.status = 'certified' "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
    ]
    for table in ("tallycount", "entrypass", "passballot", "ballotresolution"):
        out.append(
            f"CREATE TRIGGER IF NOT EXISTS guard_{table}_insert BEFORE INSERT ON {table} WHEN {_certified(table, 'NEW')} "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )
        out.append(
            f"CREATE TRIGGER IF NOT EXISTS guard_{table}_update BEFORE UPDATE ON {table} "
            f"WHEN {_certified(table, 'OLD')} OR {_certified(table, 'NEW')} "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )
        out.append(
            f"CREATE TRIGGER IF NOT EXISTS guard_{table}_delete BEFORE DELETE ON {table} WHEN {_certified(table, 'OLD')} "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )
    return out


def _pg_guards() -> list[str]:
    out = [
        f"""CREATE OR REPLACE FUNCTION assess_guard_ballot() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    RAISE EXCEPTION '{BALLOT_MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF {_certified("ballot", "NEW")} THEN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$""",
        "DROP TRIGGER IF EXISTS guard_ballot ON ballot",
        "CREATE TRIGGER guard_ballot BEFORE INSERT OR UPDATE OR DELETE ON ballot "
        "FOR EACH ROW EXECUTE FUNCTION assess_guard_ballot()",
        f"""CREATE OR REPLACE FUNCTION assess_guard_ballotbatch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status = 'certified' THEN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$""",
        "DROP TRIGGER IF EXISTS guard_ballotbatch ON ballotbatch",
        "CREATE TRIGGER guard_ballotbatch BEFORE UPDATE OR DELETE ON ballotbatch "
        "FOR EACH ROW EXECUTE FUNCTION assess_guard_ballotbatch()",
    ]
    for table in ("tallycount", "entrypass", "passballot", "ballotresolution"):
        out.append(f"""CREATE OR REPLACE FUNCTION assess_guard_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND {_certified(table, "OLD")} THEN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND {_certified(table, "NEW")} THEN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$""")
        out.append(f"DROP TRIGGER IF EXISTS guard_{table} ON {table}")
        out.append(
            f"CREATE TRIGGER guard_{table} BEFORE INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION assess_guard_{table}()"
        )
    return out


def create_guards(bind) -> None:
    statements = _sqlite_guards() if bind.dialect.name == "sqlite" else _pg_guards()
    for sql in statements:
        op.execute(sql)


def drop_guards(bind) -> None:
    if bind.dialect.name == "sqlite":
        names = [
            "guard_ballot_update",
            "guard_ballot_delete",
            "guard_ballot_insert",
            "guard_ballotbatch_update",
            "guard_ballotbatch_delete",
        ]
        for table in ("tallycount", "entrypass", "passballot", "ballotresolution"):
            names += [f"guard_{table}_insert", f"guard_{table}_update", f"guard_{table}_delete"]
        for name in names:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        return
    for table in ("ballot", "ballotbatch", "tallycount", "entrypass", "passballot", "ballotresolution"):
        op.execute(f"DROP TRIGGER IF EXISTS guard_{table} ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS assess_guard_{table}()")


def upgrade() -> None:
    # Idempotent: a database stamped back to 0001 after this ran upgrades cleanly again.
    if sa.inspect(op.get_bind()).has_table("ballotresolution"):
        create_guards(op.get_bind())
        return
    op.create_table(
        "ballotresolution",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("ballot_no", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("resolved_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["ballotbatch.id"], name=op.f("fk_ballotresolution_batch_id_ballotbatch")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ballotresolution")),
        sa.UniqueConstraint(
            "batch_id", "ballot_no", "position", name=op.f("uq_ballotresolution_batch_id_ballot_no_position")
        ),
    )
    with op.batch_alter_table("ballotresolution", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ballotresolution_batch_id"), ["batch_id"], unique=False)
    create_guards(op.get_bind())


def downgrade() -> None:
    drop_guards(op.get_bind())
    with op.batch_alter_table("ballotresolution", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ballotresolution_batch_id"))
    op.drop_table("ballotresolution")
