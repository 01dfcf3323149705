"""The report as a spreadsheet (XLSX: rankings, indicator details, tallies, accountability) and the
ranking as CSV. Every text cell goes through ``assess.foundation.input_tables.safe_cell`` so that no spreadsheet
reads a unit name such as ``=SUM(A1)`` as a formula.

Tallies respect ballot secrecy (``assess.appraisal.tally.disclosure``): when a voter group has fewer counted
votes than the form's publication threshold, no group of that unit is shown on its own (only the
unit's total), and a total under the threshold is not shown either.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assess.appraisal.tally import disclosure
from assess.appraisal.unit_tallies import largest_remainder_shares
from assess.foundation.input_tables import safe_cell
from assess.foundation.settings import local_time
from assess.foundation.vocabulary import METHOD_LABELS, STAGE_LABELS
from assess.reports.indicator_points import EXEMPT_TEXT
from assess.results.consequences import COLUMNS, HEADERS
from assess.results.reasons import period_text
from assess.schemes.provenance import example_notes

if TYPE_CHECKING:
    from assess.reports.data import ReportData

RANKING_LABELS = {
    "category": "类别",
    "rank": "名次",
    "unit_code": "单位编码",
    "unit_name": "单位名称",
    "composite": "综合得分",
    "grade": "等次",
    "rank_low": "名次区间下限",
    "rank_high": "名次区间上限",
    "flags": "标注",
}


def _v(value: Any) -> Any:
    """A cell value: NaN/NA become empty, numpy numbers plain numbers, text made formula-safe."""
    if value is None:
        return None
    try:
        import pandas as pd

        if value is pd.NA or (isinstance(value, float) and math.isnan(value)):
            return None
    except ImportError:  # pragma: no cover
        pass
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return safe_cell(value) if isinstance(value, str) else value


def ranking_table(data: ReportData) -> tuple[list[str], list[list[Any]]]:
    """Rows of the ranking in the column order of ``assess rank --format csv``:
    category, rank, unit_code, unit_name, composite, grade, then one column per component, then
    rank_low, rank_high and flags."""
    headers = [
        "category",
        "rank",
        "unit_code",
        "unit_name",
        "composite",
        "grade",
        *data.components,
        "rank_low",
        "rank_high",
        "flags",
    ]
    rows = []
    for cat in data.categories:
        for r in data.category_results(cat).itertuples():
            rows.append(
                [
                    r.category,
                    int(r.rank),
                    r.unit_code,
                    r.unit_name,
                    round(float(r.composite), data.scheme.precision),
                    r.grade,
                    *[getattr(r, f"c_{k}", None) for k in data.components],
                    r.rank_low,
                    r.rank_high,
                    r.flags,
                ]
            )
    return headers, rows


def ranking_headers(data: ReportData, headers: list[str]) -> list[str]:
    """The ranking's column names in Chinese, for files people open (XLSX, the report's CSV)."""
    labels = {**RANKING_LABELS, "composite": data.composite_label}
    return [labels.get(h, data.component_label(h)) for h in headers]


def write_ranking_csv(data: ReportData, path: Path) -> Path:
    """The ranking for people (WPS, Excel): Chinese headers, UTF-8 with BOM, text cells made
    formula-safe. The machine CSV is ``assess rank --format csv``."""
    headers, rows = ranking_table(data)
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(ranking_headers(data, headers))
        for row in rows:
            w.writerow(["" if _v(v) is None else _v(v) for v in row])
    return path


def write_workbook(data: ReportData, path: Path) -> Path:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="EEEEEE")

    def sheet(
        title: str, headers: list[str], rows, widths: list[int], number_format: dict[int, str] | None = None
    ):
        ws = wb.create_sheet(title)
        for i, w in enumerate(widths):
            ws.column_dimensions[_col(i)].width = w
        ws.freeze_panes = "A2"
        head = []
        for h in headers:
            c = WriteOnlyCell(ws, value=safe_cell(h))
            c.font, c.fill, c.alignment = bold, fill, Alignment(horizontal="center")
            head.append(c)
        ws.append(head)
        fmts = number_format or {}
        for row in rows:
            if not fmts:
                ws.append([_v(v) for v in row])
                continue
            cells = []
            for i, v in enumerate(row):
                c = WriteOnlyCell(ws, value=_v(v))
                if i in fmts and isinstance(c.value, float):
                    c.number_format = fmts[i]
                cells.append(c)
            ws.append(cells)
        return ws

    # 说明

    snap = data.snapshot or {}
    info = [
        ("考核轮次", data.round_name),
        ("考核期间", period_text(data.period)),
        ("阶段", _stage_label(data.stage)),
        ("考核方案", f"{data.scheme_name}（{data.scheme_code}，第 {data.scheme_version} 版）"),
        ("方案内容哈希", data.scheme_hash),
        ("数据快照哈希", snap.get("content_hash", "（尚未公示，无快照）")),
        ("快照时审计链头", snap.get("audit_head", "")),
        ("生成时审计链头", f"#{data.chain_seq} {data.chain_head}"),
        ("生成时间", local_time(data.generated_at).strftime("%Y年%m月%d日 %H:%M:%S")),
    ]
    if data.draft_mark:
        info.insert(0, ("注意", data.draft_mark))

    if data.scheme.source:
        info.append(("方案依据", data.scheme.source))
    info += [("方案说明", note) for note in example_notes(data.scheme)]  # 示例，由考核办确定
    sheet("说明", ["项目", "内容"], info, [18, 90])

    # 排名
    prec = "0." + "0" * data.scheme.precision if data.scheme.precision else "0"
    headers, rows = ranking_table(data)
    head = ranking_headers(data, headers)
    sheet(
        "排名",
        head,
        rows,
        [12, 6, 12, 26, 10, 8, *[10] * len(data.components), 8, 8, 30],
        {4: prec, **{5 + i + 1: prec for i in range(len(data.components))}},
    )

    # 指标明细
    ind = data.indicators
    ind_rows = (
        [
            r.unit_code,
            r.unit_name,
            r.category,
            r.level1_name,
            r.indicator_code,
            r.indicator_name,
            METHOD_LABELS.get(r.method, r.method or ""),
            r.max,
            r.self_value,
            r.verified_value,
            r.self_points,
            r.verified_points,
            r.dept_value,  # 职能部门评分: the value the engine scored for the indicator
            EXEMPT_TEXT if r.exempt else r.points,  # 合理缺项 in place of the points
        ]
        for r in ind.itertuples()
    )
    sheet(
        "指标明细",
        [
            "单位编码",
            "单位名称",
            "类别",
            "一级指标",
            "指标编码",
            "指标名称",
            "计分方法",
            "满分",
            "自查值",
            "核查值",
            "自查得分",
            "核查得分",
            "部门评分",
            "计分",
        ],
        ind_rows,
        [12, 24, 12, 18, 10, 36, 9, 7, 8, 8, 9, 9, 9, 8],
        {i: "0.00" for i in range(7, 14)},
    )

    # 计票汇总
    headers, rows = tally_table(data)
    sheet("计票汇总", headers, rows, [20, 12, 24, 16] + [9] * (len(headers) - 4))

    # 问责名单
    acc_rows = (
        [
            i,
            r.subject,
            r.subject_code,
            r.unit_name,
            r.category,
            r.rule_code,
            r.rule_text,
            r.figures,
            r.proposed_action,
            r.status_label,
            r.decided_by,
            r.reason,
        ]
        for i, r in enumerate(data.accountability.itertuples(), start=1)
    )
    sheet(
        "问责名单",
        [
            "序号",
            "对象",
            "编码",
            "所在单位",
            "类别",
            "规则编码",
            "触发规则",
            "问责事由",
            "拟处理",
            "状态",
            "决定人",
            "理由",
        ],
        acc_rows,
        [6, 22, 10, 22, 12, 12, 36, 36, 20, 10, 10, 30],
    )

    if not data.cadres.empty:
        cad_rows = (
            [r.unit_name, r.cadre_code, r.cadre_name, r.position, r.score, r.grade, r.flags]
            for r in data.cadres.itertuples()
        )
        sheet(
            "干部测评",
            ["单位", "编码", "姓名", "职务", "测评得分", "等次", "标注"],
            cad_rows,
            [22, 10, 10, 20, 10, 10, 30],
            {4: prec},
        )
    if data.consequences is not None:
        sheet("结果运用", HEADERS, ([r.get(c) for c in COLUMNS] for r in data.consequences),
              [14, 6, 10, 22, 22, 12, 8, 6, 30, 36, 6, 24])
    _chart_sheet(wb, data)
    wb.save(path)
    return path


def _chart_sheet(wb, data: ReportData) -> None:
    """图表: native Excel/WPS bar charts of each category's ranking (综合得分) and of the units'
    满意率, over data blocks on the same sheet (the charts stay live when the figures are edited)."""
    from openpyxl.chart import BarChart, Reference

    ws = wb.create_sheet("图表")
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 12
    row = 1
    anchors = []
    for cat in data.categories:
        part = data.category_results(cat)
        ws.append([safe_cell(f"{cat}排名"), data.composite_label])
        first = row + 1
        for r in part.itertuples():
            ws.append([_v(r.unit_name), round(float(r.composite), data.scheme.precision)])
        last = row + len(part)
        chart = BarChart()
        chart.type = "bar"
        chart.title = f"{cat} {data.composite_label}排名"
        chart.y_axis.title = data.composite_label
        chart.legend = None
        chart.add_data(Reference(ws, min_col=2, min_row=row, max_row=last), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
        chart.x_axis.scaling.orientation = "maxMin"  # first place at the top
        chart.height, chart.width = max(6.0, 0.7 * len(part) + 3), 16.0
        anchors.append((chart, row))
        ws.append([])
        row = last + 2
    headers, rows = tally_table(data)
    at = headers.index("满意率%")
    rate = [(r[2], r[at]) for r in rows if r[3] == "全部" and r[at] is not None]
    if rate:
        ws.append(["单位", "满意率%"])
        start = row
        for name, value in rate:
            ws.append([_v(name), value])
        chart = BarChart()
        chart.type = "bar"
        chart.title = "满意率（%）"
        chart.legend = None
        chart.add_data(Reference(ws, min_col=2, min_row=start, max_row=start + len(rate)), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=start + 1, max_row=start + len(rate)))
        chart.x_axis.scaling.orientation = "maxMin"
        chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 100
        chart.height, chart.width = max(6.0, 0.6 * len(rate) + 3), 16.0
        anchors.append((chart, start))
    for chart, at in anchors:
        ws.add_chart(chart, f"D{at}")


def tally_table(data: ReportData) -> tuple[list[str], list[list[Any]]]:
    """Counts per session × unit × voter group and option, then the unit's total over every group
    with shares and 满意率. Where a group with marks is under the publication threshold nothing of
    the unit's votes is listed (``tally.disclosure``; the score is in the rankings)."""

    t = data.tallies
    labels: list[str] = []
    for opts in data.options.values():
        for o in opts:
            if o not in labels and (t.empty or o in set(t["option"])):
                labels.append(o)
    if not t.empty:
        labels += [o for o in t["option"].unique() if o not in labels]
    headers = [
        "评议会议",
        "单位编码",
        "单位名称",
        "投票人类别",
        *labels,
        "合计",
        "满意率%",
        *[f"{o}%" for o in labels],
    ]
    rows: list[list[Any]] = []
    if t.empty:
        return headers, rows
    forms = {f.code: f for f in data.scheme.forms}
    for (session_name, form_code, unit_code, unit_name), part in t.groupby(
        ["session_name", "form_code", "unit_code", "unit_name"], sort=False
    ):
        form = forms.get(form_code)
        threshold = form.publication_threshold if form else 5
        counted = {o.label for o in form.options if o.counted} if form else set(labels)
        satisfied = {o.label for o in form.options if o.satisfied} if form else set()
        blank = [None] * (len(labels) * 2 + 2)
        groups = [
            (name, g.groupby("option")["count"].sum())
            for name, g in part.groupby("voter_group_name", sort=False)
        ]
        rule = disclosure(
            [[sum(int(v) for o, v in c.items() if o in counted) for _n, c in groups]],
            [[int(c.sum()) for _n, c in groups]],
            threshold,
        )
        small = [name for (name, _c), s in zip(groups, rule.small[0], strict=True) if s]
        counts = part.groupby("option")["count"].sum()
        vec = [int(counts.get(o, 0)) for o in labels]
        n_counted = sum(v for o, v in zip(labels, vec, strict=True) if o in counted)
        if not rule.pooled_shown[0]:
            # Too few votes to show anything without revealing how individuals voted.
            rows.append(
                [session_name, unit_code, unit_name, f"全部（有效票不足 {threshold} 票，不公布）", *blank]
            )
            continue
        if rule.merged[0]:
            # A small group: "total minus the others" would reveal it, and the pooled counts,
            # shares or 满意率 beside the published score narrow its votes: only the score (in
            # the rankings) is published for the unit (docs/reliability.md §9).
            rows.append(
                [
                    session_name,
                    unit_code,
                    unit_name,
                    f"全部（{'、'.join(map(str, small))}不足 {threshold} 票：含不足公开门槛的投票人类别，分项不公布）",
                    *blank,
                ]
            )
            continue
        for name, c in groups:
            rows.append(
                [
                    session_name,
                    unit_code,
                    unit_name,
                    name,
                    *[int(c.get(o, 0)) for o in labels],
                    int(c.sum()),
                    *[None] * (len(labels) + 1),
                ]
            )
        shares = largest_remainder_shares([vec])[0].tolist()
        n_sat = sum(v for o, v in zip(labels, vec, strict=True) if o in satisfied)
        rate = round(100.0 * n_sat / n_counted, 2) if n_counted else None
        rows.append([session_name, unit_code, unit_name, "全部", *vec, sum(vec), rate, *shares])
    return headers, rows


def _stage_label(stage: str) -> str:
    return STAGE_LABELS.get(stage, stage)


def _col(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(i + 1)
