"""Online backup during writes, restore with checks before and after."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from assess.foundation import audit
from assess.foundation.errors import AssessError, PermissionDenied
from assess.integrity.backup import backup, check_database, restore
from assess.org.units import add_unit, list_units

from .conftest import make_users


def test_backup_during_entry_then_restore(sqlite_db, tmp_path):
    actors = make_users(sqlite_db)
    admin = actors["admin"]
    stop = threading.Event()
    written: list[str] = []

    def writer():
        i = 0
        while not stop.is_set() and i < 200:
            code = f"W{i:03d}"
            add_unit(sqlite_db, actors["clerk"], code, f"单位{i}", "政府部门")
            written.append(code)
            i += 1

    t = threading.Thread(target=writer)
    t.start()
    while len(written) < 5:
        pass
    path, head = backup(sqlite_db, admin, tmp_path / "b.db")
    stop.set()
    t.join()
    assert path.exists()
    # The backup is consistent: its own checks pass and it holds a prefix of what was written.
    from assess.foundation.db import Database

    copy = Database(f"sqlite:///{path}")
    res = check_database(copy)
    assert res.ok and res.audit_head == head
    in_copy = {u.code for u in list_units(copy)}
    copy.dispose()
    assert in_copy and in_copy <= set(written)
    # Restore over the live database: everything after the backup is gone, checks pass.
    result, safety = restore(sqlite_db, admin, path)
    assert result.ok and safety.exists()
    assert {u.code for u in list_units(sqlite_db)} == in_copy
    assert audit.verify(sqlite_db).ok


def test_restore_refuses_tampered_backup_and_changes_nothing(sqlite_db, tmp_path):
    actors = make_users(sqlite_db)
    add_unit(sqlite_db, actors["admin"], "U1", "财政局", "政府部门")
    path, _ = backup(sqlite_db, actors["admin"], tmp_path / "b.db")
    import sqlite3

    con = sqlite3.connect(path)
    con.execute("UPDATE auditrecord SET actor = 'mallory' WHERE seq = 2")
    con.commit()
    con.close()
    add_unit(sqlite_db, actors["admin"], "U2", "税务局", "执法部门")
    with pytest.raises(AssessError, match="未通过校验"):
        restore(sqlite_db, actors["admin"], path)
    assert {u.code for u in list_units(sqlite_db)} == {"U1", "U2"}


def test_restore_refuses_non_database_file(sqlite_db, tmp_path):
    actors = make_users(sqlite_db)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all")
    with pytest.raises(AssessError, match="不是 SQLite"):
        restore(sqlite_db, actors["admin"], junk)


def test_only_admin_backs_up_and_restores(sqlite_db, tmp_path):
    actors = make_users(sqlite_db)
    with pytest.raises(PermissionDenied):
        backup(sqlite_db, actors["clerk"], tmp_path / "x.db")
    with pytest.raises(PermissionDenied):
        restore(sqlite_db, actors["reviewer"], tmp_path / "x.db")


def test_backup_is_not_a_file_copy_of_an_open_wal(sqlite_db, tmp_path):
    """Rows still in the WAL (not yet checkpointed) are in the backup."""
    actors = make_users(sqlite_db)
    add_unit(sqlite_db, actors["admin"], "U9", "审计局", "政府部门")
    with sqlite_db.read() as s:
        assert s.connection().execute(text("SELECT count(*) FROM unit")).scalar() == 1
    path, _ = backup(sqlite_db, actors["admin"], tmp_path / "c.db")
    import sqlite3

    con = sqlite3.connect(path)
    assert con.execute("SELECT code FROM unit").fetchall() == [("U9",)]
    con.close()
