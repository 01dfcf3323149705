"""Settings: where the database is and the few knobs an office may turn.

Every value is resolved in the same order: the command line (``--db`` for the database), then the
environment variable, then the system-wide configuration file (``/etc/assess/config.toml``, or the
file named by ``ASSESS_CONFIG``), then the built-in default. The keys and their variables are listed
in ``CONFIG_KEYS`` and documented in the README ("配置"). A configuration file that cannot be read,
is not valid TOML, has an unknown key or a value of the wrong kind raises :class:`ConfigError`
naming the file, the line and the key.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, overload
from zoneinfo import ZoneInfo

from assess.foundation.errors import AssessError

APP_NAME = "assess"
DEFAULT_CONFIG_PATH = Path("/etc/assess/config.toml")
DEFAULT_TIMEZONE = "Asia/Shanghai"
DEFAULT_ISSUER = "考核工作领导小组办公室"
DEFAULT_IDLE_MINUTES = 10.0

# key in the file -> (environment variable, kind, meaning)
CONFIG_KEYS: dict[str, tuple[str, str, str]] = {
    "database": ("ASSESS_DB", "text", "数据库 URL 或 SQLite 文件路径"),
    "office": ("ASSESS_OFFICE", "text", "单位（办公室）名称"),
    "issuer": ("ASSESS_ISSUER", "text", "文书落款（发文机关）"),
    "timezone": ("ASSESS_TZ", "timezone", "时区（IANA 名称）"),
    "idle_lock_minutes": ("ASSESS_IDLE_MINUTES", "minutes", "空闲锁屏分钟数（0 关闭）"),
    "export_dir": ("ASSESS_EXPORT_DIR", "path", "导出文件夹"),
    "backup_dir": ("ASSESS_BACKUP_DIR", "path", "每晚备份存放的文件夹"),
    "anchors_file": ("ASSESS_ANCHORS", "path", "审计链头锚点文件（只追加）"),
}


class ConfigError(AssessError):
    """The configuration file or an environment variable has a value that cannot be used."""


def config_path() -> Path:
    return Path(os.environ.get("ASSESS_CONFIG", "").strip() or DEFAULT_CONFIG_PATH)


def _key_line(text: str, key: str) -> int:
    for n, line in enumerate(text.splitlines(), start=1):
        if re.match(rf"\s*[\"']?{re.escape(key)}[\"']?\s*=", line):
            return n
    return 1


def _check(value: Any, kind: str, where: str) -> Any:
    """The value converted for its kind, or ConfigError naming ``where``."""
    if kind == "minutes":
        if isinstance(value, str):
            try:
                value = float(value.strip())
            except ValueError:
                raise ConfigError(f"{where}：应为分钟数（数字，0 表示不锁屏），实际为“{value}”") from None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ConfigError(f"{where}：应为不小于 0 的分钟数，实际为 {value!r}")
        return float(value)
    if not isinstance(value, str):
        raise ConfigError(f"{where}：应为文字（加引号），实际为 {value!r}")
    value = value.strip()
    if kind == "timezone" and value:
        try:
            ZoneInfo(value)
        except Exception:
            raise ConfigError(f"{where}：“{value}”不是有效的时区名称（例如 Asia/Shanghai）") from None
    return value


_FILE_CACHE: dict[tuple[str, int, int], dict[str, Any]] = {}


def load_config(path: Path | None = None) -> dict[str, Any]:
    """The checked keys of the configuration file ({} when the file does not exist)."""

    path = path or config_path()
    try:
        st = path.stat()
    except FileNotFoundError:
        return {}
    except OSError as e:
        raise ConfigError(f"配置文件 {path} 无法读取：{e.strerror}") from None
    stamp = (str(path), st.st_mtime_ns, st.st_size)
    if stamp in _FILE_CACHE:
        return _FILE_CACHE[stamp]
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"配置文件 {path} 无法读取（须为 UTF-8 文本）：{e}") from None
    import tomllib  # its parser's patterns are compiled on import: only when there is a file

    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"line (\d+)", str(e))
        line = m.group(1) if m else "?"
        raise ConfigError(f"配置文件 {path} 第 {line} 行：不是有效的 TOML（{e}）") from None
    out: dict[str, Any] = {}
    for key, value in raw.items():
        where = f"配置文件 {path} 第 {_key_line(text, key)} 行，键 {key}"
        if key not in CONFIG_KEYS:
            known = "、".join(CONFIG_KEYS)
            raise ConfigError(f"{where}：未知的键（可用的键：{known}）")
        out[key] = _check(value, CONFIG_KEYS[key][1], where)
    _FILE_CACHE.clear()
    _FILE_CACHE[stamp] = out
    return out


def setting(key: str) -> Any:
    """One key: its environment variable when set and not empty, else the configuration file,
    else None."""
    env, kind, _ = CONFIG_KEYS[key]
    value = os.environ.get(env, "").strip()
    if value:
        return _check(value, kind, f"环境变量 {env}")
    stored = load_config().get(key)
    return None if stored is None or stored == "" else stored


def default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def default_db_url() -> str:
    return f"sqlite:///{default_data_dir() / 'assess.foundation.db'}"


def resolve_db_url(explicit: str | None = None) -> str:
    url = explicit or setting("database") or default_db_url()
    if "://" not in url:
        # A bare path is taken as a SQLite file.
        url = f"sqlite:///{Path(url).expanduser().resolve()}"
    return url


@dataclass(frozen=True)
class Settings:
    db_url: str
    idle_lock_minutes: float = DEFAULT_IDLE_MINUTES

    @classmethod
    def from_env(cls, db: str | None = None) -> Settings:
        """The database and idle lock from ``--db``, the environment and the configuration file."""
        idle = setting("idle_lock_minutes")
        return cls(db_url=resolve_db_url(db), idle_lock_minutes=DEFAULT_IDLE_MINUTES if idle is None else idle)


@dataclass(frozen=True)
class Office:
    """What an office sets once for every screen, command and document (``ASSESS_OFFICE``,
    ``ASSESS_ISSUER``, ``ASSESS_TZ``, ``ASSESS_EXPORT_DIR`` or the configuration file's
    ``office``, ``issuer``, ``timezone``, ``export_dir``)."""

    name: str
    issuer: str
    timezone: str
    export_dir: Path


def office() -> Office:
    export = setting("export_dir")
    return Office(
        name=setting("office") or "",
        issuer=setting("issuer") or DEFAULT_ISSUER,
        timezone=setting("timezone") or DEFAULT_TIMEZONE,
        export_dir=Path(export).expanduser() if export else (Path.home() / "assess-exports"),
    )


@overload
def local_time(value: datetime) -> datetime: ...
@overload
def local_time(value: None) -> None: ...
def local_time(value: datetime | None) -> datetime | None:
    """A stored instant (UTC, aware or naive) in the office's time zone."""

    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(ZoneInfo(office().timezone))


def local_today() -> date:
    """Today's date in the office's time zone (the date a document is dated)."""

    return local_time(datetime.now(UTC)).date()
