"""The ballot save's own write path (``Database.write_connection`` and the statements of
``appraisal.entry.store_ballot`` on the driver's connection, ``foundation.plain_sql``): every check
of a write still refuses, a refusal changes nothing, and the running counts stay equal to a recount,
on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from assess.appraisal import entry as ballots
from assess.appraisal import sessions as appraisal
from assess.demo import builders
from assess.foundation import plain_sql
from assess.foundation.errors import AuthError, Conflict, FrozenError, NotFound, PermissionDenied

from .ballot_helpers import make_round


@pytest.fixture
def session(db, actors):
    rid = make_round(db)
    codes = builders.numbered_units(db, actors["admin"], 4)
    return appraisal.create_session(
        db, actors["clerk"], rid, "unit", "民主评议大会", target_codes=codes, expected=60, present=50
    )


def _state(db, pass_id: int) -> tuple:
    """The pass's stored ballots and running counts, and a recount."""
    with db.read() as s:
        rows = sorted(s.connection().execute(
            text("SELECT ballot_no, status, marks FROM passballot WHERE pass_id = :p"), {"p": pass_id}
        ).all())
        return [tuple(r) for r in rows], ballots.pass_counts(db, pass_id), ballots.count_pass_ballots(s, pass_id)


def _refused(db, pass_id: int, error: type[Exception], match: str, call) -> None:
    before = _state(db, pass_id)
    with pytest.raises(error, match=match):
        call()
    assert _state(db, pass_id) == before


def test_every_check_refuses_and_changes_nothing(db, actors, session):
    clerk, clerk2 = actors["clerk"], actors["clerk2"]
    batch = ballots.create_batch(db, clerk, session, "fw", "B1", 30, 30)
    ctx = ballots.open_pass(db, clerk, batch)
    ballots.store_ballot(db, clerk, ctx.pass_id, 1, "1234")
    p = ctx.pass_id
    _refused(db, p, PermissionDenied, "自己的", lambda: ballots.store_ballot(db, clerk2, p, 2, "1234"))
    _refused(db, p, PermissionDenied, "录入员", lambda: ballots.store_ballot(db, actors["reviewer"], p, 2, "1234"))
    _refused(db, p, NotFound, "不存在", lambda: ballots.store_ballot(db, clerk, 10**9, 2, "1234"))
    _refused(db, p, Conflict, "票号", lambda: ballots.store_ballot(db, clerk, p, 0, "1234"))
    _refused(db, p, Conflict, "4 项", lambda: ballots.store_ballot(db, clerk, p, 1, "12"))  # after the checks
    # The acting account is re-checked inside the transaction: a role or a password hash changed
    # behind the application's back is refused.
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE app_user SET role = 'reviewer' WHERE username = 'clerk'"))
    _refused(db, p, AuthError, "角色", lambda: ballots.store_ballot(db, clerk, p, 2, "1234"))
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE app_user SET role = 'clerk', password_hash = 'swapped' WHERE username = 'clerk'"))
    _refused(db, p, AuthError, "审计记录不符", lambda: ballots.store_ballot(db, clerk, p, 2, "1234"))


def test_closed_pass_void_batch_and_published_round_refuse(db, actors, session):
    from assess.models import AppraisalSession, Round

    clerk = actors["clerk"]
    b1 = ballots.create_batch(db, clerk, session, "fw", "B1", 3, 3)
    closed = builders.key_pass(db, clerk, b1, [(1, "1200", "marks")])
    _refused(db, closed, Conflict, "已完成", lambda: ballots.store_ballot(db, clerk, closed, 2, "1234"))
    b2 = ballots.create_batch(db, clerk, session, "fw", "B2", 3, 3)
    open_ = builders.key_pass(db, clerk, b2, [(1, "1200", "marks")], close=False)
    ballots.void_batch(db, actors["reviewer"], b2, "收回多于发出")
    _refused(db, open_, FrozenError, "作废", lambda: ballots.store_ballot(db, clerk, open_, 2, "1234"))
    b3 = ballots.create_batch(db, clerk, session, "fw", "B3", 3, 3)
    third = builders.key_pass(db, clerk, b3, [(1, "1200", "marks")], close=False)
    with db.write() as s:
        r = s.get(Round, s.get(AppraisalSession, session).round_id)
        r.stage = "published"
        s.add(r)
    _refused(db, third, FrozenError, "冻结", lambda: ballots.store_ballot(db, clerk, third, 2, "1234"))


def test_rekeying_moves_the_counts(db, actors, session):
    clerk = actors["clerk"]
    batch = ballots.create_batch(db, clerk, session, "fw", "B1", 30, 30)
    ctx = ballots.open_pass(db, clerk, batch)
    steps = [(1, "1234", "marks", (1, 1, 0, 0)), (1, "", "void", (1, 0, 1, 0)), (1, "0000", "marks", (1, 0, 0, 1)),
             (2, "1110", "marks", (2, 0, 1, 1)), (1, "2234", "marks", (2, 1, 1, 0)), (2, "2234", "marks", (2, 2, 0, 0))]
    for no, marks, kind, want in steps:
        counts = ballots.store_ballot(db, clerk, ctx.pass_id, no, marks, kind).counts
        rows, stored, recount = _state(db, ctx.pass_id)
        assert (counts.entered, counts.valid, counts.void, counts.blank) == want
        assert counts == stored == recount
    assert rows == [(1, "valid", "2234"), (2, "valid", "2234")]


def test_concurrent_stores_of_the_same_ballots_keep_the_counts(db, actors, session):
    """Two threads re-key the same ballot numbers of one pass at once (the TUI's worker and a second
    window of the same clerk): each store sees the one before it, so the counts equal a recount."""
    clerk = actors["clerk"]
    batch = ballots.create_batch(db, clerk, session, "fw", "B1", 30, 30)
    ctx = ballots.open_pass(db, clerk, batch)
    errors: list[BaseException] = []

    def key(kinds: list[str]) -> None:
        try:
            for i in range(24):
                kind = kinds[i % len(kinds)]
                ballots.store_ballot(db, clerk, ctx.pass_id, 1 + i % 4, "1234" if kind == "marks" else "", kind)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=key, args=(k,)) for k in (["marks", "void"], ["blank", "marks", "void"])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    rows, stored, recount = _state(db, ctx.pass_id)
    assert len(rows) == 4 and stored == recount


def test_plain_sql_runs_in_the_transaction_and_raises_as_sqlalchemy(db, actors, session):
    clerk = actors["clerk"]
    batch = ballots.create_batch(db, clerk, session, "fw", "B1", 3, 3)
    ctx = ballots.open_pass(db, clerk, batch)
    sql = "UPDATE entrypass SET valid = :v WHERE id = :p"
    with pytest.raises(DBAPIError), db.write_connection() as conn:  # no actor: nothing re-checked
        plain_sql.run(conn, sql, {"v": 7, "p": ctx.pass_id})
        assert plain_sql.fetchone(conn, "SELECT valid FROM entrypass WHERE id = :p", {"p": ctx.pass_id}) == (7,)
        plain_sql.run(conn, "SELECT no_such_column FROM entrypass")
    assert ballots.pass_counts(db, ctx.pass_id).valid == 0  # rolled back
    with db.write_connection() as conn:
        plain_sql.run(conn, sql, {"v": 0, "p": ctx.pass_id})
    assert plain_sql.driver_sql("postgresql", "pyformat", "a = :x AND b::text = '%' AND c = :y") == (
        "a = %(x)s AND b::text = '%%' AND c = %(y)s"
    )
