"""Database access: engines for SQLite and PostgreSQL, transactions, migrations, online backup.

SQLite is opened with WAL, ``synchronous=FULL``, ``foreign_keys=ON`` and a busy timeout; write
transactions begin IMMEDIATE so that concurrent clerks queue on the lock instead of failing with
"database is locked" at commit time. PostgreSQL runs the same code and migrations.
"""

from __future__ import annotations

import ast
import functools
import logging
import os
import re
import sqlite3
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from assess.foundation.accounts import write_scope
from assess.foundation.errors import AssessError
from assess.foundation.jsontext import stored_json

if TYPE_CHECKING:
    from typing import TypeAlias

    from alembic.config import Config
    from sqlalchemy.engine import Connection, Engine
    from sqlmodel import Session

    # What a reader runs its queries on: a Core connection (``Database.rows``) or an ORM session
    # (``Database.read``, ``Database.write``); readers that take one use ``execute`` and Core
    # statements on ``assess.models.tables`` only, so that both work.
    Reader: TypeAlias = "Connection | Session"

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent.parent / "migrations"
BUSY_TIMEOUT_MS = 30_000
# Every engine of this process not yet collected (a Database dropped by its command may leave its
# engine and pool in a reference cycle until a collection): closed together when a command's
# process ends (``dispose_open_databases``).
_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for other databases and in-memory SQLite."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database)


def _prepare_sqlite_file(path: Path) -> None:
    """Create the directory (0700) and an empty database file (0600) before SQLite opens it,
    so that the file, and the -wal and -shm files SQLite derives from it, are private."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)


def make_engine(url: str) -> Engine:
    from sqlalchemy import create_engine, event

    path = sqlite_path(url)
    if url.startswith("sqlite"):
        if path is not None:
            _prepare_sqlite_file(path)
        engine = create_engine(
            url,
            connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
            json_serializer=stored_json,
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:  # pragma: no cover - exercised by every test
            # Let SQLAlchemy's "begin" event issue BEGIN itself (IMMEDIATE for writes).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            if path is not None:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:  # pragma: no cover - exercised by every test
            mode = "IMMEDIATE" if conn.get_execution_options().get("assess_write") else "DEFERRED"
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    return create_engine(url, pool_pre_ping=True, json_serializer=stored_json)


class Database:
    """One database: an engine plus helpers for read and write transactions."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self._write_engine = self.engine.execution_options(assess_write=True)
        _ENGINES.add(self.engine)

    # -- properties ---------------------------------------------------------------------------
    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @property
    def path(self) -> Path | None:
        return sqlite_path(self.url)

    # -- transactions -------------------------------------------------------------------------
    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read session. Closing it ends the transaction without expiring loaded objects."""
        from sqlmodel import Session

        with Session(self.engine, expire_on_commit=False) as s:
            yield s

    @contextmanager
    def rows(self) -> Iterator[Connection]:
        """A read transaction on a Core connection: for readers that query ``assess.models.tables``
        and need none of the table classes (a read-only command then never builds them)."""
        with self.engine.connect() as conn:
            try:
                yield conn
            finally:
                conn.rollback()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction: BEGIN IMMEDIATE on SQLite, committed durably on success,
        rolled back on any exception."""
        from sqlmodel import Session


        with Session(self._write_engine, expire_on_commit=False) as s:
            try:
                with write_scope(s):  # the acting user is re-checked in this transaction
                    yield s
                s.commit()
            except BaseException:
                s.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()

    # -- lean write path (a hot path that stores one row per transaction) ------------------------
    @contextmanager
    def write_connection(self) -> Iterator[Connection]:
        """The transaction of ``write()`` on a Core connection instead of an ORM Session, for
        services that store one row per durable transaction with plain SQL (a ballot in the entry
        pass): BEGIN IMMEDIATE on SQLite, the acting user re-checked in the transaction
        (``write_scope``), committed durably on success, rolled back on any exception."""
        with self._write_engine.begin() as conn, write_scope(conn):  # the acting user is re-checked here
            yield conn

    # -- migrations ---------------------------------------------------------------------------
    def _alembic_config(self, connection: Connection | None = None) -> Config:
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        cfg.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        if connection is not None:
            cfg.attributes["connection"] = connection
        return cfg

    def head_revision(self) -> str | None:
        heads = script_heads()
        return ",".join(sorted(heads)) if heads else None

    def current_revision(self) -> str | None:
        """The revision(s) recorded in the database (read with plain SQL: importing Alembic costs
        most of a second, and is only needed when there is something to upgrade)."""
        from sqlalchemy import inspect, text

        with self.engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            heads = [r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))]
        return ",".join(sorted(heads)) if heads else None

    def has_user_tables(self) -> bool:
        from sqlalchemy import inspect

        names = set(inspect(self.engine).get_table_names())
        names.discard("alembic_version")
        return bool(names)

    def needs_upgrade(self) -> bool:
        return self.current_revision() != self.head_revision()

    def upgrade(self, *, backup: bool = True) -> Path | None:
        """Bring the schema to the newest migration. An existing SQLite database at an older
        revision is first copied with the online backup API; the copy's path is returned.
        Alembic is imported only when the revision check says a migration is due."""
        backup_path = None
        if not self.needs_upgrade():
            return None
        from alembic import command

        if backup and self.is_sqlite and self.path is not None and self.has_user_tables():
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            rev = (self.current_revision() or "base").replace(",", "+")
            backup_path = self.path.with_name(f"{self.path.name}.pre-{rev}-{stamp}.bak")
            self.backup(backup_path)
            log.info("backup before migration: %s", backup_path)
        from sqlalchemy.exc import ProgrammingError

        try:
            with self.engine.begin() as conn:
                command.upgrade(self._alembic_config(conn), "heads")
        except ProgrammingError as e:
            if getattr(e.orig, "sqlstate", None) != "42501":  # insufficient_privilege
                raise

            raise AssessError("数据库结构需要升级，但当前角色无权修改结构（应用角色）：请以所有者角色运行 "
                              "assess init（见 README“多人共用：PostgreSQL”）。") from None
        return backup_path

    # -- backup ---------------------------------------------------------------------------------
    def backup(self, dest: Path) -> Path:
        """Copy a SQLite database with the online backup API (consistent while others write).

        The copy is written to a new file beside ``dest`` and renamed over it only once complete,
        so nothing is deleted before the copy exists; ``dest`` may not be this database itself
        (same file by path, inode or symlink), nor its -wal or -shm file."""

        if not self.is_sqlite or self.path is None:
            raise AssessError("在线备份仅适用于 SQLite；PostgreSQL 请使用 pg_dump（见 README）。")
        dest = Path(dest)
        if dest.is_dir():
            raise AssessError(f"备份目标 {dest} 是一个目录：请给出备份文件名。")
        live = [Path(str(self.path) + suffix) for suffix in ("", "-wal", "-shm", "-journal")]
        target = dest.resolve()
        for p in live:
            same = p.resolve() == target
            if not same and p.exists() and dest.exists():
                same = os.path.samefile(p, dest)
            if same:
                raise AssessError(f"备份目标 {dest} 就是正在使用的数据库文件 {p.name}：请选择另一个文件，未作任何更改。")
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.partial")
        fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        os.close(fd)
        try:
            src = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000)
            dst = sqlite3.connect(tmp)
            try:
                src.backup(dst)
            finally:
                dst.close()
                src.close()
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
            os.replace(tmp, target)  # atomic: the old backup (if any) stays until the copy is whole
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return target


def script_heads() -> set[str]:
    """Head revisions of the migration scripts, read from the files without importing Alembic.
    (``tests/test_foundation_db.py`` checks this against Alembic's own answer.) Only the
    module-level ``revision`` / ``down_revision`` assignments are parsed (the whole files cost a
    noticeable part of every command's start-up); the answer is kept for the process."""
    return set(_script_heads())


@functools.cache
def _script_heads() -> frozenset[str]:
    assign = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.*)$", re.MULTILINE)
    revisions: dict[str, tuple[str, ...]] = {}
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        rev = None
        down: tuple[str, ...] = ()
        for m in assign.finditer(path.read_text(encoding="utf-8")):
            value = ast.literal_eval(m.group(2).split("#", 1)[0].strip())
            if m.group(1) == "revision":
                rev = value
            else:
                down = () if value is None else ((value,) if isinstance(value, str) else tuple(value))
        if rev:
            revisions[rev] = down
    referenced = {d for downs in revisions.values() for d in downs}
    return frozenset(set(revisions) - referenced)


def open_database(url: str, *, upgrade: bool = True, create: bool = True) -> Database:
    """Open (and, unless told otherwise, migrate) the database at ``url``. With ``create=False`` a
    SQLite file that does not exist is refused instead of being created empty (a mistyped
    ``--db``); only ``assess init`` and ``assess demo`` create databases."""
    path = sqlite_path(url)
    if not create and path is not None and not path.exists():
        raise AssessError(f"数据库文件不存在：{path}（请检查 --db 或 ASSESS_DB；新建数据库请运行 assess init）")
    db = Database(url)
    if upgrade:
        db.upgrade()
    return db


def dispose_open_databases() -> None:
    """Close the pooled connections of every database this process opened and still holds (a
    process about to exit without collecting its heap, ``assess.cli.process``)."""
    for engine in list(_ENGINES):
        engine.dispose()
