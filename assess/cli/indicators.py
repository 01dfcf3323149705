"""``assess indicators``: check, load, list, show, compare and export assessment schemes."""

from __future__ import annotations

import argparse
import sys

from assess.cli.common import acting_user, add_common, emit, emit_message, open_db


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("indicators", help="考核方案（指标体系）：校验、载入、查看、比较、导出")
    us = p.add_subparsers(dest="indicators_cmd", metavar="子命令")

    q = us.add_parser("validate", help="校验方案文件（TOML），列出全部问题；不读写数据库")
    q.add_argument("files", nargs="+", metavar="FILE", help="文件路径，或内置方案名（见 indicators builtin）")
    q.add_argument("--format", choices=["table", "csv", "json"], default="table", help="输出格式")
    q.set_defaults(func=cmd_validate)

    q = us.add_parser("load", help="载入方案文件为该方案的新版本（内容未变则不新建）")
    q.add_argument("file", help="文件路径，或内置方案名")
    add_common(q)
    q.set_defaults(func=cmd_load)

    q = us.add_parser("builtin", help="列出随程序提供的方案文件")
    q.add_argument("--format", choices=["table", "csv", "json"], default="table", help="输出格式")
    q.set_defaults(func=cmd_builtin)

    q = us.add_parser("list", help="列出数据库中的考核方案")
    add_common(q)
    q.set_defaults(func=cmd_list)

    q = us.add_parser("versions", help="列出一个方案的各版本")
    q.add_argument("code")
    add_common(q)
    q.set_defaults(func=cmd_versions)

    q = us.add_parser("show", help="显示一个版本的指标树（--settings：权重、等次、评议表、问责规则）")
    q.add_argument("code")
    q.add_argument("--version", type=int, help="版本号（默认最新）")
    q.add_argument("--settings", action="store_true", help="显示指标以外的设置")
    add_common(q)
    q.set_defaults(func=cmd_show)

    q = us.add_parser("diff", help="比较同一方案的两个版本")
    q.add_argument("code")
    q.add_argument("old", type=int, help="旧版本号")
    q.add_argument("new", type=int, help="新版本号")
    add_common(q)
    q.set_defaults(func=cmd_diff)

    q = us.add_parser("export", help="导出某版本载入时的原文件")
    q.add_argument("code")
    q.add_argument("--version", type=int, help="版本号（默认最新）")
    q.add_argument("-o", "--output", help="写入此文件（默认打印到标准输出）")
    add_common(q)
    q.set_defaults(func=cmd_export)


def _summary(result) -> dict:
    from assess.schemes.catalog import category_totals

    s = result.scheme
    return {
        "file": result.source_name,
        "code": s.code,
        "name": s.name,
        "leaves": len(s.leaves()),
        "totals": "；".join(f"{c} {t:g}" for c, t in category_totals(s).items()),
        "forms": "、".join(f.code for f in s.forms),
        "rules": len(s.rules),
        "warnings": len(result.warnings),
        "content_hash": s.content_hash(),
    }


def cmd_validate(args) -> int:
    from assess.foundation.errors import InputErrors, ProblemList
    from assess.schemes.builtin import validate_source

    rows, problems, warnings = [], ProblemList(), []
    for f in args.files:
        try:
            result = validate_source(f)
        except InputErrors as e:
            problems.extend(e.problems)
            problems.total += e.total - len(e.problems)  # those beyond the ones kept
            continue
        rows.append(_summary(result))
        warnings.extend(f"{result.source_name}: {w}" for w in result.warnings)
    for w in warnings:
        print(f"提示：{w}", file=sys.stderr)
    if problems:
        raise InputErrors(problems)
    emit(
        rows,
        ["file", "code", "name", "leaves", "totals", "forms", "rules", "warnings", "content_hash"],
        args.format,
        headers=["文件", "编码", "名称", "末级指标", "各类别满分", "评议表", "问责规则", "提示", "内容哈希"],
    )
    return 0


def cmd_load(args) -> int:
    from assess.schemes.catalog import load_scheme

    db = open_db(args)
    result = load_scheme(db, acting_user(args, db), args.file)
    for w in result.warnings:
        print(f"提示：{w}", file=sys.stderr)
    emit_message(
        args,
        result.message(),
        code=result.code,
        version=result.version,
        created=result.created,
        content_hash=result.content_hash,
        warnings=result.warnings,
    )
    return 0


def cmd_builtin(args) -> int:
    from assess.foundation.errors import InputErrors
    from assess.schemes.builtin import builtin_schemes
    from assess.schemes.validate import validate_text

    rows = []
    for b in builtin_schemes():
        try:
            s = validate_text(b.text, b.file_name).scheme
            rows.append({"builtin": b.name, "code": s.code, "name": s.name, "source": s.source or ""})
        except InputErrors as e:
            rows.append({"builtin": b.name, "code": "", "name": f"（文件有误：{e}）", "source": ""})
    emit(rows, ["builtin", "code", "name", "source"], args.format, headers=["内置名", "编码", "名称", "依据"])
    return 0


def cmd_list(args) -> int:
    from assess.schemes.catalog import list_schemes

    rows = [vars(r) for r in list_schemes(open_db(args))]
    emit(
        rows,
        ["code", "name", "latest_version", "versions", "rounds", "loaded_at", "loaded_by", "content_hash"],
        args.format,
        headers=["编码", "名称", "最新版本", "版本数", "使用轮次", "载入时间", "载入人", "内容哈希"],
    )
    return 0


def cmd_versions(args) -> int:
    from assess.schemes.catalog import list_versions

    rows = [vars(r) for r in list_versions(open_db(args), args.code)]
    emit(
        rows,
        ["version", "created_at", "created_by", "source_name", "rounds", "content_hash"],
        args.format,
        headers=["版本", "载入时间", "载入人", "文件", "使用轮次", "内容哈希"],
    )
    return 0


def cmd_show(args) -> int:
    from assess.schemes.catalog import get_definition, indicator_rows, settings_rows

    scheme = get_definition(open_db(args), args.code, args.version)
    if args.settings:
        emit(
            [{"item": k, "value": v} for k, v in settings_rows(scheme)],
            ["item", "value"],
            args.format,
            headers=["项目", "内容"],
        )
        return 0
    rows = []
    for r in indicator_rows(scheme):
        row = vars(r).copy()
        row["categories"] = "、".join(r.categories) if args.format != "json" else r.categories
        if args.format == "table":
            row["name"] = "  " * (r.level - 1) + r.name
        rows.append(row)
    emit(
        rows,
        ["code", "level", "name", "method", "max", "target", "categories", "provenance"],
        args.format,
        headers=["编码", "层级", "名称", "方法", "满分", "目标值", "适用类别", "出处"],
    )
    return 0


def cmd_diff(args) -> int:
    from assess.schemes.catalog import diff_versions

    changes = diff_versions(open_db(args), args.code, args.old, args.new)
    if args.format == "table":
        if not changes:
            print(f"第 {args.old} 版与第 {args.new} 版内容相同。")
        for c in changes:
            print(c.text())
        return 0
    emit(
        [{"kind": c.kind, "where": c.where, "old": c.old, "new": c.new} for c in changes],
        ["kind", "where", "old", "new"],
        args.format,
    )
    return 0


def cmd_export(args) -> int:
    from assess.schemes.catalog import version_source

    name, text = version_source(open_db(args), args.code, args.version)
    if args.output:
        from assess.foundation.private_files import write_private

        write_private(args.output, text)
        print(f"已导出 {name} 到 {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
