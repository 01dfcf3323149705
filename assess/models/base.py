"""Shared column helpers for the models."""

from __future__ import annotations

import secrets
from array import array
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

# Naming convention so constraints have stable names on both SQLite and PostgreSQL (batch mode
# migrations on SQLite need named constraints).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
# Set before any table class is built: every model module imports this one first.
SQLModel.metadata.naming_convention = NAMING_CONVENTION


def utcnow() -> datetime:
    """Timezone-aware UTC now (naive datetimes are refused by the ORM layer)."""
    return datetime.now(UTC)


def random_id() -> int:
    """A random positive 63-bit integer: reveals nothing about order of creation."""
    return secrets.randbits(62) + 1


def random_ids(n: int) -> list[int]:
    """``n`` ids drawn as ``random_id`` draws one (62 random bits, plus 1), from one read of the
    system's random source instead of one read per id (bulk inserts)."""
    words = array("Q", secrets.token_bytes(8 * n))  # 8 bytes each (asserted below)
    return [(w >> 2) + 1 for w in words]


assert array("Q").itemsize == 8  # random_ids reads 8 random bytes per id


def ts_field(nullable: bool = False, **kw: Any) -> Any:
    column = sa.Column(sa.DateTime(timezone=True), nullable=nullable, **kw)
    if nullable:
        return Field(default=None, sa_column=column)
    return Field(default_factory=utcnow, sa_column=column)


def json_field(default_factory: Any = dict) -> Any:
    return Field(default_factory=default_factory, sa_column=sa.Column(sa.JSON, nullable=False))


def text_field(nullable: bool = True, default: str | None = None) -> Any:
    return Field(default=default, sa_column=sa.Column(sa.Text, nullable=nullable))
