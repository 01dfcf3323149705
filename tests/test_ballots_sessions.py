"""Appraisal sessions: form from the round's scheme, targets in ballot order, attendance and
quorum, 述职述廉 and 询问质询, session certification and the round's blockers."""

from __future__ import annotations

import pytest
from sqlmodel import select

from assess.appraisal import entry as ballots
from assess.appraisal import session_info as appraisal_info
from assess.appraisal import sessions as appraisal
from assess.demo import builders
from assess.foundation.errors import Conflict, NotFound, PermissionDenied
from assess.models import RoundUnit, Unit

from .ballot_helpers import make_round


def test_create_session_form_targets_and_groups(db, actors):
    rid = make_round(db)
    builders.numbered_units(db, actors["admin"], 3)
    sid = appraisal.create_session(
        db,
        actors["clerk"],
        rid,
        "unit",
        "评议会",
        target_codes=["U03", "U01"],
        group_expected={"ld": 8, "fw": 30},
        present=30,
    )
    info = appraisal_info.session_info(db, sid)
    assert info.form.code == "mzpy" and info.option_labels == ["满意", "基本满意", "不满意", "不了解"]
    assert [(t.position, t.code) for t in info.targets] == [(1, "U03"), (2, "U01")]
    assert [(g.code, g.weight, g.expected) for g in info.groups] == [
        ("ld", 0.2, 8),
        ("rd", 0.2, 0),
        ("fw", 0.4, 30),
        ("zg", 0.2, 0),
    ]
    assert info.expected == 38  # 应到 defaults to the sum over the groups
    assert info.quorum_ok() and "须超过 19 人：达到法定人数" in info.quorum_text()


def test_create_session_refusals(db, actors):
    rid = make_round(db)
    builders.numbered_units(db, actors["admin"], 2)
    with pytest.raises(PermissionDenied):
        appraisal.create_session(db, actors["inspector"], rid, "unit", "评议会", target_codes=["U01"])
    with pytest.raises(Conflict, match="用于勤廉双述"):
        appraisal.create_session(
            db, actors["clerk"], rid, "unit", "评议会", form_code="qlss", target_codes=["U01"]
        )
    with pytest.raises(NotFound, match="没有评议表“nope”"):
        appraisal.create_session(
            db, actors["clerk"], rid, "unit", "评议会", form_code="nope", target_codes=["U01"]
        )
    with pytest.raises(Conflict, match="重复：U01"):
        appraisal.create_session(db, actors["clerk"], rid, "unit", "评议会", target_codes=["U01", "U01"])
    with pytest.raises(NotFound, match="U09"):
        appraisal.create_session(db, actors["clerk"], rid, "unit", "评议会", target_codes=["U01", "U09"])
    from assess.org.units import set_unit_active

    set_unit_active(db, actors["admin"], "U02", False)
    with pytest.raises(Conflict, match="已停用"):
        appraisal.create_session(db, actors["clerk"], rid, "unit", "评议会", target_codes=["U02"])
    with pytest.raises(Conflict, match="默认"):  # no targets given and the round has no units
        appraisal.create_session(db, actors["clerk"], rid, "unit", "评议会")
    with pytest.raises(NotFound, match="没有投票人类别"):
        appraisal.create_session(
            db, actors["clerk"], rid, "unit", "评议会", target_codes=["U01"], group_expected={"xx": 3}
        )


def test_default_targets_are_the_round_units_by_code(db, actors):
    rid = make_round(db)
    builders.numbered_units(db, actors["admin"], 3)
    with db.write() as s:
        ids = dict(s.exec(select(Unit.code, Unit.id)).all())
        for code in ("U03", "U01"):
            s.add(RoundUnit(round_id=rid, unit_id=ids[code]))
    sid = appraisal.create_session(db, actors["clerk"], rid, "unit", "评议会")
    assert [t.code for t in appraisal_info.session_info(db, sid).targets] == ["U01", "U03"]


def test_targets_fixed_once_ballots_exist(db, actors):
    rid = make_round(db)
    builders.numbered_units(db, actors["admin"], 3)
    sid = appraisal.create_session(db, actors["clerk"], rid, "unit", "评议会", target_codes=["U01", "U02"])
    assert appraisal.set_targets(db, actors["clerk"], sid, ["U02", "U03", "U01"]) == 3
    batch = ballots.create_batch(db, actors["clerk"], sid, "fw", "B1", 1, 1)
    ballots.open_pass(db, actors["clerk"], batch)
    with pytest.raises(Conflict, match="不能再改"):
        appraisal.set_targets(db, actors["clerk"], sid, ["U01"])


def test_attendance(db, actors):
    rid = make_round(db)
    builders.numbered_units(db, actors["admin"], 1)
    sid = appraisal.create_session(db, actors["clerk"], rid, "unit", "评议会", target_codes=["U01"])
    assert not appraisal_info.session_info(db, sid).quorum_ok()  # nothing recorded yet
    appraisal.set_attendance(db, actors["clerk"], sid, groups={"ld": 4, "fw": 6})
    info = appraisal_info.session_info(db, sid)
    assert info.expected == 10 and {g.code: g.expected for g in info.groups}["fw"] == 6
    with pytest.raises(Conflict, match="实到 11 人，超过应到人数"):
        appraisal.set_attendance(db, actors["clerk"], sid, present=11)
    appraisal.set_attendance(db, actors["clerk"], sid, present=5)
    assert not appraisal_info.session_info(db, sid).quorum_ok()  # 5 is not more than 1/2 of 10
    appraisal.set_attendance(db, actors["clerk"], sid, present=6)
    assert appraisal_info.session_info(db, sid).quorum_ok()


def test_statements_and_questions(db, actors):
    builders.numbered_units(db, actors["admin"], 1)
    cadres = builders.cadres(db, actors["admin"], 3)
    rid = make_round(db)
    sid = appraisal.create_session(db, actors["clerk"], rid, "cadre", "述职述廉会", target_codes=cadres[:2])
    appraisal.set_statement(db, actors["clerk"], sid, "C01", "抓党建、管三资")
    appraisal.set_statement(db, actors["clerk"], sid, "C01", "抓党建、管三资、办实事")  # replaced, not added
    qid = appraisal.add_question(db, actors["clerk"], sid, "C01", "村道修缮资金如何使用？")
    appraisal.add_question(db, actors["clerk"], sid, "C01", "低保名单是否公示？", "已在村务公开栏公示")
    appraisal.answer_question(db, actors["clerk"], qid, "按一事一议公示")
    rows = {r.cadre_code: r for r in appraisal.statements(db, sid)}
    assert rows["C01"].summary == "抓党建、管三资、办实事"
    assert [(q, a) for _i, q, a in rows["C01"].questions] == [
        ("村道修缮资金如何使用？", "按一事一议公示"),
        ("低保名单是否公示？", "已在村务公开栏公示"),
    ]
    assert rows["C02"].summary == "" and rows["C02"].questions == []
    with pytest.raises(Conflict, match="不在本次会议"):
        appraisal.set_statement(db, actors["clerk"], sid, "C03", "x")
    with pytest.raises(PermissionDenied):
        appraisal.set_statement(db, actors["reviewer"], sid, "C01", "x")
    builders.numbered_units(db, actors["admin"], 1, prefix="V")
    usid = appraisal.create_session(db, actors["clerk"], rid, "unit", "评议会", target_codes=["V01"])
    with pytest.raises(Conflict, match="只用于勤廉双述"):
        appraisal.set_statement(db, actors["clerk"], usid, "C01", "x")


def test_session_certification_and_round_blockers(db, actors):
    rid = make_round(db)
    builders.numbered_units(db, actors["admin"], 2)
    sid = appraisal.create_session(
        db, actors["clerk"], rid, "unit", "评议会", target_codes=["U01", "U02"], expected=10, present=5
    )
    assert appraisal.appraisal_blockers(db, rid) == [
        "评议会：没有已核定的选票批次",
        "评议会：应到 10 人，实到 5 人，须超过 5 人：未达到法定人数",
    ]
    builders.certified_batch(db, actors, sid, "fw", "F1", ["12", "21", "33"])
    open_batch = ballots.create_batch(db, actors["clerk"], sid, "ld", "L1", 2, 2)
    with pytest.raises(Conflict, match="1 个选票批次未核定"):
        appraisal.certify_session(db, actors["reviewer"], sid)
    ballots.void_batch(db, actors["reviewer"], open_batch, "票箱未封")
    appraisal.set_attendance(db, actors["clerk"], sid, present=8)
    assert appraisal.appraisal_blockers(db, rid) == ["评议会：各批次已核定，待审核员核定评议结果"]
    with pytest.raises(PermissionDenied):
        appraisal.certify_session(db, actors["admin"], sid)
    appraisal.certify_session(db, actors["reviewer"], sid)
    assert appraisal.appraisal_blockers(db, rid) == []
    with pytest.raises(Conflict, match="已核定"):
        ballots.create_batch(db, actors["clerk"], sid, "ld", "L2", 2, 2)
    with pytest.raises(Conflict, match="已核定"):
        appraisal.set_attendance(db, actors["clerk"], sid, present=9)
    rows = appraisal_info.list_sessions(db, rid)
    assert [(r.name, r.status, r.batches, r.certified) for r in rows] == [("评议会", "certified", 2, 1)]
