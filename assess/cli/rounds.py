"""Round commands: round, selfcheck, spotcheck, finding, rectification."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict

from assess.cli.common import ROUND_HELP, acting_user, add_common, emit, emit_message, open_db


def register(sub: argparse._SubParsersAction) -> None:
    _register_round(sub)
    _register_selfcheck(sub)
    _register_spotcheck(sub)
    from assess.cli.rounds_findings import register_findings

    register_findings(sub)


def _round_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--round", required=True, help=ROUND_HELP)


def _csv_list(text: str | None) -> list[str] | None:
    if not text:
        return None
    return [x.strip() for x in text.replace("，", ",").split(",") if x.strip()]


# -- round ----------------------------------------------------------------------------------------


def _register_round(sub) -> None:
    p = sub.add_parser("round", help="考核轮次：创建、列出、推进阶段、查看进度")
    sp = p.add_subparsers(dest="round_cmd", metavar="子命令")
    q = sp.add_parser("create", help="创建考核轮次（草稿），参加单位默认为方案类别中的全部在用单位")
    q.add_argument("--name", required=True)
    q.add_argument("--period", required=True, help="如 2026（年度）、2026-Q3（季度）、2026-H1（半年）")
    g = q.add_mutually_exclusive_group(required=True)
    g.add_argument("--scheme", help="考核方案编码（取其最新版本，或用 --version 指定）")
    g.add_argument("--scheme-version", type=int, help="考核方案版本编号")
    q.add_argument("--version", type=int, help="与 --scheme 同用：方案的版本号")
    q.add_argument("--units", help="只让这些单位参加：逗号分隔的单位编码")
    q.add_argument("--categories", help="只让这些类别的单位参加：逗号分隔")
    q.add_argument("--corrects", type=int, help="本轮更正的已公示轮次编号")
    add_common(q)
    q.set_defaults(func=cmd_round_create)
    q = sp.add_parser("list", help="列出考核轮次")
    q.add_argument("--open", action="store_true", help="不列已公示的轮次")
    add_common(q)
    q.set_defaults(func=cmd_round_list)
    q = sp.add_parser("advance", help="推进到下一阶段（有待办事项时拒绝并列出）")
    _round_arg(q)
    q.add_argument("--to", help="期望进入的阶段（防止误推进）")
    add_common(q)
    q.set_defaults(func=cmd_round_advance)
    q = sp.add_parser("status", help="轮次的阶段、待办和核查单位")
    _round_arg(q)
    add_common(q)
    q.set_defaults(func=cmd_round_status)


def cmd_round_create(args) -> int:
    from assess.rounds.lifecycle import create_round, scheme_version_id

    db = open_db(args)
    actor = acting_user(args, db)
    vid = args.scheme_version or scheme_version_id(db, args.scheme, args.version)
    rid = create_round(
        db,
        actor,
        args.name,
        args.period,
        vid,
        _csv_list(args.units),
        _csv_list(args.categories),
        args.corrects,
    )
    emit_message(args, f"已创建考核轮次 #{rid}：{args.name}", round_id=rid)
    return 0


def cmd_round_list(args) -> int:
    from assess.rounds.lifecycle import list_rounds

    rows = [asdict(r) for r in list_rounds(open_db(args), include_published=not args.open)]
    if args.format == "table":  # an annual round's period as people read it: 2026年度
        from assess.results.reasons import period_text

        for r in rows:
            if r["annual"]:
                r["period"] = period_text(r["period"])
    emit(
        rows,
        [
            "id",
            "name",
            "period",
            "stage",
            "stage_label",
            "scheme_code",
            "scheme_version",
            "units",
            "submitted",
            "corrects_round_id",
        ],
        args.format,
    )
    return 0


def cmd_round_advance(args) -> int:
    from assess.rounds.lifecycle import stage_label
    from assess.workflow.advance import advance

    db = open_db(args)
    stage = advance(db, acting_user(args, db), args.round, args.to)
    emit_message(args, f"考核轮次 #{args.round} 已进入“{stage_label(stage)}”", stage=stage)
    return 0


def cmd_round_status(args) -> int:
    from assess.workflow.advance import round_status

    st = round_status(open_db(args), args.round)
    if args.format == "table":
        r = st.round
        print(f"#{r.id} {r.name}（{r.period}） 方案 {r.scheme_code} 第 {r.scheme_version} 版")
        print(f"阶段：{r.stage_label}；参加单位 {r.units}，已提交自查 {r.submitted}")
        if st.drawn:
            print(f"核查单位：{'、'.join(st.drawn)}")
        if st.next_stage:
            todo = "；".join(st.blockers) if st.blockers else "无，可进入下一阶段"
            print(f"下一阶段：{st.next_label}；待办：{todo}")
        return 0
    emit(
        [
            {
                **asdict(st.round),
                "next_stage": st.next_stage,
                "blockers": "；".join(st.blockers),
                "drawn": ",".join(st.drawn),
            }
        ],
        ["id", "name", "period", "stage", "units", "submitted", "next_stage", "blockers", "drawn"],
        args.format,
    )
    return 0


# -- selfcheck ------------------------------------------------------------------------------------


def _register_selfcheck(sub) -> None:
    p = sub.add_parser("selfcheck", help="自查：导入、录入、提交、模板、完成情况")
    sp = p.add_subparsers(dest="selfcheck_cmd", metavar="子命令")
    q = sp.add_parser(
        "import", help="导入自查得分 CSV/XLSX（unit_code,indicator_code,score[,note]），有错则全部不导入"
    )
    q.add_argument("file")
    _round_arg(q)
    add_common(q)
    q.set_defaults(func=cmd_scores_import, kind="self")
    q = sp.add_parser("enter", help="录入一项自查得分")
    _score_args(q)
    q.set_defaults(func=cmd_selfcheck_enter)
    q = sp.add_parser(
        "submit", help="确认单位自查已提交（所有适用指标都已填写）；可一次提交多个单位，全部成功或全部不提交"
    )
    _round_arg(q)
    which = q.add_mutually_exclusive_group(required=True)
    which.add_argument("--unit", action="append", help="单位编码（可重复，一次提交多个单位）")
    which.add_argument("--all", action="store_true", help="本轮全部尚未提交的单位")
    add_common(q)
    q.set_defaults(func=cmd_selfcheck_submit)
    q = sp.add_parser("reopen", help="退回单位的自查以便更正；可一次退回多个单位，全部成功或全部不退回")
    _round_arg(q)
    which = q.add_mutually_exclusive_group(required=True)
    which.add_argument("--unit", action="append", help="单位编码（可重复，一次退回多个单位）")
    which.add_argument("--all", action="store_true", help="本轮全部已提交的单位")
    q.add_argument("--reason", required=True)
    add_common(q)
    q.set_defaults(func=cmd_selfcheck_reopen)
    q = sp.add_parser("template", help="导出发给单位填写的 XLSX 模板")
    _round_arg(q)
    q.add_argument("--unit", help="单位编码（不填则包含全部参加单位）")
    q.add_argument("--out", required=True, help="输出的 .xlsx 文件")
    q.add_argument("--verified", action="store_true", help="核查表（只含抽中单位，附自查得分）")
    add_common(q)
    q.set_defaults(func=cmd_selfcheck_template)
    q = sp.add_parser("status", help="各单位自查完成情况")
    _round_arg(q)
    add_common(q)
    q.set_defaults(func=cmd_selfcheck_status)


def _score_args(q) -> None:
    _round_arg(q)
    q.add_argument("--unit", required=True)
    q.add_argument("--indicator", required=True)
    q.add_argument("--score", required=True)
    q.add_argument("--note")
    add_common(q)


def cmd_scores_import(args) -> int:
    from assess.rounds.selfcheck import import_scores

    db = open_db(args)
    n = import_scores(db, acting_user(args, db), args.round, args.file, kind=args.kind)
    what = "自查" if args.kind == "self" else "核查"
    emit_message(args, f"已导入 {n} 条{what}得分", count=n)
    return 0


def cmd_selfcheck_enter(args) -> int:
    from assess.rounds.selfcheck import enter_score

    db = open_db(args)
    v = enter_score(db, acting_user(args, db), args.round, args.unit, args.indicator, args.score, args.note)
    emit_message(args, f"已录入 {args.unit} {args.indicator} = {v:g}", value=v)
    return 0


def cmd_selfcheck_submit(args) -> int:
    from assess.rounds.selfcheck import submit_units

    db = open_db(args)
    done = submit_units(db, acting_user(args, db), args.round, None if args.all else args.unit)
    if len(done) == 1:
        emit_message(args, f"单位 {done[0]} 的自查已提交", units=done)
    else:
        emit_message(args, f"已提交 {len(done)} 个单位的自查：{'、'.join(done) or '无'}", units=done)
    return 0


def cmd_selfcheck_reopen(args) -> int:
    from assess.rounds.selfcheck import reopen_units

    db = open_db(args)
    done = reopen_units(db, acting_user(args, db), args.round, None if args.all else args.unit, args.reason)
    if len(done) == 1:
        emit_message(args, f"已退回单位 {done[0]} 的自查", units=done)
    else:
        emit_message(args, f"已退回 {len(done)} 个单位的自查：{'、'.join(done) or '无'}", units=done)
    return 0


def cmd_selfcheck_template(args) -> int:
    from assess.rounds.selfcheck import export_template

    path = export_template(
        open_db(args), args.round, args.unit, args.out, kind="verified" if args.verified else "self"
    )
    emit_message(args, f"已导出模板：{path}", path=str(path))
    return 0


def cmd_selfcheck_status(args) -> int:
    from assess.rounds.selfcheck import completeness

    rows = [
        {**asdict(c), "submitted_at": c.submitted_at.isoformat() if c.submitted_at else None}
        for c in completeness(open_db(args), args.round)
    ]
    emit(rows, ["unit_code", "unit_name", "category", "filled", "required", "submitted"], args.format)
    return 0


# -- spotcheck ------------------------------------------------------------------------------------


def _register_spotcheck(sub) -> None:
    p = sub.add_parser("spotcheck", help="抽查核查：随机抽取（RFC 3797）、作废、复核、核查得分、对比")
    sp = p.add_subparsers(dest="spotcheck_cmd", metavar="子命令")
    q = sp.add_parser("draw", help="按 RFC 3797 从本轮单位（按编码排序）中抽取核查单位")
    _round_arg(q)
    q.add_argument("--count", type=int, help="抽取数量（默认取方案设定）")
    q.add_argument(
        "--source",
        action="append",
        required=True,
        help="事先公布的随机来源：一组整数（如某期开奖号码），可重复多次",
    )
    q.add_argument("--min-per-category", type=int, help="每个类别至少抽取的数量（默认取方案设定）")
    q.add_argument(
        "--focus-open-findings",
        action="store_true",
        help="有未销号问题的单位作为重点单位直接核查，不参加抽取",
    )
    add_common(q)
    q.set_defaults(func=cmd_spotcheck_draw)
    q = sp.add_parser("pool", help="列出抽取名单（本轮单位按编码排序并编号），供抽取前公布")
    _round_arg(q)
    q.add_argument("--focus-open-findings", action="store_true", help="有未销号问题的单位列为重点，不进名单")
    add_common(q)
    q.set_defaults(func=cmd_spotcheck_pool)
    q = sp.add_parser("inspectors", help="按 RFC 3797 从在用检查员中抽取检查人员（可回避）")
    _round_arg(q)
    q.add_argument("--count", type=int, required=True)
    q.add_argument("--source", action="append", required=True)
    q.add_argument("--exclude", action="append", default=[], metavar="用户名=回避理由")
    add_common(q)
    q.set_defaults(func=cmd_spotcheck_inspectors)
    q = sp.add_parser("void", help="作废本轮的抽取（须写明理由），之后可重新抽取")
    _round_arg(q)
    q.add_argument("--reason", required=True)
    q.add_argument("--inspectors", action="store_true", help="作废的是检查人员抽取")
    add_common(q)
    q.set_defaults(func=cmd_spotcheck_void)
    q = sp.add_parser("verify", help="按公布的名单和来源重算本轮每次抽取；不一致时以 1 退出")
    _round_arg(q)
    add_common(q)
    q.set_defaults(func=cmd_spotcheck_verify)
    q = sp.add_parser("show", help="显示本轮有效抽取的名单、来源、密钥串和结果")
    _round_arg(q)
    q.add_argument("--inspectors", action="store_true")
    add_common(q)
    q.set_defaults(func=cmd_spotcheck_show)
    q = sp.add_parser(
        "import", help="导入核查得分 CSV/XLSX（unit_code,indicator_code,score[,note]），只限抽中单位"
    )
    q.add_argument("file")
    _round_arg(q)
    add_common(q)
    q.set_defaults(func=cmd_scores_import, kind="verified")
    q = sp.add_parser("enter", help="录入一项核查得分")
    _score_args(q)
    q.set_defaults(func=cmd_spotcheck_enter)
    q = sp.add_parser("compare", help="自查与核查对比，标出虚报")
    _round_arg(q)
    q.add_argument("--unit")
    q.add_argument("--false-only", action="store_true", help="只列虚报的指标")
    add_common(q)
    q.set_defaults(func=cmd_spotcheck_compare)


def _print_draw(view) -> None:
    title = "检查人员" if view.purpose == "inspectors" else "单位"
    print(
        f"第 {view.id} 号抽取（{'有效' if view.status == 'active' else '已作废：' + (view.void_reason or '')}）"
    )
    print(f"公布的{title}名单（按编码排序，共 {len(view.pool)} 个）：")
    for p in view.pool:
        print(f"  {p['n']:>4}  {p['code']}  {p['name']}" + (f"  权重 {p['weight']}" if p.get("weight") else ""))
    for e in view.excluded:
        print(f"  回避：{e['code']}（{e['reason']}）")
    print("随机来源：")
    for i, src in enumerate(view.sources, start=1):
        print(f"  {i}. {src}")
    print(f"密钥串：{view.key_string}")
    print(f"需要约 {view.entropy_needed:.1f} 位熵，来源约含 {view.entropy_sources:.1f} 位")
    print("抽取结果（按抽中顺序）：")
    for x in view.selected:
        part = f"  [{x['part']}]" if x["part"] not in ("全部",) else ""
        print(
            f"  {x['order']:>3}  {x['code']}  {x['name']}  名单第 {x['n']} 号  MD5 {x['digest']}  ÷{x['remaining']}{part}"
        )
    for f in view.focus:
        print(f"  重点  {f['code']}  {f['name']}  {f['reason']}（不参加抽取）")


def _emit_draw(args, view) -> None:
    if args.format == "csv":
        emit([{"unit_code": c} for c in view.selected_codes], ["unit_code"], "csv")
        if view.focus:
            print(
                f"另有重点核查单位（不在抽取之列）：{'、'.join(f['code'] for f in view.focus)}",
                file=sys.stderr,
            )
    elif args.format == "json":
        import json

        data = {k: v for k, v in asdict(view).items() if k != "created_at"}
        data["created_at"] = view.created_at.isoformat() if view.created_at else None
        json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        _print_draw(view)


def cmd_spotcheck_draw(args) -> int:
    from assess.rounds.spotcheck import draw

    db = open_db(args)
    view = draw(
        db,
        acting_user(args, db),
        args.round,
        args.count,
        args.source,
        min_per_category=args.min_per_category,
        focus_open_findings=args.focus_open_findings,
    )
    _emit_draw(args, view)
    return 0


def cmd_spotcheck_pool(args) -> int:
    from assess.rounds.spotcheck import pool_preview

    pool, focus = pool_preview(open_db(args), args.round, args.focus_open_findings)
    rows = [
        {"n": p["n"], "unit_code": p["code"], "unit_name": p["name"], "category": p["category"],
         "note": f"重点权重 {p['weight']}（占 {p['weight']} 个位置）：{p.get('weight_reason', '')}" if p.get("weight") else ""}
        for p in pool
    ]
    rows += [
        {
            "n": None,
            "unit_code": f["code"],
            "unit_name": f["name"],
            "category": f["category"],
            "note": f"重点：{f['reason']}",
        }
        for f in focus
    ]
    emit(rows, ["n", "unit_code", "unit_name", "category", "note"], args.format)
    return 0


def cmd_spotcheck_inspectors(args) -> int:
    from assess.foundation.errors import AssessError
    from assess.rounds.spotcheck import draw_inspectors

    exclude = {}
    for item in args.exclude:
        name, sep, reason = item.partition("=")
        if not sep:
            raise AssessError(f"--exclude “{item}” 应写成 用户名=回避理由。")
        exclude[name] = reason
    db = open_db(args)
    view = draw_inspectors(db, acting_user(args, db), args.round, args.count, args.source, exclude)
    if args.format == "csv":
        emit([{"username": c} for c in view.selected_codes], ["username"], "csv")
    else:
        _emit_draw(args, view)
    return 0


def cmd_spotcheck_void(args) -> int:
    from assess.rounds.spotcheck import void

    db = open_db(args)
    void(db, acting_user(args, db), args.round, args.reason, "inspectors" if args.inspectors else "units")
    emit_message(args, f"已作废考核轮次 #{args.round} 的抽取（理由：{args.reason}）")
    return 0


def cmd_spotcheck_verify(args) -> int:
    from assess.rounds.spotcheck import verify

    report = verify(open_db(args), args.round)
    if args.format == "table":
        print(report.message())
    else:
        emit(
            [
                {
                    "ok": report.ok,
                    "checked": ",".join(map(str, report.checked)),
                    "problems": "；".join(report.problems),
                }
            ],
            ["ok", "checked", "problems"],
            args.format,
        )
    if not report.ok:
        print(f"错误：{report.message()}", file=sys.stderr)
    return 0 if report.ok else 1


def cmd_spotcheck_show(args) -> int:
    from assess.foundation.errors import NotFound
    from assess.rounds.spotcheck import current_draw

    view = current_draw(open_db(args), args.round, "inspectors" if args.inspectors else "units")
    if view is None:
        raise NotFound("本轮没有有效的抽取。")
    _emit_draw(args, view)
    return 0


def cmd_spotcheck_enter(args) -> int:
    from assess.rounds.verified import enter_verified

    db = open_db(args)
    v = enter_verified(
        db, acting_user(args, db), args.round, args.unit, args.indicator, args.score, args.note
    )
    emit_message(args, f"已录入核查得分 {args.unit} {args.indicator} = {v:g}", value=v)
    return 0


def cmd_spotcheck_compare(args) -> int:
    from assess.rounds.verified import compare

    rows = [asdict(r) for r in compare(open_db(args), args.round, args.unit)]
    if args.false_only:
        rows = [r for r in rows if r["false_report"]]
    for r in rows:
        r["flag"] = "虚报" if r["false_report"] else ""
    emit(
        rows,
        [
            "unit_code",
            "unit_name",
            "indicator_code",
            "indicator_name",
            "method",
            "max",
            "self_value",
            "verified_value",
            "self_points",
            "verified_points",
            "difference",
            "flag",
        ],
        args.format,
    )
    return 0
