"""The snapshot of a published round as stored: its content and the JSON forms it holds. Readers in
every area use it to serve a published round from what was published (``assess.results.round_view``
builds and reads the whole of it)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from assess.foundation.vocabulary import Stage

if TYPE_CHECKING:
    from sqlmodel import Session

    from assess.foundation.db import Reader
    from assess.models import PublicityPeriod


SNAPSHOT_FORMAT = 2


# Fields of a format-2 snapshot taken from the master data (unit and cadre names, positions, a
# unit's current category and a cadre's current unit): shown as they were at publication, and
# legitimately edited afterwards, so verification does not compare them with the live rows; the
# content hash and the ``round.publish`` audit record protect them.
MASTER_FIELDS = {
    "inputs.units": ("name", "category"),
    "results": ("name",),
    "cadre_results": ("name", "position", "unit_id", "unit_code", "unit_name"),
    "accountability": ("unit_name", "category", "cadre_name", "position", "cadre_unit_name"),
    "tallies": ("unit_name",),
    "targets": ("name", "cadre_unit_id", "detail"),
}


def iso(value: datetime | None) -> str | None:
    """A stored instant as ISO text in UTC (naive values are UTC), the form snapshots hold."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


def from_iso(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def plain_number(v: Any) -> Any:
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and v != v:
        return None
    return v


def published_content(s: Reader, round_id: int) -> dict[str, Any] | None:
    """The snapshot content of a published round in format 2 or later, else None (the live
    tables are read)."""
    from sqlalchemy import select

    from assess.models import tables as t

    stage = s.execute(select(t.round.c.stage).where(t.round.c.id == round_id)).scalar()
    if stage == Stage.PUBLICITY:  # 公示中: the 公示 snapshot (assess.results.publicity)
        return publicity_content(s, round_id)
    if stage != Stage.PUBLISHED:
        return None
    cache = s.info.setdefault("published_content", {})  # one read per session: the snapshot never changes
    if round_id not in cache:
        snap = t.snapshot
        cache[round_id] = s.execute(select(snap.c.content).where(snap.c.round_id == round_id)).scalar()
    content = cache[round_id]
    if not content or int(content.get("format") or 1) < SNAPSHOT_FORMAT:
        return None
    return content


def periods_of(session: Session, round_id: int) -> list[PublicityPeriod]:
    from sqlmodel import col, select

    from assess.models import PublicityPeriod

    return list(
        session.exec(
            select(PublicityPeriod).where(col(PublicityPeriod.round_id) == round_id).order_by(col(PublicityPeriod.id))
        ).all()
    )


def last_period(session: Session, round_id: int) -> PublicityPeriod | None:
    got = periods_of(session, round_id)
    return got[-1] if got else None


def publicity_content(session: Reader, round_id: int) -> dict[str, Any] | None:
    """The 公示 snapshot content of a round in 公示中 (its newest 公示 period's), else None."""
    from sqlalchemy import select

    from assess.models import tables as t

    p = t.publicityperiod
    return session.execute(
        select(p.c.content).where(p.c.round_id == round_id).order_by(p.c.id.desc()).limit(1)
    ).scalar()
