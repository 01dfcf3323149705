"""Report data read from a small, hand-computed round (SQLite and PostgreSQL): results, indicator
details, tallies and option shares, history, accountability; the XLSX and CSV files; notices."""

from __future__ import annotations

import csv

import pytest

from assess.appraisal.unit_tallies import largest_remainder_shares, option_shares
from assess.foundation.errors import AssessError
from assess.reports.data import load_report_data
from assess.reports.figures import level1_percentages

from .reports_fixtures import RESULTS, SNAPSHOT_HASH, build_round


def test_largest_remainder_shares_sum_to_exactly_100():
    # 1/3 each: 3333 + 3333 + 3333 = 9999 hundredths, the missing one goes to the first (ties → earlier column).
    shares = largest_remainder_shares([[1, 1, 1], [15, 5, 2, 1][:3], [0, 0, 0]])
    assert shares[0].tolist() == [33.34, 33.33, 33.33]
    # 15/22, 5/22, 2/22 → 6818.18, 2272.72, 909.09 → floors 9999; largest remainder .72 → 22.73.
    assert shares[1].tolist() == [68.18, 22.73, 9.09]
    assert shares[2].tolist() == [0.0, 0.0, 0.0]
    assert round(float(shares[0].sum()), 6) == 100.0 and round(float(shares[1].sum()), 6) == 100.0


def test_load_report_data(db):
    built = build_round(db)
    d = load_report_data(db, built.round_id)
    assert d.published and d.draft_mark == ""
    assert d.categories == ["政府部门", "乡镇街道"]
    assert d.components == ["indicators", "appraisal", "adjustment", "penalty", "satisfaction"]
    assert len(d.results) == 8
    gov = d.category_results("政府部门")
    assert gov["unit_code"].tolist() == ["G01", "G02", "G03", "G04"]
    assert gov["rank"].tolist() == [1, 2, 2, 4]  # tie shares rank 2, next is 4
    for row in d.results.itertuples():
        composite, rank, grade, low, high, comps = RESULTS[row.unit_code]
        assert (row.composite, row.rank, row.grade, row.rank_low, row.rank_high) == (
            composite,
            rank,
            grade,
            low,
            high,
        )
        assert row.c_indicators == comps[0] and row.c_satisfaction == comps[4]
    x04 = d.results.set_index("unit_code").loc["X04"]
    assert x04["flags"] == "抽查核查单位；“公开目录”自查虚报"  # A1 by its name, not its code

    ind = d.indicators.set_index(["unit_code", "indicator_code"])
    # X04 was drawn: verified A1 = 12 counts; its self-check said 18.
    assert ind.loc[("X04", "A1"), "points"] == 12 and ind.loc[("X04", "A1"), "self_points"] == 18
    # G02 was not drawn: its self-check counts. A2 is a deduction of 2 from 20 → 18; B1 95 % of 40 → 38.
    assert ind.loc[("G02", "A1"), "points"] == 18 and ind.loc[("G02", "A2"), "points"] == 18
    assert ind.loc[("G02", "B1"), "points"] == 38
    assert ("G02", "D1") not in ind.index and ("X01", "D1") in ind.index  # D applies to 乡镇街道 only
    pct = level1_percentages(d.indicators).set_index(["unit_code", "level1_code"])["percent"]
    assert pct[("X04", "A")] == 75.0  # (12 + 18) / 40
    assert pct[("G02", "A")] == 90.0  # (18 + 18) / 40
    assert pct[("G02", "B")] == 100.0  # (38 + bonus 3) / 40 → capped at 100
    assert ("G02", "C") not in pct.index  # 一票否决 has no points

    t = d.tallies
    assert set(t["voter_group_name"]) == {"领导", "服务对象"}
    assert t[t["unit_code"] == "X01"]["count"].sum() == 23  # certified only: not the void 50 nor the open 40
    shares = option_shares(t[t["unit_code"] == "X01"], d.options["MZPY"])
    assert shares["option"].astype(str).tolist() == ["满意", "基本满意", "不满意", "不了解"]
    assert shares["count"].tolist() == [15, 5, 2, 1]
    assert shares["share"].tolist() == [65.22, 21.74, 8.69, 4.35]
    # Publication threshold: a unit with fewer than 25 counted votes is left out of the chart data.
    assert option_shares(t, d.options["MZPY"], min_counted=25, counted={"满意", "基本满意", "不满意"}).empty

    hist = d.history[d.history["unit_name"] == "@foo街道"]
    assert hist["period"].tolist() == ["2026-Q1", "2026-Q2"] and hist["composite"].tolist() == [65.0, 55.0]

    acc = d.accountability
    assert acc["status_label"].tolist() == ["已确认", "待确认", "免予问责"]
    assert acc["subject"].tolist() == ["@foo街道", "@foo街道", "<b>审计局</b>"]
    assert acc["figures"].tolist() == [
        "综合得分55分，低于60分",
        "自查虚报1项指标（“公开目录”）",
        "在政府部门类别4个单位中排名末位（第4名）",
    ]
    assert [s["step"] for s in d.review_steps] == ["初审", "审核", "复核"]
    assert d.approvals[0]["passed"] and d.approvals[0]["yes"] == 7
    assert d.snapshot["content_hash"] == SNAPSHOT_HASH
    assert d.cadres["cadre_name"].tolist() == ["张建国"]


def test_unknown_round_and_round_without_results(db):
    from assess.foundation.errors import NotFound
    from assess.models import Round

    built = build_round(db)
    with pytest.raises(NotFound):
        load_report_data(db, 9999)
    with db.write() as s:
        r = Round(
            name="空轮次", period="2026-Q3", scheme_version_id=built.scheme_version_id, created_by="admin"
        )
        s.add(r)
        s.flush()
        empty_id = r.id
    with pytest.raises(AssessError, match="还没有计算结果"):
        load_report_data(db, empty_id)


def test_xlsx_holds_the_ranking_and_no_formulas(db, tmp_path):
    from openpyxl import load_workbook

    from assess.reports.workbook import write_workbook

    d = load_report_data(db, build_round(db).round_id)
    path = write_workbook(d, tmp_path / "r.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == ["说明", "排名", "指标明细", "计票汇总", "问责名单", "干部测评", "图表"]
    # Native charts: one ranking per category, over the data on the same sheet; no 满意率 chart: every
    # unit has the 3-vote 领导 group, so only its score is published (docs/reliability.md §9).
    charts = wb["图表"]._charts
    assert len(charts) == 2
    assert [r[1] for r in wb["图表"].iter_rows(min_row=2, max_row=5, values_only=True)] == [95.5, 88.25, 88.25, 72]
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    info = dict(wb["说明"].iter_rows(min_row=2, values_only=True))
    assert info["阶段"] == "已公示（冻结）" and info["数据快照哈希"] == SNAPSHOT_HASH and "注意" not in info
    ws = wb["排名"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    got = {r[2]: (r[0], r[1], r[3], r[4], r[5]) for r in rows}
    names = {"G03": "'=SUM(A1)", "X02": "'+1 镇", "X03": "'-x乡", "X04": "'@foo街道", "G04": "<b>审计局</b>"}
    for code, (composite, rank, grade, _l, _h, _c) in RESULTS.items():
        _category, got_rank, name, got_composite, got_grade = got[code]
        assert (got_rank, got_composite, got_grade) == (rank, composite, grade)
        if code in names:
            assert name == names[code]
    assert [r[2] for r in rows][:4] == ["G01", "G02", "G03", "G04"]  # category order, then rank

    tallies = list(wb["计票汇总"].iter_rows(min_row=1, values_only=True))
    header = tallies[0]
    x01 = [r for r in tallies[1:] if r[1] == "X01"]
    # 领导 has 3 counted votes (< 5): no per-group rows and no total either (beside the published
    # score the pooled counts would narrow the 领导 votes), one row saying why. The pooled figures
    # (15, 5, 2, 1 → 65.22 % …) are checked on the unpublished frame in test_load_report_data.
    assert len(x01) == 1 and "领导不足 5 票" in x01[0][3] and "分项不公布" in x01[0][3]
    row = dict(zip(header, x01[0], strict=True))
    assert all(row[h] is None for h in header[4:])
    acc = list(wb["问责名单"].iter_rows(min_row=2, values_only=True))
    assert acc[2][6] == "'=类别排名末位" and acc[2][11] == "'+因客观原因免予问责"


def test_csv_ranking_escapes_formula_names(db, tmp_path):
    from assess.reports.workbook import write_ranking_csv

    d = load_report_data(db, build_round(db).round_id)
    path = write_ranking_csv(d, tmp_path / "r.csv")
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    # A file for people: Chinese headers (the machine CSV is ``assess rank --format csv``).
    assert rows[0][:6] == ["类别", "名次", "单位编码", "单位名称", "综合得分", "等次"]
    assert rows[0][6:11] == ["指标得分", "民主评议", "日常/加减分", "虚报扣分", "满意率（各类投票人合计）"]
    assert rows[0][11:] == ["名次区间下限", "名次区间上限", "标注"]
    by_code = {r[2]: r for r in rows[1:]}
    assert by_code["G03"][3] == "'=SUM(A1)" and by_code["X02"][3] == "'+1 镇"
    assert by_code["X03"][3] == "'-x乡" and by_code["X04"][3] == "'@foo街道"
    assert by_code["G02"][1] == "2" and by_code["G02"][4] == "88.25"
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)


def test_publication_notice(db):
    from datetime import date

    from assess.reports.notices import publication_notice
    from assess.reports.official import NoticeParams

    d = load_report_data(db, build_round(db).round_id)
    text = publication_notice(
        d,
        NoticeParams(
            issuer="县考核办",
            start=date(2026, 7, 1),
            end=date(2026, 7, 7),
            phone="0571-12345678",
            address="县行政中心 305 室",
        ),
    )
    assert "关于2026年第二季度考核结果的公示" in text.splitlines()[0]
    assert "公示期：2026年7月1日至2026年7月7日" in text
    assert "2  =SUM(A1)  88.25  良好" in text
    assert text.index("财政局") < text.index("城关镇")
    assert "0571-12345678" in text and "县行政中心 305 室" in text
    assert "异议受理截止时间：2026年7月7日" in text  # defaults to the last day
    assert "电子邮箱：________________" in text  # not given: a blank to fill in
    body, _, appendix = text.partition("内部附页")
    # The posted body has no hash and no command; the footer has the short 校验码 only.
    assert SNAPSHOT_HASH not in body and d.snapshot["audit_head"] not in body and "assess" not in body
    assert f"校验码 {SNAPSHOT_HASH[:4].upper()}-{SNAPSHOT_HASH[4:8].upper()}-{SNAPSHOT_HASH[8:12].upper()}" in body
    assert SNAPSHOT_HASH in appendix and d.snapshot["audit_head"] in appendix
    assert "2026年第二季度" in body and "2026-Q2" not in body and "第 1 版" not in body
    assert "县考核办" in body
    assert "赞成7票" in text and "张建国" in text
    blank = publication_notice(d)
    assert "____年__月__日至____年__月__日（5个工作日）" in blank


def test_unpublished_round_is_a_draft_without_notice(db):
    from assess.reports.notices import publication_notice

    d = load_report_data(db, build_round(db, published=False).round_id)
    assert not d.published and "未公示" in d.draft_mark
    with pytest.raises(AssessError, match="尚未公示，不能生成公示"):
        publication_notice(d)


def test_rectification_notices_per_unit(db):
    from assess.reports.notices import rectification_notices

    built = build_round(db)
    notices = rectification_notices(db, built.round_id)
    assert [(n.unit_code, len(n.texts)) for n in notices] == [("G02", 1), ("X04", 1)]
    g02, x04 = notices
    # The superseded finding's notice (整改〔2026〕2号) is replaced by the correction's (3号).
    assert "整改〔2026〕3号" in g02.text and "整改〔2026〕2号" not in g02.text
    assert "少报 3 件超期件" in g02.text
    assert "整改〔2026〕1号" in x04.text and "2026年7月31日" in x04.text and "@foo街道" in x04.text
