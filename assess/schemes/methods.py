"""Turning raw indicator values into points, by method (vectorised).

This is the one place the methods' semantics live (see ``definition.py``); self-check review,
spot-check comparison (虚报) and the composite engine all call it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assess.foundation.vocabulary import Method

if TYPE_CHECKING:
    import numpy as np

    from assess.schemes.definition import IndicatorDef


def score_values(method: str, max_points: float, target: float | None, values: np.ndarray) -> np.ndarray:
    """Points for an array of raw values of one leaf indicator. NaN stays NaN (no value)."""
    import numpy as np

    v = np.asarray(values, dtype=float)
    if method == Method.POINTS:
        return np.clip(v, 0.0, max_points)
    if method == Method.DEDUCT:
        return np.clip(max_points - v, 0.0, max_points)
    if method == Method.BONUS:
        return np.clip(v, 0.0, max_points)
    if method == Method.RATIO:
        t = 100.0 if not target else float(target)
        return max_points * np.clip(v / t, 0.0, 1.0)
    if method == Method.VETO:
        return np.zeros_like(v) * v  # 0 where a value exists, NaN where none
    raise ValueError(f"unknown method {method!r}")


def value_range(ind: IndicatorDef) -> tuple[float, float | None]:
    """The accepted range of a raw value for entry and import: (low, high or None for no limit)."""
    if ind.method == Method.POINTS:
        return 0.0, ind.max
    if ind.method in (Method.DEDUCT, Method.BONUS):
        return 0.0, None  # deductions beyond max floor at 0; bonus beyond max is capped
    if ind.method == Method.RATIO:
        return 0.0, None
    if ind.method == Method.VETO:
        return 0.0, 1.0
    raise ValueError(f"unknown method {ind.method!r}")


def check_value(ind: IndicatorDef, value: float) -> str | None:
    """A message when a raw value is out of range for the indicator, else None."""
    low, high = value_range(ind)
    if ind.method == Method.VETO and value not in (0.0, 1.0):
        return f"指标 {ind.code} 为一票否决项：只能填 0（未触发）或 1（触发）"
    if value < low:
        return f"指标 {ind.code} 的值不能小于 {low:g}"
    if high is not None and value > high:
        return f"指标 {ind.code}（{ind.name}）满分 {high:g}，不能填 {value:g}"
    return None
