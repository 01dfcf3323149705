"""Plain SQL on the driver's own connection, inside a SQLAlchemy transaction.

For the few statements that run in every write of a hot path (the acting user's re-check in every
write transaction, a ballot's store in the entry pass): SQLAlchemy's statement layer (result
metadata, events, parameter processing) costs about 0.1 ms a statement, several times what SQLite
takes to run it. And for the few reads of many rows of plain values (a round's scores, units ×
indicators twice; the session sums): building SQLAlchemy's row objects costs more than the fetch
(``fetchall``). The transaction stays SQLAlchemy's (BEGIN IMMEDIATE on SQLite, the commit, the
rollback on error); only the statements go to the driver directly.

Statements are written with ``:name`` parameters (SQLite's own style); for PostgreSQL (psycopg,
``pyformat``) they are rewritten once to ``%(name)s``. Values go to the driver as they are: use this
only for plain integers and strings, never for columns that need SQLAlchemy's type conversion (dates,
JSON). A driver error is raised as SQLAlchemy raises it (``sqlalchemy.exc.DBAPIError`` and its
subclasses, the driver's exception as ``orig``), so callers see the same errors as with ``execute``.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from sqlalchemy.engine import Connection
    from sqlmodel import Session

_NAMED = re.compile(r"(?<![:\w]):(\w+)")


@functools.cache
def driver_sql(dialect: str, paramstyle: str, sql: str) -> str:
    """``sql`` (``:name`` parameters) in the driver's parameter style."""
    if dialect == "sqlite":
        return sql  # sqlite3 takes :name with a mapping
    if paramstyle == "pyformat":
        return _NAMED.sub(r"%(\1)s", sql.replace("%", "%%"))
    raise ValueError(f"parameter style {paramstyle!r} of {dialect} is not supported by plain_sql")


def execute(conn: Connection, sql: str, params: Mapping[str, Any] | None = None) -> Any:
    """Run ``sql`` in the open transaction of ``conn``; returns the driver's cursor (``fetchone``)."""
    dialect = conn.dialect
    statement = driver_sql(dialect.name, dialect.paramstyle, sql)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]  # a live connection
    try:
        cursor.execute(statement, params or {})
    except dialect.loaded_dbapi.Error as e:
        from sqlalchemy.exc import DBAPIError

        cursor.close()
        raise DBAPIError.instance(statement, params, e, dialect.loaded_dbapi.Error, dialect=dialect) from e
    return cursor


def connection_of(reader: Connection | Session) -> Connection:
    """The Core connection of a Session's transaction, or the connection itself."""
    from sqlalchemy.engine import Connection

    return reader if isinstance(reader, Connection) else reader.connection()


def fetchall(reader: Connection | Session, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple]:
    """Every row of ``sql`` as plain tuples, in the transaction of ``reader`` (a Session or a
    connection): for reads of many rows of plain numbers and strings, where building SQLAlchemy's
    row objects costs more than the driver's own fetch."""
    cursor = execute(connection_of(reader), sql, params)
    try:
        return cursor.fetchall()
    finally:
        cursor.close()


def fetchone(conn: Connection, sql: str, params: Mapping[str, Any] | None = None) -> tuple | None:
    """The first row of ``sql`` (a tuple), or None."""
    cursor = execute(conn, sql, params)
    try:
        return cursor.fetchone()
    finally:
        cursor.close()


def run(conn: Connection, sql: str, params: Mapping[str, Any] | None = None) -> None:
    """Run a statement that returns no rows."""
    execute(conn, sql, params).close()


def run_many(conn: Connection, sql: str, rows: Sequence[Mapping[str, Any]]) -> None:
    """Run a statement that returns no rows once per mapping of ``rows`` (the driver's executemany)."""
    dialect = conn.dialect
    statement = driver_sql(dialect.name, dialect.paramstyle, sql)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]  # a live connection
    try:
        cursor.executemany(statement, rows)
    except dialect.loaded_dbapi.Error as e:
        from sqlalchemy.exc import DBAPIError

        raise DBAPIError.instance(
            statement, rows, e, dialect.loaded_dbapi.Error, dialect=dialect, ismulti=True
        ) from e
    finally:
        cursor.close()
