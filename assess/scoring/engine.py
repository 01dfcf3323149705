"""The composite score engine: a pure function from a round's inputs to unit results.

Everything is vectorised over units × indicators (numpy matrices); Python loops run only over
scheme elements (methods, bands, quotas) and over the few flagged cells.

Rules (docs/architecture.md, 规则与公式; semantics of methods in ``schemes/definition.py``):

- indicator points by method (``schemes.methods.score_values``), for the leaves that apply to the
  unit's category. A spot-checked unit (drawn in the active draw) uses its verified values; where
  self points − verified points > tolerance the indicator is flagged 虚报 (a veto concealed by the
  self-check, self 0 and verified 1, is flagged too) and ``penalty`` points per flagged indicator
  come off the composite, at most ``penalty_cap``.
- a missing raw value: deduct/bonus/veto leaves mean "nothing recorded" (no deduction, no bonus,
  no veto); points/ratio leaves earn 0 and the unit is flagged ``missing_value:<code>``. A unit
  with no value at all has no indicator component (``missing:indicators``).
- appraisal component: the certified tally's target score (0–100); satisfaction in percent.
- adjustment component = clamp(adjustment_base + Σ points, 0, 100).
- composite = Σ weight × component / Σ weight over the components the unit has (renormalised,
  flagged ``missing:<component>``), minus the 虚报 penalty, floored at 0, then rounded half up to
  the scheme's precision BEFORE ranking; ranks compare the rounded values (as integers).
- ranks within category, equal composites share the smallest rank (1, 2, 2, 4) unless the
  scheme's tie_break components (rounded the same way) tell them apart.
- grades by half-open bands; a veto gives the lowest band; a discipline action of a kind in
  ``no_excellent_if`` bars the top grade (next band down); quotas per category (count = share ×
  size with the scheme's rounding) drop the lowest-ranked holders of a grade to the next band; a
  tie straddling the quota's edge drops as a whole (the quota is a maximum, never exceeded).
- an annual round (``inputs.annual``, ``assess.results.annual``): the composite above is the year-end one;
  ``annual.combine_annual`` combines it with the average of the published quarterly composites,
  and that annual composite is what is ranked and graded, with ``annual.result_scheme``'s bands,
  quotas and precision.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import pairwise, repeat
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from assess.foundation.errors import Conflict
from assess.foundation.vocabulary import Method
from assess.schemes.definition import leaf_scorers
from assess.schemes.methods import score_values
from assess.scoring.annual import combine_annual, result_scheme
from assess.scoring.composite import combine, scaled
from assess.scoring.rows import Rows

if TYPE_CHECKING:
    from collections.abc import Iterator

    import numpy as np
    import pandas as pd

    from assess.schemes.definition import SchemeDef
    from assess.scoring.cadres import CadreSession

COMPONENT_NAMES = {"indicators": "指标得分", "appraisal": "民主评议", "adjustment": "加减分"}


# -- numeric helpers --------------------------------------------------------------------------------


def quota_count(size: int, share: float, rounding: str) -> int:
    """How many units of a category of ``size`` may hold a grade with quota ``share``."""

    x = size * share
    if rounding == "ceil":
        return math.ceil(x - 1e-9)
    if rounding == "round":
        return math.floor(x + 0.5 + 1e-9)
    return math.floor(x + 1e-9)


def rank_min(groups, keys: list) -> np.ndarray:
    """Rank within each group by ``keys`` (each higher-is-better, compared exactly; NaN lowest).
    Rows equal on every key share the smallest rank: 1, 2, 2, 4. Fully vectorised (lexsort), so
    it ranks many resamples at once when ``groups`` encodes (resample, category)."""
    import numpy as np

    g = np.asarray(groups)
    n = len(g)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    ks = [np.where(np.isnan(k), -np.inf, np.asarray(k, dtype=float)) for k in keys]
    order = np.lexsort((*tuple(-k for k in reversed(ks)), g))
    gs = g[order]
    new_group = np.empty(n, dtype=bool)
    new_group[0] = True
    new_group[1:] = gs[1:] != gs[:-1]
    differs = new_group.copy()
    for k in ks:
        s = k[order]
        differs[1:] |= s[1:] != s[:-1]
    idx = np.arange(n)
    group_start = np.maximum.accumulate(np.where(new_group, idx, 0))
    tie_start = np.maximum.accumulate(np.where(differs, idx, 0))
    ranks = np.empty(n, dtype=np.int64)
    ranks[order] = tie_start - group_start + 1
    return ranks


def rank_rows(categories, keys: list) -> np.ndarray:
    """``rank_min`` of every row of (R, U) keys within ``categories`` (U,): the ranks of R resamples
    at once, exactly those of ``rank_min`` over the groups (row, category). Each key, (R, U) or (U,),
    holds whole numbers (``scaled`` values) or NaN; a unit's keys are packed into one integer with
    its category and its column, and each row is sorted on its own (much faster than one lexsort of
    R × U rows). Keys that do not pack into 63 bits go through ``rank_min``."""
    import numpy as np

    cat = np.asarray(categories, dtype=np.int64)
    u = len(cat)
    r = max((np.shape(k)[0] for k in keys if np.ndim(k) == 2), default=1)
    if u == 0:
        return np.zeros((r, 0), dtype=np.int64)
    bits = max(1, (u - 1).bit_length())
    code = _packed_keys(cat, keys, r, 62 - bits)
    if code is None:
        groups = (np.arange(r)[:, None] * (int(cat.max()) + 1) + cat[None, :]).ravel()
        flat = [np.broadcast_to(np.asarray(k, dtype=float), (r, u)).ravel() for k in keys]
        return rank_min(groups, flat).reshape(r, u)
    code <<= bits
    code |= np.arange(u, dtype=np.int64)[None, :]
    code.sort(axis=1)
    unit = code & ((1 << bits) - 1)
    code >>= bits
    differs = np.empty((r, u), dtype=bool)
    differs[:, 0] = True
    np.not_equal(code[:, 1:], code[:, :-1], out=differs[:, 1:])
    del code
    tie_start = np.where(differs, np.arange(u, dtype=np.int64)[None, :], 0)
    del differs
    np.maximum.accumulate(tie_start, axis=1, out=tie_start)
    # every row holds the same units, so each category takes the same sorted positions in every row
    sizes = np.bincount(cat)
    tie_start -= np.repeat(np.cumsum(sizes) - sizes, sizes)[None, :] - 1
    ranks = np.empty((r, u), dtype=np.int64)
    ranks[np.arange(r)[:, None], unit] = tie_start
    return ranks


def _packed_keys(cat, keys: list, r: int, max_bits: int):
    """One int64 per (row, unit), ordering by category, then each key descending (NaN last), and
    equal exactly where the category and every key are equal; None when it needs more than
    ``max_bits`` bits or a key is not a whole number."""
    import numpy as np

    span = int(cat.max()) + 1
    parts = []
    for k in keys:
        k = np.asarray(k, dtype=float)
        nan = np.isnan(k)
        values = k[~nan]
        if len(values) and not (np.isfinite(values).all() and (np.floor(values) == values).all()):
            return None
        hi, lo = (float(values.max()), float(values.min())) if len(values) else (0.0, 0.0)
        if max(abs(hi), abs(lo)) > 2.0**52:
            return None
        size = int(hi - lo) + 2  # hi − k runs 0 … hi − lo; NaN after them
        span *= size
        if span.bit_length() > max_bits:
            return None
        parts.append((k, nan, hi, size))
    code = np.broadcast_to(cat, (r, len(cat))).astype(np.int64)
    for k, nan, hi, size in parts:
        code *= size
        code += np.where(nan, size - 1, hi - np.where(nan, hi, k)).astype(np.int64)
    return code


# -- inputs and results -----------------------------------------------------------------------------


@dataclass
class AppraisalCells:
    """Certified 民主评议 counts per voter group × unit × option (for the bootstrap)."""

    frame: Rows  # voter_group, unit_id, choice (1-based option index), count
    points: list[float | None]  # per option, None = not counted (不了解)
    satisfied: list[bool]
    weights: dict[str, float]  # voter group → weight


@dataclass
class RoundInputs:
    scheme: SchemeDef
    units: Rows  # unit_id, code, name, category
    selfcheck: Rows  # unit_id, indicator_code, value
    spotcheck: Rows  # unit_id, indicator_code, value
    drawn: list[int]
    appraisal: Rows  # unit_id, score, satisfaction (percent), missing_groups (text)
    adjustments: Rows  # unit_id, points
    discipline: Rows  # unit_id, kind
    cells: AppraisalCells | None = None
    warnings: list[str] = field(default_factory=list)
    cadre_sessions: list[CadreSession] = field(default_factory=list)
    cadre_discipline: Rows | None = None  # cadre_id, kind
    annual: Any = None  # assess.scoring.annual.AnnualInputs of an annual round (its quarterly composites)
    deptscores: Rows | None = None  # unit_id, indicator_code, value (职能部门评分)
    exemptions: Rows | None = None  # unit_id, indicator_code (approved 合理缺项)


@dataclass
class IndicatorMatrices:
    """Per unit × leaf matrices, kept for explanations (rows follow ``units``)."""

    codes: list[str]
    applicable: np.ndarray
    self_values: np.ndarray
    verified_values: np.ndarray
    used_values: np.ndarray
    points: np.ndarray
    maxes: np.ndarray
    false_report: np.ndarray


@dataclass
class UnitScores:
    """The unit results. ``columns``: unit_id, code, name, category, indicators, appraisal,
    adjustment, penalty, satisfaction, composite, rank (an annual round adds ``annual.ANNUAL_COLUMNS``),
    grade, flags — equal-length lists or numpy arrays in unit order, no pandas. ``table`` is the
    same as a data frame, built on first use, for the callers that want one."""

    columns: dict[str, Any]
    matrices: IndicatorMatrices
    weights: dict[str, float]
    warnings: list[str]
    _table: Any = field(default=None, init=False, repr=False, compare=False)

    @property
    def table(self) -> pd.DataFrame:
        if self._table is None:
            import pandas as pd

            self._table = pd.DataFrame(self.columns)
        return self._table

    def __len__(self) -> int:
        return len(self.columns["unit_id"])


def empty_inputs_frame(columns: list[str]) -> Rows:
    """An input table without rows."""
    return Rows(columns)


# -- reading the input rows (the rules pandas applied before: kept exactly) --------------------------


def _number(v: Any, coerce: bool = True) -> float:
    """A cell as a float, NaN for a missing one (None, NaN); with ``coerce`` also NaN for one that is
    not a number (as ``pd.to_numeric(errors="coerce")``), else the error names the value."""
    if v is None:
        return math.nan
    try:
        return float(v)
    except (TypeError, ValueError):
        if coerce:
            return math.nan
        raise ValueError(f"不是数值：{v!r}") from None


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and v != v)


def last_rows(rows: Rows | None, key: str) -> dict[Any, tuple]:
    """The last row per value of column ``key`` (``drop_duplicates(key, keep="last")``)."""
    if rows is None or not len(rows):
        return {}
    k = rows.index(key)
    return {r[k]: r for r in rows.data if not _missing(r[k])}


def sums_by(rows: Rows, key: str, value: str) -> dict[Any, float]:
    """Σ ``value`` per ``key`` (rows without a key left out, missing values skipped, 0 for a key
    whose values are all missing), added exactly as pandas' grouped sum adds them, so the sums are
    bit for bit what ``groupby(key).sum()`` gave: where the rows come in key order (keyless rows
    first) and no value is missing, numpy's ``add.reduceat`` over each run of equal keys; otherwise
    a Kahan-compensated sum per key in row order."""
    import numpy as np

    k, j = rows.index(key), rows.index(value)
    keys = [r[k] for r in rows.data]
    values = [_number(r[j], coerce=False) for r in rows.data]
    keyless = sum(1 for x in keys if _missing(x))
    ordered = keys[keyless:]
    if (
        ordered
        and not any(_missing(x) for x in ordered)
        and all(a <= b for a, b in pairwise(ordered))
        and not any(v != v for v in values)
    ):
        starts = [0, *(i for i in range(1, len(ordered)) if ordered[i] != ordered[i - 1])]
        runs = np.add.reduceat(np.array(values[keyless:], dtype=float), np.array(starts, dtype=np.intp))
        return {ordered[s]: float(x) for s, x in zip(starts, runs, strict=True)}
    total: dict[Any, float] = {}
    comp: dict[Any, float] = {}
    for g, x in zip(keys, values, strict=True):
        if _missing(g):
            continue
        s = total.setdefault(g, 0.0)
        c = comp.setdefault(g, 0.0)
        if x != x:
            continue
        y = x - c
        t = s + y
        c = t - s - y
        comp[g] = 0.0 if not math.isfinite(c) else c  # an infinite value: the sum stays infinite
        total[g] = t
    return total


def first_appearance(values) -> Any:
    """Codes numbered in order of first appearance, −1 for a missing value (``pd.factorize``)."""
    import numpy as np

    pos: dict[Any, int] = {}
    return np.array([-1 if _missing(v) else pos.setdefault(v, len(pos)) for v in values], dtype=np.intp)


# -- the indicator component ------------------------------------------------------------------------


_PLAIN_NUMBERS = {float, int, type(None)}


def _pivot(rows: Rows | None, unit_ids, codes: list[str]):
    """units × codes values: per (unit, code) the last row's value that is not missing (a pivot with
    "last value wins", missing values skipped); NaN where there is none. Rows of other units or
    codes are left out before their value is read; a unit listed twice gets its values twice."""
    import numpy as np

    out = np.full((len(unit_ids), len(codes)), np.nan)
    if rows is None or len(rows) == 0:
        return out
    cpos = {c: j for j, c in enumerate(codes)}
    upos = _positions(unit_ids)
    kpos = {u: k for k, u in enumerate(upos)}  # each distinct unit id → its number
    ui, ci, vi = rows.index("unit_id"), rows.index("indicator_code"), rows.index("value")
    n = len(rows)
    unit_of: Iterator[Any] = map(itemgetter(ui), rows.data)
    lookup = kpos
    if any(_missing(u) for u in kpos):  # a missing unit id among the units: a row's missing id is no unit
        unit_of = (None if _missing(u) else u for u in unit_of)
        lookup = {u: k for u, k in kpos.items() if u is not None}
    # A missing id then finds nothing: None is no key of ``lookup``, and NaN equals nothing.
    row_unit = np.fromiter(map(lookup.get, unit_of, repeat(-1)), dtype=np.intp, count=n)
    row_code = np.fromiter(map(cpos.get, map(itemgetter(ci), rows.data), repeat(-1)), dtype=np.intp, count=n)
    taken = np.flatnonzero((row_unit >= 0) & (row_code >= 0))
    raw = [rows.data[i][vi] for i in taken.tolist()]
    if not {type(v) for v in raw} <= _PLAIN_NUMBERS:  # anything else read as the engine reads a number
        raw = [_number(v, coerce=False) for v in raw]
    value = np.array(raw, dtype=float)  # None → NaN
    keep = taken[~np.isnan(value)]
    cells = (row_unit[keep] * len(codes) + row_code[keep])[::-1]
    cells, last_row = np.unique(cells, return_index=True)  # first from the end: the last row
    per_unit = np.full((len(kpos), len(codes)), np.nan)
    per_unit.reshape(-1)[cells] = value[~np.isnan(value)][::-1][last_row]
    if len(kpos):
        out[:] = per_unit[[kpos[u] for u in unit_ids]]
    return out


def _positions(unit_ids) -> dict[Any, list[int]]:
    """unit id → its row positions (a list: the same unit listed twice gets its values twice)."""
    pos: dict[Any, list[int]] = {}
    for i, u in enumerate(unit_ids):
        pos.setdefault(u, []).append(i)
    return pos


def _present(rows: Rows | None, unit_ids, codes: list[str]):
    """units × codes: True where a row (unit_id, indicator_code) exists."""
    import numpy as np

    out = np.zeros((len(unit_ids), len(codes)), dtype=bool)
    if rows is None or len(rows) == 0:
        return out
    cpos = {c: j for j, c in enumerate(codes)}
    upos = _positions(unit_ids)
    ui, ci = rows.index("unit_id"), rows.index("indicator_code")
    for r in rows.data:
        j = cpos.get(r[ci])
        if j is not None and not _missing(r[ui]) and r[ui] in upos:
            out[upos[r[ui]], j] = True
    return out


def leaf_points(scheme: SchemeDef, values):
    """Points for a units × leaves matrix of raw values, by method (``score_values``)."""
    import numpy as np

    leaves = scheme.leaves()
    out = np.full(values.shape, np.nan)
    methods = np.array([leaf.method for leaf in leaves])
    maxes = np.array([leaf.max for leaf in leaves], dtype=float)
    for method in ("points", "deduct", "bonus", "veto"):
        cols = np.flatnonzero(methods == method)
        if len(cols):
            out[:, cols] = score_values(method, maxes[cols], None, values[:, cols])
    ratio_targets = {leaf.target or 100.0 for leaf in leaves if leaf.method == Method.RATIO}
    for target in ratio_targets:
        cols = np.array(
            [
                i
                for i, leaf in enumerate(leaves)
                if leaf.method == Method.RATIO and (leaf.target or 100.0) == target
            ]
        )
        out[:, cols] = maxes[cols] * score_values("ratio", 1.0, target, values[:, cols])
    return out


def _applicable(scheme: SchemeDef, categories) -> np.ndarray:
    import numpy as np

    codes = [leaf.code for leaf in scheme.leaves()]
    pos = {c: i for i, c in enumerate(codes)}
    cats, inverse = np.unique(np.asarray(categories, dtype=object).astype(str), return_inverse=True)
    per_cat = np.zeros((len(cats), len(codes)), dtype=bool)
    for ci, cat in enumerate(cats):
        for leaf in scheme.leaves_for(str(cat)):
            per_cat[ci, pos[leaf.code]] = True
    return per_cat[inverse] if len(categories) else np.zeros((0, len(codes)), dtype=bool)


def indicator_matrices(
    inputs: RoundInputs,
) -> tuple[IndicatorMatrices, np.ndarray, np.ndarray, list[list[str]]]:
    """(matrices, indicator component per unit, 虚报 penalty per unit, flags per unit)."""
    import numpy as np

    scheme = inputs.scheme
    leaves = scheme.leaves()
    codes = [leaf.code for leaf in leaves]
    units = inputs.units
    unit_ids = units.column("unit_id")
    n = len(unit_ids)
    methods = np.array([leaf.method for leaf in leaves])
    maxes = np.array([leaf.max for leaf in leaves], dtype=float)
    applicable = _applicable(scheme, units.column("category"))
    self_v = _pivot(inputs.selfcheck, unit_ids, codes)
    ver_v = _pivot(inputs.spotcheck, unit_ids, codes)
    drawn = (
        np.isin(np.asarray(unit_ids), np.asarray(list(inputs.drawn), dtype=float)) if n else np.zeros(0, bool)
    )
    use_verified = drawn[:, None] & ~np.isnan(ver_v)
    used = np.where(use_verified, ver_v, self_v)
    # 职能部门评分 (assess/scorers.py): an indicator with a scorer counts the department's value.

    scorers = leaf_scorers(scheme)
    if scorers:
        by_dept = np.array([c in scorers for c in codes], dtype=bool)
        used = np.where(by_dept[None, :], _pivot(inputs.deptscores, unit_ids, codes), used)
    flags: list[list[str]] = [[] for _ in range(n)]
    # 合理缺项: approved exemptions; ``rescale`` takes them out of the unit's full marks (the
    # component becomes 100 × Σ points / (full − exempt full)), ``full`` counts them at full marks.
    exempt = _present(inputs.exemptions, unit_ids, codes) & applicable
    exempt &= np.isin(methods, ("points", "deduct", "ratio"))[None, :]
    rule = scheme.exempt_rule or "rescale"
    if exempt.any() and rule == "rescale":
        applicable = applicable & ~exempt
    elif exempt.any():
        used = np.where(exempt, np.nan, used)

    has_any = (applicable & ~np.isnan(used)).any(axis=1)
    neutral_missing = np.isin(methods, ("deduct", "bonus", "veto"))[None, :] & np.isnan(used)
    raw = np.where(neutral_missing, 0.0, used)
    pts = leaf_points(scheme, raw)
    earning_missing = (
        applicable
        & np.isnan(pts)
        & np.isin(methods, ("points", "ratio"))[None, :]
        & has_any[:, None]
        & ~exempt
    )
    pts = np.where(earning_missing, 0.0, pts)
    if exempt.any() and rule == "full":
        pts = np.where(exempt, maxes[None, :], pts)
    pts = np.where(applicable, pts, np.nan)

    in_denominator = np.isin(methods, ("points", "deduct", "ratio"))
    scoring = methods != Method.VETO
    denom = (np.where(applicable, maxes[None, :], 0.0) * in_denominator[None, :]).sum(axis=1)
    numer = np.where(applicable & scoring[None, :], np.nan_to_num(pts, nan=0.0), 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        component = np.where(
            (denom > 0) & has_any, np.minimum(100.0, 100.0 * numer / np.where(denom > 0, denom, 1.0)), np.nan
        )

    veto = applicable & (methods == Method.VETO)[None, :] & (np.nan_to_num(raw, nan=0.0) >= 1.0)

    # 虚报: drawn units, where both values exist.
    sc = scheme.spotcheck
    both = applicable & drawn[:, None] & ~np.isnan(self_v) & ~np.isnan(ver_v)
    self_pts = leaf_points(scheme, np.where(both, self_v, 0.0))
    ver_pts = leaf_points(scheme, np.where(both, ver_v, 0.0))
    false_report = both & (self_pts - ver_pts > sc.tolerance + 1e-9)
    false_report |= both & (methods == Method.VETO)[None, :] & (self_v < 1.0) & (ver_v >= 1.0)
    penalty = false_report.sum(axis=1) * sc.penalty
    if sc.penalty_cap is not None:
        penalty = np.minimum(penalty, sc.penalty_cap)

    for i, j in zip(*np.nonzero(veto), strict=True):
        flags[i].append(f"veto:{codes[j]}")
    for i, j in zip(*np.nonzero(false_report), strict=True):
        flags[i].append(f"false_report:{codes[j]}")
    for i, j in zip(*np.nonzero(earning_missing), strict=True):
        flags[i].append(f"missing_value:{codes[j]}")
    unverified = applicable & drawn[:, None] & np.isnan(ver_v) & ~np.isnan(self_v)
    for i in np.flatnonzero(unverified.any(axis=1)):
        flags[i].append("unverified:" + ",".join(codes[j] for j in np.flatnonzero(unverified[i])))
    for i in np.flatnonzero(drawn):
        flags[i].append("spotchecked")
    if exempt.any():
        for i in np.flatnonzero(exempt.any(axis=1)):
            flags[i].append(exempt_flag(float(denom[i]), [codes[j] for j in np.flatnonzero(exempt[i])], rule))

    mats = IndicatorMatrices(codes, applicable, self_v, ver_v, used, pts, maxes, false_report)
    return mats, component, penalty, flags


# -- the composite, ranks and grades ----------------------------------------------------------------


def active_weights(scheme: SchemeDef) -> dict[str, float]:
    return {c: float(w) for c, w in scheme.weights.items() if float(w) > 0}


def component_matrix(inputs: RoundInputs, indicator_component) -> tuple[Any, Any]:
    """(units × [indicators, appraisal, adjustment] array with NaN where missing, satisfaction)."""
    import numpy as np

    scheme = inputs.scheme
    unit_ids = inputs.units.column("unit_id")
    appraisal = np.full(len(unit_ids), np.nan)
    satisfaction = np.full(len(unit_ids), np.nan)
    if inputs.appraisal is not None and len(inputs.appraisal):
        # the last row per unit counts (a unit listed twice keeps its last row)
        last = last_rows(inputs.appraisal, "unit_id")
        si = inputs.appraisal.index("score")
        appraisal = np.array([_number(last[u][si]) if u in last else np.nan for u in unit_ids], dtype=float)
        if "satisfaction" in inputs.appraisal.columns:
            pi = inputs.appraisal.index("satisfaction")
            satisfaction = np.array(
                [_number(last[u][pi]) if u in last else np.nan for u in unit_ids], dtype=float
            )
    sums = np.zeros(len(unit_ids))
    if inputs.adjustments is not None and len(inputs.adjustments):
        per_unit = sums_by(inputs.adjustments, "unit_id", "points")
        sums = np.array([per_unit.get(u, 0.0) for u in unit_ids], dtype=float)
    adjustment = np.clip(scheme.adjustment_base + sums, 0.0, 100.0)
    comp = (
        np.column_stack([indicator_component, appraisal, adjustment]) if len(unit_ids) else np.zeros((0, 3))
    )
    return comp, satisfaction


def weight_vector(scheme: SchemeDef):
    import numpy as np

    w = active_weights(scheme)
    return np.array([w.get(c, 0.0) for c in ("indicators", "appraisal", "adjustment")], dtype=float)


def tie_break_keys(scheme: SchemeDef, components, satisfaction) -> list:
    """The scheme's tie-break keys; ``components``: the indicators, appraisal and adjustment arrays."""
    indicators, appraisal, adjustment = components
    cols = {
        "indicators": indicators,
        "appraisal": appraisal,
        "adjustment": adjustment,
        "satisfaction": satisfaction,
    }
    return [scaled(cols[c], scheme.precision) for c in scheme.tie_break if c in cols]


def _next_lower(bands_desc: list, grade: str) -> str:
    for i, b in enumerate(bands_desc):
        if b.grade == grade:
            return bands_desc[min(i + 1, len(bands_desc) - 1)].grade
    return grade


def assign_grades(
    scheme: SchemeDef, composite, rank, category, vetoed, barred
) -> tuple[list[str], list[list[str]]]:
    """Grades by bands, veto, discipline bar and quotas, from the units' composites, ranks and
    categories (in unit order). Returns (grades, extra flags per unit)."""
    import numpy as np

    p = scheme.precision
    bands = sorted(scheme.bands, key=lambda b: b.min, reverse=True)
    xi = scaled(np.asarray(composite, dtype=float), p)
    n = len(xi)
    lowest = bands[-1].grade if bands else ""
    top = bands[0].grade if bands else ""
    grade = np.full(n, lowest, dtype=object)
    assigned = np.zeros(n, dtype=bool)
    for b in bands:
        lo, hi = scaled(b.min, p), scaled(b.max, p)
        inside = ((xi >= lo) & (xi < hi)) | ((xi == hi) & b.include_max)
        take = inside & ~assigned
        grade[take] = b.grade
        assigned |= take
    extra: list[list[str]] = [[] for _ in range(n)]
    for i in np.flatnonzero(~assigned):
        extra[i].append("out_of_bands")
    vetoed = np.asarray(vetoed, dtype=bool)
    grade[vetoed] = lowest
    bar = np.asarray(barred, dtype=bool) & (grade == top) & ~vetoed
    grade[bar] = _next_lower(bands, top)
    ranks = np.asarray(rank)
    cats = np.array(list(category), dtype=object)
    size_of: dict[Any, int] = {}
    for c in category:
        size_of[c] = size_of.get(c, 0) + 1
    sizes = np.array([size_of[c] for c in category], dtype=np.int64)
    for q in sorted(scheme.quotas, key=lambda q: -next((b.min for b in bands if b.grade == q.grade), 0)):
        holders = np.flatnonzero(grade == q.grade)
        if not len(holders):
            continue
        for cat in sorted(set(cats[holders].tolist())):  # np.unique's order, without loading numpy.ma
            members = holders[cats[holders] == cat]
            allowed = quota_count(int(sizes[members[0]]), q.max_share, q.rounding)
            if len(members) <= allowed:
                continue
            ordered = members[np.argsort(ranks[members], kind="stable")]
            cut_rank = ranks[ordered[allowed]]
            drop = ordered[ranks[ordered] >= cut_rank]
            straddles = allowed > 0 and ranks[ordered[allowed - 1]] == cut_rank
            lower = _next_lower(bands, q.grade)
            for i in drop:
                grade[i] = lower
                extra[i].append(f"quota:{q.grade}")
                if straddles:
                    extra[i].append("quota_tie")
    return list(grade), extra


def compute_units(inputs: RoundInputs) -> UnitScores:
    """The whole unit computation: components, composite, ranks, grades, flags."""
    import numpy as np

    scheme = inputs.scheme
    units = inputs.units
    unit_ids = units.column("unit_id")
    warnings = list(inputs.warnings)
    mats, ind_comp, penalty, flags = indicator_matrices(inputs)
    comp, satisfaction = component_matrix(inputs, ind_comp)
    weights = weight_vector(scheme)
    n = len(units)
    if n and weights[:2].sum() > 0:
        measured = ~np.isnan(comp[:, :2]) & (weights[:2] > 0)[None, :]
        lost = np.flatnonzero(~measured.any(axis=1))
        if len(lost):
            codes, unit_names = units.column("code"), units.column("name")
            names = "、".join(f"{codes[i]} {unit_names[i]}" for i in lost[:10])
            more = f"等 {len(lost)} 个单位" if len(lost) > 10 else ""
            raise Conflict(
                f"无法计算：{names}{more}既没有指标得分也没有民主评议结果，综合得分只剩加减分，不能排名。请先录入自查得分或核定评议票。"
            )
    for ci, cname in enumerate(("indicators", "appraisal")):
        if weights[ci] <= 0:
            continue
        missing = np.flatnonzero(np.isnan(comp[:, ci]))
        for i in missing:
            flags[i].append(f"missing:{cname}")
        if len(missing):
            warnings.append(
                f"{len(missing)} 个单位缺少{COMPONENT_NAMES[cname]}，其综合得分按其余部分的权重重新折算。"
            )
    if (
        inputs.appraisal is not None
        and len(inputs.appraisal)
        and "missing_groups" in inputs.appraisal.columns
    ):
        last = last_rows(inputs.appraisal, "unit_id")
        gi = inputs.appraisal.index("missing_groups")
        for i, u in enumerate(unit_ids):
            groups = last[u][gi] if u in last else None
            if isinstance(groups, str) and groups.strip():
                flags[i].append(f"missing_groups:{groups.strip()}")
    composite = combine(comp, weights, penalty, scheme.precision) if n else np.zeros(0)
    annual_columns: dict = {}
    grading = scheme
    if inputs.annual is not None and scheme.annual is not None:
        # An annual round (assess.results.annual): the composite above is the year-end one; the annual
        # composite combines it with the quarterly average and is what is ranked and graded.

        annual_columns, composite, annual_flags, annual_warnings = combine_annual(
            scheme, inputs.annual, unit_ids, composite
        )
        for i, extra_flags in enumerate(annual_flags):
            flags[i].extend(extra_flags)
        warnings.extend(annual_warnings)
        grading = result_scheme(scheme)
    categories = units.column("category")
    cat_codes = first_appearance(categories) if n else np.zeros(0, dtype=int)
    keys = [scaled(composite, grading.precision), *tie_break_keys(scheme, list(comp.T), satisfaction)]
    ranks = rank_min(cat_codes, keys)
    columns: dict[str, Any] = {
        "unit_id": unit_ids,
        "code": units.column("code"),
        "name": units.column("name"),
        "category": categories,
        "indicators": comp[:, 0] if n else [],
        "appraisal": comp[:, 1] if n else [],
        "adjustment": comp[:, 2] if n else [],
        "penalty": penalty,
        "satisfaction": satisfaction,
        "composite": composite,
        "rank": ranks,
        **annual_columns,
    }
    vetoed = np.array([any(f.startswith("veto:") for f in fl) for fl in flags], dtype=bool)
    barred = np.zeros(n, dtype=bool)
    if inputs.discipline is not None and len(inputs.discipline) and scheme.no_excellent_if:
        kinds = kinds_by(inputs.discipline, "unit_id", scheme.no_excellent_if)
        for i, uid in enumerate(unit_ids):
            if uid in kinds:
                barred[i] = True
                flags[i].extend(f"no_excellent:{k}" for k in kinds[uid])
    if grading.bands:
        grades, extra = assign_grades(grading, composite, ranks, categories, vetoed, barred)
    else:
        grades, extra = [""] * n, [[] for _ in range(n)]
    columns["grade"] = grades
    columns["flags"] = [fl + ex for fl, ex in zip(flags, extra, strict=True)]
    return UnitScores(columns, mats, active_weights(scheme), warnings)


def kinds_by(rows: Rows, key: str, kinds) -> dict[Any, list[str]]:
    """The sorted distinct ``kind`` values in ``kinds`` per ``key`` (discipline records that bar the
    top grade), missing keys left out."""
    k, j = rows.index(key), rows.index("kind")
    wanted = set(kinds)
    out: dict[Any, set] = {}
    for r in rows.data:
        if r[j] in wanted and not _missing(r[k]):
            out.setdefault(r[k], set()).add(r[j])
    return {key_: sorted(v) for key_, v in out.items()}


def exempt_flag(base: float, codes: list[str], rule: str) -> str:
    """The result flag the engine writes for a unit's exemptions (read by ``reasons.flag_reason``)."""
    if rule == "full":
        return "exempt_full:" + ",".join(codes)
    return f"exempt:{base:g}:" + ",".join(codes)
