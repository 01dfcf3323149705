"""Settings: where the database is and the few knobs an office may turn.

Resolution order for the database URL: explicit argument (``--db``), then ``ASSESS_DB``, then a
SQLite file in the user data directory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "assess"


def default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def default_db_url() -> str:
    return f"sqlite:///{default_data_dir() / 'assess.db'}"


def resolve_db_url(explicit: str | None = None) -> str:
    url = explicit or os.environ.get("ASSESS_DB") or default_db_url()
    if "://" not in url:
        # A bare path is taken as a SQLite file.
        url = f"sqlite:///{Path(url).expanduser().resolve()}"
    return url


@dataclass(frozen=True)
class Settings:
    db_url: str
    idle_lock_minutes: float = 10.0

    @classmethod
    def from_env(cls, db: str | None = None) -> Settings:
        minutes = os.environ.get("ASSESS_IDLE_MINUTES", "10")
        try:
            idle = float(minutes)
        except ValueError:
            idle = 10.0
        return cls(db_url=resolve_db_url(db), idle_lock_minutes=idle)


DEFAULT_TIMEZONE = "Asia/Shanghai"
DEFAULT_ISSUER = "考核工作领导小组办公室"


@dataclass(frozen=True)
class Office:
    """What an office sets once for every screen, command and document.

    Read from the environment today (``ASSESS_OFFICE``, ``ASSESS_ISSUER``, ``ASSESS_TZ``,
    ``ASSESS_EXPORT_DIR``); every caller goes through :func:`office` so that a system-wide
    configuration file can feed the same fields.
    """

    name: str
    issuer: str
    timezone: str
    export_dir: Path


def office() -> Office:
    return Office(
        name=os.environ.get("ASSESS_OFFICE", "").strip(),
        issuer=os.environ.get("ASSESS_ISSUER", "").strip() or DEFAULT_ISSUER,
        timezone=os.environ.get("ASSESS_TZ", "").strip() or DEFAULT_TIMEZONE,
        export_dir=Path(os.environ.get("ASSESS_EXPORT_DIR", "").strip() or (Path.home() / "assess-exports")),
    )


def local_time(value):
    """A stored instant (UTC, aware or naive) in the office's time zone."""
    from datetime import UTC
    from zoneinfo import ZoneInfo

    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(ZoneInfo(office().timezone))


def local_today():
    """Today's date in the office's time zone (the date a document is dated)."""
    from datetime import UTC, datetime

    return local_time(datetime.now(UTC)).date()
