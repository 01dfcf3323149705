"""加减分 and discipline records of a round.

加减分 (``Adjustment``): points added or deducted for a unit in a round, each with its reason and the
document it rests on; the composite's adjustment component is clamp(base + Σ points, 0, 100).
Discipline records (``DisciplineAction``): e.g. 诫勉 of a unit's leadership or a cadre in the
period; a kind listed in the scheme's ``no_excellent_if`` bars 优秀. Nothing is deleted: a wrong
entry is corrected by an opposite entry that says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from assess.foundation import audit
from assess.foundation.accounts import authorize
from assess.foundation.errors import Conflict, InputErrors, InputProblem, NotFound, ProblemList
from assess.foundation.input_tables import parse_number, read_table
from assess.foundation.roles import Actor
from assess.foundation.write_guards import ensure_round_writable

if TYPE_CHECKING:
    from sqlmodel import Session

    from assess.foundation.db import Database
    from assess.models import Unit

MAX_POINTS = 100.0
DISCIPLINE_KINDS = ("提醒谈话", "约谈", "通报批评", "诫勉", "组织调整", "党纪政务处分")


@dataclass
class AdjustmentRow:
    id: int
    unit_code: str
    unit_name: str
    points: float
    reason: str
    source: str | None
    created_by: str


@dataclass
class DisciplineRow:
    id: int
    subject: str  # unit or cadre, as "CODE 名称"
    kind: str
    note: str | None
    created_by: str


def _round_unit(s: Session, round_id: int, unit_code: str) -> Unit:
    from sqlmodel import select

    from assess.models import RoundUnit, Unit

    unit = s.exec(select(Unit).where(Unit.code == unit_code.strip())).first()
    if unit is None:
        raise NotFound(f"单位“{unit_code}”不存在。")
    if s.exec(select(RoundUnit.id).where(RoundUnit.round_id == round_id, RoundUnit.unit_id == unit.id)).first() is None:
        raise Conflict(f"单位“{unit_code}”不是本轮次的参评单位。")
    return unit


def _check_points(points: float) -> float:
    try:
        value = float(points)
    except (TypeError, ValueError):
        raise Conflict(f"分值“{points}”不是数字。") from None
    if value != value or value == 0 or abs(value) > MAX_POINTS:
        raise Conflict(f"分值必须是非零数字，绝对值不超过 {MAX_POINTS:g}。")
    return round(value, 4)


def _check_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise Conflict("加减分必须写明理由。")
    return reason


def add_adjustment(db: Database, actor: Actor, round_id: int, unit_code: str, points: float, reason: str,
                   source: str | None = None) -> int:
    """Record 加分 (positive) or 扣分 (negative) for a unit of the round."""
    from assess.models import Adjustment

    authorize(actor, "adjustment.add")
    value = _check_points(points)
    reason = _check_reason(reason)
    with db.write() as s:
        ensure_round_writable(s, round_id)
        unit = _round_unit(s, round_id, unit_code)
        assert unit.id is not None  # a row read from the database has its id
        row = Adjustment(round_id=round_id, unit_id=unit.id, points=value, reason=reason,
                         source=(source or "").strip() or None, created_by=actor.username)
        s.add(row)
        s.flush()
        audit.append(s, actor.username, "adjustment.add", {"round_id": round_id, "unit_code": unit.code,
                                                          "points": value, "reason": reason, "source": row.source})
        assert row.id is not None  # flushed: the row has its id
        return row.id


def import_adjustments(db: Database, actor: Actor, round_id: int, path: str | Path) -> int:
    """Import ``unit_code,points,reason[,source]`` rows: all problems listed, then all or nothing."""
    from sqlalchemy import insert
    from sqlmodel import col, select

    from assess.models import Adjustment, RoundUnit, Unit
    from assess.models.base import utcnow

    authorize(actor, "adjustment.add")
    table = read_table(path, ["unit_code", "points", "reason"], ["source"])
    problems: list[InputProblem] = ProblemList()
    with db.read() as s:
        ensure_round_writable(s, round_id)
        members = dict(s.exec(select(Unit.code, Unit.id).join(RoundUnit, col(RoundUnit.unit_id) == Unit.id)
                              .where(RoundUnit.round_id == round_id)).all())
    rows = []
    seen: dict[tuple[str, str, str], int] = {}
    for row in table.rows:
        code = row.get("unit_code")
        key = (code, row.get("points"), row.get("reason"))
        if key in seen:  # the same entry twice is a paste error, not two entries
            problems.append(InputProblem(table.file, row.line, "unit_code",
                                         f"与第 {seen[key]} 行重复（同一单位、分值和理由）"))
            continue
        seen[key] = row.line
        if len(row.get("source")) > 255:
            problems.append(InputProblem(table.file, row.line, "source", "超过 255 个字符"))
        if not code:
            problems.append(InputProblem(table.file, row.line, "unit_code", "不能为空"))
        elif code not in members:
            problems.append(InputProblem(table.file, row.line, "unit_code", f"“{code}”不是本轮次的参评单位"))
        pts = parse_number(problems, table, row, "points")
        if pts is not None and (pts == 0 or abs(pts) > MAX_POINTS):
            problems.append(InputProblem(table.file, row.line, "points", f"分值必须非零且绝对值不超过 {MAX_POINTS:g}"))
        if not row.get("reason"):
            problems.append(InputProblem(table.file, row.line, "reason", "必须写明理由"))
        if code in members and pts is not None and row.get("reason"):
            rows.append({"round_id": round_id, "unit_id": members[code], "points": round(pts, 4),
                         "reason": row.get("reason"), "source": row.get("source") or None,
                         "created_at": utcnow(), "created_by": actor.username})
    if problems:
        raise InputErrors(problems)
    if not rows:
        raise InputErrors([InputProblem(table.file, None, None, "没有数据行")])
    with db.write() as s:
        ensure_round_writable(s, round_id)
        s.execute(insert(Adjustment), rows)
        audit.append(s, actor.username, "adjustment.import", {"round_id": round_id, "file": Path(path).name,
                                                             "count": len(rows), "total": sum(r["points"] for r in rows)})
    return len(rows)


def list_adjustments(db: Database, round_id: int) -> list[AdjustmentRow]:
    from sqlmodel import col, select

    from assess.models import Adjustment, Unit

    with db.read() as s:
        q = (select(Adjustment, Unit).join(Unit, col(Unit.id) == Adjustment.unit_id)
             .where(Adjustment.round_id == round_id).order_by(col(Unit.code), col(Adjustment.id)))
        return [AdjustmentRow(a.id, u.code, u.name, a.points, a.reason, a.source, a.created_by)
                for a, u in s.exec(q).all()]


def add_discipline(db: Database, actor: Actor, round_id: int, kind: str, *, unit_code: str | None = None,
                   cadre_code: str | None = None, note: str | None = None) -> int:
    """Record a discipline action in the round's period against a unit or a cadre."""
    from sqlmodel import select

    from assess.models import Cadre, DisciplineAction

    authorize(actor, "discipline.add")
    kind = (kind or "").strip()
    if kind not in DISCIPLINE_KINDS:
        raise Conflict(f"处理类别“{kind}”无效，可选：{'、'.join(DISCIPLINE_KINDS)}。")
    if bool(unit_code) == bool(cadre_code):
        raise Conflict("请指定一个单位或一名干部（二选一）。")
    with db.write() as s:
        ensure_round_writable(s, round_id)
        unit_id = cadre_id = None
        subject = ""
        if unit_code:
            unit = _round_unit(s, round_id, unit_code)
            unit_id, subject = unit.id, unit.code
        else:
            assert cadre_code is not None  # exactly one of unit and cadre is given (checked above)
            cadre = s.exec(select(Cadre).where(Cadre.code == cadre_code.strip())).first()
            if cadre is None:
                raise NotFound(f"干部“{cadre_code}”不存在。")
            cadre_id, subject = cadre.id, cadre.code
        row = DisciplineAction(round_id=round_id, unit_id=unit_id, cadre_id=cadre_id, kind=kind,
                               note=(note or "").strip() or None, created_by=actor.username)
        s.add(row)
        s.flush()
        audit.append(s, actor.username, "discipline.add", {"round_id": round_id, "subject": subject, "kind": kind,
                                                          "note": row.note})
        assert row.id is not None  # flushed: the row has its id
        return row.id


def list_discipline(db: Database, round_id: int) -> list[DisciplineRow]:
    from sqlmodel import col, select

    from assess.models import Cadre, DisciplineAction, Unit

    with db.read() as s:
        rows = s.exec(select(DisciplineAction).where(DisciplineAction.round_id == round_id)
                      .order_by(col(DisciplineAction.id))).all()
        units = {u.id: u for u in s.exec(select(Unit)).all()}
        cadres = {c.id: c for c in s.exec(select(Cadre)).all()}
    out = []
    for r in rows:
        if r.unit_id is not None:
            u = units[r.unit_id]
            subject = f"{u.code} {u.name}"
        else:
            c = cadres[r.cadre_id]
            subject = f"{c.code} {c.name}"
        out.append(DisciplineRow(r.id, subject, r.kind, r.note, r.created_by))
    return out
