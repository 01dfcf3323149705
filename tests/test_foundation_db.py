"""The database layer: pragmas, immediate transactions, migrations agree with the models."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading

import pytest
from sqlalchemy import text

from assess.foundation.db import Database


def test_sqlite_pragmas(sqlite_db):
    with sqlite_db.read() as s:
        conn = s.connection()
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_new_sqlite_file_is_private(tmp_path):
    path = tmp_path / "sub" / "new.db"
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    mode = stat.S_IMODE(os.stat(path).st_mode)
    assert mode == 0o600, oct(mode)
    db.dispose()


def test_write_transactions_begin_immediate(sqlite_db):
    """While one writer holds a write transaction, a second writer waits instead of failing at
    commit: with IMMEDIATE the lock is taken at BEGIN."""
    from assess.foundation import audit

    started = threading.Event()
    release = threading.Event()
    errors: list[BaseException] = []

    def first():
        try:
            with sqlite_db.write() as s:
                audit.append(s, "t1", "test.first", {})
                started.set()
                release.wait(5)
        except BaseException as e:  # pragma: no cover
            errors.append(e)

    t = threading.Thread(target=first)
    t.start()
    assert started.wait(5)
    # A raw second connection trying BEGIN IMMEDIATE with no busy wait must see the lock now:
    import sqlite3

    raw = sqlite3.connect(sqlite_db.path, timeout=0, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        raw.execute("BEGIN IMMEDIATE")
    raw.close()
    release.set()
    t.join()
    assert not errors
    # And two writers through the application both succeed, one after the other.
    results = []

    def writer(i):
        with sqlite_db.write() as s:
            results.append(audit.append(s, f"w{i}", "test.w", {"i": i})[0])

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(results) == [2, 3, 4, 5, 6, 7]
    assert audit.verify(sqlite_db).ok


def test_models_and_migrations_agree(db):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    import assess.models as models

    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, models.metadata)
    assert diff == [], diff
    assert db.current_revision() == db.head_revision()


def test_upgrade_of_older_database_takes_backup_first(tmp_path):
    from alembic import command

    path = tmp_path / "old.db"
    db = Database(f"sqlite:///{path}")
    heads = db.head_revision()
    if heads == "0001":
        pytest.skip("only one migration exists: nothing older to upgrade from yet")
    # An older database: the first migration only, with data in it.
    with db.engine.begin() as conn:
        command.upgrade(db._alembic_config(conn), "0001")
        conn.execute(text("INSERT INTO unit (code, name, category, active, created_at) VALUES ('X','x','c',1,'2026-01-01')"))
    assert db.current_revision() == "0001"
    backup = db.upgrade()
    assert backup is not None and backup.exists()
    assert db.current_revision() == heads
    import sqlite3

    con = sqlite3.connect(backup)
    assert con.execute("SELECT version_num FROM alembic_version").fetchall() == [("0001",)]
    assert con.execute("SELECT code FROM unit").fetchall() == [("X",)]
    con.close()
    with db.read() as s:
        assert s.connection().execute(text("SELECT code FROM unit")).scalar() == "X"


def test_import_assess_does_not_import_textual():
    code = (
        "import sys, assess, assess.cli, assess.cli.common, assess.foundation.db, assess.models, assess.foundation.audit, assess.org.units, "
        "assess.foundation.users, assess.foundation.roles, assess.foundation.input_tables\n"
        "import pkgutil, importlib\n"
        "for m in pkgutil.walk_packages(assess.__path__, 'assess.'):\n"
        "    if '.migrations.versions' in m.name or m.name.endswith(('.env', '__main__')):\n"
        "        continue\n"
        "    importlib.import_module(m.name)\n"
        "bad = sorted(k for k in sys.modules if k == 'textual' or k.startswith(('textual.', 'tui')))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"assess imported: {out.stdout}"


def test_import_assess_is_cheap():
    code = "import sys, assess, assess.cli; print(','.join(sorted(k for k in ('pandas','plotly','kaleido','sqlmodel','textual') if k in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_script_heads_match_alembic():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from assess.foundation.db import MIGRATIONS_DIR, script_heads

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert script_heads() == set(ScriptDirectory.from_config(cfg).get_heads())
