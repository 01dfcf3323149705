"""publish freeze: database triggers refusing changes to a published round's data

A published (公示) round is frozen. The services refuse through ``guards.ensure_round_writable``;
these triggers refuse at the database too, on SQLite and PostgreSQL, for anything that bypasses
the services: INSERT/UPDATE/DELETE of results, accountability entries, scores, adjustments and
tally counts of a published round, any change to a published round's row, and any change to a
publication snapshot.

Revision ID: k001
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "k001"
down_revision = "0001"
branch_labels = None
depends_on = None

ROUND_TABLES = (
    "unitresult",
    "cadreresult",
    "accountabilityentry",
    "selfcheckscore",
    "spotcheckscore",
    "adjustment",
)
MESSAGE = "考核轮次已公示冻结，不能修改"


def _sqlite_upgrade() -> None:
    def published(ref: str) -> str:
        return f"(SELECT stage FROM round WHERE id = {ref}) = 'published'"

    for t in ROUND_TABLES:
        op.execute(f"""CREATE TRIGGER k_frozen_{t}_insert BEFORE INSERT ON {t} WHEN {published("NEW.round_id")}
            BEGIN SELECT RAISE(ABORT, '{MESSAGE}: {t}'); END""")
        op.execute(f"""CREATE TRIGGER k_frozen_{t}_update BEFORE UPDATE ON {t}
            WHEN {published("OLD.round_id")} OR {published("NEW.round_id")}
            BEGIN SELECT RAISE(ABORT, '{MESSAGE}: {t}'); END""")
        op.execute(f"""CREATE TRIGGER k_frozen_{t}_delete BEFORE DELETE ON {t} WHEN {published("OLD.round_id")}
            BEGIN SELECT RAISE(ABORT, '{MESSAGE}: {t}'); END""")
    tally_round = (
        "(SELECT r.stage FROM ballotbatch b JOIN appraisalsession s ON s.id = b.session_id "
        "JOIN round r ON r.id = s.round_id WHERE b.id = {}) = 'published'"
    )
    op.execute(f"""CREATE TRIGGER k_frozen_tallycount_insert BEFORE INSERT ON tallycount
        WHEN {tally_round.format("NEW.batch_id")} BEGIN SELECT RAISE(ABORT, '{MESSAGE}: tallycount'); END""")
    op.execute(f"""CREATE TRIGGER k_frozen_tallycount_update BEFORE UPDATE ON tallycount
        WHEN {tally_round.format("OLD.batch_id")} OR {tally_round.format("NEW.batch_id")}
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}: tallycount'); END""")
    op.execute(f"""CREATE TRIGGER k_frozen_tallycount_delete BEFORE DELETE ON tallycount
        WHEN {tally_round.format("OLD.batch_id")} BEGIN SELECT RAISE(ABORT, '{MESSAGE}: tallycount'); END""")
    op.execute(f"""CREATE TRIGGER k_frozen_round_update BEFORE UPDATE ON round WHEN OLD.stage = 'published'
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}: round'); END""")
    op.execute(f"""CREATE TRIGGER k_frozen_round_delete BEFORE DELETE ON round WHEN OLD.stage = 'published'
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}: round'); END""")
    op.execute(f"""CREATE TRIGGER k_frozen_snapshot_update BEFORE UPDATE ON snapshot
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}: snapshot'); END""")
    op.execute(f"""CREATE TRIGGER k_frozen_snapshot_delete BEFORE DELETE ON snapshot
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}: snapshot'); END""")


def _pg_upgrade() -> None:
    op.execute(f"""
        CREATE FUNCTION k_refuse_frozen_round_rows() RETURNS trigger AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') AND EXISTS (SELECT 1 FROM round WHERE id = OLD.round_id AND stage = 'published') THEN
                RAISE EXCEPTION '{MESSAGE}: % (round %)', TG_TABLE_NAME, OLD.round_id;
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') AND EXISTS (SELECT 1 FROM round WHERE id = NEW.round_id AND stage = 'published') THEN
                RAISE EXCEPTION '{MESSAGE}: % (round %)', TG_TABLE_NAME, NEW.round_id;
            END IF;
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;
        END $$ LANGUAGE plpgsql""")
    op.execute(f"""
        CREATE FUNCTION k_refuse_frozen_tally() RETURNS trigger AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') AND EXISTS (SELECT 1 FROM ballotbatch b JOIN appraisalsession s ON s.id = b.session_id
                    JOIN round r ON r.id = s.round_id WHERE b.id = OLD.batch_id AND r.stage = 'published') THEN
                RAISE EXCEPTION '{MESSAGE}: tallycount';
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') AND EXISTS (SELECT 1 FROM ballotbatch b JOIN appraisalsession s ON s.id = b.session_id
                    JOIN round r ON r.id = s.round_id WHERE b.id = NEW.batch_id AND r.stage = 'published') THEN
                RAISE EXCEPTION '{MESSAGE}: tallycount';
            END IF;
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;
        END $$ LANGUAGE plpgsql""")
    op.execute(f"""
        CREATE FUNCTION k_refuse_published_round() RETURNS trigger AS $$
        BEGIN
            IF OLD.stage = 'published' THEN
                RAISE EXCEPTION '{MESSAGE}: round %', OLD.id;
            END IF;
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;
        END $$ LANGUAGE plpgsql""")
    op.execute(f"""
        CREATE FUNCTION k_refuse_snapshot_change() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION '{MESSAGE}: snapshot';
        END $$ LANGUAGE plpgsql""")
    for t in ROUND_TABLES:
        op.execute(
            f"CREATE TRIGGER k_frozen_{t} BEFORE INSERT OR UPDATE OR DELETE ON {t} "
            "FOR EACH ROW EXECUTE FUNCTION k_refuse_frozen_round_rows()"
        )
    op.execute(
        "CREATE TRIGGER k_frozen_tallycount BEFORE INSERT OR UPDATE OR DELETE ON tallycount "
        "FOR EACH ROW EXECUTE FUNCTION k_refuse_frozen_tally()"
    )
    op.execute(
        "CREATE TRIGGER k_frozen_round BEFORE UPDATE OR DELETE ON round "
        "FOR EACH ROW EXECUTE FUNCTION k_refuse_published_round()"
    )
    op.execute(
        "CREATE TRIGGER k_frozen_snapshot BEFORE UPDATE OR DELETE ON snapshot "
        "FOR EACH ROW EXECUTE FUNCTION k_refuse_snapshot_change()"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _pg_upgrade()
    else:
        _sqlite_upgrade()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for t in (*ROUND_TABLES, "tallycount", "round", "snapshot"):
            op.execute(f"DROP TRIGGER IF EXISTS k_frozen_{t} ON {t}")
        for fn in (
            "k_refuse_frozen_round_rows",
            "k_refuse_frozen_tally",
            "k_refuse_published_round",
            "k_refuse_snapshot_change",
        ):
            op.execute(f"DROP FUNCTION IF EXISTS {fn}()")
        return
    for t in (*ROUND_TABLES, "tallycount", "round", "snapshot"):
        for what in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS k_frozen_{t}_{what}")
