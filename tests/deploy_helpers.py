"""Fixtures for the deployment tests: PostgreSQL owner and application roles made from the SQL that
``assess init --print-roles-sql`` prints."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid

import pytest

from assess.cli import dispatch

from .conftest import PG_ADMIN_URL, _pg_reachable, defer_cleanup


def _admin_conn():
    import psycopg

    return psycopg.connect(PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)


@pytest.fixture(name="roles")
def roles_fixture(tmp_path, capsys):
    """Owner and application roles and their database on the test server; dropped afterwards."""
    reason = _pg_reachable() or (None if shutil.which("psql") else "没有 psql 客户端")
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI 中必须运行 PostgreSQL 测试：{reason}")
        pytest.skip(reason)
    tag = uuid.uuid4().hex[:10]
    owner, app, name = f"assess_owner_{tag}", f"assess_app_{tag}", f"assess_rt_{tag}"
    assert dispatch(["init", "--print-roles-sql", "--owner-role", owner, "--app-role", app,
                     "--database-name", name]) == 0
    sql = capsys.readouterr().out
    (tmp_path / "roles.sql").write_text(sql, encoding="utf-8")
    base = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", base, "-f", str(tmp_path / "roles.sql")],
                   check=True, capture_output=True, timeout=60)
    server = PG_ADMIN_URL.rsplit("@", 1)[1].rsplit("/", 1)[0]
    urls = {"owner": f"postgresql+psycopg://{owner}@{server}/{name}", "app": f"postgresql+psycopg://{app}@{server}/{name}",
            "owner_role": owner, "app_role": app}
    yield urls
    defer_cleanup(_drop_database_and_roles, name, app, owner)


def _drop_database_and_roles(name: str, app: str, owner: str) -> None:
    with _admin_conn() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'DROP ROLE IF EXISTS "{app}"')
        conn.execute(f'DROP ROLE IF EXISTS "{owner}"')
