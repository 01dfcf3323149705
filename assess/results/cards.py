"""红黄牌: a red card for a unit on the 黑名单 or the accountability list, a yellow card one hold short
of a window rule firing."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from assess.foundation.settings import local_today
from assess.foundation.vocabulary import AccountabilityStatus
from assess.foundation.write_guards import round_not_found
from assess.org.blacklist import active_listings
from assess.results import accountability as acc
from assess.results.accountability import METRIC_LABELS, rule_text
from assess.results.compute import history_rounds
from assess.results.stored import stored_table
from assess.schemes.definition import from_dict

if TYPE_CHECKING:
    import pandas as pd

    from assess.foundation.db import Database
    from assess.schemes.definition import RuleDef, SchemeDef


@dataclass
class Card:
    colour: str  # red | yellow
    label: str  # 红牌 | 黄牌
    unit_id: int
    unit: str  # "CODE 名称"
    text: str


def near_misses(
    scheme: SchemeDef, table: pd.DataFrame, history: list[tuple[str, Any]], period: str
) -> list[tuple[RuleDef, int, int]]:
    """(rule, unit_id, count) for units one step from a window rule firing: within the periods that
    stay in the rule's window next period (this one and the previous ``window − 2``), the condition
    held at least ``times − 1`` times, and the rule did not fire now."""
    import numpy as np


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


def margin_misses(scheme: SchemeDef, table: pd.DataFrame) -> list[tuple[RuleDef, int, float, float]]:
    """(rule, unit_id, value, distance) for units within a single-occurrence threshold rule's
    ``warn_margin`` of its line without crossing it: for ``<`` 60 with margin 2, 60 ≤ x ≤ 62; for
    ``<=`` 60, 60 < x ≤ 62; for ``>`` / ``>=`` the mirror image. Compared on the stored (rounded)
    values with a 1e-9 allowance, so 62.00 is inside a margin of 2."""
    import numpy as np

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
    from sqlmodel import col, select

    from assess.models import AccountabilityEntry, Round, SchemeVersion, Unit, UnitResult

    today = today or local_today()
    with db.read() as s:
        r = s.get(Round, round_id)
        if r is None:
            raise round_not_found(round_id)
        units = {u.id: u for u in s.exec(select(Unit).join(UnitResult, col(UnitResult.unit_id) == Unit.id).where(col(UnitResult.round_id) == round_id)).all()}
        if not units:
            return []
        version = s.get(SchemeVersion, r.scheme_version_id)
        assert version is not None  # the round's scheme version (a foreign key)
        scheme = from_dict(version.definition)
        table = stored_table(s, round_id)
        history = [(p, stored_table(s, rid)) for p, rid in history_rounds(s, r, scheme)]
        entries = s.exec(
            select(AccountabilityEntry).where(
                AccountabilityEntry.round_id == round_id,
                AccountabilityEntry.status != AccountabilityStatus.WAIVED,
                col(AccountabilityEntry.cadre_id).is_(None),
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
        assert x.unit_id is not None  # kept above only for a unit of the round
        red.add(x.unit_id)
        out.append(Card("red", "红牌", x.unit_id, name[x.unit_id], f"黑名单（{x.entered_on.isoformat()} 起）：{x.reason}"))
    for rule, uid, count in near_misses(scheme, table, history, r.period):
        if uid in red:
            continue
        out.append(
            Card("yellow", "黄牌", uid, name.get(uid, str(uid)),
                 f"已 {count} 次，再有 1 次即触发：{rule_text(rule)}（{rule.action}）")
        )
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
