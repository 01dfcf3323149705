"""Assessment rounds (考核轮次): participants, self-check and spot-check scores, the draw,
findings and rectification, 加减分 and discipline records."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .base import json_field, text_field, ts_field

STAGES = (
    "draft",
    "selfcheck_open",
    "selfcheck_closed",
    "spotcheck_drawn",
    "spotcheck_done",
    "appraisal_certified",
    "computed",
    "under_review",
    "approved",
    "publicity",  # 公示中 (assess/publicity.py); then 定稿 freezes it as published
    "published",
)


class Round(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=128)
    period: str = Field(max_length=16, index=True)  # e.g. 2026-Q3 or 2026
    scheme_version_id: int = Field(foreign_key="schemeversion.id", index=True)
    stage: str = Field(default="draft", max_length=32)
    corrects_round_id: int | None = Field(default=None, foreign_key="round.id")
    created_at: datetime = ts_field()
    created_by: str = Field(max_length=64)


class RoundUnit(SQLModel, table=True):
    """A unit taking part in a round; ``submitted_at`` marks its self-check as submitted."""

    __table_args__ = (sa.UniqueConstraint("round_id", "unit_id"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    submitted_at: datetime | None = ts_field(nullable=True)


class SelfCheckScore(SQLModel, table=True):
    """A unit's own raw value for one indicator (meaning depends on the indicator's method)."""

    __table_args__ = (sa.UniqueConstraint("round_id", "unit_id", "indicator_code"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    indicator_code: str = Field(max_length=32)
    value: float
    note: str | None = text_field()
    updated_at: datetime = ts_field()


class SpotCheckDraw(SQLModel, table=True):
    """One RFC 3797 draw: the published pool, the sources, the key string and the result."""

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", index=True)
    purpose: str = Field(default="units", max_length=16)  # units | inspectors
    count: int
    pool: list[Any] = json_field(list)
    sources: list[Any] = json_field(list)
    key_string: str = text_field(nullable=False, default="")
    selected: list[Any] = json_field(list)
    extras: dict[str, Any] = json_field()  # 重点 units, per-category minimum, exclusions
    status: str = Field(default="active", max_length=16)  # active | void
    void_reason: str | None = text_field()
    created_at: datetime = ts_field()
    created_by: str = Field(max_length=64)


class SpotCheckScore(SQLModel, table=True):
    """Inspectors' verified raw value for one indicator of a drawn unit."""

    __table_args__ = (sa.UniqueConstraint("round_id", "unit_id", "indicator_code"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    indicator_code: str = Field(max_length=32)
    value: float
    note: str | None = text_field()
    inspector: str = Field(max_length=64)
    updated_at: datetime = ts_field()


class Finding(SQLModel, table=True):
    """A problem found (问题). Corrections are new records pointing at the one they correct."""

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    indicator_code: str | None = Field(default=None, max_length=32)
    description: str = text_field(nullable=False, default="")
    severity: str = Field(default="一般", max_length=16)
    corrects_id: int | None = Field(default=None, foreign_key="finding.id")
    created_at: datetime = ts_field()
    created_by: str = Field(max_length=64)


class Rectification(SQLModel, table=True):
    """A rectification notice (整改通知书) for a finding, with a deadline."""

    id: int | None = Field(default=None, primary_key=True)
    finding_id: int = Field(foreign_key="finding.id", index=True)
    notice_no: str = Field(max_length=64, unique=True)
    requirement: str = text_field(nullable=False, default="")
    deadline: date
    issued_at: datetime = ts_field()
    issued_by: str = Field(max_length=64)


class RectificationEvent(SQLModel, table=True):
    """A status change of a rectification: rectifying, rectified, closed (销号), reopened."""

    id: int | None = Field(default=None, primary_key=True)
    rectification_id: int = Field(foreign_key="rectification.id", index=True)
    status: str = Field(max_length=16)
    note: str | None = text_field()
    at: datetime = ts_field()
    by_user: str = Field(max_length=64)


class Adjustment(SQLModel, table=True):
    """加减分: points added or deducted for a unit in a round, with the reason and its source."""

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    points: float
    reason: str = text_field(nullable=False, default="")
    source: str | None = Field(default=None, max_length=255)
    created_at: datetime = ts_field()
    created_by: str = Field(max_length=64)


class DisciplineAction(SQLModel, table=True):
    """A discipline record (诫勉, 通报批评 …) that limits grades, e.g. 诫勉 → cannot be 优秀."""

    id: int | None = Field(default=None, primary_key=True)
    round_id: int | None = Field(default=None, foreign_key="round.id", index=True)
    unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    cadre_id: int | None = Field(default=None, foreign_key="cadre.id", index=True)
    kind: str = Field(max_length=32)
    note: str | None = text_field()
    created_at: datetime = ts_field()
    created_by: str = Field(max_length=64)
