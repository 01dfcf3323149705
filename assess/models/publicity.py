"""公示 then objections then 定稿 (assess/publicity.py; docs/architecture.md, 公示与定稿)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Field, SQLModel

from assess.models.base import json_field, text_field, ts_field


class PublicityPeriod(SQLModel, table=True):
    """One 公示 of a round: the period, where objections go, and the 公示 snapshot (the same
    format as the final one, ``round_view.live_content``), hashed and anchored in the audit chain."""

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", index=True)
    starts_on: date
    ends_on: date
    contact: str | None = text_field()  # where and how to send objections
    content_hash: str = Field(max_length=64)
    audit_head: str = Field(max_length=64)
    content: dict[str, Any] = json_field()
    opened_by: str = Field(max_length=64)
    opened_at: datetime = ts_field()


class Objection(SQLModel, table=True):
    """An objection (异议/申诉) received during a 公示: who, what, when; the answer (维持/采纳),
    why, by whom and when; an upheld one links to the vote that settled it."""

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", index=True)
    period_id: int = Field(foreign_key="publicityperiod.id", index=True)
    submitter_kind: str = Field(max_length=16)  # person | unit | anonymous
    submitter: str | None = Field(default=None, max_length=128)  # name (person) or unit name
    contact: str | None = Field(default=None, max_length=128)
    unit_id: int | None = Field(default=None, foreign_key="unit.id")
    cadre_id: int | None = Field(default=None, foreign_key="cadre.id")
    figure: str | None = Field(default=None, max_length=64)  # the figure it disputes, e.g. 综合得分
    text: str = text_field(nullable=False, default="")
    received_on: date
    registered_by: str = Field(max_length=64)
    registered_at: datetime = ts_field()
    decision: str | None = Field(default=None, max_length=16)  # maintain 维持 | uphold 采纳
    reason: str | None = text_field()
    answered_by: str | None = Field(default=None, max_length=64)
    answered_at: datetime | None = ts_field(nullable=True)
    vote_id: int | None = Field(default=None, foreign_key="approvalvote.id")
