"""Hardening (issue 11, point 6), each attack reproduced and shown to fail: backup onto the live
database, a mistyped --db, database errors with SQL, million-line error lists, deep TOML, and a
weak-hash switch in production code."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from assess.demo import builders
from assess.foundation import audit
from assess.foundation.errors import MAX_LISTED, AssessError, InputErrors, user_message
from assess.integrity import backup as maintenance
from assess.integrity.verify import verify_all
from assess.workflow import advance as workflow

from .conftest import PASSWORD, make_users

ROOT = Path(__file__).resolve().parent.parent


def cli(*args: str, user: str | None = None, password: str | None = None, timeout: float = 120):
    env = dict(os.environ)
    env.pop("ASSESS_USER", None)
    env.pop("ASSESS_PASSWORD", None)
    env["PYTHONPATH"] = str(ROOT)
    if user:
        env["ASSESS_USER"] = user
        env["ASSESS_PASSWORD"] = password or ""
    return subprocess.run([sys.executable, "-m", "assess", *args], capture_output=True, text=True, env=env,
                          timeout=timeout)


def one_chinese_line(message: str) -> None:
    assert "\n" not in message.strip(), message
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message
    for leak in ("INSERT", "UPDATE ", "SELECT", "[SQL", "parameters", "Traceback", "DETAIL"):
        assert leak not in message, message


# -- backup ----------------------------------------------------------------------------------------

def test_backup_refuses_its_own_database_by_path_symlink_and_hard_link(sqlite_db, tmp_path):
    actors = make_users(sqlite_db)
    live = sqlite_db.path
    size, head = live.stat().st_size, audit.chain_head(sqlite_db)
    link = tmp_path / "elsewhere" / "link.db"
    link.parent.mkdir()
    link.symlink_to(live)
    hard = tmp_path / "hard.db"
    os.link(live, hard)
    dotted = live.parent / "." / live.name
    for target in (live, dotted, link, hard, Path(str(live) + "-wal")):
        with pytest.raises(AssessError, match="正在使用的数据库"):
            maintenance.backup(sqlite_db, actors["admin"], target)
    assert live.exists() and live.stat().st_size >= size
    assert audit.chain_head(sqlite_db) == head and verify_all(sqlite_db).ok
    # The CLI says so in one line and exits 1 promptly (it used to unlink the file and hang).
    r = cli("backup", str(link), "--db", str(live), user="admin", password=PASSWORD, timeout=60)
    assert r.returncode == 1 and "正在使用的数据库" in r.stderr and r.stderr.count("\n") == 1
    assert verify_all(sqlite_db).ok


def test_interrupted_backup_leaves_the_previous_backup_and_no_partial_file(sqlite_db, tmp_path, monkeypatch):
    actors = make_users(sqlite_db)
    dest = tmp_path / "nightly.db"
    maintenance.backup(sqlite_db, actors["admin"], dest)
    before = dest.read_bytes()
    users_before = 7
    from assess.foundation.users import add_user

    add_user(sqlite_db, actors["admin"], "late", "clerk", PASSWORD)
    import assess.foundation.db as dbmod

    real_connect = dbmod.sqlite3.connect

    class Interrupted:
        def __init__(self, conn):
            self.conn = conn

        def backup(self, other):
            raise KeyboardInterrupt  # Ctrl-C in the middle of the copy

        def close(self):
            self.conn.close()

    monkeypatch.setattr(dbmod.sqlite3, "connect", lambda *a, **k: Interrupted(real_connect(*a, **k)))
    with pytest.raises(KeyboardInterrupt):
        maintenance.backup(sqlite_db, actors["admin"], dest)
    monkeypatch.undo()
    assert dest.read_bytes() == before  # the old backup was not deleted first
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []
    # A complete backup replaces it, and holds the new user.
    maintenance.backup(sqlite_db, actors["admin"], dest)
    from assess.foundation.db import Database

    copy = Database(f"sqlite:///{dest}")
    with copy.read() as s:
        assert s.connection().execute(text("SELECT count(*) FROM app_user")).scalar() == users_before + 1
    copy.dispose()


# -- a mistyped --db -----------------------------------------------------------------------------------

def test_commands_refuse_a_database_file_that_does_not_exist(tmp_path):
    typo = tmp_path / "asses.db"
    for args in (["audit", "verify"], ["units", "list"], ["user", "list"], ["audit", "log"]):
        r = cli(*args, "--db", str(typo))
        assert r.returncode == 1, (args, r.stdout, r.stderr)
        assert "数据库文件不存在" in r.stderr and r.stderr.count("\n") == 1, r.stderr
        assert not typo.exists() and not Path(f"{typo}-wal").exists()
    # Opening the interface on a mistyped file is refused the same way.
    from assess.cli import OpenApp, dispatch

    assert dispatch(["--db", str(typo)]) == 1 and not typo.exists()
    assert cli("init", "--db", str(typo)).returncode == 0 and typo.exists()
    assert cli("audit", "verify", "--db", str(typo)).returncode == 0
    assert dispatch(["--db", str(typo)]) == OpenApp(str(typo))


# -- database errors reach the user as one Chinese line -----------------------------------------------

def test_integrity_error_is_one_chinese_line(db):
    from sqlalchemy.exc import IntegrityError

    actors = make_users(db)
    from assess.org.units import add_unit

    add_unit(db, actors["admin"], "U1", "一单位", "政府部门")
    with pytest.raises(IntegrityError) as ei:
        with db.write() as s:
            s.connection().execute(text("INSERT INTO unit (code, name, category, active, created_at) "
                                        "VALUES ('U1', 'x', 'y', :a, CURRENT_TIMESTAMP)"), {"a": True})
    raw = str(ei.value)
    assert "INSERT" in raw  # what used to be shown
    msg = user_message(ei.value)
    one_chinese_line(msg)
    assert msg.startswith("数据冲突：与已有记录重复") and "未作更改" in msg


def test_deadlock_is_one_chinese_line(pg_db):
    """A real PostgreSQL deadlock: two transactions update two rows in opposite order."""
    with pg_db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE dl (id int PRIMARY KEY, v int)"))
        conn.execute(text("INSERT INTO dl VALUES (1, 0), (2, 0)"))
    a, b = pg_db.engine.connect(), pg_db.engine.connect()
    errors: list[BaseException] = []
    ta, tb = a.begin(), b.begin()
    a.execute(text("UPDATE dl SET v = 1 WHERE id = 1"))
    b.execute(text("UPDATE dl SET v = 2 WHERE id = 2"))

    def second(conn, tx, row):
        try:
            conn.execute(text(f"UPDATE dl SET v = 3 WHERE id = {row}"))
        except Exception as e:
            errors.append(e)
            tx.rollback()  # the victim lets the other one finish

    threads = [threading.Thread(target=second, args=(a, ta, 2)), threading.Thread(target=second, args=(b, tb, 1))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for tx in (ta, tb):
        if tx.is_active:
            tx.rollback()
    a.close()
    b.close()
    assert len(errors) == 1
    assert "deadlock detected" in str(errors[0]) and "UPDATE" in str(errors[0])
    msg = user_message(errors[0])
    one_chinese_line(msg)
    assert "死锁" in msg


def test_sqlite_locked_and_unreachable_server_are_one_chinese_line(sqlite_db):
    import sqlite3

    holder = sqlite3.connect(sqlite_db.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    other = sqlite3.connect(sqlite_db.path, timeout=0.1, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError) as ei:
        other.execute("BEGIN IMMEDIATE")
    holder.execute("ROLLBACK")
    holder.close()
    other.close()
    msg = user_message(ei.value)
    one_chinese_line(msg)
    assert "已锁定" in msg
    from assess.foundation.db import Database

    down = Database("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(Exception) as ei:
        with down.read() as s:
            s.connection()
    msg = user_message(ei.value)
    one_chinese_line(msg)
    assert msg == "数据库不可用：无法连接数据库服务器，未作更改。"


def test_cli_and_tui_show_the_same_single_line(monkeypatch, capsys):
    """The CLI's last resort and the TUI's error_text both go through user_message."""
    from sqlalchemy.exc import IntegrityError

    from assess.cli import core, main
    from tui.base import error_text

    class Orig(Exception):
        pass

    exc = IntegrityError("INSERT INTO unit (code) VALUES (?)", ("U1",),
                         Orig("UNIQUE constraint failed: unit.code"))

    def boom(args):
        raise exc

    monkeypatch.setattr(core, "cmd_roles", boom)
    assert main(["roles"]) == 1
    err = capsys.readouterr().err.strip()
    one_chinese_line(err)
    assert err == "错误：" + error_text(exc) == "错误：" + user_message(exc)
    assert "unit.code" in err


# -- capped error lists and bounded memory ----------------------------------------------------------

def bad_units_csv(path: Path, rows: int) -> Path:
    with path.open("w", encoding="utf-8") as f:
        f.write("code,name,category\n")
        for i in range(rows):
            f.write(f"U{i},,政府部门\n")
    return path


# The peak of this process's own memory (VmHWM of its address space). Not ru_maxrss: Linux carries that
# high-water mark across exec, so it would report the (large) test process that forked the command.
MEASURE = """
import sys
from assess.foundation import users
users.ARGON2_PARAMS.update(time_cost=1, memory_cost=1024, parallelism=1)
from assess.cli import main
rc = main(sys.argv[1:])
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(peak // 1024, file=sys.stderr)
sys.exit(rc)
"""


def measured(*args: str, db_path: Path):
    env = dict(os.environ, PYTHONPATH=str(ROOT), ASSESS_USER="admin", ASSESS_PASSWORD=PASSWORD)
    r = subprocess.run([sys.executable, "-c", MEASURE, *args, "--db", str(db_path)], capture_output=True,
                       text=True, env=env, timeout=300)
    *lines, mb = r.stderr.strip().splitlines()
    return r.returncode, lines, int(mb)


def test_a_million_bad_rows_print_one_line_in_bounded_memory(sqlite_db, tmp_path):
    """A file read whole (units) stops at its row limit; problems are kept to the first ones plus
    a count (it used ~1 GB and printed a million lines)."""
    make_users(sqlite_db)
    big = bad_units_csv(tmp_path / "million.csv", 1_000_000)
    rc, lines, mb = measured("units", "import", str(big), db_path=sqlite_db.path)
    assert rc == 1 and len(lines) == 1 and "超过 200000 行" in lines[0], lines
    assert mb < 400, mb
    # Under the row limit, every row bad: the first 50 problems, then the count.
    many = bad_units_csv(tmp_path / "many.csv", 150_000)
    rc, lines, mb = measured("units", "import", str(many), db_path=sqlite_db.path)
    assert rc == 1 and len(lines) == MAX_LISTED + 1, len(lines)
    assert lines[0] == f"错误：{many}:2 [name]: 不能为空"
    assert lines[-1] == "错误：另有 149950 处错误"
    assert mb < 400, mb
    assert verify_all(sqlite_db).ok


@pytest.mark.parametrize("kind", ["units", "cadres", "selfcheck", "ballots"])
def test_every_importer_caps_its_list(db, tmp_path, kind):
    """Each importer keeps the first problems and counts the rest."""
    from assess.org import units

    actors = make_users(db)
    admin = actors["admin"]
    n = 130
    p = tmp_path / f"{kind}.csv"
    if kind == "units":
        bad_units_csv(p, n)
        call = lambda: units.import_units(db, admin, p)  # noqa: E731
    elif kind == "cadres":
        p.write_text("code,name,unit_code,position\n" + "".join(f"C{i},,NOPE,科员\n" for i in range(n)),
                     encoding="utf-8")
        call = lambda: units.import_cadres(db, admin, p)  # noqa: E731
    elif kind == "selfcheck":
        from assess.rounds import selfcheck

        from .rounds_helpers import make_round

        rid = make_round(db, actors)
        workflow.advance(db, admin, rid)  # 自查中
        p.write_text("unit_code,indicator_code,score\n" + "".join(f"X{i},NOPE,abc\n" for i in range(n)),
                     encoding="utf-8")
        call = lambda: selfcheck.import_scores(db, admin, rid, p)  # noqa: E731
    else:
        from assess.appraisal import ballot_import
        from assess.appraisal import sessions as appraisal

        from .ballot_helpers import make_round

        rid = make_round(db)
        codes = builders.numbered_units(db, admin, 3)
        sid = appraisal.create_session(db, actors["clerk"], rid, "unit", "民主评议", target_codes=codes)
        p.write_text("batch,ballot_no,voter_group,target_code,choice\n"
                     + "".join(f"B1,{i + 1},fw,NOPE,x\n" for i in range(n)),
                     encoding="utf-8")
        call = lambda: ballot_import.import_ballots(db, actors["clerk"], sid, p)  # noqa: E731
    head = audit.chain_head(db)
    with pytest.raises(InputErrors) as ei:
        call()
    lines = ei.value.lines()
    assert len(lines) == MAX_LISTED + 1 and ei.value.total >= n, (len(lines), ei.value.total)
    assert lines[-1] == f"另有 {ei.value.total - MAX_LISTED} 处错误"
    assert len(ei.value.problems) <= 200  # kept in memory: not one object per bad row
    assert audit.chain_head(db) == head


# -- deep input -----------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", ["arrays", "inline tables", "indicators"])
def test_deep_toml_gets_a_message_naming_the_file(tmp_path, shape):
    if shape == "arrays":
        body = "v = " + "[" * 5000 + "]" * 5000
    elif shape == "inline tables":
        body = "v = " + "{a = " * 5000 + "1" + "}" * 5000
    else:
        body = "indicators = " + '[{code = "A", name = "x", children = ' * 5000 + "[]" + "}]" * 5000
    path = tmp_path / "deep.toml"
    path.write_text(f'code = "x"\nname = "y"\n{body}\n', encoding="utf-8")
    r = cli("indicators", "validate", str(path))
    assert r.returncode == 1
    err = r.stderr.strip()
    assert err.startswith("错误：deep.toml") and "嵌套层次过深" in err and err.count("\n") == 0, err
    assert "RecursionError" not in r.stderr and "Traceback" not in r.stderr


# -- no weak-hash switch in production code ---------------------------------------------------------

def test_production_code_has_no_weak_hash_switch(tmp_path):
    for folder in ("assess", "tui"):
        for f in (ROOT / folder).rglob("*.py"):
            assert "ARGON2_FAST" not in f.read_text(encoding="utf-8"), f
    # Setting the old variable changes nothing: a new hash uses the library's parameters.
    env = dict(os.environ, PYTHONPATH=str(ROOT), ASSESS_ARGON2_FAST="1")
    r = subprocess.run([sys.executable, "-c", "from assess.foundation.users import hash_password; print(hash_password('x' * 8))"],
                       capture_output=True, text=True, env=env, timeout=60)
    from argon2 import PasswordHasher

    default = PasswordHasher()
    assert r.returncode == 0 and f"m={default.memory_cost},t={default.time_cost},p={default.parallelism}" in r.stdout
