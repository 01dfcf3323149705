"""Rank intervals over bootstrap resamples of the ballots and perturbed weights (pure)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from assess.schemes.definition import from_dict
from assess.scoring.appraisal import scores
from assess.scoring.engine import AppraisalCells, RoundInputs, compute_units
from assess.scoring.robustness import redraw, resample
from assess.scoring.rows import Rows

from .results_helpers import scheme_dict

POINTS = [100.0, 70.0, 30.0, None]
SATISFIED = [True, True, False, False]


def _inputs(cells: dict[str, list[int]], weights=None):
    """Appraisal only, one voter group; ``cells[code]`` = votes per option."""
    d = scheme_dict(weights=weights or {"appraisal": 100})
    codes = list(cells)
    units = pd.DataFrame(
        {"unit_id": range(1, len(codes) + 1), "code": codes, "name": codes, "category": "甲类"}
    )
    frame = pd.DataFrame(
        [("ld", i + 1, k + 1, n) for i, c in enumerate(codes) for k, n in enumerate(cells[c]) if n],
        columns=["voter_group", "unit_id", "choice", "count"],
    )
    pts = np.array([np.nan if p is None else p for p in POINTS])
    counts = np.array([cells[c] for c in codes], dtype=float)[None, :, :]
    score, sat, _ = scores(counts, np.array([1.0]), pts, np.array(SATISFIED))
    appraisal = pd.DataFrame(
        {"unit_id": units["unit_id"], "score": score, "satisfaction": sat, "missing_groups": ""}
    )
    empty = pd.DataFrame(columns=["unit_id", "indicator_code", "value"])
    return RoundInputs(
        from_dict(d),
        Rows.from_frame(units),
        Rows.from_frame(empty),
        Rows.from_frame(empty),
        [],
        Rows.from_frame(appraisal),
        Rows(["unit_id", "points"]),
        Rows(["unit_id", "kind"]),
        cells=AppraisalCells(Rows.from_frame(frame), POINTS, SATISFIED, {"ld": 1.0}),
    )


def test_redraw_keeps_totals_and_mean():
    rng = np.random.default_rng(3)
    counts = np.array([[[30, 10, 0, 0], [0, 0, 0, 0]]], dtype=float)
    r = redraw(rng, counts, 2000)
    assert r.shape == (2000, 1, 2, 4)
    assert (r.sum(axis=-1)[:, 0, 0] == 40).all() and (r[:, 0, 1] == 0).all()
    assert abs(r[:, 0, 0, 0].mean() - 30) < 0.5  # multinomial mean n × p


def test_intervals_wide_for_a_close_race_narrow_for_a_clear_lead():
    # A: 20 votes 10/10 满意/基本满意 → 85; B: 85 as well from 20 votes 10 满意 10 基本满意 would
    # tie exactly — use B 9/11 → 83.5, C 0/0/20 → 30. A and B swap places in many resamples, C is
    # always last.
    inputs = _inputs({"A": [10, 10, 0, 0], "B": [9, 11, 0, 0], "C": [0, 0, 20, 0]})
    base = compute_units(inputs)
    assert list(base.table["rank"]) == [1, 2, 3]
    rs = resample(inputs, base, n=1000, seed=11)
    low, high = (
        dict(zip(base.table["code"], rs.rank_low, strict=True)),
        dict(zip(base.table["code"], rs.rank_high, strict=True)),
    )
    assert (low["A"], high["A"]) == (1, 2) and (low["B"], high["B"]) == (1, 2)
    assert (low["C"], high["C"]) == (3, 3)
    again = resample(inputs, base, n=1000, seed=11)
    assert (again.rank == rs.rank).all()  # seeded: reproducible
    other = resample(inputs, base, n=1000, seed=12)
    assert not (other.rank == rs.rank).all()


def test_weight_perturbation_alone_moves_close_composites():
    # No ballot uncertainty in the indicators, but ±10% weights: A (ind 100, appraisal 70) and
    # B (ind 70, appraisal 100) tie at 0.5/0.5 weights and split under perturbed weights.
    d = scheme_dict(
        weights={"indicators": 50, "appraisal": 50},
        indicators=[{"code": "P", "name": "得分", "method": "points", "max": 100}],
    )
    units = pd.DataFrame({"unit_id": [1, 2], "code": ["A", "B"], "name": ["A", "B"], "category": "甲类"})
    sc = pd.DataFrame([(1, "P", 100), (2, "P", 70)], columns=["unit_id", "indicator_code", "value"])
    app = pd.DataFrame(
        {"unit_id": [1, 2], "score": [70.0, 100.0], "satisfaction": [np.nan, np.nan], "missing_groups": ""}
    )
    inputs = RoundInputs(
        from_dict(d),
        Rows.from_frame(units),
        Rows.from_frame(sc),
        Rows.from_frame(sc.iloc[0:0]),
        [],
        Rows.from_frame(app),
        Rows(["unit_id", "points"]),
        Rows(["unit_id", "kind"]),
    )
    base = compute_units(inputs)
    assert list(base.table["rank"]) == [1, 1]
    rs = resample(inputs, base, n=500, seed=5)
    assert list(rs.rank_low) == [1, 1] and list(rs.rank_high) == [2, 2]


def test_chunked_resamples_are_the_same_draws_as_one_draw(monkeypatch):
    """Resamples are drawn and reduced chunk by chunk to bound memory; with draw scheme 1 the
    results are exactly those of drawing every resample at once (same seed, same numbers, same
    order)."""
    import assess.scoring.robustness as rb

    inputs = _inputs({"A": [10, 10, 0, 2], "B": [12, 6, 2, 0], "C": [3, 15, 4, 1], "D": [0, 0, 9, 9]})
    base = compute_units(inputs)
    chunked = resample(inputs, base, n=137, seed=11, scheme=1)  # 137: the last chunk is a partial one
    monkeypatch.setattr(rb, "RESAMPLE_CHUNK", 10**9)
    whole = resample(inputs, base, n=137, seed=11, scheme=1)
    for name in ("composite", "appraisal", "satisfaction", "rank", "rank_low", "rank_high"):
        assert np.array_equal(getattr(chunked, name), getattr(whole, name), equal_nan=True), name
    assert chunked.rank.shape == (137, 4) and len(np.unique(chunked.appraisal[:, 0])) > 5
