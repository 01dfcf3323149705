"""The accountability ladder (seed 003 附件2 四（三）: 情节较轻/较重/严重): hits for one unit or
cadre in a round merge into one entry at the highest rung, every reason listed."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from assess.models import AccountabilityEntry
from assess.results import accountability
from assess.results.compute import compute_round
from assess.schemes.definition import RuleDef

from .results_helpers import add_scores, full_marks, make_round, scheme_dict, store_scheme

TODAY = date(2026, 4, 10)


def test_merge_hits_takes_the_highest_rung_and_lists_every_reason():
    minor = RuleDef("R1", "last_in_category", "通报批评", severity="minor")
    serious = RuleDef("R2", "threshold", "取消评优资格", metric="composite", op="<", value=60, severity="serious")
    plain = RuleDef("R3", "bottom_share", "提醒谈话", share=0.1)
    props = [
        accountability.Proposal(minor, 7, None, {"rank": 3, "category_size": 3, "composite": 55}),
        accountability.Proposal(serious, 7, None, {"metric": "composite", "value": 55, "op": "<", "threshold": 60}, 0.9),
        accountability.Proposal(plain, 7, None, {"rank": 3, "category_size": 3, "share": 0.1, "composite": 55}),
        accountability.Proposal(minor, 8, None, {"rank": 2, "category_size": 2, "composite": 70}),
    ]
    out = accountability.merge_hits(props)
    assert len(out) == 3  # unit 7: one merged + the rule without a rung; unit 8: one
    merged = next(p for p in out if p.unit_id == 7 and p.rule.code == "R2")
    assert merged.rule.action == "取消评优资格" and merged.robust_share == 0.9
    assert merged.figures["severity"] == "serious" and merged.figures["value"] == 55
    assert [r["rule"] for r in merged.figures["reasons"]] == ["R2", "R1"]
    assert merged.figures["reasons"][1]["figures"] == {"rank": 3, "category_size": 3, "composite": 55}
    assert merged.text == "综合得分低于 60；类别内排名末位"
    text = accountability.describe_figures(merged.figures)
    assert text.startswith("按情节较重情形处理，合并两项：")
    assert "类别内排名末位（情节较轻）：在本类别3个单位中排名末位（第3名" in text
    single = next(p for p in out if p.unit_id == 8)
    assert single.figures == {"rank": 2, "category_size": 2, "composite": 70, "severity": "minor"}
    assert "reasons" not in single.figures
    assert any(p.rule.code == "R3" and "severity" not in p.figures for p in out)


def test_compute_round_stores_one_entry_per_unit(db, actors):
    # composites = I1 + 60: U1 100, U2 90, U3 60 (last of 甲类 and < 65).
    vid = store_scheme(
        db,
        scheme_dict(
            weights={"indicators": 100},
            rules=[
                {"code": "L1", "kind": "last_in_category", "action": "通报批评", "severity": "minor"},
                {
                    "code": "L2",
                    "kind": "threshold",
                    "metric": "composite",
                    "op": "<",
                    "value": 65,
                    "action": "组织处理",
                    "severity": "severe",
                },
                {"code": "L3", "kind": "bottom_share", "share": 0.4, "action": "提醒谈话"},
            ],
        ),
    )
    units = [("U1", "U1", "甲类"), ("U2", "U2", "甲类"), ("U3", "U3", "甲类")]
    rid, ids = make_round(db, vid, units, period="2026-Q1")
    rows = []
    for code, i1 in (("U1", 40), ("U2", 30), ("U3", 0)):
        rows += full_marks([code], i1=i1)
    add_scores(db, rid, ids, rows)
    compute_round(db, actors["admin"], rid, today=TODAY, resamples=0)
    with db.read() as s:
        entries = s.exec(select(AccountabilityEntry).where(AccountabilityEntry.round_id == rid)).all()
    # U3: L1 (minor) and L2 (severe) → one L2 entry; L3 (bottom 40%: rank > 1.8 → ranks 2, 3) has
    # no rung and stays separate for U2 and U3.
    got = sorted((e.rule_code, e.unit_id) for e in entries)
    assert got == sorted([("L2", ids["U3"]), ("L3", ids["U2"]), ("L3", ids["U3"])])
    e = next(e for e in entries if e.rule_code == "L2")
    assert e.proposed_action == "组织处理" and e.figures["severity"] == "severe"
    assert [r["rule"] for r in e.figures["reasons"]] == ["L2", "L1"]
    assert e.rule_text == "综合得分低于 65；类别内排名末位"
    rows = accountability.list_entries(db, rid)
    assert any(r.figures_text.startswith("按情节严重情形处理，合并两项：") for r in rows)
