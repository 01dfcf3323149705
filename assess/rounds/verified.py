"""Verified scores (核查得分) for the drawn units and the comparison of self-check with verified
values: points by each indicator's method, the difference and the 虚报 flag. ``false_reports``
feeds the accountability engine. (Re-exported by ``assess.rounds.spotcheck``.)"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assess.foundation.accounts import authorize
from assess.foundation.errors import Conflict
from assess.foundation.roles import Actor
from assess.foundation.vocabulary import Method, Stage
from assess.foundation.write_guards import get_round
from assess.rounds.lifecycle import lock_round, require_stage, round_scheme, round_unit
from assess.rounds.scoring_rows import inspected_codes
from assess.rounds.selfcheck import (
    applicable_leaf,
    clean_note,
    missing_indicators,
    parse_value,
    store_value,
)
from assess.rounds.spotcheck import active_draw
from assess.schemes.methods import score_values

if TYPE_CHECKING:
    from sqlmodel import Session

    from assess.foundation.db import Database
    from assess.models import Round


@dataclass
class ComparisonRow:
    unit_code: str
    unit_name: str
    category: str
    indicator_code: str
    indicator_name: str
    method: str
    max: float
    self_value: float | None
    verified_value: float | None
    self_points: float | None
    verified_points: float | None
    difference: float | None  # self points − verified points
    false_report: bool
    self_note: str | None = None
    verified_note: str | None = None


@dataclass
class FalseReport:
    """A 虚报 indicator for the accountability engine."""

    round_id: int
    unit_id: int
    unit_code: str
    unit_name: str
    indicator_code: str
    indicator_name: str
    self_value: float
    verified_value: float
    self_points: float
    verified_points: float
    difference: float


def enter_verified(
    db: Database,
    actor: Actor,
    round_id: int,
    unit_code: str,
    indicator_code: str,
    value: float | str,
    note: str | None = None,
) -> float:
    """An inspector's verified value for one leaf indicator of a drawn (or 重点) unit."""

    from assess.models import SpotCheckScore

    authorize(actor, "spotcheck.enter")
    note = clean_note(note)
    with db.write() as s:
        r = lock_round(s, round_id)
        require_stage(r, Stage.SPOTCHECK_DRAWN, doing="录入核查得分")
        unit, _ru = round_unit(s, round_id, unit_code)
        if unit.code not in inspected_codes(active_draw(s, round_id)):
            raise Conflict(f"单位 {unit.code}（{unit.name}）不是本轮抽取的核查单位。")
        ind = applicable_leaf(round_scheme(s, r), unit.category, indicator_code)
        number = parse_value(ind, value)
        store_value(s, actor.username, "spotcheck.enter", SpotCheckScore, round_id, unit, ind.code, number, note,
                    inspector=actor.username)
        return number


def missing_verified(s: Session, r: Round) -> list[str]:
    """Codes of inspected units that still lack a verified value for an applicable indicator."""
    from assess.models import SpotCheckScore

    assert r.id is not None  # a stored row has its id
    draw = active_draw(s, r.id)
    out = []
    for code in inspected_codes(draw):
        unit, _ru = round_unit(s, r.id, code)
        if missing_indicators(s, r, unit, SpotCheckScore):
            out.append(code)
    return out


def compare(db: Database, round_id: int, unit_code: str | None = None) -> list[ComparisonRow]:
    """Self-check against verified values for the inspected units, per applicable indicator:
    raw values, points by the indicator's method, the difference, and the 虚报 flag.

    虚报: self points − verified points > the scheme's ``spotcheck.tolerance`` (differences rounded
    to 6 decimals first, so float noise never flags). A 一票否决 indicator has no points; it is
    flagged when the unit reported 0 (not triggered) and the inspectors found 1 (triggered)."""
    import numpy as np
    import pandas as pd
    from sqlmodel import col, select

    from assess.models import SelfCheckScore, SpotCheckScore, Unit

    with db.read() as s:
        r = get_round(s, round_id)
        scheme = round_scheme(s, r)
        codes = inspected_codes(active_draw(s, round_id))
        if unit_code:
            unit, _ru = round_unit(s, round_id, unit_code)
            if unit.code not in codes:
                raise Conflict(f"单位 {unit.code}（{unit.name}）不是本轮抽取的核查单位。")
            codes = [unit.code]
        if not codes:
            return []
        units = {u.code: u for u in s.exec(select(Unit).where(col(Unit.code).in_(codes))).all()}
        ids = [units[c].id for c in codes]
        own = s.exec(
            select(
                SelfCheckScore.unit_id,
                SelfCheckScore.indicator_code,
                SelfCheckScore.value,
                SelfCheckScore.note,
            ).where(SelfCheckScore.round_id == round_id, col(SelfCheckScore.unit_id).in_(ids))
        ).all()
        ver = s.exec(
            select(
                SpotCheckScore.unit_id,
                SpotCheckScore.indicator_code,
                SpotCheckScore.value,
                SpotCheckScore.note,
            ).where(SpotCheckScore.round_id == round_id, col(SpotCheckScore.unit_id).in_(ids))
        ).all()
    base = pd.DataFrame(
        [
            {
                "order": k,
                "unit_id": units[c].id,
                "unit_code": c,
                "unit_name": units[c].name,
                "category": units[c].category,
                "indicator_code": ind.code,
                "indicator_name": ind.name,
                "method": ind.method,
                "max": ind.max,
                "target": ind.target,
            }
            for k, c in enumerate(codes)
            for ind in scheme.leaves_for(units[c].category)
        ]
    )
    if base.empty:
        return []
    cols = ["unit_id", "indicator_code"]
    a = pd.DataFrame(own, columns=[*cols, "self_value", "self_note"])
    b = pd.DataFrame(ver, columns=[*cols, "verified_value", "verified_note"])
    df = base.merge(a, on=cols, how="left").merge(b, on=cols, how="left")
    df["self_points"] = np.nan
    df["verified_points"] = np.nan
    for (method, mx, target), idx in df.groupby(
        ["method", "max", df["target"].fillna(0.0)], dropna=False
    ).groups.items():
        sub = df.loc[idx]
        df.loc[idx, "self_points"] = score_values(
            method, mx, target or None, sub["self_value"].to_numpy(float)
        )
        df.loc[idx, "verified_points"] = score_values(
            method, mx, target or None, sub["verified_value"].to_numpy(float)
        )
    df["difference"] = (df["self_points"] - df["verified_points"]).round(6)
    flag = df["difference"] > scheme.spotcheck.tolerance
    veto = (df["method"] == Method.VETO) & (df["self_value"] == 0) & (df["verified_value"] == 1)
    df["false_report"] = (flag | veto).fillna(False)
    out = []
    for row in df.sort_values(["order"], kind="stable").itertuples(index=False):
        out.append(
            ComparisonRow(
                row.unit_code,
                row.unit_name,
                row.category,
                row.indicator_code,
                row.indicator_name,
                row.method,
                float(row.max),
                _num(row.self_value),
                _num(row.verified_value),
                _num(row.self_points),
                _num(row.verified_points),
                _num(row.difference),
                bool(row.false_report),
                _txt(row.self_note),
                _txt(row.verified_note),
            )
        )
    return out


def false_reports(db: Database, round_id: int) -> list[FalseReport]:
    """Every 虚报 indicator of the round (inspected units whose self points exceed the verified
    points by more than the tolerance, or who concealed a 一票否决 event)."""
    from sqlmodel import col, select

    from assess.models import Unit

    rows = [x for x in compare(db, round_id) if x.false_report]
    if not rows:
        return []
    with db.read() as s:
        ids = dict(s.exec(select(Unit.code, Unit.id).where(col(Unit.code).in_({x.unit_code for x in rows}))).all())
    return [
        FalseReport(
            round_id,
            ids[x.unit_code],
            x.unit_code,
            x.unit_name,
            x.indicator_code,
            x.indicator_name,
            x.self_value,
            x.verified_value,
            x.self_points,
            x.verified_points,
            x.difference,
        )
        for x in rows
    ]


def _num(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if f != f else f


def _txt(v: object) -> str | None:
    return v if isinstance(v, str) and v else None
