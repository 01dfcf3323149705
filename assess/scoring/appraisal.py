"""Appraisal scores from per-cell vote counts (docs/architecture.md, 规则与公式), vectorised.

Counts are a dense array (…, groups, targets, options); a leading resample axis is allowed, which
is how the bootstrap scores 1,000 resamples at once. Score of a target within a voter group =
Σ points × votes / counted votes (options without points, 不了解, are not counted); target score =
Σ group weight × group score over the groups that have counted votes, weights renormalised over
them; 满意率 (percent) = votes for "satisfied" options / counted votes, pooled over groups.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from assess.scoring.rows import Rows


@dataclass
class DenseCells:
    counts: np.ndarray  # (groups, targets, options), float
    groups: list[str]
    targets: list[int]
    weights: np.ndarray  # (groups,)
    points: np.ndarray  # (options,), NaN = not counted
    satisfied: np.ndarray  # (options,), bool


def dense(rows: Rows, target_col: str, targets: list[int], groups: list[str], n_options: int) -> np.ndarray:
    """(groups × targets × options) counts from long rows voter_group, <target_col>, choice, count
    (rows of an unknown group or target, or of a choice out of range, are left out)."""
    import numpy as np

    out = np.zeros((len(groups), len(targets), n_options))
    if rows is None or not len(rows):
        return out
    gpos = {g: i for i, g in enumerate(groups)}
    tpos = {t: i for i, t in enumerate(targets)}
    gcol, tcol, ccol, ncol = (rows.index(c) for c in ("voter_group", target_col, "choice", "count"))
    gi, ti, ci, counts = [], [], [], []
    for r in rows.data:
        c = int(r[ccol]) - 1
        g, t = gpos.get(r[gcol]), tpos.get(r[tcol])
        if g is not None and t is not None and 0 <= c < n_options:
            gi.append(g)
            ti.append(t)
            ci.append(c)
            counts.append(float(r[ncol]))
    idx = tuple(np.array(x, dtype=np.intp) for x in (gi, ti, ci))
    np.add.at(out, idx, np.array(counts, dtype=float))
    return out


def satisfaction_share(satisfied_votes, counted_votes):
    """满意率 as a share (0–1; NaN without counted votes): votes for ``satisfied`` options over
    counted votes. The one definition: callers pool the votes of all voter groups first, so it is
    not weighted like the score (``vocabulary.SATISFACTION_LABEL`` says so wherever it is shown)."""
    import numpy as np

    sat = np.asarray(satisfied_votes, dtype=float)
    cnt = np.asarray(counted_votes, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cnt > 0, sat / np.where(cnt > 0, cnt, 1.0), np.nan)


def option_scores(counts, points, satisfied):
    """(counted votes, score, satisfied votes) over the last axis (the options) of ``counts``: the score
    of one voter group's votes (or of pooled votes) = Σ points × votes ÷ counted votes, NaN without
    counted votes. Options without points (不了解) are not counted."""
    import numpy as np

    counted_mask = ~np.isnan(points)
    pts = np.where(counted_mask, points, 0.0)
    counted = (counts * counted_mask).sum(axis=-1)
    wsum = (counts * pts).sum(axis=-1)
    sat = (counts * (np.asarray(satisfied, dtype=bool) & counted_mask)).sum(axis=-1)
    return counted, group_scores(counted, wsum), sat


def group_scores(counted, wsum):
    """Σ points × votes ÷ counted votes, NaN without counted votes."""
    import numpy as np

    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counted > 0, wsum / np.where(counted > 0, counted, 1.0), np.nan)


def combine_groups(group_score, counted, weights):
    """A target's score from its voter groups' scores (…, G, T): Σ weight × group score over the groups
    with counted votes, the weights renormalised over those groups; NaN when no group has one."""
    import numpy as np

    w = np.asarray(weights, dtype=float)[:, None] * (counted > 0)  # (…, G, T)
    wtot = w.sum(axis=-2)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(
            wtot > 0, (np.nan_to_num(group_score) * w).sum(axis=-2) / np.where(wtot > 0, wtot, 1.0), np.nan
        )


def scores(counts, weights, points, satisfied):
    """(score, satisfaction percent, counted per group) for counts (…, G, T, K)."""
    counted, group_score, sat = option_scores(counts, points, satisfied)  # (…, G, T)
    score = combine_groups(group_score, counted, weights)
    satisfaction = 100.0 * satisfaction_share(sat.sum(axis=-2), counted.sum(axis=-2))
    return score, satisfaction, counted


@dataclass
class WholeOptions:
    """The options' points as integers (``whole_options``), for exact sums of integer counts."""

    counted: list[int]  # option indices with points
    uncounted: list[int]
    points: list[tuple[int, int]]  # (option index, integer points ≠ 0)
    satisfied: list[int]  # counted options that are "satisfied"


def whole_options(points, satisfied, max_votes: int) -> WholeOptions | None:
    """The options' integer points when, for cells of at most ``max_votes`` votes, every partial sum
    of votes × points is a whole number below 2⁵³: then those sums are exact in float64 in any
    order, and ``option_sums`` (integer arithmetic) gives bit for bit what ``option_scores``'s float
    sums give. None when a point value is not whole or the sums could be inexact."""
    import numpy as np

    pts = np.asarray(points, dtype=float)
    counted = ~np.isnan(pts)
    whole = np.where(counted, pts, 0.0)
    if not (np.floor(whole) == whole).all() or float(np.abs(whole).sum() + 1) * max(1, max_votes) >= 2.0**53:
        return None
    sat = np.asarray(satisfied, dtype=bool) & counted
    return WholeOptions(
        [int(k) for k in np.flatnonzero(counted)],
        [int(k) for k in np.flatnonzero(~counted)],
        [(int(k), int(whole[k])) for k in np.flatnonzero(counted) if whole[k] != 0],
        [int(k) for k in np.flatnonzero(sat)],
    )


def option_sums(counts, totals, options: WholeOptions):
    """(counted votes, Σ points × votes, satisfied votes) in int64 over the last axis of integer
    ``counts`` (…, K) whose cells total ``totals`` (broadcasting against …)."""
    import numpy as np

    shape = counts.shape[:-1]

    def total(ks):
        if not ks:
            return np.zeros(shape, dtype=np.int64)
        out = counts[..., ks[0]].copy() if len(ks) == 1 else counts[..., ks[0]] + counts[..., ks[1]]
        for k in ks[2:]:
            out += counts[..., k]
        return out

    if len(options.uncounted) < len(options.counted):
        counted = np.asarray(totals, dtype=np.int64) - total(options.uncounted)
    else:
        counted = total(options.counted)
    wsum = np.zeros(shape, dtype=np.int64)
    term = np.empty(shape, dtype=np.int64)
    for k, p in options.points:
        np.multiply(counts[..., k], p, out=term)
        wsum += term
    return counted, wsum, total(options.satisfied)


def scores_from_sums(counted, wsum, satisfied_votes, weights):
    """(score, satisfaction percent) from whole-number per-group sums (…, G, T) (``option_sums``):
    bit for bit what ``scores`` gives for the counts they sum (the same divisions and products, the
    groups added in order as numpy's reduction over the groups does), in fewer passes. The sums are
    below 2⁵³, so dividing them as integers is dividing their exact float64 values."""
    import numpy as np

    w = np.asarray(weights, dtype=float)
    has = counted > 0
    shape = counted.shape[:-2] + counted.shape[-1:]
    num = np.zeros(shape)
    wtot = np.zeros(shape)
    term = np.empty(shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        for g in range(counted.shape[-2]):
            np.true_divide(
                wsum[..., g, :], counted[..., g, :], out=term
            )  # the group's score where it has votes
            term *= w[g]
            np.copyto(term, 0.0, where=~has[..., g, :])
            num += term
            np.copyto(term, w[g])
            np.copyto(term, 0.0, where=~has[..., g, :])
            wtot += term
        ok = wtot > 0
        np.divide(num, np.where(ok, wtot, 1.0), out=num)
    np.copyto(num, np.nan, where=~ok)
    votes = counted.sum(axis=-2)
    sat = satisfied_votes.sum(axis=-2)
    return num, 100.0 * satisfaction_share(sat, votes)


def target_frame(cells: DenseCells) -> pd.DataFrame:
    """unit_id, score, satisfaction, counted, missing_groups — the tally contract's ``targets``."""
    import numpy as np
    import pandas as pd

    score, satisfaction, counted = scores(cells.counts, cells.weights, cells.points, cells.satisfied)
    absent = (counted == 0) & (np.asarray(cells.weights) > 0)[:, None]
    missing = [
        ",".join(cells.groups[g] for g in np.flatnonzero(absent[:, t])) for t in range(len(cells.targets))
    ]
    return pd.DataFrame(
        {
            "unit_id": cells.targets,
            "score": score,
            "satisfaction": satisfaction,
            "counted": counted.sum(axis=0).astype(int),
            "missing_groups": missing,
        }
    )
