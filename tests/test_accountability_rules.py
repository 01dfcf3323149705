"""The accountability engine on fixed histories (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from assess.foundation.errors import Conflict, PermissionDenied
from assess.models import AccountabilityEntry, AuditRecord, Round, UnitResult
from assess.results import accountability
from assess.results.compute import compute_round

from .results_helpers import (
    add_cadres,
    add_prior_round,
    add_rectification,
    add_scores,
    add_session,
    full_marks,
    make_round,
    scheme_dict,
    store_scheme,
)

TODAY = date(2026, 4, 10)


def rule(code, kind, action="提醒谈话", **kw):
    return {"code": code, "kind": kind, "action": action, **kw}


def _entries(db, rid):
    with db.read() as s:
        rows = s.exec(select(AccountabilityEntry).where(AccountabilityEntry.round_id == rid)).all()
    return rows


def _by(db, rid, ids):
    back = {v: k for k, v in ids.items()}
    out: dict[str, set[str]] = {}
    for e in _entries(db, rid):
        out.setdefault(e.rule_code, set()).add(back.get(e.unit_id, e.unit_id))
    return out


def _indicator_round(db, rules, units, i1, period="2026-Q1", weights=None, history=()):
    """A round where the composite equals the indicator score: I1 points + 60 (I2, I3 full)."""
    vid = store_scheme(db, scheme_dict(rules=rules, weights=weights or {"indicators": 100}))
    for p, res in history:
        add_prior_round(db, vid, p, res)
    rid, ids = make_round(db, vid, units, period=period)
    rows = []
    for code, *_ in units:
        rows += full_marks([code], i1=i1[code])
    add_scores(db, rid, ids, rows)
    return rid, ids


def test_threshold_and_last_in_category(db, actors):
    # composites = I1 + 60: U1 100, U2 84.99 → < 85; U3 70 → < 85 and last of 甲类; T1 alone in 乙类.
    units = [("U1", "U1", "甲类"), ("U2", "U2", "甲类"), ("U3", "U3", "甲类"), ("T1", "T1", "乙类")]
    rid, ids = _indicator_round(
        db,
        [
            rule("R01", "threshold", "通报", metric="composite", op="<", value=85),
            rule("R02", "last_in_category"),
        ],
        units,
        {"U1": 40, "U2": 24.99, "U3": 10, "T1": 0},
    )
    compute_round(db, actors["admin"], rid, today=TODAY, resamples=50)
    got = _by(db, rid, ids)
    assert got == {"R01": {"U2", "U3", "T1"}, "R02": {"U3"}}
    e = next(e for e in _entries(db, rid) if e.rule_code == "R01" and e.unit_id == ids["U2"])
    assert e.figures == {"metric": "composite", "value": 84.99, "op": "<", "threshold": 85}
    assert e.proposed_action == "通报" and e.status == "proposed" and e.robust_share == 1.0
    assert "综合得分" in e.rule_text


def test_last_twice_within_last_three_periods(db, actors):
    # Window 3, times 2: this round and the two periods before it (2025-Q4, 2025-Q3).
    # 甲类: U3 last now and last in 2025-Q3 → 2 of 3 → triggered.
    # 乙类: T2 last now; last in 2025-Q2 only, which is outside the window → not triggered.
    # U2 was last in 2025-Q4 but is not last now → not triggered in this round.
    units = [
        ("U1", "U1", "甲类"),
        ("U2", "U2", "甲类"),
        ("U3", "U3", "甲类"),
        ("T1", "T1", "乙类"),
        ("T2", "T2", "乙类"),
    ]
    hist = [
        (
            "2025-Q2",
            [
                ("U1", "甲类", 90, 1, "优秀"),
                ("U2", "甲类", 85, 2, "良好"),
                ("U3", "甲类", 80, 3, "良好"),
                ("T1", "乙类", 90, 1, "优秀"),
                ("T2", "乙类", 70, 2, "一般"),
            ],
        ),
        (
            "2025-Q3",
            [
                ("U1", "甲类", 90, 1, "优秀"),
                ("U2", "甲类", 85, 2, "良好"),
                ("U3", "甲类", 80, 3, "良好"),
                ("T1", "乙类", 70, 2, "一般"),
                ("T2", "乙类", 90, 1, "优秀"),
            ],
        ),
        (
            "2025-Q4",
            [
                ("U1", "甲类", 90, 1, "优秀"),
                ("U2", "甲类", 70, 3, "一般"),
                ("U3", "甲类", 80, 2, "良好"),
                ("T1", "乙类", 80, 2, "良好"),
                ("T2", "乙类", 90, 1, "优秀"),
            ],
        ),
    ]
    rid, ids = _indicator_round(
        db,
        [rule("R03", "last_in_category", "诫勉谈话或组织调整", window=3, times=2)],
        units,
        {"U1": 40, "U2": 30, "U3": 10, "T1": 40, "T2": 20},
        history=hist,
    )
    compute_round(db, actors["admin"], rid, today=TODAY, resamples=0)
    assert _by(db, rid, ids) == {"R03": {"U3"}}
    e = _entries(db, rid)[0]
    assert e.figures["count"] == 2 and e.figures["window"] == 3
    assert [h["period"] for h in e.figures["history"]] == ["2025-Q3"]
    assert "2025年第三季度" in accountability.describe_figures(e.figures, "last_in_category", "甲类")


def test_two_consecutive_years_below_threshold(db, actors):
    # Yearly rounds, rule composite < 85 in 2 consecutive periods (window 2, times 2):
    # U3 < 85 in 2025 and now → triggered; U2 < 85 now only → not; U1 < 85 in 2024 and 2026 but
    # not in 2025 → not (2024 is outside the window).
    units = [("U1", "U1", "甲类"), ("U2", "U2", "甲类"), ("U3", "U3", "甲类")]
    hist = [
        (
            "2024",
            [("U1", "甲类", 80, 3, "良好"), ("U2", "甲类", 90, 1, "优秀"), ("U3", "甲类", 85, 2, "良好")],
        ),
        (
            "2025",
            [("U1", "甲类", 90, 1, "优秀"), ("U2", "甲类", 88, 2, "良好"), ("U3", "甲类", 84.99, 3, "良好")],
        ),
    ]
    rid, ids = _indicator_round(
        db,
        [rule("R08", "threshold", "组织调整", metric="composite", op="<", value=85, window=2, times=2)],
        units,
        {"U1": 20, "U2": 20, "U3": 10},
        period="2026",
        history=hist,
    )
    compute_round(db, actors["admin"], rid, today=TODAY, resamples=0)
    assert _by(db, rid, ids) == {"R08": {"U3"}}


def test_bottom_share_of_category(db, actors):
    # 10 units, bottom 20%: rank > 10 × 0.8 = 8 → ranks 9 and 10.
    units = [(f"U{i:02d}", f"U{i:02d}", "甲类") for i in range(10)]
    rid, ids = _indicator_round(
        db, [rule("R09", "bottom_share", share=0.2)], units, {f"U{i:02d}": 40 - i for i in range(10)}
    )
    compute_round(db, actors["admin"], rid, today=TODAY, resamples=0)
    assert _by(db, rid, ids) == {"R09": {"U08", "U09"}}


def test_false_report_rule(db, actors):
    from .results_helpers import add_draw

    units = [("U1", "U1", "甲类"), ("U2", "U2", "甲类")]
    rid, ids = _indicator_round(
        db, [rule("R05", "false_report", "通报批评、书面检查")], units, {"U1": 40, "U2": 40}
    )
    add_scores(
        db, rid, ids, [("U1", "I1", 30), ("U1", "I2", 0), ("U1", "I3", 100), ("U1", "V1", 0)], verified=True
    )
    add_draw(db, rid, ["U1"])
    compute_round(db, actors["admin"], rid, today=TODAY, resamples=0)
    assert _by(db, rid, ids) == {"R05": {"U1"}}
    assert _entries(db, rid)[0].figures == {"indicators": ["I1"]}


def test_overdue_rectification_relative_to_today(db, actors):
    # today 2026-04-10. U1: deadline 03-01 (40 days), open → R06 (≥ 0 days) and R07 (≥ 30 days).
    # U2: deadline 04-01 (9 days) → R06 only. U3: deadline 03-01 but closed → none; U4: closed then
    # reopened → both. U5: deadline today → not yet overdue.
    units = [(f"U{i}", f"U{i}", "甲类") for i in range(1, 6)]
    rid, ids = _indicator_round(
        db,
        [
            rule("R06", "overdue_rectification", "提醒", days=0),
            rule("R07", "overdue_rectification", "通报", days=30),
        ],
        units,
        {f"U{i}": 40 for i in range(1, 6)},
    )
    add_rectification(db, rid, ids["U1"], "ZG-1", date(2026, 3, 1), ["rectifying"])
    add_rectification(db, rid, ids["U2"], "ZG-2", date(2026, 4, 1))
    add_rectification(db, rid, ids["U3"], "ZG-3", date(2026, 3, 1), ["rectified", "closed"])
    add_rectification(db, rid, ids["U4"], "ZG-4", date(2026, 3, 1), ["closed", "reopened"])
    add_rectification(db, rid, ids["U5"], "ZG-5", TODAY)
    compute_round(db, actors["admin"], rid, today=TODAY, resamples=0)
    assert _by(db, rid, ids) == {"R06": {"U1", "U2", "U4"}, "R07": {"U1", "U4"}}
    e = next(e for e in _entries(db, rid) if e.rule_code == "R07" and e.unit_id == ids["U1"])
    assert e.figures["notices"] == [
        {"notice_no": "ZG-1", "deadline": "2026-03-01", "days_overdue": 40, "status": "rectifying"}
    ]


def test_satisfaction_threshold_and_robust_share(db, actors):
    # Appraisal only. U1 ld [1, 0, 1, 0] → (100 + 30) / 2 = 65; U2 ld [0, 0, 10, 0] → 30.
    # Rule composite < 66: both now. Resampling U1's two votes gives 100 (p 1/4), 65 (1/2) or 30
    # (1/4): the trigger holds in about 75% of resamples → not robust; U2 always → 1.0.
    # 满意率 < 50%: U1 1/2 = 50% → not; U2 0% → yes.
    vid = store_scheme(
        db,
        scheme_dict(
            weights={"appraisal": 100},
            rules=[
                rule("R10", "threshold", "约谈", metric="composite", op="<", value=66),
                rule("R04", "threshold", "约谈主要负责人", metric="satisfaction", op="<", value=50),
            ],
        ),
    )
    rid, ids = make_round(db, vid, [("U1", "U1", "甲类"), ("U2", "U2", "甲类")])
    add_session(
        db,
        rid,
        "unit",
        "mzpy",
        [ids["U1"], ids["U2"]],
        {"ld": {ids["U1"]: [1, 0, 1, 0], ids["U2"]: [0, 0, 10, 0]}},
        {"ld": 0.5, "fw": 0.5},
    )
    compute_round(db, actors["admin"], rid, today=TODAY, resamples=1000)
    assert _by(db, rid, ids) == {"R10": {"U1", "U2"}, "R04": {"U2"}}
    shares = {e.unit_id: e.robust_share for e in _entries(db, rid) if e.rule_code == "R10"}
    assert 0.65 < shares[ids["U1"]] < 0.8
    assert shares[ids["U2"]] == 1.0
    listed = {(r.unit_code, r.rule_code): r for r in accountability.list_entries(db, rid)}
    assert listed[("U1", "R10")].robust is False and listed[("U2", "R10")].robust is True
    # Reproducible: the same seed gives the same shares.
    compute_round(db, actors["admin"], rid, today=TODAY, resamples=1000)
    assert {e.unit_id: e.robust_share for e in _entries(db, rid) if e.rule_code == "R10"} == shares


def test_cadre_unfit_and_consecutive_unfit(db, actors):
    vid = store_scheme(
        db,
        scheme_dict(
            weights={"indicators": 100},
            rules=[
                rule("C01", "cadre_unfit", "诫勉谈话", subject="cadre"),
                rule("C02", "cadre_consecutive_unfit", "责令辞职", subject="cadre", times=2),
            ],
        ),
    )
    prior = add_prior_round(db, vid, "2025", [("U1", "甲类", 90, 1, "优秀")], stage="computed")
    rid, ids = make_round(db, vid, [("U1", "U1", "甲类")], period="2026")
    add_scores(db, rid, ids, full_marks(["U1"]))
    cid = add_cadres(db, ids["U1"], ["C1", "C2", "C3"])
    # Last year: C1 不称职, C2 称职 (a prior cadre session's results stored directly).
    from assess.models import CadreResult

    psid = add_session(db, prior, "cadre", "qlss", [cid["C1"], cid["C2"]], {}, {"zg": 1.0})
    with db.write() as s:
        s.add(
            CadreResult(
                round_id=prior, session_id=psid, cadre_id=cid["C1"], score=40, grade="不称职", counts={}
            )
        )
        s.add(
            CadreResult(
                round_id=prior, session_id=psid, cadre_id=cid["C2"], score=80, grade="称职", counts={}
            )
        )
    with db.write() as s:
        s.get(Round, prior).stage = "published"
    # This year: C1 [2, 2, 0, 6]: 6/10 > 1/3 → 不称职 (second year in a row → C02 as well);
    # C2 [3, 3, 0, 4]: 4/10 > 1/3 → 不称职 (first time); C3 [5, 5, 0, 0] → fine.
    counts = {"zg": {cid["C1"]: [2, 2, 0, 6], cid["C2"]: [3, 3, 0, 4], cid["C3"]: [5, 5, 0, 0]}}
    add_session(db, rid, "cadre", "qlss", list(cid.values()), counts, {"zg": 1.0})
    compute_round(db, actors["admin"], rid, today=TODAY, resamples=500)
    got: dict[str, set[int]] = {}
    for e in _entries(db, rid):
        got.setdefault(e.rule_code, set()).add(e.cadre_id)
        assert e.unit_id == ids["U1"]
    assert got == {"C01": {cid["C1"], cid["C2"]}, "C02": {cid["C1"]}}
    c1 = next(e for e in _entries(db, rid) if e.rule_code == "C01" and e.cadre_id == cid["C1"])
    assert c1.figures["unfit_share"] == 0.6 and c1.robust_share > 0.9
    c02 = next(e for e in _entries(db, rid) if e.rule_code == "C02")
    assert c02.figures["earlier_periods"] == ["2025"]


def test_decide_requires_reason_and_reviewer(db, actors):
    units = [("U1", "U1", "甲类"), ("U2", "U2", "甲类")]
    rid, ids = _indicator_round(db, [rule("R02", "last_in_category")], units, {"U1": 40, "U2": 10})
    compute_round(db, actors["admin"], rid, today=TODAY, resamples=0)
    (e,) = _entries(db, rid)
    with pytest.raises(Conflict, match="理由"):
        accountability.decide(db, actors["reviewer"], e.id, "confirm", "   ")
    with pytest.raises(PermissionDenied):
        accountability.decide(db, actors["clerk"], e.id, "confirm", "理由")
    assert accountability.decide(db, actors["reviewer"], e.id, "waive", "因疫情停工，情有可原") == "waived"
    (e2,) = _entries(db, rid)
    assert (e2.status, e2.decided_by, e2.reason) == ("waived", "reviewer", "因疫情停工，情有可原")
    with db.read() as s:
        rec = s.exec(select(AuditRecord).where(AuditRecord.action == "accountability.decide")).one()
    assert rec.payload["decision"] == "waived" and rec.payload["reason"] == "因疫情停工，情有可原"
    # Recomputing with unchanged figures keeps the decision; changed figures reopen it.
    summary = compute_round(db, actors["admin"], rid, today=TODAY, resamples=0)
    assert summary.kept_decisions == 1 and _entries(db, rid)[0].status == "waived"
    with db.write() as s:
        from assess.models import SelfCheckScore

        sc = s.exec(
            select(SelfCheckScore).where(
                SelfCheckScore.unit_id == ids["U2"], SelfCheckScore.indicator_code == "I1"
            )
        ).one()
        sc.value = 5
    summary = compute_round(db, actors["admin"], rid, today=TODAY, resamples=0)
    assert summary.reopened == 1 and _entries(db, rid)[0].status == "proposed"
    with db.read() as s:
        assert s.exec(select(UnitResult).where(UnitResult.unit_id == ids["U2"])).one().composite == 65
