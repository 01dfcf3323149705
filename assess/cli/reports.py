"""The ``report`` command: the publication report of a round (PDF, HTML, XLSX, chart images, CSV,
公示 and rectification notices). Progress goes to stderr, the paths written to stdout (one per
line, or a JSON object with ``--json``)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date


def register(sub: argparse._SubParsersAction) -> None:
    from assess.cli.common import ROUND_HELP
    from assess.reports.bundle import DEFAULT_FORMATS, FORMATS

    p = sub.add_parser("report", help="生成考核结果报告：PDF、HTML、XLSX、图表、公示与整改通知")
    p.add_argument("--round", required=True, help=ROUND_HELP)
    p.add_argument("--out", required=True, help="输出目录（不存在时创建）")
    p.add_argument(
        "--format",
        default=",".join(DEFAULT_FORMATS),
        help=f"逗号分隔的导出格式（默认 {','.join(DEFAULT_FORMATS)}）："
        + "，".join(f"{k} {v}" for k, v in FORMATS.items()),
    )
    p.add_argument("--db", help="数据库 URL 或 SQLite 文件路径（默认 $ASSESS_DB 或用户数据目录）")
    p.add_argument("--json", action="store_true", help="以 JSON 输出结果（文件列表与提示）")
    p.add_argument("--quiet", action="store_true", help="不在标准错误输出进度")
    g = p.add_argument_group("公示通知")
    g.add_argument(
        "--issuer", help="发文单位（公示、通报、整改通知书、问责建议名单的落款；默认为方案或办公室设置的发文单位）"
    )
    g.add_argument("--doc-no", help="发文字号中的序号（按方案的发文字号格式填入；不填则留空待填）")
    g.add_argument("--start", type=_date, help="公示开始日期 YYYY-MM-DD（不填则留空待填）")
    g.add_argument("--end", type=_date, help="公示结束日期 YYYY-MM-DD")
    g.add_argument("--days", type=int, default=5, help="公示期工作日数（未给日期时显示）")
    g.add_argument("--deadline", type=_date, help="异议受理截止日期（默认为公示结束日期）")
    g.add_argument("--phone", help="异议受理电话")
    g.add_argument("--address", help="异议受理通讯地址")
    g.add_argument("--email", help="异议受理电子邮箱")
    g.add_argument("--issued-on", type=_date, help="落款日期")
    p.set_defaults(func=cmd_report)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"“{text}”不是日期（格式 YYYY-MM-DD）") from None


def cmd_report(args) -> int:
    from assess.cli.common import open_db, round_id
    from assess.reports.bundle import build_report, parse_formats
    from assess.reports.official import NoticeParams

    formats = parse_formats(args.format)
    db = open_db(args)
    rid = args.round if isinstance(args.round, int) else round_id(db, args.round)
    params = NoticeParams(
        issuer=args.issuer,
        start=args.start,
        end=args.end,
        days=args.days,
        deadline=args.deadline,
        phone=args.phone,
        address=args.address,
        email=args.email,
        issued_on=args.issued_on,
        doc_no=args.doc_no,
    )

    def progress(done: int, total: int, label: str) -> None:
        if not args.quiet:
            print(f"[{done}/{total}] {label}", file=sys.stderr, flush=True)

    result = build_report(db, rid, args.out, formats, progress=progress, notice=params)
    if args.json:
        json.dump(
            {
                "out_dir": str(result.out_dir),
                "files": [str(f) for f in result.files],
                "charts": result.charts,
                "images": result.images,
                "messages": result.messages,
                "seconds": round(result.total_seconds, 3),
            },
            sys.stdout,
            ensure_ascii=False,
        )
        sys.stdout.write("\n")
    else:
        for f in result.files:
            print(f)
    for m in result.messages:
        print(f"提示：{m}", file=sys.stderr)
    print(result.summary().split("；")[0], file=sys.stderr)
    return 0
