"""Units (单位/部门) and cadres (干部): add, edit, deactivate, search, import.

Nothing is hard-deleted: a unit or cadre that is no longer assessed is deactivated.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from assess.foundation import audit
from assess.foundation.accounts import authorize
from assess.foundation.errors import Conflict, InputErrors, InputProblem, NotFound, ProblemList
from assess.foundation.input_tables import read_table
from assess.foundation.roles import Actor

if TYPE_CHECKING:
    from datetime import datetime

    from sqlmodel import Session

    from assess.foundation.db import Database
    from assess.models import Cadre, Unit

RISK_LEVELS = ("A", "B", "C")
CODE_MAX = 32


@dataclass
class UnitRow:
    id: int
    code: str
    name: str
    category: str
    parent_code: str | None
    active: bool


@dataclass
class CadreRow:
    id: int
    code: str
    name: str
    unit_code: str
    unit_name: str
    position: str
    risk_level: str | None
    active: bool


def _check_code(code: str, what: str = "编码") -> str:
    code = code.strip()
    if not code:
        raise Conflict(f"{what}不能为空。")
    if len(code) > CODE_MAX or any(c.isspace() for c in code):
        raise Conflict(f"{what}“{code}”无效：不能含空白，不超过 {CODE_MAX} 个字符。")
    return code


def _nonempty(value: str, what: str, limit: int) -> str:
    value = value.strip()
    if not value:
        raise Conflict(f"{what}不能为空。")
    if len(value) > limit:
        raise Conflict(f"{what}不能超过 {limit} 个字符。")
    return value


# -- units ----------------------------------------------------------------------------------------

def list_units(db: Database, search: str = "", include_inactive: bool = True) -> list[UnitRow]:
    from sqlalchemy.orm import aliased
    from sqlmodel import col, or_, select

    from assess.models import Unit

    parent = aliased(Unit)
    q = select(Unit, parent.code).join(parent, col(Unit.parent_id) == parent.id, isouter=True)
    if search:
        like = f"%{search.strip()}%"
        q = q.where(or_(col(Unit.code).like(like), col(Unit.name).like(like), col(Unit.category).like(like)))
    if not include_inactive:
        q = q.where(Unit.active)
    q = q.order_by(Unit.category, Unit.code)
    with db.read() as s:
        return [UnitRow(u.id, u.code, u.name, u.category, pc, u.active) for u, pc in s.exec(q).all()]


def categories(db: Database) -> list[str]:
    from sqlmodel import select

    from assess.models import Unit

    with db.read() as s:
        return sorted(set(s.exec(select(Unit.category)).all()))


def _unit_by_code(s: Session, code: str) -> Unit | None:
    from sqlmodel import select

    from assess.models import Unit

    return s.exec(select(Unit).where(Unit.code == code)).first()


def add_unit(db: Database, actor: Actor, code: str, name: str, category: str, parent_code: str | None = None) -> int:
    from assess.models import Unit

    authorize(actor, "unit.add")
    code = _check_code(code, "单位编码")
    name = _nonempty(name, "单位名称", 128)
    category = _nonempty(category, "单位类别", 64)
    with db.write() as s:
        if _unit_by_code(s, code) is not None:
            raise Conflict(f"单位编码“{code}”已存在。")
        parent_id = None
        if parent_code:
            parent = _unit_by_code(s, parent_code.strip())
            if parent is None:
                raise NotFound(f"上级单位“{parent_code}”不存在。")
            parent_id = parent.id
        unit = Unit(code=code, name=name, category=category, parent_id=parent_id)
        s.add(unit)
        s.flush()
        audit.append(s, actor.username, "unit.add", {"code": code, "name": name, "category": category, "parent_code": parent_code or None})
        assert unit.id is not None  # flushed: the row has its id
        return unit.id


def edit_unit(db: Database, actor: Actor, code: str, *, name: str | None = None, category: str | None = None,
              parent_code: str | None = None) -> None:
    authorize(actor, "unit.edit")
    with db.write() as s:
        unit = _unit_by_code(s, code)
        if unit is None:
            raise NotFound(f"单位“{code}”不存在。")
        changes: dict[str, object] = {}
        if name is not None and name.strip() != unit.name:
            unit.name = _nonempty(name, "单位名称", 128)
            changes["name"] = unit.name
        if category is not None and category.strip() != unit.category:
            unit.category = _nonempty(category, "单位类别", 64)
            changes["category"] = unit.category
        if parent_code is not None:
            new_parent = None
            if parent_code.strip():
                parent = _unit_by_code(s, parent_code.strip())
                if parent is None:
                    raise NotFound(f"上级单位“{parent_code}”不存在。")
                if parent.id == unit.id:
                    raise Conflict("上级单位不能是自己。")
                new_parent = parent.id
            if new_parent != unit.parent_id:
                unit.parent_id = new_parent
                changes["parent_code"] = parent_code.strip() or None
        if not changes:
            return
        s.add(unit)
        audit.append(s, actor.username, "unit.edit", {"code": code, **changes})


def set_unit_active(db: Database, actor: Actor, code: str, active: bool) -> None:
    authorize(actor, "unit.deactivate")
    with db.write() as s:
        unit = _unit_by_code(s, code)
        if unit is None:
            raise NotFound(f"单位“{code}”不存在。")
        if unit.active == active:
            return
        unit.active = active
        s.add(unit)
        audit.append(s, actor.username, "unit.deactivate" if not active else "unit.activate", {"code": code})


def import_units(db: Database, actor: Actor, path: str | Path) -> int:
    """Import units from CSV/XLSX (``code,name,category[,parent_code]``). Every problem is listed
    with line and field; either all rows are stored or none. Returns the number of new units."""
    from sqlmodel import col, select

    from assess.models import Unit

    authorize(actor, "unit.import")
    table = read_table(path, ["code", "name", "category"], ["parent_code"])
    problems: list[InputProblem] = ProblemList()
    with db.read() as s:
        existing = {c for c in s.exec(select(Unit.code)).all()}
    seen: dict[str, int] = {}
    parsed = []
    for row in table.rows:
        code, name, category, parent = row.get("code"), row.get("name"), row.get("category"), row.get("parent_code")
        ok = True
        for fld, val, limit in (("code", code, CODE_MAX), ("name", name, 128), ("category", category, 64)):
            if not val:
                problems.append(InputProblem(table.file, row.line, fld, "不能为空"))
                ok = False
            elif len(val) > limit:
                problems.append(InputProblem(table.file, row.line, fld, f"超过 {limit} 个字符"))
                ok = False
        if code and any(c.isspace() for c in code):
            problems.append(InputProblem(table.file, row.line, "code", f"编码“{code}”含空白"))
            ok = False
        if code in existing:
            problems.append(InputProblem(table.file, row.line, "code", f"单位编码“{code}”已存在于数据库"))
            ok = False
        if code and code in seen:
            problems.append(InputProblem(table.file, row.line, "code", f"单位编码“{code}”与第 {seen[code]} 行重复"))
            ok = False
        elif code:
            seen[code] = row.line
        if ok:
            parsed.append((row, code, name, category, parent))
    for row, code, _n, _c, parent in parsed:
        if parent and parent not in existing and parent not in seen:
            problems.append(InputProblem(table.file, row.line, "parent_code", f"上级单位“{parent}”不存在"))
        if parent and parent == code:
            problems.append(InputProblem(table.file, row.line, "parent_code", "上级单位不能是自己"))
    if problems:
        raise InputErrors(problems)
    if not parsed:
        raise InputErrors([InputProblem(table.file, None, None, "没有数据行")])
    with db.write() as s:
        ids: dict[str, int] = dict(s.exec(select(Unit.code, Unit.id)).all())
        from sqlalchemy import insert, update

        s.execute(insert(Unit), [{"code": c, "name": n, "category": cat, "active": True,
                                   "created_at": _now()} for _r, c, n, cat, _p in parsed])
        ids = dict(s.exec(select(Unit.code, Unit.id)).all())
        for _r, c, _n, _cat, p in parsed:
            if p:
                s.execute(update(Unit).where(col(Unit.code) == c).values(parent_id=ids[p]))
        audit.append(s, actor.username, "unit.import", {"file": Path(path).name, "count": len(parsed),
                                                        "codes": [p[1] for p in parsed]})
    return len(parsed)


def _now() -> datetime:
    from assess.models.base import utcnow

    return utcnow()


# -- cadres ---------------------------------------------------------------------------------------

def list_cadres(db: Database, search: str = "", unit_code: str | None = None) -> list[CadreRow]:
    from sqlmodel import col, or_, select

    from assess.models import Cadre, Unit

    q = select(Cadre, Unit).join(Unit, col(Cadre.unit_id) == Unit.id)
    if search:
        like = f"%{search.strip()}%"
        q = q.where(or_(col(Cadre.code).like(like), col(Cadre.name).like(like), col(Cadre.position).like(like), col(Unit.name).like(like)))
    if unit_code:
        q = q.where(Unit.code == unit_code)
    q = q.order_by(Unit.code, Cadre.code)
    with db.read() as s:
        return [CadreRow(c.id, c.code, c.name, u.code, u.name, c.position, c.risk_level, c.active) for c, u in s.exec(q).all()]


def _cadre_by_code(s: Session, code: str) -> Cadre | None:
    from sqlmodel import select

    from assess.models import Cadre

    return s.exec(select(Cadre).where(Cadre.code == code)).first()


def _check_risk(risk: str | None) -> str | None:
    risk = (risk or "").strip().upper() or None
    if risk is not None and risk not in RISK_LEVELS:
        raise Conflict(f"廉政风险等级“{risk}”无效，应为 A、B 或 C。")
    return risk


def add_cadre(db: Database, actor: Actor, code: str, name: str, unit_code: str, position: str,
              risk_level: str | None = None) -> int:
    from assess.models import Cadre

    authorize(actor, "cadre.add")
    code = _check_code(code, "干部编码")
    name = _nonempty(name, "姓名", 64)
    position = _nonempty(position, "职务", 128)
    risk = _check_risk(risk_level)
    with db.write() as s:
        if _cadre_by_code(s, code) is not None:
            raise Conflict(f"干部编码“{code}”已存在。")
        unit = _unit_by_code(s, unit_code.strip())
        if unit is None:
            raise NotFound(f"单位“{unit_code}”不存在。")
        assert unit.id is not None  # a row read from the database has its id
        cadre = Cadre(code=code, name=name, unit_id=unit.id, position=position, risk_level=risk)
        s.add(cadre)
        s.flush()
        audit.append(s, actor.username, "cadre.add", {"code": code, "name": name, "unit_code": unit.code,
                                                      "position": position, "risk_level": risk})
        assert cadre.id is not None  # flushed: the row has its id
        return cadre.id


def edit_cadre(db: Database, actor: Actor, code: str, *, name: str | None = None, unit_code: str | None = None,
               position: str | None = None, risk_level: str | None = None) -> None:
    authorize(actor, "cadre.edit")
    with db.write() as s:
        cadre = _cadre_by_code(s, code)
        if cadre is None:
            raise NotFound(f"干部“{code}”不存在。")
        changes: dict[str, object] = {}
        if name is not None and name.strip() != cadre.name:
            cadre.name = _nonempty(name, "姓名", 64)
            changes["name"] = cadre.name
        if position is not None and position.strip() != cadre.position:
            cadre.position = _nonempty(position, "职务", 128)
            changes["position"] = cadre.position
        if risk_level is not None:
            risk = _check_risk(risk_level)
            if risk != cadre.risk_level:
                cadre.risk_level = risk
                changes["risk_level"] = risk
        if unit_code is not None:
            unit = _unit_by_code(s, unit_code.strip())
            if unit is None:
                raise NotFound(f"单位“{unit_code}”不存在。")
            assert unit.id is not None  # a row read from the database has its id
            if unit.id != cadre.unit_id:
                cadre.unit_id = unit.id
                changes["unit_code"] = unit.code
        if not changes:
            return
        s.add(cadre)
        audit.append(s, actor.username, "cadre.edit", {"code": code, **changes})


def set_cadre_active(db: Database, actor: Actor, code: str, active: bool) -> None:
    authorize(actor, "cadre.deactivate")
    with db.write() as s:
        cadre = _cadre_by_code(s, code)
        if cadre is None:
            raise NotFound(f"干部“{code}”不存在。")
        if cadre.active == active:
            return
        cadre.active = active
        s.add(cadre)
        audit.append(s, actor.username, "cadre.deactivate" if not active else "cadre.activate", {"code": code})


def import_cadres(db: Database, actor: Actor, path: str | Path) -> int:
    """Import cadres (``code,name,unit_code,position[,risk_level]``), all or nothing."""
    from sqlalchemy import insert
    from sqlmodel import select

    from assess.models import Cadre, Unit

    authorize(actor, "cadre.import")
    table = read_table(path, ["code", "name", "unit_code", "position"], ["risk_level"])
    problems: list[InputProblem] = ProblemList()
    with db.read() as s:
        existing = set(s.exec(select(Cadre.code)).all())
        units = dict(s.exec(select(Unit.code, Unit.id)).all())
    seen: dict[str, int] = {}
    rows = []
    for row in table.rows:
        vals = {k: row.get(k) for k in ("code", "name", "unit_code", "position", "risk_level")}
        ok = True
        for fld, limit in (("code", CODE_MAX), ("name", 64), ("unit_code", CODE_MAX), ("position", 128)):
            if not vals[fld]:
                problems.append(InputProblem(table.file, row.line, fld, "不能为空"))
                ok = False
            elif len(vals[fld]) > limit:
                problems.append(InputProblem(table.file, row.line, fld, f"超过 {limit} 个字符"))
                ok = False
        code = vals["code"]
        if code in existing:
            problems.append(InputProblem(table.file, row.line, "code", f"干部编码“{code}”已存在于数据库"))
            ok = False
        if code and code in seen:
            problems.append(InputProblem(table.file, row.line, "code", f"干部编码“{code}”与第 {seen[code]} 行重复"))
            ok = False
        elif code:
            seen[code] = row.line
        if vals["unit_code"] and vals["unit_code"] not in units:
            problems.append(InputProblem(table.file, row.line, "unit_code", f"单位“{vals['unit_code']}”不存在"))
            ok = False
        risk = vals["risk_level"].upper()
        if risk and risk not in RISK_LEVELS:
            problems.append(InputProblem(table.file, row.line, "risk_level", f"“{vals['risk_level']}”应为 A、B 或 C"))
            ok = False
        if ok:
            rows.append({"code": code, "name": vals["name"], "unit_id": units[vals["unit_code"]],
                         "position": vals["position"], "risk_level": risk or None, "active": True, "created_at": _now()})
    if problems:
        raise InputErrors(problems)
    if not rows:
        raise InputErrors([InputProblem(table.file, None, None, "没有数据行")])
    with db.write() as s:
        s.execute(insert(Cadre), rows)
        audit.append(s, actor.username, "cadre.import", {"file": Path(path).name, "count": len(rows),
                                                         "codes": [r["code"] for r in rows]})
    return len(rows)
