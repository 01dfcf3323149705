"""Annual round commands (年度考核, ``assess.results.annual``): create, compute, show, explain."""

from __future__ import annotations

import argparse

from assess.cli.common import ROUND_HELP, acting_user, add_common, emit, emit_message, open_db


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("annual", help="年度考核：合成各季度结果与年终考核（创建、计算、查看、说明）")
    sp = p.add_subparsers(dest="annual_cmd", metavar="子命令")
    q = sp.add_parser(
        "create",
        help="创建年度考核轮次（即年终考核轮次，期间为该年），合成本方案该年已公示的各季度轮次",
    )
    q.add_argument("--year", required=True, help="年度，如 2026 或 2026年度")
    g = q.add_mutually_exclusive_group(required=True)
    g.add_argument("--scheme", help="考核方案编码（取其最新版本，或用 --version 指定）；方案须有 [annual]")
    g.add_argument("--scheme-version", type=int, help="考核方案版本编号")
    q.add_argument("--version", type=int, help="与 --scheme 同用：方案的版本号")
    q.add_argument("--name", help="轮次名称（默认“2026年度考核”）")
    q.add_argument("--units", help="只让这些单位参加：逗号分隔的单位编码")
    q.add_argument("--categories", help="只让这些类别的单位参加：逗号分隔")
    add_common(q)
    q.set_defaults(func=cmd_annual_create)
    q = sp.add_parser("compute", help="计算年度综合得分、排名、等次和问责名单（同 assess compute）")
    q.add_argument("--round", required=True, help=ROUND_HELP)
    q.add_argument("--resamples", type=int, default=None, help="稳健性重抽样次数（默认 1000；0 不计算区间）")
    add_common(q)
    q.set_defaults(func=cmd_annual_compute)
    q = sp.add_parser(
        "show",
        help="各单位的各季度得分、季度平均、年终考核、年度综合得分、名次、等次",
    )
    q.add_argument("--round", required=True, help=ROUND_HELP)
    add_common(q)
    q.set_defaults(func=cmd_annual_show)
    q = sp.add_parser("explain", help="一个单位年度综合得分的计算过程（带数字）")
    q.add_argument("--round", required=True, help=ROUND_HELP)
    q.add_argument("--unit", required=True, help="单位编码")
    add_common(q, formats=("table", "json"))
    q.set_defaults(func=cmd_annual_explain)


def _csv_list(text: str | None) -> list[str] | None:
    if not text:
        return None
    return [x.strip() for x in text.replace("，", ",").split(",") if x.strip()]


def cmd_annual_create(args) -> int:
    from assess.results.annual import create_annual_round
    from assess.rounds.lifecycle import scheme_version_id

    db = open_db(args)
    actor = acting_user(args, db)
    vid = args.scheme_version or scheme_version_id(db, args.scheme, args.version)
    rid = create_annual_round(
        db, actor, vid, args.year, args.name, _csv_list(args.units), _csv_list(args.categories)
    )
    from assess.results.annual import view

    v = view(db, rid)
    have = "、".join(f"{s['period']}（{s['name']}）" for s in v.sources) or "无"
    emit_message(
        args,
        f"已创建{v.year}年度考核轮次 #{rid}：{v.name}；已公示的季度轮次：{have}",
        round_id=rid,
        year=v.year,
        sources=v.sources,
    )
    return 0


def cmd_annual_compute(args) -> int:
    from assess.foundation.errors import Conflict
    from assess.results.annual_sources import is_annual
    from assess.results.compute import compute_round

    db = open_db(args)
    actor = acting_user(args, db)
    with db.read() as s:
        if not is_annual(s, args.round):
            raise Conflict(f"考核轮次 #{args.round} 不是年度考核轮次（用 assess compute 计算）。")
    summary = compute_round(db, actor, args.round, resamples=args.resamples)
    emit_message(args, summary.message(), units=summary.units, entries=summary.entries, warnings=summary.warnings)
    for w in summary.warnings if getattr(args, "format", "table") == "table" else []:
        print(f"提示：{w}")
    return 0


COLUMNS = ["category", "rank", "code", "name", "q1", "q2", "q3", "q4", "quarter_avg", "year_end", "composite", "grade", "flags"]
HEADERS = ["类别", "名次", "编码", "单位", "一季度", "二季度", "三季度", "四季度", "季度平均", "年终考核", "年度综合", "等次", "标注"]


def cmd_annual_show(args) -> int:
    from assess.results.annual import view
    from assess.results.reasons import flag_reason

    db = open_db(args)
    v = view(db, args.round)
    if args.format == "table":
        w = v.weights
        print(
            f"{v.name}（{v.year}年度）：年度综合得分 = 季度平均 × {w.get('quarters', 0):g}% + 年终考核 × "
            f"{w.get('year_end', 0):g}%，保留 {v.precision} 位小数后排名"
        )
        print("季度轮次：" + ("、".join(f"{s['period']} {s['name']}" for s in v.sources) or "无已公示的季度轮次"))
        if not v.rows:
            print("尚未计算（assess annual compute --round …）。")
            return 0
    rows = [
        {**r, "flags": "；".join(flag_reason(f) for f in r["flags"]) if args.format != "json" else r["flags"]}
        for r in v.rows
    ]
    emit(rows, COLUMNS, args.format, headers=HEADERS)
    return 0


def cmd_annual_explain(args) -> int:
    from assess.results.annual import explain

    db = open_db(args)
    lines = explain(db, args.round, args.unit)
    if args.format == "json":
        emit_message(args, lines[0], lines=lines)
    else:
        print("\n".join(lines))
    return 0
