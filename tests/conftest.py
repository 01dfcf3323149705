"""Fixtures: real temporary databases (SQLite files and PostgreSQL databases), users per role.

The ``db`` fixture runs a test on SQLite and on PostgreSQL. PostgreSQL tests skip with a reason when
no server is reachable, except in CI (``CI`` set), where they fail instead: CI must run them.

Long proofs are marked ``slow`` (the 100-kill crash series, 1,000 mutations, the every-key sweep of
three roles). They are skipped in a default run and run when ``CI`` is set or when asked for with
``-m slow`` (``pytest -m "not slow"`` leaves them out even in CI).

For speed, temporary files go to /dev/shm when it has room (``_memory_tmpdir``), PostgreSQL test
databases are dropped on background threads, and the demo database is built once per process.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest

from assess.demo import builders
from assess.foundation import users
from assess.foundation.db import Database
from assess.foundation.roles import Actor


def _memory_tmpdir() -> None:
    """Temporary files (every test database, pytest's tmp_path, the subprocesses' temp files) go to
    a RAM-backed /dev/shm when it has room, as fsync there costs nothing: a SQLite commit under
    synchronous=FULL waits for the disk otherwise (on a busy disk building the demo took 11 s, of
    which 1.7 s CPU). The databases are still real files; the crash tests kill processes, which
    needs no disk flush.
    ``ASSESS_TEST_TMPDIR`` chooses another directory (empty: leave TMPDIR as it is)."""
    import tempfile

    wanted = os.environ.get("ASSESS_TEST_TMPDIR")
    if wanted is None:
        shm = Path("/dev/shm")
        try:
            st = os.statvfs(shm)
            wanted = str(shm) if st.f_bavail * st.f_frsize >= 4 << 30 and os.access(shm, os.W_OK) else ""
        except OSError:
            wanted = ""
    if wanted:
        os.environ["TMPDIR"] = wanted
        tempfile.tempdir = None  # gettempdir() reads TMPDIR again


_memory_tmpdir()

# Cheap Argon2 parameters for the test suite only; production code has no switch for them.
users.ARGON2_PARAMS.update(time_cost=1, memory_cost=1024, parallelism=1)
os.environ.setdefault("ASSESS_CONFIG", os.devnull)  # a machine's /etc/assess/config.toml never leaks into tests

PG_ADMIN_URL = os.environ.get("ASSESS_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PASSWORD = "correct-horse-1"


def _runs_slow(config) -> bool:
    expr = config.getoption("markexpr") or ""
    return bool(os.environ.get("CI")) or "slow" in expr.replace("not slow", "")


def pytest_collection_modifyitems(config, items):
    if _runs_slow(config):
        return
    skip = pytest.mark.skip(reason="长时间运行：设置 CI 或用 pytest -m slow 运行")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


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
    _drop_pg(name)


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


def drop_pg_now(name: str) -> None:
    import psycopg

    admin = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# Dropping a PostgreSQL database makes the server checkpoint (seconds each); the test that used it
# does not wait for that: drops run on background threads (concurrent drops share one checkpoint),
# all finished before the session ends.
_cleanup: list = []


def defer_cleanup(fn, *args) -> None:
    """Run ``fn(*args)`` on a background cleanup thread (finished by the end of the session)."""
    if not _cleanup:
        from concurrent.futures import ThreadPoolExecutor

        _cleanup.append(ThreadPoolExecutor(max_workers=8, thread_name_prefix="pg-drop"))
    _cleanup[0].submit(_logged, fn, *args)


def _logged(fn, *args) -> None:
    try:
        fn(*args)
    except Exception as e:  # pragma: no cover - a server gone away; the database stays behind
        import warnings

        warnings.warn(f"cleanup {fn.__name__}{args} failed: {e}", stacklevel=1)


def _drop_pg(name: str) -> None:
    defer_cleanup(drop_pg_now, name)


def pytest_sessionfinish(session, exitstatus):
    if _cleanup:
        _cleanup.pop().shutdown(wait=True)


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


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory, sqlite_template) -> Path:
    """The demo database (``assess.demo.build_demo``), built once per test process."""
    from assess.demo.office import build_demo

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    shutil.copyfile(sqlite_template, path)
    os.chmod(path, 0o600)
    db = Database(f"sqlite:///{path}")
    build_demo(db)
    db.dispose()
    return path


@pytest.fixture
def demo_db(demo_template, tmp_path) -> Database:
    """A fresh copy of the demo database."""
    path = tmp_path / "demo.db"
    shutil.copyfile(demo_template, path)
    d = Database(f"sqlite:///{path}")
    yield d
    d.dispose()


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
    """One user per role (two clerks and two reviewers), all with PASSWORD (``builders.STAFF``)."""
    return builders.users(db, PASSWORD)


@pytest.fixture
def actors(db) -> dict[str, Actor]:
    return make_users(db)
