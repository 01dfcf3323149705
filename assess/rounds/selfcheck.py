"""Self-check (自查): units score themselves per leaf indicator while the round is 自查中, then
submit. Import from CSV/XLSX (``unit_code,indicator_code,score[,note]``), all or nothing; an XLSX
template per unit to send to departments; completeness per unit.

The score-file machinery here also serves verified scores (核查, ``kind="verified"``): the same
format, only drawn units, only while the round is 已抽取核查单位 (see ``assess.rounds.spotcheck``).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assess.foundation import audit
from assess.foundation.accounts import authorize
from assess.foundation.errors import Conflict, InputErrors, InputProblem, NotFound, ProblemList
from assess.foundation.input_tables import read_table, safe_cell
from assess.foundation.private_files import make_private
from assess.foundation.roles import Actor
from assess.foundation.vocabulary import Method, Stage
from assess.foundation.write_guards import get_round
from assess.rounds.lifecycle import lock_round, participants, require_stage, round_scheme, round_unit
from assess.rounds.scoring_rows import inspected_codes
from assess.rounds.spotcheck import active_draw
from assess.schemes.methods import check_value

if TYPE_CHECKING:
    from datetime import datetime

    from sqlmodel import Session

    from assess.foundation.db import Database
    from assess.foundation.input_tables import Row
    from assess.models import DeptScore, Round, RoundUnit, SelfCheckScore, SpotCheckScore, Unit
    from assess.schemes.definition import IndicatorDef, SchemeDef

KINDS = ("self", "verified")
NOTE_MAX = 2000
TEMPLATE_INFO_COLUMNS = ["unit_name", "indicator_name", "method", "max", "evidence", "self_score"]
METHOD_HINTS = {
    Method.POINTS: "得分（填得分）",
    Method.DEDUCT: "扣分（填扣除分数，扣完为止）",
    Method.BONUS: "加分（填加分，超过上限按上限计）",
    Method.RATIO: "比率（填百分比，如 96.5）",
    Method.VETO: "一票否决（0 未触发 / 1 触发）",
}


@dataclass
class Completeness:
    unit_code: str
    unit_name: str
    category: str
    filled: int
    required: int
    submitted: bool
    submitted_at: datetime | None

    @property
    def complete(self) -> bool:
        return self.filled >= self.required


@dataclass
class SheetRow:
    """One leaf indicator of a unit, with its self-check and verified values (None: not entered)."""

    code: str
    name: str
    method: str
    max: float
    target: float | None
    evidence: str | None
    self_value: float | None
    self_note: str | None
    verified_value: float | None
    verified_note: str | None


# -- indicators and values ------------------------------------------------------------------------


def applicable_leaf(scheme: SchemeDef, category: str, code: str) -> IndicatorDef:
    """The leaf indicator ``code`` if it applies to ``category``; otherwise a clear refusal."""
    code = (code or "").strip()
    for ind in scheme.leaves_for(category):
        if ind.code == code:
            return ind
    try:
        ind = scheme.indicator(code)
    except KeyError:
        raise NotFound(f"考核方案“{scheme.name}”中没有指标“{code}”。") from None
    if not ind.is_leaf:
        raise Conflict(f"指标 {code}（{ind.name}）是分类指标，请录入其下级指标。")
    raise Conflict(f"指标 {code}（{ind.name}）不适用于类别“{category}”。")


def parse_value(ind: IndicatorDef, value: float | str) -> float:
    """A raw value for the indicator, or Conflict with the indicator named and its range."""

    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise Conflict(f"指标 {ind.code}（{ind.name}）的得分不能为空。")
        try:
            number = float(text)
        except ValueError:
            raise Conflict(f"指标 {ind.code}（{ind.name}）的得分“{text}”不是数字。") from None
    else:
        number = float(value)
    if math.isnan(number) or math.isinf(number):
        raise Conflict(f"指标 {ind.code}（{ind.name}）的得分必须是有限数字。")
    problem = check_value(ind, number)
    if problem:
        raise Conflict(problem + "。")
    return number


def clean_note(note: str | None) -> str | None:
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise Conflict(f"说明不能超过 {NOTE_MAX} 个字符。")
    return note or None


def upsert_scores(session: Session, model: type[SelfCheckScore | SpotCheckScore | DeptScore], rows: list[dict[str, Any]]) -> None:
    """Insert or replace score rows keyed by (round_id, unit_id, indicator_code) in one statement
    (SQLAlchemy Core executemany; ON CONFLICT on both SQLite and PostgreSQL)."""
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(model)
    cols = [c for c in rows[0] if c not in ("round_id", "unit_id", "indicator_code")]
    stmt = stmt.on_conflict_do_update(
        index_elements=["round_id", "unit_id", "indicator_code"],
        set_={c: getattr(stmt.excluded, c) for c in cols},
    )
    session.execute(stmt, rows)


def _now() -> datetime:
    from assess.models.base import utcnow

    return utcnow()


# -- entry, submission ----------------------------------------------------------------------------


def enter_score(
    db: Database,
    actor: Actor,
    round_id: int,
    unit_code: str,
    indicator_code: str,
    value: float | str,
    note: str | None = None,
) -> float:
    """Record (or correct) a unit's self-check value for one leaf indicator. Only while the round
    is 自查中 and the unit has not submitted. Returns the stored value."""

    from assess.models import SelfCheckScore

    authorize(actor, "selfcheck.enter")
    note = clean_note(note)
    with db.write() as s:
        r = lock_round(s, round_id)
        require_stage(r, Stage.SELFCHECK_OPEN, doing="录入自查得分")
        unit, ru = round_unit(s, round_id, unit_code)
        if ru.submitted_at is not None:
            raise Conflict(f"单位 {unit.code}（{unit.name}）的自查已提交，不能再修改；如需更正请先退回自查。")
        ind = applicable_leaf(round_scheme(s, r), unit.category, indicator_code)
        number = parse_value(ind, value)
        store_value(s, actor.username, "selfcheck.enter", SelfCheckScore, round_id, unit, ind.code, number, note)
        return number


def store_value(s: Session, actor_name: str, action: str, model: type[SelfCheckScore | SpotCheckScore],
                round_id: int, unit: Unit, indicator_code: str,
                number: float, note: str | None, **extra: Any) -> None:
    """Upsert one raw value (self-check or verified) and audit it with the value it replaced."""
    from sqlmodel import select

    old = s.exec(
        select(model.value).where(
            model.round_id == round_id, model.unit_id == unit.id, model.indicator_code == indicator_code
        )
    ).first()
    upsert_scores(s, model, [{"round_id": round_id, "unit_id": unit.id, "indicator_code": indicator_code,
                              "value": number, "note": note, "updated_at": _now(), **extra}])
    audit.append(s, actor_name, action, {"round_id": round_id, "unit": unit.code, "indicator": indicator_code,
                                         "value": number, "note": note, "previous": old})


def missing_indicators(s: Session, r: Round, unit: Unit, model: type[SelfCheckScore | SpotCheckScore]) -> list[str]:
    from sqlmodel import select

    have = set(
        s.exec(select(model.indicator_code).where(model.round_id == r.id, model.unit_id == unit.id)).all()
    )
    return [i.code for i in round_scheme(s, r).leaves_for(unit.category) if i.code not in have]


def submit(db: Database, actor: Actor, round_id: int, unit_code: str) -> None:
    """Mark a unit's self-check as submitted; refused while any applicable indicator is empty."""
    submit_units(db, actor, round_id, [unit_code])


def submit_units(db: Database, actor: Actor, round_id: int, unit_codes: list[str] | None) -> list[str]:
    """Submit several units' self-checks in one transaction, all or none (``None``: every unit
    of the round not yet submitted). Returns the codes submitted, each audited on its own."""
    from assess.models import SelfCheckScore

    authorize(actor, "selfcheck.submit")
    done: list[str] = []
    with db.write() as s:
        r = lock_round(s, round_id)
        require_stage(r, Stage.SELFCHECK_OPEN, doing="提交自查")
        if unit_codes is None:
            unit_codes = [u.code for u, ru in participants(s, round_id) if ru.submitted_at is None]
        for unit_code in unit_codes:
            unit, ru = round_unit(s, round_id, unit_code)
            if ru.submitted_at is not None:
                raise Conflict(
                    f"单位 {unit.code}（{unit.name}）的自查已于 {ru.submitted_at:%Y-%m-%d %H:%M} 提交。"
                )
            missing = missing_indicators(s, r, unit, SelfCheckScore)
            if missing:
                shown = "、".join(missing[:20]) + ("……" if len(missing) > 20 else "")
                raise Conflict(f"单位 {unit.code}（{unit.name}）尚有 {len(missing)} 项指标未填：{shown}。")
            _mark_submitted(s, actor, round_id, unit, ru)
            done.append(unit.code)
    return done


def _mark_submitted(s: Session, actor: Actor, round_id: int, unit: Unit, ru: RoundUnit) -> None:
    ru.submitted_at = _now()
    s.add(ru)
    audit.append(s, actor.username, "selfcheck.submit", {"round_id": round_id, "unit": unit.code})


@dataclass
class BulkSubmit:
    submitted: list[str]  # unit codes submitted now
    incomplete: list[tuple[str, str, int]]  # (code, name, indicators still empty), not submitted
    already: int  # units submitted before


def submit_complete(db: Database, actor: Actor, round_id: int) -> BulkSubmit:
    """Submit, in one transaction, the self-check of every participant whose applicable indicators
    are all filled and that is not yet submitted (one ``selfcheck.submit`` audit record each, as
    ``submit``); the incomplete ones are listed, not submitted."""
    from assess.models import SelfCheckScore

    authorize(actor, "selfcheck.submit")
    with db.write() as s:
        r = lock_round(s, round_id)
        require_stage(r, Stage.SELFCHECK_OPEN, doing="提交自查")
        result = BulkSubmit([], [], 0)
        for unit, ru in participants(s, round_id):
            if ru.submitted_at is not None:
                result.already += 1
                continue
            missing = missing_indicators(s, r, unit, SelfCheckScore)
            if missing:
                result.incomplete.append((unit.code, unit.name, len(missing)))
                continue
            _mark_submitted(s, actor, round_id, unit, ru)
            result.submitted.append(unit.code)
        return result


def reopen(db: Database, actor: Actor, round_id: int, unit_code: str, reason: str) -> None:
    """Take back a unit's submission (退回自查) so its values can be corrected, with a reason."""
    reopen_units(db, actor, round_id, [unit_code], reason)


def reopen_units(
    db: Database, actor: Actor, round_id: int, unit_codes: list[str] | None, reason: str
) -> list[str]:
    """Take back several units' submissions in one transaction, all or none (``None``: every
    submitted unit of the round), one ``selfcheck.reopen`` audit record each with the same reason.
    Returns the codes taken back."""
    authorize(actor, "selfcheck.submit")
    reason = (reason or "").strip()
    if not reason:
        raise Conflict("退回自查需要填写理由。")
    done: list[str] = []
    with db.write() as s:
        r = lock_round(s, round_id)
        require_stage(r, Stage.SELFCHECK_OPEN, doing="退回自查")
        if unit_codes is None:
            unit_codes = [u.code for u, ru in participants(s, round_id) if ru.submitted_at is not None]
        for unit_code in unit_codes:
            unit, ru = round_unit(s, round_id, unit_code)
            if ru.submitted_at is None:
                raise Conflict(f"单位 {unit.code}（{unit.name}）的自查尚未提交。")
            ru.submitted_at = None
            s.add(ru)
            audit.append(
                s, actor.username, "selfcheck.reopen", {"round_id": round_id, "unit": unit.code, "reason": reason}
            )
            done.append(unit.code)
    return done


# -- import ---------------------------------------------------------------------------------------


def import_scores(db: Database, actor: Actor, round_id: int, path: str | Path, kind: str = "self") -> int:
    """Import ``unit_code,indicator_code,score[,note]`` rows (CSV or XLSX; the columns of our
    template are accepted and ignored). Every problem is reported with line and field and nothing
    is written; otherwise all rows are stored (replacing earlier values) in one transaction.
    ``kind="verified"``: inspectors' verified scores for drawn units. Returns the count of values
    stored.

    So that the all-units template (``export_template``, which carries what is already entered)
    imports back as it is: a row whose score and note are both empty is left out (the indicator
    stays as it is); a row of a unit whose self-check is submitted is left out when it equals the
    stored value and note, and refused when it differs (take the submission back first)."""
    from sqlmodel import select

    from assess.models import SelfCheckScore, SpotCheckScore, Unit

    if kind not in KINDS:
        raise Conflict(f"未知的得分类型“{kind}”。")
    authorize(actor, "selfcheck.import" if kind == "self" else "spotcheck.import")
    table = read_table(path, ["unit_code", "indicator_code", "score"], ["note", *TEMPLATE_INFO_COLUMNS])
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    with db.write() as s:
        r = lock_round(s, round_id)
        if kind == "self":
            require_stage(r, Stage.SELFCHECK_OPEN, doing="导入自查得分")
        else:
            require_stage(r, Stage.SPOTCHECK_DRAWN, doing="导入核查得分")
        scheme = round_scheme(s, r)
        units = {u.code: (u, ru) for u, ru in participants(s, round_id)}
        known = set(s.exec(select(Unit.code)).all())
        drawn: set[str] = set()
        if kind == "verified":
            drawn = set(inspected_codes(active_draw(s, round_id)))
        stored = {(sc.unit_id, sc.indicator_code): (sc.value, sc.note)
                  for sc in s.exec(select(SelfCheckScore).where(SelfCheckScore.round_id == round_id)).all()}
        leaves: dict[str, dict[str, IndicatorDef]] = {}
        problems: list[InputProblem] = ProblemList()
        seen: dict[tuple[str, str], int] = {}
        rows: list[dict[str, Any]] = []
        now = _now()

        def bad(row: Row, fld: str, msg: str) -> None:
            problems.append(InputProblem(table.file, row.line, fld, msg))

        for row in table.rows:
            code, icode = row.get("unit_code"), row.get("indicator_code")
            unit = None
            if not code:
                bad(row, "unit_code", "不能为空")
            elif code not in units:
                bad(
                    row,
                    "unit_code",
                    f"单位“{code}”不存在" if code not in known else f"单位“{code}”不在本考核轮次中",
                )
            else:
                unit, ru = units[code]
                if kind == "verified" and code not in drawn:
                    bad(row, "unit_code", f"单位“{code}”不是本轮抽取的核查单位")
                    unit = None
            ind = None
            if not icode:
                bad(row, "indicator_code", "不能为空")
            elif unit is not None:
                cat = leaves.setdefault(unit.category, {i.code: i for i in scheme.leaves_for(unit.category)})
                ind = cat.get(icode)
                if ind is None:
                    try:
                        applicable_leaf(scheme, unit.category, icode)
                    except (Conflict, NotFound) as e:
                        bad(row, "indicator_code", str(e).rstrip("。"))
            raw = row.get("score")
            note = row.get("note") or None
            if not raw and not note:
                continue  # left blank: nothing to store for this indicator
            value = None
            if not raw:
                bad(row, "score", "不能为空")
            elif ind is not None:
                try:
                    value = parse_value(ind, raw)
                except Conflict as e:
                    bad(row, "score", str(e).rstrip("。"))
            if note and len(note) > NOTE_MAX:
                bad(row, "note", f"超过 {NOTE_MAX} 个字符")
                value = None
            if kind == "self" and unit is not None and ru.submitted_at is not None and value is not None:
                assert ind is not None  # a value is parsed only against its indicator
                if stored.get((unit.id, ind.code)) == (value, clean_note(note)):
                    continue  # a submitted unit's value as it stands: nothing to do
                bad(row, "score", f"单位“{code}”的自查已提交，不能修改（请先退回自查）")
                value = None
            if unit is not None and ind is not None:
                key = (code, icode)
                if key in seen:
                    bad(row, "indicator_code", f"单位“{code}”的指标“{icode}”与第 {seen[key]} 行重复")
                    continue
                seen[key] = row.line
            if unit is not None and ind is not None and value is not None:
                item = {
                    "round_id": round_id,
                    "unit_id": unit.id,
                    "indicator_code": ind.code,
                    "value": value,
                    "note": note,
                    "updated_at": now,
                }
                if kind == "verified":
                    item["inspector"] = actor.username
                rows.append(item)
        if problems:
            raise InputErrors(problems)
        if not table.rows:
            raise InputErrors([InputProblem(table.file, None, None, "没有数据行")])
        if not rows:
            return 0  # every row blank or as already stored: nothing changes
        model = SelfCheckScore if kind == "self" else SpotCheckScore
        upsert_scores(s, model, rows)
        per_unit: dict[str, int] = {}
        for code, _i in seen:
            per_unit[code] = per_unit.get(code, 0) + 1
        audit.append(
            s,
            actor.username,
            "selfcheck.import" if kind == "self" else "spotcheck.import",
            {
                "round_id": round_id,
                "file": Path(path).name,
                "sha256": digest,
                "count": len(rows),
                "units": per_unit,
            },
        )
        return len(rows)


# -- template -------------------------------------------------------------------------------------


def export_template(
    db: Database, round_id: int, unit_code: str | None, path: str | Path, kind: str = "self"
) -> Path:
    """An XLSX to send to a department (or, ``kind="verified"``, to the inspection team): one row
    per applicable leaf indicator with code, name, method, max and evidence, and empty ``score``
    and ``note`` columns. The file imports as it is once filled. ``unit_code=None``: every
    participant (verified: every drawn unit)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    if kind not in KINDS:
        raise Conflict(f"未知的得分类型“{kind}”。")
    with db.read() as s:
        r = get_round(s, round_id)
        scheme = round_scheme(s, r)
        if unit_code:
            units = [round_unit(s, round_id, unit_code)[0]]
        else:
            units = [u for u, _ru in participants(s, round_id)]
        from sqlmodel import select

        from assess.models import SelfCheckScore, SpotCheckScore

        self_values: dict[tuple[int | None, str], float] = {}
        # What is already entered goes into score and note, so the file imports back as it is.
        model = SelfCheckScore if kind == "self" else SpotCheckScore
        entered = {(sc.unit_id, sc.indicator_code): (sc.value, sc.note)
                   for sc in s.exec(select(model).where(model.round_id == round_id)).all()}
        submitted = {u.code for u, ru in participants(s, round_id) if ru.submitted_at is not None}
        if kind == "verified":
            drawn = set(inspected_codes(active_draw(s, round_id)))
            if unit_code and units[0].code not in drawn:
                raise Conflict(f"单位“{units[0].code}”不是本轮抽取的核查单位。")
            units = [u for u in units if u.code in drawn]
            if not units:
                raise Conflict("本轮尚未抽取核查单位。")
            for sc in s.exec(select(SelfCheckScore).where(SelfCheckScore.round_id == round_id)).all():
                self_values[(sc.unit_id, sc.indicator_code)] = sc.value
    wb = Workbook()
    ws = wb.active
    ws.title = "自查表" if kind == "self" else "核查表"
    header = ["unit_code", "unit_name", "indicator_code", "indicator_name", "method", "max", "evidence"]
    if kind == "verified":
        header.append("self_score")
    header += ["score", "note"]
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for u in units:
        for ind in scheme.leaves_for(u.category):
            method = METHOD_HINTS.get(ind.method or "", ind.method or "")
            if ind.method == Method.RATIO and ind.target:
                method += f"，目标 {ind.target:g}%"
            values: list[Any] = [u.code, u.name, ind.code, ind.name, method, ind.max, ind.evidence or ""]
            if kind == "verified":
                values.append(self_values.get((u.id, ind.code)))
            values += list(entered.get((u.id, ind.code), (None, None)))
            ws.append([safe_cell(v) for v in values])
    for col, width in zip("ABCDEFGHIJ", (10, 18, 10, 36, 26, 6, 30, 10, 10, 30), strict=False):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"
    info = wb.create_sheet("填写说明")
    lines = [
        f"考核轮次：{r.name}（{r.period}）",
        f"考核方案：{scheme.name}",
        "请只填写 score（得分）和 note（说明）两列，其余列不要改动；保存为 .xlsx 后交回导入。",
        "导出时已录入的得分和说明已填在表中；score 和 note 都空的行导入时跳过（该指标保持原样）。",
        *([f"以下单位的自查已提交，其行导入时与系统中一致则跳过，改动则整份文件不导入（须先退回自查）："
           f"{'、'.join(sorted(submitted))}"] if kind == "self" and submitted else []),
        "method 列说明各指标的填写方法：得分项填得分，扣分项填扣除的分数，加分项填加分，比率项填百分比，一票否决项填 0 或 1。",
        "max 列为该指标的满分（扣分项为起始分，加分项为上限）；evidence 列为需要提供的佐证材料。",
        "导入时任何一行有错都不会导入，系统会列出每处错误的行号和列名。",
    ]
    for line in lines:
        info.append([safe_cell(line)])
    info.column_dimensions["A"].width = 100

    path = Path(path).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    wb.save(path)
    return make_private(path)


# -- views ----------------------------------------------------------------------------------------


def completeness(db: Database, round_id: int, kind: str = "self") -> list[Completeness]:
    """Per participant: applicable indicators filled / required, and whether submitted.
    ``kind="verified"``: the inspected units only, counting verified values."""
    from sqlmodel import select

    from assess.models import SelfCheckScore, SpotCheckScore

    if kind not in KINDS:
        raise Conflict(f"未知的得分类型“{kind}”。")
    model = SelfCheckScore if kind == "self" else SpotCheckScore
    with db.read() as s:
        r = get_round(s, round_id)
        scheme = round_scheme(s, r)
        have: dict[int, set[str]] = {}
        for unit_id, code in s.exec(
            select(model.unit_id, model.indicator_code).where(model.round_id == round_id)
        ).all():
            have.setdefault(unit_id, set()).add(code)
        units = participants(s, round_id)
        if kind == "verified":
            order = {c: i for i, c in enumerate(inspected_codes(active_draw(s, round_id)))}
            units = sorted((x for x in units if x[0].code in order), key=lambda x: order[x[0].code])
        required: dict[str, set[str]] = {}
        out = []
        for u, ru in units:
            req = required.setdefault(u.category, {i.code for i in scheme.leaves_for(u.category)})
            done = kind == "self" and ru.submitted_at is not None
            out.append(
                Completeness(
                    u.code,
                    u.name,
                    u.category,
                    len(req & have.get(u.id, set())),
                    len(req),
                    done,
                    ru.submitted_at if done else None,
                )
            )
        return out


def unit_sheet(db: Database, round_id: int, unit_code: str) -> list[SheetRow]:
    """The applicable leaf indicators of a unit with its self-check and verified values."""
    from sqlmodel import select

    from assess.models import SelfCheckScore, SpotCheckScore

    with db.read() as s:
        r = get_round(s, round_id)
        unit, _ru = round_unit(s, round_id, unit_code)
        scheme = round_scheme(s, r)
        own = {
            x.indicator_code: x
            for x in s.exec(
                select(SelfCheckScore).where(
                    SelfCheckScore.round_id == round_id, SelfCheckScore.unit_id == unit.id
                )
            ).all()
        }
        ver = {
            x.indicator_code: x
            for x in s.exec(
                select(SpotCheckScore).where(
                    SpotCheckScore.round_id == round_id, SpotCheckScore.unit_id == unit.id
                )
            ).all()
        }
    out = []
    for ind in scheme.leaves_for(unit.category):
        a, b = own.get(ind.code), ver.get(ind.code)
        out.append(
            SheetRow(
                ind.code,
                ind.name,
                ind.method or "",
                ind.max,
                ind.target,
                ind.evidence,
                a.value if a else None,
                a.note if a else None,
                b.value if b else None,
                b.note if b else None,
            )
        )
    return out
