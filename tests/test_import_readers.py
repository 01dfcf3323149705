"""The plain readers of the ballot import give what the ORM checks give: the same refusals of a
closed session, the same ballot bounds (void batches left out, pending papers added), and the
driver's executemany raises as SQLAlchemy does."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from assess.appraisal import entry
from assess.appraisal import sessions as appraisal
from assess.demo import builders
from assess.foundation import plain_sql
from assess.foundation.errors import AssessError

from .ballot_helpers import make_round


@pytest.fixture
def session(db, actors):
    rid = make_round(db)
    codes = builders.numbered_units(db, actors["admin"], 3)
    sid = appraisal.create_session(
        db, actors["clerk"], rid, "unit", "民主评议大会", target_codes=codes, expected=20, present=15
    )
    return rid, sid


def _outcome(fn):
    try:
        return ("ok", fn())
    except AssessError as e:
        return (type(e).__name__, str(e))


def _both(db, session_id, pending=()):
    """(ORM ballot_bounds, plain read_ballot_bounds) of the session, as comparable tuples."""

    def shape(b):
        return (b.problems, b.papers_left, b.group_names, b.group_record)

    with db.read() as s:
        orm = _outcome(lambda: shape(appraisal.ballot_bounds(s, session_id, pending)))
    with db.rows() as c:
        plain = _outcome(lambda: shape(appraisal.read_ballot_bounds(c, session_id, pending)))
    return orm, plain


def test_bounds_agree(db, actors, session):
    _rid, sid = session
    clerk = actors["clerk"]
    orm, plain = _both(db, sid)
    assert orm == plain and orm[0] == "ok"
    appraisal.set_attendance(db, clerk, sid, groups={"fw": 14, "ld": 5}, groups_present={"fw": 12, "ld": 3})
    b1 = entry.create_batch(db, clerk, sid, "fw", "F1", 6, 6)
    entry.create_batch(db, clerk, sid, "ld", "L1", 2, 2)
    entry.void_batch(db, actors["reviewer"], b1, "重复登记")  # a void batch's papers do not count
    entry.create_batch(db, clerk, sid, "fw", "F2", 5, 5)
    for pending in ((), [("fw", 7)], [("fw", 8), ("ld", 1)], [("zg", 30)]):
        orm, plain = _both(db, sid, pending)
        assert orm == plain, pending
    assert "超过" in " ".join(_both(db, sid, [("fw", 8)])[1][1][0])
    assert _both(db, 9999) == (("NotFound", "评议会议 #9999 不存在。"),) * 2


def _open_outcomes(db, session_id):
    with db.read() as s:
        orm = _outcome(lambda: appraisal.ensure_session_open(s, session_id) and None)
    with db.rows() as c:
        plain = _outcome(lambda: appraisal.check_session_open(c, session_id) and None)
    return orm, plain


def test_open_check_agrees(db, actors, session):
    from assess.models import AppraisalSession, Round

    rid, sid = session
    assert _open_outcomes(db, sid) == (("ok", None), ("ok", None))
    with db.rows() as c:
        assert appraisal.check_session_open(c, sid) == (rid, "unit", "mzpy")
    assert _open_outcomes(db, 9999) == (("NotFound", "评议会议 #9999 不存在。"),) * 2
    with db.write() as s:
        sess = s.get(AppraisalSession, sid)
        sess.status = "certified"
        s.add(sess)
    orm, plain = _open_outcomes(db, sid)
    assert orm == plain and orm[0] == "Conflict"
    with db.write() as s:
        r = s.get(Round, rid)
        r.stage = "published"
        s.add(r)
    orm, plain = _open_outcomes(db, sid)  # the frozen round is refused first
    assert orm == plain and orm[0] == "FrozenError"


def test_run_many_raises_as_sqlalchemy(db, actors, session):
    _rid, sid = session
    clerk = actors["clerk"]
    batch = entry.create_batch(db, clerk, sid, "fw", "F1", 2, 2)
    pass_id = entry.open_pass(db, clerk, batch).pass_id
    sql = "INSERT INTO passballot (id, pass_id, ballot_no, status, marks) VALUES (:id, :pass_id, :no, 'valid', '111')"
    rows = [
        {"id": 11, "pass_id": pass_id, "no": 1},
        {"id": 12, "pass_id": pass_id, "no": 1},
    ]  # same ballot twice
    with pytest.raises(IntegrityError), db.write() as s:
        plain_sql.run_many(s.connection(), sql, rows)
    with db.write() as s:
        plain_sql.run_many(s.connection(), sql, rows[:1])
    with db.rows() as c:
        assert c.exec_driver_sql("SELECT id, ballot_no, status, marks FROM passballot").all() == [
            (11, 1, "valid", "111")
        ]
