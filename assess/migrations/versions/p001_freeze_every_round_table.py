"""freeze every table that belongs to a round once the round is published

k001 froze the results, scores, adjustments and tally counts of a published round. The other
tables that belong to a round (directly through ``round_id`` or through its appraisal sessions,
ballot batches and entry passes) accepted a plain UPDATE after publication. These triggers refuse
INSERT, UPDATE and DELETE on each of them, on SQLite and PostgreSQL, when the row belongs (before
or after the change) to a published round.

What stays writable after publication (docs/reliability.md, "已公示轮次"): ``rectification`` and
``rectificationevent`` (the follow-up of a finding's notice outlives the round; no published
figure reads them) and the master data ``unit`` / ``cadre`` (a published round shows the names
stored in its snapshot). ``schemeversion`` and ``indicator`` are immutable for every round (s001).

These are plain CREATE TRIGGER statements: no table is rebuilt, so no earlier trigger is dropped.

Revision ID: p001
Revises: c001
"""

from __future__ import annotations

from alembic import op

revision = "p001"
down_revision = "c001"
branch_labels = None
depends_on = None

MESSAGE = "考核轮次已公示冻结，不能修改"

# table → SQL giving the round id of a row ({r} is NEW or OLD)
ROUND_OF = {
    "appraisalsession": "{r}.round_id",
    "reviewstep": "{r}.round_id",
    "approvalvote": "{r}.round_id",
    "roundunit": "{r}.round_id",
    "spotcheckdraw": "{r}.round_id",
    "finding": "{r}.round_id",
    "disciplineaction": "{r}.round_id",
    "appraisaltarget": "(SELECT round_id FROM appraisalsession WHERE id = {r}.session_id)",
    "cadrestatement": "(SELECT round_id FROM appraisalsession WHERE id = {r}.session_id)",
    "cadrequestion": "(SELECT round_id FROM appraisalsession WHERE id = {r}.session_id)",
    "sessionvotergroup": "(SELECT round_id FROM appraisalsession WHERE id = {r}.session_id)",
    "ballotbatch": "(SELECT round_id FROM appraisalsession WHERE id = {r}.session_id)",
    "entrypass": (
        "(SELECT s.round_id FROM ballotbatch b JOIN appraisalsession s ON s.id = b.session_id "
        "WHERE b.id = {r}.batch_id)"
    ),
    "ballot": (
        "(SELECT s.round_id FROM ballotbatch b JOIN appraisalsession s ON s.id = b.session_id "
        "WHERE b.id = {r}.batch_id)"
    ),
    "ballotresolution": (
        "(SELECT s.round_id FROM ballotbatch b JOIN appraisalsession s ON s.id = b.session_id "
        "WHERE b.id = {r}.batch_id)"
    ),
    "passballot": (
        "(SELECT s.round_id FROM entrypass p JOIN ballotbatch b ON b.id = p.batch_id "
        "JOIN appraisalsession s ON s.id = b.session_id WHERE p.id = {r}.pass_id)"
    ),
}


def _published(table: str, ref: str) -> str:
    return f"EXISTS (SELECT 1 FROM round WHERE id = {ROUND_OF[table].format(r=ref)} AND stage = 'published')"


def _sqlite_upgrade() -> None:
    for t in ROUND_OF:
        raise_ = f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}: {t}'); END"
        op.execute(
            f"CREATE TRIGGER p_frozen_{t}_insert BEFORE INSERT ON {t} WHEN {_published(t, 'NEW')} {raise_}"
        )
        op.execute(
            f"CREATE TRIGGER p_frozen_{t}_update BEFORE UPDATE ON {t} "
            f"WHEN {_published(t, 'OLD')} OR {_published(t, 'NEW')} {raise_}"
        )
        op.execute(
            f"CREATE TRIGGER p_frozen_{t}_delete BEFORE DELETE ON {t} WHEN {_published(t, 'OLD')} {raise_}"
        )


def _pg_upgrade() -> None:
    for t in ROUND_OF:
        op.execute(f"""
            CREATE FUNCTION p_refuse_frozen_{t}() RETURNS trigger AS $$
            BEGIN
                IF TG_OP IN ('UPDATE', 'DELETE') AND {_published(t, "OLD")} THEN
                    RAISE EXCEPTION '{MESSAGE}: {t}';
                END IF;
                IF TG_OP IN ('INSERT', 'UPDATE') AND {_published(t, "NEW")} THEN
                    RAISE EXCEPTION '{MESSAGE}: {t}';
                END IF;
                IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
                RETURN NEW;
            END $$ LANGUAGE plpgsql""")
        op.execute(
            f"CREATE TRIGGER p_frozen_{t} BEFORE INSERT OR UPDATE OR DELETE ON {t} "
            f"FOR EACH ROW EXECUTE FUNCTION p_refuse_frozen_{t}()"
        )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _pg_upgrade()
    else:
        _sqlite_upgrade()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for t in ROUND_OF:
            op.execute(f"DROP TRIGGER IF EXISTS p_frozen_{t} ON {t}")
            op.execute(f"DROP FUNCTION IF EXISTS p_refuse_frozen_{t}()")
        return
    for t in ROUND_OF:
        for what in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS p_frozen_{t}_{what}")
