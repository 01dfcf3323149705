"""Stage deadlines of a round (seed 001 八 dates the 自查 and 核查 windows) and the stages overdue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from assess.foundation import audit
from assess.foundation.accounts import authorize
from assess.foundation.errors import Conflict
from assess.foundation.periods import cn_date
from assess.foundation.roles import Actor
from assess.foundation.settings import local_time, local_today
from assess.foundation.vocabulary import Stage
from assess.foundation.write_guards import ensure_round_writable

if TYPE_CHECKING:
    from sqlmodel import Session

    from assess.foundation.db import Database


@dataclass
class DeadlineRow:
    round_id: int
    round_name: str
    stage: str
    label: str
    starts_on: date | None
    due_on: date
    done: bool
    days_overdue: int  # 0 when done or not yet due

    @property
    def text(self) -> str:
        window = f"{self.starts_on.isoformat()} 至 {self.due_on.isoformat()}" if self.starts_on else f"{self.due_on.isoformat()} 前"
        state = "已完成" if self.done else f"逾期 {self.days_overdue} 天" if self.days_overdue else "进行中"
        return f"{self.round_name} {self.label}（{window}）：{state}"


def set_deadline(
    db: Database, actor: Actor, round_id: int, stage: str, due_on: date, starts_on: date | None = None
) -> None:
    """Set (or change) the window of a stage of a round."""
    from sqlmodel import select

    from assess.models import StageDeadline

    authorize(actor, "round.deadline")
    if stage not in DEADLINE_STAGES:
        raise Conflict(
            f"阶段“{stage}”无效，应为 " + "、".join(f"{k}（{v[0]}）" for k, v in DEADLINE_STAGES.items()) + "。"
        )
    if starts_on is not None and starts_on > due_on:
        raise Conflict(f"开始日期 {starts_on.isoformat()} 晚于截止日期 {due_on.isoformat()}。")
    with db.write() as s:
        ensure_round_writable(s, round_id)
        d = s.exec(select(StageDeadline).where(StageDeadline.round_id == round_id, StageDeadline.stage == stage)).first()
        previous = None if d is None else {"starts_on": d.starts_on and d.starts_on.isoformat(), "due_on": d.due_on.isoformat()}
        if d is None:
            d = StageDeadline(round_id=round_id, stage=stage, due_on=due_on, set_by=actor.username)
        d.starts_on, d.due_on, d.set_by = starts_on, due_on, actor.username
        s.add(d)
        s.flush()
        audit.append(
            s, actor.username, "round.deadline",
            {"round_id": round_id, "stage": stage, "starts_on": starts_on and starts_on.isoformat(),
             "due_on": due_on.isoformat(), "previous": previous},
        )


def deadlines(s: Session, today: date, round_id: int | None = None) -> list[DeadlineRow]:
    """Deadlines of one round (or of every round), with whether each stage is done or overdue."""
    from sqlmodel import col, select

    from assess.models import Round, StageDeadline

    stages: list[str] = list(Stage)
    q = select(StageDeadline, Round).join(Round, col(Round.id) == StageDeadline.round_id)
    if round_id is not None:
        q = q.where(StageDeadline.round_id == round_id)
    order = list(DEADLINE_STAGES)
    out = []
    for d, r in s.exec(q).all():
        assert r.id is not None  # a stored row has its id
        label, closes = DEADLINE_STAGES[d.stage]
        done = stages.index(r.stage) >= stages.index(closes)
        late = 0 if done or today <= d.due_on else (today - d.due_on).days
        out.append(DeadlineRow(r.id, r.name, d.stage, label, d.starts_on, d.due_on, done, late))
    out.sort(key=lambda x: (x.round_id, order.index(x.stage)))
    return out


def round_deadlines(db: Database, round_id: int, today: date | None = None) -> list[DeadlineRow]:
    with db.read() as s:
        return deadlines(s, today or local_today(), round_id)


def overdue_stages(db: Database, today: date | None = None, round_id: int | None = None) -> list[DeadlineRow]:
    """Stages past their last day and not done: for the dashboard and the 通报."""
    with db.read() as s:
        return [d for d in deadlines(s, today or local_today(), round_id) if d.days_overdue > 0]


# stage key → (label, the round stage that closes the window)
DEADLINE_STAGES: dict[str, tuple[str, str]] = {
    "selfcheck": ("自查", Stage.SELFCHECK_CLOSED),
    "spotcheck": ("核查", Stage.SPOTCHECK_DONE),
    "appraisal": ("民主评议", Stage.APPRAISAL_CERTIFIED),
    "review": ("审核审议", Stage.APPROVED),
}


@dataclass
class StageTimeliness:
    """A stage with a deadline, as the 通报 reports it: when it was completed (the local date the
    round reached the stage that closes it, from the audit chain) and how many days late, or how
    long it has been overdue while still open."""

    label: str
    starts_on: date | None
    due_on: date
    finished_on: date | None  # None: still open, or done before stage moves were dated
    days_late: int
    done: bool = False

    @property
    def text(self) -> str:
        due = f"{self.label}阶段（{cn_date(self.starts_on)}至{cn_date(self.due_on)}）" if self.starts_on \
            else f"{self.label}阶段（{cn_date(self.due_on)}前）"
        if self.finished_on is None and self.done:
            return f"{due}已完成"
        if self.finished_on is None:
            return f"{due}尚未完成，已逾期{self.days_late}天" if self.days_late else f"{due}正在进行"
        done = f"{due}于{cn_date(self.finished_on)}完成"
        return f"{done}，逾期{self.days_late}天" if self.days_late else f"{done}，按期"


def stage_timeliness(db: Database, round_id: int, today: date | None = None) -> list[StageTimeliness]:
    """Every stage of the round that has a deadline: finished on time, finished late (days after
    the last day) or still open and overdue — for the 通报."""
    from sqlmodel import col, select

    from assess.models import AuditRecord

    stages: list[str] = list(Stage)
    today = today or local_today()
    with db.read() as s:
        rows = deadlines(s, today, round_id)
        moves = [
            (rec.at, rec.payload.get("to"))
            for rec in s.exec(select(AuditRecord).where(col(AuditRecord.action) == "round.stage").order_by(col(AuditRecord.seq)))
            if rec.payload.get("round_id") == round_id
        ]
    out = []
    for d in rows:
        closes = stages.index(DEADLINE_STAGES[d.stage][1])
        finished = None
        if d.done:
            at = next((t for t, to in moves if to in stages and stages.index(to) >= closes), None)
            finished = local_time(datetime.fromisoformat(at)).date() if at else None
        late = max(0, (finished - d.due_on).days) if finished else d.days_overdue
        out.append(StageTimeliness(d.label, d.starts_on, d.due_on, finished, late, d.done))
    return out
