"""Accountability and flag reasons as Chinese sentences from the stored figures (docs/reports.md)."""

from __future__ import annotations

from assess.results.reasons import (
    ReasonNames,
    accountability_reason,
    flag_reason,
    period_text,
    periods_text,
)

NAMES = ReasonNames(
    period="2026-Q3",
    indicators={"QL1": "党风廉政建设责任制落实", "QL3": "廉政风险防控"},
    groups={"rd": "人大代表", "zg": "干部职工"},
)


def test_periods():
    assert period_text("2026-Q3") == "2026年第三季度"
    assert period_text("2026-H1") == "2026年上半年"
    assert period_text("2026-07") == "2026年7月"
    assert period_text("2026") == "2026年度"
    assert periods_text(["2026-Q2", "2026-Q3"]) == "2026年第二、三季度"
    assert periods_text(["2025-Q4", "2026-Q1"]) == "2025年第四季度、2026年第一季度"


def test_last_in_category_twice_running():
    figures = {
        "rank": 9,
        "category_size": 9,
        "composite": 71.2,
        "window": 2,
        "times": 2,
        "count": 2,
        "history": [{"period": "2026-Q2", "rank": 8, "category_size": 8}],
    }
    text = accountability_reason(figures, kind="last_in_category", category="政府部门", names=NAMES)
    assert text == "连续两个季度在政府部门类别中排名末位（2026年第二、三季度），本期为9个单位中的第9名"


def test_last_twice_in_three_periods():
    figures = {
        "rank": 5,
        "category_size": 5,
        "window": 3,
        "times": 2,
        "count": 2,
        "history": [{"period": "2026-Q1"}],
    }
    text = accountability_reason(figures, kind="last_in_category", category="乡镇", names=NAMES)
    assert text.startswith("最近三个季度内有两次在乡镇类别中排名末位（2026年第一、三季度）")


def test_cadre_unfit_share():
    # 15 of 30 counted votes 不称职: 50.0 %, over the form's limit of one third.
    text = accountability_reason({"unfit_share": 0.5, "limit": 0.3333, "score": 30.0, "grade": "不称职"})
    assert text == "不称职票占有效票50.0%，超过三分之一，测评等次为不称职"
    assert "超过40.0%" in accountability_reason({"unfit_share": 0.45, "limit": 0.4})


def test_overdue_notice():
    figures = {
        "today": "2026-12-01",
        "days": 0,
        "notices": [
            {
                "notice_no": "整改〔2026〕002号",
                "deadline": "2026-10-31",
                "days_overdue": 31,
                "status": "issued",
            }
        ],
    }
    assert accountability_reason(figures) == (
        "截至2026年12月1日，整改〔2026〕002号整改期限为2026年10月31日，已逾期31天，尚未报送整改情况"
    )


def test_threshold_false_report_bottom_share_consecutive():
    assert (
        accountability_reason({"metric": "satisfaction", "value": 72.5, "op": "<", "threshold": 80})
        == "满意率72.5%，低于80.0%"
    )
    assert (
        accountability_reason({"metric": "composite", "value": 58.25, "op": "<", "threshold": 60})
        == "综合得分58.25分，低于60分"
    )
    assert accountability_reason({"indicators": ["QL1", "QL3"]}, names=NAMES) == (
        "自查虚报2项指标（“党风廉政建设责任制落实”、“廉政风险防控”）"
    )
    assert (
        accountability_reason(
            {"rank": 10, "category_size": 10, "share": 0.1, "composite": 60}, category="乡镇"
        )
        == "在乡镇类别10个单位中排名第10名，位于后10%"
    )
    text = accountability_reason(
        {"grade": "不称职", "times": 2, "earlier_periods": ["2025"], "score": 40},
        names=ReasonNames(period="2026"),
    )
    assert text == "连续两次测评等次为不称职（2025年度、2026年度）"


def test_flags():
    assert flag_reason("missing_groups:rd,zg", NAMES) == "民主评议缺少人大代表、干部职工的有效票"
    assert flag_reason("veto:QL1", NAMES) == "“党风廉政建设责任制落实”一票否决"
    assert flag_reason("false_report:QL9", NAMES) == "指标QL9自查虚报"
    assert flag_reason("quota:优秀") == "超出“优秀”等次名额，降一档"
    assert flag_reason("spotchecked") == "抽查核查单位"


def test_names_with_their_own_quotes_are_not_quoted_again():
    names = ReasonNames(indicators={"F1": "财政预算决算和“三公”经费公开"})
    assert accountability_reason({"indicators": ["F1"]}, names=names) == "自查虚报1项指标（财政预算决算和“三公”经费公开）"


def test_unfit_votes_when_the_counts_are_stored():
    figures = {"unfit_share": 0.5, "limit": 1 / 3, "unfit_votes": 15, "counted": 30}
    assert accountability_reason(figures) == "不称职票15张，占有效票50.0%，超过三分之一"
