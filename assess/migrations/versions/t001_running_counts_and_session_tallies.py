"""Running counts on entry passes (valid / void / blank, kept by every store and removal) so a
ballot's save costs the same whatever the pass size; session tally sums (``tallysum``: session ×
voter group × target × choice, added to when a batch is certified) so tallies and scores read
one row per cell instead of summing every batch's counts.

The sums belong to a round (through their session): like ``tallycount`` (k001) they are frozen
once the round is published, by triggers refusing INSERT, UPDATE and DELETE, on SQLite and
PostgreSQL. Existing databases get their sums from the certified batches' ``tallycount`` rows
before the triggers exist.

Revision ID: t001
Revises: c001
Create Date: 2026-12-01

Plain ADD COLUMN (no batch mode): rebuilding ``entrypass`` would drop its guard triggers. The
counts of existing passes are filled from their ballots; the b001 guard refuses any update of a
certified batch's pass, so it is lifted for that one statement and put back exactly as it was.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "t001"
down_revision = "c001"
branch_labels = None
depends_on = None

COUNT_COLUMNS = ("valid", "void", "blank")


def _entrypass_update_guard_sql(bind) -> str | None:
    """The SQL that created the SQLite guard on updates of ``entrypass`` (None if absent)."""
    return bind.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'guard_entrypass_update'")
    ).scalar()


def _fill_counts(bind) -> None:
    sets = ", ".join(
        f"{c} = (SELECT COUNT(*) FROM passballot pb WHERE pb.pass_id = entrypass.id AND pb.status = '{c}')"
        for c in COUNT_COLUMNS
    )
    fill = f"UPDATE entrypass SET {sets}"
    if bind.dialect.name == "sqlite":
        guard = _entrypass_update_guard_sql(bind)
        if guard:
            op.execute("DROP TRIGGER guard_entrypass_update")
        op.execute(fill)
        if guard:
            op.execute(guard)
    else:
        op.execute("ALTER TABLE entrypass DISABLE TRIGGER guard_entrypass")
        op.execute(fill)
        op.execute("ALTER TABLE entrypass ENABLE TRIGGER guard_entrypass")


FROZEN_MESSAGE = "考核轮次已公示冻结，不能修改"
_SUM_ROUND_PUBLISHED = (
    "(SELECT r.stage FROM appraisalsession s JOIN round r ON r.id = s.round_id WHERE s.id = {}) = 'published'"
)


def _create_sums() -> None:
    op.create_table(
        "tallysum",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("voter_group", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("choice", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"], ["appraisalsession.id"], name=op.f("fk_tallysum_session_id_appraisalsession")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tallysum")),
        sa.UniqueConstraint(
            "session_id", "voter_group", "position", "choice",
            name=op.f("uq_tallysum_session_id_voter_group_position_choice"),
        ),
    )
    op.create_index(op.f("ix_tallysum_session_id"), "tallysum", ["session_id"], unique=False)
    op.execute(
        "INSERT INTO tallysum (session_id, voter_group, position, choice, count) "
        "SELECT b.session_id, b.voter_group, c.position, c.choice, SUM(c.count) "
        "FROM tallycount c JOIN ballotbatch b ON b.id = c.batch_id WHERE b.status = 'certified' "
        "GROUP BY b.session_id, b.voter_group, c.position, c.choice"
    )


def _freeze_sums(bind) -> None:
    if bind.dialect.name == "sqlite":
        new, old = _SUM_ROUND_PUBLISHED.format("NEW.session_id"), _SUM_ROUND_PUBLISHED.format("OLD.session_id")
        op.execute(f"""CREATE TRIGGER t_frozen_tallysum_insert BEFORE INSERT ON tallysum WHEN {new}
            BEGIN SELECT RAISE(ABORT, '{FROZEN_MESSAGE}: tallysum'); END""")
        op.execute(f"""CREATE TRIGGER t_frozen_tallysum_update BEFORE UPDATE ON tallysum WHEN {old} OR {new}
            BEGIN SELECT RAISE(ABORT, '{FROZEN_MESSAGE}: tallysum'); END""")
        op.execute(f"""CREATE TRIGGER t_frozen_tallysum_delete BEFORE DELETE ON tallysum WHEN {old}
            BEGIN SELECT RAISE(ABORT, '{FROZEN_MESSAGE}: tallysum'); END""")
        return
    published = (
        "EXISTS (SELECT 1 FROM appraisalsession s JOIN round r ON r.id = s.round_id "
        "WHERE s.id = {}.session_id AND r.stage = 'published')"
    )
    op.execute(f"""
        CREATE FUNCTION t_refuse_frozen_tallysum() RETURNS trigger AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') AND {published.format("OLD")} THEN
                RAISE EXCEPTION '{FROZEN_MESSAGE}: tallysum';
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') AND {published.format("NEW")} THEN
                RAISE EXCEPTION '{FROZEN_MESSAGE}: tallysum';
            END IF;
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;
        END $$ LANGUAGE plpgsql""")
    op.execute(
        "CREATE TRIGGER t_frozen_tallysum BEFORE INSERT OR UPDATE OR DELETE ON tallysum "
        "FOR EACH ROW EXECUTE FUNCTION t_refuse_frozen_tallysum()"
    )


def upgrade() -> None:
    bind = op.get_bind()
    for c in COUNT_COLUMNS:
        op.add_column("entrypass", sa.Column(c, sa.Integer(), nullable=False, server_default="0"))
    _fill_counts(bind)
    _create_sums()
    _freeze_sums(bind)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS t_frozen_tallysum ON tallysum")
        op.execute("DROP FUNCTION IF EXISTS t_refuse_frozen_tallysum()")
    else:
        for what in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS t_frozen_tallysum_{what}")
    op.drop_index(op.f("ix_tallysum_session_id"), table_name="tallysum")
    op.drop_table("tallysum")
    # SQLite ≥ 3.35 drops a column in place (no table rebuild, the guard triggers stay).
    for c in COUNT_COLUMNS:
        op.execute(f"ALTER TABLE entrypass DROP COLUMN {c}")
