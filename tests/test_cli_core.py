"""The command-line contract for the core commands: exit codes, one-line errors, nothing changed on
failure, machine-readable output."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

from sqlalchemy import text


def run(args, db, stdin="", user=None, password=None):
    env = dict(os.environ)
    env.pop("ASSESS_USER", None)
    env.pop("ASSESS_PASSWORD", None)
    if user:
        env["ASSESS_USER"] = user
        env["ASSESS_PASSWORD"] = password or ""
    return subprocess.run([sys.executable, "-m", "assess", *args, "--db", db.url], input=stdin,
                          capture_output=True, text=True, env=env)


def test_user_add_bootstrap_then_requires_admin(sqlite_db):
    r = run(["user", "add", "boss", "--role", "clerk"], sqlite_db, stdin="password-1\n")
    assert r.returncode == 1 and "第一个用户必须是管理员" in r.stderr
    r = run(["user", "add", "boss", "--role", "admin"], sqlite_db, stdin="password-1\n")
    assert r.returncode == 0, r.stderr
    # Afterwards an admin must authenticate to add users.
    r = run(["user", "add", "ann", "--role", "clerk"], sqlite_db, stdin="password-2\n")
    assert r.returncode == 1 and "ASSESS_USER" in r.stderr
    r = run(["user", "add", "ann", "--role", "clerk"], sqlite_db, stdin="password-2\n", user="boss", password="wrong")
    assert r.returncode == 1 and "密码错误" in r.stderr
    r = run(["user", "add", "ann", "--role", "clerk"], sqlite_db, stdin="password-2\n", user="boss", password="password-1")
    assert r.returncode == 0, r.stderr
    # A clerk cannot add users.
    r = run(["user", "add", "bob", "--role", "admin"], sqlite_db, stdin="password-3\n", user="ann", password="password-2")
    assert r.returncode == 1 and "无权限" in r.stderr
    r = run(["user", "list", "--format", "json"], sqlite_db)
    users = {u["username"]: u["role"] for u in json.loads(r.stdout)}
    assert users == {"boss": "admin", "ann": "clerk"}
    # The stored hash is Argon2id, never the password.
    with sqlite_db.read() as s:
        hashes = [h for (h,) in s.connection().execute(text("SELECT password_hash FROM app_user"))]
    assert all(h.startswith("$argon2id$") and "password" not in h for h in hashes)


def test_short_password_refused(sqlite_db):
    r = run(["user", "add", "boss", "--role", "admin"], sqlite_db, stdin="short\n")
    assert r.returncode == 1 and "至少" in r.stderr


def test_units_import_cli_errors_and_csv_output(sqlite_db, tmp_path):
    run(["user", "add", "boss", "--role", "admin"], sqlite_db, stdin="password-1\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,category\nU1,,政府部门\nU2,税务局,\n", encoding="utf-8")
    r = run(["units", "import", str(bad)], sqlite_db, user="boss", password="password-1")
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 2 and "bad.csv:2 [name]" in lines[0] and "bad.csv:3 [category]" in lines[1]
    with sqlite_db.read() as s:
        assert s.connection().execute(text("SELECT count(*) FROM unit")).scalar() == 0
    good = tmp_path / "good.csv"
    good.write_text("code,name,category\nU1,=HYPERLINK(\"x\"),政府部门\nU2,税务局,执法部门\n", encoding="utf-8")
    r = run(["units", "import", str(good)], sqlite_db, user="boss", password="password-1")
    assert r.returncode == 0, r.stderr
    r = run(["units", "list", "--format", "csv"], sqlite_db)
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [(x["code"], x["category"]) for x in rows] == [("U2", "执法部门"), ("U1", "政府部门")]


def test_bad_database_url_is_one_line(tmp_path):
    r = subprocess.run([sys.executable, "-m", "assess", "units", "list", "--db",
                        "postgresql+psycopg://nobody@127.0.0.1:1/none"], capture_output=True, text=True)
    assert r.returncode == 1
    assert len(r.stderr.strip().splitlines()) == 1 and r.stderr.startswith("错误：")


def test_init_creates_and_reports_revision(tmp_path):
    path = tmp_path / "fresh.db"
    r = subprocess.run([sys.executable, "-m", "assess", "init", "--db", str(path), "--format", "json"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["revision"] and path.exists()


def test_password_change_own_and_admin_reset(sqlite_db):
    from assess.foundation.errors import AuthError, PermissionDenied
    from assess.foundation.users import authenticate, change_password

    from .conftest import PASSWORD, make_users

    actors = make_users(sqlite_db)
    import pytest

    with pytest.raises(AuthError):
        change_password(sqlite_db, actors["clerk"], "clerk", "new-password-1", "wrong")
    change_password(sqlite_db, actors["clerk"], "clerk", "new-password-1", PASSWORD)
    assert authenticate(sqlite_db, "clerk", "new-password-1").username == "clerk"
    with pytest.raises(PermissionDenied):
        change_password(sqlite_db, actors["clerk"], "clerk2", "new-password-2")
    change_password(sqlite_db, actors["admin"], "clerk2", "reset-password-9")
    assert authenticate(sqlite_db, "clerk2", "reset-password-9").username == "clerk2"
    r = run(["user", "passwd", "clerk"], sqlite_db, stdin="cli-password-7\n", user="clerk", password="new-password-1")
    assert r.returncode == 0, r.stderr
    assert authenticate(sqlite_db, "clerk", "cli-password-7").username == "clerk"


def test_no_arguments_asks_for_the_interface_and_the_core_never_opens_it(tmp_path):
    from assess.cli import OpenApp, dispatch

    assert dispatch([]) == OpenApp(None)
    existing = tmp_path / "x.db"
    existing.touch()
    assert dispatch(["--db", str(existing)]) == OpenApp(str(existing))
    assert dispatch(["--db", str(tmp_path / "typo.db")]) == 1  # never creates a database
    # `python -m assess` runs commands only: it never imports the interface.
    r = subprocess.run([sys.executable, "-m", "assess"], capture_output=True, text=True)
    assert r.returncode == 2 and "assess 命令" in r.stderr
    # `assess demo` builds the database, then hands the interface request to the launcher.
    path = tmp_path / "demo.db"
    from tui import launcher

    opened = []
    import tui.app

    original = tui.app.run_app
    tui.app.run_app = lambda url: opened.append(url) or 0
    try:
        assert launcher.main(["demo", "--db", str(path)]) == 0
    finally:
        tui.app.run_app = original
    assert opened and opened[0].endswith("demo.db") and path.exists()
