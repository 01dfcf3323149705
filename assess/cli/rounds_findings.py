"""Finding and rectification commands (registered by ``assess.cli.rounds``)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from datetime import date

from assess.cli.common import ROUND_HELP, acting_user, add_common, emit, emit_message, open_db
from assess.foundation.settings import local_today


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期“{text}”无效，应为 YYYY-MM-DD") from None


def _round_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--round", required=True, help=ROUND_HELP)


# -- findings and rectification -------------------------------------------------------------------


def register_findings(sub) -> None:
    p = sub.add_parser("finding", help="问题登记")
    sp = p.add_subparsers(dest="finding_cmd", metavar="子命令")
    q = sp.add_parser("add", help="登记检查发现的问题")
    _round_arg(q)
    q.add_argument("--unit", required=True)
    q.add_argument("--description", required=True)
    q.add_argument("--severity", default="一般", help="轻微、一般或严重")
    q.add_argument("--indicator")
    q.add_argument("--corrects", type=int, help="更正的问题编号（原记录保留）")
    add_common(q)
    q.set_defaults(func=cmd_finding_add)
    q = sp.add_parser("list", help="问题与整改台账")
    q.add_argument("--round", help=ROUND_HELP)
    q.add_argument("--today", type=_date, help="按这一天判断是否逾期（默认今天）")
    q.add_argument("--all-versions", action="store_true", help="包括已被更正的旧记录")
    add_common(q)
    q.set_defaults(func=cmd_finding_list, overdue_only=False)

    p = sub.add_parser("rectification", help="整改通知：下发、进展、复查销号、台账、通知书")
    sp = p.add_subparsers(dest="rectification_cmd", metavar="子命令")
    q = sp.add_parser("issue", help="对问题下发整改通知书；--finding 可重复，一次下发多份，全部成功或全部不下发")
    q.add_argument("--finding", type=int, action="append", required=True, help="问题编号（可重复）")
    q.add_argument("--deadline", type=_date, required=True, help="整改期限 YYYY-MM-DD")
    q.add_argument("--requirement", required=True)
    q.add_argument("--notice-no", help="通知书编号（默认 整改〔年〕NNN号）")
    q.add_argument("--today", type=_date, help=argparse.SUPPRESS)
    add_common(q)
    q.set_defaults(func=cmd_rect_issue)
    q = sp.add_parser(
        "update", help="登记整改进展：rectifying（整改中）或 rectified（已整改）；可一次给出多个编号，全部成功或全部不改"
    )
    q.add_argument("id", type=int, nargs="+", help="整改通知编号（可多个）")
    q.add_argument("--status", required=True, choices=["rectifying", "rectified"])
    q.add_argument("--note")
    add_common(q)
    q.set_defaults(func=cmd_rect_update)
    q = sp.add_parser("close", help="复查：合格则销号；--failed 退回整改；可一次给出多个编号，全部成功或全部不改")
    q.add_argument("id", type=int, nargs="+", help="整改通知编号（可多个）")
    q.add_argument("--failed", action="store_true")
    q.add_argument("--note")
    add_common(q)
    q.set_defaults(func=cmd_rect_close)
    q = sp.add_parser("list", help="整改台账（--overdue 只列逾期）")
    q.add_argument("--round", help=ROUND_HELP)
    q.add_argument("--overdue", action="store_true", dest="overdue_only")
    q.add_argument("--today", type=_date)
    add_common(q)
    q.set_defaults(func=cmd_finding_list, all_versions=False, rectified_only=True)
    q = sp.add_parser("notice", help="输出整改通知书全文（带审计锚点）")
    q.add_argument("id", type=int)
    q.add_argument("--out", help="写入文件（UTF-8 文本）")
    q.add_argument("--issuer", help="落款单位（默认为办公室设置的发文单位）")
    add_common(q)
    q.set_defaults(func=cmd_rect_notice)


LEDGER_COLUMNS = [
    "finding_id",
    "round_id",
    "unit_code",
    "unit_name",
    "indicator_code",
    "severity",
    "description",
    "rectification_id",
    "notice_no",
    "deadline",
    "status",
    "status_label",
    "overdue",
    "days_overdue",
]


def cmd_finding_add(args) -> int:
    from assess.rounds.findings import add_finding

    db = open_db(args)
    fid = add_finding(
        db,
        acting_user(args, db),
        args.round,
        args.unit,
        args.description,
        args.severity,
        args.indicator,
        args.corrects,
    )
    emit_message(args, f"已登记第 {fid} 号问题", finding_id=fid)
    return 0


def cmd_finding_list(args) -> int:
    from assess.rounds.findings import ledger, overdue

    db = open_db(args)
    today = args.today or local_today()
    if args.overdue_only:
        rows = overdue(db, today, args.round)
    else:
        rows = ledger(db, args.round, today, include_superseded=args.all_versions)
    if getattr(args, "rectified_only", False):
        rows = [r for r in rows if r.rectification_id is not None]
    data = [{**asdict(r), "deadline": r.deadline.isoformat() if r.deadline else None} for r in rows]
    emit(data, LEDGER_COLUMNS, args.format)
    return 0


def cmd_rect_issue(args) -> int:
    from assess.rounds.findings import issue_rectifications

    db = open_db(args)
    ids = issue_rectifications(
        db,
        acting_user(args, db),
        args.finding,
        args.deadline,
        args.requirement,
        args.notice_no,
        today=args.today,
    )
    if len(ids) == 1:
        emit_message(
            args,
            f"已下发整改通知（第 {ids[0]} 号），查看全文：assess rectification notice {ids[0]}",
            rectification_id=ids[0],
        )
    else:
        emit_message(
            args, f"已下发 {len(ids)} 份整改通知（第 {'、'.join(str(i) for i in ids)} 号）", rectification_ids=ids
        )
    return 0


def _rect_done(args, ids: list[int], statuses: list[str]) -> None:
    from assess.foundation.vocabulary import RECTIFICATION_STATUS_LABELS as STATUS_LABELS

    if len(ids) == 1:
        emit_message(args, f"整改通知第 {ids[0]} 号：{STATUS_LABELS[statuses[0]]}", status=statuses[0])
    else:
        shown = "、".join(f"第 {i} 号" for i in ids)
        emit_message(args, f"已登记 {len(ids)} 份整改通知（{shown}）：{STATUS_LABELS[statuses[0]]}",
                     ids=ids, status=statuses[0])


def cmd_rect_update(args) -> int:
    from assess.rounds.findings import update_rectifications

    db = open_db(args)
    _rect_done(args, args.id, update_rectifications(db, acting_user(args, db), args.id, args.status, args.note))
    return 0


def cmd_rect_close(args) -> int:
    from assess.rounds.findings import close_rectifications

    db = open_db(args)
    _rect_done(
        args, args.id, close_rectifications(db, acting_user(args, db), args.id, args.note, passed=not args.failed)
    )
    return 0


def cmd_rect_notice(args) -> int:
    from assess.reports.official import notice_text

    text = notice_text(open_db(args), args.id, args.issuer)
    if args.out:
        from assess.foundation.private_files import write_private

        path = write_private(args.out, text)
        emit_message(args, f"已写入 {path}", path=str(path))
    else:
        sys.stdout.write(text)
    return 0
