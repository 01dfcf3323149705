"""Annual rounds (年度考核): a round of a year that combines the year's published quarterly rounds
of its scheme with its own year-end (年终) results (``assess.results.annual``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from assess.models.base import json_field, ts_field


class AnnualRound(SQLModel, table=True):
    """Marks a round as the annual round of ``year``. ``sources``: the quarterly rounds it combines,
    [{quarter, round_id, period, name}], fixed when the round is computed (frozen with it)."""

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", unique=True)
    year: int
    sources: list[Any] = json_field(list)
    created_at: datetime = ts_field()
    created_by: str = Field(max_length=64)
