"""公示 then objections then 定稿 (assess/publicity.py): the period, objections answered, an upheld
objection through the review chain again, 定稿 refused before the end date or with an objection
open, the diff between the 公示 and the final snapshot, verification and the freeze."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from assess.foundation.errors import Conflict, FrozenError, NotFound, PermissionDenied
from assess.integrity import verify as integrity
from assess.models import Objection, PublicityPeriod, Round
from assess.org import adjustments
from assess.results import accountability, objections, publicity, snapshot_check, stored
from assess.results import approval as review
from assess.results.compute import compute_round
from assess.rounds import snapshots

from .results_helpers import add_scores, full_marks, make_round, scheme_dict, store_scheme


def approved_round(db, actors):
    """Two units, indicators 90% + 加减分 10%, no appraisal:
    U1 full marks: indicators 40+30+30 = 100 → 0.9×100 + 0.1×100 = 100.00 (优秀, 1st);
    U2 制度建设 35 of 40: indicators 95 → 0.9×95 + 0.1×100 = 95.50 (优秀, 2nd)."""
    vid = store_scheme(db, scheme_dict(weights={"indicators": 90, "adjustment": 10}, forms=[], appraisal_form=None))
    rid, ids = make_round(db, vid, [("U1", "财政局", "甲类"), ("U2", "教育局", "甲类")])
    add_scores(db, rid, ids, full_marks(["U1"]) + full_marks(["U2"], i1=35))
    compute_round(db, actors["reviewer"], rid, resamples=0)
    chain(db, actors, rid)
    return rid


def chain(db, actors, rid):
    for e in accountability.list_entries(db, rid):
        if e.status == "proposed":
            accountability.decide(db, actors["reviewer"], e.id, "confirm", "核实无误")
    review.review(db, actors["clerk"], rid, "first")
    review.review(db, actors["reviewer"], rid, "audit")
    review.review(db, actors["reviewer2"], rid, "recheck")
    return review.vote(db, actors["committee"], rid, expected=9, present=8, yes=5, no=2, abstain=1)


def stage(db, rid):
    with db.read() as s:
        return s.get(Round, rid).stage


def scores(db, rid):
    with db.read() as s:
        return {r["code"]: (r["composite"], r["rank"], r["grade"]) for r in stored.results(s, rid)}


def test_working_days_skip_weekends():
    # Mon 7 Dec 2026 + 5 working days (the start day counted) → Fri 11 Dec.
    assert objections.working_days_end(date(2026, 12, 7)) == date(2026, 12, 11)
    # Thu 3 Dec: Thu 3, Fri 4, Mon 7, Tue 8, Wed 9.
    assert objections.working_days_end(date(2026, 12, 3)) == date(2026, 12, 9)
    # Sat 5 Dec starts on Mon 7: Mon..Fri 11.
    assert objections.working_days_end(date(2026, 12, 5)) == date(2026, 12, 11)
    assert objections.working_days_end(date(2026, 12, 7), 7) == date(2026, 12, 15)


def test_publicity_objection_upheld_review_again_and_finalize(db, actors):
    rid = approved_round(db, actors)
    assert scores(db, rid) == {"U1": (100.0, 1, "优秀"), "U2": (95.5, 2, "优秀")}
    with pytest.raises(PermissionDenied):
        publicity.open_publicity(db, actors["clerk"], rid, date(2026, 4, 13))
    opened = publicity.open_publicity(db, actors["admin"], rid, date(2026, 4, 13), contact="县纪委考核办 电话 1234")
    assert opened.ends_on == date(2026, 4, 17)  # Mon 13 April + 5 working days → Fri 17
    assert stage(db, rid) == "publicity"
    assert "公示" in review.status(db, rid).next_label
    # While in 公示 the outputs read the 公示 snapshot.
    with db.read() as s:
        assert snapshots.published_content(s, rid)["results"][0]["code"] == "U1"

    # Objections: who/what/when; outside the period or without a name/contact refused.
    with pytest.raises(Conflict, match="不在公示期"):
        publicity.add_objection(db, actors["clerk"], rid, "分数有误", date(2026, 4, 18), "person", "张三")
    with pytest.raises(Conflict, match="联系方式"):
        publicity.add_objection(db, actors["clerk"], rid, "分数有误", date(2026, 4, 14), "anonymous")
    o1 = publicity.add_objection(
        db, actors["clerk"], rid, "财政局公开栏长期未更新，制度建设不应满分", date(2026, 4, 14),
        "anonymous", contact="13800000000", unit_code="U1", figure="综合得分",
    )
    o2 = publicity.add_objection(
        db, actors["clerk"], rid, "教育局排名有误", date(2026, 4, 15), "unit", "教育局", unit_code="U2"
    )
    from assess.workflow.advance import blockers

    assert blockers(db, rid) == [f"还有 2 件异议未答复（#{o1}、#{o2}）"]  # the dashboard's 待办
    # 定稿 refused: before the end date, then with objections unanswered.
    with pytest.raises(Conflict, match="公示期至 2026-04-17"):
        publicity.finalize(db, actors["admin"], rid, today=date(2026, 4, 17))
    with pytest.raises(Conflict, match="2 件异议未答复"):
        publicity.finalize(db, actors["admin"], rid, today=date(2026, 4, 20))
    with pytest.raises(PermissionDenied):
        publicity.answer_objection(db, actors["clerk"], o2, "maintain", "经核")
    assert publicity.answer_objection(db, actors["reviewer"], o2, "maintain", "经核查，排名按得分计算无误") == "publicity"
    with pytest.raises(Conflict, match="已由"):
        publicity.answer_objection(db, actors["reviewer"], o2, "uphold", "改")

    # 采纳: back to 已计算 through a 退回 step; an adjustment entered; recompute; the chain again.
    assert publicity.answer_objection(db, actors["reviewer"], o1, "uphold", "经核查属实，扣 60 分") == "computed"
    st = review.status(db, rid)
    assert st.next_step == "first" and not st.chain
    adjustments.add_adjustment(db, actors["admin"], rid, "U1", -60, "公示期异议核实：公开栏未更新")
    compute_round(db, actors["reviewer"], rid, resamples=0)
    # U1: 加减分 100 − 60 = 40 → 0.9×100 + 0.1×40 = 94.00, now 2nd; U2 95.50 1st.
    assert scores(db, rid) == {"U1": (94.0, 2, "优秀"), "U2": (95.5, 1, "优秀")}
    with pytest.raises(Conflict, match="当前阶段为“已计算”"):
        publicity.finalize(db, actors["admin"], rid, today=date(2026, 4, 20))
    vote = chain(db, actors, rid)
    assert vote.passed and stage(db, rid) == "approved"
    rows = {o["id"]: o for o in objections.objections(db, rid)}
    assert rows[o1]["vote_id"] is not None and rows[o1]["settled"] == "已票决"
    assert rows[o2]["decision_label"] == "维持" and rows[o2]["vote_id"] is None

    # Before 定稿: the diff of the 公示 against the current results.
    d = publicity.diff(db, rid)
    assert d.against == "当前结果"
    assert {(r["code"], r["field"], r["publicity"], r["final"]) for r in d.rows} == {
        ("U1", "综合得分", "100.00", "94.00"),
        ("U1", "名次", "1", "2"),
        ("U2", "名次", "2", "1"),
    }

    # Straight to 定稿 from 已批准 (the office's choice), after the period.
    result = publicity.finalize(db, actors["admin"], rid, today=date(2026, 4, 20))
    assert stage(db, rid) == "published"
    d = publicity.diff(db, rid)
    assert d.against == "定稿" and len(d.rows) == 3
    with db.read() as s:
        content = snapshots.published_content(s, rid)
    assert [o["id"] for o in content["objections"]] == [o1, o2]
    assert content["publicity"][0]["ends_on"] == "2026-04-17"
    assert snapshot_check.verify_snapshot(db, rid).ok, snapshot_check.verify_snapshot(db, rid).problems
    report = integrity.verify_all(db)
    assert report.ok, report.problems
    assert result.content_hash != opened.content_hash  # the results changed after the 公示

    # Objections are frozen with the round: services and the database refuse.
    with pytest.raises((FrozenError, Conflict)):
        publicity.add_objection(db, actors["clerk"], rid, "又一件", date(2026, 4, 16), "person", "李四")
    with pytest.raises(DBAPIError, match="冻结"), db.write() as s:
        s.execute(text("UPDATE objection SET reason = '改了' WHERE id = :i"), {"i": o2})
    with pytest.raises(DBAPIError, match="冻结"), db.write() as s:
        s.execute(text("DELETE FROM objection WHERE id = :i"), {"i": o1})
    with pytest.raises(DBAPIError, match="冻结"), db.write() as s:
        s.execute(text("UPDATE publicityperiod SET ends_on = '2026-04-30' WHERE round_id = :r"), {"r": rid})


def test_second_publicity_and_open_refused_outside_approved(db, actors):
    rid = approved_round(db, actors)
    publicity.open_publicity(db, actors["admin"], rid, date(2026, 4, 13), date(2026, 4, 14))
    with pytest.raises(Conflict, match="已批准"):
        publicity.open_publicity(db, actors["admin"], rid, date(2026, 4, 15))
    o = publicity.add_objection(db, actors["clerk"], rid, "有误", date(2026, 4, 14), "person", "王五", unit_code="U2")
    o2 = publicity.add_objection(db, actors["clerk"], rid, "也有误", date(2026, 4, 14), "unit", "教育局")
    publicity.answer_objection(db, actors["admin"], o, "uphold", "复核")
    compute_round(db, actors["reviewer"], rid, resamples=0)  # nothing changed: the same results
    chain(db, actors, rid)
    with pytest.raises(Conflict, match=f"不能再次公示：还有 1 件异议未答复（#{o2}）"):
        publicity.open_publicity(db, actors["admin"], rid, date(2026, 4, 20))
    publicity.answer_objection(db, actors["reviewer"], o2, "maintain", "核实无误")
    second = publicity.open_publicity(db, actors["admin"], rid, date(2026, 4, 20))
    assert second.number == 2 and second.ends_on == date(2026, 4, 24)
    st = objections.status(db, rid, today=date(2026, 4, 24))
    assert st.period_text() == "第 2 次公示：2026-04-20 至 2026-04-24" and not st.can_finalize
    assert objections.status(db, rid, today=date(2026, 4, 25)).can_finalize
    publicity.finalize(db, actors["admin"], rid, today=date(2026, 4, 25))
    assert publicity.diff(db, rid).rows == []
    assert snapshot_check.verify_periods(db, rid) == (2, [])


def test_tampered_publicity_snapshot_detected(db, actors):
    rid = approved_round(db, actors)
    publicity.open_publicity(db, actors["admin"], rid, date(2026, 4, 13))
    clean = integrity.verify_all(db)
    assert clean.ok and clean.publicity == 1 and "1 个公示快照" in clean.lines()[1]
    with db.read() as s:
        p = s.exec(select(PublicityPeriod)).one()
        content = dict(p.content)
    content["results"] = [dict(r) for r in content["results"]]
    content["results"][0]["composite"] = 99.0  # U1 100.00 → 99.00 in the posted results
    with db.write() as s:
        s.execute(text("UPDATE publicityperiod SET content = :c WHERE id = :i"),
                  {"c": json.dumps(content, ensure_ascii=False), "i": p.id})
    report = integrity.verify_all(db)
    assert not report.ok
    assert any("快照内容与其哈希不符" in x for x in report.problems), report.problems
    assert any("重新计算" in x and "composite" in x for x in report.problems), report.problems
    # Rewriting the stored hash too: the audit record still holds the original one.
    from assess.foundation.jsontext import content_hash

    with db.write() as s:
        s.execute(text("UPDATE publicityperiod SET content_hash = :h WHERE id = :i"),
                  {"h": content_hash(content), "i": p.id})
    problems = integrity.verify_all(db).problems
    assert any("与审计日志中的公示记录不符" in x for x in problems), problems


def test_objection_rows_registered_and_audited(db, actors):
    rid = approved_round(db, actors)
    publicity.open_publicity(db, actors["admin"], rid, date(2026, 4, 13))
    oid = publicity.add_objection(db, actors["admin"], rid, "测评票数有疑问", date(2026, 4, 13), "person",
                                  "赵六", contact="街道办", unit_code="U2", figure="名次")
    with db.read() as s:
        o = s.get(Objection, oid)
        assert (o.submitter, o.figure, o.received_on, o.registered_by) == ("赵六", "名次", date(2026, 4, 13), "admin")
        actions = [a for (a,) in s.execute(text("SELECT action FROM auditrecord ORDER BY seq"))]
    assert actions[-1] == "objection.add" and "publicity.open" in actions
    with pytest.raises(NotFound, match="U9”不存在"):
        publicity.add_objection(db, actors["admin"], rid, "x", date(2026, 4, 13), "person", "赵六", unit_code="U9")


def test_documents_say_publicity_then_final(db, actors):
    from assess.reports.data import load_report_data
    from assess.reports.official import bulletin_doc, doc_text, publicity_doc

    rid = approved_round(db, actors)
    data = load_report_data(db, rid)
    assert data.draft_mark == "审核稿（未公示，不得外传）"
    with pytest.raises(Exception, match="尚未公示"):
        publicity_doc(data)
    opened = publicity.open_publicity(db, actors["admin"], rid, date(2026, 4, 13), contact="县纪委考核办，电话 1234")
    data = load_report_data(db, rid)
    assert data.in_publicity and data.draft_mark == "公示稿"
    text_ = doc_text(publicity_doc(data))
    assert "公示期：2026年4月13日至2026年4月17日" in text_
    assert "受理异议：县纪委考核办，电话 1234" in text_
    assert opened.content_hash in text_  # the 公示 snapshot's hash on the internal appendix
    assert "为公示稿" in doc_text(bulletin_doc(db, data))
    o = publicity.add_objection(db, actors["clerk"], rid, "有误", date(2026, 4, 14), "person", "张三")
    publicity.answer_objection(db, actors["reviewer"], o, "maintain", "核实无误")
    publicity.finalize(db, actors["admin"], rid, today=date(2026, 4, 20))
    data = load_report_data(db, rid)
    assert data.published and data.draft_mark == ""
    bulletin = doc_text(bulletin_doc(db, data))
    assert "考核结果已于2026年4月13日至2026年4月17日公示，公示期间收到异议1件，已全部答复（1件），其中采纳0件" in bulletin
    assert "定稿结果" in bulletin
