"""Organisation: units (单位/部门), cadres (干部) and users of the application."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from assess.models.base import ts_field

ROLES = ("admin", "clerk", "inspector", "reviewer", "committee")


class Unit(SQLModel, table=True):
    """An assessed department, township, village or community."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    name: str = Field(max_length=128)
    category: str = Field(max_length=64, index=True)
    parent_id: int | None = Field(default=None, foreign_key="unit.id")
    active: bool = Field(default=True)
    created_at: datetime = ts_field()


class Cadre(SQLModel, table=True):
    """A person appraised by 勤廉双述."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    name: str = Field(max_length=64)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    position: str = Field(max_length=128)
    risk_level: str | None = Field(default=None, max_length=1)  # 廉政风险等级 A/B/C
    active: bool = Field(default=True)
    created_at: datetime = ts_field()


class User(SQLModel, table=True):
    """A member of staff who logs in. Passwords are Argon2id hashes."""

    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    display_name: str = Field(max_length=64)
    role: str = Field(max_length=16)
    password_hash: str = Field(max_length=255)
    active: bool = Field(default=True)
    created_at: datetime = ts_field()
    # 职能部门评分: the unit (code) the account works for; it then enters the scores of the
    # indicators that unit is the scorer of (assess/scorers.py). None: the office.
    unit_code: str | None = Field(default=None, max_length=32)


class LoginFailure(SQLModel, table=True):
    """One failed login, kept until the next successful login of that user name; the current run of
    failures decides the waiting time (``assess.foundation.accounts``, docs/reliability.md). Each failure is
    also an audit record (``user.login.failed``)."""

    __tablename__ = "login_failure"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, index=True)
    at: datetime = ts_field()
