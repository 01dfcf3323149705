"""公示 then objections then 定稿: ``assess publicity open|objection add|objection answer|list|diff|
finalize`` (assess/publicity.py)."""

from __future__ import annotations

import argparse
from datetime import date

from assess.cli.common import ROUND_HELP, acting_user, add_common, emit, emit_message, open_db
from assess.foundation.vocabulary import Stage
from assess.results import objections


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期“{text}”无效，应为 YYYY-MM-DD") from None


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("publicity", help="公示、异议与定稿：open 公示、objection add/answer 异议、list、diff、finalize 定稿")
    ps = p.add_subparsers(dest="publicity_cmd", metavar="子命令")

    q = ps.add_parser("open", help="公示已批准的结果（管理员）：默认自今天起 5 个工作日（跳过周六、周日）")
    q.add_argument("round", help=ROUND_HELP)
    q.add_argument("--from", dest="starts_on", type=_date, help="公示开始日期（默认今天）")
    q.add_argument("--to", dest="ends_on", type=_date, help="公示结束日期（含当天；默认开始后第 5 个工作日）")
    q.add_argument("--contact", help="受理异议的地点和电话，印在公示上")
    add_common(q)
    q.set_defaults(func=cmd_open)

    q = ps.add_parser("objection", help="异议：objection add 登记、objection answer 答复")
    os_ = q.add_subparsers(dest="objection_cmd", metavar="子命令")
    a = os_.add_parser("add", help="登记公示期收到的异议（管理员或录入员）")
    a.add_argument("round", help=ROUND_HELP)
    a.add_argument("--text", required=True, help="异议内容")
    a.add_argument("--received", type=_date, default=None, help="收到日期（默认今天，须在公示期内）")
    g = a.add_mutually_exclusive_group(required=True)
    g.add_argument("--name", help="署名异议人的姓名")
    g.add_argument("--from-unit", dest="from_unit", help="提出异议的单位名称")
    g.add_argument("--anonymous", action="store_true", help="匿名（须用 --contact 留联系方式）")
    a.add_argument("--contact", help="联系方式")
    a.add_argument("--unit", help="所涉单位编码")
    a.add_argument("--cadre", help="所涉干部编码")
    a.add_argument("--figure", help="所涉数字，如 综合得分、名次、等次")
    add_common(a)
    a.set_defaults(func=cmd_objection_add)
    a = os_.add_parser("answer", help="答复异议：--maintain 维持或 --uphold 采纳（管理员或审核员；须写明理由）")
    a.add_argument("objection", type=int, help="异议编号（见 publicity list）")
    g = a.add_mutually_exclusive_group(required=True)
    g.add_argument("--maintain", dest="decision", action="store_const", const="maintain", help="维持原结果")
    g.add_argument("--uphold", dest="decision", action="store_const", const="uphold",
                   help="采纳：退回审核链，重新计算（如有变动）、初审、审核、复核、审议票决")
    a.add_argument("--reason", required=True, help="理由")
    add_common(a)
    a.set_defaults(func=cmd_objection_answer)

    q = ps.add_parser("list", help="一个轮次的公示期和异议")
    q.add_argument("round", help=ROUND_HELP)
    add_common(q)
    q.set_defaults(func=cmd_list)

    q = ps.add_parser("diff", help="最后一次公示稿与定稿（未定稿时与当前结果）相比的变化")
    q.add_argument("round", help=ROUND_HELP)
    add_common(q)
    q.set_defaults(func=cmd_diff)

    q = ps.add_parser("finalize", help="定稿并冻结（管理员）：公示期满、异议均已答复（采纳的已票决）")
    q.add_argument("round", help=ROUND_HELP)
    q.add_argument("--today", type=_date, help="判断公示期是否已满所用的日期（默认今天）")
    add_common(q)
    q.set_defaults(func=cmd_finalize)


def cmd_open(args) -> int:
    from assess.results import publicity

    db = open_db(args)
    res = publicity.open_publicity(db, acting_user(args, db), args.round, args.starts_on, args.ends_on, args.contact)
    emit_message(args, res.message(), period_id=res.period_id, number=res.number,
                 starts_on=res.starts_on.isoformat(), ends_on=res.ends_on.isoformat(),
                 content_hash=res.content_hash, audit_seq=res.audit_seq, audit_head=res.audit_head)
    return 0


def cmd_objection_add(args) -> int:
    from assess.foundation.settings import local_today
    from assess.results import publicity

    db = open_db(args)
    kind, who = ("anonymous", None) if args.anonymous else (("unit", args.from_unit) if args.from_unit else ("person", args.name))
    oid = publicity.add_objection(db, acting_user(args, db), args.round, args.text, args.received or local_today(),
                                  kind, who, args.contact, args.unit, args.cadre, args.figure)
    emit_message(args, f"已登记异议 #{oid}。", objection_id=oid)
    return 0


def cmd_objection_answer(args) -> int:
    from assess.results import publicity

    db = open_db(args)
    stage = publicity.answer_objection(db, acting_user(args, db), args.objection, args.decision, args.reason)
    label = objections.DECISIONS[args.decision]
    extra = "；轮次退回“已计算”，请重新计算（如有变动）并再经初审、审核、复核和审议票决" if args.decision == "uphold" else ""
    emit_message(args, f"异议 #{args.objection} 已答复：{label}{extra}。", decision=args.decision, stage=stage)
    return 0


LIST_COLUMNS = ["id", "received_on", "submitter_label", "submitter", "contact", "unit_code", "cadre_code", "figure",
                "text", "decision_label", "reason", "answered_by", "settled", "vote_id"]
LIST_HEADERS = ["编号", "收到日期", "异议人类别", "异议人", "联系方式", "单位", "干部", "所涉数字", "内容", "答复",
                "理由", "答复人", "票决", "票决记录"]


def cmd_list(args) -> int:
    db = open_db(args)
    st = objections.status(db, args.round)
    rows = objections.objections(db, args.round)
    if args.format != "table":
        emit(rows, LIST_COLUMNS, args.format)
        return 0
    print(st.period_text() + f"；异议 {st.objections} 件，未答复 {st.open_objections} 件")
    for p in st.periods:
        print(f"  公示 {p['starts_on']} 至 {p['ends_on']}  快照哈希 {p['content_hash']}  {p['contact'] or ''}".rstrip())
    if st.stage != Stage.PUBLISHED:
        print("可以定稿" if st.can_finalize else "尚不能定稿：" + "；".join(st.finalize_problems))
    emit(rows, LIST_COLUMNS, "table", headers=LIST_HEADERS)
    return 0


def cmd_diff(args) -> int:
    from assess.results import publicity

    d = publicity.diff(open_db(args), args.round)
    if args.format != "table":
        emit(d.rows, publicity.DIFF_COLUMNS, args.format)
        return 0
    print(d.message())
    if d.rows:
        headers = [publicity.DIFF_HEADERS[c] for c in publicity.DIFF_COLUMNS]
        headers[-1] = d.against
        emit(d.rows, publicity.DIFF_COLUMNS, "table", headers=headers)
    return 0


def cmd_finalize(args) -> int:
    from assess.results import publicity

    db = open_db(args)
    result = publicity.finalize(db, acting_user(args, db), args.round, today=args.today)
    emit_message(args, result.message(), content_hash=result.content_hash, audit_seq=result.audit_seq,
                 audit_head=result.audit_head)
    return 0
