"""The assessment year's registers: 黑名单 (blacklist), stage deadlines (deadline), 年初承诺
(pledge) and 红黄牌 (cards)."""

from __future__ import annotations

import argparse
from datetime import date

from assess.appraisal import pledges
from assess.cli.common import ROUND_HELP, acting_user, add_common, emit, emit_message, open_db, round_id
from assess.foundation.settings import local_today
from assess.results import cards
from assess.rounds import deadlines


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期“{text}”无效，应为 YYYY-MM-DD") from None


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("blacklist", help="黑名单：列出；blacklist add 列入、blacklist remove 移出（管理员或审核员）")
    p.add_argument("--on", type=_date, help="只列出该日在册的（YYYY-MM-DD）")
    add_common(p)
    p.set_defaults(func=cmd_blacklist)
    bl = p.add_subparsers(dest="bl_cmd", metavar="子命令")
    q = bl.add_parser("add", help="列入黑名单：类别 unit/cadre 写编码，enterprise/person 写名称")
    q.add_argument("kind", choices=["unit", "cadre", "enterprise", "person"])
    q.add_argument("subject", help="单位或干部编码；企业或个人名称")
    q.add_argument("--reason", required=True, help="理由")
    q.add_argument("--basis", help="依据（如通报文号、问责名单条目）")
    q.add_argument("--from", dest="entered_on", type=_date, default=None, help="列入日期（默认今天）")
    add_common(q)
    q.set_defaults(func=cmd_blacklist_add)
    q = bl.add_parser("remove", help="移出黑名单（须写明理由）")
    q.add_argument("entry", type=int, help="黑名单条目编号")
    q.add_argument("--reason", required=True, help="理由")
    q.add_argument("--on", dest="exit_on", type=_date, default=None, help="移出日期（默认今天）")
    add_common(q)
    q.set_defaults(func=cmd_blacklist_remove)

    p = sub.add_parser("deadline", help="阶段期限：列出一个轮次的；deadline set 设定；deadline overdue 逾期的阶段")
    p.add_argument("--round", help=ROUND_HELP)
    p.add_argument("--today", type=_date, help="判断逾期所用的日期（默认今天）")
    add_common(p)
    p.set_defaults(func=cmd_deadline)
    dl = p.add_subparsers(dest="dl_cmd", metavar="子命令")
    q = dl.add_parser("set", help="设定阶段期限（管理员）：selfcheck 自查、spotcheck 核查、appraisal 民主评议、review 审核审议")
    q.add_argument("--round", required=True, help=ROUND_HELP)
    q.add_argument("stage", choices=["selfcheck", "spotcheck", "appraisal", "review"])
    q.add_argument("due_on", type=_date, help="截止日期（含当天）")
    q.add_argument("--from", dest="starts_on", type=_date, help="开始日期")
    add_common(q)
    q.set_defaults(func=cmd_deadline_set)
    q = dl.add_parser("overdue", help="所有轮次中已过截止日期而未完成的阶段")
    q.add_argument("--today", type=_date, help="判断逾期所用的日期（默认今天）")
    add_common(q)
    q.set_defaults(func=cmd_deadline_overdue)

    p = sub.add_parser("pledge", help="年初承诺：pledge set 登记（管理员或录入员）；pledge show 查看")
    pl = p.add_subparsers(dest="pl_cmd", metavar="子命令")
    q = pl.add_parser("set", help="登记或修改一名干部某年度的年初承诺")
    q.add_argument("cadre", help="干部编码")
    q.add_argument("year", type=int, help="年度，如 2026")
    q.add_argument("--text", required=True, help="承诺内容")
    add_common(q)
    q.set_defaults(func=cmd_pledge_set)
    q = pl.add_parser("show", help="查看一名干部某年度的年初承诺")
    q.add_argument("cadre", help="干部编码")
    q.add_argument("year", type=int, help="年度")
    add_common(q)
    q.set_defaults(func=cmd_pledge_show)

    p = sub.add_parser("cards", help="红黄牌：已进入问责名单或黑名单（红牌）、再触发一次即进入问责名单（黄牌）")
    p.add_argument("--round", required=True, help=ROUND_HELP)
    p.add_argument("--today", type=_date, help="判断黑名单在册所用的日期（默认今天）")
    add_common(p)
    p.set_defaults(func=cmd_cards)


def cmd_blacklist(args) -> int:
    from assess.org import blacklist as year

    db = open_db(args)
    cols = ["id", "kind", "name", "reason", "basis", "entered_on", "exit_on", "exit_reason", "created_by"]
    rows = [
        {
            "id": r.id,
            "kind": r.subject_kind if args.format != "table" else r.kind_label,
            "name": r.name,
            "reason": r.reason,
            "basis": r.basis,
            "entered_on": r.entered_on.isoformat(),
            "exit_on": r.exit_on.isoformat() if r.exit_on else None,
            "exit_reason": r.exit_reason,
            "created_by": r.created_by,
        }
        for r in year.list_listings(db, args.on)
    ]
    headers = ["编号", "类别", "名称", "理由", "依据", "列入日期", "移出日期", "移出理由", "登记人"]
    emit(rows, cols, args.format, headers=headers if args.format == "table" else None)
    return 0


def cmd_blacklist_add(args) -> int:
    from assess.org import blacklist as year

    db = open_db(args)
    entry = year.enter_listing(
        db, acting_user(args, db), args.kind, args.subject, args.reason, args.entered_on or local_today(), args.basis
    )
    emit_message(args, f"已列入黑名单：#{entry} {args.subject}", entry=entry)
    return 0


def cmd_blacklist_remove(args) -> int:
    from assess.org import blacklist as year

    db = open_db(args)
    on = args.exit_on or local_today()
    year.exit_listing(db, acting_user(args, db), args.entry, on, args.reason)
    emit_message(args, f"黑名单条目 #{args.entry} 已于 {on.isoformat()} 移出", entry=args.entry)
    return 0


def _deadline_rows(items, fmt: str) -> list[dict]:
    return [
        {
            "round": d.round_name,
            "stage": d.stage if fmt != "table" else d.label,
            "starts_on": d.starts_on.isoformat() if d.starts_on else None,
            "due_on": d.due_on.isoformat(),
            "done": d.done if fmt != "table" else ("已完成" if d.done else "未完成"),
            "days_overdue": d.days_overdue,
        }
        for d in items
    ]


DEADLINE_COLS = ["round", "stage", "starts_on", "due_on", "done", "days_overdue"]
DEADLINE_HEADERS = ["轮次", "阶段", "开始", "截止", "状态", "逾期天数"]


def cmd_deadline(args) -> int:
    from assess.foundation.errors import AssessError

    if not args.round:
        raise AssessError("请用 --round 指定考核轮次（所有逾期阶段请用 assess deadline overdue）。")
    db = open_db(args)
    items = deadlines.round_deadlines(db, round_id(db, args.round), args.today)
    emit(_deadline_rows(items, args.format), DEADLINE_COLS, args.format,
         headers=DEADLINE_HEADERS if args.format == "table" else None)
    return 0


def cmd_deadline_set(args) -> int:
    db = open_db(args)
    rid = round_id(db, args.round)
    deadlines.set_deadline(db, acting_user(args, db), rid, args.stage, args.due_on, args.starts_on)
    label = deadlines.DEADLINE_STAGES[args.stage][0]
    emit_message(args, f"已设定{label}期限：{args.due_on.isoformat()} 截止", round=rid, stage=args.stage)
    return 0


def cmd_deadline_overdue(args) -> int:
    db = open_db(args)
    items = deadlines.overdue_stages(db, args.today)
    emit(_deadline_rows(items, args.format), DEADLINE_COLS, args.format,
         headers=DEADLINE_HEADERS if args.format == "table" else None)
    return 0


def cmd_pledge_set(args) -> int:
    db = open_db(args)
    pledges.record_pledge(db, acting_user(args, db), args.cadre, args.year, args.text)
    emit_message(args, f"已登记 {args.cadre} {args.year} 年度年初承诺", cadre=args.cadre, year=args.year)
    return 0


def cmd_pledge_show(args) -> int:
    from assess.foundation.errors import NotFound

    db = open_db(args)
    text = pledges.pledge_text(db, args.cadre, args.year)
    if text is None:
        raise NotFound(f"干部“{args.cadre}”没有 {args.year} 年度的年初承诺。")
    emit_message(args, text, cadre=args.cadre, year=args.year)
    return 0


def cmd_cards(args) -> int:
    db = open_db(args)
    rows = [
        {"card": c.colour if args.format != "table" else c.label, "unit": c.unit, "text": c.text}
        for c in cards.cards(db, round_id(db, args.round), args.today)
    ]
    emit(rows, ["card", "unit", "text"], args.format, headers=["牌", "单位", "说明"] if args.format == "table" else None)
    return 0
