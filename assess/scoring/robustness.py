"""Robustness: how much do ranks (and accountability triggers) depend on the luck of the ballots
and on the exact weights?

Each resample redraws every voter-group × target cell of the certified appraisal counts as a
multinomial with the cell's own total and observed shares (the same distribution as redrawing
ballots within the voter group, about 60× faster) and multiplies every component weight
by an independent factor uniform in [1 − jitter, 1 + jitter] (±10%). Composites are recomputed and
rounded exactly as in the engine, ranks within category likewise (tie-break included). A unit's
rank interval is the 5th–95th percentile of its resampled ranks. The RNG is seeded (by default
from the round id), so the same inputs always give the same intervals.

Which numbers are drawn, from which generator and in which order, is the *draw scheme*
(``RESAMPLE_SCHEME``, recorded as ``resample_scheme`` in the ``results.compute`` audit record so that
a published round recomputes with the draws it was published with; a record without it is scheme 1):

- scheme 1: one generator ``default_rng(seed)`` draws, in this order, the appraisal redraws of every
  resample (resample after resample), the weight factors, then the cadre redraws of each session. One
  stream, so the appraisal redraws are drawn on one thread, chunk after chunk.
- scheme 2 (new computations): the resamples are cut into fixed chunks (``draw_chunks``: their bounds
  depend only on the number of resamples and of voter-group × target cells with votes, never on the
  machine), and the appraisal redraws of chunk ``i`` come from their own generator,
  ``Generator(PCG64(SeedSequence(seed, spawn_key=(i,))))`` (``chunk_generator``), so that the chunks
  can be drawn on several threads and give the same numbers whichever thread draws which. The
  weight factors, then the cadre redraws, come from ``default_rng(seed)`` (``SeedSequence(seed)``,
  spawn key ``()``: a stream apart from every chunk's) as in scheme 1.

A change to what is drawn is a new scheme number; the old ones stay, bit for bit
(``tests/test_robustness_pinned.py`` pins both).
"""

from __future__ import annotations

import os
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from assess.foundation.errors import AssessError
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
RESAMPLE_SCHEME = 2  # the draw scheme of new computations (see the module docstring)
RESAMPLE_SCHEMES = (1, 2)  # the draw schemes this version draws (every one ever recorded)


class UnknownResampleScheme(AssessError):
    """A draw scheme number this version does not know (a record written by a later version, or
    altered)."""


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


RANK_BLOCK_CELLS = 100_000  # about this many resample × unit cells given composites and ranks at once


def rank_block(units: int) -> int:
    """Resamples given composites and ranks at once: 50 at 2,000 units, all of them for a small
    round. Each resample is computed on its own, so the block changes the time, never the numbers."""
    return max(1, RANK_BLOCK_CELLS // max(1, units))


RESAMPLE_CHUNK = 50  # scheme 1: at most this many resamples drawn at once …
CHUNK_CELLS = 80_000  # … and about this many cells (the draws then stay in cache)
# Scheme 2's chunks: part of the draws (each chunk has its own generator), so fixed for good —
# a different chunking is a different scheme. At most 50 resamples and about 80,000 cells a chunk.
SCHEME2_CHUNK = 50
SCHEME2_CHUNK_CELLS = 80_000
DRAW_THREADS = 2  # scheme 2: chunks drawn at once on worker threads (at most os.cpu_count())


def check_scheme(scheme) -> int:
    """The draw scheme number ``scheme``, or ``UnknownResampleScheme`` naming it."""
    if isinstance(scheme, bool) or not isinstance(scheme, int) or scheme not in RESAMPLE_SCHEMES:
        known = "、".join(str(x) for x in RESAMPLE_SCHEMES)
        raise UnknownResampleScheme(
            f"稳健性重抽样方式 {scheme!r} 未知：本程序只能按方式 {known} 重抽样（计算记录可能由更新版本的程序写入或被改动）。"
        )
    return scheme


def draw_chunks(n: int, cells: int) -> list[tuple[int, int]]:
    """Scheme 2: the (start, stop) resamples of each chunk, for ``n`` resamples of ``cells``
    voter-group × target cells with votes. Part of the draws: depends on nothing else."""
    step = max(1, min(SCHEME2_CHUNK, SCHEME2_CHUNK_CELLS // max(1, cells)))
    return [(lo, min(n, lo + step)) for lo in range(0, n, step)]


def chunk_generator(seed: int, i: int):
    """Scheme 2: the generator of the appraisal redraws of chunk ``i``."""
    import numpy as np

    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(i,))))


def draw_threads() -> int:
    """How many worker threads draw scheme 2's chunks: ``DRAW_THREADS``, at most one a core."""
    return max(1, min(DRAW_THREADS, os.cpu_count() or 1))


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


def redrawn_scores(rng, counts, n: int, weights, points, satisfied, chunk_seed: int | None = None):
    """(score, satisfaction percent), each (n, T): the appraisal scores of ``n`` redraws of the
    (G, T, K) counts, drawn and reduced a chunk of resamples at a time. The scores are bit for bit
    ``appraisal.scores`` of the draws: with whole option points the option sums are taken in
    integers straight from the draws (exact, see ``appraisal.whole_options``), otherwise through
    the float array ``redraw`` returns.

    Scheme 1 (``chunk_seed`` None): the draws are the numbers ``redraw`` draws from ``rng``, in the
    same order (so the same as one (n, …) draw); chunks of ``RESAMPLE_CHUNK`` / ``CHUNK_CELLS``. One
    worker thread draws the next chunk while this one reduces the last (numpy draws without holding
    the GIL); it is the only one drawing, chunk after chunk, so the order is unchanged.

    Scheme 2 (``chunk_seed`` given, ``rng`` unused): chunk ``i`` of ``draw_chunks`` is drawn from
    ``chunk_generator(chunk_seed, i)``, on ``draw_threads()`` worker threads at once, and reduced here
    in order; at most one chunk a worker plus one is held drawn ahead. Each chunk's numbers depend
    only on its own generator, so the result does not depend on the threads."""
    import numpy as np

    g, t, k = counts.shape
    flat = counts.reshape(-1, k)
    totals = flat.sum(axis=1)
    live = np.flatnonzero(totals > 0)
    options = ap.whole_options(points, satisfied, int(totals.max()) if len(totals) else 0)
    pvals = flat[live] / totals[live, None]
    live_totals = totals[live].astype(np.int64)

    def draw_from(gen, size: int):
        if options is None:
            return redraw(gen, counts, size)
        return gen.multinomial(live_totals, pvals, size=(size, len(live))) if len(live) else None

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
    if chunk_seed is None:  # scheme 1: one generator, one drawing thread, chunk after chunk
        step = max(1, min(RESAMPLE_CHUNK, CHUNK_CELLS // max(1, len(live))))
        chunks = [(lo, min(n, lo + step)) for lo in range(0, n, step)]
        workers = 1

        def draw(i: int):
            return draw_from(rng, chunks[i][1] - chunks[i][0])

    else:  # scheme 2: every chunk its own generator
        chunks = draw_chunks(n, len(live))
        workers = draw_threads()

        def draw(i: int):
            return draw_from(chunk_generator(chunk_seed, i), chunks[i][1] - chunks[i][0])

    if not chunks:
        return score, sat
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="redraw") as pool:
        # ``workers`` chunks drawn ahead of the one reduced (scheme 1: one worker, so in order).
        ahead = deque(pool.submit(draw, i) for i in range(min(workers, len(chunks))))
        for i, (lo, hi) in enumerate(chunks):
            drawn = ahead.popleft().result()
            if i + workers < len(chunks):
                ahead.append(pool.submit(draw, i + workers))
            score[lo:hi], sat[lo:hi] = reduce(drawn, hi - lo)
            del drawn
    return score, sat


def resample(
    inputs: RoundInputs,
    scores: UnitScores,
    n: int = RESAMPLES,
    seed: int = 0,
    jitter: float = WEIGHT_JITTER,
    scheme: int = RESAMPLE_SCHEME,
) -> Resamples:
    """``n`` resamples of the round drawn with draw scheme ``scheme`` (module docstring) from
    ``seed``; ``UnknownResampleScheme`` for a scheme this version does not draw."""
    chunk_seed = None if check_scheme(scheme) == 1 else seed  # scheme 2: the chunks' own generators
    return _resampled(inputs, scores, n, seed, jitter, chunk_seed)


def _resampled(
    inputs: RoundInputs, scores: UnitScores, n: int, seed: int, jitter: float, chunk_seed: int | None
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
        # Redrawn in chunks of resamples, each reduced to scores as it comes, in a fraction of the
        # memory: scheme 1 from ``rng`` (the same numbers in the same order as one (n, …) draw),
        # scheme 2 from each chunk's own generator (``rng`` untouched: the factors come first).
        appraisal_r, satisfaction_r = redrawn_scores(rng, counts, n, group_w, points, satisfied, chunk_seed)
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
    step = rank_block(u)

    def block(lo: int) -> None:
        hi = min(n, lo + step)
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
    starts = range(0, n if u else 0, step)
    if len(starts) == 1:
        block(0)  # a small round: one block, no threads
    else:
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="rank") as pool:
            for _done in pool.map(block, starts):
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
