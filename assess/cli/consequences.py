"""``assess consequences ROUND | --year YEAR``: 考核结果运用 (assess/consequences.py)."""

from __future__ import annotations

import argparse

from assess.cli.common import ROUND_HELP, add_common, emit, open_db


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("consequences", help="考核结果运用：按方案的结果运用规则，列出一个轮次（或一个年度）的运用清单")
    p.add_argument("round", nargs="?", help=ROUND_HELP)
    p.add_argument("--year", type=int, help="一个年度的全部公示或定稿轮次，如 2026")
    add_common(p)
    p.set_defaults(func=cmd_consequences)


def cmd_consequences(args) -> int:
    from assess.foundation.errors import Conflict
    from assess.results import consequences

    db = open_db(args)
    if (args.round is None) == (args.year is None):
        raise Conflict("请给出一个考核轮次，或用 --year 给出年度（二者选一）。")
    got = consequences.round_consequences(db, args.round) if args.round is not None else \
        consequences.year_consequences(db, args.year)
    if args.format != "table":
        emit(got.rows, consequences.COLUMNS, args.format)
        return 0
    print(got.message())
    emit(got.rows, consequences.COLUMNS, "table", headers=consequences.HEADERS)
    return 0
