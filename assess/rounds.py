"""Assessment rounds: stages and what blocks the next one."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .db import Database


def blockers(db: Database, round_id: int) -> list[str]:
    """What must happen before the round can move to its next stage, in words."""
    from sqlalchemy import func
    from sqlmodel import select

    from .guards import get_round
    from .models import RoundUnit

    with db.read() as s:
        r = get_round(s, round_id)
        if r.stage == "selfcheck_open":
            pending = s.exec(select(func.count()).select_from(RoundUnit)
                             .where(RoundUnit.round_id == round_id, RoundUnit.submitted_at.is_(None))).one()
            if pending:
                return [f"{pending} 个单位未提交自查"]
    return []
