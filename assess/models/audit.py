"""The append-only audit log, a SHA-256 hash chain."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class AuditRecord(SQLModel, table=True):
    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)
    at: str = Field(max_length=40)  # ISO 8601 UTC, part of the hashed record
    actor: str = Field(max_length=64)
    action: str = Field(max_length=64, index=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))


class AuditHead(SQLModel, table=True):
    """One row (id = 1) holding the chain head; locking it serialises appends."""

    id: int = Field(default=1, primary_key=True, sa_column_kwargs={"autoincrement": False})
    seq: int = Field(default=0)
    hash: str = Field(max_length=64)
