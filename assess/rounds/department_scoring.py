"""职能部门评分 (scoring by the responsible department) and 合理缺项 (exemptions).

- A scheme may name the scoring unit of an indicator: ``scorer = "czj"`` (a unit code; on a group
  indicator it holds for every leaf below it unless a leaf names its own). The scorer enters that
  indicator's raw value for every assessed unit of the round (``enter_dept_score``); the engine
  scores that value for the indicator, not the self-check or verified value. An account bound to a
  unit (``assess user add --unit``, ``users.set_unit``; audited as ``user.add``/``user.unit``)
  enters only the indicators its unit scores; an account of the office (no unit) enters all.
  Entry is open from 自查中 up to 已抽取核查单位; ``progress`` counts per scorer how many of its
  unit × indicator cells are done, and ``stage_blockers`` keeps the round at 已抽取核查单位 while a
  scorer has cells left (“财政局：12 项未评分”).
- 合理缺项: a unit may be exempted from a leaf indicator with a reason (``request_exemption``); it
  counts only once another user with the approval right approves it (``decide_exemption``, two
  steps, both audited). The scheme states how an approved exemption counts (``exempt_rule``):
  ``rescale`` leaves the indicator out of the unit's full marks, so the indicator component is
  100 × Σ points / (full − exempt full) — e.g. 76 of 95 with a 5-point exemption → 80.00;
  ``full`` counts it at its full marks. The engine (``assess/scoring/engine.py``) is the one place
  that applies it; the component is not rounded on its own, the composite is rounded half up to
  the scheme's precision as always. A scheme without ``exempt_rule`` allows no exemptions.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal, overload

from assess.foundation import audit
from assess.foundation.accounts import authorize
from assess.foundation.errors import (
    Conflict,
    InputErrors,
    InputProblem,
    NotFound,
    PermissionDenied,
    ProblemList,
)
from assess.foundation.input_tables import read_table
from assess.foundation.roles import Actor
from assess.foundation.vocabulary import EXEMPTION_STATUS_LABELS, ExemptionStatus, Method, Stage
from assess.foundation.write_guards import get_round
from assess.rounds.lifecycle import lock_round, participants, require_stage, round_scheme, round_unit
from assess.rounds.scoring_rows import approved_exemptions
from assess.rounds.selfcheck import NOTE_MAX, applicable_leaf, clean_note, parse_value, upsert_scores
from assess.schemes.definition import leaf_scorers

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from sqlmodel import Session

    from assess.foundation.db import Database
    from assess.foundation.input_tables import Row
    from assess.models import Round

# Stages in which the scorers enter their scores: from 自查中 until the scores are final.
ENTRY_STAGES = (Stage.SELFCHECK_OPEN, Stage.SELFCHECK_CLOSED, Stage.SPOTCHECK_DRAWN)
# Stages in which exemptions are requested and decided: before the results go to review.
EXEMPTION_STAGES = (
    Stage.DRAFT,
    Stage.SELFCHECK_OPEN,
    Stage.SELFCHECK_CLOSED,
    Stage.SPOTCHECK_DRAWN,
    Stage.SPOTCHECK_DONE,
    Stage.APPRAISAL_CERTIFIED,
    Stage.COMPUTED,
)
EXEMPT_RULE_LABELS = {"rescale": "按其余指标满分折算为百分制", "full": "按该项满分计"}
REASON_MAX = 2000


# -- the scheme ---------------------------------------------------------------------------------------


def _unit_names(s: Session, codes: Iterable[str]) -> dict[str, str]:
    from sqlmodel import col, select

    from assess.models import Unit

    codes = list(set(codes))
    if not codes:
        return {}
    return dict(s.exec(select(Unit.code, Unit.name).where(col(Unit.code).in_(codes))).all())


def actor_unit(s: Session, actor: Actor) -> str | None:
    """The unit the actor's account is bound to, read from the account (not trusted from the Actor)."""
    from sqlmodel import select

    from assess.models import User

    return s.exec(select(User.unit_code).where(User.username == actor.username)).first()


def _now() -> datetime:
    from assess.models.base import utcnow

    return utcnow()


# -- department scores --------------------------------------------------------------------------------


def enter_dept_score(
    db: Database,
    actor: Actor,
    round_id: int,
    unit_code: str,
    indicator_code: str,
    value: float | str,
    note: str | None = None,
) -> float:
    """The scoring department's raw value of one indicator for one assessed unit (or the office's,
    for any department). Returns the stored value."""
    from sqlmodel import select

    from assess.models import DeptScore

    authorize(actor, "score.enter")
    note = clean_note(note)
    with db.write() as s:
        r = lock_round(s, round_id)
        require_stage(r, *ENTRY_STAGES, doing="录入职能部门评分")
        unit, _ru = round_unit(s, round_id, unit_code)
        scheme = round_scheme(s, r)
        ind = applicable_leaf(scheme, unit.category, indicator_code)
        scorer = leaf_scorers(scheme).get(ind.code)
        if scorer is None:
            raise Conflict(f"指标 {ind.code}（{ind.name}）不由职能部门评分：按自查和核查计分。")
        bound = actor_unit(s, actor)
        if bound and bound != scorer:
            names = _unit_names(s, [bound, scorer])
            raise PermissionDenied(
                f"用户“{actor.username}”属于{names.get(bound, bound)}，只能录入本单位负责评分的指标；"
                f"指标 {ind.code}（{ind.name}）由{names.get(scorer, scorer)}评分。"
            )
        number = parse_value(ind, value)
        old = s.exec(
            select(DeptScore.value).where(
                DeptScore.round_id == round_id,
                DeptScore.unit_id == unit.id,
                DeptScore.indicator_code == ind.code,
            )
        ).first()
        upsert_scores(
            s,
            DeptScore,
            [
                {
                    "round_id": round_id,
                    "unit_id": unit.id,
                    "indicator_code": ind.code,
                    "value": number,
                    "note": note,
                    "scorer": scorer,
                    "entered_by": actor.username,
                    "updated_at": _now(),
                }
            ],
        )
        audit.append(
            s,
            actor.username,
            "score.enter",
            {
                "round_id": round_id,
                "unit": unit.code,
                "indicator": ind.code,
                "scorer": scorer,
                "value": number,
                "note": note,
                "previous": old,
            },
        )
        return number


def import_dept_scores(db: Database, actor: Actor, round_id: int, path: str | Path) -> int:
    """Import ``unit_code,indicator_code,score[,note]`` rows (CSV or XLSX) of department scores, all
    or nothing: every problem is reported with file, line and field and nothing is written. A bound
    account's rows must all be indicators its unit scores. Returns the count of values stored."""

    from assess.models import DeptScore, Unit

    authorize(actor, "score.enter")
    table = read_table(path, ["unit_code", "indicator_code", "score"], ["note"])
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    from sqlmodel import select

    with db.write() as s:
        r = lock_round(s, round_id)
        require_stage(r, *ENTRY_STAGES, doing="导入职能部门评分")
        scheme = round_scheme(s, r)
        scorers = leaf_scorers(scheme)
        bound = actor_unit(s, actor)
        units = {u.code: u for u, _ru in participants(s, round_id)}
        known = set(s.exec(select(Unit.code)).all())
        applicable: dict[str, dict] = {}
        problems = ProblemList()
        seen: dict[tuple[str, str], int] = {}
        rows = []
        now = _now()

        def bad(row: Row, fld: str, msg: str) -> None:
            problems.append(InputProblem(table.file, row.line, fld, msg))

        for row in table.rows:
            code, icode, raw = row.get("unit_code"), row.get("indicator_code"), row.get("score")
            note = row.get("note") or None
            unit = units.get(code or "")
            if not code:
                bad(row, "unit_code", "不能为空")
            elif unit is None:
                bad(
                    row,
                    "unit_code",
                    f"单位“{code}”不存在" if code not in known else f"单位“{code}”不在本考核轮次中",
                )
            ind = None
            if not icode:
                bad(row, "indicator_code", "不能为空")
            elif unit is not None:
                leaves = applicable.setdefault(
                    unit.category, {i.code: i for i in scheme.leaves_for(unit.category)}
                )
                ind = leaves.get(icode)
                if ind is None:
                    bad(
                        row,
                        "indicator_code",
                        f"指标“{icode}”不适用于单位“{code}”（类别“{unit.category}”）或不是末级指标",
                    )
                elif icode not in scorers:
                    bad(row, "indicator_code", f"指标“{icode}”不由职能部门评分")
                    ind = None
                elif bound and scorers[icode] != bound:
                    bad(
                        row,
                        "indicator_code",
                        f"指标“{icode}”由单位“{scorers[icode]}”评分，本账户属于“{bound}”",
                    )
                    ind = None
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
            if unit is not None and ind is not None:
                if (code, icode) in seen:
                    bad(
                        row, "indicator_code", f"单位“{code}”的指标“{icode}”与第 {seen[(code, icode)]} 行重复"
                    )
                    continue
                seen[(code, icode)] = row.line
            if unit is not None and ind is not None and value is not None:
                rows.append(
                    {
                        "round_id": round_id,
                        "unit_id": unit.id,
                        "indicator_code": ind.code,
                        "value": value,
                        "note": note,
                        "scorer": scorers[ind.code],
                        "entered_by": actor.username,
                        "updated_at": now,
                    }
                )
        if problems:
            raise InputErrors(problems)
        if not rows:
            raise InputErrors([InputProblem(table.file, None, None, "没有数据行")])
        upsert_scores(s, DeptScore, rows)
        audit.append(
            s,
            actor.username,
            "score.import",
            {
                "round_id": round_id,
                "file": Path(path).name,
                "sha256": digest,
                "count": len(rows),
                "scorers": sorted({x["scorer"] for x in rows}),
            },
        )
        return len(rows)


@dataclass
class ScorerProgress:
    """How far one scoring unit is: its unit × indicator cells (exempted cells left out)."""

    scorer: str
    scorer_name: str
    indicators: list[str]
    required: int
    done: int
    missing: list[tuple[str, str]] = field(default_factory=list)  # (unit code, indicator code)

    @property
    def left(self) -> int:
        return self.required - self.done

    def as_dict(self) -> dict:
        return {
            "scorer": self.scorer,
            "scorer_name": self.scorer_name,
            "indicators": "、".join(self.indicators),
            "required": self.required,
            "done": self.done,
            "left": self.left,
        }


def round_progress(s: Session, r: Round) -> list[ScorerProgress]:
    """``progress`` inside the caller's transaction."""
    from sqlmodel import select

    from assess.models import DeptScore

    assert r.id is not None  # a stored round has its id
    scheme = round_scheme(s, r)
    scorers = leaf_scorers(scheme)
    if not scorers:
        return []
    have = set(
        s.exec(select(DeptScore.unit_id, DeptScore.indicator_code).where(DeptScore.round_id == r.id)).all()
    )
    exempt = approved_exemptions(s, r.id)
    per: dict[str, ScorerProgress] = {}
    names = _unit_names(s, scorers.values())
    for code in dict.fromkeys(scorers.values()):
        inds = [c for c, x in scorers.items() if x == code]
        per[code] = ScorerProgress(code, names.get(code, f"单位 {code}"), inds, 0, 0)
    leaves_by_cat: dict[str, list[str]] = {}
    for unit, _ru in participants(s, r.id):
        leaves = leaves_by_cat.setdefault(unit.category, [i.code for i in scheme.leaves_for(unit.category)])
        for code in leaves:
            scorer = scorers.get(code)
            if scorer is None or (unit.id, code) in exempt:
                continue
            p = per[scorer]
            p.required += 1
            if (unit.id, code) in have:
                p.done += 1
            else:
                p.missing.append((unit.code, code))
    return list(per.values())


def progress(db: Database, round_id: int) -> list[ScorerProgress]:
    """Per scoring unit of the round's scheme: cells required and done."""
    with db.read() as s:
        return round_progress(s, get_round(s, round_id))


def stage_blockers(s: Session, r: Round) -> list[str]:
    """“财政局：12 项未评分” for every scorer with cells left."""
    return [f"{p.scorer_name}：{p.left} 项未评分" for p in round_progress(s, r) if p.left]


@dataclass
class DeptCell:
    unit_code: str
    unit_name: str
    category: str
    indicator_code: str
    indicator_name: str
    method: str
    max: float
    scorer: str
    value: float | None
    note: str | None
    exempt: bool

    def as_dict(self) -> dict:
        return {
            "unit_code": self.unit_code,
            "unit_name": self.unit_name,
            "indicator_code": self.indicator_code,
            "indicator_name": self.indicator_name,
            "max": self.max,
            "scorer": self.scorer,
            "value": "" if self.value is None else self.value,
            "status": "合理缺项" if self.exempt else ("已评分" if self.value is not None else "未评分"),
        }


def sheet(
    db: Database, round_id: int, username: str | None = None, scorer: str | None = None
) -> list[DeptCell]:
    """The unit × indicator cells to be scored by departments: those of ``scorer``, or of the unit
    the account ``username`` is bound to (an office account sees every scorer's cells)."""
    from sqlmodel import select

    from assess.models import DeptScore, User

    with db.read() as s:
        r = get_round(s, round_id)
        scheme = round_scheme(s, r)
        scorers = leaf_scorers(scheme)
        if username is not None and scorer is None:
            scorer = s.exec(select(User.unit_code).where(User.username == username)).first()
        rows = {
            (x.unit_id, x.indicator_code): x
            for x in s.exec(select(DeptScore).where(DeptScore.round_id == round_id)).all()
        }
        exempt = approved_exemptions(s, round_id)
        out = []
        for unit, _ru in participants(s, round_id):
            for ind in scheme.leaves_for(unit.category):
                who = scorers.get(ind.code)
                if who is None or (scorer and who != scorer):
                    continue
                x = rows.get((unit.id, ind.code))
                out.append(
                    DeptCell(
                        unit.code,
                        unit.name,
                        unit.category,
                        ind.code,
                        ind.name,
                        ind.method or "",
                        ind.max,
                        who,
                        x.value if x else None,
                        x.note if x else None,
                        (unit.id, ind.code) in exempt,
                    )
                )
    return out


# -- 合理缺项 ------------------------------------------------------------------------------------------


@dataclass
class ExemptionRow:
    id: int
    unit_code: str
    unit_name: str
    indicator_code: str
    indicator_name: str
    max: float
    reason: str
    status: str
    status_label: str
    requested_by: str
    requested_at: datetime | None
    decided_by: str | None
    decision_note: str | None

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "unit_code": self.unit_code,
            "unit_name": self.unit_name,
            "indicator_code": self.indicator_code,
            "indicator_name": self.indicator_name,
            "max": self.max,
            "reason": self.reason,
            "status": self.status_label,
            "requested_by": self.requested_by,
            "decided_by": self.decided_by or "",
            "decision_note": self.decision_note or "",
        }


@overload
def _clean(text: str | None, what: str, required: Literal[True]) -> str: ...
@overload
def _clean(text: str | None, what: str, required: bool) -> str | None: ...
def _clean(text: str | None, what: str, required: bool) -> str | None:
    text = (text or "").strip()
    if required and not text:
        raise Conflict(f"{what}不能为空。")
    if len(text) > REASON_MAX:
        raise Conflict(f"{what}不能超过 {REASON_MAX} 个字符。")
    return text or None


def request_exemption(
    db: Database, actor: Actor, round_id: int, unit_code: str, indicator_code: str, reason: str
) -> int:
    """Ask for a unit to be exempt from a leaf indicator (合理缺项); pending until approved."""
    from sqlmodel import col, select

    from assess.models import Exemption

    authorize(actor, "exemption.request")
    reason = _clean(reason, "合理缺项的理由", True)
    with db.write() as s:
        r = lock_round(s, round_id)
        require_stage(r, *EXEMPTION_STAGES, doing="申请合理缺项")
        scheme = round_scheme(s, r)
        if not scheme.exempt_rule:
            raise Conflict(
                f"考核方案“{scheme.name}”没有规定合理缺项的折算办法（exempt_rule），不能申请合理缺项。"
            )
        unit, _ru = round_unit(s, round_id, unit_code)
        assert unit.id is not None  # a stored row has its id
        ind = applicable_leaf(scheme, unit.category, indicator_code)
        if ind.method not in (Method.POINTS, Method.DEDUCT, Method.RATIO):
            raise Conflict(f"指标 {ind.code}（{ind.name}）是加分或一票否决项，不计入满分，无须申请合理缺项。")
        open_ = s.exec(
            select(Exemption.status).where(
                col(Exemption.round_id) == round_id,
                col(Exemption.unit_id) == unit.id,
                col(Exemption.indicator_code) == ind.code,
                col(Exemption.status).in_((ExemptionStatus.PENDING, ExemptionStatus.APPROVED)),
            )
        ).first()
        if open_ is not None:
            raise Conflict(
                f"单位 {unit.code} 的指标 {ind.code} 已有{EXEMPTION_STATUS_LABELS[open_]}的合理缺项申请。"
            )
        leaves = [
            i
            for i in scheme.leaves_for(unit.category)
            if i.method in (Method.POINTS, Method.DEDUCT, Method.RATIO)
        ]
        others = approved_exemptions(s, round_id)
        left = [i for i in leaves if i.code != ind.code and (unit.id, i.code) not in others]
        if not left:
            raise Conflict(f"单位 {unit.code} 除此之外已没有计分指标：不能把全部指标列为合理缺项。")
        x = Exemption(
            round_id=round_id,
            unit_id=unit.id,
            indicator_code=ind.code,
            reason=reason,
            requested_by=actor.username,
        )
        s.add(x)
        s.flush()
        assert x.id is not None  # flushed: the row has its id
        audit.append(
            s,
            actor.username,
            "exemption.request",
            {
                "round_id": round_id,
                "exemption_id": x.id,
                "unit": unit.code,
                "indicator": ind.code,
                "max": ind.max,
                "reason": reason,
            },
        )
        return x.id


def decide_exemption(
    db: Database, actor: Actor, exemption_id: int, approve: bool, note: str | None = None
) -> str:
    """Approve or reject a pending exemption; the approver must not be the requester."""
    from assess.models import Exemption, Unit

    authorize(actor, "exemption.decide")
    note = _clean(note, "审批意见", not approve)
    with db.write() as s:
        x = s.get(Exemption, exemption_id)
        if x is None:
            raise NotFound(f"合理缺项申请 #{exemption_id} 不存在。")
        r = lock_round(s, x.round_id)
        require_stage(r, *EXEMPTION_STAGES, doing="审批合理缺项")
        if x.status != ExemptionStatus.PENDING:
            raise Conflict(
                f"合理缺项申请 #{exemption_id} 已{EXEMPTION_STATUS_LABELS.get(x.status, x.status)}（{x.decided_by}）。"
            )
        if x.requested_by == actor.username:
            raise Conflict("合理缺项须由申请人以外的另一名用户审批。")
        x.status = ExemptionStatus.APPROVED if approve else ExemptionStatus.REJECTED
        x.decided_by = actor.username
        x.decided_at = _now()
        x.decision_note = note
        s.add(x)
        unit = s.get(Unit, x.unit_id)
        audit.append(
            s,
            actor.username,
            "exemption.decide",
            {
                "round_id": x.round_id,
                "exemption_id": x.id,
                "unit": unit.code if unit else x.unit_id,
                "indicator": x.indicator_code,
                "decision": x.status,
                "note": note,
            },
        )
        return x.status


def list_exemptions(db: Database, round_id: int) -> list[ExemptionRow]:
    from sqlmodel import col, select

    from assess.models import Exemption, Unit

    with db.read() as s:
        r = get_round(s, round_id)
        scheme = round_scheme(s, r)
        rows = s.exec(
            select(Exemption, Unit)
            .join(Unit, col(Unit.id) == col(Exemption.unit_id))
            .where(col(Exemption.round_id) == round_id)
            .order_by(col(Exemption.id))
        ).all()
    out = []
    for x, u in rows:
        assert x.id is not None  # a stored row has its id
        try:
            ind = scheme.indicator(x.indicator_code)
            name, mx = ind.name, ind.max
        except KeyError:
            name, mx = x.indicator_code, 0.0
        out.append(
            ExemptionRow(
                x.id,
                u.code,
                u.name,
                x.indicator_code,
                name,
                mx,
                x.reason,
                x.status,
                EXEMPTION_STATUS_LABELS.get(x.status, x.status),
                x.requested_by,
                x.requested_at,
                x.decided_by,
                x.decision_note,
            )
        )
    return out
