"""Shared pieces of the command line: database, acting user, output formats, errors."""

from __future__ import annotations

import argparse
import csv
import getpass
import json
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from assess.foundation.errors import AuthError
from assess.foundation.roles import Actor
from assess.reports.textbars import text_width

FORMATS = ("table", "csv", "json")
USER_HELP = "操作用户（默认 $ASSESS_USER）；密码取自 $ASSESS_PASSWORD 或终端提示；只读命令不使用"


def add_common(p: argparse.ArgumentParser, *, formats: Sequence[str] = FORMATS) -> None:
    p.add_argument("--db", help="数据库 URL 或 SQLite 文件路径（默认 $ASSESS_DB、配置文件的 database 或用户数据目录）")
    p.add_argument("--format", choices=list(formats), default=formats[0], help="输出格式")
    p.add_argument("--user", help=USER_HELP)


def add_user_everywhere(parser: argparse.ArgumentParser) -> None:
    """Give ``--user`` to every command that runs (a parser with a ``func``) and lacks it, so that
    one invocation style — ``--user`` on every command, as in a command file — works for all of
    them; read-only commands accept it and ignore it."""
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        for sub in action.choices.values():
            if sub.get_default("func") is not None and "--user" not in sub._option_string_actions:
                sub.add_argument("--user", help=USER_HELP)
            add_user_everywhere(sub)


def open_db(args: argparse.Namespace):
    from assess.foundation.db import open_database
    from assess.foundation.settings import resolve_db_url

    # Commands never create a database: a mistyped --db is refused (init and demo create one).
    # One command opens (and checks the revision of) its database once, however often it asks.
    url = resolve_db_url(getattr(args, "db", None))
    cached = getattr(args, "_opened_db", None)
    if cached is not None and cached.url == url:
        return cached
    db = open_database(url, create=False)
    args._opened_db = db
    return db


def close_db(args: argparse.Namespace) -> None:
    """Close the database a command opened (``open_db``), if it opened one."""
    db = getattr(args, "_opened_db", None)
    if db is not None:
        db.dispose()
        args._opened_db = None


# The user a command file (``assess run``) authenticated once, for the commands it runs.
_run_actor: list[Actor] = []


@contextmanager
def authenticated_as(actor: Actor) -> Iterator[None]:
    """Run the commands of a command file as ``actor``, authenticated once by ``acting_user``."""
    _run_actor.append(actor)
    try:
        yield
    finally:
        _run_actor.pop()


def acting_user(args: argparse.Namespace, db) -> Actor:
    """Authenticate the user a write is attributed to (inside ``assess run``: the user the
    command file was authenticated as, once)."""
    from assess.foundation.users import authenticate

    if _run_actor:
        actor = _run_actor[-1]
        named = getattr(args, "user", None)
        if named and named != actor.username:
            raise AuthError(f"命令文件以用户 {actor.username} 运行，其中的命令不能改用 {named}。")
        return actor
    username = getattr(args, "user", None) or os.environ.get("ASSESS_USER")
    if not username:
        raise AuthError("此命令会修改数据：请用 --user 或 ASSESS_USER 指明操作用户。")
    password = os.environ.get("ASSESS_PASSWORD")
    if password is None:
        if not sys.stdin.isatty():
            raise AuthError("需要密码：请设置 ASSESS_PASSWORD，或在终端中运行以输入密码。")
        password = getpass.getpass(f"{username} 的密码：")
    return authenticate(db, username, password)


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.2f}"
    return str(v)


def emit(rows: Iterable[dict[str, Any]], columns: Sequence[str], fmt: str, *, out=None, headers: Sequence[str] | None = None) -> None:
    """Print rows as an aligned table, CSV (header row first) or JSON (a list of objects)."""
    out = out or sys.stdout
    rows = list(rows)
    if fmt == "json":
        json.dump([{c: r.get(c) for c in columns} for r in rows], out, ensure_ascii=False, indent=2, default=str)
        out.write("\n")
        return
    if fmt == "csv":
        w = csv.writer(out, lineterminator="\n")
        w.writerow(columns)
        for r in rows:
            w.writerow([r.get(c, "") if r.get(c) is not None else "" for c in columns])
        return
    heads = list(headers or columns)
    cells = [[_text(r.get(c)) for c in columns] for r in rows]
    widths = [max([text_width(h)] + [text_width(row[i]) for row in cells]) for i, h in enumerate(heads)]

    def line(vals: list[str]) -> str:
        return "  ".join(v + " " * (widths[i] - text_width(v)) for i, v in enumerate(vals)).rstrip()

    out.write(line(heads) + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for row in cells:
        out.write(line(row) + "\n")


def emit_message(args: argparse.Namespace, message: str, **data: Any) -> None:
    """Print a one-line result; with --format json, an object with the message and data."""
    if getattr(args, "format", "table") == "json":
        json.dump({"message": message, **data}, sys.stdout, ensure_ascii=False, default=str)
        sys.stdout.write("\n")
    else:
        print(message)


ROUND_HELP = "考核轮次：编号、名称或期间（如 2026-Q3）"


def round_id(db, ref: str | int) -> int:
    """A round given on the command line by id, or by its unique name or period."""
    from assess.rounds.lifecycle import find_round

    with db.rows() as s:
        return find_round(s, ref).id
