"""The stored codes of stages, statuses, decisions and methods are checked by the database.

PostgreSQL gets CHECK constraints. SQLite cannot add a constraint to an existing table without
rebuilding it (which would drop the freeze triggers of k001/p001/t001/y001), so it gets BEFORE INSERT
and BEFORE UPDATE triggers that refuse any other value, which is the same rule. The lists are written
out here on purpose (a migration is frozen history); ``tests/test_vocabulary.py`` checks that they
equal ``assess.foundation.vocabulary`` at head, value by value, on both databases.

Revision ID: v001
Revises: y001
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "v001"
down_revision = "y001"
branch_labels = None
depends_on = None

CHECKS: dict[tuple[str, str], tuple[str, ...]] = {
    ("round", "stage"): (
        "draft", "selfcheck_open", "selfcheck_closed", "spotcheck_drawn", "spotcheck_done",
        "appraisal_certified", "computed", "under_review", "approved", "published",
    ),
    ("appraisalsession", "status"): ("open", "certified"),
    ("ballotbatch", "status"): ("open", "certified", "void"),
    ("entrypass", "status"): ("open", "closed"),
    ("ballot", "status"): ("valid", "void", "blank"),
    ("passballot", "status"): ("valid", "void", "blank"),
    ("accountabilityentry", "status"): ("proposed", "confirmed", "waived"),
    ("reviewstep", "decision"): ("pass", "return"),
    ("indicator", "method"): ("points", "deduct", "bonus", "ratio", "veto", "group"),
}


def _values(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def add_check(table: str, column: str, values: tuple[str, ...]) -> None:
    name = f"{column}_allowed"
    if op.get_bind().dialect.name == "postgresql":
        op.create_check_constraint(name, table, f"{column} IN ({_values(values)})")
        return
    for event in ("insert", "update"):
        op.execute(
            f"CREATE TRIGGER v_check_{table}_{column}_{event} BEFORE {event.upper()} "
            + (f"OF {column} " if event == "update" else "")
            + f"ON {table} FOR EACH ROW WHEN NEW.{column} NOT IN ({_values(values)}) "
            f"BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {table}.{column}'); END"
        )


def drop_check(table: str, column: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f(f"ck_{table}_{column}_allowed"), table, type_="check")
        return
    for event in ("insert", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS v_check_{table}_{column}_{event}")


def upgrade() -> None:
    for (table, column), values in CHECKS.items():
        add_check(table, column, values)


def downgrade() -> None:
    for table, column in CHECKS:
        drop_check(table, column)
