"""Review chain, committee vote, publication freezing (service and triggers), snapshot checks."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from assess.foundation.errors import Conflict, FrozenError, PermissionDenied
from assess.models import AccountabilityEntry, AuditRecord, Round, SelfCheckScore, Snapshot, UnitResult
from assess.results import accountability, publication, snapshot_check
from assess.results import approval as review
from assess.results.compute import compute_round

from .results_helpers import add_scores, add_session, full_marks, make_round, scheme_dict, store_scheme

TODAY = date(2026, 4, 10)


def computed_round(db, actors, rules=None):
    vid = store_scheme(
        db, scheme_dict(rules=rules or [{"code": "R02", "kind": "last_in_category", "action": "提醒谈话"}])
    )
    rid, ids = make_round(db, vid, [("U1", "财政局", "甲类"), ("U2", "教育局", "甲类")])
    add_scores(db, rid, ids, full_marks(["U1"]) + full_marks(["U2"], i1=20))
    add_session(
        db,
        rid,
        "unit",
        "mzpy",
        [ids["U1"], ids["U2"]],
        {
            "ld": {ids["U1"]: [6, 2, 1, 1], ids["U2"]: [3, 3, 3, 1]},
            "fw": {ids["U1"]: [5, 5, 0, 0], ids["U2"]: [2, 2, 6, 0]},
        },
        {"ld": 0.5, "fw": 0.5},
    )
    compute_round(db, actors["reviewer"], rid, today=TODAY, resamples=200)
    return rid, ids


def stage(db, rid):
    with db.read() as s:
        return s.get(Round, rid).stage


def approve(db, actors, rid):
    for e in accountability.list_entries(db, rid):
        accountability.decide(db, actors["reviewer"], e.id, "confirm", "核实无误")
    review.review(db, actors["clerk"], rid, "first")
    review.review(db, actors["reviewer"], rid, "audit")
    review.review(db, actors["reviewer2"], rid, "recheck")
    return review.vote(db, actors["committee"], rid, expected=9, present=8, yes=5, no=2, abstain=1)


@pytest.mark.parametrize(
    ("expected", "yes", "passed"),
    [(9, 5, True), (9, 4, False), (10, 5, False), (10, 6, True), (1, 1, True), (2, 1, False)],
)
def test_vote_passes_only_with_more_than_half_of_expected(expected, yes, passed):
    # seed 003: 赞成票超过应到会人数的半数为通过 — exactly half is not enough.
    assert (2 * yes > expected) is passed
    assert (yes >= review.votes_needed(expected)) is passed


def test_review_chain_vote_and_publish(db, actors):
    rid, _ids = computed_round(db, actors)
    assert stage(db, rid) == "computed"
    with pytest.raises(PermissionDenied):
        review.review(db, actors["reviewer"], rid, "first")
    with pytest.raises(Conflict, match="请先完成初审"):
        review.review(db, actors["reviewer"], rid, "audit")
    assert review.review(db, actors["clerk"], rid, "first") == "under_review"
    # Recomputing is refused once under review.
    with pytest.raises(Conflict, match="阶段"):
        compute_round(db, actors["admin"], rid, resamples=0)
    review.review(db, actors["reviewer"], rid, "audit")
    with pytest.raises(Conflict, match="另一名审核员"):
        review.review(db, actors["reviewer"], rid, "recheck")
    review.review(db, actors["reviewer2"], rid, "recheck")
    # The list must be decided before the committee votes.
    with pytest.raises(Conflict, match="未确认"):
        review.vote(db, actors["committee"], rid, 9, 9, 9, 0, 0)
    for e in accountability.list_entries(db, rid):
        accountability.decide(db, actors["reviewer"], e.id, "confirm", "核实无误")
    with pytest.raises(Conflict, match="多于实到"):
        review.vote(db, actors["committee"], rid, 9, 5, 4, 1, 1)
    # 应到 10, 5 yes: exactly half → not passed, stays under review; 6 yes → approved.
    v = review.vote(db, actors["committee"], rid, expected=10, present=9, yes=5, no=3, abstain=1)
    assert not v.passed and v.needed == 6 and stage(db, rid) == "under_review"
    v = review.vote(db, actors["committee"], rid, expected=10, present=9, yes=6, no=2, abstain=1)
    assert v.passed and stage(db, rid) == "approved"
    with pytest.raises(PermissionDenied):
        publication.publish(db, actors["reviewer"], rid)
    result = publication.publish(db, actors["admin"], rid)
    assert stage(db, rid) == "published"
    with db.read() as s:
        snap = s.exec(select(Snapshot).where(Snapshot.round_id == rid)).one()
        publish_rec = s.exec(select(AuditRecord).where(AuditRecord.action == "round.publish")).one()
    assert (
        snap.content_hash == result.content_hash and snap.audit_head == publish_rec.hash == result.audit_head
    )
    assert publish_rec.payload["content_hash"] == result.content_hash
    assert snap.content["vote"]["yes"] == 6 and len(snap.content["results"]) == 2
    assert [st["step"] for st in snap.content["review"]] == ["first", "audit", "recheck"]
    st = review.status(db, rid)
    assert st.stage == "published" and st.content_hash == result.content_hash and st.next_step is None


def test_return_restarts_the_chain(db, actors):
    rid, _ids = computed_round(db, actors)
    review.review(db, actors["clerk"], rid, "first")
    review.review(db, actors["reviewer"], rid, "audit")
    with pytest.raises(Conflict, match="理由"):
        review.review(db, actors["reviewer2"], rid, "recheck", "return")
    assert review.review(db, actors["reviewer2"], rid, "recheck", "return", "第 3 项核查分有误") == "computed"
    st = review.status(db, rid)
    assert st.chain == [] and st.next_step == "first"
    compute_round(db, actors["admin"], rid, resamples=0)  # allowed again after 退回
    review.review(db, actors["clerk"], rid, "first")
    assert review.status(db, rid).next_step == "audit"


def test_publish_requires_approval_and_decisions_and_unchanged_inputs(db, actors):
    rid, ids = computed_round(db, actors)
    with pytest.raises(Conflict, match="已批准"):
        publication.publish(db, actors["admin"], rid)
    approve(db, actors, rid)
    # Inputs changed after computing (bypassing the services): publication is refused.
    with db.write() as s:
        sc = s.exec(
            select(SelfCheckScore).where(
                SelfCheckScore.unit_id == ids["U2"], SelfCheckScore.indicator_code == "I1"
            )
        ).one()
        sc.value = 21
    with pytest.raises(Conflict, match="重新计算"):
        publication.publish(db, actors["admin"], rid)
    assert stage(db, rid) == "approved"


def test_published_round_is_frozen_in_services_and_database(db, actors):
    rid, ids = computed_round(db, actors)
    approve(db, actors, rid)
    publication.publish(db, actors["admin"], rid)
    entry_id = accountability.list_entries(db, rid)[0].id
    # Services refuse.
    with pytest.raises(FrozenError):
        compute_round(db, actors["admin"], rid, resamples=0)
    with pytest.raises(FrozenError):
        accountability.decide(db, actors["reviewer"], entry_id, "waive", "改主意")
    with pytest.raises(FrozenError):
        review.review(db, actors["clerk"], rid, "first")
    # The database refuses writes that bypass the services, table by table.
    attempts = [
        ("UPDATE unitresult SET composite = 99 WHERE round_id = :r", {}),
        ("DELETE FROM unitresult WHERE round_id = :r", {}),
        ("UPDATE accountabilityentry SET status = 'waived' WHERE round_id = :r", {}),
        ("UPDATE selfcheckscore SET value = 1 WHERE round_id = :r", {}),
        (
            "INSERT INTO selfcheckscore (round_id, unit_id, indicator_code, value, updated_at) "
            "VALUES (:r, :u, 'B1', 5, '2026-01-01')",
            {"u": ids["U1"]},
        ),
        (
            "INSERT INTO adjustment (round_id, unit_id, points, reason, created_at, created_by) "
            "VALUES (:r, :u, 5, 'x', '2026-01-01', 'admin')",
            {"u": ids["U1"]},
        ),
        ("UPDATE round SET stage = 'approved' WHERE id = :r", {}),
        ("UPDATE snapshot SET content_hash = 'x' WHERE round_id = :r", {}),
        ("DELETE FROM tallycount", {}),
    ]
    for sql, extra in attempts:
        with pytest.raises(DBAPIError, match=r"公示冻结|已核定"), db.write() as s:
            s.connection().execute(text(sql), {"r": rid, **extra})
    with db.read() as s:
        assert s.get(Round, rid).stage == "published"
        assert {r.composite for r in s.exec(select(UnitResult).where(UnitResult.round_id == rid))} != {99}
        assert (
            s.exec(select(AccountabilityEntry).where(AccountabilityEntry.id == entry_id)).one().status
            == "confirmed"
        )
    # Another (unpublished) round stays writable.
    vid = store_scheme(db, scheme_dict())
    other, oids = make_round(db, vid, [("U1", "财政局", "甲类")], period="2026-Q2")
    add_scores(db, other, oids, full_marks(["U1"]))
    with db.write() as s:
        s.connection().execute(
            text("UPDATE selfcheckscore SET value = 39 WHERE round_id = :r AND indicator_code = 'I1'"),
            {"r": other},
        )


def test_verify_snapshot_recomputes_and_detects_tampering(db, actors):
    rid, _ids = computed_round(db, actors)
    approve(db, actors, rid)
    publication.publish(db, actors["admin"], rid)
    check = snapshot_check.verify_snapshot(db, rid)
    assert check.ok, check.problems
    # Tamper with a stored result behind the triggers' back (as a superuser with triggers off
    # would): verification names it.
    if db.is_sqlite:
        with db.write() as s:
            conn = s.connection()
            conn.exec_driver_sql("DROP TRIGGER k_frozen_unitresult_update")
            conn.execute(
                text("UPDATE unitresult SET composite = composite + 1 WHERE round_id = :r"), {"r": rid}
            )
    else:
        with db.write() as s:
            conn = s.connection()
            conn.exec_driver_sql("ALTER TABLE unitresult DISABLE TRIGGER k_frozen_unitresult")
            conn.execute(
                text("UPDATE unitresult SET composite = composite + 1 WHERE round_id = :r"), {"r": rid}
            )
            conn.exec_driver_sql("ALTER TABLE unitresult ENABLE TRIGGER k_frozen_unitresult")
    bad = snapshot_check.verify_snapshot(db, rid)
    assert not bad.ok and any("数据库中" in p and "composite" in p for p in bad.problems)


def test_freeze_triggers_exist_at_head(db):
    """A later SQLite batch migration that recreates a table drops its triggers: this catches it."""
    if db.is_sqlite:
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'k_frozen_%'"
        want = {
            f"k_frozen_{t}_{w}"
            for t in (
                "unitresult",
                "cadreresult",
                "accountabilityentry",
                "selfcheckscore",
                "spotcheckscore",
                "adjustment",
                "tallycount",
            )
            for w in ("insert", "update", "delete")
        }
        want |= {
            "k_frozen_round_update",
            "k_frozen_round_delete",
            "k_frozen_snapshot_update",
            "k_frozen_snapshot_delete",
        }
    else:
        sql = "SELECT tgname FROM pg_trigger WHERE tgname LIKE 'k_frozen_%'"
        want = {
            f"k_frozen_{t}"
            for t in (
                "unitresult",
                "cadreresult",
                "accountabilityentry",
                "selfcheckscore",
                "spotcheckscore",
                "adjustment",
                "tallycount",
                "round",
                "snapshot",
            )
        }
    with db.read() as s:
        names = {r[0] for r in s.connection().execute(text(sql))}
    assert want <= names
