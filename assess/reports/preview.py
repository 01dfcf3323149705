"""What the export screen lists and previews: the rounds that have results, and a round's ranking as
text bars (cheap queries, no pandas), so the screen opens instantly."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from assess.foundation.vocabulary import STAGE_LABELS, Stage
from assess.foundation.write_guards import get_round
from assess.reports.textbars import ranking_text
from assess.results.stored import results as round_results

if TYPE_CHECKING:
    from assess.foundation.db import Database


@dataclass(frozen=True)
class ReportRound:
    id: int
    name: str
    period: str
    stage: str
    stage_label: str
    units: int

    @property
    def published(self) -> bool:
        return self.stage == Stage.PUBLISHED


def rounds_with_results(db: Database) -> list[ReportRound]:
    """Rounds that have computed results, newest first."""
    from sqlalchemy import func
    from sqlmodel import col, select

    from assess.models import Round, UnitResult

    with db.read() as s:
        rows = s.exec(
            select(Round, func.count(col(UnitResult.id)))
            .join(UnitResult, col(UnitResult.round_id) == Round.id)
            .group_by(col(Round.id))
            .order_by(col(Round.period).desc(), col(Round.id).desc())
        ).all()
    return [
        ReportRound(r.id, r.name, r.period, r.stage, STAGE_LABELS.get(r.stage, r.stage), n) for r, n in rows
    ]


def ranking_rows(db: Database, round_id: int) -> tuple[list[dict], list[str]]:
    """(rows with category, rank, unit_code, unit_name, composite, grade; the scheme's category order)."""
    from assess.models import SchemeVersion

    with db.read() as s:
        rnd = get_round(s, round_id)
        version = s.get(SchemeVersion, rnd.scheme_version_id)
        assert version is not None  # the round's scheme version (a foreign key)
        definition = version.definition
        rows = round_results(s, round_id)
    results = [
        {
            "category": r["category"],
            "rank": r["rank"],
            "unit_code": r["code"],
            "unit_name": r["name"],
            "composite": r["composite"],
            "grade": r["grade"],
        }
        for r in rows
    ]
    return results, list(definition.get("categories", []))


def ranking_preview(db: Database, round_id: int, width: int = 76) -> str:
    """The round's ranking per category as text bars."""

    results, categories = ranking_rows(db, round_id)
    return ranking_text(results, width, categories=categories)
