"""Annual rounds (年度考核, assess/annual.py): the quarterly average and the year-end composite
combined by the scheme's [annual] weights, ranked and graded by the one engine; a missing quarter
is left out and flagged; the cadre appraisal held in the annual round feeds the 连续两年 rule;
published annual rounds verify from their snapshot. Numbers are worked out by hand in comments."""

from __future__ import annotations

import copy
from datetime import date

import pytest
from sqlmodel import select

from assess.foundation.errors import Conflict, InputErrors
from assess.models import AnnualRound, CadreResult, Round, Snapshot, Unit, UnitResult
from assess.results import accountability, annual, publication, snapshot_check
from assess.results import approval as review
from assess.results.compute import compute_round
from assess.schemes.validate import validate_text

from .results_helpers import (
    BANDS,
    add_cadres,
    add_prior_round,
    add_scores,
    add_session,
    full_marks,
    make_round,
    scheme_dict,
    store_scheme,
)

TODAY = date(2027, 1, 15)
ANNUAL = {"weights": {"quarters": 40, "year_end": 60}, "precision": 2, "basis": "example", "reason": "测试"}


def annual_scheme(**over) -> dict:
    """Indicators only (weights indicators 100): a unit's year-end composite is
    I1 + (30 − I2) + 30 × I3 / 100 out of 100."""
    d = scheme_dict(weights={"indicators": 100}, appraisal_form=None, annual=copy.deepcopy(ANNUAL))
    d.pop("appraisal_form")
    d.update(over)
    return d


def quarter(db, vid, q: int, results) -> int:
    """A published quarterly round of 2026 with the given (unit, category, composite, rank, grade)."""
    return add_prior_round(db, vid, f"2026-Q{q}", results)


def annual_round(db, actors, vid, units, **kw) -> tuple[int, dict[str, int]]:
    from .results_helpers import ensure_units

    ids = ensure_units(db, units)
    rid = annual.create_annual_round(db, actors["admin"], vid, "2026年度", unit_codes=[u[0] for u in units], **kw)
    with db.write() as s:
        r = s.get(Round, rid)
        r.stage = "appraisal_certified"  # the year-end self-check etc. are the usual stages, tested elsewhere
        s.add(r)
    return rid, ids


def results(db, rid) -> dict[str, UnitResult]:
    with db.read() as s:
        rows = s.exec(select(UnitResult, Unit.code).join(Unit, Unit.id == UnitResult.unit_id).where(
            UnitResult.round_id == rid)).all()
        return {code: r for r, code in rows}


def test_annual_formula_missing_quarter_ranks_and_grades(db, actors):
    vid = store_scheme(db, annual_scheme())
    # Q1, Q2 and Q4 published; no round for Q3.
    quarter(db, vid, 1, [("U1", "甲类", 80, 1, "良好"), ("U2", "甲类", 70, 2, "一般"), ("U3", "乙类", 60, 1, "一般")])
    quarter(db, vid, 2, [("U1", "甲类", 90, 1, "优秀"), ("U2", "甲类", 80, 2, "良好")])
    quarter(db, vid, 4, [("U1", "甲类", 85, 1, "良好"), ("U2", "甲类", 75, 2, "一般")])
    rid, ids = annual_round(db, actors, vid, [("U1", "财政局", "甲类"), ("U2", "教育局", "甲类"), ("U3", "民政局", "乙类")])
    # Year-end: U1 I1 30 → 30 + 30 + 30 = 90.00; U2 full marks 100.00; U3 full marks 100.00.
    add_scores(db, rid, ids, full_marks(["U1"], i1=30) + full_marks(["U2", "U3"]))
    summary = compute_round(db, actors["reviewer"], rid, today=TODAY, resamples=50)
    got = results(db, rid)
    u1, u2, u3 = got["U1"], got["U2"], got["U3"]
    # U1: average (80 + 90 + 85) / 3 = 85.00 (Q3 missing, flagged, not 0); 0.4 × 85 + 0.6 × 90 = 34 + 54 = 88.00.
    assert u1.components["q3"] is None and u1.components["quarter_avg"] == 85.0
    assert u1.components["year_end"] == 90.0 and u1.composite == 88.0
    assert "missing_quarter:Q3" in u1.flags
    # U2: (70 + 80 + 75) / 3 = 75.00; 0.4 × 75 + 0.6 × 100 = 30 + 60 = 90.00 → first, 优秀 (≥ 90).
    assert u2.components["quarter_avg"] == 75.0 and u2.composite == 90.0
    assert (u2.rank, u2.grade) == (1, "优秀") and (u1.rank, u1.grade) == (2, "良好")
    # U3: only Q1 60 → average 60.00; 0.4 × 60 + 0.6 × 100 = 24 + 60 = 84.00, Q2, Q3, Q4 flagged.
    assert u3.composite == 84.0 and u3.rank == 1 and u3.grade == "良好"
    assert {"missing_quarter:Q2", "missing_quarter:Q3", "missing_quarter:Q4"} <= set(u3.flags)
    assert any("季度平均按有结果的季度计算" in w for w in summary.warnings)
    assert any("第三季度没有已公示的考核轮次" in w for w in summary.warnings)
    with db.read() as s:
        row = s.exec(select(AnnualRound).where(AnnualRound.round_id == rid)).one()
        assert [x["quarter"] for x in row.sources] == [1, 2, 4]
    lines = annual.explain(db, rid, "U1")
    text = "\n".join(lines)
    assert "季度平均 = (80.00 + 90.00 + 85.00) ÷ 3 = 85.00" in text
    assert "三季度：缺（没有已公示的季度考核轮次）" in text
    assert "85.00 × 40% + 年终考核 90.00 × 60% = 34.0000 + 54.0000 = 88.0000" in text
    assert "名次 2，等次“良好”" in text


def test_no_quarter_at_all_renormalises_onto_the_year_end(db, actors):
    vid = store_scheme(db, annual_scheme())
    rid, ids = annual_round(db, actors, vid, [("U1", "财政局", "甲类")])
    add_scores(db, rid, ids, full_marks(["U1"], i1=25))  # 25 + 30 + 30 = 85.00
    compute_round(db, actors["reviewer"], rid, today=TODAY, resamples=0)
    u1 = results(db, rid)["U1"]
    # No quarterly part: weights renormalise to the year-end alone, 60 × 85 / 60 = 85.00, flagged.
    assert u1.composite == 85.0 and "missing:quarters" in u1.flags
    assert "年终考核 85.00（季度部分缺失" in "\n".join(annual.explain(db, rid, "U1"))


def test_rounding_before_ranking_ties_and_annual_quota(db, actors):
    quota = [{"grade": "优秀", "max_share": 0.5, "rounding": "floor"}]
    vid = store_scheme(db, annual_scheme(annual={**ANNUAL, "quotas": quota}))
    units = [("A", "甲类", 85.0), ("B", "甲类", 85.02)]
    quarter(db, vid, 1, [(c, cat, v, 1, "良好") for c, cat, v in units])
    quarter(db, vid, 2, [("A", "甲类", 85.0, 1, "良好"), ("B", "甲类", 85.0, 1, "良好")])
    quarter(db, vid, 3, [("C", "甲类", 95, 1, "优秀"), ("D", "甲类", 95, 1, "优秀")])
    rid, ids = annual_round(
        db, actors, vid, [("A", "甲", "甲类"), ("B", "乙", "甲类"), ("C", "丙", "甲类"), ("D", "丁", "甲类")]
    )
    # A: avg (85 + 85) / 2 = 85.00, year-end 30 + 30 + 30 = 90.00 → 34 + 54 = 88.00.
    # B: avg (85.02 + 85.00) / 2 = 85.01, year-end 29.99 + 30 + 30 = 89.99
    #    → 0.4 × 85.01 + 0.6 × 89.99 = 34.004 + 53.994 = 87.998 → rounded 88.00 BEFORE ranking: tie with A.
    # C: Q3 95 only, year-end 100 → 38 + 60 = 98.00; D: Q3 95, year-end I1 39 → 99 → 38 + 59.4 = 97.40.
    add_scores(db, rid, ids, full_marks(["A"], i1=30) + full_marks(["B"], i1=29.99) + full_marks(["C"])
               + full_marks(["D"], i1=39))
    compute_round(db, actors["reviewer"], rid, today=TODAY, resamples=0)
    got = results(db, rid)
    assert got["B"].components["quarter_avg"] == 85.01 and got["B"].components["year_end"] == 89.99
    assert got["A"].composite == got["B"].composite == 88.0
    assert got["A"].rank == got["B"].rank == 3  # 1 C, 2 D, 3 A and B (1, 2, 3, 3)
    assert (got["C"].rank, got["D"].rank) == (1, 2)
    # Annual quota 优秀 ≤ 50% of 4 = 2: C and D both 优秀 (≥ 90); with 0.25 only C would be.
    assert got["C"].grade == got["D"].grade == "优秀"
    vid2 = store_scheme(db, annual_scheme(code="kt2", annual={**ANNUAL, "quotas": [{**quota[0], "max_share": 0.25}]}))
    rid2, ids2 = annual_round(db, actors, vid2, [("C", "丙", "甲类"), ("D", "丁", "甲类"), ("A", "甲", "甲类"),
                                                  ("B", "乙", "甲类")])
    add_scores(db, rid2, ids2, full_marks(["C", "D"]) + full_marks(["A", "B"], i1=10))
    compute_round(db, actors["reviewer"], rid2, today=TODAY, resamples=0)
    got2 = results(db, rid2)
    # No quarterly rounds of kt2: C and D both 100.00 (tied first); 1 allowed (floor 4 × 0.25), the
    # tie straddles the edge and drops as a whole to 良好.
    assert got2["C"].composite == got2["D"].composite == 100.0
    assert got2["C"].grade == got2["D"].grade == "良好"
    assert "quota:优秀" in got2["C"].flags and "quota_tie" in got2["C"].flags


def test_annual_round_refusals(db, actors):
    plain = store_scheme(db, scheme_dict())
    with pytest.raises(Conflict, match=r"没有 \[annual\]"):
        annual.create_annual_round(db, actors["admin"], plain, 2026)
    vid = store_scheme(db, annual_scheme())
    from .results_helpers import ensure_units

    ensure_units(db, [("U1", "财政局", "甲类")])
    annual.create_annual_round(db, actors["admin"], vid, 2026)
    with pytest.raises(Conflict, match="已有2026年度考核轮次"):
        annual.create_annual_round(db, actors["admin"], vid, "2026年度")
    with pytest.raises(Conflict, match="年度“26”无效"):
        annual.create_annual_round(db, actors["admin"], vid, "26")
    with db.read() as s:
        assert len(s.exec(select(AnnualRound)).all()) == 1


def test_two_year_window_reads_annual_results(db, actors):
    rules = [
        {"code": "Q02", "kind": "cadre_consecutive_unfit", "times": 2, "window_unit": "year",
         "action": "责令辞职", "subject": "cadre"},
        {"code": "L2", "kind": "last_in_category", "window": 2, "times": 2, "action": "约谈"},
    ]
    vid = store_scheme(db, annual_scheme(rules=rules))
    units = [("U1", "财政局", "甲类"), ("U2", "教育局", "甲类")]
    # 2025 annual round: U2 last; its cadre K1 不称职.
    prior = add_prior_round(
        db, vid, "2025", [("U1", "甲类", 90, 1, "优秀"), ("U2", "甲类", 70, 2, "一般")], stage="computed"
    )
    from .results_helpers import ensure_units

    ids = ensure_units(db, units)
    cadres = add_cadres(db, ids["U2"], ["K1"])
    sid_prior = add_session(db, prior, "cadre", "qlss", [cadres["K1"]], {"zg": {cadres["K1"]: [0, 2, 2, 6]}},
                            {"zg": 1.0})
    with db.write() as s:
        s.add(CadreResult(round_id=prior, session_id=sid_prior, cadre_id=cadres["K1"], score=28.0, grade="不称职",
                          counts={}))
        s.get(Round, prior).stage = "published"
    # 2026 quarters: U2 not last in Q4 (a round window must not count quarterly rounds for an annual one).
    quarter(db, vid, 4, [("U1", "甲类", 70, 2, "一般"), ("U2", "甲类", 80, 1, "良好")])
    rid, _ = annual_round(db, actors, vid, units)
    add_scores(db, rid, ids, full_marks(["U1"]) + full_marks(["U2"], i1=10))
    # K1 at the 2026 year-end 勤廉双述: 6 不称职 of 10 counted > 1/3 → 不称职.
    add_session(db, rid, "cadre", "qlss", [cadres["K1"]], {"zg": {cadres["K1"]: [0, 2, 2, 6]}}, {"zg": 1.0})
    compute_round(db, actors["reviewer"], rid, today=TODAY, resamples=0)
    got = results(db, rid)
    # U2: Q4 80, year-end 10 + 30 + 30 = 70 → 32 + 42 = 74.00; U1: Q4 70, 100 → 28 + 60 = 88.00. U2 last.
    assert got["U2"].composite == 74.0 and got["U2"].rank == 2
    entries = {e.rule_code: e for e in accountability.list_entries(db, rid)}
    assert entries["Q02"].figures["earlier_periods"] == ["2025"]  # 2025 and 2026 annual results
    # Last in 2025 (annual) and 2026 (annual); the 2026-Q4 quarterly round (U2 first) is not a period
    # of an annual round's round window.
    assert entries["L2"].unit_code == "U2"
    assert [h["period"] for h in entries["L2"].figures["history"]] == ["2025"]


def test_annual_rules_subset_and_cadre_held_annually(db, actors):
    rules = [{"code": "L1", "kind": "last_in_category", "action": "约谈"}]
    form = scheme_dict()["forms"][1] | {"held": "annual"}
    vid = store_scheme(db, annual_scheme(rules=rules, annual={**ANNUAL, "skip_rules": ["L1"]},
                                         forms=[scheme_dict()["forms"][0], form]))
    rid, ids = annual_round(db, actors, vid, [("U1", "财政局", "甲类"), ("U2", "教育局", "甲类")])
    add_scores(db, rid, ids, full_marks(["U1"]) + full_marks(["U2"], i1=10))
    compute_round(db, actors["reviewer"], rid, today=TODAY, resamples=0)
    assert accountability.list_entries(db, rid) == []  # [annual] skip_rules: L1 not for the annual result
    # The same form in a quarterly round is flagged: it is held once a year.
    qrid, qids = make_round(db, vid, [("U1", "财政局", "甲类")], period="2026-Q1")
    add_scores(db, qrid, qids, full_marks(["U1"]))
    k = add_cadres(db, qids["U1"], ["K9"])["K9"]
    add_session(db, qrid, "cadre", "qlss", [k], {"zg": {k: [5, 5, 0, 0]}}, {"zg": 1.0})
    summary = compute_round(db, actors["reviewer"], qrid, today=TODAY, resamples=0)
    assert any("每年年末举行一次" in w for w in summary.warnings)


def test_published_annual_round_verifies_from_its_snapshot(db, actors):
    vid = store_scheme(db, annual_scheme(rules=[{"code": "L1", "kind": "last_in_category", "action": "约谈"}]))
    quarter(db, vid, 1, [("U1", "甲类", 80, 1, "良好"), ("U2", "甲类", 70, 2, "一般")])
    rid, ids = annual_round(db, actors, vid, [("U1", "财政局", "甲类"), ("U2", "教育局", "甲类")])
    add_scores(db, rid, ids, full_marks(["U1"]) + full_marks(["U2"], i1=10))
    compute_round(db, actors["reviewer"], rid, today=TODAY, resamples=100)
    for e in accountability.list_entries(db, rid):
        accountability.decide(db, actors["reviewer"], e.id, "confirm", "核实无误")
    review.review(db, actors["clerk"], rid, "first")
    review.review(db, actors["reviewer"], rid, "audit")
    review.review(db, actors["reviewer2"], rid, "recheck")
    review.vote(db, actors["committee"], rid, expected=9, present=8, yes=5, no=2, abstain=1)
    publication.publish(db, actors["admin"], rid)
    with db.read() as s:
        snap = s.exec(select(Snapshot).where(Snapshot.round_id == rid)).one()
    quarters = snap.content["inputs"]["annual"]["quarters"]
    assert sorted(quarters) == [[ids["U1"], 1, 80.0], [ids["U2"], 1, 70.0]]
    check = snapshot_check.verify_snapshot(db, rid)
    assert check.ok, check.problems
    from assess.integrity.verify import verify_all

    whole = verify_all(db)  # what `assess audit verify` runs: the chain and every published round
    # The quarterly round here was marked published by the helper without a snapshot: the only problem.
    assert whole.problems == ["轮次 #1“测试轮次 2026-Q1”：已公示，却没有公示快照"]
    # The annual view of the published round reads the snapshot: U1 0.4 × 80 + 0.6 × 100 = 32 + 60
    # = 92.00; U2 year-end 10 + 30 + 30 = 70, 0.4 × 70 + 0.6 × 70 = 28 + 42 = 70.00.
    v = annual.view(db, rid)
    assert [(r["code"], r["composite"], r["rank"]) for r in v.rows] == [("U1", 92.0, 1), ("U2", 70.0, 2)]
    # The fixed references are frozen with the round, in the database itself.
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    with pytest.raises(DBAPIError, match="已公示冻结"), db.write() as s:
        s.connection().execute(text("UPDATE annualround SET sources = '[]' WHERE round_id = :r"), {"r": rid})
    # Tampering with a quarterly composite in the frozen inputs is caught by the recomputation.
    from assess.results.snapshot_check import recompute_problems

    content = copy.deepcopy(snap.content)
    content["inputs"]["annual"]["quarters"][0][2] = 99.0
    assert recompute_problems(content)


def test_annual_section_validation_names_file_line_and_field():
    base = """code = "t"
name = "测试"
categories = ["甲类"]
basis = "example"
reason = "测试"
[composite]
weights = { indicators = 100 }
[[bands]]
grade = "合格"
min = 0
max = 100
include_max = true
[[indicators]]
code = "A"
name = "甲"
method = "points"
max = 10
[annual]
weights = { quarters = 40, year_end = 50, month = 10 }
precision = 7
skip_rules = ["R9"]
"""
    with pytest.raises(InputErrors) as e:
        validate_text(base, "t.toml")
    text = "\n".join(e.value.lines())
    assert "t.toml:19 [annual.weights.month]" in text
    assert "[annual] 的 weights 中没有“month”" in text
    assert "t.toml:20 [annual.precision]" in text
    assert "问责规则“R9”不在本方案中" in text
    ok = base.replace(", month = 10", "").replace("year_end = 50", "year_end = 60").replace(
        "precision = 7\nskip_rules = [\"R9\"]\n", "")
    scheme = validate_text(ok, "t.toml").scheme
    assert scheme.annual.weights == {"quarters": 40.0, "year_end": 60.0}
    with pytest.raises(InputErrors, match="之和应为 100"):
        validate_text(ok.replace("year_end = 60", "year_end = 50"), "t.toml")


def test_shipped_schemes_state_annual_assessment_and_annual_cadre_appraisal():
    from assess.schemes.builtin import validate_source

    z = validate_source("zwgk_2014").scheme
    assert z.annual.weights == {"quarters": 40.0, "year_end": 60.0}
    assert "实行一季一小结" in z.annual.reason and z.annual.source == "九（五）"
    c = validate_source("cwgk_qlss_2014").scheme
    assert c.form("qlss").held == "annual" and c.annual is not None
    assert validate_source("ygg_2014").scheme.form("qlss").held == "annual"
    assert BANDS  # the test bands are the scheme's bands for the annual result unless [annual] gives its own


# -- command line -------------------------------------------------------------------------------------


def _cli(capsys, monkeypatch, db, user, *argv):
    from assess.cli import main

    from .conftest import PASSWORD

    monkeypatch.setenv("ASSESS_USER", user)
    monkeypatch.setenv("ASSESS_PASSWORD", PASSWORD)
    capsys.readouterr()
    rc = main([*argv, "--db", db.url])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_cli_create_compute_show_explain(sqlite_db, capsys, monkeypatch):
    import json

    from .conftest import make_users
    from .results_helpers import ensure_units

    db = sqlite_db
    make_users(db)
    vid = store_scheme(db, annual_scheme())
    ensure_units(db, [("U1", "财政局", "甲类"), ("U2", "教育局", "甲类")])
    quarter(db, vid, 1, [("U1", "甲类", 80, 1, "良好"), ("U2", "甲类", 70, 2, "一般")])
    quarter(db, vid, 2, [("U1", "甲类", 90, 1, "优秀"), ("U2", "甲类", 80, 2, "良好")])
    quarter(db, vid, 4, [("U1", "甲类", 85, 1, "良好"), ("U2", "甲类", 75, 2, "一般")])
    # A clerk may not create it; a scheme without [annual] is refused; nothing is created.
    rc, _out, err = _cli(capsys, monkeypatch, db, "clerk", "annual", "create", "--year", "2026", "--scheme", "kt")
    assert rc == 1 and "错误" in err
    rc, out, err = _cli(
        capsys, monkeypatch, db, "admin", "annual", "create", "--year", "2026年度", "--scheme", "kt",
        "--units", "U1,U2", "--format", "json",
    )
    assert rc == 0, err
    made = json.loads(out)
    rid = made["round_id"]
    assert [s["period"] for s in made["sources"]] == ["2026-Q1", "2026-Q2", "2026-Q4"]
    with db.read() as s:
        assert s.get(Round, rid).period == "2026"
    rc, out, _ = _cli(capsys, monkeypatch, db, "", "annual", "show", "--round", str(rid))
    assert rc == 0 and "尚未计算" in out and "季度平均 × 40% + 年终考核 × 60%" in out
    with db.write() as s:
        s.get(Round, rid).stage = "appraisal_certified"
    with db.read() as s:
        ids = {c: i for c, i in s.exec(select(Unit.code, Unit.id)).all()}
    add_scores(db, rid, ids, full_marks(["U1"], i1=30) + full_marks(["U2"]))
    rc, out, err = _cli(capsys, monkeypatch, db, "reviewer", "annual", "compute", "--round", str(rid),
                        "--resamples", "0")
    assert rc == 0, err
    assert "第三季度没有已公示的考核轮次" in out
    rc, out, _ = _cli(capsys, monkeypatch, db, "", "annual", "show", "--round", "2026", "--format", "csv")
    assert rc == 0
    lines = out.strip().splitlines()
    assert lines[0] == "category,rank,code,name,q1,q2,q3,q4,quarter_avg,year_end,composite,grade,flags"
    # U2: (70 + 80 + 75) / 3 = 75, 0.4 × 75 + 0.6 × 100 = 90.00 优秀; U1: 85, 90 → 88.00 良好.
    assert lines[1].startswith("甲类,1,U2,教育局,70.0,80.0,,75.0,75.0,100.0,90.0,优秀,")
    assert lines[2].startswith("甲类,2,U1,财政局,80.0,90.0,,85.0,85.0,90.0,88.0,良好,缺少三季度的结果")
    rc, out, _ = _cli(capsys, monkeypatch, db, "", "annual", "explain", "--round", str(rid), "--unit", "U1")
    assert rc == 0
    assert "季度平均 = (80.00 + 90.00 + 85.00) ÷ 3 = 85.00" in out
    assert "= 34.0000 + 54.0000 = 88.0000，按 2 位小数四舍五入为 88.00" in out
    rc, _out, err = _cli(capsys, monkeypatch, db, "", "annual", "explain", "--round", str(rid), "--unit", "ZZ")
    assert rc == 1 and "没有单位 ZZ" in err


# -- screens --------------------------------------------------------------------------------------------


async def test_tui_create_annual_round_compute_and_drill_down(sqlite_db):
    from assess.foundation.settings import local_today

    from .conftest import make_users
    from .results_helpers import ensure_units
    from .tui_helpers import SIZE, login, make_app, screen_text, settle

    db = sqlite_db
    make_users(db)
    year = local_today().year
    vid = store_scheme(db, annual_scheme())
    ids = ensure_units(db, [("U1", "财政局", "甲类"), ("U2", "教育局", "甲类")])
    add_prior_round(db, vid, f"{year}-Q1", [("U1", "甲类", 80, 1, "良好"), ("U2", "甲类", 70, 2, "一般")])
    add_prior_round(db, vid, f"{year}-Q2", [("U1", "甲类", 90, 1, "优秀"), ("U2", "甲类", 80, 2, "良好")])
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        await pilot.press("f5")
        await settle(pilot)
        assert app.screen.AREA == "rounds"
        await pilot.press("y")
        await settle(pilot)
        assert type(app.screen).__name__ == "FormDialog"
        for _ in range(5):  # year and the only scheme filled in; name, categories, units left empty
            await pilot.press("enter")
        await settle(pilot)
        await settle(pilot)
        assert app.screen.AREA == "rounds"
        with db.read() as s:
            row = s.exec(select(AnnualRound)).one()
            r = s.get(Round, row.round_id)
        assert (r.name, r.period, row.year) == (f"{year}年度考核", str(year), year)
        assert [x["quarter"] for x in row.sources] == [1, 2]
        assert f"{year}年度考核" in screen_text(app)
        # The year-end inputs (usual stages, tested elsewhere): U1 I1 30 → 90.00, U2 full marks 100.00.
        with db.write() as s:
            s.get(Round, r.id).stage = "appraisal_certified"
        add_scores(db, r.id, ids, full_marks(["U1"], i1=30) + full_marks(["U2"]))
        await pilot.press("g")
        await settle(pilot)
        table = app.screen.query_one("#rounds-table")
        table.move_cursor(row=[k.value for k in table.rows].index(str(r.id)))
        await pilot.press("v")
        await settle(pilot)
        assert type(app.screen).__name__ == "AnnualScreen"
        assert "尚未计算" in screen_text(app)
        await pilot.press("c")
        await settle(pilot)
        await settle(pilot)
        with db.read() as s:
            got = {u: s.exec(select(UnitResult).where(UnitResult.round_id == r.id, UnitResult.unit_id == i)).one()
                   for u, i in ids.items()}
        # U1: (80 + 90) / 2 = 85.00, Q3 and Q4 missing; 0.4 × 85 + 0.6 × 90 = 34 + 54 = 88.00.
        # U2: (70 + 80) / 2 = 75.00; 0.4 × 75 + 0.6 × 100 = 30 + 60 = 90.00, first.
        assert (got["U1"].composite, got["U2"].composite) == (88.0, 90.0)
        assert (got["U2"].rank, got["U1"].rank) == (1, 2)
        text = screen_text(app)
        assert "季度平均 × 40% + 年终 × 60%" in text
        assert "教育局" in text and "90.00" in text and "75.00" in text
        # The drill-down follows the cursor: the second row is U1.
        await pilot.press("down")
        await settle(pilot)
        text = screen_text(app)
        assert "季度平均 = (80.00 + 90.00) ÷ 2 = 85.00" in text
        assert "34.0000 + 54.0000 = 88.0000" in text
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.AREA == "rounds"


def test_scheme_settings_show_the_annual_formula():
    from assess.schemes.builtin import validate_source
    from assess.schemes.catalog import settings_rows

    rows = dict(reversed(settings_rows(validate_source("cwgk_qlss_2014").scheme)))
    assert rows["年度考核"].startswith("年度综合得分 = 季度平均 × 40% + 年终考核 × 60%，保留 2 位小数后排名")
    assert any(v == "每年年末举行一次，在年度考核轮次中举行" for _k, v in settings_rows(validate_source("cwgk_qlss_2014").scheme))


def test_annual_section_survives_export_and_load():
    import dataclasses

    from assess.schemes.builtin import validate_source
    from assess.schemes.definition import Quota
    from assess.schemes.toml_writer import scheme_to_toml

    s = validate_source("cwgk_qlss_2014").scheme
    s = dataclasses.replace(s, annual=dataclasses.replace(s.annual, skip_rules=["C01"], quotas=[Quota("优秀", 0.2)]))
    text = scheme_to_toml(s)
    assert 'skip_rules = ["C01"]' in text and "[[annual.quotas]]" in text and 'held = "annual"' in text
    again = validate_text(text, "x.toml").scheme
    assert again == s and again.content_hash() == s.content_hash()
