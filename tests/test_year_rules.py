"""Rules as offices apply them (issue 14, point 3): exact quorum with an explicit comparison,
calendar windows for accountability rules, 满意率 defined once. Hand-computed cases."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest
from sqlmodel import select

from assess.appraisal import session_info as appraisal_info
from assess.appraisal import sessions as appraisal
from assess.demo import builders
from assess.foundation import periods, thresholds
from assess.models import AccountabilityEntry, CadreResult, Round
from assess.results import accountability
from assess.results.compute import compute_round
from assess.schemes.definition import RuleDef

from .ballot_helpers import make_round as make_ballot_round
from .results_helpers import (
    add_cadres,
    add_prior_round,
    add_scores,
    add_session,
    full_marks,
    make_round,
    scheme_dict,
    store_scheme,
)

TODAY = date(2026, 12, 20)


# -- quorum ------------------------------------------------------------------------------------------


def test_two_thirds_or_more_includes_the_number_itself():
    # 应到 9 × 2/3 = 6 exactly: 6 reaches “三分之二以上” (>=) but does not exceed 2/3 (>).
    two_thirds = 2 / 3  # as stored in a scheme: a float
    assert thresholds.quorum_met(6, 9, two_thirds, ">=")
    assert not thresholds.quorum_met(5, 9, two_thirds, ">=")
    assert not thresholds.quorum_met(6, 9, two_thirds, ">")
    assert thresholds.quorum_met(7, 9, two_thirds, ">")
    # 应到 10 × 1/2 = 5: 过半 (>) needs 6.
    assert not thresholds.quorum_met(5, 10, 0.5, ">") and thresholds.quorum_met(6, 10, 0.5, ">")
    assert thresholds.quorum_met(5, 10, 0.5, ">=")
    assert not thresholds.quorum_met(0, 0, 0.5, ">=")  # nobody expected: no quorum
    # 应到 300 × 2/3 = 200: float multiplication gives 199.99999999999997; exact arithmetic does not.
    assert thresholds.quorum_met(200, 300, two_thirds, ">=") and not thresholds.quorum_met(
        200, 300, two_thirds, ">"
    )
    assert thresholds.exact_share(two_thirds) == Fraction(2, 3)


def test_default_comparison_follows_the_wording():
    assert thresholds.default_quorum_op(0.5) == ">"  # 过半
    assert thresholds.default_quorum_op(2 / 3) == ">="  # 三分之二以上
    assert thresholds.quorum_met(6, 9, 2 / 3)
    assert (
        thresholds.quorum_text(6, 9, 2 / 3, ">=")
        == "应到 9 人，实到 6 人，须达到 6 人以上（含本数）：达到法定人数"
    )
    assert thresholds.quorum_text(5, 10, 0.5, ">") == "应到 10 人，实到 5 人，须超过 5 人：未达到法定人数"
    assert thresholds.quorum_rule_text(2 / 3, ">=") == "实到须达到应到的 2/3 以上（含本数）"
    assert thresholds.quorum_rule_text(0.5, ">") == "实到须超过应到的 1/2"


def test_session_quorum_at_exactly_two_thirds(db, actors):
    rid = make_ballot_round(db, quorum=2 / 3, quorum_op=">=")
    builders.numbered_units(db, actors["admin"], 1)
    sid = appraisal.create_session(
        db, actors["clerk"], rid, "unit", "评议会", target_codes=["U01"], expected=9, present=6
    )
    info = appraisal_info.session_info(db, sid)
    assert info.quorum_ok() and "须达到 6 人以上（含本数）：达到法定人数" in info.quorum_text()
    # The round's blockers use the same check: no quorum problem is listed for 6 of 9.
    assert not any("法定人数" in b for b in appraisal.appraisal_blockers(db, rid))
    appraisal.set_attendance(db, actors["clerk"], sid, present=5)
    assert not appraisal_info.session_info(db, sid).quorum_ok()
    assert any(
        "实到 5 人，须达到 6 人以上（含本数）：未达到法定人数" in b
        for b in appraisal.appraisal_blockers(db, rid)
    )


def test_session_quorum_strictly_more_than_half(db, actors):
    rid = make_ballot_round(db, quorum=2 / 3, quorum_op=">")
    builders.numbered_units(db, actors["admin"], 1)
    sid = appraisal.create_session(
        db, actors["clerk"], rid, "unit", "评议会", target_codes=["U01"], expected=9, present=6
    )
    assert not appraisal_info.session_info(db, sid).quorum_ok()  # 6 does not exceed 2/3 × 9


# -- calendar windows ----------------------------------------------------------------------------------


def test_period_positions_and_indices():
    assert periods.period_position("2026-Q3") == (2026, 9, 0)
    assert periods.period_position("2026") == (2026, 12, 1)
    assert periods.period_position("2026-H1") == (2026, 6, 0)
    assert periods.period_position("2026-07") == (2026, 7, 0)
    assert periods.period_index("2025-Q4", "year") + 1 == periods.period_index(
        "2026-Q1", "year"
    )
    assert periods.period_index("2025-Q4", "quarter") + 1 == periods.period_index(
        "2026-Q1", "quarter"
    )
    assert periods.period_index("2026-08", "quarter") == periods.period_index(
        "2026-Q3", "quarter"
    )


def test_window_history_by_year_takes_each_years_latest_round():
    rule = RuleDef("Q02", "cadre_consecutive_unfit", "责令辞职", subject="cadre", times=2, window_unit="year")
    hist = [(p, p) for p in ("2026-Q3", "2026-Q2", "2026-Q1", "2025-Q4", "2025-Q3", "2024-Q4")]
    # Current 2026-Q4: the earlier rounds of 2026 do not count; 2025 is judged by 2025-Q4.
    assert accountability.window_history(rule, "2026-Q4", hist) == [("2025-Q4", "2025-Q4")]
    by_round = RuleDef("Q02", "cadre_consecutive_unfit", "责令辞职", subject="cadre", times=2)
    assert accountability.window_history(by_round, "2026-Q4", hist) == [("2026-Q3", "2026-Q3")]
    three_years = RuleDef("R", "last_in_category", "通报", window=3, times=2, window_unit="year")
    assert [p for p, _ in accountability.window_history(three_years, "2026-Q4", hist)] == [
        "2025-Q4",
        "2024-Q4",
    ]


def _entries(db, rid):
    with db.read() as s:
        return s.exec(select(AccountabilityEntry).where(AccountabilityEntry.round_id == rid)).all()


def _cadre_years(db, actors, history: dict[str, str], now_period: str):
    """C1 graded ``history[period]`` in earlier rounds, and 不称职 in the round of ``now_period``
    ([2, 2, 0, 6]: 6 of 10 不称职 > 1/3)."""
    vid = store_scheme(
        db,
        scheme_dict(
            weights={"indicators": 100},
            rules=[
                {
                    "code": "Q02",
                    "kind": "cadre_consecutive_unfit",
                    "action": "责令辞职",
                    "subject": "cadre",
                    "times": 2,
                    "window_unit": "year",
                }
            ],
        ),
    )
    cid = None
    for period, grade in history.items():
        prior = add_prior_round(db, vid, period, [("U1", "甲类", 90, 1, "优秀")], stage="computed")
        if cid is None:
            with db.read() as s:
                from assess.models import Unit

                uid = s.exec(select(Unit.id).where(Unit.code == "U1")).one()
            cid = add_cadres(db, uid, ["C1"])
        psid = add_session(db, prior, "cadre", "qlss", [cid["C1"]], {}, {"zg": 1.0})
        with db.write() as s:
            s.add(
                CadreResult(
                    round_id=prior, session_id=psid, cadre_id=cid["C1"], score=40, grade=grade, counts={}
                )
            )
        with db.write() as s:
            s.get(Round, prior).stage = "published"
    rid, ids = make_round(db, vid, [("U1", "U1", "甲类")], period=now_period)
    add_scores(db, rid, ids, full_marks(["U1"]))
    add_session(db, rid, "cadre", "qlss", [cid["C1"]], {"zg": {cid["C1"]: [2, 2, 0, 6]}}, {"zg": 1.0})
    compute_round(db, actors["admin"], rid, today=TODAY, resamples=0)
    return rid, cid


def test_unfit_in_two_year_ends_with_quarters_between_is_two_years(db, actors):
    hist = {"2025-Q4": "不称职", "2026-Q1": "称职", "2026-Q2": "称职", "2026-Q3": "称职"}
    rid, cid = _cadre_years(db, actors, hist, "2026-Q4")
    (e,) = _entries(db, rid)
    assert e.rule_code == "Q02" and e.cadre_id == cid["C1"]
    assert e.figures["earlier_periods"] == ["2025-Q4"] and e.figures["window_unit"] == "year"
    assert e.rule_text == "连续 2 年评为不称职"


def test_two_quarters_of_one_year_are_not_two_years(db, actors):
    rid, _cid = _cadre_years(db, actors, {"2026-Q3": "不称职"}, "2026-Q4")
    assert _entries(db, rid) == []


def test_a_year_without_a_round_breaks_the_streak(db, actors):
    rid, _cid = _cadre_years(db, actors, {"2024-Q4": "不称职"}, "2026-Q4")
    assert _entries(db, rid) == []


def test_last_in_q1_and_q2_but_not_q3_gives_no_entry(db, actors):
    # window 3, times 2: the rule must hold in the current period too. U3 was last in 2026-Q1 and
    # 2026-Q2; in 2026-Q3 U2 is last (U2: 60 + 20 = 80 < U3 60 + 30 = 90) → no entry at all in Q3
    # (U2 was last once only).
    vid = store_scheme(
        db,
        scheme_dict(
            weights={"indicators": 100},
            rules=[
                {"code": "R03", "kind": "last_in_category", "action": "诫勉谈话", "window": 3, "times": 2}
            ],
        ),
    )
    for p in ("2026-Q1", "2026-Q2"):
        add_prior_round(
            db,
            vid,
            p,
            [("U1", "甲类", 95, 1, "优秀"), ("U2", "甲类", 90, 2, "优秀"), ("U3", "甲类", 70, 3, "良好")],
        )
    rid, ids = make_round(
        db, vid, [("U1", "U1", "甲类"), ("U2", "U2", "甲类"), ("U3", "U3", "甲类")], period="2026-Q3"
    )
    rows = []
    for code, i1 in (("U1", 40), ("U2", 20), ("U3", 30)):
        rows += full_marks([code], i1=i1)
    add_scores(db, rid, ids, rows)
    compute_round(db, actors["admin"], rid, today=TODAY, resamples=0)
    assert _entries(db, rid) == []


def test_window_unit_and_quorum_op_are_validated_and_written_back():
    from assess.foundation.errors import InputErrors
    from assess.schemes.builtin import validate_source
    from assess.schemes.toml_writer import scheme_to_toml
    from assess.schemes.validate import validate_text

    scheme = validate_source("cwgk_qlss_2014").scheme
    q02 = next(r for r in scheme.rules if r.code == "Q02")
    assert q02.window_unit == "year" and {f.quorum_op for f in scheme.forms} == {">="}
    text = scheme_to_toml(scheme)
    assert 'window_unit = "year"' in text and 'quorum_op = ">="' in text
    assert validate_text(text, "again.toml").scheme.to_dict() == scheme.to_dict()
    bad = text.replace('window_unit = "year"', 'window_unit = "month"').replace(
        'quorum_op = ">="', 'quorum_op = "=>"', 1
    )
    with pytest.raises(InputErrors) as e:
        validate_text(bad, "bad.toml")
    fields = {p.field for p in e.value.problems}
    assert any(f.endswith("window_unit") for f in fields) and any(f.endswith("quorum_op") for f in fields)


def test_thresholds_read_in_chinese():
    assert thresholds.threshold_text("综合得分", "<", 60) == "综合得分低于 60"
    assert thresholds.threshold_text("综合得分", "<=", 60) == "综合得分 60 以下（含本数）"
    assert thresholds.threshold_text("满意率", ">=", 90) == "满意率 90 以上（含本数）"
    assert thresholds.threshold_text("名次", ">", 10) == "名次超过 10"
    rule = RuleDef("R", "threshold", "约谈", metric="satisfaction", op="<", value=50)
    assert accountability.rule_text(rule) == "满意率（各类投票人合计）低于 50"
