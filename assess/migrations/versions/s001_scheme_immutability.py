"""scheme immutability: database triggers refusing any change to a stored scheme version

A scheme version is immutable once stored, whether a round uses it or not: the loader only ever
inserts a new version (``assess.schemes.store.store_version``), and rounds keep computing with the
version they were created under. These triggers refuse UPDATE and DELETE of ``schemeversion`` and
``indicator`` rows on SQLite and PostgreSQL, for anything that bypasses the services.

Note for later migrations on SQLite: a ``batch_alter_table`` that recreates one of these tables
drops its triggers; re-create them (``_sqlite_upgrade``) after such a change.

Revision ID: s001
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "s001"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = ("schemeversion", "indicator")
MESSAGE = "考核方案版本一经载入不能修改或删除：请载入新版本"


def _sqlite_upgrade() -> None:
    for t in TABLES:
        for what in ("update", "delete"):
            op.execute(
                f"CREATE TRIGGER s_immutable_{t}_{what} BEFORE {what.upper()} ON {t} "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}: {t}'); END"
            )


def _pg_upgrade() -> None:
    op.execute(f"""
        CREATE FUNCTION s_refuse_scheme_version_change() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION '{MESSAGE}: % (id %)', TG_TABLE_NAME, OLD.id;
        END $$ LANGUAGE plpgsql""")
    for t in TABLES:
        op.execute(
            f"CREATE TRIGGER s_immutable_{t} BEFORE UPDATE OR DELETE ON {t} "
            "FOR EACH ROW EXECUTE FUNCTION s_refuse_scheme_version_change()"
        )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _pg_upgrade()
    else:
        _sqlite_upgrade()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for t in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS s_immutable_{t} ON {t}")
        op.execute("DROP FUNCTION IF EXISTS s_refuse_scheme_version_change()")
        return
    for t in TABLES:
        for what in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS s_immutable_{t}_{what}")
