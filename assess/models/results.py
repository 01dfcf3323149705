"""Computed results, accountability entries, the review chain, the committee vote, snapshots."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from assess.foundation.vocabulary import AccountabilityStatus
from assess.models.base import json_field, text_field, ts_field


class UnitResult(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("round_id", "unit_id"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", index=True)
    unit_id: int = Field(foreign_key="unit.id")
    category: str = Field(max_length=64)
    composite: float
    components: dict[str, Any] = json_field()
    rank: int
    rank_low: int | None = None
    rank_high: int | None = None
    grade: str = Field(max_length=16)
    flags: list[Any] = json_field(list)
    computed_at: datetime = ts_field()


class CadreResult(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("session_id", "cadre_id"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", index=True)
    session_id: int = Field(foreign_key="appraisalsession.id")
    cadre_id: int = Field(foreign_key="cadre.id")
    score: float | None = None
    grade: str = Field(max_length=16)
    counts: dict[str, Any] = json_field()
    flags: list[Any] = json_field(list)
    computed_at: datetime = ts_field()


class AccountabilityEntry(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", index=True)
    unit_id: int | None = Field(default=None, foreign_key="unit.id")
    cadre_id: int | None = Field(default=None, foreign_key="cadre.id")
    rule_code: str = Field(max_length=64)
    rule_text: str = text_field(nullable=False, default="")
    figures: dict[str, Any] = json_field()
    proposed_action: str = Field(max_length=128)
    robust_share: float | None = None  # share of resamples in which the trigger holds
    status: str = Field(default=AccountabilityStatus.PROPOSED, max_length=16)  # AccountabilityStatus
    decided_by: str | None = Field(default=None, max_length=64)
    decided_at: datetime | None = ts_field(nullable=True)
    reason: str | None = text_field()


class ReviewStep(SQLModel, table=True):
    """初审 → 审核 → 复核 → 审议, each by its role."""

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", index=True)
    step: str = Field(max_length=16)
    by_user: str = Field(max_length=64)
    decision: str = Field(max_length=16)  # Decision
    note: str | None = text_field()
    at: datetime = ts_field()


class ApprovalVote(SQLModel, table=True):
    """票决: passes only when yes > half of 应到会人数."""

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", index=True)
    expected_members: int
    present: int
    yes: int
    no: int
    abstain: int
    passed: bool
    recorded_by: str = Field(max_length=64)
    at: datetime = ts_field()


class Snapshot(SQLModel, table=True):
    """The frozen publication of a round: results, inputs and rules, hashed."""

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", unique=True)
    content_hash: str = Field(max_length=64)
    audit_head: str = Field(max_length=64)
    content: dict[str, Any] = json_field()
    published_at: datetime = ts_field()
    published_by: str = Field(max_length=64)
