"""The composite engine on hand-computed cases (pure: DataFrames in, results out)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from assess.foundation.errors import Conflict
from assess.schemes.definition import from_dict
from assess.scoring.composite import combine, round_half_up
from assess.scoring.engine import RoundInputs, compute_units, quota_count, rank_min
from assess.scoring.rows import Rows

from .results_helpers import scheme_dict

EMPTY_SCORES = pd.DataFrame(columns=["unit_id", "indicator_code", "value"])


def inputs(scheme, units, scores=(), appraisal=None, verified=(), drawn=(), adjustments=(), discipline=()):
    """units: [(code, category)]; scores: [(code, indicator, value)]; appraisal: {code: score}."""
    ids = {code: i + 1 for i, (code, _c) in enumerate(units)}
    u = pd.DataFrame(
        {
            "unit_id": list(ids.values()),
            "code": list(ids),
            "name": [f"单位{c}" for c in ids],
            "category": [c for _code, c in units],
        }
    )

    def frame(rows):
        return pd.DataFrame(
            [(ids[c], i, v) for c, i, v in rows], columns=["unit_id", "indicator_code", "value"]
        )

    a = pd.DataFrame(
        [(ids[c], s, np.nan, "") for c, s in (appraisal or {}).items()],
        columns=["unit_id", "score", "satisfaction", "missing_groups"],
    )
    return RoundInputs(
        scheme=from_dict(scheme) if isinstance(scheme, dict) else scheme,
        units=Rows.from_frame(u),
        selfcheck=Rows.from_frame(frame(scores)),
        spotcheck=Rows.from_frame(frame(verified)),
        drawn=[ids[c] for c in drawn],
        appraisal=Rows.from_frame(a),
        adjustments=Rows.from_frame(
            pd.DataFrame([(ids[c], p) for c, p in adjustments], columns=["unit_id", "points"])
        ),
        discipline=Rows.from_frame(
            pd.DataFrame([(ids[c], k) for c, k in discipline], columns=["unit_id", "kind"])
        ),
    )


def row(result, code):
    t = result.table
    return t[t["code"] == code].iloc[0]


def test_composite_by_method_hand_case():
    # U1: I1 points 36; I2 deduct 3 → 30 − 3 = 27; I3 ratio 96% of max 30 → 28.8; B1 bonus 2.
    # indicators = 100 × (36 + 27 + 28.8 + 2) / (40 + 30 + 30) = 93.8 (bonus not in the denominator)
    # adjustment = 100 − 5 = 95; composite = 0.6 × 93.8 + 0.3 × 85 + 0.1 × 95 = 56.28 + 25.5 + 9.5 = 91.28
    r = compute_units(
        inputs(
            scheme_dict(),
            [("U1", "甲类")],
            [("U1", "I1", 36), ("U1", "I2", 3), ("U1", "I3", 96), ("U1", "B1", 2), ("U1", "V1", 0)],
            appraisal={"U1": 85},
            adjustments=[("U1", -5)],
        )
    )
    u = row(r, "U1")
    assert u["indicators"] == pytest.approx(93.8)
    assert u["adjustment"] == 95
    assert u["composite"] == 91.28
    assert u["grade"] == "优秀" and u["rank"] == 1 and u["flags"] == []


def test_deduct_floors_at_zero_bonus_capped_indicators_capped_at_100():
    # I1 40, I2 deduct 50 > max 30 → 0 (扣完为止), I3 100% → 30, B1 9 capped at 5:
    # indicators = 100 × (40 + 0 + 30 + 5) / 100 = 75.
    # U2 full marks plus bonus: 100 × (40 + 30 + 30 + 5) / 100 = 105 → capped at 100.
    r = compute_units(
        inputs(
            scheme_dict(),
            [("U1", "甲类"), ("U2", "甲类")],
            [
                ("U1", "I1", 40),
                ("U1", "I2", 50),
                ("U1", "I3", 100),
                ("U1", "B1", 9),
                ("U2", "I1", 40),
                ("U2", "I2", 0),
                ("U2", "I3", 100),
                ("U2", "B1", 5),
            ],
            appraisal={"U1": 100, "U2": 100},
        )
    )
    assert row(r, "U1")["indicators"] == 75
    assert row(r, "U2")["indicators"] == 100


def test_ties_share_rank_min_method_within_category():
    # 甲类 composites 95, 90, 90, 80 → ranks 1, 2, 2, 4; 乙类 ranked on its own.
    d = scheme_dict(weights={"appraisal": 100})
    r = compute_units(
        inputs(
            d,
            [("A", "甲类"), ("B", "甲类"), ("C", "甲类"), ("D", "甲类"), ("E", "乙类")],
            appraisal={"A": 95, "B": 90, "C": 90, "D": 80, "E": 50},
        )
    )
    assert [row(r, c)["rank"] for c in "ABCDE"] == [1, 2, 2, 4, 1]


def test_tie_break_order_of_components():
    # B and C tie at 82.0 = 0.5 × ind + 0.5 × appraisal: B (ind 84, app 80), C (ind 80, app 84).
    # tie_break ["appraisal"] puts C (84) before B (80): ranks A 1, C 2, B 3. Without it: 1, 2, 2.
    base = scheme_dict(
        weights={"indicators": 50, "appraisal": 50},
        indicators=[{"code": "P", "name": "得分", "method": "points", "max": 100}],
    )
    scores = [("A", "P", 99), ("B", "P", 84), ("C", "P", 80)]
    app = {"A": 99, "B": 80, "C": 84}
    plain = compute_units(inputs(base, [("A", "甲类"), ("B", "甲类"), ("C", "甲类")], scores, app))
    assert [row(plain, c)["rank"] for c in "ABC"] == [1, 2, 2]
    broken = compute_units(
        inputs(
            {**base, "tie_break": ["appraisal"]}, [("A", "甲类"), ("B", "甲类"), ("C", "甲类")], scores, app
        )
    )
    assert [row(broken, c)["rank"] for c in "ABC"] == [1, 3, 2]


def test_floating_point_trap_rounded_before_ranking():
    # Exactly: 0.6 × 60.7 + 0.3 × 73.3 + 10 = 68.41 = 0.6 × 64.9 + 0.3 × 64.9 + 10, but in binary
    # floating point the two weighted sums differ in the last bit. Rounded first, they tie.
    d = scheme_dict(indicators=[{"code": "P", "name": "得分", "method": "points", "max": 100}])
    r = compute_units(
        inputs(
            d, [("A", "甲类"), ("B", "甲类")], [("A", "P", 60.7), ("B", "P", 64.9)], {"A": 73.3, "B": 64.9}
        )
    )
    t = r.table
    naive = (t["indicators"] * 60 + t["appraisal"] * 30 + t["adjustment"] * 10) / 100
    assert naive.iloc[0] != naive.iloc[1]  # the trap is really there
    assert list(t["composite"]) == [68.41, 68.41]
    assert list(t["rank"]) == [1, 1]


def test_band_edges_and_half_up_rounding():
    # Weights: indicators only. P points: 90 → 90.00 优秀 (closed top band includes 100 too);
    # 89.995 → rounds half up to 90.00 → 优秀 (binary 89.99499… must not become 89.99);
    # 89.994 → 89.99 良好; 80 → 良好 (half-open [80, 90)); 79.999 → 80.00 良好; 100 → 优秀.
    d = scheme_dict(
        weights={"indicators": 100},
        indicators=[{"code": "P", "name": "得分", "method": "points", "max": 100}],
    )
    vals = {"A": 90, "B": 89.995, "C": 89.994, "D": 80, "E": 79.999, "F": 100, "G": 59.99}
    r = compute_units(inputs(d, [(c, f"类{c}") for c in vals], [(c, "P", v) for c, v in vals.items()]))
    got = {c: (row(r, c)["composite"], row(r, c)["grade"]) for c in vals}
    assert got == {
        "A": (90.0, "优秀"),
        "B": (90.0, "优秀"),
        "C": (89.99, "良好"),
        "D": (80.0, "良好"),
        "E": (80.0, "良好"),
        "F": (100.0, "优秀"),
        "G": (59.99, "较差"),
    }


def test_round_half_up_and_quota_count_helpers():
    assert list(round_half_up([89.995, 89.985, 0.125, 2.675, -1.005], 2)) == [90.0, 89.99, 0.13, 2.68, -1.01]
    assert quota_count(7, 0.2, "floor") == 1  # 1.4
    assert quota_count(7, 0.2, "round") == 1
    assert quota_count(7, 0.2, "ceil") == 2
    assert quota_count(10, 0.3, "ceil") == 3  # 10 × 0.3 = 3.0000000000000004 in binary: still 3
    assert quota_count(5, 0.3, "round") == 2  # 1.5 rounds half up
    assert quota_count(3, 0.2, "floor") == 0


@pytest.mark.parametrize(("rounding", "excellent"), [("floor", 1), ("round", 1), ("ceil", 2)])
def test_quota_drops_lowest_ranked_to_next_band(rounding, excellent):
    # 7 units of 甲类 all ≥ 90; 优秀 ≤ 20%: 7 × 0.2 = 1.4 → floor 1 / round 1 / ceil 2.
    d = scheme_dict(
        weights={"appraisal": 100}, quotas=[{"grade": "优秀", "max_share": 0.2, "rounding": rounding}]
    )
    app = {f"U{i}": 99 - i for i in range(7)}
    r = compute_units(inputs(d, [(c, "甲类") for c in app], appraisal=app))
    grades = [row(r, f"U{i}")["grade"] for i in range(7)]
    assert grades == ["优秀"] * excellent + ["良好"] * (7 - excellent)
    assert "quota:优秀" in row(r, "U6")["flags"]
    assert "quota:优秀" not in row(r, "U0")["flags"]


def test_quota_tie_at_the_edge_drops_the_whole_tie():
    # Allowed 1 优秀 (5 × 0.2); U0 and U1 tie at rank 1: the quota is a maximum, both drop, flagged.
    d = scheme_dict(weights={"appraisal": 100}, quotas=[{"grade": "优秀", "max_share": 0.2}])
    app = {"U0": 95, "U1": 95, "U2": 85, "U3": 70, "U4": 60}
    r = compute_units(inputs(d, [(c, "甲类") for c in app], appraisal=app))
    assert [row(r, c)["grade"] for c in app] == ["良好", "良好", "良好", "一般", "一般"]
    assert "quota_tie" in row(r, "U0")["flags"]


def test_veto_gives_lowest_grade_and_discipline_bars_excellent():
    # A: 95 but veto V1 triggered → 较差; B: 95 with 诫勉 → 良好 (next band); C: 95 with a kind not
    # listed → 优秀.
    d = scheme_dict(weights={"appraisal": 100}, no_excellent_if=["诫勉"])
    r = compute_units(
        inputs(
            d,
            [("A", "甲类"), ("B", "甲类"), ("C", "甲类")],
            [("A", "V1", 1), ("B", "V1", 0)],
            appraisal={"A": 95, "B": 95, "C": 95},
            discipline=[("B", "诫勉"), ("C", "提醒谈话")],
        )
    )
    assert row(r, "A")["grade"] == "较差" and "veto:V1" in row(r, "A")["flags"]
    assert row(r, "B")["grade"] == "良好" and "no_excellent:诫勉" in row(r, "B")["flags"]
    assert row(r, "C")["grade"] == "优秀"
    assert [row(r, c)["rank"] for c in "ABC"] == [1, 1, 1]  # the veto changes the grade, not the rank


def test_missing_component_renormalises_weights_with_a_flag():
    # B has no appraisal: composite = (60 × 80 + 10 × 100) / 70 = 82.857… → 82.86, flagged.
    # A: 0.6 × 80 + 0.3 × 70 + 0.1 × 100 = 79.
    r = compute_units(
        inputs(
            scheme_dict(),
            [("A", "甲类"), ("B", "甲类")],
            [
                ("A", "I1", 20),
                ("A", "I2", 0),
                ("A", "I3", 100),
                ("B", "I1", 20),
                ("B", "I2", 0),
                ("B", "I3", 100),
            ],
            appraisal={"A": 70},
        )
    )
    assert row(r, "A")["composite"] == 79.0
    assert row(r, "B")["composite"] == 82.86
    assert "missing:appraisal" in row(r, "B")["flags"]
    assert any("民主评议" in w for w in r.warnings)


def test_missing_values_are_flagged_not_silent():
    # Only I1 entered: I2 deduct missing = no deduction (30), I3 ratio missing = 0 with a flag.
    # indicators = 100 × (20 + 30 + 0) / 100 = 50.
    r = compute_units(inputs(scheme_dict(), [("A", "甲类")], [("A", "I1", 20)], appraisal={"A": 70}))
    assert row(r, "A")["indicators"] == 50
    assert "missing_value:I3" in row(r, "A")["flags"]


def test_unit_with_neither_indicators_nor_appraisal_is_refused():
    with pytest.raises(Conflict, match="既没有指标得分也没有民主评议"):
        compute_units(
            inputs(scheme_dict(), [("A", "甲类"), ("B", "甲类")], [("A", "I1", 20)], appraisal={"A": 70})
        )


def test_spotcheck_substitution_and_false_report_penalty():
    # Drawn unit S: self I1 40 / verified 36 (40 − 36 = 4 > 0.5 → 虚报); I2 deduct self 0 / verified 1
    # (30 vs 29 → 1 > 0.5 → 虚报); I3 self 100 / verified 99.5 (30 vs 29.85 → 0.15, within tolerance).
    # Used: 36 + 29 + 29.85 = 94.85; composite = 0.6 × 94.85 + 0.3 × 80 + 0.1 × 100 = 90.91;
    # penalty 2 × 2 = 4 capped at 3 → 87.91, 良好.
    # Not drawn unit N keeps its self-scores even though verified rows exist: 100 → 94.
    rows = [
        ("S", "I1", 40),
        ("S", "I2", 0),
        ("S", "I3", 100),
        ("N", "I1", 40),
        ("N", "I2", 0),
        ("N", "I3", 100),
    ]
    ver = [("S", "I1", 36), ("S", "I2", 1), ("S", "I3", 99.5), ("N", "I1", 10)]
    r = compute_units(
        inputs(
            scheme_dict(), [("S", "甲类"), ("N", "甲类")], rows, {"S": 80, "N": 80}, verified=ver, drawn=["S"]
        )
    )
    s = row(r, "S")
    assert s["indicators"] == pytest.approx(94.85)
    assert s["penalty"] == 3
    assert s["composite"] == 87.91 and s["grade"] == "良好"
    assert {"false_report:I1", "false_report:I2", "spotchecked"} <= set(s["flags"])
    assert "false_report:I3" not in s["flags"]
    assert row(r, "N")["composite"] == 94.0


def test_concealed_veto_is_a_false_report_and_vetoes():
    r = compute_units(
        inputs(
            scheme_dict(),
            [("S", "甲类")],
            [("S", "I1", 40), ("S", "V1", 0)],
            {"S": 100},
            verified=[("S", "V1", 1)],
            drawn=["S"],
        )
    )
    s = row(r, "S")
    assert "veto:V1" in s["flags"] and "false_report:V1" in s["flags"] and s["grade"] == "较差"


def test_adjustment_component_clamped():
    # base 100 + 5 → 100 (clamped); 100 − 120 → 0.
    d = scheme_dict(weights={"appraisal": 50, "adjustment": 50})
    r = compute_units(
        inputs(
            d,
            [("A", "甲类"), ("B", "甲类")],
            appraisal={"A": 80, "B": 80},
            adjustments=[("A", 5), ("B", -100), ("B", -20)],
        )
    )
    assert row(r, "A")["adjustment"] == 100 and row(r, "A")["composite"] == 90
    assert row(r, "B")["adjustment"] == 0 and row(r, "B")["composite"] == 40


def test_rank_min_many_groups_at_once_and_combine_broadcast():
    groups = np.array([0, 0, 0, 0, 1, 1])
    comp = np.array([95.0, 90.0, 90.0, 80.0, 70.0, np.nan])
    assert list(rank_min(groups, [comp])) == [1, 2, 2, 4, 1, 2]
    c = np.array([[[80.0, np.nan, 100.0]]])
    assert combine(c, np.array([60.0, 30.0, 10.0]), 0.0, 2)[0, 0] == 82.86
