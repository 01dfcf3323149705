"""职能部门评分 and 合理缺项 (assess/scorers.py): the responsible department's score of an
indicator for an assessed unit, and a unit's exemption from an indicator with its approval."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from assess.models.base import text_field, ts_field


class DeptScore(SQLModel, table=True):
    """The raw value the indicator's scoring unit (``scorer``, a unit code named in the scheme)
    entered for one assessed unit; it is the value the engine scores for that indicator."""

    __table_args__ = (sa.UniqueConstraint("round_id", "unit_id", "indicator_code"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    indicator_code: str = Field(max_length=32)
    value: float
    note: str | None = text_field()
    scorer: str = Field(max_length=32)  # the scheme's scorer unit code for the indicator
    entered_by: str = Field(max_length=64)
    updated_at: datetime = ts_field()


class Exemption(SQLModel, table=True):
    """合理缺项: a unit exempt from an indicator in a round, with the reason; counts only once
    approved by another user (status pending → approved | rejected)."""

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    indicator_code: str = Field(max_length=32)
    reason: str = text_field(nullable=False, default="")
    status: str = Field(default="pending", max_length=16)  # pending | approved | rejected
    requested_by: str = Field(max_length=64)
    requested_at: datetime = ts_field()
    decided_by: str | None = Field(default=None, max_length=64)
    decided_at: datetime | None = ts_field(nullable=True)
    decision_note: str | None = text_field()
