"""Rounds: creation and participants, stage rules per role, blockers, the frozen published round."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from assess.foundation.errors import Conflict, FrozenError, NotFound, PermissionDenied
from assess.models import AppraisalSession, AuditRecord, BallotBatch, Round, RoundUnit, Unit
from assess.rounds import findings, selfcheck, spotcheck, verified
from assess.rounds import lifecycle as rounds
from assess.workflow import advance as workflow

from .rounds_helpers import (
    GOV_LEAVES,
    RFC_SOURCES,
    UNITS,
    add_units,
    fill_and_submit,
    make_round,
    publish_directly,
    round_at_selfcheck_closed,
    store_scheme,
    write_csv,
)


def _unit_codes(db, rid):
    with db.read() as s:
        return sorted(
            s.exec(
                select(Unit.code)
                .join(RoundUnit, RoundUnit.unit_id == Unit.id)
                .where(RoundUnit.round_id == rid)
            ).all()
        )


def test_participants_default_to_active_units_in_scheme_categories(db, actors):
    from assess.org.units import add_unit, set_unit_active

    add_units(db, actors)
    add_unit(db, actors["admin"], "Z01", "某协会", "社会组织")  # category not in the scheme
    set_unit_active(db, actors["admin"], "G04", False)
    vid = store_scheme(db)
    rid = rounds.create_round(db, actors["admin"], "2026年第三季度考核", "2026-q3", vid)
    assert _unit_codes(db, rid) == ["G01", "G02", "G03", "X01", "X02"]
    with db.read() as s:
        r = s.get(Round, rid)
        assert (r.stage, r.period, r.created_by) == ("draft", "2026-Q3", "admin")
        rec = s.exec(select(AuditRecord).where(AuditRecord.action == "round.create")).one()
        assert rec.payload["units"] == ["G01", "G02", "G03", "X01", "X02"]
    by_cat = rounds.create_round(db, actors["admin"], "乡镇专项", "2026", vid, categories=["乡镇街道"])
    assert _unit_codes(db, by_cat) == ["X01", "X02"]
    by_code = rounds.create_round(db, actors["admin"], "抽样", "2026-H1", vid, unit_codes=["G02", "X01"])
    assert _unit_codes(db, by_code) == ["G02", "X01"]
    rows = {r.id: r for r in rounds.list_rounds(db)}
    assert rows[rid].units == 5 and rows[by_code].units == 2 and rows[rid].scheme_code == "test-scheme"


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"period": "2026Q3"}, "考核期间"),
        ({"period": "2026-Q5"}, "考核期间"),
        ({"period": "1899"}, "考核期间"),
        ({"name": "  "}, "名称不能为空"),
        ({"unit_codes": ["G01", "NOPE"]}, "NOPE"),
        ({"unit_codes": ["G04"]}, "已停用"),
        ({"unit_codes": ["Z01"]}, "类别不在考核方案"),
        ({"categories": ["社会组织"]}, "类别不在考核方案"),
    ],
)
def test_create_round_refusals(db, actors, kw, message):
    from assess.org.units import add_unit, set_unit_active

    add_units(db, actors)
    add_unit(db, actors["admin"], "Z01", "某协会", "社会组织")
    set_unit_active(db, actors["admin"], "G04", False)
    vid = store_scheme(db)
    args = {"name": "轮次", "period": "2026", **kw}
    with pytest.raises((Conflict, NotFound), match=message):
        rounds.create_round(db, actors["admin"], args.pop("name"), args.pop("period"), vid, **args)
    with db.read() as s:
        assert s.exec(select(Round)).all() == []


def test_roles_for_create_and_advance(db, actors):
    add_units(db, actors)
    vid = store_scheme(db)
    with pytest.raises(PermissionDenied):
        rounds.create_round(db, actors["clerk"], "轮次", "2026", vid)
    rid = rounds.create_round(db, actors["admin"], "轮次", "2026", vid)
    for who in ("clerk", "inspector", "reviewer", "committee"):
        with pytest.raises(PermissionDenied):
            workflow.advance(db, actors[who], rid)
    assert workflow.advance(db, actors["admin"], rid) == "selfcheck_open"


def test_full_path_with_blockers(db, actors, tmp_path):
    rid = make_round(db, actors)
    assert workflow.blockers(db, rid) == []
    with pytest.raises(Conflict, match="逐级推进"):
        workflow.advance(db, actors["admin"], rid, to_stage="selfcheck_closed")
    assert workflow.advance(db, actors["admin"], rid, to_stage="selfcheck_open") == "selfcheck_open"

    # 自查中: every unit must submit first.
    fill_and_submit(db, actors, rid, codes=["G01", "G02"])
    assert workflow.blockers(db, rid) == ["4 个单位未提交自查"]
    assert workflow.rounds_with_blockers(db)[0].blockers == ["4 个单位未提交自查"]
    with pytest.raises(Conflict, match="4 个单位未提交自查"):
        workflow.advance(db, actors["admin"], rid)
    fill_and_submit(db, actors, rid, codes=["G03", "G04", "X01", "X02"])
    assert workflow.advance(db, actors["admin"], rid) == "selfcheck_closed"

    # 自查结束: the next stage is reached by the draw only.
    assert workflow.blockers(db, rid) == ["未抽取核查单位"]
    with pytest.raises(Conflict, match="随机抽取"):
        workflow.advance(db, actors["admin"], rid)
    view = spotcheck.draw(db, actors["inspector"], rid, 2, RFC_SOURCES)
    drawn = view.selected_codes
    assert workflow.round_status(db, rid).round.stage == "spotcheck_drawn"

    # 已抽取: every drawn unit needs every verified score.
    assert workflow.blockers(db, rid) == [f"2 个核查单位缺核查得分（{'、'.join(drawn)}）"]
    for code in drawn:
        for ind in GOV_LEAVES:
            verified.enter_verified(
                db, actors["inspector"], rid, code, ind, {"A1": 9, "A2": 1, "B1": 95, "B2": 3, "B3": 0}[ind]
            )
    if any(c.startswith("X") for c in drawn):
        for code in drawn:
            if code.startswith("X"):
                verified.enter_verified(db, actors["inspector"], rid, code, "C1", 8)
    assert workflow.blockers(db, rid) == []
    assert workflow.advance(db, actors["admin"], rid) == "spotcheck_done"

    # 核查完成: the scheme weighs 民主评议 30 %, so a session must exist and be certified.
    assert workflow.blockers(db, rid) == ["未设立民主评议会议（方案中评议占 30%）"]
    with db.write() as s:
        sess = AppraisalSession(
            round_id=rid, kind="unit", form_code="mzpy", name="民主评议大会", expected=50, present=45
        )
        s.add(sess)
        s.flush()
        s.add(BallotBatch(session_id=sess.id, voter_group="cadre", label="箱1", issued=45, returned=45))
        s.add(
            BallotBatch(
                session_id=sess.id, voter_group="cadre", label="箱2", issued=5, returned=0, status="void"
            )
        )
        sid = sess.id
    assert workflow.blockers(db, rid) == [
        "民主评议大会：1 个选票批次未核定",
        "民主评议大会：没有已核定的选票批次",
    ]
    with pytest.raises(Conflict, match="1 个选票批次未核定"):
        workflow.advance(db, actors["admin"], rid)
    with db.write() as s:
        for b in s.exec(select(BallotBatch).where(BallotBatch.label == "箱1")).all():
            b.status = "certified"
    # Every batch certified, quorum met (45 > 0.5 × 50): the session still needs the reviewer's 核定.
    assert workflow.blockers(db, rid) == ["民主评议大会：各批次已核定，待审核员核定评议结果"]
    from assess.appraisal.sessions import certify_session

    with pytest.raises(PermissionDenied):
        certify_session(db, actors["admin"], sid)
    certify_session(db, actors["reviewer"], sid)
    with pytest.raises(Conflict, match="已核定"):
        certify_session(db, actors["reviewer"], sid)
    assert workflow.advance(db, actors["admin"], rid) == "appraisal_certified"

    # Later stages belong to computing and review.
    with pytest.raises(Conflict, match="排名与审核"):
        workflow.advance(db, actors["admin"], rid)
    with db.read() as s:
        moves = [
            (r.payload["from"], r.payload["to"])
            for r in s.exec(
                select(AuditRecord).where(AuditRecord.action == "round.stage").order_by(AuditRecord.seq)
            ).all()
        ]
    assert moves == [
        ("draft", "selfcheck_open"),
        ("selfcheck_open", "selfcheck_closed"),
        ("selfcheck_closed", "spotcheck_drawn"),
        ("spotcheck_drawn", "spotcheck_done"),
        ("spotcheck_done", "appraisal_certified"),
    ]


def test_set_stage_is_checked_and_audited(db, actors):
    rid = make_round(db, actors)
    with db.write() as s, pytest.raises(Conflict, match="未知阶段"):
        rounds.set_stage(s, "admin", s.get(Round, rid), "finished")
    with db.write() as s:
        rounds.set_stage(s, "reviewer", s.get(Round, rid), "computed", {"note": "results"})
    with db.read() as s:
        rec = s.exec(select(AuditRecord).where(AuditRecord.action == "round.stage")).one()
        assert rec.actor == "reviewer" and rec.payload == {
            "round_id": rid,
            "from": "draft",
            "to": "computed",
            "note": "results",
        }


def test_published_round_refuses_every_write(db, actors, tmp_path):
    rid = round_at_selfcheck_closed(db, actors)
    fid = findings.add_finding(db, actors["inspector"], rid, "G01", "公开栏未更新")
    rect = findings.issue_rectification(
        db, actors["inspector"], fid, "2026-12-31", "一周内更新", today=date(2026, 10, 1)
    )
    publish_directly(db, rid)
    a = actors
    csv = write_csv(tmp_path / "s.csv", "unit_code,indicator_code,score\nG01,A1,5\n")
    attempts = [
        lambda: workflow.advance(db, a["admin"], rid),
        lambda: selfcheck.enter_score(db, a["clerk"], rid, "G01", "A1", 5),
        lambda: selfcheck.submit(db, a["clerk"], rid, "G01"),
        lambda: selfcheck.import_scores(db, a["clerk"], rid, csv),
        lambda: selfcheck.import_scores(db, a["inspector"], rid, csv, kind="verified"),
        lambda: spotcheck.draw(db, a["inspector"], rid, 2, RFC_SOURCES),
        lambda: spotcheck.void(db, a["admin"], rid, "测试"),
        lambda: verified.enter_verified(db, a["inspector"], rid, "G01", "A1", 5),
        lambda: findings.add_finding(db, a["inspector"], rid, "G02", "问题"),
        lambda: findings.issue_rectification(
            db, a["inspector"], fid, "2026-12-31", "要求", notice_no="X-1", today=date(2026, 10, 1)
        ),
    ]
    for attempt in attempts:
        with pytest.raises(FrozenError, match="已公示冻结"):
            attempt()
    with db.write() as s, pytest.raises(FrozenError):
        rounds.set_stage(s, "admin", s.get(Round, rid), "approved")
    # Rectification follow-up continues after publication (it changes no published figure).
    assert findings.update_rectification(db, a["clerk"], rect, "rectified", "已更新公开栏") == "rectified"
    with db.read() as s:
        assert s.get(Round, rid).stage == "published"


def test_correction_round_links_a_published_round(db, actors):
    rid = make_round(db, actors)
    vid = rounds.list_rounds(db)[0].scheme_version_id
    with pytest.raises(Conflict, match="已公示"):
        rounds.create_round(db, actors["admin"], "更正", "2026-Q3", vid, corrects_round_id=rid)
    publish_directly(db, rid)
    new = rounds.create_round(db, actors["admin"], "更正", "2026-Q3", vid, corrects_round_id=rid)
    status = workflow.round_status(db, new)
    assert (status.round.corrects_round_id, status.round.stage, status.round.units) == (
        rid,
        "draft",
        len(UNITS),
    )


def test_scheme_without_spotcheck_advances_without_a_draw(db, actors):
    from .rounds_helpers import SCHEME

    add_units(db, actors)
    vid = store_scheme(db, {**SCHEME, "code": "no-spot", "spotcheck": {"sample_size": 0}})
    rid = rounds.create_round(db, actors["admin"], "无抽查", "2026", vid)
    workflow.advance(db, actors["admin"], rid)
    fill_and_submit(db, actors, rid)
    workflow.advance(db, actors["admin"], rid)
    assert workflow.blockers(db, rid) == []
    assert workflow.advance(db, actors["admin"], rid) == "spotcheck_drawn"
    assert workflow.blockers(db, rid) == []
    assert workflow.advance(db, actors["admin"], rid) == "spotcheck_done"
