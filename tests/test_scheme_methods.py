"""Scoring of raw values by method, against hand-computed points."""

import math

import numpy as np

from assess.schemes.definition import IndicatorDef
from assess.schemes.methods import check_value, score_values


def test_points_deduct_bonus_ratio_veto():
    v = np.array([3.0, 12.0, np.nan, -1.0])
    assert np.allclose(score_values("points", 10, None, v)[[0, 1, 3]], [3, 10, 0])
    assert math.isnan(score_values("points", 10, None, v)[2])
    # deduct: 10 − 3 = 7; 10 − 12 floors at 0 (扣完为止)
    assert np.allclose(score_values("deduct", 10, None, np.array([3.0, 12.0])), [7, 0])
    # bonus capped at 最高计 5 分
    assert np.allclose(score_values("bonus", 5, None, np.array([2.0, 9.0])), [2, 5])
    # ratio: 8 × 90/100 = 7.2; over target capped at 8; target 95 → 8 × 90/95
    assert np.allclose(score_values("ratio", 8, None, np.array([90.0, 120.0])), [7.2, 8])
    assert np.allclose(score_values("ratio", 8, 95, np.array([90.0])), [8 * 90 / 95])
    assert np.allclose(score_values("veto", 0, None, np.array([1.0, 0.0])), [0, 0])


def test_check_value_messages():
    ind = IndicatorDef(code="A1", name="公开", method="points", max=10)
    assert check_value(ind, 10) is None
    assert "满分 10" in check_value(ind, 10.5)
    assert "不能小于" in check_value(ind, -1)
    veto = IndicatorDef(code="V", name="否决", method="veto", max=0)
    assert check_value(veto, 1) is None and "只能填 0" in check_value(veto, 0.5)
