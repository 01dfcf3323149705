"""Rounding and the weighted composite: the two steps every composite goes through (quarterly and
annual), written once. 四舍五入 at the scheme's precision happens before any comparison."""

from __future__ import annotations


def scaled(x, precision: int):
    """Values rounded half up to ``precision`` decimals, as integers of 10^-precision (exact keys
    for comparing and ranking). NaN stays NaN (float result then)."""
    import numpy as np

    a = np.asarray(x, dtype=float)
    f = 10.0**precision
    return np.sign(a) * np.floor(np.abs(a) * f + 0.5 + ROUND_EPS)


def round_half_up(x, precision: int):
    """四舍五入 to ``precision`` decimals: 89.995 → 90.00 (not banker's rounding, not the binary
    89.99499…)."""
    return scaled(x, precision) / (10.0**precision)


def combine(components, weights, penalty, precision: int):
    """Composite from a (…, units, components) array with NaN for missing components: weights
    renormalised over the present ones, minus the penalty, floored at 0, rounded half up.
    ``weights`` broadcasts against the last axis (shape (C,) or (R, 1, C))."""
    import numpy as np

    comp = np.asarray(components, dtype=float)
    present = ~np.isnan(comp)
    w = np.broadcast_to(np.asarray(weights, dtype=float), comp.shape) * present
    wsum = w.sum(axis=-1)
    total = (np.where(present, comp, 0.0) * w).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(wsum > 0, total / np.where(wsum > 0, wsum, 1.0), np.nan)
    value = np.maximum(value - penalty, 0.0)
    return round_half_up(value, precision)


def combine_columns(columns, weights, penalty, precision: int):
    """``combine`` with the components given as separate arrays (each broadcasting to the result's
    shape, NaN where missing) and their weights likewise (a number, or an array such as (R, 1): one
    per resample): bit for bit ``combine`` of the stacked array, without building (…, components)
    arrays. The sums run over the components in order, left to right, as numpy's reduction of the
    short last axis does (``tests/test_robustness_pinned.py`` checks that the two agree)."""
    import numpy as np

    cols = [np.asarray(c, dtype=float) for c in columns]
    present = [~np.isnan(c) for c in cols]
    w = [np.asarray(wj, dtype=float) * pj for wj, pj in zip(weights, present, strict=True)]
    shape = np.broadcast_shapes(*(c.shape for c in cols), *(wj.shape for wj in w))
    wsum = np.zeros(shape)
    wsum += w[0]  # 0 + w₀ = w₀
    for wj in w[1:]:
        wsum += wj
    total = np.zeros(shape)
    term = np.empty(shape)
    for c, pj, wj in zip(cols, present, w, strict=True):
        np.multiply(np.where(pj, c, 0.0), wj, out=term)
        total += term
    del term
    ok = wsum > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        np.divide(total, np.where(ok, wsum, 1.0), out=total)
    np.copyto(total, np.nan, where=~ok)
    total -= penalty
    np.maximum(total, 0.0, out=total)
    return round_half_up(total, precision)


ROUND_EPS = 1e-7  # absorbs binary representation error: 89.995 is stored as 89.99499999…
