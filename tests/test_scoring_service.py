"""Computing and storing a round's results from the database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from assess.foundation.errors import Conflict, PermissionDenied
from assess.models import AuditRecord, CadreResult, Round, UnitResult
from assess.results.compute import compute_round, rank_round
from assess.results.ranking import ranking
from assess.results.views import explain

from .results_helpers import (
    add_adjustment,
    add_cadres,
    add_discipline,
    add_draw,
    add_prior_round,
    add_scores,
    add_session,
    full_marks,
    make_round,
    scheme_dict,
    store_scheme,
)

UNITS = [("U1", "财政局", "甲类"), ("U2", "教育局", "甲类"), ("U3", "民政局", "甲类"), ("T1", "某镇", "乙类")]
TODAY = date(2026, 4, 10)


def _setup(db, **scheme_over):
    vid = store_scheme(db, scheme_dict(**scheme_over))
    rid, ids = make_round(db, vid, UNITS)
    return vid, rid, ids


def _results(db, rid):
    with db.read() as s:
        return {r.unit_id: r for r in s.exec(select(UnitResult).where(UnitResult.round_id == rid)).all()}


def test_compute_round_from_database_hand_case(db, actors):
    _vid, rid, ids = _setup(db)
    # Indicators: U1 full marks (100); U2 I1 30 → (30 + 30 + 30) = 90; U3 I1 20 → 80; T1 100.
    add_scores(db, rid, ids, full_marks(["U1", "T1"]) + full_marks(["U2"], i1=30) + full_marks(["U3"], i1=20))
    # Appraisal (满意 100 / 基本满意 70 / 不满意 30 / 不了解 not counted; groups ld 0.5, fw 0.5):
    # U1 ld [8, 2, 0, 0] → (800 + 140) / 10 = 94; fw [5, 3, 1, 1] → (500 + 210 + 30) / 9 = 82.222…
    #    score = (94 + 82.222…) / 2 = 88.111…; 满意率 = (8 + 2 + 5 + 3) / (10 + 9) = 94.74%
    # U2 ld [10, 0, 0, 0] → 100; no fw ballots → missing group, score 100 (renormalised over ld).
    # U3 ld [0, 0, 10, 0] → 30; fw [0, 0, 10, 0] → 30.
    # T1 ld [10, 0, 0, 0], fw [10, 0, 0, 0] → 100.
    counts = {
        "ld": {
            ids["U1"]: [8, 2, 0, 0],
            ids["U2"]: [10, 0, 0, 0],
            ids["U3"]: [0, 0, 10, 0],
            ids["T1"]: [10, 0, 0, 0],
        },
        "fw": {ids["U1"]: [5, 3, 1, 1], ids["U3"]: [0, 0, 10, 0], ids["T1"]: [10, 0, 0, 0]},
    }
    add_session(
        db, rid, "unit", "mzpy", [ids[c] for c in ("U1", "U2", "U3", "T1")], counts, {"ld": 0.5, "fw": 0.5}
    )
    add_adjustment(db, rid, ids["U3"], -10)
    summary = compute_round(db, actors["reviewer"], rid, today=TODAY, resamples=200)
    assert summary.units == 4
    res = _results(db, rid)
    u1, u2, u3, t1 = (res[ids[c]] for c in ("U1", "U2", "U3", "T1"))
    # U1 = 0.6 × 100 + 0.3 × 88.111… + 0.1 × 100 = 96.4333… → 96.43
    assert u1.composite == 96.43
    assert u1.components["appraisal"] == pytest.approx(88.1111, abs=1e-4)
    assert u1.components["satisfaction"] == pytest.approx(94.7368, abs=1e-3)
    # U2 = 0.6 × 90 + 0.3 × 100 + 0.1 × 100 = 94.00 (its appraisal from ld only, flagged)
    assert u2.composite == 94.0 and any(f.startswith("missing_groups:fw") for f in u2.flags)
    # U3 = 0.6 × 80 + 0.3 × 30 + 0.1 × 90 = 66.00
    assert u3.composite == 66.0 and u3.components["adjustment"] == 90
    assert t1.composite == 100.0
    assert [u1.rank, u2.rank, u3.rank, t1.rank] == [1, 2, 3, 1]
    assert [u1.grade, u2.grade, u3.grade, t1.grade] == ["优秀", "优秀", "一般", "优秀"]
    assert set(u1.components) == {"indicators", "appraisal", "adjustment", "penalty", "satisfaction"}
    for r in res.values():
        assert r.rank_low is not None and r.rank_low <= r.rank_high
    assert (t1.rank_low, t1.rank_high) == (1, 1)  # alone in its category
    assert (u3.rank_low, u3.rank_high) == (3, 3)  # far below the others whatever the resample
    with db.read() as s:
        assert s.get(Round, rid).stage == "computed"
        actions = [a.action for a in s.exec(select(AuditRecord).order_by(AuditRecord.seq)).all()]
    assert actions[-2:] == ["round.stage", "results.compute"]
    # The read-only ranking from the database agrees with what was stored.
    fresh = rank_round(db, rid).table.set_index("code")
    assert fresh.loc["U1", "composite"] == 96.43 and fresh.loc["U3", "rank"] == 3


def test_compute_is_authorised_and_staged(db, actors):
    _vid, rid, ids = _setup(db)
    add_scores(db, rid, ids, full_marks([c for c, *_ in UNITS]))
    with pytest.raises(PermissionDenied):
        compute_round(db, actors["clerk"], rid, resamples=0)
    with db.write() as s:
        s.get(Round, rid).stage = "selfcheck_open"
    with pytest.raises(Conflict, match="阶段"):
        compute_round(db, actors["admin"], rid, resamples=0)
    with db.read() as s:
        assert s.exec(select(UnitResult).where(UnitResult.round_id == rid)).first() is None


def test_spotcheck_draw_substitutes_verified_scores_in_database(db, actors):
    _vid, rid, ids = _setup(db, weights={"indicators": 100})
    add_scores(db, rid, ids, full_marks([c for c, *_ in UNITS]))
    # U2 drawn: verified I1 36 (self 40: 4 > 0.5 → 虚报). indicators 96, penalty 2 → 94.00.
    # U3 not drawn: its verified row is ignored.
    add_scores(
        db,
        rid,
        ids,
        [("U2", "I1", 36), ("U2", "I2", 0), ("U2", "I3", 100), ("U2", "V1", 0), ("U3", "I1", 0)],
        verified=True,
    )
    add_draw(db, rid, ["U2"])
    compute_round(db, actors["admin"], rid, resamples=0)
    res = _results(db, rid)
    assert res[ids["U2"]].composite == 94.0 and "false_report:I1" in res[ids["U2"]].flags
    assert res[ids["U3"]].composite == 100.0
    assert res[ids["U2"]].rank_low is None  # no resampling asked


def test_focus_units_outside_the_lottery_use_verified_scores_too(db, actors):
    _vid, rid, ids = _setup(db, weights={"indicators": 100})
    add_scores(db, rid, ids, full_marks([c for c, *_ in UNITS]))
    # U3 inspected as 重点 (open findings), not drawn: its verified I1 36 (self 40) replaces the
    # self-check score exactly as for a drawn unit → indicators 96, 虚报 penalty 2 → 94.00.
    add_scores(
        db,
        rid,
        ids,
        [("U3", "I1", 36), ("U3", "I2", 0), ("U3", "I3", 100), ("U3", "V1", 0)],
        verified=True,
    )
    add_draw(db, rid, ["U2"], focus=["U3"])
    add_scores(
        db, rid, ids, [("U2", "I1", 40), ("U2", "I2", 0), ("U2", "I3", 100), ("U2", "V1", 0)], verified=True
    )
    compute_round(db, actors["admin"], rid, resamples=0)
    res = _results(db, rid)
    assert res[ids["U3"]].composite == 94.0 and "false_report:I1" in res[ids["U3"]].flags
    assert res[ids["U2"]].composite == 100.0


def test_rank_change_against_previous_round(db, actors):
    vid, rid, ids = _setup(db, weights={"indicators": 100})
    add_prior_round(
        db,
        vid,
        "2025-Q4",
        [("U1", "甲类", 90, 3, "优秀"), ("U2", "甲类", 95, 1, "优秀"), ("U3", "甲类", 92, 2, "优秀")],
    )
    add_scores(db, rid, ids, full_marks(["U1", "T1"]) + full_marks(["U2"], i1=30) + full_marks(["U3"], i1=20))
    compute_round(db, actors["admin"], rid, resamples=0)
    view = ranking(db, rid)
    rows = {r.unit_code: r for r in view.rows}
    assert view.previous_period == "2025-Q4"
    assert (rows["U1"].rank, rows["U1"].change, rows["U1"].change_text) == (1, 2, "↑2")
    assert (rows["U2"].change, rows["U3"].change) == (-1, -1)
    assert rows["T1"].change is None and rows["T1"].change_text == "新"
    assert view.categories == ["甲类", "乙类"]
    assert [r.unit_code for r in view.in_category("甲类")] == ["U1", "U2", "U3"]


def test_explanation_indicator_by_indicator(db, actors):
    _vid, rid, ids = _setup(db)
    add_scores(
        db,
        rid,
        ids,
        [
            *full_marks(["U1", "U3", "T1"]),
            ("U2", "I1", 30),
            ("U2", "I2", 4),
            ("U2", "I3", 90),
            ("U2", "B1", 2),
            ("U2", "V1", 0),
        ],
    )
    compute_round(db, actors["admin"], rid, resamples=0)
    ex = explain(db, rid, "U2")
    # U2 indicators: 30 + (30 − 4) + 30 × 0.9 + 2 = 85; appraisal missing → renormalised over
    # indicators 60 and adjustment 10: (60 × 85 + 10 × 100) / 70 = 87.142… → 87.14
    assert ex.composite == 87.14 and not ex.stale
    lines = {ln.code: ln for ln in ex.indicators}
    assert lines["I2"].self_value == 4 and lines["I2"].points == 26
    assert lines["I3"].points == pytest.approx(27)
    comp = {c.name: c for c in ex.components}
    assert comp["indicators"].weight == pytest.approx(600 / 7) and comp["appraisal"].weight == 0
    assert any("民主评议" in f for f in ex.flags)
    assert ex.above is not None and ex.above[1] in ("U1", "U3")
    # A score entered after computing makes the stored result stale, and the explanation says so.
    with db.write() as s:
        from assess.models import SelfCheckScore

        row = s.exec(
            select(SelfCheckScore).where(
                SelfCheckScore.unit_id == ids["U2"], SelfCheckScore.indicator_code == "I1"
            )
        ).one()
        row.value = 10
    assert explain(db, rid, "U2").stale


def test_cadre_results_unfit_override_and_excellent_eligibility(db, actors):
    _vid, rid, ids = _setup(db)
    add_scores(db, rid, ids, full_marks([c for c, *_ in UNITS]))
    cid = add_cadres(db, ids["U1"], ["C1", "C2", "C3", "C4"])
    # Options 优秀 100 / 称职 80 / 基本称职 60 / 不称职 0; bands 优秀 ≥ 90, 称职 [70, 90) …
    # C1 [9, 1, 0, 0]: (900 + 80) / 10 = 98 → 优秀; 称职及以上 10/10 ≥ 90% → stays 优秀.
    # C2 [6, 0, 0, 4]: 600 / 10 = 60 → 基本称职 by score, but 不称职 4/10 > 1/3 → 不称职.
    # C3 [9, 0, 0, 1]: 900 / 10 = 90 → 优秀 band; fit 9/10 = 90% ≥ 90%, but 诫勉 → 称职.
    # C4 [16, 1, 3, 0]: (1600 + 80 + 180) / 20 = 93 → 优秀 band, fit 17/20 = 85% < 90% → 称职.
    counts = {
        "zg": {
            cid["C1"]: [9, 1, 0, 0],
            cid["C2"]: [6, 0, 0, 4],
            cid["C3"]: [9, 0, 0, 1],
            cid["C4"]: [16, 1, 3, 0],
        }
    }
    add_session(db, rid, "cadre", "qlss", list(cid.values()), counts, {"zg": 1.0}, expected=20, present=20)
    add_discipline(db, rid, "诫勉", cadre_id=cid["C3"])
    d = scheme_dict(no_excellent_if=["诫勉"])
    assert d["no_excellent_if"] == ["诫勉"]
    with db.write() as s:  # the round uses a scheme with the discipline bar
        from assess.schemes.definition import from_dict
        from assess.schemes.store import store_version

        v, _ = store_version(s, "admin", from_dict(d), "t.toml", "")
        s.get(Round, rid).scheme_version_id = v.id
    compute_round(db, actors["admin"], rid, resamples=0)
    with db.read() as s:
        rows = {r.cadre_id: r for r in s.exec(select(CadreResult).where(CadreResult.round_id == rid)).all()}
    assert (rows[cid["C1"]].score, rows[cid["C1"]].grade) == (98.0, "优秀")
    assert (rows[cid["C2"]].score, rows[cid["C2"]].grade) == (
        60.0,
        "不称职",
    ) and "unfit_votes:不称职" in rows[cid["C2"]].flags
    assert rows[cid["C3"]].grade == "称职" and "no_excellent:诫勉" in rows[cid["C3"]].flags
    assert (rows[cid["C4"]].score, rows[cid["C4"]].grade) == (93.0, "称职")
    assert rows[cid["C4"]].counts["may_be_excellent"] is False
    assert rows[cid["C1"]].counts["options"] == {"优秀": 9, "称职": 1, "基本称职": 0, "不称职": 0}
    assert rows[cid["C1"]].counts["groups"]["zg"]["counted"] == 10


def test_cadre_session_without_quorum_is_refused(db, actors):
    _vid, rid, ids = _setup(db)
    add_scores(db, rid, ids, full_marks([c for c, *_ in UNITS]))
    cid = add_cadres(db, ids["U1"], ["C1"])
    add_session(
        db,
        rid,
        "cadre",
        "qlss",
        [cid["C1"]],
        {"zg": {cid["C1"]: [5, 0, 0, 0]}},
        {"zg": 1.0},
        expected=20,
        present=10,
    )
    with pytest.raises(Conflict, match="法定人数"):
        compute_round(db, actors["admin"], rid, resamples=0)


def test_adjustments_and_discipline_from_database(db, actors):
    _vid, rid, ids = _setup(db, weights={"indicators": 90, "adjustment": 10}, no_excellent_if=["诫勉"])
    add_scores(db, rid, ids, full_marks([c for c, *_ in UNITS]))
    add_adjustment(db, rid, ids["U2"], -30)  # 0.9 × 100 + 0.1 × 70 = 97
    add_discipline(db, rid, "诫勉", unit_id=ids["U3"])
    compute_round(db, actors["admin"], rid, resamples=0)
    res = _results(db, rid)
    assert res[ids["U2"]].composite == 97.0
    assert res[ids["U3"]].grade == "良好" and res[ids["U1"]].grade == "优秀"


def test_bootstrap_model_agrees_with_the_session_tally(db, actors):
    """The bootstrap rescores cells with ``scoring.appraisal``; on the observed counts it must give
    exactly the tally's scores and 满意率 (else the intervals would be centred elsewhere)."""
    import numpy as np
    import pandas as pd

    from assess.results.inputs import load_round_inputs
    from assess.scoring.appraisal import DenseCells, dense, target_frame

    _vid, rid, ids = _setup(db)
    counts = {
        "ld": {ids["U1"]: [8, 2, 0, 0], ids["U2"]: [1, 0, 4, 5], ids["U3"]: [0, 3, 3, 3]},
        "fw": {ids["U1"]: [5, 3, 1, 1], ids["U3"]: [7, 0, 0, 0], ids["T1"]: [2, 2, 2, 2]},
    }
    add_session(
        db, rid, "unit", "mzpy", [ids[c] for c in ("U1", "U2", "U3", "T1")], counts, {"ld": 0.3, "fw": 0.7}
    )
    with db.read() as s:
        inputs = load_round_inputs(s, rid)
    c = inputs.cells
    groups = sorted(c.weights)
    targets = sorted(inputs.appraisal.column("unit_id"))
    mine = target_frame(
        DenseCells(
            dense(c.frame, "unit_id", targets, groups, 4),
            groups,
            targets,
            np.array([c.weights[g] for g in groups]),
            np.array([np.nan if p is None else p for p in c.points]),
            np.array(c.satisfied),
        )
    )
    theirs = pd.DataFrame(inputs.appraisal.records()).set_index("unit_id").loc[targets]
    assert np.allclose(mine["score"].to_numpy(), theirs["score"].to_numpy())
    assert np.allclose(mine["satisfaction"].to_numpy(), theirs["satisfaction"].to_numpy())
    assert list(mine["missing_groups"]) == list(theirs["missing_groups"])
