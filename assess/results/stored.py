"""The stored results of a round as every output lists them: a published round's from its snapshot
(``assess.results.round_view`` reads the rest of a round the same way), the live rows otherwise; and
the earlier rounds a ranking compares with. Read through the Core tables (``assess.models.tables``),
so that ``assess rank`` builds no table class."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from assess.foundation.vocabulary import ANNUAL_COMPONENTS, Stage
from assess.rounds.snapshots import plain_number, published_content

if TYPE_CHECKING:
    import pandas as pd

    from assess.foundation.db import Reader
    from assess.models import Round
    from assess.rounds.lifecycle import RoundRef

RESULT_STAGES = (Stage.COMPUTED, Stage.UNDER_REVIEW, Stage.APPROVED, Stage.PUBLICITY, Stage.PUBLISHED)


STORED_COLUMNS = [
    "unit_id",
    "code",
    "name",
    "category",
    "composite",
    "indicators",
    "appraisal",
    "adjustment",
    "penalty",
    "satisfaction",
    "rank",
    "rank_low",
    "rank_high",
    "grade",
    "flags",
]


def stored_component(v: float | None) -> float | None:
    """A component value as ``unitresult.components`` stores it (4 decimals; NaN as None)."""
    return None if v is None or v != v else round(float(v), 4)


def snapshot_or_live(
    s: Reader, round_id: int, key: str, live: Callable[[Any, int], list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """The rows under ``key`` of a published round's snapshot, else ``live(s, round_id)``."""
    content = published_content(s, round_id)
    return list(content.get(key) or []) if content is not None else live(s, round_id)


def live_results(s: Reader, round_id: int) -> list[dict[str, Any]]:
    from sqlalchemy import select

    from assess.models import tables as t

    ur, unit = t.unitresult, t.unit
    rows = s.execute(
        select(ur, unit.c.code.label("unit_code"), unit.c.name.label("unit_name"))
        .join(unit, unit.c.id == ur.c.unit_id)
        .where(ur.c.round_id == round_id)
        .order_by(ur.c.category, ur.c.rank, unit.c.code)
    ).all()
    return [
        {
            "unit_id": int(r.unit_id),
            "code": code,
            "name": name,
            "category": r.category,
            "composite": float(r.composite),
            "components": {k: plain_number(v) for k, v in sorted((r.components or {}).items())},
            "rank": int(r.rank),
            "rank_low": None if r.rank_low is None else int(r.rank_low),
            "rank_high": None if r.rank_high is None else int(r.rank_high),
            "grade": r.grade,
            "flags": list(r.flags or []),
        }
        for r, code, name in ((r, r.unit_code, r.unit_name) for r in rows)
    ]


def results(s: Reader, round_id: int) -> list[dict[str, Any]]:
    """Unit results (names as published for a published round)."""
    return snapshot_or_live(s, round_id, "results", live_results)


def _number(v: Any) -> float:
    """A stored component as a float (NaN when absent or not a number), as a results table holds it."""
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def stored_rows(session: Reader, round_id: int) -> list[dict]:
    """The unit results of a round, one dict per unit (keys ``STORED_COLUMNS``), ordered by
    category, rank and code: a published round's from its snapshot (``assess.results.round_view``). Plain
    rows: readers that only list results need no data frame (and no pandas)."""

    out = []
    for r in results(session, round_id):
        c = r.get("components") or {}
        out.append(
            {
                "unit_id": r["unit_id"],
                "code": r["code"],
                "name": r["name"],
                "category": r["category"],
                "composite": _number(r["composite"]),
                "indicators": _number(c.get("indicators")),
                "appraisal": _number(c.get("appraisal")),
                "adjustment": _number(c.get("adjustment")),
                "penalty": _number(c.get("penalty")),
                "satisfaction": _number(c.get("satisfaction")),
                "rank": r["rank"],
                "rank_low": r["rank_low"],
                "rank_high": r["rank_high"],
                "grade": r["grade"],
                "flags": list(r.get("flags") or []),
                # an annual round's quarterly average and year-end composite (assess.results.annual)
                **{k: _number(c.get(k)) for k in ANNUAL_COMPONENTS if k in c},
            }
        )
    out.sort(key=lambda r: (r["category"], r["rank"], r["code"]))
    return out


def stored_table(session: Reader, round_id: int) -> pd.DataFrame:
    """The unit results of a round as a results table (for history and comparisons): the rows of
    ``stored_rows`` in a data frame."""
    import pandas as pd

    return pd.DataFrame(stored_rows(session, round_id), columns=STORED_COLUMNS)


def earlier_rounds(session: Reader, r: Round | RoundRef, limit: int | None = None) -> list[tuple[str, int]]:
    """(period, round id) of earlier periods of the same scheme that have results, newest first;
    one round per period (the published one, else the newest)."""
    from sqlalchemy import select

    from assess.models import tables as t

    rnd, ver = t.round, t.schemeversion
    scheme_id = select(ver.c.scheme_id).where(ver.c.id == r.scheme_version_id).scalar_subquery()
    rows: Sequence[Any] = session.execute(
        select(rnd.c.id, rnd.c.period, rnd.c.stage)
        .join(ver, ver.c.id == rnd.c.scheme_version_id)
        .where(
            ver.c.scheme_id == scheme_id,
            rnd.c.period < r.period,
            rnd.c.id != r.id,
            rnd.c.stage.in_(RESULT_STAGES),
            rnd.c.id.in_(select(t.unitresult.c.round_id).distinct()),
        )
    ).all()
    best: dict[Any, tuple[int, int]] = {}
    for rid, period, stage in rows:
        score = (1 if stage == Stage.PUBLISHED else 0, rid)
        if period not in best or score > best[period]:
            best[period] = score
    out = [(p, best[p][1]) for p in sorted(best, reverse=True)]
    return out[:limit] if limit is not None else out
