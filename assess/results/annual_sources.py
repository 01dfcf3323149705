"""The quarterly rounds an annual round combines: which they are (fixed when it is computed and
frozen with it) and their published composites, read from their snapshots. Below the published-round
reader, so that reading a round's inputs (``assess.results.inputs``) can ask here."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from assess.foundation.vocabulary import Stage
from assess.results.reasons import period_text
from assess.rounds.snapshots import published_content
from assess.scoring.annual import QUARTERS, AnnualInputs
from assess.scoring.rows import Rows
from assess.scoring.serial import ANNUAL_QUARTERS

if TYPE_CHECKING:
    from sqlmodel import Session

    from assess.foundation.db import Reader
    from assess.models import AnnualRound, Round
    from assess.schemes.definition import SchemeDef
    from assess.scoring.cadres import CadreSession


def annual_row(session: Session, round_id: int) -> AnnualRound | None:
    """The ``AnnualRound`` of a round, or None when the round is not an annual round."""
    from sqlmodel import col, select

    from assess.models import AnnualRound

    return session.exec(select(AnnualRound).where(col(AnnualRound.round_id) == round_id)).first()


def is_annual(session: Reader, round_id: int) -> bool:
    from sqlalchemy import select

    from assess.models import tables as t

    a = t.annualround
    return session.execute(select(a.c.round_id).where(a.c.round_id == round_id).limit(1)).first() is not None


def quarter_rounds(session: Session, scheme_id: int, year: int) -> dict[int, Any]:
    """quarter → the newest published round of the scheme (any version) for ``year``-Qn."""
    from sqlmodel import col, select

    from assess.models import Round, SchemeVersion

    periods = {f"{year}-Q{q}": q for q in QUARTERS}
    rows = session.exec(
        select(Round)
        .join(SchemeVersion, col(SchemeVersion.id) == col(Round.scheme_version_id))
        .where(
            SchemeVersion.scheme_id == scheme_id,
            col(Round.period).in_(list(periods)),
            Round.stage == Stage.PUBLISHED,
        )
        .order_by(col(Round.id))
    ).all()
    out: dict[int, Any] = {}
    for r in rows:
        out[periods[r.period]] = r  # ordered by id: the newest wins
    return out


def _scheme_id(session: Session, r: Round) -> int:
    from assess.models import SchemeVersion

    sv = session.get(SchemeVersion, r.scheme_version_id)
    assert sv is not None  # a foreign key: the round's scheme version exists
    return sv.scheme_id


def current_sources(session: Session, r: Round, year: int) -> list[dict[str, Any]]:
    found = quarter_rounds(session, _scheme_id(session, r), year)
    return [
        {"quarter": q, "round_id": int(found[q].id), "period": found[q].period, "name": found[q].name}
        for q in sorted(found)
    ]


def refresh_sources(session: Session, r: Round) -> list[dict[str, Any]] | None:
    """Fix the quarterly rounds an annual round combines (called by ``compute_round`` in its write
    transaction); None for a round that is not annual."""
    assert r.id is not None  # a stored round has its id
    row = annual_row(session, r.id)
    if row is None:
        return None
    sources = current_sources(session, r, row.year)
    if sources != list(row.sources or []):
        row.sources = sources
        session.add(row)
        session.flush()
    return sources


def annual_inputs(s: Reader, round_id: int) -> AnnualInputs | None:
    """The quarterly composites an annual round combines, from its fixed sources (published rounds,
    read from their snapshots); None for a round that is not annual. Read through Core statements;
    ``quarters`` is a ``Rows`` of unit_id, quarter, composite."""
    from sqlalchemy import select

    from assess.models import tables as t

    a = t.annualround
    row = s.execute(select(a.c.year, a.c.sources).where(a.c.round_id == round_id)).first()
    if row is None:
        return None
    sources = list(row.sources or [])
    records = []
    for src in sources:
        records += [
            (uid, int(src["quarter"]), composite)
            for uid, composite in published_composites(s, int(src["round_id"]))
        ]
    have = {int(src["quarter"]) for src in sources}
    warnings = [
        f"{period_text(f'{row.year}-Q{q}')}没有已公示的考核轮次：季度平均按其余季度计算。"
        for q in QUARTERS
        if q not in have
    ]
    return AnnualInputs(int(row.year), sources, Rows(ANNUAL_QUARTERS, records), warnings)


def held_annually_warnings(
    scheme: SchemeDef, cadre_sessions: Iterable[CadreSession], annual: bool
) -> list[str]:
    """A form held once a year (``held = "annual"``) appraised in a round that is not annual."""
    if annual:
        return []
    return [
        f"评议会议“{cs.name}”的评议表 {cs.form.code} 每年年末举行一次（年度考核轮次），本轮不是年度考核轮次。"
        for cs in cadre_sessions
        if cs.form.held == "annual"
    ]


def published_composites(s: Reader, round_id: int) -> list[tuple[int, float]]:
    """(unit id, composite) of a published round: from its snapshot (format 2 or later), else from its
    stored results (frozen with the round since k001)."""
    from sqlalchemy import text

    content = published_content(s, round_id)
    if content is not None:
        return [
            (int(r["unit_id"]), float(r["composite"]))
            for r in content.get("results", [])
            if r.get("composite") is not None
        ]
    rows = s.execute(
        text("SELECT unit_id, composite FROM unitresult WHERE round_id = :r AND composite IS NOT NULL"),
        {"r": round_id},
    ).all()
    return [(int(row[0]), float(row[1])) for row in rows]
