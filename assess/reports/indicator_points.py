"""Per-indicator points of a round's units for the report's detail sheet and heatmap, with the
composite engine's rules (``assess.schemes.methods.score_values`` is the one place the methods'
semantics live)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assess.foundation.vocabulary import Method
from assess.schemes.methods import score_values

if TYPE_CHECKING:
    import pandas as pd

    from assess.schemes.definition import SchemeDef


def indicator_points(
    values: tuple[pd.DataFrame, pd.DataFrame, list[int]], scheme: SchemeDef, results: pd.DataFrame
) -> pd.DataFrame:
    """One row per unit × applicable leaf indicator: self-check and verified raw values, their points,
    and the points that count, with the composite engine's rules: a unit drawn for the spot check
    counts its verified values where they exist; a missing value of a deduct/bonus/veto leaf means
    nothing recorded (no deduction, no bonus, no veto), of a points/ratio leaf 0 points (NaN when
    the unit has no value at all). ``values`` is (self-check, verified, drawn unit ids) as
    ``round_view.indicator_values`` gives them (the frozen ones for a published round)."""
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
        "points",
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
    selfcheck, spotcheck, drawn_ids = values
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

    grid["points"] = points(used)
    grid["self_points"] = points(grid["self_value"])
    grid["verified_points"] = np.where(grid["verified_value"].notna(), points(grid["verified_value"]), np.nan)
    grid = grid.sort_values(["category", "unit_code", "order"]).reset_index(drop=True)
    return grid[columns]
