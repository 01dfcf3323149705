"""Every output that prints an indicator's points prints what the engine scored: a department-scored
indicator (职能部门评分) its department's value, an approved exemption 合理缺项 — in the report's
indicator details, the level-1 heatmap figures and the XLSX, live and from the publication snapshot
(SQLite and PostgreSQL). Numbers worked out by hand in the comments."""

from __future__ import annotations

import copy
import math

from openpyxl import load_workbook

from assess.reports.data import load_report_data
from assess.reports.figures import level1_percentages
from assess.reports.workbook import write_workbook
from assess.results import accountability, publication
from assess.results import approval as review
from assess.results.compute import compute_round
from assess.results.views import explain
from assess.rounds import department_scoring as scorers
from assess.rounds import lifecycle as rounds
from assess.rounds.snapshots import published_content
from assess.workflow import advance as workflow
from tui.rankings import explanation_text

from . import rounds_helpers as rh

# A1 (领导重视, points, max 10) is scored by 财政局 G01 for every unit; exemptions rescale.
SCHEME = copy.deepcopy(rh.SCHEME)
SCHEME["indicators"][0]["children"][0]["scorer"] = "G01"
SCHEME["exempt_rule"] = "rescale"
SCHEME["weights"] = {"indicators": 90, "adjustment": 10}
SCHEME.pop("appraisal_form")
SCHEME["spotcheck"] = {"sample_size": 0}


def _computed_round(db, actors) -> int:
    rh.add_units(db, actors)
    vid = rh.store_scheme(db, SCHEME)
    rid = rounds.create_round(db, actors["admin"], "2026年第三季度考核", "2026-Q3", vid)
    workflow.advance(db, actors["admin"], rid)
    rh.fill_and_submit(db, actors, rid)  # self-check A1 = 9 for every unit
    workflow.advance(db, actors["admin"], rid)
    workflow.advance(db, actors["admin"], rid)  # 已抽取核查单位 (no spot-check in the scheme)
    for code, *_ in rh.UNITS:
        scorers.enter_dept_score(db, actors["clerk"], rid, code, "A1", 6)  # the department says 6
    xid = scorers.request_exemption(db, actors["clerk"], rid, "X01", "C1", "该镇无村级组织")
    scorers.decide_exemption(db, actors["reviewer"], xid, True)
    workflow.advance(db, actors["admin"], rid)
    workflow.advance(db, actors["admin"], rid)
    compute_round(db, actors["admin"], rid, resamples=0)
    return rid


def _check_explain(db, rid) -> None:
    # the unit explanation (rankings screen, Enter): A1 counts the department's 6; X01's C1 is 合理缺项
    g02 = {ln.code: ln for ln in explain(db, rid, "G02").indicators}
    assert (g02["A1"].self_value, g02["A1"].dept_value, g02["A1"].points) == (9.0, 6.0, 6.0)
    ex = explain(db, rid, "X01")
    assert ex.composite == 93.25
    c1 = next(ln for ln in explanation_text(ex).splitlines() if ln.startswith("C1 "))
    assert "合理缺项" in c1


def _check(d) -> None:
    ind = d.indicators.set_index(["unit_code", "indicator_code"])
    g02 = ind.loc[("G02", "A1")]
    # self 9, department 6: the points that count are the department's 6
    assert (g02["self_value"], g02["dept_value"], g02["scorer"]) == (9.0, 6.0, "G01")
    assert g02["used_value"] == 6.0 and g02["points"] == 6.0 and g02["self_points"] == 9.0
    # X01's C1 is an approved exemption: no points, marked
    c1 = ind.loc[("X01", "C1")]
    assert bool(c1["exempt"]) and math.isnan(c1["points"])
    assert not ind.loc[("X02", "C1"), "exempt"] and ind.loc[("X02", "C1"), "points"] == 8.0
    # The composite agrees with the points shown. G02: A1 6 + A2 (10 − 1) 9 + B1 95 % of 20 = 19
    # + B2 bonus 3 = 37 of 40 → indicators 92.5; composite 0.9 × 92.5 + 0.1 × 100 = 93.25
    # (the self-check's 9 would have given 40 of 40 → 100 → 100.00).
    res = d.results.set_index("unit_code")
    for code, full, composite in (("G02", 40, 93.25), ("X01", 40, 93.25), ("X02", 50, 91.0)):
        # X01: C1 (满分 10) exempt → 37 of 40 = 92.5 → 93.25; X02: 37 + C1 8 = 45 of 50 = 90 → 0.9 × 90 + 10 = 91.00
        mine = d.indicators[(d.indicators["unit_code"] == code) & (d.indicators["method"] != "veto")]
        pts = float(mine["points"].sum())
        assert res.at[code, "c_indicators"] == 100.0 * pts / full
        assert res.at[code, "composite"] == composite
    # the heatmap's first-level percentages: A = (6 + 9) / 20 = 75 %; C of X01 left out (exempt)
    pct = level1_percentages(d.indicators).set_index(["unit_code", "level1_code"])["percent"]
    assert pct[("G02", "A")] == 75.0 and ("X01", "C") not in pct.index and pct[("X02", "C")] == 80.0


def _xlsx_rows(d, tmp_path):
    wb = load_workbook(write_workbook(d, tmp_path / "r.xlsx"))
    ws = wb["指标明细"]
    head = [c.value for c in ws[1]]
    assert head[-2:] == ["部门评分", "计分"]
    return {(r[0], r[4]): r for r in ws.iter_rows(min_row=2, values_only=True)}


def test_report_shows_the_department_value_and_exemptions_live_and_published(db, actors, tmp_path):
    rid = _computed_round(db, actors)
    d = load_report_data(db, rid)
    assert not d.published
    _check(d)
    _check_explain(db, rid)
    rows = _xlsx_rows(d, tmp_path)
    assert rows[("G02", "A1")][8] == 9 and rows[("G02", "A1")][-2:] == (6, 6)  # 自查值 9, 部门评分 6, 计分 6
    assert rows[("X01", "C1")][-1] == "合理缺项"

    for e in accountability.list_entries(db, rid):
        accountability.decide(db, actors["reviewer"], e.id, "confirm", "核实无误")
    review.review(db, actors["clerk"], rid, "first")
    review.review(db, actors["reviewer"], rid, "audit")
    review.review(db, actors["reviewer2"], rid, "recheck")
    review.vote(db, actors["committee"], rid, expected=9, present=8, yes=5, no=2, abstain=1)
    publication.publish(db, actors["admin"], rid)
    with db.read() as s:
        content = published_content(s, rid)
    assert content is not None and len(content["inputs"]["deptscores"]) == 6
    assert len(content["inputs"]["exemptions"]) == 1
    d = load_report_data(db, rid)
    assert d.published
    _check(d)
    _check_explain(db, rid)
    rows = _xlsx_rows(d, tmp_path)
    assert rows[("G02", "A1")][-2:] == (6, 6) and rows[("X01", "C1")][-1] == "合理缺项"
