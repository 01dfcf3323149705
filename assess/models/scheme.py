"""Assessment schemes (考核方案) as immutable versions, and their indicator trees."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from assess.models.base import json_field, text_field, ts_field


class Scheme(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=200)
    created_at: datetime = ts_field()


class SchemeVersion(SQLModel, table=True):
    """One immutable version of a scheme. ``definition`` is the parsed, canonical scheme."""

    __table_args__ = (sa.UniqueConstraint("scheme_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    scheme_id: int = Field(foreign_key="scheme.id", index=True)
    version: int
    content_hash: str = Field(max_length=64, index=True)
    source_name: str = Field(max_length=255)
    source_text: str = text_field(nullable=False, default="")
    definition: dict[str, Any] = json_field()
    created_at: datetime = ts_field()
    created_by: str = Field(max_length=64)


class Indicator(SQLModel, table=True):
    """A node of a scheme version's indicator tree (denormalised for queries and joins)."""

    __table_args__ = (sa.UniqueConstraint("scheme_version_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    scheme_version_id: int = Field(foreign_key="schemeversion.id", index=True)
    code: str = Field(max_length=32)
    parent_code: str | None = Field(default=None, max_length=32)
    level: int = Field(default=1)
    sort_order: int = Field(default=0)
    name: str = Field(max_length=255)
    method: str = Field(max_length=16)  # points | deduct | bonus | ratio | veto
    max_points: float | None = None
    weight: float | None = None
    target: float | None = None
    unit_of_measure: str | None = Field(default=None, max_length=32)
    evidence: str | None = text_field()
    categories: list[str] = json_field(list)
    source: str | None = Field(default=None, max_length=255)
