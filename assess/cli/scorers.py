"""职能部门评分 (scores) and 合理缺项 (exempt): the scoring departments' entry and progress, and
exemptions with their two-step approval."""

from __future__ import annotations

import argparse

from assess.cli.common import ROUND_HELP, acting_user, add_common, emit, emit_message, open_db, round_id


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("scores", help="职能部门评分：scores list 待评分项；scores enter 录入；scores import 导入；scores progress 各评分单位进度")
    sc = p.add_subparsers(dest="scores_cmd", metavar="子命令")
    q = sc.add_parser("list", help="列出职能部门评分的单位×指标（所属单位的用户只看本单位负责的指标）")
    q.add_argument("--round", required=True, help=ROUND_HELP)
    q.add_argument("--scorer", help="只列出这个评分单位（编码）的指标")
    add_common(q)
    q.set_defaults(func=cmd_scores_list)
    q = sc.add_parser("enter", help="录入一个单位一项指标的职能部门评分")
    q.add_argument("--round", required=True, help=ROUND_HELP)
    q.add_argument("unit", help="被考核单位编码")
    q.add_argument("indicator", help="指标编码")
    q.add_argument("value", help="得分（按指标的计分方法填写）")
    q.add_argument("--note", help="说明")
    add_common(q)
    q.set_defaults(func=cmd_scores_enter)
    q = sc.add_parser("import", help="从 CSV/XLSX 导入职能部门评分（unit_code,indicator_code,score[,note]），有错则全部不写入")
    q.add_argument("--round", required=True, help=ROUND_HELP)
    q.add_argument("file")
    add_common(q)
    q.set_defaults(func=cmd_scores_import)
    q = sc.add_parser("progress", help="各评分单位已评分与应评分的项数")
    q.add_argument("--round", required=True, help=ROUND_HELP)
    add_common(q)
    q.set_defaults(func=cmd_scores_progress)

    p = sub.add_parser("exempt", help="合理缺项：exempt --round 轮次 列出；exempt request 申请；exempt approve / reject 审批（另一名用户）")
    p.add_argument("--round", help=ROUND_HELP + "（列出时必填）")
    add_common(p)
    p.set_defaults(func=cmd_exempt_list)
    ex = p.add_subparsers(dest="exempt_cmd", metavar="子命令")
    q = ex.add_parser("request", help="申请某单位某项指标为合理缺项（须写明理由）")
    q.add_argument("--round", required=True, help=ROUND_HELP)
    q.add_argument("unit", help="单位编码")
    q.add_argument("indicator", help="指标编码")
    q.add_argument("--reason", required=True, help="理由")
    add_common(q)
    q.set_defaults(func=cmd_exempt_request)
    for name, helptext in (("approve", "批准合理缺项申请"), ("reject", "不予批准（须写明理由）")):
        q = ex.add_parser(name, help=helptext)
        q.add_argument("id", type=int, help="申请编号")
        q.add_argument("--note", required=name == "reject", help="审批意见")
        add_common(q)
        q.set_defaults(func=cmd_exempt_decide, approve=name == "approve")


def cmd_scores_list(args) -> int:
    from assess.rounds.department_scoring import sheet

    db = open_db(args)
    rid = round_id(db, args.round)
    username = None if args.scorer else acting_user(args, db).username
    rows = [c.as_dict() for c in sheet(db, rid, username=username, scorer=args.scorer)]
    cols = ["unit_code", "unit_name", "indicator_code", "indicator_name", "max", "scorer", "value", "status"]
    headers = ["单位编码", "单位", "指标编码", "指标", "满分", "评分单位", "得分", "状态"]
    emit(rows, cols, args.format, headers=headers if args.format == "table" else None)
    return 0


def cmd_scores_enter(args) -> int:
    from assess.rounds.department_scoring import enter_dept_score

    db = open_db(args)
    value = enter_dept_score(db, acting_user(args, db), round_id(db, args.round), args.unit, args.indicator,
                             args.value, args.note)
    emit_message(args, f"已录入 {args.unit} 的指标 {args.indicator}：{value:g}", unit=args.unit,
                 indicator=args.indicator, value=value)
    return 0


def cmd_scores_import(args) -> int:
    from assess.rounds.department_scoring import import_dept_scores

    db = open_db(args)
    n = import_dept_scores(db, acting_user(args, db), round_id(db, args.round), args.file)
    emit_message(args, f"已导入职能部门评分 {n} 项", count=n)
    return 0


def cmd_scores_progress(args) -> int:
    from assess.rounds.department_scoring import progress

    db = open_db(args)
    rows = [p.as_dict() for p in progress(db, round_id(db, args.round))]
    cols = ["scorer", "scorer_name", "indicators", "required", "done", "left"]
    headers = ["评分单位编码", "评分单位", "指标", "应评", "已评", "未评"]
    emit(rows, cols, args.format, headers=headers if args.format == "table" else None)
    return 0


def cmd_exempt_list(args) -> int:
    from assess.rounds.department_scoring import list_exemptions

    if not args.round:
        from assess.foundation.errors import Conflict

        raise Conflict("列出合理缺项须写 --round（考核轮次）。")
    db = open_db(args)
    rows = [x.as_dict() for x in list_exemptions(db, round_id(db, args.round))]
    cols = ["id", "unit_code", "unit_name", "indicator_code", "indicator_name", "max", "reason", "status",
            "requested_by", "decided_by", "decision_note"]
    headers = ["编号", "单位编码", "单位", "指标编码", "指标", "满分", "理由", "状态", "申请人", "审批人", "审批意见"]
    emit(rows, cols, args.format, headers=headers if args.format == "table" else None)
    return 0


def cmd_exempt_request(args) -> int:
    from assess.rounds.department_scoring import request_exemption

    db = open_db(args)
    xid = request_exemption(db, acting_user(args, db), round_id(db, args.round), args.unit, args.indicator,
                            args.reason)
    emit_message(args, f"已申请合理缺项 #{xid}：{args.unit} 指标 {args.indicator}（待另一名用户审批）", id=xid)
    return 0


def cmd_exempt_decide(args) -> int:
    from assess.foundation.vocabulary import EXEMPTION_STATUS_LABELS as STATUS_LABELS
    from assess.rounds.department_scoring import decide_exemption

    db = open_db(args)
    status = decide_exemption(db, acting_user(args, db), args.id, args.approve, args.note)
    emit_message(args, f"合理缺项申请 #{args.id}：{STATUS_LABELS[status]}", id=args.id, status=status)
    return 0
