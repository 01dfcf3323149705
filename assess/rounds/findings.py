"""Findings (问题) and rectification (整改): record a problem, issue a rectification notice
(整改通知书) with a deadline, follow it (整改中 → 已整改) until re-inspection closes it (复查销号).

Nothing is deleted: a wrong finding is corrected by a new finding pointing at it (``corrects_id``;
the ledger shows the newest version), and every status change is a new ``RectificationEvent``.
A rectification's status is its latest event (``open`` before any). Overdue is computed from the
deadline and a ``today`` passed in (tests use a fixed clock): still open or 整改中 after the
deadline. Findings and notices belong to their round and are refused once it is published; the
follow-up of a notice (progress, re-inspection) goes on after publication, as rectification
does in practice, and changes no published figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Literal, overload

from assess.foundation import audit
from assess.foundation.accounts import authorize
from assess.foundation.errors import Conflict, NotFound
from assess.foundation.roles import Actor
from assess.foundation.settings import local_time, local_today
from assess.foundation.vocabulary import RECTIFICATION_STATUS_LABELS, RectificationStatus, Stage
from assess.foundation.write_guards import get_round
from assess.rounds.lifecycle import lock_round, round_scheme, round_unit

if TYPE_CHECKING:
    from sqlmodel import Session

    from assess.foundation.db import Database
    from assess.models import Rectification

SEVERITIES = ("轻微", "一般", "严重")
UPDATE_STATUSES = (RectificationStatus.RECTIFYING, RectificationStatus.RECTIFIED)
TEXT_MAX = 4000


@dataclass
class LedgerRow:
    finding_id: int
    round_id: int
    round_name: str
    unit_code: str
    unit_name: str
    indicator_code: str | None
    severity: str
    description: str
    found_at: datetime
    found_by: str
    corrects_id: int | None
    rectification_id: int | None
    notice_no: str | None
    requirement: str | None
    deadline: date | None
    status: str
    status_label: str
    overdue: bool
    days_overdue: int
    last_note: str | None


@dataclass
class EventRow:
    status: str
    status_label: str
    note: str | None
    at: datetime
    by_user: str


@overload
def _text(value: str | None, what: str, required: Literal[True] = True) -> str: ...
@overload
def _text(value: str | None, what: str, required: bool) -> str | None: ...
def _text(value: str | None, what: str, required: bool = True) -> str | None:
    value = (value or "").strip()
    if required and not value:
        raise Conflict(f"{what}不能为空。")
    if len(value) > TEXT_MAX:
        raise Conflict(f"{what}不能超过 {TEXT_MAX} 个字符。")
    return value or None


def _as_date(value: date | str, what: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise Conflict(f"{what}“{value}”无效，应为 YYYY-MM-DD（如 2026-09-30）。") from None


def local_date(moment: datetime) -> date:
    """The office's calendar date of a stored time (stored in UTC; SQLite returns it naive)."""

    return local_time(moment).date()


PAGE_WIDTH = 72


# -- findings -------------------------------------------------------------------------------------


def add_finding(
    db: Database,
    actor: Actor,
    round_id: int,
    unit_code: str,
    description: str,
    severity: str = "一般",
    indicator_code: str | None = None,
    corrects_id: int | None = None,
) -> int:
    """Record a problem found at a unit (optionally on one indicator). ``corrects_id``: this
    record corrects an earlier finding of the same round (which must not have a notice yet)."""
    from sqlmodel import select

    from assess.models import Finding, Rectification

    authorize(actor, "finding.add")
    description = _text(description, "问题描述")
    severity = (severity or "一般").strip()
    if severity not in SEVERITIES:
        raise Conflict(f"问题等级“{severity}”无效，应为：{'、'.join(SEVERITIES)}。")
    with db.write() as s:
        r = lock_round(s, round_id)
        if r.stage == Stage.DRAFT:
            raise Conflict(f"考核轮次“{r.name}”尚在草稿阶段，不能登记问题。")
        unit, _ru = round_unit(s, round_id, unit_code)
        code = (indicator_code or "").strip() or None
        if code is not None:
            try:
                round_scheme(s, r).indicator(code)
            except KeyError:
                raise NotFound(f"考核方案中没有指标“{code}”。") from None
        if corrects_id is not None:
            old = s.get(Finding, corrects_id)
            if old is None or old.round_id != round_id:
                raise NotFound(f"本轮没有第 {corrects_id} 号问题。")
            newer = s.exec(select(Finding.id).where(Finding.corrects_id == corrects_id)).first()
            if newer is not None:
                raise Conflict(f"第 {corrects_id} 号问题已被第 {newer} 号更正，请更正最新的记录。")
            rect = s.exec(select(Rectification).where(Rectification.finding_id == corrects_id)).first()
            if rect is not None:
                raise Conflict(
                    f"第 {corrects_id} 号问题已下发整改通知 {rect.notice_no}，不能再更正；请在整改进展中说明。"
                )
        assert unit.id is not None  # a stored row has its id
        f = Finding(
            round_id=round_id,
            unit_id=unit.id,
            indicator_code=code,
            description=description,
            severity=severity,
            corrects_id=corrects_id,
            created_by=actor.username,
        )
        s.add(f)
        s.flush()
        audit.append(
            s,
            actor.username,
            "finding.add",
            {
                "finding_id": f.id,
                "round_id": round_id,
                "unit": unit.code,
                "indicator": code,
                "severity": severity,
                "description": description,
                "corrects_id": corrects_id,
            },
        )
        assert f.id is not None  # flushed: the row has its id
        return f.id


# -- rectification --------------------------------------------------------------------------------


def _next_notice_no(s: Session, year: int) -> str:
    from sqlmodel import col, select

    from assess.models import Rectification

    prefix = f"整改〔{year}〕"
    taken = s.exec(select(Rectification.notice_no).where(col(Rectification.notice_no).like(f"{prefix}%"))).all()
    numbers = [int(n[len(prefix) : -1]) for n in taken if n.endswith("号") and n[len(prefix) : -1].isdigit()]
    return f"{prefix}{(max(numbers) if numbers else 0) + 1:03d}号"


def issue_rectification(
    db: Database,
    actor: Actor,
    finding_id: int,
    deadline: date | str,
    requirement: str,
    notice_no: str | None = None,
    today: date | None = None,
) -> int:
    """Issue the rectification notice (整改通知书) for a finding, with a deadline not before
    ``today``. The notice number is 整改〔year〕NNN号 unless given. The notice is dated ``today``
    (the office's date when not given): a notice registered after the fact keeps its issue date,
    so its date never falls after its deadline."""
    return issue_rectifications(db, actor, [finding_id], deadline, requirement, notice_no, today)[0]


def issue_rectifications(
    db: Database,
    actor: Actor,
    finding_ids: list[int],
    deadline: date | str,
    requirement: str,
    notice_no: str | None = None,
    today: date | None = None,
) -> list[int]:
    """``issue_rectification`` for several findings with the same deadline and requirement, in one
    transaction, all or none, one notice (numbered in turn) and one audit record each. A notice
    number may be given only for a single finding. Returns the rectification ids in order."""
    from sqlalchemy.exc import IntegrityError
    from sqlmodel import select

    from assess.models import Finding, Rectification

    authorize(actor, "rectification.issue")
    today = today or local_today()
    deadline = _as_date(deadline, "整改期限")
    if deadline < today:
        raise Conflict(f"整改期限 {deadline.isoformat()} 早于今天（{today.isoformat()}）。")
    requirement = _text(requirement, "整改要求")
    notice_no = (notice_no or "").strip() or None
    if notice_no and len(notice_no) > 64:
        raise Conflict("通知书编号不能超过 64 个字符。")
    if notice_no and len(finding_ids) > 1:
        raise Conflict("一次对多个问题下发通知时不能指定通知书编号（按年度顺序编号）。")
    if len(set(finding_ids)) != len(finding_ids):
        raise Conflict("同一问题在本次下发中出现了不止一次。")
    done: list[int] = []
    try:
        with db.write() as s:
            for finding_id in finding_ids:
                f = s.get(Finding, finding_id)
                if f is None:
                    raise NotFound(f"第 {finding_id} 号问题不存在。")
                lock_round(s, f.round_id)
                newer = s.exec(select(Finding.id).where(Finding.corrects_id == finding_id)).first()
                if newer is not None:
                    raise Conflict(f"第 {finding_id} 号问题已被第 {newer} 号更正，请对最新的记录下发通知。")
                old = s.exec(select(Rectification).where(Rectification.finding_id == finding_id)).first()
                if old is not None:
                    raise Conflict(f"第 {finding_id} 号问题已下发整改通知 {old.notice_no}。")
                number = notice_no or _next_notice_no(s, today.year)
                if s.exec(select(Rectification.id).where(Rectification.notice_no == number)).first() is not None:
                    raise Conflict(f"通知书编号“{number}”已被使用。")
                rect = Rectification(
                    finding_id=finding_id,
                    notice_no=number,
                    requirement=requirement,
                    deadline=deadline,
                    issued_at=_dated(today),
                    issued_by=actor.username,
                )
                s.add(rect)
                s.flush()
                assert rect.id is not None  # flushed: the row has its id
                audit.append(
                    s,
                    actor.username,
                    "rectification.issue",
                    {
                        "rectification_id": rect.id,
                        "finding_id": finding_id,
                        "notice_no": number,
                        "deadline": deadline.isoformat(),
                        "requirement": requirement,
                    },
                )
                done.append(rect.id)
    except IntegrityError:
        raise Conflict("通知书编号与同时下发的另一份通知冲突，请重试。") from None
    return done


def _dated(day: date) -> datetime:
    """Now, moved to ``day`` in the office's time zone (unchanged when ``day`` is today)."""

    from assess.models.base import utcnow

    now = local_time(utcnow())
    if now.date() == day:
        return utcnow()
    return now.replace(year=day.year, month=day.month, day=day.day).astimezone(UTC)


def _locked_rectification(s: Session, rectification_id: int) -> Rectification:
    """The rectification, locked so that concurrent progress and re-inspection apply in turn."""
    from sqlmodel import select

    from assess.models import Rectification

    rect = s.exec(select(Rectification).where(Rectification.id == rectification_id).with_for_update()).first()
    if rect is None:
        raise NotFound(f"第 {rectification_id} 号整改通知不存在。")
    return rect


def _status(s: Session, rect_id: int) -> tuple[str, str | None]:
    from sqlmodel import col, select

    from assess.models import RectificationEvent

    ev = s.exec(
        select(RectificationEvent)
        .where(RectificationEvent.rectification_id == rect_id)
        .order_by(col(RectificationEvent.id).desc())
    ).first()
    return (ev.status, ev.note) if ev is not None else ("open", None)


def _event(s: Session, actor: Actor, rect: Rectification, status: str, note: str | None, action: str) -> None:
    from assess.models import RectificationEvent

    assert rect.id is not None  # a stored row has its id
    s.add(RectificationEvent(rectification_id=rect.id, status=status, note=note, by_user=actor.username))
    s.flush()
    audit.append(
        s,
        actor.username,
        action,
        {"rectification_id": rect.id, "notice_no": rect.notice_no, "status": status, "note": note},
    )


def update_rectification(
    db: Database, actor: Actor, rectification_id: int, status: str, note: str | None = None
) -> str:
    """Record progress: 整改中 (``rectifying``, also for a progress note) or 已整改 (``rectified``,
    the unit reports the problem fixed; re-inspection follows)."""
    return update_rectifications(db, actor, [rectification_id], status, note)[0]


def update_rectifications(
    db: Database, actor: Actor, rectification_ids: list[int], status: str, note: str | None = None
) -> list[str]:
    """``update_rectification`` for several notices in one transaction, all or none, one audit
    record each. Returns the new statuses in order."""
    authorize(actor, "rectification.update")
    if status not in UPDATE_STATUSES:
        raise Conflict(f"整改状态“{status}”无效，应为 rectifying（整改中）或 rectified（已整改）。")
    note = _text(note, "说明", required=status == "rectified")
    done: list[str] = []
    with db.write() as s:
        for rectification_id in rectification_ids:
            rect = _locked_rectification(s, rectification_id)
            current, _n = _status(s, rectification_id)
            if current == "closed":
                raise Conflict(f"整改通知 {rect.notice_no} 已销号，不能再更改。")
            if current == "rectified":
                raise Conflict(f"整改通知 {rect.notice_no} 已报整改完成，等待复查：请由检查员复查销号或退回。")
            _event(s, actor, rect, status, note, "rectification.update")
            done.append(status)
    return done


def close_rectification(
    db: Database, actor: Actor, rectification_id: int, note: str | None = None, passed: bool = True
) -> str:
    """Re-inspection (复查) of a rectification reported as done: passed → 销号 (closed); not
    passed → back to 整改中 with the reason."""
    return close_rectifications(db, actor, [rectification_id], note, passed)[0]


def close_rectifications(
    db: Database, actor: Actor, rectification_ids: list[int], note: str | None = None, passed: bool = True
) -> list[str]:
    """``close_rectification`` for several notices in one transaction, all or none, one audit
    record each. Returns the new statuses in order."""
    authorize(actor, "rectification.close")
    note = _text(note, "复查意见", required=not passed)
    done: list[str] = []
    with db.write() as s:
        for rectification_id in rectification_ids:
            rect = _locked_rectification(s, rectification_id)
            current, _n = _status(s, rectification_id)
            if current == "closed":
                raise Conflict(f"整改通知 {rect.notice_no} 已销号。")
            if current != "rectified":
                raise Conflict(
                    f"整改通知 {rect.notice_no} 当前为“{RECTIFICATION_STATUS_LABELS[current]}”：单位报整改完成后才能复查。"
                )
            if passed:
                _event(s, actor, rect, "closed", note or "复查合格，予以销号", "rectification.close")
                done.append("closed")
            else:
                _event(s, actor, rect, "rectifying", f"复查未通过：{note}", "rectification.recheck_failed")
                done.append("rectifying")
    return done


# -- ledger ---------------------------------------------------------------------------------------


def ledger(
    db: Database, round_id: int | None = None, today: date | None = None, include_superseded: bool = False
) -> list[LedgerRow]:
    """Findings with their notice and status (newest versions only unless asked), oldest first."""
    from sqlmodel import col, select

    from assess.models import Finding, Rectification, RectificationEvent, Round, Unit

    today = today or local_today()
    with db.read() as s:
        if round_id is not None:
            get_round(s, round_id)
        q = (
            select(Finding, Unit, Round)
            .join(Unit, col(Unit.id) == Finding.unit_id)
            .join(Round, col(Round.id) == Finding.round_id)
            .order_by(col(Finding.id))
        )
        if round_id is not None:
            q = q.where(Finding.round_id == round_id)
        rows = s.exec(q).all()
        superseded = {
            c for c in s.exec(select(Finding.corrects_id).where(col(Finding.corrects_id).is_not(None))).all()
        }
        rects = {x.finding_id: x for x in s.exec(select(Rectification)).all()}
        latest: dict[int, tuple[str, str | None]] = {}
        for ev in s.exec(select(RectificationEvent).order_by(col(RectificationEvent.id))).all():
            latest[ev.rectification_id] = (ev.status, ev.note)
    out = []
    for f, u, r in rows:
        assert f.id is not None and r.id is not None  # stored rows have their ids
        if f.id in superseded and not include_superseded:
            continue
        rect = rects.get(f.id)
        if rect is None:
            status, note = "none", None
        else:
            status, note = latest.get(rect.id, ("open", None))
        late = rect is not None and status in (RectificationStatus.OPEN, RectificationStatus.RECTIFYING) and today > rect.deadline
        out.append(
            LedgerRow(
                f.id,
                r.id,
                r.name,
                u.code,
                u.name,
                f.indicator_code,
                f.severity,
                f.description,
                f.created_at,
                f.created_by,
                f.corrects_id,
                rect.id if rect else None,
                rect.notice_no if rect else None,
                rect.requirement if rect else None,
                rect.deadline if rect else None,
                status,
                RECTIFICATION_STATUS_LABELS[status],
                late,
                (today - rect.deadline).days if late and rect is not None else 0,
                note,
            )
        )
    return out


def overdue(db: Database, today: date, round_id: int | None = None) -> list[LedgerRow]:
    """Rectifications past their deadline and not yet reported done, most overdue first."""
    rows = [x for x in ledger(db, round_id, today) if x.overdue]
    return sorted(rows, key=lambda x: (-x.days_overdue, x.finding_id))


def history(db: Database, rectification_id: int) -> list[EventRow]:
    from sqlmodel import col, select

    from assess.models import Rectification, RectificationEvent

    with db.read() as s:
        if s.get(Rectification, rectification_id) is None:
            raise NotFound(f"第 {rectification_id} 号整改通知不存在。")
        evs = s.exec(
            select(RectificationEvent)
            .where(RectificationEvent.rectification_id == rectification_id)
            .order_by(col(RectificationEvent.id))
        ).all()
    return [EventRow(e.status, RECTIFICATION_STATUS_LABELS.get(e.status, e.status), e.note, e.at, e.by_user) for e in evs]


def open_finding_units(s: Session, unit_ids: list[int]) -> dict[int, str]:
    """Units (of ``unit_ids``) with a finding not yet closed (销号), in any round: unit id → the
    reason in words (for 重点 inspection)."""
    from sqlmodel import col, select

    from assess.models import Finding, Rectification, RectificationEvent

    if not unit_ids:
        return {}
    superseded = {
        c for c in s.exec(select(Finding.corrects_id).where(col(Finding.corrects_id).is_not(None))).all()
    }
    found = [
        f
        for f in s.exec(select(Finding).where(col(Finding.unit_id).in_(unit_ids)).order_by(col(Finding.id))).all()
        if f.id not in superseded
    ]
    rects = {
        x.finding_id: x
        for x in s.exec(
            select(Rectification).where(col(Rectification.finding_id).in_([f.id for f in found] or [0]))
        ).all()
    }
    latest: dict[int, str] = {}
    for ev in s.exec(
        select(RectificationEvent)
        .where(col(RectificationEvent.rectification_id).in_([x.id for x in rects.values()] or [0]))
        .order_by(col(RectificationEvent.id))
    ).all():
        latest[ev.rectification_id] = ev.status
    out: dict[int, list[str]] = {}
    for f in found:
        assert f.id is not None  # a stored row has its id
        rect = rects.get(f.id)
        if rect is not None and latest.get(rect.id) == "closed":
            continue
        label = f"第 {f.id} 号问题" + (f"（{rect.notice_no}）" if rect else "（未下发通知）")
        out.setdefault(f.unit_id, []).append(label)
    return {k: "有未销号的问题：" + "、".join(v) for k, v in out.items()}


# -- the notice -----------------------------------------------------------------------------------


