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
  (e.g. last in its category once where the rule needs twice).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from assess.foundation import audit
from assess.foundation.accounts import authorize
from assess.foundation.errors import Conflict, NotFound
from assess.foundation.periods import period_span
from assess.foundation.roles import Actor

if TYPE_CHECKING:
    from assess.foundation.db import Database, Reader
    from assess.models import BlacklistEntry

SUBJECT_KINDS = {"unit": "单位", "cadre": "干部", "enterprise": "企业", "person": "个人"}
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


def _row(e: BlacklistEntry | Any) -> ListingRow:
    """A listing from its table class object or a Core row of the same columns."""
    assert e.id is not None  # a row read from the database has its id
    return ListingRow(
        e.id,
        e.subject_kind,
        SUBJECT_KINDS.get(e.subject_kind, e.subject_kind),
        e.name,
        e.unit_id,
        e.cadre_id,
        e.reason,
        e.basis,
        e.entered_on,
        e.exit_on,
        e.exit_reason,
        e.created_by,
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
    from sqlmodel import col, select

    from assess.models import BlacklistEntry, Cadre, Unit

    authorize(actor, "blacklist.enter")
    if kind not in SUBJECT_KINDS:
        raise Conflict(
            f"黑名单对象类别“{kind}”无效，应为 {'、'.join(f'{k}（{v}）' for k, v in SUBJECT_KINDS.items())}。"
        )
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
        q = select(BlacklistEntry).where(
            BlacklistEntry.subject_kind == kind, col(BlacklistEntry.exit_on).is_(None)
        )
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
            subject_kind=kind,
            name=name,
            unit_id=unit_id,
            cadre_id=cadre_id,
            reason=reason,
            basis=basis,
            entered_on=entered_on,
            created_by=actor.username,
        )
        s.add(e)
        s.flush()
        audit.append(
            s,
            actor.username,
            "blacklist.enter",
            {
                "entry_id": e.id,
                "kind": kind,
                "name": name,
                "unit_id": unit_id,
                "cadre_id": cadre_id,
                "reason": reason,
                "basis": basis,
                "entered_on": entered_on.isoformat(),
            },
        )
        assert e.id is not None  # flushed: the row has its id
        return e.id


def exit_listing(db: Database, actor: Actor, entry_id: int, exit_on: date, reason: str) -> None:
    """Lift a listing from ``exit_on`` with a written reason."""
    from assess.models import BlacklistEntry

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
            s,
            actor.username,
            "blacklist.exit",
            {"entry_id": e.id, "name": e.name, "exit_on": exit_on.isoformat(), "reason": reason},
        )


def list_listings(db: Database, on: date | None = None) -> list[ListingRow]:
    """Every listing, newest first; with ``on``, only those in force that day."""
    with db.read() as s:
        return active_listings(s, on) if on is not None else _all(s)


def _all(s: Reader) -> list[ListingRow]:
    """Every listing, newest first, read through Core statements (no table classes)."""
    from sqlalchemy import select

    from assess.models import tables as t

    b = t.blacklistentry
    rows = s.execute(
        select(
            b.c.id,
            b.c.subject_kind,
            b.c.name,
            b.c.unit_id,
            b.c.cadre_id,
            b.c.reason,
            b.c.basis,
            b.c.entered_on,
            b.c.exit_on,
            b.c.exit_reason,
            b.c.created_by,
        ).order_by(b.c.entered_on.desc(), b.c.id.desc())
    ).all()
    return [_row(e) for e in rows]


BLACKLIST_KIND = "黑名单"  # as a discipline kind in a scheme's no_excellent_if


def listings_in_period(s: Reader, period: str) -> list[ListingRow]:
    """Listings in force at any time within the period (for rules such as no_excellent_if)."""
    start, end = period_span(period)
    return [r for r in _all(s) if r.entered_on <= end and (r.exit_on is None or r.exit_on > start)]


def active_listings(s: Reader, on: date) -> list[ListingRow]:
    """The listings in force on ``on`` (entered on or before, not yet lifted): the one reader that
    rules and reports use."""
    return [r for r in _all(s) if r.active_on(on)]


# -- stage deadlines ---------------------------------------------------------------------------------


# -- 年初承诺 ------------------------------------------------------------------------------------------


# -- 红黄牌 ------------------------------------------------------------------------------------------
