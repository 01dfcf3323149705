"""Robustness: how much do ranks (and accountability triggers) depend on the luck of the ballots
and on the exact weights?

Each resample redraws every voter-group × target cell of the certified appraisal counts as a
multinomial with the cell's own total and observed shares (the same distribution as redrawing
ballots within the voter group, about 60× faster) and multiplies every component weight
by an independent factor uniform in [1 − jitter, 1 + jitter] (±10%). Composites are recomputed and
rounded exactly as in the engine, ranks within category likewise (tie-break included). A unit's
rank interval is the 5th–95th percentile of its resampled ranks. The RNG is seeded (by default
from the round id), so the same inputs always give the same intervals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from assess.scoring import appraisal as ap
from assess.scoring import cadres as cd
from assess.scoring.annual import annual_precision, resampled_composite
from assess.scoring.composite import combine, scaled
from assess.scoring.engine import rank_min, tie_break_keys, weight_vector

if TYPE_CHECKING:
    import numpy as np

    from assess.scoring.engine import RoundInputs, UnitScores

RESAMPLES = 1000
WEIGHT_JITTER = 0.10
LOW_PERCENTILE = 5
HIGH_PERCENTILE = 95
SEED_BASE = 20_160_000


def default_seed(round_id: int) -> int:
    return SEED_BASE + int(round_id)


@dataclass
class Resamples:
    n: int
    seed: int
    composite: np.ndarray  # (R, U)
    indicators: np.ndarray  # (R, U)
    appraisal: np.ndarray  # (R, U)
    satisfaction: np.ndarray  # (R, U)
    rank: np.ndarray  # (R, U)
    rank_low: np.ndarray  # (U,)
    rank_high: np.ndarray  # (U,)
    cadre_unfit: dict[int, tuple[list[int], np.ndarray]] = field(
        default_factory=dict
    )  # session → (cadres, (R, T))


RESAMPLE_CHUNK = 50


def redraw(rng, counts, n: int):
    """``n`` multinomial redraws of every cell of a (…, K) count array: (n, …, K)."""
    import numpy as np

    shape = counts.shape
    flat = counts.reshape(-1, shape[-1])
    totals = flat.sum(axis=1)
    out = np.zeros((n, *flat.shape))
    live = np.flatnonzero(totals > 0)
    if len(live):
        pvals = flat[live] / totals[live, None]
        out[:, live, :] = rng.multinomial(totals[live].astype(np.int64), pvals, size=(n, len(live)))
    return out.reshape((n, *shape))


def resample(
    inputs: RoundInputs, scores: UnitScores, n: int = RESAMPLES, seed: int = 0, jitter: float = WEIGHT_JITTER
) -> Resamples:
    import numpy as np
    import pandas as pd


    scheme = inputs.scheme
    rng = np.random.default_rng(seed)
    t = scores.table
    u = len(t)
    base = t[["indicators", "appraisal", "adjustment"]].to_numpy(dtype=float)
    appraisal_r = np.broadcast_to(base[:, 1], (n, u)).copy()
    satisfaction_r = np.broadcast_to(t["satisfaction"].to_numpy(dtype=float), (n, u)).copy()
    cells = inputs.cells
    if cells is not None and len(cells.frame) and u:
        groups = sorted(cells.weights)
        unit_ids = t["unit_id"].tolist()
        counts = ap.dense(cells.frame, "unit_id", unit_ids, groups, len(cells.points))
        points = np.array([np.nan if p is None else p for p in cells.points], dtype=float)
        group_w = np.array([cells.weights[g] for g in groups])
        satisfied = np.array(cells.satisfied, dtype=bool)
        # Redrawn in chunks of resamples, each reduced to scores before the next is drawn: the
        # draws are the same numbers in the same order as one (n, …) draw, in a fraction of the memory.
        score = np.empty((n, u))
        sat = np.empty((n, u))
        for lo in range(0, n, RESAMPLE_CHUNK):
            hi = min(n, lo + RESAMPLE_CHUNK)
            score[lo:hi], sat[lo:hi], _counted = ap.scores(redraw(rng, counts, hi - lo), group_w, points, satisfied)
        has = ~np.isnan(base[:, 1])
        appraisal_r = np.where(has[None, :] & ~np.isnan(score), score, appraisal_r)
        satisfaction_r = np.where(~np.isnan(sat), sat, satisfaction_r)
    w = weight_vector(scheme)
    factors = rng.uniform(1.0 - jitter, 1.0 + jitter, size=(n, len(w)))
    comp = np.broadcast_to(base, (n, u, 3)).copy()
    comp[:, :, 1] = appraisal_r
    composite = combine(
        comp, (w[None, :] * factors)[:, None, :], t["penalty"].to_numpy(dtype=float), scheme.precision
    )
    precision = scheme.precision
    if inputs.annual is not None and scheme.annual is not None and u:
        # An annual round (assess.results.annual): the published quarterly average is fixed, the year-end varies.

        composite = resampled_composite(scheme, t, composite)
        precision = annual_precision(scheme)
    cat = pd.factorize(t["category"])[0] if u else np.zeros(0, dtype=int)
    n_cat = int(cat.max()) + 1 if u else 1
    groups_rc = (np.arange(n)[:, None] * n_cat + cat[None, :]).ravel()
    keys = [
        scaled(composite, precision).ravel(),
        *[k.ravel() for k in tie_break_keys(scheme, comp, satisfaction_r)],
    ]
    ranks = rank_min(groups_rc, keys).reshape(n, u)
    if u:
        low = np.percentile(ranks, LOW_PERCENTILE, axis=0, method="lower").astype(int)
        high = np.percentile(ranks, HIGH_PERCENTILE, axis=0, method="higher").astype(int)
    else:
        low = high = np.zeros(0, dtype=int)
    result = Resamples(
        n, seed, composite, np.broadcast_to(base[:, 0], (n, u)), appraisal_r, satisfaction_r, ranks, low, high
    )
    for cs in inputs.cadre_sessions:
        counts, _groups, _weights, points, _sat = cd.session_arrays(cs)
        result.cadre_unfit[cs.session_id] = (
            list(cs.cadre_ids),
            cd.unfit_shares(redraw(rng, counts, n), cs.form, points),
        )
    return result
