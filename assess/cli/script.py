"""``assess run``: several commands under one authentication (a command file, or standard input).

Each line is one command as it would follow ``assess`` on the command line (``#`` starts a
comment line; blank lines are skipped). Every line is parsed before any runs, so a mistyped
command changes nothing. The password is checked once, through the same ``acting_user`` /
``authenticate`` path as every command, and every line then acts as that user on the same
database; a line naming another ``--user`` or ``--db`` is refused. The lines run in order, each
in its own transactions as when typed; the first failing line stops the run (exit 1) and the
lines after it are not run.
"""

from __future__ import annotations

import argparse
import shlex
import sys

from assess.cli.common import acting_user, add_common, authenticated_as, emit_message, open_db
from assess.foundation.errors import AssessError, InputErrors, InputProblem


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="以一次身份验证依次执行命令文件（或标准输入）中的多条命令")
    p.add_argument("file", help="命令文件，每行一条命令（不含开头的 assess）；- 表示标准输入")
    add_common(p)
    p.set_defaults(func=cmd_run)


def read_commands(name: str, text: str) -> list[tuple[int, list[str]]]:
    """(line, argv) of each command line; problems with file and line raise InputErrors."""
    commands: list[tuple[int, list[str]]] = []
    problems: list[InputProblem] = []
    for no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            argv = shlex.split(line)
        except ValueError as e:
            problems.append(InputProblem(name, no, None, f"无法解析：{e}"))
            continue
        if argv[0] == "assess":
            argv = argv[1:]
        if not argv:
            continue
        if argv[0] == "run":
            problems.append(InputProblem(name, no, None, "命令文件中不能再运行命令文件"))
            continue
        commands.append((no, argv))
    if problems:
        raise InputErrors(problems)
    if not commands:
        raise InputErrors([InputProblem(name, None, None, "没有命令")])
    return commands


def _parse_all(name: str, commands: list[tuple[int, list[str]]], db_arg: str | None, user: str | None):
    """Parse every line before running any; a line's own --db or --user must match the run's."""
    from assess.cli import build_parser

    parser = build_parser()
    problems: list[InputProblem] = []
    parsed = []
    for no, argv in commands:
        if db_arg and "--db" not in argv:
            argv = [*argv, "--db", db_arg]  # every line acts on the run's database
        try:
            args = parser.parse_args(argv)
        except SystemExit:
            problems.append(InputProblem(name, no, None, f"命令有误：{' '.join(argv)}（用 assess {argv[0]} --help 查看用法）"))
            continue
        if not getattr(args, "func", None):
            problems.append(InputProblem(name, no, None, f"不完整的命令：{' '.join(argv)}"))
            continue
        if getattr(args, "db", None) not in (None, db_arg):
            problems.append(InputProblem(name, no, "--db", "命令文件中的命令只能使用运行它的数据库"))
        if getattr(args, "user", None) not in (None, user):
            problems.append(InputProblem(name, no, "--user", "命令文件中的命令只能以运行它的用户身份执行"))
        parsed.append((no, argv))
    if problems:
        raise InputErrors(problems)
    return parsed


def cmd_run(args) -> int:
    from assess.cli import dispatch

    name = "标准输入" if args.file == "-" else args.file
    if args.file == "-":
        text = sys.stdin.read()
    else:
        try:
            with open(args.file, encoding="utf-8-sig") as f:
                text = f.read()
        except OSError as e:
            raise AssessError(f"无法读取命令文件 {args.file}：{e.strerror}") from None
    commands = _parse_all(name, read_commands(name, text), args.db, args.user)
    db = open_db(args)
    actor = acting_user(args, db)  # the one password check of the run
    done = 0
    with authenticated_as(actor):
        for no, argv in commands:
            rc = dispatch(argv)
            if rc:
                print(f"错误：{name} 第 {no} 行失败，其后的 {len(commands) - done - 1} 条命令未执行。", file=sys.stderr)
                return int(rc) if isinstance(rc, int) else 1
            done += 1
    emit_message(args, f"已执行 {done} 条命令（用户 {actor.username}）", commands=done)
    return 0
