"""PostgreSQL least privilege: the roles are created from ``assess init --print-roles-sql``, the
owner migrates and grants with ``assess init``, a round is taken through publication as the
application role, and the statements that would undo the freeze are refused for that role."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from assess.cli import dispatch
from assess.foundation.db import Database, open_database

from .deploy_helpers import roles_fixture  # noqa: F401  (the roles fixture)
from .reliability_helpers import published_round

pytestmark = pytest.mark.pg


REFUSED = [
    "DROP TRIGGER guard_ballot ON ballot",
    "ALTER TABLE ballot DISABLE TRIGGER guard_ballot",
    "ALTER TABLE round DISABLE TRIGGER ALL",
    "CREATE TABLE notes (id integer)",
    "TRUNCATE auditrecord",
    "DROP TABLE auditrecord",
    "ALTER TABLE auditrecord ADD COLUMN extra text",
    "CREATE FUNCTION f() RETURNS integer LANGUAGE sql AS 'SELECT 1'",
]


def test_application_role_runs_a_round_but_cannot_change_schema_or_triggers(roles, tmp_path, capsys):
    assert dispatch(["init", "--db", roles["owner"], "--app-role", roles["app_role"]]) == 0
    out = capsys.readouterr().out
    assert f"已授予应用角色 {roles['app_role']}" in out

    from assess.integrity import pg_roles
    from assess.integrity.verify import verify_all

    db = open_database(roles["app"])  # what the app does on start: nothing to migrate, no error
    try:
        assert pg_roles.current_role(db) == roles["app_role"] and not pg_roles.owned_tables(db)
        built = published_round(db, tmp_path)
        report = verify_all(db)
        assert report.ok, report.lines()
        assert report.rounds == 1 and report.batches == 3
        for stmt in REFUSED:
            with pytest.raises(Exception) as e, db.engine.begin() as conn:
                conn.exec_driver_sql(stmt)
            assert getattr(e.value.orig, "sqlstate", None) == "42501", (stmt, e.value)  # insufficient_privilege
        # The nightly job's pg_dump works as the application role (it can read every row).
        if shutil.which("pg_dump"):
            dump = tmp_path / "nightly.dump"
            r = subprocess.run(["pg_dump", "-Fc", "-f", str(dump), roles["app"].replace("postgresql+psycopg:", "postgresql:")],
                               capture_output=True, text=True, timeout=120)
            assert r.returncode == 0 and dump.stat().st_size > 0, r.stderr
        # The freeze trigger still answers for the application role.
        with pytest.raises(Exception, match="已公示冻结"), db.engine.begin() as conn:
            conn.exec_driver_sql(f"UPDATE round SET name = 'x' WHERE id = {built.round_id}")
    finally:
        db.dispose()

    # Control: the same statement works for the owner (so the refusal above is about the role).
    owner = Database(roles["owner"])
    try:
        assert pg_roles.owned_tables(owner)
        with owner.engine.connect() as conn:
            trans = conn.begin()
            conn.exec_driver_sql("DROP TRIGGER guard_ballot ON ballot")
            trans.rollback()
    finally:
        owner.dispose()


def test_init_refuses_a_missing_application_role(roles, capsys):
    assert dispatch(["init", "--db", roles["owner"], "--app-role", "no_such_role_x"]) == 1
    assert "角色 no_such_role_x 不存在" in capsys.readouterr().err
    db = Database(roles["owner"])
    try:
        assert db.current_revision() is None  # refused before migrating: nothing changed
    finally:
        db.dispose()


def test_roles_sql_refuses_bad_names(capsys):
    assert dispatch(["init", "--print-roles-sql", "--app-role", "app; DROP"]) == 1
    assert "角色名" in capsys.readouterr().err


def test_application_role_does_not_migrate_an_older_schema(roles, capsys):
    assert dispatch(["init", "--db", roles["owner"], "--app-role", roles["app_role"]]) == 0
    owner = Database(roles["owner"])
    try:  # the schema as it was one migration ago (the latest migration downgraded by the owner)
        from alembic import command

        with owner.engine.begin() as conn:
            command.downgrade(owner._alembic_config(conn), "-1")
    finally:
        owner.dispose()
    capsys.readouterr()
    assert dispatch(["user", "list", "--db", roles["app"]]) == 1
    err = capsys.readouterr().err
    assert "请以所有者角色运行 assess init" in err and "Traceback" not in err
    assert dispatch(["init", "--db", roles["owner"]]) == 0  # the owner upgrades it
    assert dispatch(["user", "list", "--db", roles["app"]]) == 0
