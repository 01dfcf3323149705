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

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from assess.scoring import appraisal as ap
from assess.scoring import cadres as cd
from assess.scoring.annual import annual_precision, resampled_composite
from assess.scoring.composite import combine_columns, scaled
from assess.scoring.engine import first_appearance, rank_rows, tie_break_keys, weight_vector

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


RANK_BLOCK = 50  # resamples given composites and ranks at once
RESAMPLE_CHUNK = 50  # at most this many resamples drawn at once …
CHUNK_CELLS = 80_000  # … and about this many cells (the draws then stay in cache)


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


def redrawn_scores(rng, counts, n: int, weights, points, satisfied):
    """(score, satisfaction percent), each (n, T): the appraisal scores of ``n`` redraws of the
    (G, T, K) counts, drawn and reduced a chunk of resamples at a time (``CHUNK_CELLS``). The draws
    are the numbers ``redraw`` draws, in the same order (so the same as one (n, …) draw), and the
    scores are bit for bit ``appraisal.scores`` of them: with whole option points the option sums
    are taken in integers straight from the draws (exact, see ``appraisal.whole_options``),
    otherwise through the float array ``redraw`` returns.

    One worker thread draws the next chunk while this one reduces the last (numpy draws without
    holding the GIL); it is the only one drawing, chunk after chunk, so the order is unchanged."""
    import numpy as np

    g, t, k = counts.shape
    flat = counts.reshape(-1, k)
    totals = flat.sum(axis=1)
    live = np.flatnonzero(totals > 0)
    options = ap.whole_options(points, satisfied, int(totals.max()) if len(totals) else 0)
    pvals = flat[live] / totals[live, None]
    live_totals = totals[live].astype(np.int64)

    def draw(size: int):
        if options is None:
            return redraw(rng, counts, size)
        return rng.multinomial(live_totals, pvals, size=(size, len(live))) if len(live) else None

    def reduce(drawn, size: int):
        if options is None:
            score, sat, _counted = ap.scores(drawn, weights, points, satisfied)
            return score, sat
        if len(live) == g * t:
            sums = ap.option_sums(drawn, live_totals, options)
        else:
            sums = [np.zeros((size, g * t), dtype=np.int64) for _ in range(3)]
            if drawn is not None:
                for whole, part in zip(sums, ap.option_sums(drawn, live_totals, options), strict=True):
                    whole[:, live] = part
        counted, wsum, satisfied_votes = (x.reshape(size, g, t) for x in sums)
        return ap.scores_from_sums(counted, wsum, satisfied_votes, weights)

    score = np.empty((n, t))
    sat = np.empty((n, t))
    step = max(1, min(RESAMPLE_CHUNK, CHUNK_CELLS // max(1, len(live))))
    chunks = [(lo, min(n, lo + step)) for lo in range(0, n, step)]
    if not chunks:
        return score, sat
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="redraw") as pool:
        ahead = pool.submit(draw, chunks[0][1] - chunks[0][0])
        for i, (lo, hi) in enumerate(chunks):
            drawn = ahead.result()
            if i + 1 < len(chunks):
                ahead = pool.submit(draw, chunks[i + 1][1] - chunks[i + 1][0])
            score[lo:hi], sat[lo:hi] = reduce(drawn, hi - lo)
            del drawn
    return score, sat


def resample(
    inputs: RoundInputs, scores: UnitScores, n: int = RESAMPLES, seed: int = 0, jitter: float = WEIGHT_JITTER
) -> Resamples:
    import numpy as np

    scheme = inputs.scheme
    rng = np.random.default_rng(seed)
    t = scores.columns
    u = len(scores)
    base = (
        np.column_stack([np.asarray(t[c], dtype=float) for c in ("indicators", "appraisal", "adjustment")])
        if u
        else np.zeros((0, 3))
    )
    base_satisfaction = np.asarray(t["satisfaction"], dtype=float)
    cells = inputs.cells
    if cells is not None and len(cells.frame) and u:
        groups = sorted(cells.weights)
        unit_ids = list(t["unit_id"])
        counts = ap.dense(cells.frame, "unit_id", unit_ids, groups, len(cells.points))
        points = np.array([np.nan if p is None else p for p in cells.points], dtype=float)
        group_w = np.array([cells.weights[g] for g in groups])
        satisfied = np.array(cells.satisfied, dtype=bool)
        # Redrawn in chunks of resamples, each reduced to scores before the next is drawn: the
        # draws are the same numbers in the same order as one (n, …) draw, in a fraction of the memory.
        appraisal_r, satisfaction_r = redrawn_scores(rng, counts, n, group_w, points, satisfied)
        keep = ~(~np.isnan(base[:, 1])[None, :] & ~np.isnan(appraisal_r))
        np.copyto(appraisal_r, np.broadcast_to(base[:, 1], (n, u)), where=keep)
        np.copyto(satisfaction_r, np.broadcast_to(base_satisfaction, (n, u)), where=np.isnan(satisfaction_r))
        del keep
    else:
        appraisal_r = np.broadcast_to(base[:, 1], (n, u)).copy()
        satisfaction_r = np.broadcast_to(base_satisfaction, (n, u)).copy()
    w = weight_vector(scheme)
    factors = rng.uniform(1.0 - jitter, 1.0 + jitter, size=(n, len(w)))
    wr = w[None, :] * factors  # (n, 3): each resample's component weights
    penalty = np.asarray(t["penalty"], dtype=float)
    annual = inputs.annual is not None and scheme.annual is not None and u > 0
    precision = annual_precision(scheme) if annual else scheme.precision
    cat = first_appearance(t["category"]) if u else np.zeros(0, dtype=int)
    composite = np.empty((n, u))
    ranks = np.empty((n, u), dtype=np.int64)

    def block(lo: int) -> None:
        hi = min(n, lo + RANK_BLOCK)
        columns = [base[:, 0], appraisal_r[lo:hi], base[:, 2]]
        values = combine_columns(columns, [wr[lo:hi, j : j + 1] for j in range(3)], penalty, scheme.precision)
        if annual:
            # An annual round (assess.results.annual): the published quarterly average is fixed, the year-end varies.
            values = resampled_composite(scheme, t, values)
        composite[lo:hi] = values
        keys = [scaled(values, precision), *tie_break_keys(scheme, columns, satisfaction_r[lo:hi])]
        ranks[lo:hi] = rank_rows(cat, keys)

    # Composites and ranks a block of resamples at a time, so that the temporaries stay small; each
    # row is computed on its own (the engine's arithmetic, element for element), so the blocks go
    # to two threads and the result does not depend on which computes which.
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="rank") as pool:
        for _done in pool.map(block, range(0, n if u else 0, RANK_BLOCK)):
            pass
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
