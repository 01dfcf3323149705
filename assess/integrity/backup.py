"""Backup and restore with checks: SQLite online backup API (never a file copy), integrity and
audit-chain verification before and after a restore."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from assess.foundation import accounts, audit
from assess.foundation.accounts import authorize
from assess.foundation.db import Database as _Database
from assess.foundation.errors import AssessError
from assess.foundation.roles import Actor

if TYPE_CHECKING:
    from assess.foundation.db import Database


@dataclass
class CheckResult:
    integrity: str
    audit_ok: bool
    audit_message: str
    audit_head: str

    @property
    def ok(self) -> bool:
        return self.integrity == "ok" and self.audit_ok


def check_database(db: Database) -> CheckResult:
    """PRAGMA integrity_check (SQLite) and the audit chain."""
    integrity = "ok"
    if db.is_sqlite:
        with db.read() as s:
            rows = s.connection().exec_driver_sql("PRAGMA integrity_check").all()
        integrity = "; ".join(r[0] for r in rows)
    v = audit.verify(db)
    return CheckResult(integrity, v.ok, v.message(), v.head_hash)


def backup(db: Database, actor: Actor, dest: str | Path) -> tuple[Path, str]:
    """Online backup of a SQLite database; returns the path and the audit chain head it contains."""
    authorize(actor, "db.backup")
    path = db.backup(Path(dest))

    copy = _Database(f"sqlite:///{path}")
    try:
        result = check_database(copy)
    finally:
        copy.dispose()
    if not result.ok:
        raise AssessError(f"备份文件校验失败：{result.integrity}；{result.audit_message}")
    return path, result.audit_head


def restore(db: Database, actor: Actor, source: str | Path) -> tuple[CheckResult, Path]:
    """Replace the SQLite database ``db`` with the backup at ``source``.

    The backup is checked first (integrity, audit chain); the current database is itself backed up
    (the path is returned) and then overwritten page by page through the backup API, so other
    connections see either the old or the restored database. The result is checked again."""

    authorize(actor, "db.restore")
    if not db.is_sqlite or db.path is None:
        raise AssessError("恢复仅适用于 SQLite 文件；PostgreSQL 请使用 pg_restore（见 README）。")
    # The actor is checked against the database being replaced; the restored file may not know
    # this account, and the record of the restore is written there all the same.
    accounts.confirm_now(db, actor)
    source = Path(source)
    if not source.exists():
        raise AssessError(f"备份文件不存在：{source}")
    try:
        with source.open("rb") as f:
            if f.read(16) != b"SQLite format 3\x00":
                raise AssessError(f"{source} 不是 SQLite 数据库文件。")
    except OSError as e:
        raise AssessError(f"无法读取备份文件 {source}：{e}") from None
    src_db = _Database(f"sqlite:///{source}")
    try:
        before = check_database(src_db)
        if not before.ok:
            raise AssessError(f"备份文件未通过校验，未恢复：{before.integrity}；{before.audit_message}")
        if src_db.needs_upgrade() and src_db.current_revision() is None:
            raise AssessError("备份文件不是本系统的数据库（没有结构版本）。")
    finally:
        src_db.dispose()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    safety = db.path.with_name(f"{db.path.name}.pre-restore-{stamp}.bak")
    db.backup(safety)
    db.dispose()
    src = sqlite3.connect(source)
    dst = sqlite3.connect(db.path, timeout=30)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    db.upgrade()
    after = check_database(db)
    with db.write() as s:
        audit.append(s, actor.username, "db.restore", {"source": source.name, "safety_copy": safety.name,
                                                       "restored_head": before.audit_head})
    return after, safety
