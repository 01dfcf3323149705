"""Reading stored results: the ranking per category with change against the previous round, and
the explanation of one unit's composite, indicator by indicator ("why is it ranked here"). A
published round is read from its snapshot (``assess.results.round_view``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assess.foundation.errors import NotFound
from assess.foundation.vocabulary import ANNUAL_COMPONENTS, COMPONENT_WORDS, METHOD_LABELS, Method
from assess.results.annual_sources import is_annual
from assess.results.compute import earlier_rounds, flag_text, resolve_round, stored_rows, stored_table
from assess.results.reasons import ReasonNames, period_text
from assess.results.round_view import round_inputs
from assess.results.secrecy import public_flags, round_secrecy
from assess.schemes.definition import leaf_scorers
from assess.schemes.provenance import indicator_provenance
from assess.schemes.store import load_definition
from assess.scoring.annual import annual_precision
from assess.scoring.composite import scaled
from assess.scoring.engine import COMPONENT_NAMES, compute_units

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from assess.foundation.db import Database

# An annual round's ranking (assess.results.annual): the annual composite and its two parts.
ANNUAL_RANK_COLUMNS = [
    "category",
    "rank",
    "unit_code",
    "unit_name",
    "composite",
    "grade",
    *ANNUAL_COMPONENTS,
    "rank_low",
    "rank_high",
    "change",
]
RANK_COLUMNS = [
    "category",
    "rank",
    "unit_code",
    "unit_name",
    "composite",
    "grade",
    "indicators",
    "appraisal",
    "adjustment",
    "penalty",
    "satisfaction",
    "rank_low",
    "rank_high",
    "change",
]


@dataclass
class RankRow:
    unit_id: int
    category: str
    rank: int
    unit_code: str
    unit_name: str
    composite: float
    grade: str
    indicators: float | None
    appraisal: float | None
    adjustment: float | None
    penalty: float | None
    satisfaction: float | None
    rank_low: int | None
    rank_high: int | None
    change: int | None  # previous rank − rank (positive: moved up); None: not ranked before
    prev_rank: int | None
    prev_grade: str | None
    flags: list[str]
    # an annual round (assess.results.annual): its composite is the annual one, these its parts
    quarter_avg: float | None = None
    year_end: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @property
    def change_text(self) -> str:
        if self.prev_rank is None:
            return "新"
        if self.change == 0:
            return "—"
        return f"↑{self.change}" if self.change > 0 else f"↓{-self.change}"


@dataclass
class Ranking:
    round_id: int
    round_name: str
    period: str
    stage: str
    categories: list[str]
    rows: list[RankRow]
    previous_period: str | None
    precision: int
    content_hash: str | None = None
    annual: bool = False  # an annual round: the composite is 年度综合得分 of 季度平均 and 年终考核

    @property
    def composite_label(self) -> str:
        return COMPONENT_WORDS["annual_composite" if self.annual else "composite"]

    @property
    def period_label(self) -> str:
        """2026年度 for an annual round, the period as given otherwise."""
        return period_text(self.period) if self.annual else self.period

    def in_category(self, category: str | None) -> list[RankRow]:
        return [r for r in self.rows if category is None or r.category == category]


def _f(v: Any) -> float | None:
    return None if v is None or v != v else float(v)


def ranking(db: Database, round_id: int | str) -> Ranking:
    """The stored ranking of a round (empty rows when not computed yet)."""
    from sqlmodel import select

    from assess.models import Snapshot

    with db.read() as s:
        r = resolve_round(s, round_id)
        assert r.id is not None  # a stored row has its id
        scheme = load_definition(s, r.scheme_version_id)
        table = stored_rows(s, r.id)
        prev = earlier_rounds(s, r, limit=1)
        prev_table = stored_rows(s, prev[0][1]) if prev else []
        snap = s.exec(select(Snapshot.content_hash).where(Snapshot.round_id == r.id)).first()
        secrecy = round_secrecy(s, r.id)
        annual = is_annual(s, r.id)
    order = {c: i for i, c in enumerate(scheme.categories)}
    table.sort(key=lambda t: ((order.get(t["category"], len(order)), t["category"]), t["rank"], t["code"]))
    prev_by_unit = {int(t["unit_id"]): (int(t["rank"]), t["grade"], t["category"]) for t in prev_table}
    rows = []
    for t in table:
        p = prev_by_unit.get(int(t["unit_id"]))
        same_cat = p is not None and p[2] == t["category"]
        sec = secrecy.unit(t["unit_id"])  # 满意率 withheld beside a small voter group (§9)
        rows.append(
            RankRow(
                int(t["unit_id"]),
                t["category"],
                int(t["rank"]),
                t["code"],
                t["name"],
                float(t["composite"]),
                t["grade"],
                _f(t["indicators"]),
                _f(t["appraisal"]),
                _f(t["adjustment"]),
                _f(t["penalty"]),
                None if sec.withheld else _f(t["satisfaction"]),
                None if t["rank_low"] is None else int(t["rank_low"]),
                None if t["rank_high"] is None else int(t["rank_high"]),
                (p[0] - int(t["rank"])) if same_cat else None,
                p[0] if same_cat else None,
                p[1] if p else None,
                public_flags(list(t["flags"]), sec),
                _f(t.get("quarter_avg")),
                _f(t.get("year_end")),
            )
        )
    cats = sorted({r.category for r in rows}, key=lambda c: (order.get(c, len(order)), c))
    return Ranking(
        r.id, r.name, r.period, r.stage, cats, rows, prev[0][0] if prev else None,
        annual_precision(scheme) if annual else scheme.precision, snap,
        annual,
    )


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
        mine = inputs.deptscores[inputs.deptscores["unit_id"] == t.at[i, "unit_id"]]
        dept = {str(c): float(v) for c, v in zip(mine["indicator_code"], mine["value"], strict=True)}
    # 合理缺项: the unit's approved exemptions (under ``rescale`` the engine takes them out of the
    # applicable leaves; they are still listed, marked).
    exempt: set[str] = set()
    if inputs.exemptions is not None and len(inputs.exemptions):
        own = inputs.exemptions[inputs.exemptions["unit_id"] == t.at[i, "unit_id"]]
        exempt = {str(c) for c in own["indicator_code"]}
    in_category = {leaf.code for leaf in inputs.scheme.leaves_for(str(t.at[i, "category"]))}
    exempt = {
        c for c in exempt
        if c in in_category and leaves[m.codes.index(c)].method in (Method.POINTS, Method.DEDUCT, Method.RATIO)
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
    weights = {"quarter_avg": float(inputs.scheme.annual.weights.get("quarters", 0.0)),
               "year_end": float(inputs.scheme.annual.weights.get("year_end", 0.0))}
    values = {k: _f(fresh.get(k)) for k in ANNUAL_COMPONENTS}
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
