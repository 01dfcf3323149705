"""The publication report as one HTML document.

Two renderings of the same content: ``interactive`` embeds plotly.js once (``include_plotlyjs=True``
on the first chart, so the file works offline) and draws live charts; the print rendering embeds
each chart as an SVG image rendered by Chromium and has no script at all, so printing it to PDF is
deterministic (PNG images are embedded instead when only PNG files were asked for, so that each
chart is rendered once). Every piece of user text is HTML-escaped.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass, field
from html import escape, unescape
from typing import TYPE_CHECKING, Any

from assess.foundation.settings import local_time
from assess.foundation.vocabulary import STAGE_LABELS
from assess.reports.columns import column_widths
from assess.reports.notices import report_title
from assess.results.reasons import period_text
from assess.schemes.definition import document_title
from assess.schemes.provenance import example_notes

if TYPE_CHECKING:
    from collections.abc import Set

    from plotly.graph_objects import Figure

    from assess.reports.data import ReportData

CSS = """
* { box-sizing: border-box; }
body { font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", sans-serif;
       color: #212121; margin: 24px auto; max-width: 1000px; line-height: 1.5; font-size: 14px; }
h1 { font-size: 24px; text-align: center; margin: 8px 0 4px; }
h2 { font-size: 18px; border-bottom: 2px solid #b71c1c; padding-bottom: 3px; margin-top: 28px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
.draft { text-align: center; color: #b71c1c; font-weight: bold; border: 2px solid #b71c1c; padding: 4px; margin: 8px auto;
         width: 60%; }
.subtitle { text-align: center; color: #555; margin-bottom: 12px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; font-size: 12.5px; }
th, td { border: 1px solid #9e9e9e; padding: 3px 6px; vertical-align: top; }
th { background: #eeeeee; font-weight: bold; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.nw { white-space: nowrap; }
table.sized { table-layout: fixed; }
table.ranking { font-size: 11.5px; }
td.hash, span.hash { font-family: "DejaVu Sans Mono", monospace; font-size: 11px; word-break: break-all; }
table.meta th { width: 24%; text-align: left; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
.chart { margin: 10px 0 18px; break-inside: avoid; page-break-inside: avoid; }
.chart img { width: 100%; height: auto; display: block; }
.note { color: #555; font-size: 12px; }
section.category { break-before: page; page-break-before: always; }
@page { size: A4; }
@media print { body { margin: 0; max-width: none; } }
"""


@dataclass
class Chart:
    """One chart of the report: where it goes, its figure, and its rendered images by format."""

    key: str  # stable file stem, e.g. "03-政府部门-排名"
    title: str
    section: str  # a category name, "spotcheck", "accountability" or "unit:<code>"
    figure: Figure
    images: dict[str, bytes] = field(default_factory=dict)


def _e(v: Any) -> str:
    return escape("" if v is None else str(v))


def _num(v: Any, decimals: int = 2) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    try:
        import pandas as pd

        if v is pd.NA:
            return ""
    except ImportError:  # pragma: no cover
        pass
    if isinstance(v, (int,)) or (isinstance(v, float) and v.is_integer() and decimals == 0):
        return str(int(v))
    return f"{float(v):.{decimals}f}"


def _table(
    headers: list[str],
    rows: list[list[str]],
    num_cols: Set[int] = frozenset(),
    cls: str = "",
    nowrap: Set[int] = frozenset(),
    total_em: float | None = None,
) -> str:
    """An HTML table; with ``total_em`` (the printable width in ems of the table's font) the
    columns get widths from their content (``columns.column_widths``) and the ``nowrap`` columns
    stay on one line."""
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{c}</td>'
            if i in num_cols
            else (f'<td class="nw">{c}</td>' if i in nowrap else f"<td>{c}</td>")
            for i, c in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    cols = ""
    if total_em:
        widths = column_widths(headers, [[unescape(c) for c in r] for r in rows], total_em, set(nowrap) | set(num_cols))
        total = sum(widths) or 1.0
        cols = "<colgroup>" + "".join(f'<col style="width:{100 * w / total:.2f}%">' for w in widths) + "</colgroup>"
        cls = f"{cls} sized".strip()
    return (
        f'<table class="{cls}">{cols}<thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
    )


def _when(dt) -> str:
    if dt is None:
        return ""

    try:
        return local_time(dt).strftime("%Y年%m月%d日 %H:%M")
    except (AttributeError, ValueError):
        return str(dt)


# The ranking table's printable width in ems of its 11.5 px font: A4 portrait less the PDF's
# margins (7.27 in at 96 px) — see images.ChartRenderer.print_pdf.
RANKING_EM = 60.0
TABLE_EM = 55.0  # the same width in ems of the other tables' 12.5 px font


def ranking_rows(data: ReportData, category: str) -> tuple[list[str], list[list[str]], set[int], set[int]]:
    """Headers, escaped cells, numeric columns and one-line columns (names, grades) of a
    category's ranking table. The 名次区间 column is shown only when some unit has one; unit codes
    are in the XLSX, not in the printed table."""
    precision = data.scheme.precision
    headers = ["名次", "名次区间", "单位名称", data.composite_label] + [data.component_label(k) for k in data.components] + ["等次", "标注"]
    rows = []
    for r in data.category_results(category).itertuples():
        interval = ""
        low, high = getattr(r, "rank_low", None), getattr(r, "rank_high", None)
        if low is not None and high is not None and not _isna(low) and not _isna(high):
            interval = f"{int(low)}–{int(high)}"
        comps = [_num(getattr(r, f"c_{k}", None), precision) for k in data.components]
        rows.append(
            [
                _num(r.rank, 0),
                interval,
                _e(r.unit_name),
                _num(r.composite, precision),
                *comps,
                _e(r.grade),
                _e(r.flags),
            ]
        )
    nums = {0, 1, 3, *range(4, 4 + len(data.components))}
    grade = 4 + len(data.components)
    nowrap = {2, grade}
    if not any(row[1] for row in rows):
        headers = [h for i, h in enumerate(headers) if i != 1]
        rows = [[c for i, c in enumerate(row) if i != 1] for row in rows]
        nums = {i - 1 if i > 1 else i for i in nums if i != 1}
        nowrap = {i - 1 for i in nowrap}
    return headers, rows, nums, nowrap


def _isna(v: Any) -> bool:
    try:
        import pandas as pd

        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _chart_html(chart: Chart, interactive: bool, first: list[bool]) -> str:
    if interactive:
        include = first[0]
        first[0] = False
        div = chart.figure.to_html(
            full_html=False,
            include_plotlyjs=include,
            include_mathjax=False,
            config={"displaylogo": False, "responsive": True},
            default_width="100%",
        )
        return f'<div class="chart">{div}</div>'
    for fmt, mime in (("svg", "image/svg+xml"), ("png", "image/png")):
        image = chart.images.get(fmt)
        if image is not None:
            b64 = base64.b64encode(image).decode("ascii")
            return f'<div class="chart"><img alt="{_e(chart.title)}" src="data:{mime};base64,{b64}"></div>'
    return ""


def report_html(data: ReportData, charts: list[Chart], *, interactive: bool) -> str:
    """The whole report. ``interactive``: live plotly charts (plotly.js embedded once); otherwise
    the charts' SVG images, or PNG where no SVG was made (charts without an image are left out)."""

    first = [True]
    by_section: dict[str, list[Chart]] = {}
    for c in charts:
        by_section.setdefault(c.section, []).append(c)

    def charts_of(section: str) -> str:
        return "".join(_chart_html(c, interactive, first) for c in by_section.get(section, []))

    parts = [
        f"<h1>{_e(report_title(data.round_name))}</h1>",
        f'<div class="subtitle">{_e(period_text(data.period))} · 《{_e(document_title(data.scheme))}》</div>',
    ]
    if data.draft_mark:
        parts.append(f'<div class="draft">{_e(data.draft_mark)}</div>')
    parts.append(_meta_section(data))
    parts.append(_scheme_note(data))
    parts.append(_approval_section(data))
    parts.append("<h2>三、考核结果排名</h2>")
    counts = "，".join(f"{c} {int((data.results['category'] == c).sum())} 个" for c in data.categories)
    parts.append(
        f'<p class="note">共 {len(data.results)} 个单位（{_e(counts)}），在各自类别内排名；同分同名次。'
        f"等次按{_e(_bands_text(data))}划分。</p>"
    )
    for i, cat in enumerate(data.categories, start=1):
        headers, rows, nums, nowrap = ranking_rows(data, cat)
        cls = ' class="category"' if i > 1 else ""
        table = _table(headers, rows, nums, "ranking", nowrap, RANKING_EM)
        parts.append(f"<section{cls}><h3>（{i}）{_e(cat)}</h3>{table}{charts_of(cat)}</section>")
    if by_section.get("spotcheck"):
        parts.append('<section class="category"><h2>四、自查与核查对比</h2>')
        parts.append(
            f'<p class="note">抽查单位以核查得分计分；自查得分高于核查得分超过 {data.scheme.spotcheck.tolerance:g} 分的指标记为虚报。</p>'
        )
        parts.append(charts_of("spotcheck") + "</section>")
    unit_sections = [k for k in by_section if k.startswith("unit:")]
    parts.append(_accountability_section(data, charts_of, unit_sections))
    if not data.cadres.empty:
        parts.append(_cadre_section(data))
    parts.append(
        f'<p class="note">本报告由考核评议系统根据已{"公示冻结" if data.published else "计算"}的数据生成，'
        f"生成时间 {_e(_when(data.generated_at))}，生成时审计链头 #{data.chain_seq} "
        f'<span class="hash">{_e(data.chain_head)}</span>。</p>'
    )
    body = "\n".join(parts)
    title = report_title(data.round_name)
    return (
        f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>{_e(title)}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{CSS}</style></head>'
        f"<body>\n{body}\n</body></html>\n"
    )


def _bands_text(data: ReportData) -> str:
    bands = sorted(data.scheme.bands, key=lambda b: -b.min)
    out = []
    for b in bands:
        right = "]" if b.include_max else ")"
        out.append(f"{b.grade} [{b.min:g}, {b.max:g}{right}")
    return "、".join(out) if out else "考核方案的等次"


def _meta_section(data: ReportData) -> str:
    snap = data.snapshot or {}
    weights = "、".join(f"{data.component_label(k)} {v:g}%" for k, v in data.weights.items())
    rows = [
        ("考核轮次", _e(data.round_name)),
        ("考核期间", _e(period_text(data.period))),
        ("当前阶段", _e(STAGE_LABELS.get(data.stage, data.stage))),
        ("考核方案", f"{_e(data.scheme_name)}（{_e(data.scheme_code)}，第 {data.scheme_version} 版）"),
        ("方案内容哈希", f'<span class="hash">{_e(data.scheme_hash)}</span>'),
        (f"{data.composite_label}构成", _e(weights)),
        ("数据快照哈希", f'<span class="hash">{_e(snap.get("content_hash", "（尚未公示，无快照）"))}</span>'),
        ("快照时审计链头", f'<span class="hash">{_e(snap.get("audit_head", ""))}</span>'),
        (
            "公示冻结",
            _e(f"{_when(snap.get('published_at'))} {snap.get('published_by', '')}".strip())
            if snap
            else "未公示",
        ),
    ]
    trs = "".join(f"<tr><th>{_e(k)}</th><td>{v}</td></tr>" for k, v in rows)
    return f'<h2>一、基本情况</h2><table class="meta"><tbody>{trs}</tbody></table>'


def _scheme_note(data: ReportData) -> str:
    """方案说明: the basis document, and which figures are the office's examples rather than quoted
    from it (``assess.schemes.provenance``)."""

    notes = example_notes(data.scheme)
    basis = f"依据：{_e(data.scheme.source)}。" if data.scheme.source else ""
    if not notes:
        return f'<p class="note">方案说明：{basis}各项数值均出自依据文件。</p>'
    items = "".join(f"<li>{_e(n)}</li>" for n in notes)
    return f'<p class="note">方案说明：{basis}以下数值不是依据文件规定的，为示例，由考核办确定：</p><ul class="note">{items}</ul>'


def _approval_section(data: ReportData) -> str:
    parts = ["<h2>二、审核审批记录</h2>"]
    if data.review_steps:
        rows = [
            [_e(s["step"]), _e(s["by"]), _e(s["decision"]), _e(s["note"]), _e(_when(s["at"]))]
            for s in data.review_steps
        ]
        parts.append(_table(["环节", "经办人", "结论", "意见", "时间"], rows))
    else:
        parts.append('<p class="note">暂无审核记录。</p>')
    if data.approvals:
        rows = []
        for v in data.approvals:
            result = "通过" if v["passed"] else "未通过"
            rows.append(
                [
                    str(v["expected"]),
                    str(v["present"]),
                    str(v["yes"]),
                    str(v["no"]),
                    str(v["abstain"]),
                    f"{result}（赞成票须超过应到会人数的半数，即至少 {v['expected'] // 2 + 1} 票）",
                    _e(v["by"]),
                    _e(_when(v["at"])),
                ]
            )
        parts.append("<h3>审议票决</h3>")
        parts.append(
            _table(["应到", "实到", "赞成", "反对", "弃权", "结果", "记录人", "时间"], rows, {0, 1, 2, 3, 4})
        )
    return "".join(parts)


def _accountability_section(data: ReportData, charts_of, unit_sections: list[str]) -> str:
    parts = ['<section class="category"><h2>五、问责名单</h2>']
    acc = data.accountability
    if acc.empty:
        parts.append('<p class="note">本轮未触发问责规则。</p>')
    else:
        rows = [
            [
                str(i),
                _e(r.subject),
                _e(r.unit_name),
                _e(r.rule_text),
                _e(r.figures),
                _e(r.proposed_action),
                _e(r.status_label),
                _e(r.decided_by),
                _e(r.reason),
            ]
            for i, r in enumerate(acc.itertuples(), start=1)
        ]
        headers = ["序号", "对象", "所在单位", "触发规则", "问责事由", "拟处理", "状态", "决定人", "理由"]
        parts.append(_table(headers, rows, {0}, "", {1, 2, 6, 7}, TABLE_EM))
        parts.append(charts_of("accountability"))
        for section in unit_sections:
            parts.append(charts_of(section))
    parts.append("</section>")
    return "".join(parts)


def _cadre_section(data: ReportData) -> str:
    rows = [
        [
            _e(r.unit_name),
            _e(r.cadre_name),
            _e(r.position),
            _num(r.score, data.scheme.precision),
            _e(r.grade),
            _e(r.flags),
        ]
        for r in data.cadres.itertuples()
    ]
    return "<h2>六、干部民主测评（勤廉双述）结果</h2>" + _table(
        ["单位", "姓名", "职务", "测评得分", "等次", "标注"], rows, {3}
    )
