"""Reading stored results: the ranking per category with change against the previous round, and
the explanation of one unit's composite, indicator by indicator ("why is it ranked here"). A
published round is read from its snapshot (``assess.results.round_view``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assess.foundation.errors import NotFound
from assess.foundation.vocabulary import ANNUAL_COMPONENTS, COMPONENT_WORDS, METHOD_LABELS, Method
from assess.results.compute import flag_text, resolve_round
from assess.results.ranking import optional_float
from assess.results.reasons import ReasonNames
from assess.results.round_view import round_inputs
from assess.results.secrecy import public_flags, round_secrecy
from assess.results.stored import stored_table
from assess.schemes.definition import leaf_scorers
from assess.schemes.provenance import indicator_provenance
from assess.scoring.annual import annual_precision
from assess.scoring.composite import scaled
from assess.scoring.engine import COMPONENT_NAMES, compute_units

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from assess.foundation.db import Database


@dataclass
class IndicatorLine:
    code: str
    name: str
    method: str | None
    max: float
    self_value: float | None
    verified_value: float | None
    points: float | None
    false_report: bool
    provenance: str = ""  # 依据 … / 示例，由考核办确定 (assess.schemes.provenance)
    scored_by: str = ""  # 职能部门评分: the scorer's unit code; its value is the one scored
    dept_value: float | None = None
    exempt: bool = False  # an approved 合理缺项: shown as such in place of points


@dataclass
class ComponentLine:
    name: str
    label: str
    weight: float  # effective share of the composite, percent (renormalised)
    value: float | None
    contribution: float | None


@dataclass
class Explanation:
    unit_code: str
    unit_name: str
    category: str
    category_size: int
    rank: int | None
    composite: float | None
    grade: str | None
    rank_low: int | None
    rank_high: int | None
    components: list[ComponentLine]
    penalty: float
    indicators: list[IndicatorLine]
    flags: list[str]
    above: tuple[int, str, str, float] | None
    below: tuple[int, str, str, float] | None
    recomputed: float | None
    stale: bool
    precision: int
    warnings: list[str] = field(default_factory=list)
    # An annual round (assess.results.annual): the composite is 年度综合得分, of these two parts
    # (季度平均, 年终考核); ``components`` are then the year-end composite's own.
    annual: list[ComponentLine] = field(default_factory=list)


def explain(db: Database, round_id: int | str, unit_code: str) -> Explanation:
    """Why a unit has its composite and rank: each component's weight and contribution, each
    indicator's self-check, verified value and points, the flags, and its neighbours in rank."""
    import numpy as np

    with db.read() as s:
        r = resolve_round(s, round_id)
        assert r.id is not None  # a stored row has its id
        inputs = round_inputs(s, db, r.id)
        stored = stored_table(s, r.id)
        secrecy = round_secrecy(s, r.id)
    scores = compute_units(inputs)
    t = scores.table
    idx = np.flatnonzero(t["code"].to_numpy() == unit_code)
    if not len(idx):
        raise NotFound(f"单位“{unit_code}”不在考核轮次“{r.name}”中。")
    i = int(idx[0])
    fresh = t.iloc[i]
    srow = stored[stored["code"] == unit_code]
    row = srow.iloc[0] if len(srow) else fresh
    cat = row["category"]
    peers = stored if len(srow) else t
    peers = peers[peers["category"] == cat].sort_values(["rank", "code"])
    pos = list(peers["code"]).index(unit_code)
    above = peers.iloc[pos - 1] if pos > 0 else None
    below = peers.iloc[pos + 1] if pos + 1 < len(peers) else None

    def neighbour(x: pd.Series | None) -> tuple[int, str, str, float] | None:
        return None if x is None else (int(x["rank"]), x["code"], x["name"], float(x["composite"]))

    w = scores.weights
    present = {
        c: fresh[c] for c in ("indicators", "appraisal", "adjustment") if c in w and fresh[c] == fresh[c]
    }
    total_w = sum(w[c] for c in present) or 1.0
    comps = []
    for c in ("indicators", "appraisal", "adjustment"):
        if c not in w:
            continue
        v = fresh[c] if fresh[c] == fresh[c] else None
        share = 100.0 * w[c] / total_w if c in present else 0.0
        comps.append(ComponentLine(c, COMPONENT_NAMES[c], share, v, None if v is None else v * share / 100.0))
    m = scores.matrices
    lines = []
    leaves = inputs.scheme.leaves()
    provs = indicator_provenance(inputs.scheme)

    scorers = leaf_scorers(inputs.scheme)
    dept: dict[str, float] = {}
    if scorers and inputs.deptscores is not None and len(inputs.deptscores):
        uid = t.at[i, "unit_id"]
        dept = {
            str(c): float("nan") if v is None else float(v)
            for u, c, v in inputs.deptscores.select("unit_id", "indicator_code", "value")
            if u == uid
        }
    # 合理缺项: the unit's approved exemptions (under ``rescale`` the engine takes them out of the
    # applicable leaves; they are still listed, marked).
    exempt: set[str] = set()
    if inputs.exemptions is not None and len(inputs.exemptions):
        uid = t.at[i, "unit_id"]
        exempt = {str(c) for u, c in inputs.exemptions.select("unit_id", "indicator_code") if u == uid}
    in_category = {leaf.code for leaf in inputs.scheme.leaves_for(str(t.at[i, "category"]))}
    exempt = {
        c
        for c in exempt
        if c in in_category
        and leaves[m.codes.index(c)].method in (Method.POINTS, Method.DEDUCT, Method.RATIO)
    }
    for j in np.flatnonzero(m.applicable[i] | np.array([c in exempt for c in m.codes], dtype=bool)):
        leaf = leaves[j]

        def val(a: np.ndarray, j: np.intp = j) -> float | None:
            x = a[i, j]
            return None if x != x else float(x)

        lines.append(
            IndicatorLine(
                leaf.code,
                leaf.name,
                METHOD_LABELS.get(leaf.method, leaf.method),
                float(leaf.max),
                val(m.self_values),
                val(m.verified_values),
                val(m.points),
                bool(m.false_report[i, j]),
                provs[leaf.code].text(),
                scorers.get(leaf.code, ""),
                dept.get(leaf.code),
                leaf.code in exempt,
            )
        )
    p = annual_precision(inputs.scheme) if inputs.annual is not None else inputs.scheme.precision
    stale = bool(len(srow)) and scaled(float(srow.iloc[0]["composite"]), p) != scaled(
        float(fresh["composite"]), p
    )
    flags = list(row["flags"]) if isinstance(row["flags"], list) else list(fresh["flags"])
    flags = public_flags(flags, secrecy.unit(fresh["unit_id"]))
    return Explanation(
        unit_code,
        str(row["name"]),
        cat,
        len(peers),
        int(row["rank"]) if len(srow) else int(fresh["rank"]),
        float(row["composite"]),
        str(row["grade"]),
        int(srow.iloc[0]["rank_low"])
        if len(srow)
        and srow.iloc[0]["rank_low"] == srow.iloc[0]["rank_low"]
        and srow.iloc[0]["rank_low"] is not None
        else None,
        int(srow.iloc[0]["rank_high"])
        if len(srow)
        and srow.iloc[0]["rank_high"] == srow.iloc[0]["rank_high"]
        and srow.iloc[0]["rank_high"] is not None
        else None,
        comps,
        float(fresh["penalty"]),
        lines,
        [flag_text(f, ReasonNames.of(inputs.scheme, r.period)) for f in flags],
        neighbour(above),
        neighbour(below),
        float(fresh["composite"]),
        stale,
        p,
        scores.warnings,
        _annual_parts(inputs, fresh),
    )


def _annual_parts(inputs: Any, fresh: pd.Series) -> list[ComponentLine]:
    """季度平均 and 年终考核 of an annual round's unit with their effective shares of the annual
    composite (renormalised over the parts present, as ``scoring.annual.combine_annual``)."""
    if inputs.annual is None or inputs.scheme.annual is None:
        return []
    weights = {
        "quarter_avg": float(inputs.scheme.annual.weights.get("quarters", 0.0)),
        "year_end": float(inputs.scheme.annual.weights.get("year_end", 0.0)),
    }
    values = {k: optional_float(fresh.get(k)) for k in ANNUAL_COMPONENTS}
    total = sum(w for k, w in weights.items() if values[k] is not None) or 1.0
    out = []
    for k in ANNUAL_COMPONENTS:
        v = values[k]
        share = 100.0 * weights[k] / total if v is not None else 0.0
        out.append(ComponentLine(k, COMPONENT_WORDS[k], share, v, None if v is None else v * share / 100.0))
    return out


@dataclass
class RoundChoice:
    id: int
    name: str
    period: str
    stage: str
    has_results: bool


def round_choices(db: Database) -> list[RoundChoice]:
    """Rounds for the results screens, newest period first (those with results first among equals)."""
    from sqlmodel import col, select

    from assess.models import Round, UnitResult

    with db.read() as s:
        with_results = set(s.exec(select(UnitResult.round_id).distinct()).all())
        rounds = s.exec(select(Round).order_by(col(Round.period).desc(), col(Round.id).desc())).all()
    return [RoundChoice(r.id, r.name, r.period, r.stage, r.id in with_results) for r in rounds]
