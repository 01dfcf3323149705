"""Spot-check: the RFC 3797 draw on real rounds, void and re-draw, verification, verified scores,
the comparison and its 虚报 flags."""

from __future__ import annotations

import pytest
from sqlmodel import select

from assess.foundation.errors import Conflict, InputErrors, NotFound, PermissionDenied
from assess.models import AuditRecord, Round, SpotCheckDraw, SpotCheckScore
from assess.rounds import findings, rfc3797, selfcheck, spotcheck, verified
from assess.workflow import advance as workflow

from .rounds_helpers import GOOD, RFC_SOURCES, UNITS, round_at_selfcheck_closed, write_csv

# 25 units U01..U25 in one category: the published pool is exactly the RFC's pool 1..25.
RFC_UNITS = [(f"U{i:02d}", f"单位{i:02d}", "政府部门") for i in range(1, 26)]
RFC_SELECTED = ["U17", "U07", "U02", "U16", "U25", "U23", "U08", "U24", "U19", "U13"]


def test_draw_reproduces_the_rfc_example(db, actors):
    rid = round_at_selfcheck_closed(db, actors, units=RFC_UNITS)
    view = spotcheck.draw(db, actors["inspector"], rid, 10, RFC_SOURCES)
    assert view.key_string == "9319./2.5.8.10.12./9.18.26.34.41.45./"
    assert [p["code"] for p in view.pool] == [u for u, _n, _c in RFC_UNITS]
    assert [p["n"] for p in view.pool] == list(range(1, 26))
    assert view.selected_codes == RFC_SELECTED
    assert view.selected[0]["digest"] == "990DD0A5692A029A98B5E01AA28F3459"
    assert [x["remaining"] for x in view.selected] == list(range(25, 15, -1))
    with db.read() as s:
        assert s.get(Round, rid).stage == "spotcheck_drawn"
        rec = s.exec(select(AuditRecord).where(AuditRecord.action == "spotcheck.draw")).one()
    assert rec.payload["selected"] == RFC_SELECTED and rec.payload["sources"] == RFC_SOURCES
    assert rec.payload["pool"] == [u for u, _n, _c in RFC_UNITS]
    assert spotcheck.verify(db, rid).ok


def test_second_draw_refused_until_void_with_reason(db, actors):
    rid = round_at_selfcheck_closed(db, actors, units=RFC_UNITS)
    first = spotcheck.draw(db, actors["inspector"], rid, 3, RFC_SOURCES)
    with pytest.raises(Conflict, match="只能有一次有效抽取"):
        spotcheck.draw(db, actors["admin"], rid, 3, ["1 2 3"])
    with pytest.raises(PermissionDenied):
        spotcheck.void(db, actors["inspector"], rid, "来源公布有误")
    with pytest.raises(Conflict, match="理由"):
        spotcheck.void(db, actors["admin"], rid, "  ")
    spotcheck.void(db, actors["admin"], rid, "来源公布有误")
    assert workflow.round_status(db, rid).round.stage == "selfcheck_closed"
    second = spotcheck.draw(db, actors["inspector"], rid, 3, ["11 22 33 44 55 66", "7"])
    expected = [s.item for s in rfc3797.select([u for u, _n, _c in RFC_UNITS], 3, "11.22.33.44.55.66./7./")]
    assert second.selected_codes == expected
    assert first.selected_codes == RFC_SELECTED[:3]
    history = spotcheck.draws(db, rid)
    assert [(d.status, d.void_reason) for d in history] == [("void", "来源公布有误"), ("active", None)]
    report = spotcheck.verify(db, rid)
    assert report.ok and report.checked == [first.id, second.id]


def test_void_refused_once_verified_scores_exist(db, actors):
    rid = round_at_selfcheck_closed(db, actors)
    view = spotcheck.draw(db, actors["inspector"], rid, 2, RFC_SOURCES)
    verified.enter_verified(db, actors["inspector"], rid, view.selected_codes[0], "A1", 5)
    with pytest.raises(Conflict, match="已录入 1 条核查得分"):
        spotcheck.void(db, actors["admin"], rid, "重抽")


def test_verify_detects_a_changed_draw(db, actors):
    rid = round_at_selfcheck_closed(db, actors, units=RFC_UNITS)
    view = spotcheck.draw(db, actors["inspector"], rid, 10, RFC_SOURCES)
    with db.write() as s:
        d = s.get(SpotCheckDraw, view.id)
        d.selected = [{**x, "code": "U01"} if x["order"] == 1 else x for x in d.selected]
    report = spotcheck.verify(db, rid)
    assert not report.ok
    assert any("与重算不符" in p for p in report.problems)
    assert any("审计日志" in p for p in report.problems)
    with db.write() as s:
        d = s.get(SpotCheckDraw, view.id)
        d.selected = [x for x in view.selected]
        d.sources = ["9319", "2 5 12 8 10", "9 18 26 34 41 46"]
    report = spotcheck.verify(db, rid)
    assert not report.ok and any("密钥串与随机来源不符" in p for p in report.problems)


def test_draw_refusals(db, actors):
    rid = round_at_selfcheck_closed(db, actors)
    with pytest.raises(PermissionDenied):
        spotcheck.draw(db, actors["clerk"], rid, 2, RFC_SOURCES)
    with pytest.raises(Conflict, match="超过可抽取单位数 6"):
        spotcheck.draw(db, actors["inspector"], rid, 7, RFC_SOURCES)
    with pytest.raises(Conflict, match="随机来源"):
        spotcheck.draw(db, actors["inspector"], rid, 2, ["", " "])
    with pytest.raises(Exception, match="不是非负整数"):
        spotcheck.draw(db, actors["inspector"], rid, 2, ["3245.67"])
    with pytest.raises(NotFound):
        spotcheck.verify(db, rid)
    # The scheme's sample size (2) is the default count.
    assert len(spotcheck.draw(db, actors["inspector"], rid, None, RFC_SOURCES).selected) == 2


def test_minimum_per_category_and_focus_units(db, actors):
    rid = round_at_selfcheck_closed(db, actors)
    fid = findings.add_finding(db, actors["inspector"], rid, "G03", "上季度问题未整改")
    view = spotcheck.draw(
        db, actors["inspector"], rid, 3, RFC_SOURCES, min_per_category=1, focus_open_findings=True
    )
    # G03 has an open finding: inspected as 重点, outside the lottery and out of the pool.
    assert [f["code"] for f in view.focus] == ["G03"] and f"第 {fid} 号问题" in view.focus[0]["reason"]
    pool = [u for u, _n, _c in UNITS if u != "G03"]
    assert [p["code"] for p in view.pool] == pool
    # By hand: 政府部门 (the scheme's first category) draws 1 at index 0 from G01 G02 G04, then
    # 乡镇街道 draws 1 at index 1 from X01 X02, then the rest (1) at index 2 from what is left.
    key = rfc3797.key_string(RFC_SOURCES)
    gov = rfc3797.select(["G01", "G02", "G04"], 1, key)[0].item
    town = rfc3797.select(["X01", "X02"], 1, key, start_index=1)[0].item
    rest = rfc3797.select([c for c in pool if c not in (gov, town)], 1, key, start_index=2)[0].item
    assert view.selected_codes == [gov, town, rest]
    assert [x["part"] for x in view.selected] == ["政府部门", "乡镇街道", "其余"]
    assert spotcheck.verify(db, rid).ok
    status = workflow.round_status(db, rid)
    assert status.drawn == [gov, town, rest, "G03"]
    # 重点 units need verified scores too.
    assert "G03" in workflow.blockers(db, rid)[0]


def test_minimum_per_category_needs_enough_count(db, actors):
    rid = round_at_selfcheck_closed(db, actors)
    with pytest.raises(Conflict, match="各类别最少抽取数之和 4"):
        spotcheck.draw(db, actors["inspector"], rid, 3, RFC_SOURCES, min_per_category=2)


def test_inspectors_draw_excludes_conflicts(db, actors):
    from assess.foundation.users import add_user

    from .conftest import PASSWORD

    for name in ("insp_a", "insp_b", "insp_c"):
        add_user(db, actors["admin"], name, "inspector", PASSWORD, name)
    rid = round_at_selfcheck_closed(db, actors)
    with pytest.raises(Conflict, match="理由"):
        spotcheck.draw_inspectors(db, actors["admin"], rid, 2, RFC_SOURCES, {"insp_b": ""})
    view = spotcheck.draw_inspectors(
        db, actors["admin"], rid, 2, RFC_SOURCES, {"insp_b": "配偶在被检查单位任职"}
    )
    pool = ["insp_a", "insp_c", "inspector"]
    assert [p["code"] for p in view.pool] == pool
    assert view.selected_codes == [s.item for s in rfc3797.select(pool, 2, rfc3797.key_string(RFC_SOURCES))]
    assert view.excluded == [{"code": "insp_b", "reason": "配偶在被检查单位任职"}]
    with pytest.raises(Conflict, match="已抽取检查人员"):
        spotcheck.draw_inspectors(db, actors["admin"], rid, 2, RFC_SOURCES)
    # The unit draw is separate and still possible.
    spotcheck.draw(db, actors["inspector"], rid, 2, RFC_SOURCES)
    assert spotcheck.verify(db, rid).ok


def _drawn_round(db, actors):
    rid = round_at_selfcheck_closed(db, actors)
    view = spotcheck.draw(db, actors["inspector"], rid, 2, RFC_SOURCES)
    return rid, view.selected_codes


def test_verified_scores_only_for_drawn_units(db, actors, tmp_path):
    rid, drawn = _drawn_round(db, actors)
    other = next(c for c, _n, _k in UNITS if c not in drawn)
    with pytest.raises(Conflict, match="不是本轮抽取的核查单位"):
        verified.enter_verified(db, actors["inspector"], rid, other, "A1", 5)
    with pytest.raises(PermissionDenied):
        verified.enter_verified(db, actors["clerk"], rid, drawn[0], "A1", 5)
    with pytest.raises(Conflict, match="满分 10"):
        verified.enter_verified(db, actors["inspector"], rid, drawn[0], "A1", 10.5)
    path = write_csv(tmp_path / "v.csv", f"unit_code,indicator_code,score\n{drawn[0]},A1,6\n{other},A1,6\n")
    with pytest.raises(InputErrors) as err:
        selfcheck.import_scores(db, actors["inspector"], rid, path, kind="verified")
    assert [(p.line, p.field) for p in err.value.problems] == [(3, "unit_code")]
    with db.read() as s:
        assert s.exec(select(SpotCheckScore)).all() == []
    good = write_csv(tmp_path / "v2.csv", f"unit_code,indicator_code,score,note\n{drawn[0]},A1,6,现场核查\n")
    assert selfcheck.import_scores(db, actors["inspector"], rid, good, kind="verified") == 1
    progress = selfcheck.completeness(db, rid, kind="verified")
    assert [(c.unit_code, c.filled) for c in progress] == [(drawn[0], 1), (drawn[1], 0)]
    with db.read() as s:
        row = s.exec(select(SpotCheckScore)).one()
    assert (row.value, row.note, row.inspector) == (6.0, "现场核查", "inspector")


def test_comparison_flags_false_reports_by_hand(db, actors):
    """Self-check GOOD for every unit: A1 9, A2 1, B1 95, B2 3, B3 0. Tolerance 1.0.

    Verified for the first drawn unit (政府部门), by hand:
      A1 points  max 10: self 9 → 9,  verified 7 → 7:   9 − 7 = 2 > 1  → 虚报
      A2 deduct  max 10: self 1 → 9,  verified 2 → 8:   9 − 8 = 1, not > 1
      B1 ratio   max 20: self 95 → 19, verified 80 → 16: 19 − 16 = 3 > 1 → 虚报
      B2 bonus   max 5:  self 3 → 3,  verified 8 → 5:   3 − 5 = −2
      B3 veto:           self 0, verified 1: a concealed 一票否决 → 虚报
    """
    rid = round_at_selfcheck_closed(db, actors, units=UNITS[:4])
    view = spotcheck.draw(db, actors["inspector"], rid, 2, RFC_SOURCES)
    first, second = view.selected_codes
    values = {"A1": 7, "A2": 2, "B1": 80, "B2": 8, "B3": 1}
    for ind, v in values.items():
        verified.enter_verified(db, actors["inspector"], rid, first, ind, v)
    for ind in ("A1", "A2", "B1", "B2", "B3"):
        verified.enter_verified(db, actors["inspector"], rid, second, ind, GOOD[ind])
    rows = {(r.unit_code, r.indicator_code): r for r in verified.compare(db, rid)}
    assert len(rows) == 10
    got = [
        (
            c,
            rows[(first, c)].self_points,
            rows[(first, c)].verified_points,
            rows[(first, c)].difference,
            rows[(first, c)].false_report,
        )
        for c in ("A1", "A2", "B1", "B2", "B3")
    ]
    assert got == [
        ("A1", 9, 7, 2, True),
        ("A2", 9, 8, 1, False),
        ("B1", 19, 16, 3, True),
        ("B2", 3, 5, -2, False),
        ("B3", 0, 0, 0, True),
    ]
    assert not any(rows[(second, c)].false_report for c in ("A1", "A2", "B1", "B2", "B3"))
    only = verified.compare(db, rid, first)
    assert {r.unit_code for r in only} == {first}
    reports = verified.false_reports(db, rid)
    assert [(f.unit_code, f.indicator_code, f.difference) for f in reports] == [
        (first, "A1", 2),
        (first, "B1", 3),
        (first, "B3", 0),
    ]
    assert reports[0].self_value == 9 and reports[0].verified_value == 7
    undrawn = next(c for c, _n, _k in UNITS[:4] if c not in (first, second))
    with pytest.raises(Conflict, match="不是本轮抽取的核查单位"):
        verified.compare(db, rid, undrawn)


def test_comparison_before_any_verified_score(db, actors):
    rid, _drawn = _drawn_round(db, actors)
    rows = verified.compare(db, rid)
    assert rows and all(r.verified_value is None and not r.false_report for r in rows)
    assert verified.false_reports(db, rid) == []


def test_verified_template_lists_drawn_units_with_self_scores(db, actors, tmp_path):
    from openpyxl import load_workbook

    rid, drawn = _drawn_round(db, actors)
    ws = load_workbook(selfcheck.export_template(db, rid, None, tmp_path / "v.xlsx", kind="verified"))[
        "核查表"
    ]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][7] == "self_score"
    assert sorted({r[0] for r in rows[1:]}) == sorted(drawn)
    assert {r[2]: r[7] for r in rows[1:] if r[0] == drawn[0]}["A1"] == GOOD["A1"]
    with db.read() as s:
        assert s.exec(select(AuditRecord).where(AuditRecord.action == "spotcheck.import")).all() == []


def test_concurrent_draws_leave_exactly_one(db, actors):
    """Two inspectors draw at the same moment: the round lock lets one through; the other sees
    the first draw and is refused (SQLite: IMMEDIATE transactions; PostgreSQL: FOR UPDATE)."""
    import threading

    rid = round_at_selfcheck_closed(db, actors)
    barrier = threading.Barrier(2)
    results: list[str] = []

    def attempt(sources):
        barrier.wait()
        try:
            spotcheck.draw(db, actors["inspector"], rid, 2, sources)
            results.append("ok")
        except Conflict as e:
            results.append(str(e))

    threads = [threading.Thread(target=attempt, args=(src,)) for src in (RFC_SOURCES, ["1 2 3"])]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(results)[0] == "ok" and results.count("ok") == 1, results
    assert "只能有一次有效抽取" in next(r for r in results if r != "ok") or "阶段" in next(
        r for r in results if r != "ok"
    )
    with db.read() as s:
        assert len(s.exec(select(SpotCheckDraw).where(SpotCheckDraw.status == "active")).all()) == 1
    assert spotcheck.verify(db, rid).ok
