"""Attacks on accounts (issue 11, point 3), each reproduced and shown to fail or be detected, on
SQLite and PostgreSQL: an account or role written straight into the database, a password hash
swapped in, a user deactivated while logged in, and password guessing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from assess.appraisal import entry as ballots
from assess.appraisal import reconcile as ballot_review
from assess.demo import builders
from assess.foundation import accounts, audit, users
from assess.foundation.errors import AuthError
from assess.foundation.roles import Actor
from assess.integrity.verify import verify_all

from .conftest import PASSWORD, make_users
from .reliability_helpers import open_batch

MARKS = [(1, "1" + "2" * 11, "marks"), (2, "3" * 12, "marks")]


def keyed_batch(db):
    """A paper batch of two ballots keyed identically by two clerks: ready to certify."""
    actors, _sid, bid = open_batch(db, returned=2)
    builders.key_pass(db, actors["clerk"], bid, MARKS)
    builders.key_pass(db, actors["clerk2"], bid, MARKS)
    return actors, bid


def insert_account(db, username: str, role: str) -> None:
    """What anyone who can open the database file can do: a row with a real password hash."""
    with db.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO app_user (username, display_name, role, password_hash, active, created_at) "
                 "VALUES (:u, :u, :r, :h, :a, :t)"),
            {"u": username, "r": role, "h": users.hash_password(PASSWORD), "a": True, "t": datetime.now(UTC)},
        )


def test_inserted_reviewer_is_reported_refused_at_login_and_cannot_certify(db):
    _actors, bid = keyed_batch(db)
    assert verify_all(db).ok
    insert_account(db, "mallory", "reviewer")
    report = verify_all(db)
    assert not report.ok
    assert any("mallory" in p and "没有任何审计记录" in p for p in report.problems), report.problems
    with pytest.raises(AuthError, match="审计记录"):
        users.authenticate(db, "mallory", PASSWORD)
    head = audit.chain_head(db)
    with pytest.raises(AuthError, match="审计记录"):
        ballot_review.certify(db, Actor("mallory", "reviewer"), bid)
    assert audit.chain_head(db) == head  # nothing written
    assert ballots.get_batch(db, bid).status != "certified"
    # The genuine reviewer still can: the check refuses the forged account, not the action.
    ballot_review.certify(db, users.authenticate(db, "reviewer", PASSWORD), bid)
    assert ballots.get_batch(db, bid).status == "certified"


def test_role_raised_by_update_is_reported_and_refused(db):
    make_users(db)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE app_user SET role = 'admin' WHERE username = 'clerk'"))
    report = verify_all(db)
    assert any("clerk" in p and "角色是管理员" in p and "录入员" in p for p in report.problems), report.problems
    with pytest.raises(AuthError, match="审计记录"):
        users.authenticate(db, "clerk", PASSWORD)
    head = audit.chain_head(db)
    with pytest.raises(AuthError, match="审计记录"):
        users.add_user(db, Actor("clerk", "admin"), "eve", "reviewer", PASSWORD)
    assert audit.chain_head(db) == head
    # Put back, everything agrees again and the clerk logs in with the clerk role.
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE app_user SET role = 'clerk' WHERE username = 'clerk'"))
    assert verify_all(db).ok
    assert users.authenticate(db, "clerk", PASSWORD).role == "clerk"


def test_swapped_password_hash_and_reactivation_are_reported(db):
    actors = make_users(db)
    users.set_active(db, actors["admin"], "clerk2", False)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE app_user SET password_hash = :h WHERE username = 'admin'"),
                     {"h": users.hash_password("attacker-pass-1")})
        conn.execute(text("UPDATE app_user SET active = :a WHERE username = 'clerk2'"), {"a": True})
    problems = verify_all(db).problems
    assert any("admin" in p and "密码哈希" in p for p in problems), problems
    assert any("clerk2" in p and "当前为启用" in p for p in problems), problems
    with pytest.raises(AuthError, match="密码哈希"):
        users.authenticate(db, "admin", "attacker-pass-1")
    with pytest.raises(AuthError, match="审计记录"):
        users.authenticate(db, "clerk2", PASSWORD)


def test_deleted_account_is_reported(db):
    make_users(db)
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM app_user WHERE username = 'committee'"))
    assert any("committee" in p and "删除" in p for p in verify_all(db).problems)


def test_user_deactivated_while_logged_in_can_no_longer_key_or_certify(db):
    _actors, bid = keyed_batch(db)
    admin = users.authenticate(db, "admin", PASSWORD)
    reviewer = users.authenticate(db, "reviewer", PASSWORD)
    clerk = users.authenticate(db, "clerk", PASSWORD)
    # A second batch the clerk is keying when deactivated.
    sid = ballots.get_batch(db, bid).session_id
    other = ballots.create_batch(db, clerk, sid, "fw", "B2", 2, 2)
    ctx = ballots.open_pass(db, clerk, other)
    ballots.store_ballot(db, clerk, ctx.pass_id, 1, "1" * 12)
    users.set_active(db, admin, "reviewer", False)
    users.set_active(db, admin, "clerk", False)
    head = audit.chain_head(db)
    with pytest.raises(AuthError, match="已被停用"):
        ballot_review.certify(db, reviewer, bid)
    with pytest.raises(AuthError, match="已被停用"):
        ballots.store_ballot(db, clerk, ctx.pass_id, 2, "2" * 12)
    with pytest.raises(AuthError, match="已被停用"):
        ballots.close_pass(db, clerk, ctx.pass_id)
    assert audit.chain_head(db) == head
    assert ballots.pass_counts(db, ctx.pass_id).entered == 1
    assert ballots.get_batch(db, bid).status != "certified"
    users.set_active(db, admin, "reviewer", True)
    ballot_review.certify(db, reviewer, bid)  # active again: the same Actor works
    assert ballots.get_batch(db, bid).status == "certified"


class Clock:
    def __init__(self):
        self.now = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)

    def __call__(self):
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def failures(db, name: str) -> tuple[int, int]:
    """(login_failure rows, user.login.failed audit records) for ``name``."""
    with db.read() as s:
        rows = s.connection().execute(text("SELECT count(*) FROM login_failure WHERE username = :u"),
                                      {"u": name}).scalar()
        recs = s.connection().execute(text("SELECT actor FROM auditrecord WHERE action = 'user.login.failed'")).all()
    return rows, sum(1 for r in recs if r[0] == name)


def test_failed_logins_are_recorded_audited_and_throttled(db, monkeypatch):
    make_users(db)
    clock = Clock()
    monkeypatch.setattr(accounts, "_now", clock)
    for i in range(1, accounts.LOCK_AFTER):
        with pytest.raises(AuthError, match="用户名或密码错误") as ei:
            users.authenticate(db, "reviewer", f"guess-{i}")
        assert "须等" not in str(ei.value)
        clock.advance(1)
    assert failures(db, "reviewer") == (4, 4)
    with pytest.raises(AuthError, match="连续失败 5 次，须等 30 秒"):
        users.authenticate(db, "reviewer", "guess-5")
    # Locked: even the right password is refused, and the refusal is not a new failure.
    with pytest.raises(AuthError, match="暂停登录，请 30 秒后再试"):
        users.authenticate(db, "reviewer", PASSWORD)
    clock.advance(29)
    with pytest.raises(AuthError, match="请 1 秒后再试"):
        users.authenticate(db, "reviewer", PASSWORD)
    assert failures(db, "reviewer") == (5, 5)
    clock.advance(1)
    with pytest.raises(AuthError, match="连续失败 6 次，须等 1 分钟"):  # the wait doubles
        users.authenticate(db, "reviewer", "guess-6")
    clock.advance(60)
    assert users.authenticate(db, "reviewer", PASSWORD).username == "reviewer"
    # Success ends the run; the audit records stay, and the chain is intact.
    assert failures(db, "reviewer") == (0, 6)
    assert verify_all(db).ok
    # Unknown user names are throttled the same way (probing costs as much as guessing).
    for _ in range(accounts.LOCK_AFTER):
        with pytest.raises(AuthError):
            users.authenticate(db, "nobody", "x" * 8)
    with pytest.raises(AuthError, match="暂停登录"):
        users.authenticate(db, "nobody", "x" * 8)


def test_admin_activation_ends_a_lock_and_restore_checks_the_actor_first(sqlite_db, monkeypatch, tmp_path):
    from assess.cli import main
    from assess.integrity import backup as maintenance

    actors = make_users(sqlite_db)
    clock = Clock()
    monkeypatch.setattr(accounts, "_now", clock)
    for _ in range(accounts.LOCK_AFTER):
        with pytest.raises(AuthError):
            users.authenticate(sqlite_db, "clerk", "wrong-pass")
    with pytest.raises(AuthError, match="暂停登录"):
        users.authenticate(sqlite_db, "clerk", PASSWORD)
    monkeypatch.setenv("ASSESS_USER", "admin")
    monkeypatch.setenv("ASSESS_PASSWORD", PASSWORD)
    assert main(["user", "activate", "clerk", "--db", str(sqlite_db.path)]) == 0
    assert users.authenticate(sqlite_db, "clerk", PASSWORD).username == "clerk"
    # A restore by an admin deactivated meanwhile is refused before the file is touched.
    backup, _head = maintenance.backup(sqlite_db, actors["admin"], tmp_path / "b.db")
    users.add_user(sqlite_db, actors["admin"], "admin2", "admin", PASSWORD)
    users.set_active(sqlite_db, Actor("admin2", "admin"), "admin", False)
    head = audit.chain_head(sqlite_db)
    with pytest.raises(AuthError, match="已被停用"):
        maintenance.restore(sqlite_db, actors["admin"], backup)
    assert audit.chain_head(sqlite_db) == head


def test_delays_grow_to_the_cap():
    assert [accounts.delay_after(n) for n in range(1, 14)] == [
        0, 0, 0, 0, 30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_cli_password_check_goes_through_the_throttle(sqlite_db, monkeypatch, capsys):
    from assess.cli import main

    make_users(sqlite_db)
    monkeypatch.setenv("ASSESS_USER", "admin")
    monkeypatch.setenv("ASSESS_PASSWORD", "wrong-password")
    path = str(sqlite_db.path)
    for _ in range(accounts.LOCK_AFTER):
        assert main(["user", "deactivate", "clerk", "--db", path]) == 1
    monkeypatch.setenv("ASSESS_PASSWORD", PASSWORD)
    capsys.readouterr()
    assert main(["user", "deactivate", "clerk", "--db", path]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "暂停登录" in err
    assert failures(sqlite_db, "admin") == (5, 5)
    assert {u["username"]: u["active"] for u in users.list_users(sqlite_db)}["clerk"] is True


def test_tui_login_and_lock_screens_use_the_same_check():
    """The TUI has no password check of its own: both screens call users.authenticate."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "tui"
    for name in ("login.py", "lock.py"):
        src = (root / name).read_text(encoding="utf-8")
        assert "authenticate(" in src and "verify(" not in src and "argon2" not in src, name


def test_audit_verify_lists_the_first_problems_then_a_count(sqlite_db, capsys):
    from assess.cli import main
    from assess.foundation.errors import MAX_LISTED

    make_users(sqlite_db)
    for i in range(60):
        insert_account(sqlite_db, f"forged{i}", "reviewer")
    assert main(["audit", "verify", "--db", str(sqlite_db.path)]) == 1
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == MAX_LISTED + 1 and lines[-1] == "错误：另有 10 处不符", lines[-3:]
    assert all("没有任何审计记录" in line for line in lines[:-1])
    assert out.strip().splitlines()[-1] == "另有 10 处不符"


def test_account_record_forged_in_a_non_admins_name_is_reported(db):
    """Someone with the file and this library appends a well-formed user.add record (the chain
    itself stays intact) as a clerk, then inserts the account: the replay names the record."""
    make_users(db)
    insert_account(db, "mallory", "reviewer")
    with db.write() as s:
        seq, _h = audit.append(s, "clerk", "user.add", {"username": "mallory", "role": "reviewer"})
    report = verify_all(db)
    assert report.chain.ok
    assert any(f"#{seq}" in p and "不是在任的管理员" in p for p in report.problems), report.problems
    with pytest.raises(AuthError, match="不是在任的管理员"):
        users.authenticate(db, "mallory", PASSWORD)
