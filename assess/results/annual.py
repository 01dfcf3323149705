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

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assess.foundation import audit
from assess.foundation.accounts import authorize
from assess.foundation.errors import Conflict, NotFound
from assess.foundation.roles import Actor
from assess.foundation.vocabulary import Stage
from assess.foundation.write_guards import get_round
from assess.results.annual_sources import annual_row, current_sources
from assess.results.reasons import flag_reason, period_text
from assess.results.stored import results
from assess.rounds.lifecycle import create_round, round_scheme
from assess.schemes.store import load_definition
from assess.scoring.annual import ANNUAL_COLUMNS, QUARTER_NAMES, QUARTERS, annual_precision

if TYPE_CHECKING:
    from assess.foundation.db import Database





# -- the formula (pure) -----------------------------------------------------------------------------














# -- the round and its quarterly sources --------------------------------------------------------------


















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
    from sqlmodel import col, select

    from assess.models import AnnualRound, Round, SchemeVersion

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
            .join(AnnualRound, col(AnnualRound.round_id) == col(Round.id))
            .join(SchemeVersion, col(SchemeVersion.id) == col(Round.scheme_version_id))
            .where(SchemeVersion.scheme_id == version.scheme_id, AnnualRound.year == y)
        ).first()
        if existing is not None:
            raise Conflict(f"考核方案“{scheme.name}”已有{y}年度考核轮次“{existing}”。")
    round_name = (name or "").strip() or f"{y}年度考核"
    rid = create_round(db, actor, round_name, str(y), scheme_version_id, unit_codes, categories)
    with db.write() as s:
        r = s.get(Round, rid)
        assert r is not None  # created just above
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

    with db.read() as s:
        r = get_round(s, round_id)
        row = annual_row(s, round_id)
        if row is None:
            raise Conflict(f"考核轮次“{r.name}”不是年度考核轮次。")
        scheme = round_scheme(s, r)
        sources = list(row.sources or []) if r.stage in (Stage.COMPUTED, Stage.UNDER_REVIEW, Stage.APPROVED, Stage.PUBLISHED) else (
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


def _fmt(v: float | None, p: int) -> str:
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
        lines.append("  标注：" + "；".join(flag_reason(f) for f in row["flags"]))
    return lines
