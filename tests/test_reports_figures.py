"""Every figure builds from the small round, with Chinese titles, the CJK font, the right data, and
user text that plotly cannot read as markup."""

from __future__ import annotations

import pytest

from assess.appraisal.unit_tallies import option_shares
from assess.reports import figures
from assess.reports.bundle import plan_charts
from assess.reports.data import load_report_data

from .reports_fixtures import build_round


@pytest.fixture
def data(sqlite_db):
    return load_report_data(sqlite_db, build_round(sqlite_db).round_id)


def _title(fig) -> str:
    return fig.layout.title.text


def _check_common(fig):
    assert "WenQuanYi Micro Hei" in fig.layout.font.family and "Noto Sans CJK SC" in fig.layout.font.family
    assert any("\u4e00" <= ch <= "\u9fff" for ch in _title(fig))


def test_ranking_figure(data):
    fig = figures.ranking_figure(data.results, "政府部门", grades=["优秀", "良好", "一般", "较差"])
    _check_common(fig)
    assert _title(fig) == "政府部门 综合得分排名（共 4 个单位）"
    bars = [t for t in fig.data if t.type == "bar"]
    assert [t.name for t in bars] == ["优秀", "良好", "一般"]  # one trace per grade present, in band order
    good = bars[1]
    assert list(good.x) == [88.25, 88.25] and list(good.text) == ["88.25", "88.25"]
    assert bars[0].marker.color == figures.GRADE_COLORS["优秀"]
    # Markup in a unit name is shown literally.
    assert "&lt;b&gt;审计局&lt;/b&gt;" in list(bars[2].y)
    # Rank intervals as error bars: 教育局 rank 2 within 2–3.
    scatter = next(t for t in fig.data if t.type == "scatter")
    i = list(scatter.y).index("教育局")
    assert scatter.x[i] == 2 and scatter.error_x.array[i] == 1 and scatter.error_x.arrayminus[i] == 0
    assert fig.layout.yaxis.categoryarray[0] == "财政局"  # rank 1 on top (reversed axis)
    assert fig.layout.height == 360


def test_ranking_figure_without_intervals(data):
    df = data.results.drop(columns=["rank_low", "rank_high"])
    fig = figures.ranking_figure(df, "乡镇街道")
    assert all(t.type == "bar" for t in fig.data)
    assert sum(len(t.x) for t in fig.data) == 4


def test_trend_figure(data):
    fig = figures.trend_figure(data.history, "乡镇街道")
    _check_common(fig)
    assert "2 期" in _title(fig)
    lines = {t.name: t for t in fig.data if t.yaxis in (None, "y")}
    assert list(lines["@foo街道"].y) == [65.0, 55.0] and list(lines["@foo街道"].x) == ["2026-Q1", "2026-Q2"]
    ranks = [t for t in fig.data if t.yaxis == "y2"]
    assert len(ranks) == 4 and fig.layout.yaxis2.autorange == "reversed"


def test_option_shares_figure(data):
    shares = option_shares(data.tallies, data.options["MZPY"])
    fig = figures.option_shares_figure(shares, "民主评议票选项构成", options=data.options["MZPY"])
    _check_common(fig)
    assert [t.name for t in fig.data] == ["满意", "基本满意", "不满意", "不了解"]
    assert fig.layout.barmode == "stack"
    satisfied = fig.data[0]
    i = list(satisfied.y).index("城关镇")
    assert satisfied.x[i] == 65.22
    # Each unit's segments add up to 100.
    per_unit = {}
    for t in fig.data:
        for y, x in zip(t.y, t.x, strict=True):
            per_unit[y] = per_unit.get(y, 0) + x
    assert all(abs(v - 100) < 1e-9 for v in per_unit.values()) and len(per_unit) == 8


def test_indicator_heatmap(data):
    fig = figures.indicator_heatmap(data.indicators, "乡镇街道")
    _check_common(fig)
    heat = fig.data[0]
    assert list(heat.x) == ["政务公开", "五率", "村务公开"]  # 廉政 (一票否决 only) has no points
    rows = list(heat.y)
    # X04: 政务公开 (12 + 18) / 40 = 75 %; 村务公开 D1 16 / 20 = 80 %.
    assert heat.z[rows.index("@foo街道")][0] == 75.0 and heat.z[rows.index("@foo街道")][2] == 80.0
    assert heat.z[rows.index("城关镇")][0] == 90.0


def test_unit_vs_category_figure(data):
    fig = figures.unit_vs_category_figure(
        data.results, "X04", data.components, {k: data.component_label(k) for k in data.components}
    )
    _check_common(fig)
    own, avg = fig.data
    assert list(own.x)[:3] == ["综合得分", "指标得分", "民主评议"]
    assert own.y[0] == 55.0
    # 乡镇街道 average composite (91 + 84.5 + 79.99 + 55) / 4 = 77.6225.
    assert avg.y[0] == pytest.approx(77.6225)
    assert "较差" in _title(fig) and "名次 4" in _title(fig)


def test_selfcheck_vs_verified_figure(data):
    fig = figures.selfcheck_vs_verified_figure(data.indicators, tolerance=1.0)
    _check_common(fig)
    self_bar, verified_bar = fig.data
    assert list(self_bar.x) == ["财政局", "@foo街道"]  # the drawn units only
    # X04 over its verified non-veto leaves A1, A2, B1, B2, D1: self 18+18+38+3+16 = 93, verified 12+18+38+3+16 = 87,
    # available 20+20+40+20 = 100 (bonus not in the denominator).
    assert self_bar.y[1] == pytest.approx(93.0) and verified_bar.y[1] == pytest.approx(87.0)
    notes = [a.text for a in fig.layout.annotations]
    assert notes == ["虚报 1/5 项"]  # only A1 (18 − 12 = 6 > 1); G01 matches its self-check
    empty = data.indicators.assign(verified_value=float("nan"))
    assert figures.selfcheck_vs_verified_figure(empty) is None


def test_accountability_summary_figure(data):
    fig = figures.accountability_summary_figure(data.accountability)
    _check_common(fig)
    assert "共 3 条" in _title(fig)
    by_status = {t.name: sum(t.x) for t in fig.data}
    assert by_status == {"待确认": 1, "已确认": 1, "免予问责": 1}
    assert figures.accountability_summary_figure(data.accountability.iloc[0:0]) is None


def test_plan_charts_covers_the_round(data):
    charts = plan_charts(data)
    keys = [c.key for c in charts]
    assert keys[0] == "01-政府部门-排名"
    sections = [c.section for c in charts]
    # Per category: ranking, heatmap, trend (no appraisal shares: every unit has the 3-vote 领导 group,
    # so only its score is published, docs/reliability.md §9); then the spot check, the accountability
    # summary and one profile per unit on the accountability list (X04, G04).
    assert sections == ["政府部门"] * 3 + ["乡镇街道"] * 3 + [
        "spotcheck",
        "accountability",
        "unit:X04",
        "unit:G04",
    ]
    assert len(set(keys)) == len(keys) and all("/" not in k for k in keys)


def test_trend_figure_highlights_first_and_last_in_a_large_category():
    import pandas as pd

    # 10 units over 2 rounds; in round 2 unit k ranks k (1..10). Colour goes to ranks 1–3 and 8–10, the other four
    # share one grey trace per panel (lines separated by gaps).
    rows = []
    for rid, period in ((1, "2026-Q1"), (2, "2026-Q2")):
        for k in range(1, 11):
            rank = k if rid == 2 else 11 - k
            rows.append(
                {
                    "round_id": rid,
                    "period": period,
                    "round_name": period,
                    "unit_id": k,
                    "unit_name": f"单位{k}",
                    "category": "村",
                    "composite": 100.0 - rank,
                    "rank": rank,
                }
            )
    fig = figures.trend_figure(pd.DataFrame(rows), "村")
    assert "彩色为本期前 3 名和后 3 名" in _title(fig)
    grey = [t for t in fig.data if t.name == "其他单位"]
    assert len(grey) == 2 and list(grey[0].x).count(None) == 4  # units 4–7, one gap after each
    coloured = [t.name for t in fig.data if t.showlegend]
    assert coloured == ["单位1", "单位2", "单位3", "单位8", "单位9", "单位10"]
    assert len(fig.data) == 2 + 6 * 2


def test_wrap_breaks_long_labels_and_keeps_them_literal():
    assert figures.wrap("推进政府权力阳光公开", 4) == "推进政府<br>权力阳光<br>公开"
    assert figures.wrap("<b>一二三四五六七八九十</b>", 5, 2) == "&lt;b&gt;一二<br>三四五六…"
    assert figures.wrap("", 4) == ""
