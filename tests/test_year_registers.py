"""黑名单 register, stage deadlines and overdue, 年初承诺, 红黄牌 (issue 14, points 6 and 7):
services on SQLite and PostgreSQL, and the commands."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlmodel import select

from assess.appraisal import pledges
from assess.cli import main
from assess.foundation import periods
from assess.foundation.errors import Conflict, NotFound, PermissionDenied
from assess.models import AuditRecord, BlacklistEntry, Round
from assess.org import blacklist as year
from assess.results import cards
from assess.results.compute import compute_round
from assess.rounds import deadlines
from assess.workflow import advance as workflow
from assess.workflow.overview import overview

from .conftest import PASSWORD, make_users
from .results_helpers import (
    add_cadres,
    add_prior_round,
    add_scores,
    full_marks,
    make_round,
    scheme_dict,
    store_scheme,
)


def _audit(db, action):
    with db.read() as s:
        return s.exec(select(AuditRecord).where(AuditRecord.action == action)).all()


def test_blacklist_entry_exit_and_dates(db, actors):
    vid = store_scheme(db, scheme_dict(weights={"indicators": 100}))
    _rid, ids = make_round(db, vid, [("U1", "财政局", "甲类")])
    cid = add_cadres(db, ids["U1"], ["C1"])
    with pytest.raises(PermissionDenied):
        year.enter_listing(db, actors["clerk"], "unit", "U1", "虚报", date(2026, 3, 1))
    with pytest.raises(Conflict, match="理由"):
        year.enter_listing(db, actors["reviewer"], "unit", "U1", "  ", date(2026, 3, 1))
    with pytest.raises(NotFound, match="U9"):
        year.enter_listing(db, actors["reviewer"], "unit", "U9", "虚报", date(2026, 3, 1))
    with db.read() as s:
        assert s.exec(select(BlacklistEntry)).all() == []  # refused input changed nothing
    u = year.enter_listing(db, actors["reviewer"], "unit", "U1", "连续两季自查虚报", date(2026, 3, 1), "通报〔2026〕3号")
    e = year.enter_listing(db, actors["admin"], "enterprise", "某建筑公司", "围标串标", date(2026, 4, 1))
    c = year.enter_listing(db, actors["admin"], "cadre", "C1", "不作为", date(2026, 4, 1))
    with pytest.raises(Conflict, match="已在黑名单上"):
        year.enter_listing(db, actors["admin"], "unit", "U1", "再次", date(2026, 5, 1))
    with pytest.raises(Conflict, match="早于列入日期"):
        year.exit_listing(db, actors["admin"], e, date(2026, 3, 31), "整改到位")
    year.exit_listing(db, actors["admin"], e, date(2026, 6, 1), "整改到位，期满移出")
    with pytest.raises(Conflict, match="已于 2026-06-01 移出"):
        year.exit_listing(db, actors["admin"], e, date(2026, 7, 1), "again")

    def on(d):
        return sorted(r.id for r in year.list_listings(db, d))

    assert on(date(2026, 2, 28)) == []
    assert on(date(2026, 3, 1)) == [u]
    assert on(date(2026, 5, 31)) == sorted([u, e, c])
    assert on(date(2026, 6, 1)) == sorted([u, c])  # lifted from its exit date
    rows = {r.id: r for r in year.list_listings(db)}
    assert rows[u].name == "财政局" and rows[u].unit_id == ids["U1"] and rows[u].basis == "通报〔2026〕3号"
    assert rows[c].cadre_id == cid["C1"] and rows[c].unit_id == ids["U1"] and rows[c].kind_label == "干部"
    assert rows[e].exit_reason == "整改到位，期满移出" and rows[e].unit_id is None
    assert len(_audit(db, "blacklist.enter")) == 3 and len(_audit(db, "blacklist.exit")) == 1
    # A listing can be entered again once lifted.
    year.enter_listing(db, actors["admin"], "enterprise", "某建筑公司", "再次围标", date(2026, 8, 1))


def test_stage_deadlines_and_overdue(db, actors):
    vid = store_scheme(db, scheme_dict(weights={"indicators": 100}))
    rid, _ids = make_round(db, vid, [("U1", "U1", "甲类")], period="2014", stage="selfcheck_open")
    # seed 001 八: 自查 2014-05-25 至 30 日; 核查 6 月份.
    with pytest.raises(PermissionDenied):
        deadlines.set_deadline(db, actors["clerk"], rid, "selfcheck", date(2014, 5, 30))
    with pytest.raises(Conflict, match="阶段“audit”无效"):
        deadlines.set_deadline(db, actors["admin"], rid, "audit", date(2014, 5, 30))
    with pytest.raises(Conflict, match="晚于截止日期"):
        deadlines.set_deadline(db, actors["admin"], rid, "selfcheck", date(2014, 5, 30), date(2014, 6, 1))
    deadlines.set_deadline(db, actors["admin"], rid, "selfcheck", date(2014, 5, 29), date(2014, 5, 25))
    deadlines.set_deadline(db, actors["admin"], rid, "selfcheck", date(2014, 5, 30), date(2014, 5, 25))  # changed
    deadlines.set_deadline(db, actors["admin"], rid, "spotcheck", date(2014, 6, 30), date(2014, 6, 1))
    rows = deadlines.round_deadlines(db, rid, date(2014, 5, 30))
    assert [(d.stage, d.due_on, d.done, d.days_overdue) for d in rows] == [
        ("selfcheck", date(2014, 5, 30), False, 0),  # the last day itself is not late
        ("spotcheck", date(2014, 6, 30), False, 0),
    ]
    assert rows[0].text == "测试轮次 2014 自查（2014-05-25 至 2014-05-30）：进行中"
    late = deadlines.overdue_stages(db, date(2014, 6, 2))
    assert [(d.stage, d.days_overdue) for d in late] == [("selfcheck", 3)]
    assert overview(db, today=date(2014, 6, 2)).late_stages[0].days_overdue == 3
    with db.write() as s:
        s.get(Round, rid).stage = "selfcheck_closed"
    assert deadlines.overdue_stages(db, date(2014, 6, 2)) == []  # closed: done, however late
    assert [d.days_overdue for d in deadlines.overdue_stages(db, date(2014, 7, 3))] == [3]  # 核查 past 6-30
    rec = _audit(db, "round.deadline")
    assert len(rec) == 3 and rec[1].payload["previous"]["due_on"] == "2014-05-29"


def test_pledge_recorded_replaced_and_read(db, actors):
    vid = store_scheme(db, scheme_dict(weights={"indicators": 100}))
    _rid, ids = make_round(db, vid, [("U1", "U1", "甲类")])
    add_cadres(db, ids["U1"], ["C1", "C2"])
    with pytest.raises(PermissionDenied):
        pledges.record_pledge(db, actors["inspector"], "C1", 2026, "廉洁自律")
    with pytest.raises(Conflict, match="内容"):
        pledges.record_pledge(db, actors["clerk"], "C1", 2026, "")
    pledges.record_pledge(db, actors["clerk"], "C1", 2026, "带头公开村务")
    pledges.record_pledge(db, actors["clerk"], "C1", 2026, "带头公开村务，三资月月公开")
    assert pledges.pledge_text(db, "C1", 2026) == "带头公开村务，三资月月公开"
    assert pledges.pledge_text(db, "C1", 2025) is None and pledges.pledge_text(db, "C2", 2026) is None
    rec = _audit(db, "cadre.pledge")
    assert len(rec) == 2 and rec[1].payload["previous"] == "带头公开村务"


def test_red_and_yellow_cards(db, actors):
    # R03: last in category twice within 3 periods. 2026-Q1: U3 last. 2026-Q2 (now): composites
    # I1 + 60 → U1 100, U2 80 (last), U3 90. Nothing fires now (U2 last once; U3 not last now).
    # Next period (Q3) the window is Q1–Q3: U2 holds once (Q2), U3 once (Q1) = times − 1 → 黄牌 each.
    # U1, listed on the 黑名单 from 2026-06-01 → 红牌.
    vid = store_scheme(
        db,
        scheme_dict(
            weights={"indicators": 100},
            rules=[{"code": "R03", "kind": "last_in_category", "action": "诫勉谈话", "window": 3, "times": 2}],
        ),
    )
    add_prior_round(
        db, vid, "2026-Q1", [("U1", "甲类", 95, 1, "优秀"), ("U2", "甲类", 90, 2, "优秀"), ("U3", "甲类", 70, 3, "良好")]
    )
    rid, ids = make_round(db, vid, [("U1", "U1", "甲类"), ("U2", "U2", "甲类"), ("U3", "U3", "甲类")], period="2026-Q2")
    add_scores(db, rid, ids, full_marks(["U1"]) + full_marks(["U2"], i1=20) + full_marks(["U3"], i1=30))
    compute_round(db, actors["admin"], rid, today=date(2026, 7, 1), resamples=0)
    assert cards.cards(db, rid, date(2026, 7, 1)) and all(c.colour == "yellow" for c in cards.cards(db, rid))
    yellow = {c.unit: c.text for c in cards.cards(db, rid, date(2026, 7, 1))}
    assert set(yellow) == {"U2 U2", "U3 U3"}
    assert yellow["U2 U2"].startswith("已 1 次，再有 1 次即触发：最近 3 个考核周期内 2 次类别内排名末位")
    year.enter_listing(db, actors["admin"], "unit", "U1", "围标串标", date(2026, 6, 1))
    got = [(c.label, c.unit) for c in cards.cards(db, rid, date(2026, 7, 1))]
    assert got == [("红牌", "U1 U1"), ("黄牌", "U2 U2"), ("黄牌", "U3 U3")]
    assert [c.label for c in overview(db, today=date(2026, 7, 1)).cards] == ["红牌", "黄牌", "黄牌"]
    assert [c.label for c in cards.cards(db, rid, date(2026, 5, 31))] == ["黄牌", "黄牌"]  # not yet listed


def _run(capsys, monkeypatch, db, user, *argv):
    monkeypatch.setenv("ASSESS_USER", user)
    monkeypatch.setenv("ASSESS_PASSWORD", PASSWORD)
    rc = main([*argv, "--db", db.url])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_commands(sqlite_db, capsys, monkeypatch):
    db = sqlite_db
    make_users(db)
    vid = store_scheme(db, scheme_dict(weights={"indicators": 100}))
    rid, ids = make_round(db, vid, [("U1", "财政局", "甲类")], period="2014", stage="selfcheck_open")
    add_cadres(db, ids["U1"], ["C1"])
    rc, _out, err = _run(capsys, monkeypatch, db, "clerk", "blacklist", "add", "unit", "U1", "--reason", "虚报")
    assert rc == 1 and "无权限" in err
    rc, out, _ = _run(
        capsys, monkeypatch, db, "reviewer", "blacklist", "add", "enterprise", "某公司", "--reason", "围标", "--from", "2014-05-01"
    )
    assert rc == 0 and "已列入黑名单" in out
    rc, out, _ = _run(capsys, monkeypatch, db, "", "blacklist", "--format", "json")
    (row,) = json.loads(out)
    assert row["name"] == "某公司" and row["kind"] == "enterprise" and row["entered_on"] == "2014-05-01"
    rc, out, _ = _run(
        capsys, monkeypatch, db, "admin", "blacklist", "remove", str(row["id"]), "--reason", "期满", "--on", "2014-09-01"
    )
    assert rc == 0 and "2014-09-01 移出" in out
    rc, out, _ = _run(capsys, monkeypatch, db, "", "blacklist", "--on", "2014-10-01", "--format", "json")
    assert json.loads(out) == []

    rc, out, _ = _run(
        capsys, monkeypatch, db, "admin", "deadline", "set", "--round", "2014", "selfcheck", "2014-05-30", "--from", "2014-05-25"
    )
    assert rc == 0 and "自查期限" in out
    rc, out, _ = _run(capsys, monkeypatch, db, "", "deadline", "overdue", "--today", "2014-06-02", "--format", "json")
    (late,) = json.loads(out)
    assert late["stage"] == "selfcheck" and late["days_overdue"] == 3
    rc, out, _ = _run(capsys, monkeypatch, db, "", "deadline", "--round", "2014", "--today", "2014-06-02")
    assert rc == 0 and "自查" in out and "未完成" in out

    rc, out, _ = _run(capsys, monkeypatch, db, "clerk", "pledge", "set", "C1", "2014", "--text", "廉洁自律")
    assert rc == 0
    rc, out, _ = _run(capsys, monkeypatch, db, "", "pledge", "show", "C1", "2014")
    assert out.strip() == "廉洁自律"
    rc, _out, err = _run(capsys, monkeypatch, db, "", "pledge", "show", "C1", "2015")
    assert rc != 0 and "没有 2015 年度的年初承诺" in err
    rc, out, _ = _run(capsys, monkeypatch, db, "", "cards", "--round", str(rid), "--format", "json")
    assert rc == 0 and json.loads(out) == []


def test_risk_level_a_units_are_inspected_as_focus(db, actors):
    # The scheme says spotcheck.risk_focus = ["A"] (seed 003 附件9: A 类风险最高): X01 has an A-level
    # cadre → 重点, outside the lottery; G01's cadre is B → stays in the pool; an inactive A cadre
    # (G02) does not count.
    from assess.org.units import add_cadre, set_cadre_active
    from assess.rounds import lifecycle as rounds
    from assess.rounds import rfc3797, spotcheck

    from .rounds_helpers import RFC_SOURCES, SCHEME, UNITS, add_units, fill_and_submit
    from .rounds_helpers import store_scheme as store_round_scheme

    add_units(db, actors)
    vid = store_round_scheme(db, {**SCHEME, "spotcheck": {**SCHEME["spotcheck"], "risk_focus": ["A"]}})
    rid = rounds.create_round(db, actors["admin"], "2026年第三季度考核", "2026-Q3", vid)
    add_cadre(db, actors["admin"], "K1", "张三", "X01", "镇长", risk_level="A")
    add_cadre(db, actors["admin"], "K2", "李四", "G01", "科长", risk_level="B")
    add_cadre(db, actors["admin"], "K3", "王五", "G02", "局长", risk_level="A")
    set_cadre_active(db, actors["admin"], "K3", False)
    workflow.advance(db, actors["admin"], rid)
    fill_and_submit(db, actors, rid)
    workflow.advance(db, actors["admin"], rid)
    pool, focus = spotcheck.pool_preview(db, rid)
    assert [f["code"] for f in focus] == ["X01"] and focus[0]["reason"] == "廉政风险 A 类：K1 张三（镇长）"
    view = spotcheck.draw(db, actors["inspector"], rid, 2, RFC_SOURCES)
    codes = [u for u, _n, _c in UNITS if u != "X01"]
    assert [p["code"] for p in view.pool] == codes == [p["code"] for p in pool]
    key = rfc3797.key_string(RFC_SOURCES)
    assert view.selected_codes == [x.item for x in rfc3797.select(codes, 2, key)]
    assert workflow.round_status(db, rid).drawn == [*view.selected_codes, "X01"]
    assert spotcheck.verify(db, rid).ok


def test_blacklist_bars_excellent_when_the_scheme_says_so(db, actors):
    # no_excellent_if = ["黑名单"]: U1 (100 points) listed within 2026-Q2 → not 优秀; U2 (100) was
    # listed but lifted before the quarter began → 优秀; U3's listing starts after the quarter.
    from assess.models import UnitResult

    vid = store_scheme(db, scheme_dict(weights={"indicators": 100}, no_excellent_if=["黑名单"]))
    units = [("U1", "U1", "甲类"), ("U2", "U2", "甲类"), ("U3", "U3", "甲类")]
    rid, ids = make_round(db, vid, units, period="2026-Q2")
    add_scores(db, rid, ids, full_marks(["U1", "U2", "U3"]))
    year.enter_listing(db, actors["admin"], "unit", "U1", "围标", date(2026, 6, 30))
    lifted = year.enter_listing(db, actors["admin"], "unit", "U2", "围标", date(2026, 1, 5))
    year.exit_listing(db, actors["admin"], lifted, date(2026, 4, 1), "期满")  # in force until 3-31
    year.enter_listing(db, actors["admin"], "unit", "U3", "围标", date(2026, 7, 1))
    assert periods.period_span("2026-Q2") == (date(2026, 4, 1), date(2026, 6, 30))
    assert periods.period_span("2026") == (date(2026, 1, 1), date(2026, 12, 31))
    assert periods.period_span("2026-H1") == (date(2026, 1, 1), date(2026, 6, 30))
    assert periods.period_span("2026-02") == (date(2026, 2, 1), date(2026, 2, 28))
    compute_round(db, actors["admin"], rid, today=date(2026, 7, 10), resamples=0)
    with db.read() as s:
        got = {r.unit_id: (r.grade, r.flags) for r in s.exec(select(UnitResult).where(UnitResult.round_id == rid))}
    assert got[ids["U1"]] == ("良好", ["no_excellent:黑名单"])  # the next band down
    assert got[ids["U2"]][0] == "优秀" and got[ids["U3"]][0] == "优秀"
