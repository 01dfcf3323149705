"""Assessment rounds (考核轮次): creation, participants, stages and what blocks the next one.

A round moves through ``STAGES`` one step at a time. This module's ``advance`` covers the steps up
to 评议票已核定 (``appraisal_certified``); the draw (``assess.rounds.spotcheck.draw``) is the step into
``spotcheck_drawn``; computing, review, approval and publication are the results area's service
functions, which move the stage through ``set_stage``. Every move is authorised and audited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from assess.foundation import audit
from assess.foundation.accounts import authorize
from assess.foundation.errors import Conflict, FrozenError, NotFound
from assess.foundation.roles import Actor
from assess.foundation.vocabulary import STAGE_LABELS, Stage
from assess.foundation.write_guards import ensure_round_writable, get_round, round_not_found
from assess.schemes.store import load_definition

if TYPE_CHECKING:
    from sqlmodel import Session

    from assess.foundation.db import Database, Reader
    from assess.models import Round, RoundUnit, Unit
    from assess.schemes.definition import SchemeDef

PERIOD_RE = re.compile(r"^(?P<year>\d{4})(?:-(?P<part>Q[1-4]|H[12]|(?:0[1-9]|1[0-2])))?$")


class RoundRef(NamedTuple):
    """A round's identity and stage, read without the table classes."""

    id: int
    name: str
    period: str
    stage: str
    scheme_version_id: int


def find_round(s: Reader, ref: str | int) -> RoundRef:
    """A round by id, or by a unique name or period (what the command line and the screens accept)."""
    from sqlalchemy import or_, select

    from assess.models import tables as t

    r = t.round
    cols = (r.c.id, r.c.name, r.c.period, r.c.stage, r.c.scheme_version_id)
    text = str(ref).strip()
    if text.isdigit():
        row = s.execute(select(*cols).where(r.c.id == int(text))).first()
        if row is not None:
            return RoundRef._make(row)
    rows = s.execute(select(*cols).where(or_(r.c.name == text, r.c.period == text)).order_by(r.c.id)).all()
    if not rows:
        raise NotFound(f"考核轮次“{text}”不存在（可用编号、名称或期间指定）。")
    if len(rows) > 1:
        raise Conflict(f"“{text}”对应多个考核轮次（编号 {'、'.join(str(x[0]) for x in rows)}），请用编号指定。")
    return RoundRef._make(rows[0])


def stage_label(stage: str) -> str:
    return STAGE_LABELS.get(stage, stage)


def next_stage(stage: str) -> str | None:
    order: list[str] = list(Stage)
    i = order.index(stage)
    return order[i + 1] if i + 1 < len(order) else None


def check_period(period: str) -> str:
    """``2026`` (year), ``2026-Q3`` (quarter), ``2026-H1`` (half year) or ``2026-07`` (month)."""
    p = (period or "").strip().upper()
    m = PERIOD_RE.match(p)
    if not m or not 2000 <= int(m.group("year")) <= 2100:
        raise Conflict(
            f"考核期间“{period}”无效：应为年度（如 2026）、季度（如 2026-Q3）、半年（如 2026-H1）或月份（如 2026-07）。"
        )
    return p


# -- lookups shared by the round services ---------------------------------------------------------


def round_scheme(session: Session, r: Round) -> SchemeDef:
    return load_definition(session, r.scheme_version_id)


def round_unit(session: Session, round_id: int, unit_code: str) -> tuple[Unit, RoundUnit]:
    """(Unit, RoundUnit) of a participant, or NotFound naming the unit."""
    from sqlmodel import col, select

    from assess.models import RoundUnit, Unit

    code = (unit_code or "").strip()
    row = session.exec(
        select(Unit, RoundUnit)
        .join(RoundUnit, col(RoundUnit.unit_id) == Unit.id)
        .where(RoundUnit.round_id == round_id, Unit.code == code)
    ).first()
    if row is None:
        exists = session.exec(select(Unit.id).where(Unit.code == code)).first()
        if exists is None:
            raise NotFound(f"单位“{code}”不存在。")
        raise NotFound(f"单位“{code}”不在本考核轮次中。")
    return row


def participants(session: Session, round_id: int) -> list[tuple[Any, Any]]:
    """(Unit, RoundUnit) of every participant, sorted by unit code."""
    from sqlmodel import col, select

    from assess.models import RoundUnit, Unit

    return list(
        session.exec(
            select(Unit, RoundUnit)
            .join(RoundUnit, col(RoundUnit.unit_id) == Unit.id)
            .where(RoundUnit.round_id == round_id)
            .order_by(Unit.code)
        ).all()
    )


def lock_round(session: Session, round_id: int) -> Round:
    """The round, locked for the rest of the write transaction (SELECT … FOR UPDATE on
    PostgreSQL; SQLite's IMMEDIATE transaction already holds the database lock), and refused if
    published. Every write that checks the round's stage takes this lock first, so a concurrent
    stage move or draw cannot slip between the check and the write."""
    from sqlmodel import select

    from assess.models import Round

    if session.exec(select(Round.id).where(Round.id == round_id).with_for_update()).first() is None:
        raise round_not_found(round_id)
    return ensure_round_writable(session, round_id)


def require_stage(r: Round, *stages: str, doing: str) -> None:
    if r.stage not in stages:
        wanted = "、".join(f"“{stage_label(s)}”" for s in stages)
        raise Conflict(
            f"{doing}只能在{wanted}阶段进行；考核轮次“{r.name}”当前阶段为“{stage_label(r.stage)}”。"
        )


# -- rounds ---------------------------------------------------------------------------------------


@dataclass
class RoundRow:
    id: int
    name: str
    period: str
    stage: str
    stage_label: str
    scheme_code: str
    scheme_version: int
    scheme_version_id: int
    units: int
    submitted: int
    corrects_round_id: int | None
    blockers: list[str] = field(default_factory=list)
    annual: bool = False  # an annual round (assess.results.annual): its period ``2026`` reads 2026年度




def create_round(
    db: Database,
    actor: Actor,
    name: str,
    period: str,
    scheme_version_id: int,
    unit_codes: list[str] | None = None,
    categories: list[str] | None = None,
    corrects_round_id: int | None = None,
) -> int:
    """Create a round in stage ``draft`` with its participants: the active units of
    ``unit_codes``, or of ``categories``, or else every active unit in the scheme's categories."""
    from sqlalchemy import insert
    from sqlmodel import col, select

    from assess.models import Round, RoundUnit, SchemeVersion, Unit

    authorize(actor, "round.create")
    name = (name or "").strip()
    if not name:
        raise Conflict("轮次名称不能为空。")
    if len(name) > 128:
        raise Conflict("轮次名称不能超过 128 个字符。")
    period = check_period(period)
    codes = [c.strip() for c in (unit_codes or []) if c and c.strip()]
    cats = [c.strip() for c in (categories or []) if c and c.strip()]
    with db.write() as s:
        version = s.get(SchemeVersion, scheme_version_id)
        if version is None:
            raise NotFound(f"考核方案版本 #{scheme_version_id} 不存在。")
        scheme = load_definition(s, scheme_version_id)
        allowed = set(scheme.categories)
        if corrects_round_id is not None:
            old = get_round(s, corrects_round_id)
            if old.stage != Stage.PUBLISHED:
                raise Conflict(
                    f"只能为已公示的轮次新建更正轮次；“{old.name}”当前阶段为“{stage_label(old.stage)}”。"
                )
        if codes:
            found = {u.code: u for u in s.exec(select(Unit).where(col(Unit.code).in_(codes))).all()}
            missing = [c for c in codes if c not in found]
            if missing:
                raise NotFound(f"单位不存在：{'、'.join(missing)}。")
            inactive = [c for c in codes if not found[c].active]
            if inactive:
                raise Conflict(f"单位已停用，不能参加考核：{'、'.join(inactive)}。")
            outside = [c for c in codes if allowed and found[c].category not in allowed]
            if outside:
                raise Conflict(
                    f"单位的类别不在考核方案“{scheme.name}”的类别（{'、'.join(scheme.categories)}）中：{'、'.join(outside)}。"
                )
            units = [found[c] for c in dict.fromkeys(codes)]
        else:
            if cats:
                unknown = [c for c in cats if allowed and c not in allowed]
                if unknown:
                    raise Conflict(
                        f"类别不在考核方案“{scheme.name}”中：{'、'.join(unknown)}（方案类别：{'、'.join(scheme.categories)}）。"
                    )
                wanted = cats
            else:
                wanted = list(allowed)
            q = select(Unit).where(Unit.active)
            if wanted:
                q = q.where(col(Unit.category).in_(wanted))
            units = list(s.exec(q.order_by(Unit.code)).all())
        if not units:
            raise Conflict("没有符合条件的在用单位：轮次至少需要一个参加单位。")
        r = Round(
            name=name,
            period=period,
            scheme_version_id=scheme_version_id,
            stage=Stage.DRAFT,
            corrects_round_id=corrects_round_id,
            created_by=actor.username,
        )
        s.add(r)
        s.flush()
        s.execute(insert(RoundUnit), [{"round_id": r.id, "unit_id": u.id} for u in units])
        audit.append(
            s,
            actor.username,
            "round.create",
            {
                "round_id": r.id,
                "name": name,
                "period": period,
                "scheme_version_id": scheme_version_id,
                "scheme": scheme.code,
                "units": sorted(u.code for u in units),
                "corrects_round_id": corrects_round_id,
            },
        )
        assert r.id is not None  # flushed: the row has its id
        return r.id


def round_rows(s: Session, round_ids: list[int] | None = None) -> list[RoundRow]:
    from sqlalchemy import func
    from sqlmodel import col, select

    from assess.models import AnnualRound, Round, RoundUnit, Scheme, SchemeVersion

    q = (
        select(Round, SchemeVersion.version, Scheme.code)
        .join(SchemeVersion, col(SchemeVersion.id) == Round.scheme_version_id)
        .join(Scheme, col(Scheme.id) == SchemeVersion.scheme_id)
        .order_by(col(Round.period).desc(), col(Round.id).desc())
    )
    if round_ids is not None:
        q = q.where(col(Round.id).in_(round_ids))
    counts = dict(s.exec(select(RoundUnit.round_id, func.count()).group_by(col(RoundUnit.round_id))).all())
    submitted = dict(
        s.exec(
            select(RoundUnit.round_id, func.count())
            .where(col(RoundUnit.submitted_at).is_not(None))
            .group_by(col(RoundUnit.round_id))
        ).all()
    )
    annual = set(s.exec(select(AnnualRound.round_id)).all())
    return [
        RoundRow(
            r.id,
            r.name,
            r.period,
            r.stage,
            stage_label(r.stage),
            code,
            version,
            r.scheme_version_id,
            counts.get(r.id, 0),
            submitted.get(r.id, 0),
            r.corrects_round_id,
            annual=r.id in annual,
        )
        for r, version, code in s.exec(q).all()
    ]


def list_rounds(db: Database, include_published: bool = True) -> list[RoundRow]:
    """Rounds, newest period first (what blocks each one: ``assess.workflow.advance``)."""
    with db.read() as s:
        return rounds_in(s, include_published)


def rounds_in(s: Session, include_published: bool = True) -> list[RoundRow]:
    """``list_rounds`` in the caller's transaction."""
    rows = round_rows(s)
    return rows if include_published else [r for r in rows if r.stage != Stage.PUBLISHED]


def scheme_version_id(db: Database, code: str, version: int | None = None) -> int:
    """The id of a scheme's version (the newest unless ``version`` is given)."""
    from sqlmodel import col, select

    from assess.models import Scheme, SchemeVersion

    code = (code or "").strip()
    with db.read() as s:
        q = (
            select(SchemeVersion.id)
            .join(Scheme, col(Scheme.id) == SchemeVersion.scheme_id)
            .where(Scheme.code == code)
            .order_by(col(SchemeVersion.version).desc())
        )
        if version is not None:
            q = q.where(SchemeVersion.version == version)
        vid = s.exec(q).first()
    if vid is None:
        raise NotFound(f"考核方案“{code}”{f'第 {version} 版' if version else ''}不存在。")
    return vid


def scheme_codes(db: Database) -> list[str]:
    from sqlmodel import select

    from assess.models import Scheme

    with db.read() as s:
        return list(s.exec(select(Scheme.code).order_by(Scheme.code)).all())




# -- stages ---------------------------------------------------------------------------------------






def set_stage(session: Session, actor_name: str, round: Round, new_stage: str, payload: dict | None = None) -> None:
    """Move ``round`` to ``new_stage`` inside the caller's write transaction and audit it. The
    caller has authorised the action and checked its own preconditions. A published round never
    moves again."""
    from sqlmodel import select

    from assess.models import Round
    STAGES = list(Stage)

    if new_stage not in STAGES:
        raise Conflict(f"未知阶段“{new_stage}”。")
    session.exec(select(Round.id).where(Round.id == round.id).with_for_update()).first()
    if round.stage == Stage.PUBLISHED:
        raise FrozenError(f"考核轮次“{round.name}”已公示冻结，不能再改变阶段；如需更正请新建关联轮次。")
    old = round.stage
    round.stage = new_stage
    session.add(round)
    session.flush()
    audit.append(
        session,
        actor_name,
        "round.stage",
        {"round_id": round.id, "from": old, "to": new_stage, **(payload or {})},
    )


