"""The assessment year as offices run it: the 黑名单 register, stage deadlines of a round with
what is overdue, the cadres' 年初承诺, and 红黄牌 warnings (docs: README.md “黑名单、阶段期限、
年初承诺、红黄牌”; indicators/README.md for the rules they read).

- 黑名单 (seed 002 一（一）: 不良行为的企业单位和执业人员“视违规的性质程度列入黑名单”): a listing
  names who (an assessed unit or cadre, or an outside enterprise or person), why, on what basis and
  from which date; lifting it records the exit date and reason. Nothing is deleted.
  ``active_listings`` is what other rules and reports read.
- Stage deadlines (seed 001 八: 自查 5月25日至30日, 核查 6月份): per round and stage, the last day;
  a stage is overdue when that day has passed and the round has not yet reached the stage that
  closes it (``DEADLINE_STAGES``). ``overdue_stages`` serves the dashboard and the 通报.
- 年初承诺: one pledge text per cadre and year, shown at the 述职述廉 step of 勤廉双述.
- 红黄牌: 红牌 — the unit is on this round's accountability list (not waived) or on the 黑名单;
  黄牌 — one step from a window rule firing: the rule's condition held ``times − 1`` times within the
  periods that stay in its window next period (this one included), so holding once more fires it
  (e.g. last in its category once where the rule needs twice); and, for a threshold rule that
  fires on one occurrence and states ``warn_margin``, a unit within that margin of the line
  (``margin_misses``: e.g. 综合得分 60.00–62.00 under “低于 60 分”, margin 2).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

from . import audit
from .errors import Conflict, NotFound
from .roles import Actor, authorize
from .settings import local_today

if TYPE_CHECKING:
    from sqlmodel import Session

    from .db import Database

SUBJECT_KINDS = {"unit": "单位", "cadre": "干部", "enterprise": "企业", "person": "个人"}
# stage key → (label, the round stage that closes the window)
DEADLINE_STAGES: dict[str, tuple[str, str]] = {
    "selfcheck": ("自查", "selfcheck_closed"),
    "spotcheck": ("核查", "spotcheck_done"),
    "appraisal": ("民主评议", "appraisal_certified"),
    "review": ("审核审议", "approved"),
}
MAX_TEXT = 2000


# -- 黑名单 ------------------------------------------------------------------------------------------


@dataclass
class ListingRow:
    id: int
    subject_kind: str
    kind_label: str
    name: str
    unit_id: int | None
    cadre_id: int | None
    reason: str
    basis: str | None
    entered_on: date
    exit_on: date | None
    exit_reason: str | None
    created_by: str

    def active_on(self, on: date) -> bool:
        return self.entered_on <= on and (self.exit_on is None or on < self.exit_on)


def _row(e) -> ListingRow:
    return ListingRow(
        e.id, e.subject_kind, SUBJECT_KINDS.get(e.subject_kind, e.subject_kind), e.name, e.unit_id,
        e.cadre_id, e.reason, e.basis, e.entered_on, e.exit_on, e.exit_reason, e.created_by,
    )


def enter_listing(
    db: Database,
    actor: Actor,
    kind: str,
    subject: str,
    reason: str,
    entered_on: date,
    basis: str | None = None,
) -> int:
    """List ``subject`` on the 黑名单: a unit or cadre by code, an enterprise or person by name."""
    from sqlmodel import select

    from .models import BlacklistEntry, Cadre, Unit

    authorize(actor, "blacklist.enter")
    if kind not in SUBJECT_KINDS:
        raise Conflict(f"黑名单对象类别“{kind}”无效，应为 {'、'.join(f'{k}（{v}）' for k, v in SUBJECT_KINDS.items())}。")
    subject = (subject or "").strip()
    reason = (reason or "").strip()
    basis = (basis or "").strip() or None
    if not subject:
        raise Conflict("请填写列入黑名单的对象（单位或干部写编码，企业或个人写名称）。")
    if not reason:
        raise Conflict("请填写列入黑名单的理由。")
    if len(reason) > MAX_TEXT or len(subject) > 128 or (basis and len(basis) > 128):
        raise Conflict("内容过长：对象、依据不超过 128 字，理由不超过 2000 字。")
    with db.write() as s:
        unit_id = cadre_id = None
        name = subject
        if kind == "unit":
            u = s.exec(select(Unit).where(Unit.code == subject)).first()
            if u is None:
                raise NotFound(f"单位“{subject}”不存在。")
            unit_id, name = u.id, u.name
        elif kind == "cadre":
            c = s.exec(select(Cadre).where(Cadre.code == subject)).first()
            if c is None:
                raise NotFound(f"干部“{subject}”不存在。")
            cadre_id, unit_id, name = c.id, c.unit_id, c.name
        q = select(BlacklistEntry).where(BlacklistEntry.subject_kind == kind, BlacklistEntry.exit_on.is_(None))
        if kind == "unit":
            q = q.where(BlacklistEntry.unit_id == unit_id)
        elif kind == "cadre":
            q = q.where(BlacklistEntry.cadre_id == cadre_id)
        else:
            q = q.where(BlacklistEntry.name == name)
        open_ = s.exec(q).first()
        if open_ is not None:
            raise Conflict(
                f"“{name}”已在黑名单上（#{open_.id}，{open_.entered_on.isoformat()} 起），未移出前不能重复列入。"
            )
        e = BlacklistEntry(
            subject_kind=kind, name=name, unit_id=unit_id, cadre_id=cadre_id, reason=reason, basis=basis,
            entered_on=entered_on, created_by=actor.username,
        )
        s.add(e)
        s.flush()
        audit.append(
            s, actor.username, "blacklist.enter",
            {"entry_id": e.id, "kind": kind, "name": name, "unit_id": unit_id, "cadre_id": cadre_id,
             "reason": reason, "basis": basis, "entered_on": entered_on.isoformat()},
        )
        return e.id


def exit_listing(db: Database, actor: Actor, entry_id: int, exit_on: date, reason: str) -> None:
    """Lift a listing from ``exit_on`` with a written reason."""
    from .models import BlacklistEntry

    authorize(actor, "blacklist.exit")
    reason = (reason or "").strip()
    if not reason:
        raise Conflict("请填写移出黑名单的理由。")
    with db.write() as s:
        e = s.get(BlacklistEntry, entry_id)
        if e is None:
            raise NotFound(f"黑名单条目 #{entry_id} 不存在。")
        if e.exit_on is not None:
            raise Conflict(f"黑名单条目 #{entry_id}（{e.name}）已于 {e.exit_on.isoformat()} 移出。")
        if exit_on < e.entered_on:
            raise Conflict(f"移出日期 {exit_on.isoformat()} 早于列入日期 {e.entered_on.isoformat()}。")
        e.exit_on, e.exit_reason, e.exited_by = exit_on, reason, actor.username
        s.add(e)
        s.flush()
        audit.append(
            s, actor.username, "blacklist.exit",
            {"entry_id": e.id, "name": e.name, "exit_on": exit_on.isoformat(), "reason": reason},
        )


def list_listings(db: Database, on: date | None = None) -> list[ListingRow]:
    """Every listing, newest first; with ``on``, only those in force that day."""
    with db.read() as s:
        return active_listings(s, on) if on is not None else _all(s)


def _all(s: Session) -> list[ListingRow]:
    from sqlmodel import select

    from .models import BlacklistEntry

    rows = s.exec(select(BlacklistEntry).order_by(BlacklistEntry.entered_on.desc(), BlacklistEntry.id.desc())).all()
    return [_row(e) for e in rows]


BLACKLIST_KIND = "黑名单"  # as a discipline kind in a scheme's no_excellent_if


def period_span(period: str) -> tuple[date, date]:
    """First and last day of a round's period: 2026-Q3 → 2026-07-01, 2026-09-30; 2026 → the year."""
    import calendar

    from .accountability import period_position

    year, last, annual = period_position(period)
    p = period.strip().upper()
    months = 12 if annual else 3 if "Q" in p else 6 if "H" in p else 1
    first = last - months + 1
    return date(year, first, 1), date(year, last, calendar.monthrange(year, last)[1])


def listings_in_period(s: Session, period: str) -> list[ListingRow]:
    """Listings in force at any time within the period (for rules such as no_excellent_if)."""
    start, end = period_span(period)
    return [r for r in _all(s) if r.entered_on <= end and (r.exit_on is None or r.exit_on > start)]


def active_listings(s: Session, on: date) -> list[ListingRow]:
    """The listings in force on ``on`` (entered on or before, not yet lifted): the one reader that
    rules and reports use."""
    return [r for r in _all(s) if r.active_on(on)]


# -- stage deadlines ---------------------------------------------------------------------------------


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

    from .guards import ensure_round_writable
    from .models import StageDeadline

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
    from sqlmodel import select

    from .models import Round, StageDeadline
    from .models.rounds import STAGES

    q = select(StageDeadline, Round).join(Round, Round.id == StageDeadline.round_id)
    if round_id is not None:
        q = q.where(StageDeadline.round_id == round_id)
    order = list(DEADLINE_STAGES)
    out = []
    for d, r in s.exec(q).all():
        label, closes = DEADLINE_STAGES[d.stage]
        done = STAGES.index(r.stage) >= STAGES.index(closes)
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
        from .reasons import cn_date

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
    from sqlmodel import select

    from .models import AuditRecord
    from .models.rounds import STAGES
    from .settings import local_time

    today = today or local_today()
    with db.read() as s:
        rows = deadlines(s, today, round_id)
        moves = [
            (rec.at, rec.payload.get("to"))
            for rec in s.exec(select(AuditRecord).where(AuditRecord.action == "round.stage").order_by(AuditRecord.seq))
            if rec.payload.get("round_id") == round_id
        ]
    out = []
    for d in rows:
        closes = STAGES.index(DEADLINE_STAGES[d.stage][1])
        finished = None
        if d.done:
            from datetime import datetime

            at = next((t for t, to in moves if to in STAGES and STAGES.index(to) >= closes), None)
            finished = local_time(datetime.fromisoformat(at)).date() if at else None
        late = max(0, (finished - d.due_on).days) if finished else d.days_overdue
        out.append(StageTimeliness(d.label, d.starts_on, d.due_on, finished, late, d.done))
    return out


# -- 年初承诺 ------------------------------------------------------------------------------------------


def record_pledge(db: Database, actor: Actor, cadre_code: str, year: int, text: str) -> int:
    """Record (or replace) a cadre's 年初承诺 for ``year``."""
    from sqlmodel import select

    from .models import Cadre, CadrePledge

    authorize(actor, "cadre.pledge")
    text = (text or "").strip()
    if not text:
        raise Conflict("请填写年初承诺的内容。")
    if len(text) > MAX_TEXT:
        raise Conflict(f"年初承诺不超过 {MAX_TEXT} 字（现 {len(text)} 字）。")
    if not 2000 <= int(year) <= 2100:
        raise Conflict(f"年度“{year}”无效。")
    with db.write() as s:
        c = s.exec(select(Cadre).where(Cadre.code == (cadre_code or "").strip())).first()
        if c is None:
            raise NotFound(f"干部“{cadre_code}”不存在。")
        p = s.exec(select(CadrePledge).where(CadrePledge.cadre_id == c.id, CadrePledge.year == int(year))).first()
        previous = None if p is None else p.text
        if p is None:
            p = CadrePledge(cadre_id=c.id, year=int(year), text=text, recorded_by=actor.username)
        p.text, p.recorded_by = text, actor.username
        s.add(p)
        s.flush()
        audit.append(
            s, actor.username, "cadre.pledge",
            {"cadre_id": c.id, "cadre": c.code, "year": int(year), "text": text, "previous": previous},
        )
        return p.id


def pledges(s: Session, cadre_ids: list[int], year: int) -> dict[int, str]:
    """cadre_id → that year's 年初承诺 (cadres without one are absent)."""
    from sqlmodel import select

    from .models import CadrePledge

    if not cadre_ids:
        return {}
    rows = s.exec(
        select(CadrePledge.cadre_id, CadrePledge.text).where(
            CadrePledge.cadre_id.in_(cadre_ids), CadrePledge.year == int(year)
        )
    ).all()
    return {int(c): t for c, t in rows}


def pledge_text(db: Database, cadre_code: str, year: int) -> str | None:
    from sqlmodel import select

    from .models import Cadre

    with db.read() as s:
        c = s.exec(select(Cadre).where(Cadre.code == cadre_code)).first()
        return None if c is None else pledges(s, [c.id], year).get(c.id)


def session_pledges(db: Database, session_id: int) -> list[tuple[str, str, str | None]]:
    """(cadre code, name, 年初承诺 or None) for the cadres of a 勤廉双述 session, in ballot order,
    for the year of the session's round: shown when the 述职述廉 is recorded."""
    from .appraisal_info import session_info
    from .models import Round

    info = session_info(db, session_id)
    with db.read() as s:
        period = s.get(Round, info.round_id).period
        ids = [t.cadre_id for t in info.targets if t.cadre_id is not None]
        texts = pledges(s, ids, int(period[:4]))
    return [(t.code, t.name, texts.get(t.cadre_id)) for t in info.targets if t.cadre_id is not None]


# -- 红黄牌 ------------------------------------------------------------------------------------------


@dataclass
class Card:
    colour: str  # red | yellow
    label: str  # 红牌 | 黄牌
    unit_id: int
    unit: str  # "CODE 名称"
    text: str


def near_misses(scheme, table, history, period: str) -> list[tuple[object, int, int]]:
    """(rule, unit_id, count) for units one step from a window rule firing: within the periods that
    stay in the rule's window next period (this one and the previous ``window − 2``), the condition
    held at least ``times − 1`` times, and the rule did not fire now."""
    import numpy as np

    from . import accountability as acc

    now = acc.unit_metrics(table)
    out = []
    for rule in scheme.rules:
        if rule.subject != "unit" or rule.times < 2 or rule.kind not in (
            "threshold", "last_in_category", "bottom_share", "false_report"
        ):
            continue
        cond = acc.condition(rule, now)
        counts = np.zeros(len(now), dtype=int)
        for _p, t in acc.window_history(rule, period, history):
            h = acc.unit_metrics(t)
            counts += now["unit_id"].isin(set(h["unit_id"][acc.condition(rule, h)].tolist())).to_numpy()
        fired = cond & (counts >= rule.times - 1)
        kept = np.zeros(len(now), dtype=int)  # holds that stay in the window next period
        shorter = replace(rule, window=max(rule.window - 1, 1))
        for _p, t in acc.window_history(shorter, period, history):
            h = acc.unit_metrics(t)
            kept += now["unit_id"].isin(set(h["unit_id"][acc.condition(rule, h)].tolist())).to_numpy()
        kept = kept + cond
        for i in np.flatnonzero(~fired & (kept >= rule.times - 1)):
            out.append((rule, int(now["unit_id"].iat[i]), int(kept[i])))
    return out


def margin_misses(scheme, table) -> list[tuple[object, int, float, float]]:
    """(rule, unit_id, value, distance) for units within a single-occurrence threshold rule's
    ``warn_margin`` of its line without crossing it: for ``<`` 60 with margin 2, 60 ≤ x ≤ 62; for
    ``<=`` 60, 60 < x ≤ 62; for ``>`` / ``>=`` the mirror image. Compared on the stored (rounded)
    values with a 1e-9 allowance, so 62.00 is inside a margin of 2."""
    import numpy as np

    from . import accountability as acc

    now = acc.unit_metrics(table)
    out = []
    for rule in scheme.rules:
        if rule.subject != "unit" or rule.kind != "threshold" or rule.times != 1 or not rule.warn_margin:
            continue
        if rule.metric not in now or rule.value is None or rule.op not in ("<", "<=", ">", ">="):
            continue
        x = now[rule.metric].to_numpy(dtype=float)
        below = rule.op in ("<", "<=")
        with np.errstate(invalid="ignore"):
            distance = (x - rule.value) if below else (rule.value - x)
            near = ~np.isnan(x) & ~acc.condition(rule, now) & (distance <= rule.warn_margin + 1e-9) & (distance >= -1e-9)
        for i in np.flatnonzero(near):
            out.append((rule, int(now["unit_id"].iat[i]), float(x[i]), float(round(distance[i], 6))))
    return out


def cards(db: Database, round_id: int, today: date | None = None) -> list[Card]:
    """红黄牌 of a computed round: red for a standing accountability entry or a 黑名单 listing, yellow
    for one step from a window rule firing."""
    from sqlmodel import select

    from .accountability import rule_text
    from .models import AccountabilityEntry, Round, SchemeVersion, Unit, UnitResult
    from .schemes.definition import from_dict
    from .scoring.service import history_rounds, stored_table

    today = today or local_today()
    with db.read() as s:
        r = s.get(Round, round_id)
        if r is None:
            raise NotFound(f"考核轮次 #{round_id} 不存在。")
        units = {u.id: u for u in s.exec(select(Unit).join(UnitResult, UnitResult.unit_id == Unit.id).where(UnitResult.round_id == round_id)).all()}
        if not units:
            return []
        scheme = from_dict(s.get(SchemeVersion, r.scheme_version_id).definition)
        table = stored_table(s, round_id)
        history = [(p, stored_table(s, rid)) for p, rid in history_rounds(s, r, scheme)]
        entries = s.exec(
            select(AccountabilityEntry).where(
                AccountabilityEntry.round_id == round_id,
                AccountabilityEntry.status != "waived",
                AccountabilityEntry.cadre_id.is_(None),
            )
        ).all()
        listed = [x for x in active_listings(s, today) if x.unit_id in units and x.cadre_id is None]
    name = {uid: f"{u.code} {u.name}" for uid, u in units.items()}
    out: list[Card] = []
    red: set[int] = set()
    for e in entries:
        red.add(e.unit_id)
        out.append(Card("red", "红牌", e.unit_id, name.get(e.unit_id, str(e.unit_id)), f"问责名单：{e.rule_text}（{e.proposed_action}）"))
    for x in listed:
        red.add(x.unit_id)
        out.append(Card("red", "红牌", x.unit_id, name[x.unit_id], f"黑名单（{x.entered_on.isoformat()} 起）：{x.reason}"))
    for rule, uid, count in near_misses(scheme, table, history, r.period):
        if uid in red:
            continue
        out.append(
            Card("yellow", "黄牌", uid, name.get(uid, str(uid)),
                 f"已 {count} 次，再有 1 次即触发：{rule_text(rule)}（{rule.action}）")
        )
    from .accountability import METRIC_LABELS

    for rule, uid, value, distance in margin_misses(scheme, table):
        if uid in red:
            continue
        what = METRIC_LABELS.get(rule.metric or "", rule.metric)
        out.append(
            Card("yellow", "黄牌", uid, name.get(uid, str(uid)),
                 f"{what} {value:g}，距触发线 {distance:g}（预警幅度 {rule.warn_margin:g}）：{rule_text(rule)}（{rule.action}）")
        )
    out.sort(key=lambda c: (c.colour != "red", c.unit, c.text))
    return out
