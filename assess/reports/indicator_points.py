"""Per-indicator points of a round's units for the report's detail sheet and heatmap: the points
that count are the composite engine's own (``assess.scoring.engine.indicator_matrices``), so a
department-scored indicator (职能部门评分) shows the department's value and its points, and an
approved 合理缺项 is marked as such; the self-check and verified points beside them follow
``assess.schemes.methods.score_values``, the one place the methods' semantics live."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assess.foundation.vocabulary import Method
from assess.schemes.definition import leaf_scorers
from assess.schemes.methods import score_values
from assess.scoring.engine import RoundInputs, empty_inputs_frame, indicator_matrices
from assess.scoring.rows import Rows

if TYPE_CHECKING:
    import pandas as pd

    from assess.results.round_view import IndicatorValues
    from assess.schemes.definition import SchemeDef

EXEMPT_TEXT = "合理缺项"


def indicator_points(values: IndicatorValues, scheme: SchemeDef, results: pd.DataFrame) -> pd.DataFrame:
    """One row per unit × applicable leaf indicator: self-check and verified raw values, their points,
    the department's value (``dept_value``, by ``scorer``) and the value and points that count
    (``used_value``, ``points``), the engine's: a department-scored indicator counts the department's
    value; a unit drawn for the spot check counts its verified values where they exist; a missing
    value of a deduct/bonus/veto leaf means nothing recorded (no deduction, no bonus, no veto), of a
    points/ratio leaf 0 points (NaN when the unit has no value at all); an approved exemption
    (``exempt``) has no points under ``rescale`` and full marks under ``full``. ``values`` is what
    ``round_view.indicator_values`` gives (the frozen values for a published round)."""
    import numpy as np
    import pandas as pd

    columns = [
        "unit_id",
        "unit_code",
        "unit_name",
        "category",
        "indicator_code",
        "indicator_name",
        "level1_code",
        "level1_name",
        "method",
        "max",
        "self_value",
        "verified_value",
        "self_points",
        "verified_points",
        "scorer",
        "dept_value",
        "used_value",
        "points",
        "exempt",
        "drawn",
    ]
    level1 = {}
    for top in scheme.indicators:
        for ind, _level, _parent in top.walk():
            level1[ind.code] = (top.code, top.name)
    leaves = []
    units = results[["unit_id", "unit_code", "unit_name", "category"]]
    for category in units["category"].unique():
        for order, leaf in enumerate(scheme.leaves_for(category)):
            top_code, top_name = level1[leaf.code]
            leaves.append(
                {
                    "category": category,
                    "indicator_code": leaf.code,
                    "indicator_name": leaf.name,
                    "order": order,
                    "level1_code": top_code,
                    "level1_name": top_name,
                    "method": leaf.method,
                    "max": leaf.max,
                    "target": leaf.target,
                }
            )
    if not leaves:
        return pd.DataFrame(columns=columns)
    grid = units.merge(pd.DataFrame(leaves), on="category")
    selfcheck, spotcheck, drawn_ids, dept, exempt = values
    own = selfcheck.rename(columns={"value": "self_value"})[["unit_id", "indicator_code", "self_value"]]
    verified = spotcheck.rename(columns={"value": "verified_value"})[
        ["unit_id", "indicator_code", "verified_value"]
    ]
    grid = grid.merge(own, on=["unit_id", "indicator_code"], how="left").merge(
        verified, on=["unit_id", "indicator_code"], how="left"
    )
    grid["self_value"] = grid["self_value"].astype(float)
    grid["verified_value"] = grid["verified_value"].astype(float)
    drawn = {int(x) for x in drawn_ids}
    grid["drawn"] = grid["unit_id"].isin(drawn)
    use_verified = grid["drawn"] & grid["verified_value"].notna()
    used = grid["verified_value"].where(use_verified, grid["self_value"])
    neutral = grid["method"].isin([Method.DEDUCT, Method.BONUS, Method.VETO])
    has_any = used.notna().groupby(grid["unit_id"]).transform("any")
    earning = grid["method"].isin([Method.POINTS, Method.RATIO]) & has_any

    def points(raw: pd.Series) -> np.ndarray:
        filled = raw.where(~(neutral & raw.isna()), 0.0)
        out = np.full(len(grid), np.nan)
        for (method, mx, target), idx in grid.groupby(
            ["method", "max", "target"], dropna=False
        ).indices.items():
            tgt = None if pd.isna(target) else float(target)
            out[idx] = score_values(method, float(mx), tgt, filled.iloc[idx].to_numpy(dtype=float))
        return np.where(np.isnan(out) & earning.to_numpy(), 0.0, out)

    grid["self_points"] = points(grid["self_value"])
    grid["verified_points"] = np.where(grid["verified_value"].notna(), points(grid["verified_value"]), np.nan)

    # The value and points that count: the engine's own matrices over the same inputs.
    unit_frame = units.drop_duplicates("unit_id").rename(columns={"unit_code": "code", "unit_name": "name"})
    no_rows = empty_inputs_frame(["unit_id"])
    values_in = ["unit_id", "indicator_code", "value"]
    mats, _component, _penalty, _flags = indicator_matrices(
        RoundInputs(
            scheme,
            Rows.from_frame(unit_frame, ["unit_id", "code", "name", "category"]),
            Rows.from_frame(selfcheck, values_in),
            Rows.from_frame(spotcheck, values_in),
            sorted(drawn),
            no_rows,
            no_rows,
            no_rows,
            deptscores=Rows.from_frame(dept, values_in),
            exemptions=Rows.from_frame(exempt, ["unit_id", "indicator_code"]),
        )
    )
    row = {int(u): i for i, u in enumerate(unit_frame["unit_id"])}
    col = {c: j for j, c in enumerate(mats.codes)}
    ui = grid["unit_id"].map(lambda u: row[int(u)]).to_numpy(dtype=int)
    cj = grid["indicator_code"].map(col).to_numpy(dtype=int)
    grid["used_value"] = mats.used_values[ui, cj]
    grid["points"] = mats.points[ui, cj]
    scorers = leaf_scorers(scheme)
    grid["scorer"] = [scorers.get(c, "") for c in grid["indicator_code"]]
    dept_values = dept.rename(columns={"value": "dept_value"})[["unit_id", "indicator_code", "dept_value"]]
    dept_values = dept_values[dept_values["indicator_code"].isin(scorers)]
    grid = grid.merge(dept_values.astype({"unit_id": int}), on=["unit_id", "indicator_code"], how="left")
    grid["dept_value"] = grid["dept_value"].astype(float)
    flagged = {(int(u), str(c)) for u, c in exempt[["unit_id", "indicator_code"]].itertuples(index=False)}
    grid["exempt"] = [
        (int(u), c) in flagged and m in (Method.POINTS, Method.DEDUCT, Method.RATIO)
        for u, c, m in zip(grid["unit_id"], grid["indicator_code"], grid["method"], strict=True)
    ]
    grid = grid.sort_values(["category", "unit_code", "order"]).reset_index(drop=True)
    return grid[columns]
