"""Text bars for the terminal: widths in eighths of a cell, alignment of Chinese names, scales."""

from __future__ import annotations

from assess.reports.textbars import BarRow, bar, bar_lines, fit, nice_scale, ranking_text, text_width


def test_text_width_counts_chinese_as_two_cells():
    assert text_width("财政局") == 6
    assert text_width("G01 局") == 6
    assert text_width("") == 0


def test_fit_pads_and_cuts_to_exact_cells():
    assert fit("财政", 6) == "财政  "
    cut = fit("县人力资源和社会保障局", 9)
    assert text_width(cut) == 9 and cut.startswith("县人力资") and cut.rstrip().endswith("…")


def test_bar_uses_eighths():
    # 0..100 on 10 cells: 55 → 5.5 cells = 44 eighths → 5 full blocks and a half block.
    assert bar(55, 0, 100, 10) == "█████▌"
    # 100 → 10 full cells; below the scale → empty; above → capped.
    assert bar(100, 0, 100, 10) == "█" * 10
    assert bar(-5, 0, 100, 10) == ""
    assert bar(130, 0, 100, 10) == "█" * 10
    # 61.25 on 60..70 over 8 cells: 0.125 × 8 = 1 cell exactly.
    assert bar(61.25, 60, 70, 8) == "█"


def test_nice_scale_shows_differences():
    # Scores 72..95.5: lower bound floor((72 − 5) / 10) × 10 = 60, upper 100.
    assert nice_scale([95.5, 88.25, 72.0]) == (60.0, 100.0)
    assert nice_scale([3.0, 8.0]) == (0.0, 100.0)
    assert nice_scale([]) == (0.0, 100.0)
    assert nice_scale([120.0, 80.0]) == (70.0, 120.0)


def test_bar_lines_align_values_for_mixed_width_names():
    rows = [
        BarRow("财政局", 95.5, 1, "优秀"),
        BarRow("G03 =SUM", 88.25, 2, "良好"),
        BarRow("审计局", None, 4, ""),
    ]
    lines = bar_lines(rows, 60)
    # Smallest value 88.25 → lower bound floor((88.25 − 5) / 10) × 10 = 80 (the row without a value is ignored).
    assert lines[0].strip().startswith("80─") and lines[0].rstrip().endswith("─100")
    body = lines[1:]
    # The value column ends at the same cell on every line that has a note of the same width.
    ends = [text_width(line[: line.index("95.50") + 5]) for line in body[:1]] + [
        text_width(body[1][: body[1].index("88.25") + 5])
    ]
    assert ends[0] == ends[1]
    assert all(text_width(line) <= 60 for line in lines)
    assert "—" in body[2]
    # On 80..100, 95.5 fills 77.5 % of the bar and 88.25 fills 41.25 %.
    assert body[0].count("█") > body[1].count("█")


def test_ranking_text_groups_by_category_in_scheme_order():
    results = [
        {"category": "乡镇街道", "rank": 1, "unit_name": "城关镇", "composite": 91.0, "grade": "优秀"},
        {"category": "政府部门", "rank": 2, "unit_name": "教育局", "composite": 88.25, "grade": "良好"},
        {"category": "政府部门", "rank": 1, "unit_name": "财政局", "composite": 95.5, "grade": "优秀"},
    ]
    text = ranking_text(results, 70, categories=["政府部门", "乡镇街道"])
    lines = text.splitlines()
    assert lines[0] == "【政府部门】共 2 个单位"
    assert lines.index("【乡镇街道】共 1 个单位") > lines.index("【政府部门】共 2 个单位")
    gov = [line for line in lines if "财政局" in line or "教育局" in line]
    assert "财政局" in gov[0] and gov[0].lstrip().startswith("1")  # rank 1 first although listed second
    assert ranking_text([], 70) == "（暂无计算结果）"
