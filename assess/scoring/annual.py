"""The annual composite (年度考核), pure: the average of the year's quarterly composites (a missing
quarter left out and flagged, never counted as 0) and the year-end composite, weighted by the scheme's
``[annual]`` section; the resampled version for rank intervals. Reading the quarterly rounds and the
annual round's services are in ``assess.results.annual``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from assess.scoring.composite import combine, round_half_up

if TYPE_CHECKING:
    import numpy as np

    from assess.schemes.definition import SchemeDef
    from assess.scoring.rows import Rows


QUARTERS = (1, 2, 3, 4)


QUARTER_NAMES = {1: "一季度", 2: "二季度", 3: "三季度", 4: "四季度"}


PART_NAMES = {"quarters": "季度平均", "year_end": "年终考核"}


# The annual columns a computed annual round adds to the results table and stores in components.
ANNUAL_COLUMNS = ("q1", "q2", "q3", "q4", "quarter_avg", "year_end")


COLUMN_NAMES = {
    "q1": "一季度",
    "q2": "二季度",
    "q3": "三季度",
    "q4": "四季度",
    "quarter_avg": "季度平均",
    "year_end": "年终考核",
}


@dataclass
class AnnualInputs:
    """What an annual round takes from its quarterly rounds: per unit and quarter the published
    composite; ``sources``: [{quarter, round_id, period, name}] of the rounds read."""

    year: int
    sources: list[dict[str, Any]]
    quarters: Rows  # unit_id, quarter (1–4), composite
    warnings: list[str] = field(default_factory=list)


def annual_precision(scheme: SchemeDef) -> int:
    a = scheme.annual
    return scheme.precision if a is None or a.precision is None else int(a.precision)


def result_scheme(scheme: SchemeDef) -> SchemeDef:
    """The scheme as the annual result is graded and held accountable: the ``[annual]`` bands,
    quotas and precision where given, and every rule but those it skips (``skip_rules``)."""
    a = scheme.annual
    if a is None:
        return scheme
    rules = [r for r in scheme.rules if r.code not in set(a.skip_rules)]
    return replace(
        scheme,
        bands=list(a.bands) or scheme.bands,
        quotas=list(a.quotas) or scheme.quotas,
        precision=annual_precision(scheme),
        rules=rules,
    )


def annual_weights(scheme: SchemeDef):
    import numpy as np

    w = scheme.annual.weights
    return np.array([float(w.get("quarters", 0.0)), float(w.get("year_end", 0.0))], dtype=float)


def quarter_matrix(annual: AnnualInputs, unit_ids) -> np.ndarray:
    """units × 4 quarterly composites, NaN where the quarter has no published result for the unit."""
    import numpy as np

    ids = list(unit_ids)
    out = np.full((len(ids), 4), np.nan)
    pos = {int(u): i for i, u in enumerate(ids)}
    q = annual.quarters
    if q is not None and len(q):
        for uid, quarter, comp in q.select("unit_id", "quarter", "composite"):
            i = pos.get(int(uid))
            if i is not None and comp is not None and comp == comp and 1 <= int(quarter) <= 4:
                out[i, int(quarter) - 1] = float(comp)
    return out


def combine_annual(scheme: SchemeDef, annual: AnnualInputs, unit_ids, year_end):
    """(columns, annual composite, flags per unit, warnings) for the units in ``unit_ids`` with
    their year-end composites ``year_end`` (already rounded by the engine). ``columns``: the
    ``ANNUAL_COLUMNS`` arrays. The composite goes through the engine's ``combine`` (renormalised
    over the parts present, rounded half up), so it ranks exactly like any composite."""
    import numpy as np

    p = annual_precision(scheme)
    qm = quarter_matrix(annual, unit_ids)
    n = len(qm)
    present = ~np.isnan(qm)
    count = present.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        avg = np.where(
            count > 0, np.nansum(np.where(present, qm, 0.0), axis=1) / np.maximum(count, 1), np.nan
        )
    avg = round_half_up(avg, p)
    ye = np.asarray(year_end, dtype=float)
    parts = np.column_stack([avg, ye]) if n else np.zeros((0, 2))
    composite = combine(parts, annual_weights(scheme), 0.0, p) if n else np.zeros(0)
    flags: list[list[str]] = [[] for _ in range(n)]
    warnings = list(annual.warnings)
    weights = annual_weights(scheme)
    for i in range(n):
        if weights[0] > 0 and count[i] == 0:
            flags[i].append("missing:quarters")
        elif weights[0] > 0:
            flags[i].extend(f"missing_quarter:Q{q}" for q in QUARTERS if not present[i, q - 1])
    short = int(((count > 0) & (count < 4)).sum())
    if weights[0] > 0 and short:
        warnings.append(f"{short} 个单位缺少部分季度的结果，其季度平均按有结果的季度计算（不按 0 分计入）。")
    none = int((count == 0).sum())
    if weights[0] > 0 and none:
        warnings.append(f"{none} 个单位没有任何季度的结果，其年度综合得分按年终考核的权重重新折算。")
    columns = {f"q{q}": qm[:, q - 1] for q in QUARTERS}
    columns["quarter_avg"] = avg
    columns["year_end"] = ye
    return columns, composite, flags, warnings


def resampled_composite(scheme: SchemeDef, columns: Mapping[str, Any], year_end_r):
    """The annual composite of each resample (``scoring.robustness``): the quarterly average is
    published and fixed; the resampled year-end composite varies. ``columns``: the unit results'
    columns (``UnitScores.columns``)."""
    import numpy as np

    ye = np.asarray(year_end_r, dtype=float)
    avg = np.broadcast_to(np.asarray(columns["quarter_avg"], dtype=float), ye.shape)
    return combine(np.stack([avg, ye], axis=-1), annual_weights(scheme), 0.0, annual_precision(scheme))
