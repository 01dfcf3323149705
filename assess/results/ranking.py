"""A round's ranking as the rankings screen and ``assess rank`` show it: units by category and
rank, with their components, rank interval, change from the previous round and the flags an
output may print (``assess.results.secrecy``). A published round's from its snapshot.

Read through the Core tables only (``Database.rows``): ``assess rank`` builds no table class and
loads no data-frame library (docs/architecture.md, "只读命令").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assess.foundation.vocabulary import ANNUAL_COMPONENTS, COMPONENT_WORDS
from assess.results.annual_sources import is_annual
from assess.results.reasons import period_text
from assess.results.secrecy import public_flags, round_secrecy
from assess.results.stored import earlier_rounds, stored_rows
from assess.rounds.lifecycle import find_round
from assess.schemes.store import load_definition
from assess.scoring.annual import annual_precision

if TYPE_CHECKING:
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
        if not self.change:
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


def optional_float(v: Any) -> float | None:
    """A figure as printed: None where it is absent or NaN."""
    return None if v is None or v != v else float(v)


def ranking(db: Database, round_id: int | str) -> Ranking:
    """The stored ranking of a round (empty rows when not computed yet). Read through the Core
    tables only: ``assess rank`` builds no table class (docs/architecture.md, "只读命令")."""
    from sqlalchemy import select

    from assess.models import tables

    with db.rows() as s:
        r = find_round(s, round_id)
        scheme = load_definition(s, r.scheme_version_id)
        table = stored_rows(s, r.id)
        prev = earlier_rounds(s, r, limit=1)
        prev_table = stored_rows(s, prev[0][1]) if prev else []
        snap = s.execute(select(tables.snapshot.c.content_hash).where(tables.snapshot.c.round_id == r.id)).scalar()
        secrecy = round_secrecy(s, r.id)
        annual = is_annual(s, r.id)
    order = {c: i for i, c in enumerate(scheme.categories)}
    table.sort(key=lambda t: ((order.get(t["category"], len(order)), t["category"]), t["rank"], t["code"]))
    prev_by_unit = {int(t["unit_id"]): (int(t["rank"]), t["grade"], t["category"]) for t in prev_table}
    rows = []
    for t in table:
        p = prev_by_unit.get(int(t["unit_id"]))
        before = p if p is not None and p[2] == t["category"] else None  # ranked in the same category
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
                optional_float(t["indicators"]),
                optional_float(t["appraisal"]),
                optional_float(t["adjustment"]),
                optional_float(t["penalty"]),
                None if sec.withheld else optional_float(t["satisfaction"]),
                None if t["rank_low"] is None else int(t["rank_low"]),
                None if t["rank_high"] is None else int(t["rank_high"]),
                (before[0] - int(t["rank"])) if before is not None else None,
                before[0] if before is not None else None,
                p[1] if p else None,
                public_flags(list(t["flags"]), sec),
                optional_float(t.get("quarter_avg")),
                optional_float(t.get("year_end")),
            )
        )
    cats = sorted({r.category for r in rows}, key=lambda c: (order.get(c, len(order)), c))
    return Ranking(
        r.id, r.name, r.period, r.stage, cats, rows, prev[0][0] if prev else None,
        annual_precision(scheme) if annual else scheme.precision, snap,
        annual,
    )
