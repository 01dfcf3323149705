"""Session tallies against hand computations (docs/architecture.md: 民主评议得分、干部测评), on
SQLite and PostgreSQL."""

from __future__ import annotations

import math

import numpy as np
import pytest

from assess.appraisal import sessions as appraisal
from assess.appraisal import tally
from assess.demo import builders

from .ballot_helpers import make_round


def test_largest_remainder_sums_to_exactly_100():
    # 1/3 each: 33.333… → floors 3333 ×3 = 9999 hundredths; the one left goes to the first (tie).
    assert tally.largest_remainder(np.array([1, 1, 1])).tolist() == [33.34, 33.33, 33.33]
    # 2/7 = 28.571…, 1/7 = 14.285… ×5: floors 2857 + 5 × 1428 = 9997; remainders .14 and .71 ×5 →
    # three of the 1/7 shares get the three hundredths left.
    got = tally.largest_remainder(np.array([2, 1, 1, 1, 1, 1]))
    assert got.tolist() == [28.57, 14.29, 14.29, 14.29, 14.28, 14.28]
    rng = np.random.default_rng(7)
    counts = rng.integers(0, 50, size=(2000, 4))
    counts[0] = 0
    shares = tally.largest_remainder(counts)
    assert np.isnan(shares[0]).all()
    hundredths = np.rint(shares[1:] * 100).astype(int)
    assert (hundredths.sum(axis=1) == 10000).all()
    assert np.allclose(shares[1:], np.round(shares[1:], 2))
    # Never more than 0.01 from the exact share.
    exact = counts[1:] / counts[1:].sum(axis=1, keepdims=True) * 100
    assert (np.abs(shares[1:] - exact) < 0.01 + 1e-9).all()


@pytest.fixture
def unit_session(db, actors):
    rid = make_round(db)
    codes = builders.numbered_units(db, actors["admin"], 3)
    sid = appraisal.create_session(
        db, actors["clerk"], rid, "unit", "民主评议大会", target_codes=codes, expected=40, present=30
    )
    # Options: 1 满意 100 · 2 基本满意 70 · 3 不满意 30 · 4 不了解 (not counted); at most 2 满意 per ballot.
    builders.certified_batch(db, actors, sid, "ld", "L1", ["112", "121", "211", "124", "13X"])
    builders.certified_batch(db, actors, sid, "fw", "F1", ["111", "234", "344", "224", "000", "231"])
    builders.certified_batch(db, actors, sid, "zg", "Z1", ["void", "blank", "122", "321", "11X"])
    # No batch for rd (人大代表政协委员): a missing group.
    return sid


def test_unit_tally_by_hand(db, actors, unit_session):
    t = tally.session_tally(db, unit_session)
    g = t.groups.set_index(["target_code", "group"])
    # ld (5 valid ballots):
    #   U01: 1,1,2,1,1 → 满意 4, 基本满意 1 → counted 5, score (4×100 + 70)/5 = 94, 满意率 5/5
    #   U02: 1,2,1,2,3 → 2, 2, 1 → (200 + 140 + 30)/5 = 74, 满意率 4/5
    #   U03: 2,1,1,4,X → 满意 2, 基本满意 1, 不了解 1, X voided → counted 3, (200 + 70)/3 = 90
    assert g.loc[("U01", "ld"), ["满意", "基本满意", "不满意", "不了解", "counted"]].tolist() == [
        4,
        1,
        0,
        0,
        5,
    ]
    assert g.loc[("U01", "ld"), "score"] == pytest.approx(94.0)
    assert g.loc[("U02", "ld"), "score"] == pytest.approx(74.0)
    assert g.loc[("U02", "ld"), "satisfaction"] == pytest.approx(0.8)
    assert g.loc[("U03", "ld"), ["满意", "基本满意", "不满意", "不了解", "total", "counted"]].tolist() == [
        2,
        1,
        0,
        1,
        4,
        3,
    ]
    assert g.loc[("U03", "ld"), "score"] == pytest.approx(90.0)
    # fw: "111" is void (3 满意 > 2), "000" blank; valid 234, 344, 224, 231:
    #   U01: 2,3,2,2 → (3×70 + 30)/4 = 60;  U02: 3,4,2,3 → counted 3, (30+30+70)/3 = 43.33…;
    #   U03: 4,4,4,1 → counted 1 (three 不了解), 100
    assert g.loc[("U01", "fw"), "score"] == pytest.approx(60.0)
    assert g.loc[("U02", "fw"), "score"] == pytest.approx(130 / 3)
    assert g.loc[("U03", "fw"), ["counted", "不了解"]].tolist() == [1, 3]
    assert g.loc[("U03", "fw"), "score"] == pytest.approx(100.0)
    # zg: one voided with one key, one blank; valid 122, 321, 11X:
    #   U01: 1,3,1 → 230/3 = 76.67;  U02: 2,2,1 → 240/3 = 80;  U03: 2,1,X → 170/2 = 85
    assert g.loc[("U01", "zg"), "score"] == pytest.approx(230 / 3)
    assert g.loc[("U02", "zg"), "score"] == pytest.approx(80.0)
    assert g.loc[("U03", "zg"), ["counted", "score"]].tolist() == [2, 85.0]
    # rd has no ballots: counted 0, score NaN — never 0.
    assert g.loc[("U01", "rd"), "counted"] == 0 and math.isnan(g.loc[("U01", "rd"), "score"])

    # Target score: weights ld .2, fw .4, zg .2 renormalised over present groups (sum .8) → .25/.5/.25.
    #   U01: .25×94 + .5×60 + .25×76.667 = 72.6667
    #   U02: .25×74 + .5×43.333 + .25×80 = 60.1667
    #   U03: .25×90 + .5×100 + .25×85 = 93.75
    tt = t.targets.set_index("target_code")
    assert tt.loc["U01", "score"] == pytest.approx(23.5 + 30 + 230 / 12)
    assert tt.loc["U02", "score"] == pytest.approx(18.5 + 65 / 3 + 20)
    assert tt.loc["U03", "score"] == pytest.approx(93.75)
    # 满意率 pools the votes: U01 (5 + 3 + 2)/(5 + 4 + 3) = 10/12; U02 (4 + 1 + 3)/11; U03 6/6.
    assert tt.loc["U01", "satisfaction"] == pytest.approx(10 / 12)
    assert tt.loc["U02", "satisfaction"] == pytest.approx(8 / 11)
    assert tt.loc["U03", "satisfaction"] == pytest.approx(1.0)
    assert tt.loc["U02", "counted"] == 11
    assert (tt["missing_groups"] == "rd").all()
    assert any("rd" in w and "重新分配" in w for w in t.warnings)
    # Shares of U02's 12 marks (满意 3, 基本满意 5, 不满意 3, 不了解 1): 25, 41.666…, 25, 8.333… →
    # floors 2500 + 4166 + 2500 + 833 = 9999; the hundredth left goes to 41.666… (largest remainder).
    shares = tt.loc["U02", ["share_满意", "share_基本满意", "share_不满意", "share_不了解"]].tolist()
    assert shares == [25.0, 41.67, 25.0, 8.33]
    # Publication threshold 5 counted votes: only ld reaches it (U01, U02), but fw (4) and zg (3 or
    # fewer) have votes under it for every target, so ld shown next to the pooled total would give
    # fw + zg by subtraction: every group is merged into the total, which is shown (≥ 5 counted).
    assert not t.groups["shown"].any()
    assert t.groups.set_index(["target_code", "group"]).loc[("U01", "ld"), "counted"] == 5
    # Nothing at all is published until the session is certified; then the pooled totals are.
    assert not t.targets["shown"].any() and t.public_targets()["counted"].isna().all()
    assert t.public_targets()["note"].eq("会议尚未核定，计票结果核定后公布").all()
    appraisal.certify_session(db, actors["reviewer"], unit_session)
    t = tally.session_tally(db, unit_session)
    pub = t.public_groups().set_index(["target_code", "group"])
    assert pub.loc[("U01", "fw"), "score"] is None and pub.loc[("U01", "fw"), "满意"] is None
    assert pub.loc[("U01", "ld"), "score"] is None and pub.loc[("U01", "ld"), "note"] == "含不足公开门槛的投票人类别，分项不公布"
    # Certified: the pooled counted votes and scores are printed, counts per option and shares not
    # (every target has a group with marks under the threshold).
    assert (
        t.targets["final"].all() and t.public_targets()["counted"].tolist() == t.targets["counted"].tolist()
    )
    assert not t.targets["shown"].any() and t.public_targets()["满意"].isna().all()
    assert not t.groups["shown"].any()
    # Turnout per batch: blank and void ballots counted in turnout, not in scores.
    b = t.batches.set_index("label")
    assert b.loc["F1", ["valid", "void", "blank"]].tolist() == [4, 1, 1]
    assert b.loc["Z1", ["valid", "void", "blank"]].tolist() == [3, 1, 1]
    assert t.quorum_ok  # 30 > 0.5 × 40


def test_counts_frame_is_dense(db, actors, unit_session):
    cf = tally.counts_frame(db, unit_session)
    assert len(cf) == 3 * 3 * 4  # batches × targets × options
    # marks on valid ballots (ld 5×3, fw 4×3, zg 3×3) minus the 2 voided marks (ld "13X", zg "11X")
    assert cf["count"].sum() == 5 * 3 + 4 * 3 + 3 * 3 - 2
    row = cf[(cf["batch_label"] == "F1") & (cf["target_code"] == "U03") & (cf["option"] == "不了解")]
    assert row["count"].item() == 3 and math.isnan(row["points"].item())


def test_quorum_failure_is_flagged(db, actors):
    rid = make_round(db)
    codes = builders.numbered_units(db, actors["admin"], 2)
    sid = appraisal.create_session(
        db, actors["clerk"], rid, "unit", "评议会", target_codes=codes, expected=40, present=20
    )
    builders.certified_batch(db, actors, sid, "ld", "L1", ["12"] * 5)
    t = tally.session_tally(db, sid)
    # 20 is not more than 0.5 × 40.
    assert not t.quorum_ok and not t.targets["quorum_ok"].any()
    assert "未达到法定人数" in t.warnings[0]
    appraisal.set_attendance(db, actors["clerk"], sid, present=21)
    assert tally.session_tally(db, sid).quorum_ok


def test_cadre_tally_thresholds_and_history(db, actors):
    builders.numbered_units(db, actors["admin"], 1)
    cadres = builders.cadres(db, actors["admin"], 3)
    # The year before: C03 got 4 不称职 of 5 counted votes (> 1/3) → 不称职; C02 did not.
    r0 = make_round(db, period="2025")
    s0 = appraisal.create_session(
        db, actors["clerk"], r0, "cadre", "2025 勤廉双述", target_codes=cadres, expected=9, present=9
    )
    builders.certified_batch(db, actors, s0, "dy", "P1", ["124", "124", "224", "124", "123"])
    r1 = make_round(db, period="2026")
    sid = appraisal.create_session(
        db, actors["clerk"], r1, "cadre", "2026 勤廉双述", target_codes=cadres, expected=15, present=12
    )
    # Options 1 优秀 95 · 2 称职 80 · 3 基本称职 60 · 4 不称职 30; 称职及以上 = 优秀 + 称职.
    builders.certified_batch(db, actors, sid, "dy", "D1", ["124", "114", "234", "144", "124", "214"])
    builders.certified_batch(db, actors, sid, "cm", "M1", ["134", "124", "144", "224", "114", "1X4"])
    t = tally.session_tally(db, sid)
    tt = t.targets.set_index("target_code")
    # C01: dy 1,1,2,1,1,2 (优秀 4, 称职 2) → (380 + 160)/6 = 90; cm 1,1,1,2,1,1 → (475 + 80)/6 = 92.5;
    #      weights .5/.5 → 91.25; 称职及以上 12/12 = 100% ≥ 90% → may be 优秀.
    assert tt.loc["C01", "score"] == pytest.approx(91.25)
    assert tt.loc["C01", "fit_share"] == pytest.approx(1.0) and tt.loc["C01", "may_be_excellent"]
    # C02: dy 2,1,3,4,2,1 → (190 + 160 + 60 + 30)/6 = 73.33; cm 3,2,4,2,1,X → counted 5,
    #      (60 + 160 + 30 + 95)/5 = 69 → 71.1667; pooled 优秀 3 称职 4 基本称职 2 不称职 2 of 11:
    #      unfit 2/11 ≤ 1/3, fit 7/11 < 90%.
    assert tt.loc["C02", "score"] == pytest.approx((440 / 6 + 69) / 2)
    assert tt.loc["C02", "unfit_share"] == pytest.approx(2 / 11)
    assert tt.loc["C02", "fit_share"] == pytest.approx(7 / 11)
    assert not tt.loc["C02", "unfit"] and not tt.loc["C02", "may_be_excellent"]
    assert tt.loc["C02", "prior_unfit_streak"] == 0 and not tt.loc["C02", "consecutive_unfit"]
    # C03: 12 of 12 不称职 → unfit regardless of score; 不称职 in 2025 too → two in a row.
    assert tt.loc["C03", "unfit_share"] == pytest.approx(1.0) and tt.loc["C03", "unfit"]
    assert tt.loc["C03", "score"] == pytest.approx(30.0)
    assert tt.loc["C03", "prior_unfit_streak"] == 1 and tt.loc["C03", "consecutive_unfit"]
    assert tt.loc["C03", "history"] == "2025:不称职"
    assert any("C03" in w and "连续 2 次" in w for w in t.warnings)
    assert t.quorum_ok  # 11 > 2/3 × 15 = 10


def test_unfit_share_exactly_one_third_is_not_unfit(db, actors):
    builders.numbered_units(db, actors["admin"], 1)
    cadres = builders.cadres(db, actors["admin"], 1)
    rid = make_round(db)
    sid = appraisal.create_session(
        db, actors["clerk"], rid, "cadre", "测评", target_codes=cadres, expected=6, present=6
    )
    # 2 不称职 of 6 counted = exactly 1/3: the rule is "more than 1/3".
    builders.certified_batch(db, actors, sid, "dy", "D1", ["4", "4", "2", "2", "2", "1"])
    tt = tally.session_tally(db, sid).targets
    assert tt.loc[0, "unfit_share"] == pytest.approx(1 / 3) and not tt.loc[0, "unfit"]
