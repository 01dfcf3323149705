"""Blind double entry, comparison, resolution, reconciliation and certification of ballot batches,
and the immutability of certified batches (services and database triggers), on SQLite and
PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from assess.appraisal import entry as ballots
from assess.appraisal import marks as ballot_marks
from assess.appraisal import reconcile as ballot_review
from assess.appraisal import sessions as appraisal
from assess.appraisal import tally
from assess.demo import builders
from assess.foundation.errors import Conflict, FrozenError, PermissionDenied

from .ballot_helpers import make_round


@pytest.fixture
def session(db, actors):
    rid = make_round(db)
    codes = builders.numbered_units(db, actors["admin"], 4)
    sid = appraisal.create_session(
        db, actors["clerk"], rid, "unit", "民主评议大会", target_codes=codes, expected=20, present=18
    )
    return sid


@pytest.fixture
def big_session(db, actors):
    """A meeting whose record allows a 40-paper batch (实到 50)."""
    rid = make_round(db)
    codes = builders.numbered_units(db, actors["admin"], 4)
    return appraisal.create_session(
        db, actors["clerk"], rid, "unit", "民主评议大会", target_codes=codes, expected=60, present=50
    )


def test_marks_normalisation_rules(db, actors, session):
    with db.read() as s:
        rules = ballot_marks.session_rules(s, session)
    assert rules.n_targets == 4 and rules.n_options == 4 and rules.limited == 1 and rules.max_limited == 2
    assert ballot_marks.normalise(rules, "1234") == ("valid", "1234")
    assert ballot_marks.normalise(rules, "0000") == ("blank", "0000")
    assert ballot_marks.normalise(rules, "x000") == (
        "valid",
        "X000",
    )  # only a voided mark: still a valid ballot
    assert ballot_marks.normalise(rules, "1110") == ("void", "1110")  # three 满意 > max 2: void as a whole
    assert ballot_marks.normalise(rules, "1234", "void") == ("void", "0000")
    assert ballot_marks.normalise(rules, "", "blank") == ("blank", "0000")
    with pytest.raises(Conflict, match="4 项"):
        ballot_marks.normalise(rules, "123")
    with pytest.raises(Conflict, match="无效"):
        ballot_marks.normalise(rules, "1235")


def test_same_clerk_refused_for_second_pass(db, actors, session):
    batch = ballots.create_batch(db, actors["clerk"], session, "fw", "B1", 3, 3)
    builders.key_pass(db, actors["clerk"], batch, [(1, "1200", "marks"), (2, "2200", "marks"), (3, "", "blank")])
    with pytest.raises(Conflict, match="同一录入员不能录入同一批次两遍"):
        ballots.open_pass(db, actors["clerk"], batch)
    ctx2 = ballots.open_pass(db, actors["clerk2"], batch)
    assert ctx2.pass_no == 2 and ctx2.ballots == {}  # blind: nothing of pass 1 is handed over
    # Still only one pass per clerk, and never a third one.
    with pytest.raises(PermissionDenied):
        ballots.open_pass(db, actors["admin"], batch)  # admins do not key ballots
    from assess.foundation.users import add_user

    add_user(db, actors["admin"], "clerk3", "clerk", "correct-horse-1", "clerk3")
    from assess.foundation.roles import Actor

    with pytest.raises(Conflict, match="第三遍"):
        ballots.open_pass(db, Actor("clerk3", "clerk"), batch)


def test_second_clerk_cannot_see_or_touch_first_pass(db, actors, session):
    batch = ballots.create_batch(db, actors["clerk"], session, "fw", "B1", 2, 2)
    p1 = builders.key_pass(db, actors["clerk"], batch, [(1, "1200", "marks")], close=False)
    with pytest.raises(PermissionDenied):
        ballots.pass_ballots(db, actors["clerk2"], p1)
    with pytest.raises(PermissionDenied):
        ballots.store_ballot(db, actors["clerk2"], p1, 2, "1100")
    assert [b.marks for b in ballots.pass_ballots(db, actors["clerk"], p1)] == ["1200"]
    # Comparison needs both passes finished.
    builders.key_pass(db, actors["clerk2"], batch, [(1, "1200", "marks")])
    with pytest.raises(Conflict, match="尚未完成"):
        ballot_review.compare(db, batch)


def test_mismatches_listed_resolved_and_certified(db, actors, session):
    batch = ballots.create_batch(db, actors["clerk"], session, "fw", "B1", 6, 5)
    builders.key_pass(
        db,
        actors["clerk"],
        batch,
        [
            (1, "1234", "marks"),
            (2, "2234", "marks"),
            (3, "3333", "marks"),
            (4, "4444", "marks"),
            (5, "", "void"),
        ],
    )
    builders.key_pass(
        db,
        actors["clerk2"],
        batch,
        [
            (1, "1234", "marks"),
            (2, "2214", "marks"),
            (3, "3323", "marks"),
            (5, "1200", "marks"),
            (6, "2222", "marks"),
        ],
    )
    cmp = ballot_review.compare(db, batch)
    got = [(m.ballot_no, m.position, m.target_code, m.first, m.second) for m in cmp.mismatches]
    assert got == [
        (2, 3, "U03", "3", "1"),
        (3, 3, "U03", "3", "2"),
        (4, 0, "", "marks", "absent"),
        (5, 0, "", "void", "marks"),
        (6, 0, "", "absent", "marks"),
    ]
    assert cmp.open_count == 5
    with pytest.raises(Conflict, match="5 处两遍录入不一致"):
        ballot_review.certify(db, actors["reviewer"], batch)
    with pytest.raises(PermissionDenied):
        ballot_review.resolve(db, actors["clerk"], batch, [(2, 3, "3")])
    with pytest.raises(Conflict, match=r"整张作废.*不适用.*可选 无此票、以第1遍为准"):
        ballot_review.resolve(db, actors["reviewer"], batch, [(4, 0, "void")])  # neither pass read it void
    left = ballot_review.resolve(db, actors["reviewer"], batch, [(2, 3, "3"), (3, 3, "X"), (4, 0, "pass1")])
    assert left == 2
    # "As pass 1 read it" for ballot 5 (pass 1: void) and "as pass 2 read it" for 6 (pass 2: marks)
    # versus absent: pass i always means that pass's reading, whatever its kind.
    left = ballot_review.resolve(db, actors["reviewer2"], batch, [(5, 0, "pass1"), (6, 0, "absent")])
    resolved = {(m.ballot_no, m.position): m.resolution for m in ballot_review.compare(db, batch).mismatches}
    assert resolved[(5, 0)] == "void" and resolved[(6, 0)] == "absent"
    assert left == 0
    with pytest.raises(PermissionDenied):
        ballot_review.certify(db, actors["admin"], batch)  # an admin cannot certify
    res = ballot_review.certify(db, actors["reviewer"], batch)
    # Agreed: 1 "1234" valid, 2 "2234" valid, 3 "33X3" valid, 4 "4444" valid, 5 void; 6 does not exist.
    assert (res.ballots, res.valid, res.void, res.blank) == (5, 4, 1, 0)
    from sqlmodel import select

    from assess.models import Ballot

    with db.read() as s:
        stored = {
            b.ballot_no: (b.status, b.marks) for b in s.exec(select(Ballot).where(Ballot.batch_id == batch))
        }
    assert stored == {
        1: ("valid", "1234"),
        2: ("valid", "2234"),
        3: ("valid", "33X3"),
        4: ("valid", "4444"),
        5: ("void", "0000"),
    }
    # Tally of the batch: target 1 (U01) has 1,2,3,4 → one vote per option.
    t = tally.counts_frame(db, session)
    u01 = t[t["target_code"] == "U01"].set_index("option")["count"].to_dict()
    assert u01 == {"满意": 1, "基本满意": 1, "不满意": 1, "不了解": 1}
    u03 = t[t["target_code"] == "U03"].set_index("option")["count"].to_dict()
    # U03: ballots 1 and 2 marked 3 (不满意), ballot 3's mark voided (X), ballot 4 marked 4 (不了解).
    assert u03 == {"满意": 0, "基本满意": 0, "不满意": 2, "不了解": 1}


def test_reconciliation_blocks_certification(db, actors, session):
    # Returned 4 but only 3 ballots entered.
    batch = ballots.create_batch(db, actors["clerk"], session, "ld", "B1", 5, 4)
    rows = [(1, "1200", "marks"), (2, "", "blank"), (3, "1110", "marks")]
    builders.key_pass(db, actors["clerk"], batch, rows)
    builders.key_pass(db, actors["clerk2"], batch, rows)
    rec = ballot_review.reconciliation(db, batch)
    assert (rec.entered, rec.valid, rec.void, rec.blank) == (3, 1, 1, 1)
    assert not rec.ok and "录入 3 张与收回 4 张不符" in rec.problems[0]
    with pytest.raises(Conflict, match="对账不符"):
        ballot_review.certify(db, actors["reviewer"], batch)
    # The count of returned ballots was wrong: corrected, the batch reconciles.
    ballots.set_batch_counts(db, actors["clerk"], batch, returned=3)
    assert ballot_review.reconciliation(db, batch).ok
    ballot_review.certify(db, actors["reviewer"], batch)


def test_more_returned_than_issued_is_void(db, actors, session):
    batch = ballots.create_batch(db, actors["clerk"], session, "ld", "B1", 2, 3)
    rows = [(1, "1200", "marks"), (2, "1200", "marks"), (3, "2200", "marks")]
    builders.key_pass(db, actors["clerk"], batch, rows)
    builders.key_pass(db, actors["clerk2"], batch, rows)
    with pytest.raises(Conflict, match="多于发出 2 张：本批次应作废"):
        ballot_review.certify(db, actors["reviewer"], batch)
    with pytest.raises(Conflict, match="理由"):
        ballots.void_batch(db, actors["reviewer"], batch, " ")
    ballots.void_batch(db, actors["reviewer"], batch, "收回多于发出")
    with pytest.raises(FrozenError):
        ballot_review.certify(db, actors["reviewer"], batch)
    # A void batch is never counted.
    counted = builders.certified_batch(db, actors, session, "ld", "B2", ["2200"])
    t = tally.counts_frame(db, session)
    assert set(t["batch_id"]) == {counted}
    assert "1 个选票批次尚未核定" not in " ".join(tally.session_tally(db, session).warnings)


def test_certified_batch_refuses_every_change(db, actors, session):
    batch = ballots.create_batch(db, actors["clerk"], session, "fw", "B1", 2, 2)
    p1 = builders.key_pass(db, actors["clerk"], batch, [(1, "1234", "marks"), (2, "2341", "marks")])
    builders.key_pass(db, actors["clerk2"], batch, [(1, "1234", "marks"), (2, "2341", "marks")])
    ballot_review.certify(db, actors["reviewer"], batch)
    # Through the services.
    with pytest.raises(FrozenError):
        ballot_review.certify(db, actors["reviewer"], batch)
    with pytest.raises(FrozenError):
        ballots.set_batch_counts(db, actors["clerk"], batch, issued=9)
    with pytest.raises(FrozenError):
        ballots.void_batch(db, actors["reviewer"], batch, "试图作废")
    with pytest.raises(FrozenError):
        ballots.open_pass(db, actors["clerk"], batch)
    with pytest.raises((FrozenError, Conflict)):
        ballots.store_ballot(db, actors["clerk"], p1, 1, "4444")
    with pytest.raises(FrozenError):
        ballot_review.resolve(db, actors["reviewer"], batch, [(1, 1, "2")])
    # Through raw SQL: the database triggers refuse.
    attempts = [
        "UPDATE ballot SET marks = '4444'",
        "DELETE FROM ballot",
        f"INSERT INTO ballot (id, batch_id, ballot_no, status, marks) VALUES (77, {batch}, 3, 'valid', '1111')",
        "UPDATE tallycount SET count = count + 1",
        "DELETE FROM tallycount",
        f"INSERT INTO tallycount (batch_id, position, choice, count) VALUES ({batch}, 1, 4, 5)",
        f"UPDATE ballotbatch SET returned = 3 WHERE id = {batch}",
        f"UPDATE ballotbatch SET status = 'open' WHERE id = {batch}",
        f"DELETE FROM ballotbatch WHERE id = {batch}",
        "UPDATE passballot SET marks = '4444'",
        "DELETE FROM passballot",
        f"UPDATE entrypass SET clerk = 'someone' WHERE batch_id = {batch}",
    ]
    from sqlalchemy.exc import DBAPIError

    for sql in attempts:
        with pytest.raises(DBAPIError, match="不能修改"):
            with db.engine.begin() as conn:
                conn.execute(text(sql))
    with db.read() as s:
        marks = sorted(m for (m,) in s.connection().execute(text("SELECT marks FROM ballot")))
        n_tally = s.connection().execute(text("SELECT SUM(count) FROM tallycount")).scalar()
    assert marks == ["1234", "2341"] and n_tally == 8


def test_open_batches_are_not_frozen_by_triggers(db, actors, session):
    """The triggers only bite on certified batches: an open batch's working copies can change."""
    batch = ballots.create_batch(db, actors["clerk"], session, "fw", "B1", 2, 2)
    builders.key_pass(db, actors["clerk"], batch, [(1, "1234", "marks")], close=False)
    with db.engine.begin() as conn:
        conn.execute(text(f"UPDATE ballotbatch SET issued = 3 WHERE id = {batch}"))
        conn.execute(text("UPDATE passballot SET marks = '2234'"))


def test_rekeying_and_deleting_in_own_pass(db, actors, session):
    batch = ballots.create_batch(db, actors["clerk"], session, "fw", "B1", 3, 3)
    ctx = ballots.open_pass(db, actors["clerk"], batch)
    ballots.store_ballot(db, actors["clerk"], ctx.pass_id, 1, "1234")
    stored = ballots.store_ballot(db, actors["clerk"], ctx.pass_id, 1, "2234")  # corrected
    assert stored.counts.entered == 1 and stored.marks == "2234"
    ballots.store_ballot(db, actors["clerk"], ctx.pass_id, 7, "", "blank")
    counts = ballots.delete_ballot(db, actors["clerk"], ctx.pass_id, 7)
    assert (counts.entered, counts.valid, counts.blank) == (1, 1, 0)
    again = ballots.open_pass(db, actors["clerk"], batch)  # continuing the same pass
    assert (
        again.pass_id == ctx.pass_id
        and again.ballots == {1: ("valid", "2234")}
        and again.next_ballot_no() == 2
    )
    with pytest.raises(Conflict, match="票号"):
        ballots.store_ballot(db, actors["clerk"], ctx.pass_id, 0, "1234")


def test_published_round_freezes_ballot_entry(db, actors, session):
    from assess.models import AppraisalSession, Round

    batch = ballots.create_batch(db, actors["clerk"], session, "fw", "B1", 3, 3)
    ctx = ballots.open_pass(db, actors["clerk"], batch)
    with db.write() as s:
        r = s.get(Round, s.get(AppraisalSession, session).round_id)
        r.stage = "published"
        s.add(r)
    with pytest.raises(FrozenError, match="冻结"):
        ballots.store_ballot(db, actors["clerk"], ctx.pass_id, 1, "1234")
    with pytest.raises(FrozenError):
        ballots.create_batch(db, actors["clerk"], session, "fw", "B2", 3, 3)
    with pytest.raises(FrozenError):
        appraisal.set_attendance(db, actors["clerk"], session, present=19)


def test_verify_detects_tampering_behind_the_triggers(db, actors, session):
    batch = builders.certified_batch(db, actors, session, "fw", "F1", ["1234", "2341", "3412", "void"])
    assert ballot_review.verify_certified(db) == []
    # Someone with direct access disables the guards and edits a count: the recount catches it.
    with db.engine.begin() as conn:
        if db.is_sqlite:
            conn.execute(text("DROP TRIGGER guard_tallycount_update"))
        else:
            conn.execute(text("ALTER TABLE tallycount DISABLE TRIGGER guard_tallycount"))
        conn.execute(
            text(
                f"UPDATE tallycount SET count = count + 1 WHERE batch_id = {batch} AND position = 1 "
                "AND choice = 1"
            )
        )
    problems = ballot_review.verify_certified(db, session)
    assert len(problems) == 2 and "摘要不符" in problems[0] and "重新计数不符" in problems[1]


def test_running_counts_equal_a_recount_after_random_saves_and_corrections(db, actors, big_session):
    """The pass keeps its counts as ballots are stored, re-keyed and removed; after every step
    they equal a GROUP BY recount of the pass's ballots, and the batch list shows the same."""
    import random

    rng = random.Random(17)
    batch = ballots.create_batch(db, actors["clerk"], big_session, "fw", "B1", 40, 40)
    ctx = ballots.open_pass(db, actors["clerk"], batch)
    kinds = ["marks", "marks", "void", "blank"]
    keyed: set[int] = set()
    for step in range(120):
        no = rng.randint(1, 25)
        if keyed and rng.random() < 0.2:
            victim = rng.choice(sorted(keyed))
            counts = ballots.delete_ballot(db, actors["clerk"], ctx.pass_id, victim)
            keyed.discard(victim)
        else:
            kind = rng.choice(kinds)
            marks = "".join(rng.choice("1234") for _ in range(4)) if kind == "marks" else ""
            counts = ballots.store_ballot(db, actors["clerk"], ctx.pass_id, no, marks, kind).counts
            keyed.add(no)
        with db.read() as s:
            recount = ballots.count_pass_ballots(s, ctx.pass_id)
        assert counts == recount, step
        assert ballots.pass_counts(db, ctx.pass_id) == recount, step
    assert recount.entered == len(keyed) and recount.valid and recount.void and recount.blank
    [row] = ballots.list_batches(db, big_session)
    assert row.passes[0].entered == len(keyed)
    closed = ballots.close_pass(db, actors["clerk"], ctx.pass_id)
    assert closed == recount


def _sums(db, session_id):
    with db.read() as s:
        rows = s.connection().execute(
            text("SELECT voter_group, position, choice, count FROM tallysum WHERE session_id = :s"), {"s": session_id}
        )
        return {(g, p, c): n for g, p, c, n in rows}


def test_session_sums_equal_a_recount_from_ballots_and_verify_checks_them(db, actors, session, tmp_path):
    """Certification adds each batch's counts to the session sums; the sums equal a recount of
    the certified ballots (plus an imported tally), the tally reads them, and ``audit verify``
    reports a changed sum."""
    from assess.appraisal import ballot_import
    from assess.integrity import verify as integrity

    builders.certified_batch(db, actors, session, "fw", "F1", ["1234", "2341", "1111", "void"])
    builders.certified_batch(db, actors, session, "fw", "F2", ["1244", "blank"])
    builders.certified_batch(db, actors, session, "ld", "L1", ["3333"])
    # A tally's papers come from the meeting's record (assess.appraisal.ballot_bounds): 干部职工 实到 4.
    appraisal.set_attendance(db, actors["clerk"], session, groups={"zg": 5}, groups_present={"zg": 4})
    path = tmp_path / "t.csv"
    path.write_text("voter_group,target_code,choice,count\nzg,U01,满意,4\nzg,U02,不满意,2\n", encoding="utf-8")
    [imported] = ballot_import.import_tallies(db, actors["clerk"], session, path).batches
    ballot_review.certify(db, actors["reviewer"], imported.batch_id)
    ballots.create_batch(db, actors["clerk"], session, "fw", "OPEN", 1, 1)  # not certified: not summed
    # By hand: fw valid ballots 1234, 2341, 1244 ("1111" marks 满意 four times > 2: void).
    expected = {
        ("fw", 1, 1): 2, ("fw", 1, 2): 1,
        ("fw", 2, 2): 2, ("fw", 2, 3): 1,
        ("fw", 3, 3): 1, ("fw", 3, 4): 2,
        ("fw", 4, 4): 2, ("fw", 4, 1): 1,
        ("ld", 1, 3): 1, ("ld", 2, 3): 1, ("ld", 3, 3): 1, ("ld", 4, 3): 1,
        ("zg", 1, 1): 4, ("zg", 2, 3): 2,
    }
    assert _sums(db, session) == expected
    t = tally.session_tally(db, session).groups.set_index(["target_code", "group"])
    assert t.loc[("U01", "fw"), ["满意", "基本满意", "counted"]].tolist() == [2, 1, 3]
    assert t.loc[("U02", "zg"), "不满意"] == 2
    report = integrity.verify_all(db)
    assert report.ok, report.lines()
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE tallysum SET count = count + 1 "
                f"WHERE session_id = {session} AND voter_group = 'fw' AND position = 1 AND choice = 1"
            )
        )
    report = integrity.verify_all(db)
    assert not report.ok
    assert report.problems == [f"评议会议 #{session} 的计票汇总（类别 fw、第 1 个对象、选项 1）为 3，各已核定批次之和为 2"]


def test_session_sums_are_frozen_with_their_published_round(db, actors, session):
    from sqlalchemy.exc import DBAPIError

    from assess.models import AppraisalSession, Round

    builders.certified_batch(db, actors, session, "fw", "F1", ["1234"])
    with db.engine.begin() as conn:  # before publication the rows can be written
        conn.execute(text(f"UPDATE tallysum SET count = count WHERE session_id = {session}"))
    with db.write() as s:
        r = s.get(Round, s.get(AppraisalSession, session).round_id)
        r.stage = "published"
        s.add(r)
    for sql in (
        "UPDATE tallysum SET count = count + 1",
        "DELETE FROM tallysum",
        f"INSERT INTO tallysum (session_id, voter_group, position, choice, count) VALUES ({session}, 'ld', 1, 1, 5)",
    ):
        with pytest.raises(DBAPIError, match="冻结"):
            with db.engine.begin() as conn:
                conn.execute(text(sql))
    assert _sums(db, session) == {("fw", 1, 1): 1, ("fw", 2, 2): 1, ("fw", 3, 3): 1, ("fw", 4, 4): 1}
