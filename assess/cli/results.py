"""Results commands: compute, rank, accountability (list and decide), review, vote, publish,
snapshot verify."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from assess.cli.common import ROUND_HELP, acting_user, add_common, emit, emit_message, open_db
from assess.foundation.vocabulary import (
    ACCOUNTABILITY_STATUS_LABELS,
    ANNUAL_COMPONENTS,
    COMPONENT_WORDS,
    DECISION_LABELS,
    Decision,
    Stage,
)


def _round(p: argparse.ArgumentParser) -> None:
    p.add_argument("--round", required=True, help=ROUND_HELP)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期“{text}”无效，应为 YYYY-MM-DD") from None


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compute", help="计算综合得分、分类排名、等次、排名区间和问责名单（审核员或管理员）")
    _round(p)
    p.add_argument("--today", type=_date, help="判断整改逾期所用的日期（默认今天）")
    p.add_argument("--resamples", type=int, default=None, help="稳健性重抽样次数（默认 1000；0 不计算区间）")
    add_common(p)
    p.set_defaults(func=cmd_compute)

    p = sub.add_parser(
        "rank", help="分类排名：category,rank,unit_code,unit_name,composite,grade,各部分得分,区间,变化"
    )
    _round(p)
    p.add_argument("--category", help="只列出一个类别")
    add_common(p)
    p.set_defaults(func=cmd_rank)

    p = sub.add_parser("accountability", help="问责名单；accountability decide 确认或免予问责")
    p.add_argument("--round", help=ROUND_HELP)
    add_common(p)
    p.set_defaults(func=cmd_accountability)
    acc = p.add_subparsers(dest="acc_cmd", metavar="子命令")
    q = acc.add_parser("decide", help="确认或免予问责（须写明理由）")
    _decide_args(q)
    q.set_defaults(func=cmd_decide)

    p = sub.add_parser("decide", help="确认或免予问责一条问责名单（同 accountability decide）")
    _decide_args(p)
    p.set_defaults(func=cmd_decide)

    p = sub.add_parser("review", help="初审（first，录入员）、审核（audit）、复核（recheck，另一名审核员）")
    p.add_argument("step", choices=["first", "audit", "recheck"])
    _round(p)
    p.add_argument("--return", dest="returned", action="store_true", help="退回（须用 --note 写明理由）")
    p.add_argument("--note", help="意见")
    add_common(p)
    p.set_defaults(func=cmd_review)

    p = sub.add_parser("vote", help="审议票决：赞成票超过应到会人数的半数为通过")
    _round(p)
    for name, label in (
        ("expected", "应到会人数"),
        ("present", "实到人数"),
        ("yes", "赞成"),
        ("no", "反对"),
        ("abstain", "弃权"),
    ):
        p.add_argument(f"--{name}", type=int, required=True, help=label)
    add_common(p)
    p.set_defaults(func=cmd_vote)

    p = sub.add_parser("publish", help="定稿并冻结（管理员；须已批准且问责名单均已决定；公示过的须公示期满、异议均已答复，见 publicity）")
    _round(p)
    add_common(p)
    p.set_defaults(func=cmd_publish)

    p = sub.add_parser("snapshot", help="公示快照")
    sp = p.add_subparsers(dest="snapshot_cmd", metavar="子命令")
    q = sp.add_parser("verify", help="由快照中的输入重新计算并核对快照、数据库和审计链")
    _round(q)
    add_common(q)
    q.set_defaults(func=cmd_snapshot_verify)


def _decide_args(q: argparse.ArgumentParser) -> None:
    which = q.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--entry", type=int, action="append",
        help="问责名单条目编号（见 accountability 列表的 id；可重复，一次决定多条，全部成功或全部不改）",
    )
    which.add_argument("--all", action="store_true", help="本轮（--round）全部待确认的条目，同一理由")
    # SUPPRESS: given after ``accountability``, the round is not reset by this subcommand's default.
    q.add_argument("--round", default=argparse.SUPPRESS, help=ROUND_HELP + "（与 --all 同用）")
    g = q.add_mutually_exclusive_group(required=True)
    g.add_argument("--confirm", action="store_const", dest="decision", const="confirm", help="确认问责")
    g.add_argument("--waive", action="store_const", dest="decision", const="waive", help="免予问责")
    q.add_argument("--reason", required=True, help="理由（必填）")
    add_common(q)


def cmd_compute(args) -> int:
    from assess.results.compute import compute_round

    db = open_db(args)
    actor = acting_user(args, db)
    summary = compute_round(db, actor, args.round, today=args.today, resamples=args.resamples)
    emit_message(
        args,
        summary.message(),
        units=summary.units,
        cadres=summary.cadres,
        entries=summary.entries,
        not_robust=summary.not_robust,
        warnings=summary.warnings,
    )
    if args.format == "table":
        for w in summary.warnings:
            print(f"提示：{w}", file=sys.stderr)
    return 0


def cmd_rank(args) -> int:
    from assess.foundation.errors import AssessError
    from assess.results.ranking import ANNUAL_RANK_COLUMNS, RANK_COLUMNS, ranking

    db = open_db(args)
    view = ranking(db, args.round)
    if not view.rows:
        raise AssessError(f"考核轮次“{view.round_name}”尚未计算结果：请先运行 assess compute。")
    if args.category and args.category not in view.categories:
        raise AssessError(f"类别“{args.category}”不在本轮结果中（有：{'、'.join(view.categories)}）。")
    rows = []
    for r in view.in_category(args.category):
        d = r.as_dict()
        if args.format == "table":
            d["change"] = r.change_text
            d["rank_low"] = f"{r.rank_low}–{r.rank_high}" if r.rank_low is not None else ""
        rows.append(d)
    if view.annual:  # an annual round: 年度综合得分 of 季度平均 and 年终考核 (assess.results.annual)
        cols = ["category", "rank", "unit_code", "unit_name", "composite", "grade", *ANNUAL_COMPONENTS,
                "rank_low", "change"]
        heads = ["类别", "名次", "编码", "单位", view.composite_label, "等次",
                 *[COMPONENT_WORDS[k] for k in ANNUAL_COMPONENTS], "名次区间", "变化"]
    else:
        cols = [
            "category",
            "rank",
            "unit_code",
            "unit_name",
            "composite",
            "grade",
            "indicators",
            "appraisal",
            "adjustment",
            "penalty",
            "rank_low",
            "change",
        ]
        heads = [
            "类别",
            "名次",
            "编码",
            "单位",
            view.composite_label,
            "等次",
            "指标",
            "评议",
            "加减分",
            "虚报扣分",
            "名次区间",
            "变化",
        ]
    if args.format == "table":
        print(
            f"{view.round_name}（{view.period_label}）"
            + (f"，与 {view.previous_period} 比较" if view.previous_period else "")
            + ("（公示稿）" if view.stage == Stage.PUBLICITY else "")
        )
        emit(rows, cols, "table", headers=heads)
    else:
        emit(rows, ANNUAL_RANK_COLUMNS if view.annual else RANK_COLUMNS, args.format)
    return 0


def cmd_accountability(args) -> int:
    from assess.foundation.errors import AssessError
    from assess.results import accountability

    if not args.round:
        raise AssessError("请用 --round 指定考核轮次（确认或免予问责请用 assess accountability decide）。")
    db = open_db(args)
    rows = []
    for e in accountability.list_entries(db, args.round):
        rows.append(
            {
                "id": e.id,
                "category": e.category,
                "unit_code": e.unit_code,
                "unit_name": e.unit_name,
                "cadre_code": e.cadre_code,
                "cadre_name": e.cadre_name,
                "rule_code": e.rule_code,
                "rule_text": e.rule_text,
                "figures": e.figures if args.format == "json" else e.figures_text,
                "proposed_action": e.proposed_action,
                "robust_share": e.robust_share,
                "robust": e.robust,
                "status": e.status if args.format != "table" else e.status_label,
                "decided_by": e.decided_by,
                "reason": e.reason,
            }
        )
    if args.format == "table":
        for r in rows:
            r["robust"] = "" if r["robust"] else "不稳健"
        emit(
            rows,
            [
                "id",
                "unit_code",
                "unit_name",
                "cadre_name",
                "rule_code",
                "figures",
                "proposed_action",
                "robust",
                "status",
            ],
            "table",
            headers=["编号", "编码", "单位", "干部", "规则", "问责事由", "建议处理", "稳健性", "状态"],
        )
    else:
        emit(
            rows,
            [
                "id",
                "category",
                "unit_code",
                "unit_name",
                "cadre_code",
                "cadre_name",
                "rule_code",
                "rule_text",
                "figures",
                "proposed_action",
                "robust_share",
                "robust",
                "status",
                "decided_by",
                "reason",
            ],
            args.format,
        )
    return 0


def cmd_decide(args) -> int:
    from assess.foundation.errors import AssessError
    from assess.results import accountability

    if args.all and getattr(args, "round", None) is None:
        raise AssessError("--all 需要用 --round 指定考核轮次。")
    db = open_db(args)
    done = accountability.decide_entries(
        db, acting_user(args, db), None if args.all else args.entry, args.decision, args.reason,
        round_id=getattr(args, "round", None),
    )
    if len(done) == 1:
        entry, status = done[0]
        emit_message(
            args, f"问责名单条目 #{entry}：{ACCOUNTABILITY_STATUS_LABELS[status]}", entry=entry, status=status
        )
    else:
        label = ACCOUNTABILITY_STATUS_LABELS[accountability.DECISIONS[args.decision]]
        ids = [e for e, _status in done]
        emit_message(
            args, f"已将 {len(done)} 条问责名单条目定为{label}：{'、'.join(f'#{e}' for e in ids) or '无'}",
            entries=ids, status=accountability.DECISIONS[args.decision],
        )
    return 0


def cmd_review(args) -> int:
    from assess.results import approval as review
    from assess.rounds.lifecycle import stage_label

    db = open_db(args)
    actor = acting_user(args, db)
    decision = Decision.RETURN if args.returned else Decision.PASS
    stage = review.review(db, actor, args.round, args.step, decision, args.note)
    label = review.STEPS[args.step][1]
    emit_message(
        args,
        f"{label}{DECISION_LABELS[decision]}；轮次当前阶段：{stage_label(stage)}",
        stage=stage,
    )
    return 0


def cmd_vote(args) -> int:
    from assess.results import approval as review

    db = open_db(args)
    result = review.vote(
        db,
        acting_user(args, db),
        args.round,
        args.expected,
        args.present,
        args.yes,
        args.no,
        args.abstain,
    )
    emit_message(args, result.message(), passed=result.passed, needed=result.needed, stage=result.stage)
    return 0


def cmd_publish(args) -> int:
    db = open_db(args)
    from assess.results import publication

    result = publication.publish(db, acting_user(args, db), args.round)
    emit_message(
        args,
        result.message(),
        content_hash=result.content_hash,
        audit_seq=result.audit_seq,
        audit_head=result.audit_head,
    )
    return 0


def cmd_snapshot_verify(args) -> int:
    db = open_db(args)
    from assess.results.snapshot_check import verify_snapshot

    check = verify_snapshot(db, args.round)
    emit_message(
        args,
        check.message(),
        ok=check.ok,
        problems=check.problems,
        content_hash=check.content_hash,
        audit_head=check.audit_head,
    )
    if not check.ok:
        print(f"错误：{check.message()}", file=sys.stderr)
    return 0 if check.ok else 1


# -- cadre results (勤廉双述) -------------------------------------------------------------------------


def cmd_cadre_results(args) -> int:
    from assess.results.cadre_results import CADRE_COLUMNS, cadre_result_rows

    res = cadre_result_rows(open_db(args), args.round, args.session)
    if args.format != "table":
        emit(res.rows, CADRE_COLUMNS, args.format)
        return 0
    for row in res.rows:
        for key in ("unfit_share", "fit_share"):
            row[key] = "—" if row[key] is None else f"{row[key] * 100:.2f}%"
        row["score"] = res.score_text(row["score"])
        for key in ("counted", "grade"):
            row[key] = "—" if row[key] is None else row[key]
    print(res.title)
    emit(res.rows, CADRE_COLUMNS, "table", headers=res.headers)
    return 0
