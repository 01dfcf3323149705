"""年初承诺: each cadre's pledge for the year, shown at the 述职 step of 勤廉双述."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assess.appraisal.session_info import session_info
from assess.foundation import audit
from assess.foundation.accounts import authorize
from assess.foundation.errors import Conflict, NotFound
from assess.foundation.roles import Actor
from assess.foundation.write_guards import get_round
from assess.org.blacklist import MAX_TEXT

if TYPE_CHECKING:
    from sqlmodel import Session

    from assess.foundation.db import Database


def record_pledge(db: Database, actor: Actor, cadre_code: str, year: int, text: str) -> int:
    """Record (or replace) a cadre's 年初承诺 for ``year``."""
    from sqlmodel import select

    from assess.models import Cadre, CadrePledge

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
        assert c.id is not None  # a stored row has its id
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
        assert p.id is not None  # flushed: the row has its id
        return p.id


def pledges(s: Session, cadre_ids: list[int], year: int) -> dict[int, str]:
    """cadre_id → that year's 年初承诺 (cadres without one are absent)."""
    from sqlmodel import col, select

    from assess.models import CadrePledge

    if not cadre_ids:
        return {}
    rows = s.exec(
        select(CadrePledge.cadre_id, CadrePledge.text).where(
            col(CadrePledge.cadre_id).in_(cadre_ids), CadrePledge.year == int(year)
        )
    ).all()
    return {int(c): t for c, t in rows}


def pledge_text(db: Database, cadre_code: str, year: int) -> str | None:
    from sqlmodel import select

    from assess.models import Cadre

    with db.read() as s:
        c = s.exec(select(Cadre).where(Cadre.code == cadre_code)).first()
        if c is None:
            return None
        assert c.id is not None  # a stored row has its id
        return pledges(s, [c.id], year).get(c.id)


def session_pledges(db: Database, session_id: int) -> list[tuple[str, str, str | None]]:
    """(cadre code, name, 年初承诺 or None) for the cadres of a 勤廉双述 session, in ballot order,
    for the year of the session's round: shown when the 述职述廉 is recorded."""
    info = session_info(db, session_id)
    with db.read() as s:
        period = get_round(s, info.round_id).period
        ids = [t.cadre_id for t in info.targets if t.cadre_id is not None]
        texts = pledges(s, ids, int(period[:4]))
    return [(t.code, t.name, texts.get(t.cadre_id)) for t in info.targets if t.cadre_id is not None]
