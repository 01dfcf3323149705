"""The assessment year as offices run it: the 黑名单 register, stage deadlines of a round and the
cadres' 年初承诺 (docs: indicators/README.md and README.md, “问责”“阶段期限”“年初承诺”)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from assess.models.base import text_field, ts_field


class BlacklistEntry(SQLModel, table=True):
    """A listing on the 黑名单 (seed 002 一（一）: 不良行为的企业单位和执业人员“列入黑名单”): who,
    why, from when, and — once lifted — until when and why. ``unit_id``/``cadre_id`` link a listed
    assessed unit or cadre; an outside enterprise or person is named only."""

    id: int | None = Field(default=None, primary_key=True)
    subject_kind: str = Field(max_length=16)  # unit | cadre | enterprise | person
    name: str = Field(max_length=128)
    unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    cadre_id: int | None = Field(default=None, foreign_key="cadre.id", index=True)
    reason: str = text_field(nullable=False, default="")
    basis: str | None = Field(default=None, max_length=128)  # e.g. the 通报 or the round entry
    entered_on: date
    exit_on: date | None = None
    exit_reason: str | None = text_field()
    created_by: str = Field(max_length=64)
    created_at: datetime = ts_field()
    exited_by: str | None = Field(default=None, max_length=64)


class StageDeadline(SQLModel, table=True):
    """The window of one stage of a round (seed 001 八: 自查 5月25日至30日, 核查 6月份)."""

    __table_args__ = (sa.UniqueConstraint("round_id", "stage"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", index=True)
    stage: str = Field(max_length=16)  # selfcheck | spotcheck | appraisal | review
    starts_on: date | None = None
    due_on: date
    set_by: str = Field(max_length=64)
    set_at: datetime = ts_field()


class CadrePledge(SQLModel, table=True):
    """A cadre's 年初承诺 for a year (勤廉双述: 年初承诺, 年末述职述廉)."""

    __table_args__ = (sa.UniqueConstraint("cadre_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    cadre_id: int = Field(foreign_key="cadre.id", index=True)
    year: int
    text: str = text_field(nullable=False, default="")
    recorded_by: str = Field(max_length=64)
    recorded_at: datetime = ts_field()
