"""The 公示 of a round as records: its periods and objections, the JSON forms a snapshot holds, and
the conditions of 定稿 (every objection answered, an upheld one settled by a vote, the period over).
Publication, the review chain and the published-round reader ask here; the 公示 services that open
a period, register and answer objections and finalize live in ``assess.results.publicity``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from assess.foundation.errors import Conflict
from assess.foundation.settings import local_today
from assess.foundation.vocabulary import Stage
from assess.foundation.write_guards import get_round
from assess.rounds.snapshots import iso, last_period, published_content

if TYPE_CHECKING:
    from sqlmodel import Session

    from assess.foundation.db import Database, Reader
    from assess.models import Round


DEFAULT_WORKING_DAYS = 5


SUBMITTER_KINDS = {"person": "个人", "unit": "单位", "anonymous": "匿名"}


DECISIONS = {"maintain": "维持", "uphold": "采纳"}


PUBLICITY_MARK = "公示稿"


def working_days_end(start: date, days: int = DEFAULT_WORKING_DAYS) -> date:
    """The last day of a period of ``days`` working days starting on ``start`` (counted as the
    first when it is a working day), Saturdays and Sundays skipped: Mon 2026-12-07 → Fri
    2026-12-11; Thu 2026-12-03 → Wed 2026-12-09. Public holidays are not known: set the end date."""
    if days < 1:
        raise Conflict("公示期至少 1 个工作日。")
    d = start
    while d.weekday() >= 5:
        d += timedelta(days=1)
    left = days - 1
    while left:
        d += timedelta(days=1)
        if d.weekday() < 5:
            left -= 1
    return d


def live_periods(session: Reader, round_id: int) -> list[dict[str, Any]]:
    """The 公示 periods in snapshot form (without their snapshot content)."""
    from sqlalchemy import select

    from assess.models import tables as t

    p = t.publicityperiod
    rows = session.execute(
        select(
            p.c.id,
            p.c.starts_on,
            p.c.ends_on,
            p.c.contact,
            p.c.content_hash,
            p.c.audit_head,
            p.c.opened_by,
            p.c.opened_at,
        )
        .where(p.c.round_id == round_id)
        .order_by(p.c.id)
    ).all()
    return [
        {
            "id": r.id,
            "starts_on": r.starts_on.isoformat(),
            "ends_on": r.ends_on.isoformat(),
            "contact": r.contact,
            "content_hash": r.content_hash,
            "audit_head": r.audit_head,
            "opened_by": r.opened_by,
            "opened_at": iso(r.opened_at),
        }
        for r in rows
    ]


def live_objections(session: Reader, round_id: int) -> list[dict[str, Any]]:
    from sqlalchemy import select

    from assess.models import tables as t

    o, unit, cadre = t.objection, t.unit, t.cadre
    rows = session.execute(
        select(o, unit.c.code.label("unit_code"), cadre.c.code.label("cadre_code"))
        .join(unit, unit.c.id == o.c.unit_id, isouter=True)
        .join(cadre, cadre.c.id == o.c.cadre_id, isouter=True)
        .where(o.c.round_id == round_id)
        .order_by(o.c.id)
    ).all()
    return [
        {
            "id": r.id,
            "period_id": r.period_id,
            "submitter_kind": r.submitter_kind,
            "submitter": r.submitter,
            "contact": r.contact,
            "unit_code": r.unit_code,
            "cadre_code": r.cadre_code,
            "figure": r.figure,
            "text": r.text,
            "received_on": r.received_on.isoformat(),
            "registered_by": r.registered_by,
            "registered_at": iso(r.registered_at),
            "decision": r.decision,
            "reason": r.reason,
            "answered_by": r.answered_by,
            "answered_at": iso(r.answered_at),
            "vote_id": r.vote_id,
        }
        for r in rows
    ]


def snapshot_parts(session: Reader, round_id: int) -> dict[str, Any]:
    """What the round's snapshots hold about its 公示: the periods and the objections, only when
    there are any (so rounds published without a 公示 keep the snapshot they had)."""
    out: dict[str, Any] = {}
    got = live_periods(session, round_id)
    if got:
        out["publicity"] = got
    objs = live_objections(session, round_id)
    if objs:
        out["objections"] = objs
    return out


def objections(db: Database, round_id: int) -> list[dict[str, Any]]:
    """The objections of a round (a published round's from its snapshot), with labels."""

    with db.read() as s:
        r = get_round(s, round_id)
        content = published_content(s, round_id) if r.stage == Stage.PUBLISHED else None
        rows = list(content.get("objections") or []) if content is not None else live_objections(s, round_id)
    for o in rows:
        o["submitter_label"] = SUBMITTER_KINDS.get(o["submitter_kind"], o["submitter_kind"])
        o["decision_label"] = DECISIONS.get(o["decision"], "待答复") if o["decision"] else "待答复"
        if o["decision"] == "uphold":
            o["settled"] = "已票决" if o["vote_id"] else "待复核票决"
        else:
            o["settled"] = ""
    return rows


@dataclass
class PublicityStatus:
    round_id: int
    stage: str
    periods: list[dict[str, Any]]
    open_objections: int  # not yet answered
    unsettled: int  # upheld, not yet settled by a vote
    objections: int
    can_finalize: bool
    finalize_problems: list[str] = field(default_factory=list)

    def period_text(self) -> str:
        if not self.periods:
            return "未公示"
        p = self.periods[-1]
        return f"第 {len(self.periods)} 次公示：{p['starts_on']} 至 {p['ends_on']}"


def status(db: Database, round_id: int, today: date | None = None) -> PublicityStatus:
    with db.read() as s:
        r = get_round(s, round_id)
        stage = r.stage
        if stage == Stage.PUBLISHED:
            problems = ["已定稿"]
        else:
            problems, _ = finalize_problems(s, r, today)
            if stage not in (Stage.APPROVED, Stage.PUBLICITY):
                problems.insert(0, "须审议票决通过")
    rows = objections(db, round_id)
    with db.read() as s:
        content = None
        if stage == Stage.PUBLISHED:
            content = published_content(s, round_id)
        got = list(content.get(Stage.PUBLICITY) or []) if content is not None else live_periods(s, round_id)
    return PublicityStatus(
        round_id,
        stage,
        got,
        sum(1 for o in rows if not o["decision"]),
        sum(1 for o in rows if o["decision"] == "uphold" and not o["vote_id"]),
        len(rows),
        not problems,
        problems,
    )


def finalize_problems(session: Session, r: Round, today: date | None = None) -> tuple[list[str], int | None]:
    """(why 定稿 cannot happen now, the last 公示 period's id or None). A round never put to 公示
    may be frozen from 已批准 as before; once a 公示 was opened: not before its end date has
    passed, not while an objection is unanswered or an upheld one is not settled by a vote."""

    assert r.id is not None  # a stored round has its id
    p = last_period(session, r.id)
    if p is None:
        return [], None
    problems = []
    day = today or local_today()
    if day <= p.ends_on:
        problems.append(f"公示期至 {p.ends_on.isoformat()}（含当日），须在其后定稿")
    return problems + objection_problems(session, r.id), p.id


def objection_problems(session: Session, round_id: int) -> list[str]:
    """Objections not answered, and upheld ones not yet settled by a vote."""
    from sqlmodel import select

    from assess.models import Objection

    problems = []
    rows = session.exec(select(Objection).where(Objection.round_id == round_id)).all()
    unanswered = [o.id for o in rows if o.decision is None]
    if unanswered:
        problems.append(f"还有 {len(unanswered)} 件异议未答复（#{'、#'.join(map(str, unanswered))}）")
    unsettled = [o.id for o in rows if o.decision == "uphold" and o.vote_id is None]
    if unsettled:
        problems.append(f"采纳的异议（#{'、#'.join(map(str, unsettled))}）尚未经复核和审议票决")
    return problems


def settle_objections(session: Session, round_id: int, vote_id: int) -> list[int]:
    """Link every upheld objection not yet settled to the vote that passed (in the vote's
    transaction). Returns their ids."""
    from sqlmodel import col, select

    from assess.models import Objection

    rows = session.exec(
        select(Objection).where(
            col(Objection.round_id) == round_id,
            col(Objection.decision) == "uphold",
            col(Objection.vote_id).is_(None),
        )
    ).all()
    ids: list[int] = []
    for o in rows:
        assert o.id is not None  # a stored row has its id
        o.vote_id = vote_id
        session.add(o)
        ids.append(o.id)
    session.flush()
    return ids
