"""Annual rounds (年度考核): the year's quarterly results combined with the year-end (年终) assessment.

Design (docs/architecture.md, 年度考核; scheme format in indicators/README.md, ``[annual]``):

- The annual round IS the year-end round: a normal round of the scheme whose period is the year
  (``2026``, shown as 2026年度), registered in ``AnnualRound``. It goes through every usual stage —
  self-check of the year-end indicators, spot-check, 勤廉双述 (a cadre form with ``held = "annual"``
  is held here, 年末) — and its normal composite is the year-end composite.
- It references the year's published quarterly rounds of the same scheme (any version; periods
  ``2026-Q1`` … ``2026-Q4``; per quarter the newest published round, so a published correction
  replaces the round it corrects). The references are fixed in ``AnnualRound.sources`` each time the
  round is computed; the quarterly composites are read from those rounds' snapshots
  (``round_view``) and travel in the round's inputs (``RoundInputs.annual``), so the publication
  snapshot holds them and ``audit verify`` recomputes the annual result from the snapshot alone.
- Formula (``combine_annual``): quarterly average = mean of the unit's composites over the quarters
  that have a published round with a result for it, rounded half up to the annual precision; a
  missing quarter is left out and flagged (``missing_quarter:Q3``), never counted as 0; with no
  quarter at all the quarterly part is missing and the weights renormalise onto the year-end
  (flagged ``missing:quarters``). Annual composite = (w_q × average + w_y × year-end) ÷ (w_q + w_y)
  over the parts present, rounded half up to the annual precision BEFORE ranking.
- Ranking, grades, quotas and accountability are the scoring engine's (``scoring.engine``,
  ``accountability``), fed with the annual composite and the scheme as ``result_scheme`` sees it
  (the ``[annual]`` bands, quotas and precision where given; rules but its ``skip_rules``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from . import audit
from .errors import Conflict, NotFound
from .roles import Actor, authorize

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from sqlmodel import Session

    from .db import Database
    from .schemes.definition import SchemeDef

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
    quarters: pd.DataFrame  # unit_id, quarter (1–4), composite
    warnings: list[str] = field(default_factory=list)


# -- the formula (pure) -----------------------------------------------------------------------------


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
        for uid, quarter, comp in q[["unit_id", "quarter", "composite"]].itertuples(index=False):
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

    from .scoring.engine import combine, round_half_up

    p = annual_precision(scheme)
    qm = quarter_matrix(annual, unit_ids)
    n = len(qm)
    present = ~np.isnan(qm)
    count = present.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        avg = np.where(count > 0, np.nansum(np.where(present, qm, 0.0), axis=1) / np.maximum(count, 1), np.nan)
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


def resampled_composite(scheme: SchemeDef, table: pd.DataFrame, year_end_r):
    """The annual composite of each resample (``scoring.robustness``): the quarterly average is
    published and fixed; the resampled year-end composite varies."""
    import numpy as np

    from .scoring.engine import combine

    ye = np.asarray(year_end_r, dtype=float)
    avg = np.broadcast_to(table["quarter_avg"].to_numpy(dtype=float), ye.shape)
    return combine(np.stack([avg, ye], axis=-1), annual_weights(scheme), 0.0, annual_precision(scheme))


# -- the round and its quarterly sources --------------------------------------------------------------


def annual_row(session: Session, round_id: int):
    """The ``AnnualRound`` of a round, or None when the round is not an annual round."""
    from sqlmodel import select

    from .models import AnnualRound

    return session.exec(select(AnnualRound).where(AnnualRound.round_id == round_id)).first()


def is_annual(session: Session, round_id: int) -> bool:
    return annual_row(session, round_id) is not None


def quarter_rounds(session: Session, scheme_id: int, year: int) -> dict[int, Any]:
    """quarter → the newest published round of the scheme (any version) for ``year``-Qn."""
    from sqlmodel import select

    from .models import Round, SchemeVersion

    periods = {f"{year}-Q{q}": q for q in QUARTERS}
    rows = session.exec(
        select(Round)
        .join(SchemeVersion, SchemeVersion.id == Round.scheme_version_id)
        .where(
            SchemeVersion.scheme_id == scheme_id,
            Round.period.in_(list(periods)),
            Round.stage == "published",
        )
        .order_by(Round.id)
    ).all()
    out: dict[int, Any] = {}
    for r in rows:
        out[periods[r.period]] = r  # ordered by id: the newest wins
    return out


def _scheme_id(session: Session, r) -> int:
    from .models import SchemeVersion

    return session.get(SchemeVersion, r.scheme_version_id).scheme_id


def current_sources(session: Session, r, year: int) -> list[dict[str, Any]]:
    found = quarter_rounds(session, _scheme_id(session, r), year)
    return [
        {"quarter": q, "round_id": int(found[q].id), "period": found[q].period, "name": found[q].name}
        for q in sorted(found)
    ]


def refresh_sources(session: Session, r) -> list[dict[str, Any]] | None:
    """Fix the quarterly rounds an annual round combines (called by ``compute_round`` in its write
    transaction); None for a round that is not annual."""
    row = annual_row(session, r.id)
    if row is None:
        return None
    sources = current_sources(session, r, row.year)
    if sources != list(row.sources or []):
        row.sources = sources
        session.add(row)
        session.flush()
    return sources


def annual_inputs(session: Session, round_id: int) -> AnnualInputs | None:
    """The quarterly composites an annual round combines, from its fixed sources (published rounds,
    read from their snapshots); None for a round that is not annual."""
    import pandas as pd

    from .reasons import period_text
    from .round_view import results

    row = annual_row(session, round_id)
    if row is None:
        return None
    sources = list(row.sources or [])
    records = []
    for src in sources:
        for res in results(session, int(src["round_id"])):
            records.append((int(res["unit_id"]), int(src["quarter"]), float(res["composite"])))
    have = {int(s["quarter"]) for s in sources}
    warnings = [
        f"{period_text(f'{row.year}-Q{q}')}没有已公示的考核轮次：季度平均按其余季度计算。"
        for q in QUARTERS
        if q not in have
    ]
    frame = pd.DataFrame(records, columns=["unit_id", "quarter", "composite"])
    return AnnualInputs(int(row.year), sources, frame, warnings)


def held_annually_warnings(scheme: SchemeDef, cadre_sessions, annual: bool) -> list[str]:
    """A form held once a year (``held = "annual"``) appraised in a round that is not annual."""
    if annual:
        return []
    return [
        f"评议会议“{cs.name}”的评议表 {cs.form.code} 每年年末举行一次（年度考核轮次），本轮不是年度考核轮次。"
        for cs in cadre_sessions
        if cs.form.held == "annual"
    ]


# -- services ---------------------------------------------------------------------------------------------


def check_year(year: int | str) -> int:
    text = str(year).strip().removesuffix("年度").removesuffix("年")
    if not text.isdigit() or not 2000 <= int(text) <= 2100:
        raise Conflict(f"年度“{year}”无效：应为 2000–2100 之间的年份，如 2026 或 2026年度。")
    return int(text)


def create_annual_round(
    db: Database,
    actor: Actor,
    scheme_version_id: int,
    year: int | str,
    name: str | None = None,
    unit_codes: list[str] | None = None,
    categories: list[str] | None = None,
) -> int:
    """Create the annual round of ``year`` (period ``2026``, the year-end round itself) for a scheme
    version that has an ``[annual]`` section, with the year's published quarterly rounds as its
    sources. Refused when the scheme has no ``[annual]`` or the scheme already has an annual round
    for that year."""
    from sqlmodel import select

    from .models import AnnualRound, Round, SchemeVersion
    from .reasons import period_text
    from .rounds import create_round
    from .schemes.store import load_definition

    authorize(actor, "annual.create")
    y = check_year(year)
    with db.read() as s:
        version = s.get(SchemeVersion, scheme_version_id)
        if version is None:
            raise NotFound(f"考核方案版本 #{scheme_version_id} 不存在。")
        scheme = load_definition(s, scheme_version_id)
        if scheme.annual is None:
            raise Conflict(
                f"考核方案“{scheme.name}”没有 [annual] 部分（季度结果与年终考核的权重），不能创建年度考核轮次。"
            )
        existing = s.exec(
            select(Round.name)
            .join(AnnualRound, AnnualRound.round_id == Round.id)
            .join(SchemeVersion, SchemeVersion.id == Round.scheme_version_id)
            .where(SchemeVersion.scheme_id == version.scheme_id, AnnualRound.year == y)
        ).first()
        if existing is not None:
            raise Conflict(f"考核方案“{scheme.name}”已有{y}年度考核轮次“{existing}”。")
    round_name = (name or "").strip() or f"{y}年度考核"
    rid = create_round(db, actor, round_name, str(y), scheme_version_id, unit_codes, categories)
    with db.write() as s:
        r = s.get(Round, rid)
        sources = current_sources(s, r, y)
        s.add(AnnualRound(round_id=rid, year=y, sources=sources, created_by=actor.username))
        s.flush()
        audit.append(
            s,
            actor.username,
            "annual.create",
            {
                "round_id": rid,
                "year": y,
                "scheme_version_id": scheme_version_id,
                "sources": sources,
                "period": period_text(str(y)),
            },
        )
    return rid


@dataclass
class AnnualView:
    round_id: int
    name: str
    year: int
    stage: str
    weights: dict[str, float]
    precision: int
    sources: list[dict[str, Any]]
    rows: list[dict[str, Any]]  # per unit: code, name, category, q1…q4, quarter_avg, year_end, composite, rank, grade, flags


def view(db: Database, round_id: int) -> AnnualView:
    """An annual round's components per unit (a published round from its snapshot): each quarter,
    the average, the year-end composite, the annual composite, rank and grade. Before computing,
    the rows are empty and ``sources`` are the quarterly rounds it would combine now."""
    from .guards import get_round
    from .round_view import results
    from .rounds import round_scheme

    with db.read() as s:
        r = get_round(s, round_id)
        row = annual_row(s, round_id)
        if row is None:
            raise Conflict(f"考核轮次“{r.name}”不是年度考核轮次。")
        scheme = round_scheme(s, r)
        sources = list(row.sources or []) if r.stage in ("computed", "under_review", "approved", "published") else (
            current_sources(s, r, row.year)
        )
        rows = []
        for res in results(s, round_id):
            c = res.get("components") or {}
            rows.append(
                {
                    "unit_id": res["unit_id"],
                    "code": res["code"],
                    "name": res["name"],
                    "category": res["category"],
                    **{k: c.get(k) for k in ANNUAL_COLUMNS},
                    "composite": res["composite"],
                    "rank": res["rank"],
                    "grade": res["grade"],
                    "flags": list(res.get("flags") or []),
                }
            )
        rows.sort(key=lambda x: (x["category"], x["rank"], x["code"]))
        return AnnualView(
            round_id, r.name, int(row.year), r.stage, dict(scheme.annual.weights) if scheme.annual else {},
            annual_precision(scheme), sources, rows,
        )


def _fmt(v, p: int) -> str:
    return "—" if v is None or v != v else f"{float(v):.{p}f}"


def explain(db: Database, round_id: int, unit_code: str) -> list[str]:
    """The annual formula of one unit with its numbers, line by line (the drill-down)."""
    v = view(db, round_id)
    row = next((x for x in v.rows if x["code"] == (unit_code or "").strip()), None)
    if row is None:
        raise NotFound(f"年度考核轮次“{v.name}”中没有单位 {unit_code} 的结果（尚未计算，或该单位不参加）。")
    p = v.precision
    by_q = {int(s["quarter"]): s for s in v.sources}
    lines = [f"{row['code']} {row['name']}（{row['category']}）{v.year}年度综合得分的计算："]
    present = []
    for q in QUARTERS:
        val = row.get(f"q{q}")
        if val is not None and val == val:
            present.append(float(val))
            lines.append(f"  {QUARTER_NAMES[q]}：{_fmt(val, p)}（{by_q[q]['name']}，已公示）" if q in by_q
                         else f"  {QUARTER_NAMES[q]}：{_fmt(val, p)}")
        elif q in by_q:
            lines.append(f"  {QUARTER_NAMES[q]}：缺（{by_q[q]['name']} 中没有该单位的结果），不计入平均")
        else:
            lines.append(f"  {QUARTER_NAMES[q]}：缺（没有已公示的季度考核轮次），不计入平均")
    wq = float(v.weights.get("quarters", 0.0))
    wy = float(v.weights.get("year_end", 0.0))
    avg = row.get("quarter_avg")
    if present:
        total = " + ".join(_fmt(x, p) for x in present)
        note = "" if len(present) == 4 else f"（只计有结果的 {len(present)} 个季度，缺季度不按 0 分）"
        lines.append(f"  季度平均 = ({total}) ÷ {len(present)} = {_fmt(avg, p)}{note}")
    else:
        lines.append("  季度平均：没有任何季度的结果")
    ye = row.get("year_end")
    lines.append(f"  年终考核综合得分 = {_fmt(ye, p)}")
    if present and wq > 0:
        a, b = float(avg) * wq / 100, float(ye) * wy / 100
        lines.append(
            f"  年度综合得分 = 季度平均 {_fmt(avg, p)} × {wq:g}% + 年终考核 {_fmt(ye, p)} × {wy:g}%"
            f" = {a:.4f} + {b:.4f} = {a + b:.4f}，按 {p} 位小数四舍五入为 {_fmt(row['composite'], p)}"
        )
    else:
        lines.append(
            f"  年度综合得分 = 年终考核 {_fmt(ye, p)}（季度部分缺失，权重 {wq:g}% 并入年终考核，已标注）"
            f" = {_fmt(row['composite'], p)}"
        )
    lines.append(f"  类别“{row['category']}”内名次 {row['rank']}，等次“{row['grade']}”（按年度综合得分，先舍入再排名）")
    if row["flags"]:
        from .reasons import flag_reason

        lines.append("  标注：" + "；".join(flag_reason(f) for f in row["flags"]))
    return lines
