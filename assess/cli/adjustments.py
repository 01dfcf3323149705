"""``assess adjust`` (加减分) and ``assess discipline`` (处分记录) commands."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from assess.cli.common import ROUND_HELP, acting_user, add_common, emit, emit_message, open_db


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("adjust", help="加减分：登记、导入、列出")
    us = p.add_subparsers(dest="adjust_cmd", metavar="子命令")
    q = us.add_parser("add", help="为参评单位登记加分（正数）或扣分（负数）")
    q.add_argument("--round", required=True, help=ROUND_HELP)
    q.add_argument("--unit", required=True)
    q.add_argument("--points", required=True, type=float)
    q.add_argument("--reason", required=True)
    q.add_argument("--source", help="依据（文件、通报编号）")
    add_common(q)
    q.set_defaults(func=cmd_add)
    q = us.add_parser("import", help="从 CSV/XLSX 导入（unit_code,points,reason[,source]），全部成功或全部不导入")
    q.add_argument("--round", required=True, help=ROUND_HELP)
    q.add_argument("file")
    add_common(q)
    q.set_defaults(func=cmd_import)
    q = us.add_parser("list", help="列出本轮加减分")
    q.add_argument("--round", required=True, help=ROUND_HELP)
    add_common(q)
    q.set_defaults(func=cmd_list)

    p = sub.add_parser("discipline", help="处分与组织处理记录（影响评优）")
    us = p.add_subparsers(dest="discipline_cmd", metavar="子命令")
    q = us.add_parser("add", help="登记单位或干部的处理记录")
    q.add_argument("--round", required=True, help=ROUND_HELP)
    q.add_argument("--kind", required=True, help="提醒谈话、约谈、通报批评、诫勉、组织调整、党纪政务处分")
    target = q.add_mutually_exclusive_group(required=True)
    target.add_argument("--unit")
    target.add_argument("--cadre")
    q.add_argument("--note")
    add_common(q)
    q.set_defaults(func=cmd_discipline_add)
    q = us.add_parser("list", help="列出本轮处理记录")
    q.add_argument("--round", required=True, help=ROUND_HELP)
    add_common(q)
    q.set_defaults(func=cmd_discipline_list)


def cmd_add(args) -> int:
    from assess.org.adjustments import add_adjustment

    db = open_db(args)
    add_adjustment(db, acting_user(args, db), args.round, args.unit, args.points, args.reason, args.source)
    emit_message(args, f"已登记 {args.unit} {args.points:+g} 分")
    return 0


def cmd_import(args) -> int:
    from assess.org.adjustments import import_adjustments

    db = open_db(args)
    n = import_adjustments(db, acting_user(args, db), args.round, args.file)
    emit_message(args, f"已导入 {n} 条加减分", count=n)
    return 0


def cmd_list(args) -> int:
    from assess.org.adjustments import list_adjustments

    db = open_db(args)
    rows = [asdict(r) for r in list_adjustments(db, args.round)]
    emit(rows, ["unit_code", "unit_name", "points", "reason", "source", "created_by"], args.format)
    return 0


def cmd_discipline_add(args) -> int:
    from assess.org.adjustments import add_discipline

    db = open_db(args)
    add_discipline(db, acting_user(args, db), args.round, args.kind, unit_code=args.unit,
                   cadre_code=args.cadre, note=args.note)
    emit_message(args, f"已登记{args.kind}：{args.unit or args.cadre}")
    return 0


def cmd_discipline_list(args) -> int:
    from assess.org.adjustments import list_discipline

    db = open_db(args)
    rows = [asdict(r) for r in list_discipline(db, args.round)]
    emit(rows, ["subject", "kind", "note", "created_by"], args.format)
    return 0
