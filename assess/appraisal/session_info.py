"""Reading appraisal sessions: the list of sessions, a session's targets in ballot order, its voter
groups, its form and attendance (``SessionInfo``), and the rounds a session can be created in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from assess.appraisal.forms import KINDS, form_for, session_not_found
from assess.appraisal.records import session_targets
from assess.foundation import thresholds
from assess.foundation.errors import Conflict
from assess.foundation.vocabulary import BatchStatus, Stage
from assess.foundation.write_guards import get_round

if TYPE_CHECKING:

    from assess.foundation.db import Database, Reader
    from assess.schemes.definition import FormDef


@dataclass
class TargetRow:
    position: int
    code: str
    name: str
    unit_id: int | None
    cadre_id: int | None
    detail: str = ""  # unit category, or the cadre's unit and position


@dataclass
class GroupRow:
    code: str
    name: str
    weight: float
    expected: int
    present: int = 0


@dataclass
class SessionRow:
    id: int
    round_id: int
    round_name: str
    kind: str
    form_code: str
    name: str
    held_on: date | None
    expected: int
    present: int
    targets: int
    batches: int
    certified: int
    status: str

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)


@dataclass
class SessionInfo:
    id: int
    round_id: int
    round_name: str
    round_stage: str
    kind: str
    name: str
    held_on: date | None
    expected: int
    present: int
    status: str
    notes: str | None
    form: FormDef
    targets: list[TargetRow] = field(default_factory=list)
    groups: list[GroupRow] = field(default_factory=list)

    @property
    def option_labels(self) -> list[str]:
        return [o.label for o in self.form.options]

    def quorum_ok(self) -> bool:
        return thresholds.quorum_met(self.present, self.expected, self.form.quorum, self.form.quorum_op)

    def quorum_text(self) -> str:
        return thresholds.quorum_text(self.present, self.expected, self.form.quorum, self.form.quorum_op)


def list_sessions(db: Database, round_id: int | None = None) -> list[SessionRow]:
    from sqlalchemy import case, func
    from sqlmodel import col, select

    from assess.models import AppraisalSession, AppraisalTarget, BallotBatch, Round

    n_targets = (
        select(func.count())
        .select_from(AppraisalTarget)
        .where(AppraisalTarget.session_id == AppraisalSession.id)
        .scalar_subquery()
    )
    n_batches = (
        select(func.count())
        .select_from(BallotBatch)
        .where(BallotBatch.session_id == AppraisalSession.id)
        .scalar_subquery()
    )
    n_cert = (
        select(func.coalesce(func.sum(case((BallotBatch.status == BatchStatus.CERTIFIED, 1), else_=0)), 0))
        .where(BallotBatch.session_id == AppraisalSession.id)
        .scalar_subquery()
    )
    q = select(AppraisalSession, Round.name, n_targets, n_batches, n_cert).join(
        Round, Round.id == AppraisalSession.round_id
    )
    if round_id is not None:
        q = q.where(AppraisalSession.round_id == round_id)
    q = q.order_by(col(AppraisalSession.round_id).desc(), AppraisalSession.id)
    with db.read() as s:
        return [
            SessionRow(
                a.id,
                a.round_id,
                rname,
                a.kind,
                a.form_code,
                a.name,
                a.held_on,
                a.expected,
                a.present,
                nt,
                nb,
                int(nc or 0),
                a.status,
            )
            for a, rname, nt, nb, nc in s.exec(q).all()
        ]


def load_targets(session: Reader, session_id: int) -> list[TargetRow]:
    """The targets of a session in ballot order: for a published round, as its snapshot holds them
    (names as published: ``assess.results.round_view``)."""

    return [
        TargetRow(
            t["position"],
            t["code"],
            t["name"],
            t["unit_id"] if t["cadre_id"] is None else t["cadre_unit_id"],
            t["cadre_id"],
            t["detail"],
        )
        for t in session_targets(session, session_id)
    ]


def load_groups(session: Reader, session_id: int) -> list[GroupRow]:
    from sqlalchemy import select

    from assess.models import tables as t

    g = t.sessionvotergroup
    rows = session.execute(
        select(g.c.code, g.c.name, g.c.weight, g.c.expected, g.c.present)
        .where(g.c.session_id == session_id)
        .order_by(g.c.id)
    ).all()
    return [GroupRow(g.code, g.name, g.weight, g.expected, g.present) for g in rows]


def session_info(db: Database, session_id: int) -> SessionInfo:
    with db.read() as s:
        return read_session_info(s, session_id)


def read_session_info(s: Reader, session_id: int) -> SessionInfo:
    from sqlalchemy import select

    from assess.models import tables as t

    a, r = t.appraisalsession, t.round
    sess = s.execute(
        select(a, r.c.name.label("round_name"), r.c.stage.label("round_stage"))
        .join(r, r.c.id == a.c.round_id)
        .where(a.c.id == session_id)
    ).first()
    if sess is None:
        raise session_not_found(session_id)
    form = form_for(s, sess.round_id, sess.kind, sess.form_code)
    return SessionInfo(
        session_id,
        sess.round_id,
        sess.round_name,
        sess.round_stage,
        sess.kind,
        sess.name,
        sess.held_on,
        sess.expected,
        sess.present,
        sess.status,
        sess.notes,
        form,
        load_targets(s, session_id),
        load_groups(s, session_id),
    )


def round_choices(db: Database) -> list[tuple[int, str, str]]:
    """(id, name, stage) of the rounds that are not published, newest first: where a session can go."""
    from sqlmodel import col, select

    from assess.models import Round

    with db.read() as s:
        rows = s.exec(
            select(Round.id, Round.name, Round.stage)
            .where(Round.stage != Stage.PUBLISHED)
            .order_by(col(Round.id).desc())
        ).all()
    return [(i, n, st) for i, n, st in rows]


@dataclass
class SessionPlan:
    """What a new session of ``kind`` in a round would hold, for the screen that sets it up: the
    form (from the round's scheme), its voter groups, and every active unit or cadre that may be a
    target: those of the round's units first, in the default ballot order of
    ``appraisal.create_session`` without codes (by code), then the others by code."""

    round_id: int
    round_name: str
    kind: str
    form_code: str
    form_name: str
    groups: list[tuple[str, str]]  # (code, name)
    candidates: list[tuple[str, str, str, bool]]  # (code, name, detail, of a unit in the round)

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]


def session_plan(db: Database, round_id: int, kind: str, form_code: str | None = None) -> SessionPlan:
    from sqlmodel import select

    from assess.models import Cadre, RoundUnit, Unit

    if kind not in KINDS:
        raise Conflict(f"评议类型“{kind}”无效：应为 民主评议 或 勤廉双述。")
    with db.read() as s:
        rnd = get_round(s, round_id)
        form = form_for(s, round_id, kind, form_code)
        in_round = set(s.exec(select(RoundUnit.unit_id).where(RoundUnit.round_id == round_id)).all())
        if kind == "unit":
            rows = s.exec(select(Unit.id, Unit.code, Unit.name, Unit.category).where(Unit.active)).all()
            candidates = [(c, n, cat, uid in in_round) for uid, c, n, cat in rows]
        else:
            rows = s.exec(select(Cadre.unit_id, Cadre.code, Cadre.name, Unit.name, Cadre.position)
                          .join(Unit, Unit.id == Cadre.unit_id).where(Cadre.active)).all()
            candidates = [(c, n, f"{un} {pos}", uid in in_round) for uid, c, n, un, pos in rows]
        candidates.sort(key=lambda r: (not r[3], r[0]))
        return SessionPlan(round_id, rnd.name, kind, form.code, form.name,
                           [(g.code, g.name) for g in form.voter_groups], candidates)
