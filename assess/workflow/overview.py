"""What the dashboard shows: the open rounds, where each stands and what it waits for."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from assess.foundation.settings import local_today
from assess.foundation.vocabulary import STAGE_LABELS, Stage
from assess.results import cards as red_yellow
from assess.rounds import findings
from assess.rounds.deadlines import overdue_stages
from assess.workflow.advance import blockers

if TYPE_CHECKING:
    from assess.foundation.db import Database



@dataclass
class RoundSummary:
    id: int
    name: str
    period: str
    stage: str
    stage_label: str
    units: int
    waiting_for: list[str] = field(default_factory=list)


@dataclass
class OverdueItem:
    unit: str
    notice_no: str
    deadline: str
    days: int


@dataclass
class Overview:
    units: int
    active_units: int
    cadres: int
    users: int
    schemes: int
    rounds: list[RoundSummary]
    overdue: list[OverdueItem] = field(default_factory=list)
    late_stages: list = field(default_factory=list)  # year.DeadlineRow past due and not done
    cards: list = field(default_factory=list)  # year.Card: 红黄牌 of the computed open rounds


def overview(db: Database, include_published: bool = False, today: date | None = None) -> Overview:
    from sqlalchemy import func
    from sqlmodel import col, select

    from assess.models import Cadre, Round, RoundUnit, Scheme, Unit, User

    with db.read() as s:
        units = s.exec(select(func.count()).select_from(Unit)).one()
        active = s.exec(select(func.count()).select_from(Unit).where(Unit.active)).one()
        cadres = s.exec(select(func.count()).select_from(Cadre).where(Cadre.active)).one()
        users = s.exec(select(func.count()).select_from(User).where(User.active)).one()
        schemes = s.exec(select(func.count()).select_from(Scheme)).one()
        q = select(Round).order_by(col(Round.period).desc(), col(Round.id).desc())
        if not include_published:
            q = q.where(Round.stage != Stage.PUBLISHED)
        rounds = s.exec(q).all()
        counts = dict(s.exec(select(RoundUnit.round_id, func.count()).group_by(col(RoundUnit.round_id))).all())
    out = []
    for r in rounds:
        assert r.id is not None  # a stored row has its id
        out.append(RoundSummary(r.id, r.name, r.period, r.stage, STAGE_LABELS.get(r.stage, r.stage),
                                counts.get(r.id, 0), waiting_for(db, r.id)))

    late = [OverdueItem(f"{x.unit_code} {x.unit_name}", x.notice_no or "", x.deadline.isoformat() if x.deadline else "",
                        x.days_overdue) for x in findings.overdue(db, today or local_today())]

    day = today or local_today()
    shown = {r.id for r in rounds}
    late_stages = [d for d in overdue_stages(db, day) if d.round_id in shown]
    warn = []
    for r in rounds:
        if r.stage in (Stage.COMPUTED, Stage.UNDER_REVIEW, Stage.APPROVED, Stage.PUBLICITY):
            assert r.id is not None  # a stored round has its id
            warn += red_yellow.cards(db, r.id, day)
    return Overview(units, active, cadres, users, schemes, out, late, late_stages, warn)


def waiting_for(db: Database, round_id: int) -> list[str]:
    """What blocks the round's next stage, in words for the dashboard."""

    return blockers(db, round_id)
