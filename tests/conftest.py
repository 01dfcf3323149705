"""Fixtures: real temporary databases (SQLite files and PostgreSQL databases), users per role.

The ``db`` fixture runs a test on SQLite and on PostgreSQL. PostgreSQL tests skip with a reason when
no server is reachable, except in CI (``CI`` set), where they fail instead: CI must run them.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest

from assess.foundation import users
from assess.foundation.db import Database
from assess.foundation.roles import Actor

# Cheap Argon2 parameters for the test suite only; production code has no switch for them.
users.ARGON2_PARAMS.update(time_cost=1, memory_cost=1024, parallelism=1)
os.environ.setdefault("ASSESS_CONFIG", os.devnull)  # a machine's /etc/assess/config.toml never leaks into tests

PG_ADMIN_URL = os.environ.get("ASSESS_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PASSWORD = "correct-horse-1"


def _pg_reachable() -> str | None:
    try:
        import psycopg

        url = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(url, connect_timeout=3):
            return None
    except Exception as e:  # pragma: no cover - depends on the machine
        return f"PostgreSQL 不可达（{PG_ADMIN_URL}）：{str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "template.db"
    db = Database(f"sqlite:///{path}")
    db.upgrade(backup=False)
    db.dispose()
    return path


@pytest.fixture(scope="session")
def pg_template():
    reason = _pg_reachable()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI 中必须运行 PostgreSQL 测试：{reason}")
        pytest.skip(reason)
    import psycopg

    admin = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    name = f"assess_tpl_{os.getpid()}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    db = Database(url)
    db.upgrade(backup=False)
    db.dispose()
    yield name
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _sqlite_db(tmp_path: Path, template: Path) -> Database:
    path = tmp_path / "assess.foundation.db"
    shutil.copyfile(template, path)
    os.chmod(path, 0o600)
    return Database(f"sqlite:///{path}")


def _pg_db(template: str):
    import psycopg

    admin = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    name = f"assess_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    return Database(url), name


def _drop_pg(name: str) -> None:
    import psycopg

    admin = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def db(request, tmp_path, sqlite_template):
    """A fresh, migrated database: SQLite file, then PostgreSQL."""
    if request.param == "sqlite":
        d = _sqlite_db(tmp_path, sqlite_template)
        yield d
        d.dispose()
    else:
        template = request.getfixturevalue("pg_template")
        d, name = _pg_db(template)
        yield d
        d.dispose()
        _drop_pg(name)


@pytest.fixture
def sqlite_db(tmp_path, sqlite_template) -> Database:
    d = _sqlite_db(tmp_path, sqlite_template)
    yield d
    d.dispose()


@pytest.fixture
def pg_db(pg_template):
    d, name = _pg_db(pg_template)
    yield d
    d.dispose()
    _drop_pg(name)


def make_users(db: Database) -> dict[str, Actor]:
    """One user per role (two clerks and two reviewers), all with PASSWORD."""
    from assess.foundation.users import add_user

    admin = Actor("admin", "admin")
    add_user(db, None, "admin", "admin", PASSWORD, "管理员")
    people = [("clerk", "clerk"), ("clerk2", "clerk"), ("inspector", "inspector"), ("reviewer", "reviewer"),
              ("reviewer2", "reviewer"), ("committee", "committee")]
    for name, role in people:
        add_user(db, admin, name, role, PASSWORD, name)
    return {"admin": admin, **{name: Actor(name, role) for name, role in people}}


@pytest.fixture
def actors(db) -> dict[str, Actor]:
    return make_users(db)
