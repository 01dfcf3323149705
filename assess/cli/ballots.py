"""Appraisal sessions, ballot batches, imports, certification and tallies on the command line:
``appraisal``, ``batch``, ``ballots`` and ``tally`` commands."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict

from assess.cli.common import ROUND_HELP, acting_user, add_common, emit, emit_message, open_db
from assess.foundation.errors import AssessError


def _pairs(values: list[str] | None, what: str) -> dict[str, int]:
    from assess.appraisal.sessions import group_counts

    return group_counts(values, what)


def _codes(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [c.strip() for c in text.replace("，", ",").split(",") if c.strip()]


def _date(text: str | None):
    if not text:
        return None
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise AssessError(f"日期“{text}”应为 YYYY-MM-DD。") from None


def register(sub: argparse._SubParsersAction) -> None:
    # appraisal sessions
    p = sub.add_parser("appraisal", help="评议会议（民主评议、勤廉双述）")
    ap = p.add_subparsers(dest="appraisal_cmd", metavar="子命令")
    q = ap.add_parser("create", help="设立评议会议：评议表取自轮次的考核方案，对象按票面顺序")
    q.add_argument("--round", required=True, help=ROUND_HELP)
    q.add_argument("--kind", choices=["unit", "cadre"], required=True, help="unit 民主评议；cadre 勤廉双述")
    q.add_argument("--name", required=True, help="会议名称")
    q.add_argument("--form", help="评议表代码（默认取方案中该类的评议表）")
    q.add_argument("--targets", help="按票面顺序的单位或干部编码，逗号分隔（默认：本轮参评单位或其干部）")
    q.add_argument("--held-on", help="会议日期 YYYY-MM-DD")
    q.add_argument("--expected", type=int, default=0, help="应到人数")
    q.add_argument("--present", type=int, default=0, help="实到人数")
    q.add_argument("--group", action="append", metavar="代码=人数", help="各投票人类别应到人数，可重复")
    add_common(q)
    q.set_defaults(func=cmd_appraisal_create)
    q = ap.add_parser("list", help="列出评议会议")
    q.add_argument("--round", help=ROUND_HELP)
    add_common(q)
    q.set_defaults(func=cmd_appraisal_list)
    q = ap.add_parser("targets", help="列出评议对象（票面顺序）；--set 在尚未录票时重设")
    q.add_argument("--session", type=int, required=True)
    q.add_argument("--set", dest="codes", help="新的对象编码，逗号分隔")
    add_common(q)
    q.set_defaults(func=cmd_appraisal_targets)
    q = ap.add_parser("attendance", help="登记应到/实到人数（会议及各投票人类别）")
    q.add_argument("--session", type=int, required=True)
    q.add_argument("--expected", type=int)
    q.add_argument("--present", type=int)
    q.add_argument("--group", action="append", metavar="代码=人数", help="各投票人类别应到人数，可重复")
    q.add_argument(
        "--group-present", action="append", metavar="代码=人数", help="各投票人类别实到人数，可重复"
    )
    add_common(q)
    q.set_defaults(func=cmd_appraisal_attendance)
    q = ap.add_parser("certify", help="核定评议结果：各批次已核定或作废、达到法定人数后由审核员核定会议")
    q.add_argument("--session", type=int, required=True)
    add_common(q)
    q.set_defaults(func=cmd_appraisal_certify)
    q = ap.add_parser("statement", help="勤廉双述：记录述职述廉摘要、询问质询；只给 --session 时列出")
    q.add_argument("--session", type=int, required=True)
    q.add_argument("--cadre", help="干部编码")
    q.add_argument("--summary", help="述职述廉摘要")
    q.add_argument("--question", help="询问质询的问题")
    q.add_argument("--answer", help="答复")
    add_common(q)
    q.set_defaults(func=cmd_appraisal_statement)

    # batches
    p = sub.add_parser("batch", help="选票批次：登记、比对、处理不一致、核定、作废")
    bp = p.add_subparsers(dest="batch_cmd", metavar="子命令")
    q = bp.add_parser("create", help="登记一叠纸质选票（发出、收回张数）")
    q.add_argument("--session", type=int, required=True)
    q.add_argument("--group", required=True, help="投票人类别代码")
    q.add_argument("--label", required=True, help="批次编号")
    q.add_argument("--issued", type=int, required=True)
    q.add_argument("--returned", type=int, required=True)
    add_common(q)
    q.set_defaults(func=cmd_batch_create)
    q = bp.add_parser("counts", help="更正未核定批次的发出、收回张数")
    q.add_argument("--batch", type=int, required=True)
    q.add_argument("--issued", type=int)
    q.add_argument("--returned", type=int)
    add_common(q)
    q.set_defaults(func=cmd_batch_counts)
    q = bp.add_parser("list", help="列出会议的选票批次")
    q.add_argument("--session", type=int, required=True)
    add_common(q)
    q.set_defaults(func=cmd_batch_list)
    q = bp.add_parser("compare", help="比对两遍录入：逐张逐项列出不一致，并给出对账结果")
    q.add_argument("--batch", type=int, required=True)
    add_common(q)
    q.set_defaults(func=cmd_batch_compare)
    q = bp.add_parser(
        "resolve", help="按纸质选票处理不一致：票号:位置=值（位置 0 为整张：absent/void/pass1/pass2）"
    )
    q.add_argument("--batch", type=int, required=True)
    q.add_argument("items", nargs="+", metavar="票号:位置=值")
    add_common(q)
    q.set_defaults(func=cmd_batch_resolve)
    q = bp.add_parser(
        "certify", help="核定批次（零不一致、对账相符；由未参与录入的审核员）；可一次核定多个，全部成功或全部不核定"
    )
    _certify_args(q)
    q.set_defaults(func=cmd_certify)
    q = bp.add_parser("void", help="作废批次（如收回多于发出），须写明理由")
    q.add_argument("--batch", type=int, required=True)
    q.add_argument("--reason", required=True)
    add_common(q)
    q.set_defaults(func=cmd_batch_void)

    # ballots
    p = sub.add_parser("ballots", help="选票：导入、计票、核定")
    bp = p.add_subparsers(dest="ballots_cmd", metavar="子命令")
    q = bp.add_parser("import", help="导入逐票文件（batch,ballot_no,voter_group,target_code,choice）")
    q.add_argument("file")
    q.add_argument("--session", type=int, required=True)
    add_common(q)
    q.set_defaults(func=cmd_ballots_import)
    q = bp.add_parser("tally", help="会议计票结果：各对象得分、满意率；--groups 按投票人类别")
    q.add_argument("--session", type=int, required=True)
    q.add_argument("--groups", action="store_true", help="按对象 × 投票人类别列出（低于公示门槛的不显示）")
    add_common(q)
    q.set_defaults(func=cmd_ballots_tally)
    q = bp.add_parser("verify", help="用所存选票重新计票，并与计票表及核定时的审计摘要核对；不符时以 1 退出")
    q.add_argument("--session", type=int)
    add_common(q)
    q.set_defaults(func=cmd_ballots_verify)
    q = bp.add_parser("certify", help="核定批次（同 batch certify）")
    _certify_args(q)
    q.set_defaults(func=cmd_certify)
    q = bp.add_parser("print", help="打印测评表（PDF，对象按票面顺序，含批次与票号）和计票单")
    q.add_argument("--session", type=int, required=True)
    q.add_argument("--group", help="投票人类别编码（默认每个类别各一份）")
    q.add_argument("--copies", type=int, help="每个类别的张数（默认为该类别应到人数）")
    q.add_argument("--start-no", type=int, default=1, help="起始票号（默认 1）")
    q.add_argument("--batch-label", help="印在每张票上的批次编号（不填则留空待填）")
    q.add_argument("--per-page", type=int, choices=(1, 2), default=1, help="每页印几张（2：沿虚线裁开）")
    q.add_argument("--out", required=True, help="输出目录")
    add_common(q)
    q.set_defaults(func=cmd_ballots_print)

    p = sub.add_parser("tally", help="计票汇总")
    tp = p.add_subparsers(dest="tally_cmd", metavar="子命令")
    q = tp.add_parser("import", help="导入计票汇总（voter_group,target_code,choice,count）")
    q.add_argument("file")
    q.add_argument("--session", type=int, required=True)
    add_common(q)
    q.set_defaults(func=cmd_tally_import)


# -- appraisal --------------------------------------------------------------------------------------


def cmd_appraisal_create(args) -> int:
    from assess.appraisal.sessions import create_session

    db = open_db(args)
    sid = create_session(
        db,
        acting_user(args, db),
        args.round,
        args.kind,
        args.name,
        form_code=args.form,
        target_codes=_codes(args.targets),
        held_on=_date(args.held_on),
        expected=args.expected,
        present=args.present,
        group_expected=_pairs(args.group, "投票人类别"),
    )
    emit_message(args, f"已设立评议会议 #{sid}：{args.name}", session=sid)
    return 0


def cmd_appraisal_list(args) -> int:
    from assess.appraisal.session_info import list_sessions

    rows = [{**asdict(r), "kind_label": r.kind_label} for r in list_sessions(open_db(args), args.round)]
    emit(
        rows,
        [
            "id",
            "round_id",
            "round_name",
            "kind_label",
            "form_code",
            "name",
            "held_on",
            "expected",
            "present",
            "targets",
            "batches",
            "certified",
        ],
        args.format,
    )
    return 0


def cmd_appraisal_targets(args) -> int:
    from assess.appraisal.session_info import session_info
    from assess.appraisal.sessions import set_targets

    db = open_db(args)
    if args.codes is not None:
        n = set_targets(db, acting_user(args, db), args.session, _codes(args.codes) or [])
        emit_message(args, f"已设定 {n} 个评议对象", count=n)
        return 0
    info = session_info(db, args.session)
    emit([asdict(t) for t in info.targets], ["position", "code", "name", "detail"], args.format)
    return 0


def cmd_appraisal_attendance(args) -> int:
    from assess.appraisal.session_info import session_info
    from assess.appraisal.sessions import set_attendance

    db = open_db(args)
    set_attendance(
        db,
        acting_user(args, db),
        args.session,
        expected=args.expected,
        present=args.present,
        groups=_pairs(args.group, "投票人类别") or None,
        groups_present=_pairs(args.group_present, "投票人类别") or None,
    )
    info = session_info(db, args.session)
    emit_message(
        args, info.quorum_text(), expected=info.expected, present=info.present, quorum_ok=info.quorum_ok()
    )
    return 0


def cmd_appraisal_certify(args) -> int:
    from assess.appraisal.entry import list_batches
    from assess.appraisal.session_info import session_info
    from assess.appraisal.sessions import certify_session
    from assess.foundation.vocabulary import BatchStatus

    db = open_db(args)
    certify_session(db, acting_user(args, db), args.session)
    info = session_info(db, args.session)
    batches = list_batches(db, args.session)
    certified = [b for b in batches if b.status == BatchStatus.CERTIFIED]
    voided = sum(1 for b in batches if b.status == BatchStatus.VOID)
    ballots = sum(b.returned for b in certified)
    emit_message(
        args,
        f"已核定评议会议 #{args.session}（{info.name}）的评议结果：计入已核定批次 {len(certified)} 个、"
        f"选票 {ballots} 张，作废批次 {voided} 个；{info.quorum_text()}",
        session=args.session,
        batches=len(certified),
        ballots=ballots,
        voided=voided,
    )
    return 0


def cmd_appraisal_statement(args) -> int:
    from assess.appraisal.sessions import add_question, set_statement, statements

    db = open_db(args)
    if args.summary is None and args.question is None:
        rows = []
        for st in statements(db, args.session):
            rows.append(
                {
                    "cadre": st.cadre_code,
                    "name": st.cadre_name,
                    "summary": st.summary,
                    "question": "",
                    "answer": "",
                }
            )
            for _qid, question, answer in st.questions:
                rows.append(
                    {
                        "cadre": st.cadre_code,
                        "name": st.cadre_name,
                        "summary": "",
                        "question": question,
                        "answer": answer or "",
                    }
                )
        emit(rows, ["cadre", "name", "summary", "question", "answer"], args.format)
        return 0
    if not args.cadre:
        raise AssessError("请用 --cadre 指明干部编码。")
    actor = acting_user(args, db)
    if args.summary is not None:
        set_statement(db, actor, args.session, args.cadre, args.summary)
    if args.question is not None:
        add_question(db, actor, args.session, args.cadre, args.question, args.answer)
    emit_message(args, f"已记录 {args.cadre} 的述职述廉/询问质询")
    return 0


# -- batches ----------------------------------------------------------------------------------------


def cmd_batch_create(args) -> int:
    from assess.appraisal.entry import create_batch

    db = open_db(args)
    bid = create_batch(
        db, acting_user(args, db), args.session, args.group, args.label, args.issued, args.returned
    )
    emit_message(args, f"已登记选票批次 #{bid}（{args.label}）", batch=bid)
    return 0


def cmd_batch_counts(args) -> int:
    from assess.appraisal.entry import set_batch_counts

    db = open_db(args)
    set_batch_counts(db, acting_user(args, db), args.batch, issued=args.issued, returned=args.returned)
    emit_message(args, f"已更正批次 #{args.batch} 的张数")
    return 0


def cmd_batch_list(args) -> int:
    from assess.appraisal.entry import list_batches

    rows = [
        {
            "id": b.id,
            "label": b.label,
            "voter_group": b.voter_group,
            "source": b.source_label,
            "issued": b.issued,
            "returned": b.returned,
            "passes": b.pass_text(),
            "status": b.status_label,
            "certified_by": b.certified_by,
            "void_reason": b.void_reason,
        }
        for b in list_batches(open_db(args), args.session)
    ]
    emit(
        rows,
        [
            "id",
            "label",
            "voter_group",
            "source",
            "issued",
            "returned",
            "passes",
            "status",
            "certified_by",
            "void_reason",
        ],
        args.format,
    )
    return 0


def cmd_batch_compare(args) -> int:
    from assess.appraisal.reconcile import KIND_LABELS, compare

    cmp = compare(open_db(args), args.batch)

    def show(v: str, pos: int) -> str:
        if pos == 0:
            return KIND_LABELS.get(v, v)
        return "未标记" if v == "0" else "多选作废" if v == "X" else f"{v} {cmp.options[int(v) - 1]}"

    rows = [
        {
            "ballot_no": m.ballot_no,
            "position": m.position,
            "target_code": m.target_code,
            "target_name": m.target_name,
            "pass1": show(m.first, m.position),
            "pass2": show(m.second, m.position),
            "resolution": "" if m.resolution is None else m.resolution,
        }
        for m in cmp.mismatches
    ]
    emit(
        rows,
        ["ballot_no", "position", "target_code", "target_name", "pass1", "pass2", "resolution"],
        args.format,
    )
    rec = cmp.reconciliation
    print(
        f"不一致 {len(cmp.mismatches)} 处，未处理 {cmp.open_count} 处；发出 {rec.issued}，收回 {rec.returned}，录入 {rec.entered}"
        f"（有效 {rec.valid}，废票 {rec.void}，空白 {rec.blank}）"
        + ("；对账相符" if rec.ok else "；" + "；".join(rec.problems)),
        file=sys.stderr,
    )
    return 0


def cmd_batch_resolve(args) -> int:
    from assess.appraisal.reconcile import resolve

    items = []
    for item in args.items:
        left, sep, value = item.partition("=")
        no, sep2, pos = left.partition(":")
        try:
            if not sep or not sep2:
                raise ValueError
            items.append((int(no), int(pos), value))
        except ValueError:
            raise AssessError(f"“{item}”格式应为 票号:位置=值，例如 12:3=2 或 12:0=void。") from None
    db = open_db(args)
    left = resolve(db, acting_user(args, db), args.batch, items)
    emit_message(args, f"已处理 {len(items)} 处不一致，尚余 {left} 处", open=left)
    return 0


def cmd_ballots_verify(args) -> int:
    from assess.appraisal.reconcile import verify_certified

    problems = verify_certified(open_db(args), args.session)
    for p in problems:
        print(f"错误：{p}", file=sys.stderr)
    emit_message(
        args,
        "已核定批次的计票与选票、审计摘要一致" if not problems else f"发现 {len(problems)} 处不符",
        ok=not problems,
        problems=problems,
    )
    return 1 if problems else 0


def _certify_args(q) -> None:
    which = q.add_mutually_exclusive_group(required=True)
    which.add_argument("--batch", type=int, action="append", help="批次编号（可重复，一次核定多个批次）")
    which.add_argument("--session", type=int, help="评议会议编号：核定该会议全部尚未核定、未作废的批次")
    add_common(q)


def cmd_certify(args) -> int:
    from assess.appraisal.entry import get_batch
    from assess.appraisal.reconcile import certify_batches

    db = open_db(args)
    results = certify_batches(db, acting_user(args, db), args.batch, session_id=args.session)
    if len(results) == 1:
        r = results[0]
        b = get_batch(db, r.batch_id)
        emit_message(args, certify_message(r, b), **asdict(r), source=b.source, returned=b.returned)
        return 0
    lines = [certify_message(r, get_batch(db, r.batch_id)) for r in results]
    emit_message(
        args,
        f"已核定 {len(results)} 个批次" + ("：\n" + "\n".join(lines) if lines else ""),
        batches=[asdict(r) for r in results],
    )
    return 0


def certify_message(r, b) -> str:
    """What a certified batch holds: ballots (valid, void, blank) for keyed or imported ballots;
    for a tallies batch, which has no ballots, the counts of the tally — its rows and the ballots
    it accounts for (the largest number of marks for one target, recorded as 收回)."""
    if b.source == "tally":
        return (
            f"已核定计票汇总批次 #{r.batch_id}（{b.label}）：计票汇总 {r.tally_rows} 项，"
            f"至少 {b.returned} 张选票（发出 {b.issued} 张）"
        )
    return f"已核定批次 #{r.batch_id}（{b.label}）：{r.ballots} 张（有效 {r.valid}，废票 {r.void}，空白 {r.blank}）"


def cmd_batch_void(args) -> int:
    from assess.appraisal.entry import void_batch

    db = open_db(args)
    void_batch(db, acting_user(args, db), args.batch, args.reason)
    emit_message(args, f"已作废批次 #{args.batch}")
    return 0


# -- ballots and tallies ---------------------------------------------------------------------------


def cmd_ballots_import(args) -> int:
    from assess.appraisal.ballot_import import import_ballots

    db = open_db(args)
    r = import_ballots(db, acting_user(args, db), args.session, args.file)
    emit_message(args, r.message(), batches=[asdict(b) for b in r.batches])
    return 0


def cmd_tally_import(args) -> int:
    from assess.appraisal.ballot_import import import_tallies

    db = open_db(args)
    r = import_tallies(db, acting_user(args, db), args.session, args.file)
    emit_message(args, r.message(), batches=[asdict(b) for b in r.batches])
    return 0


def cmd_ballots_tally(args) -> int:
    import math

    from assess.appraisal.tally import session_tally
    from assess.foundation.audit import chain_head
    from assess.integrity.verify import anchor_text

    db = open_db(args)
    t = session_tally(db, args.session)
    seq, head = chain_head(db)
    for w in t.warnings:
        print(f"警告：{w}", file=sys.stderr)
    if args.groups:
        frame = t.public_groups()
        cols = [
            "target_position",
            "target_code",
            "target_name",
            "group",
            "group_name",
            "weight",
            *t.options,
            "total",
            "counted",
            "score",
            "satisfaction",
            "shown",
            "note",
        ]
    else:
        frame = t.public_targets()
        cols = [
            "target_position",
            "target_code",
            "target_name",
            *t.options,
            "total",
            "counted",
            "score",
            "satisfaction",
            "missing_groups",
            "note",
        ]
        if t.kind == "cadre":
            cols += [
                "unfit_share",
                "fit_share",
                "unfit",
                "may_be_excellent",
                "prior_unfit_streak",
                "consecutive_unfit",
            ]
        cols += [f"share_{o}" for o in t.options]

    def clean(v):
        if v is None:
            return None
        if hasattr(v, "item"):
            v = v.item()
        if isinstance(v, float) and math.isnan(v):
            return None
        return v

    rows = [{c: clean(v) for c, v in rec.items()} for rec in frame[cols].to_dict("records")]
    if args.format == "table":
        emit(rows, cols, args.format)
        print(anchor_text(seq, head))  # the tally sheet's anchor (docs/architecture.md: the audit chain)
        return 0
    cols += ["audit_seq", "audit_head"]
    emit([{**r, "audit_seq": seq, "audit_head": head} for r in rows], cols, args.format)
    return 0


def cmd_ballots_print(args) -> int:
    from assess.reports.ballot_forms import print_session

    files = print_session(
        open_db(args),
        args.session,
        args.out,
        copies=args.copies,
        group_code=args.group,
        batch_label=args.batch_label,
        start_no=args.start_no,
        per_page=args.per_page,
    )
    for f in files:
        print(f)
    return 0
