"""Checks shared by services: a published round is frozen, a certified batch is immutable."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assess.foundation.errors import FrozenError, NotFound
from assess.foundation.vocabulary import Stage

if TYPE_CHECKING:
    from sqlmodel import Session

    from assess.models import Round


def round_not_found(round_id: int) -> NotFound:
    return NotFound(f"考核轮次 #{round_id} 不存在。")


def get_round(session: Session, round_id: int) -> Round:
    from assess.models import Round

    r = session.get(Round, round_id)
    if r is None:
        raise round_not_found(round_id)
    return r


def refuse_frozen(name: str, stage: str) -> None:
    """Refuse a change to a round (by its name and stage) once it is published."""
    if stage == Stage.PUBLISHED:
        raise FrozenError(f"考核轮次“{name}”已公示冻结，不能再修改；如需更正请新建关联轮次。")


def ensure_round_writable(session: Session, round_id: int) -> Round:
    """Return the round, or refuse: a published round never changes (corrections go to a new,
    linked round)."""
    r = get_round(session, round_id)
    refuse_frozen(r.name, r.stage)
    return r
