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


@dataclass
class DenseCells:
    counts: np.ndarray  # (groups, targets, options), float
    groups: list[str]
    targets: list[int]
    weights: np.ndarray  # (groups,)
    points: np.ndarray  # (options,), NaN = not counted
    satisfied: np.ndarray  # (options,), bool


def dense(
    frame: pd.DataFrame, target_col: str, targets: list[int], groups: list[str], n_options: int
) -> np.ndarray:
    """(groups × targets × options) counts from a long frame voter_group, <target_col>, choice, count."""
    import numpy as np

    out = np.zeros((len(groups), len(targets), n_options))
    if frame is None or not len(frame):
        return out
    gpos = {g: i for i, g in enumerate(groups)}
    tpos = {t: i for i, t in enumerate(targets)}
    gi = frame["voter_group"].map(gpos)
    ti = frame[target_col].map(tpos)
    ci = frame["choice"].astype(int) - 1
    ok = gi.notna() & ti.notna() & (ci >= 0) & (ci < n_options)
    np.add.at(
        out,
        (gi[ok].astype(int).to_numpy(), ti[ok].astype(int).to_numpy(), ci[ok].to_numpy()),
        frame["count"][ok].to_numpy(dtype=float),
    )
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
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(counted > 0, wsum / np.where(counted > 0, counted, 1.0), np.nan)
    sat = (counts * (np.asarray(satisfied, dtype=bool) & counted_mask)).sum(axis=-1)
    return counted, score, sat


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
