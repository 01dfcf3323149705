"""Findings and rectification: notices, the ledger, overdue with a fixed clock, re-inspection,
corrections as new records, the notice text with its audit anchor."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from assess.foundation import audit
from assess.foundation.errors import Conflict, NotFound, PermissionDenied
from assess.models import Finding, RectificationEvent
from assess.reports import official
from assess.rounds import findings

from .rounds_helpers import make_round, round_at_selfcheck_closed

ISSUED = date(2026, 7, 1)
DEADLINE = date(2026, 7, 31)


@pytest.fixture
def rid(db, actors):
    return round_at_selfcheck_closed(db, actors)


def test_finding_roles_and_refusals(db, actors, rid):
    with pytest.raises(PermissionDenied):
        findings.add_finding(db, actors["clerk"], rid, "G01", "问题")
    with pytest.raises(Conflict, match="问题描述不能为空"):
        findings.add_finding(db, actors["inspector"], rid, "G01", "  ")
    with pytest.raises(Conflict, match="问题等级"):
        findings.add_finding(db, actors["inspector"], rid, "G01", "问题", severity="很严重")
    with pytest.raises(NotFound, match="Z9"):
        findings.add_finding(db, actors["inspector"], rid, "G01", "问题", indicator_code="Z9")
    with pytest.raises(NotFound, match="不存在"):
        findings.add_finding(db, actors["inspector"], rid, "NOPE", "问题")


def test_finding_refused_in_draft(db, actors):
    draft = make_round(db, actors)
    with pytest.raises(Conflict, match="草稿"):
        findings.add_finding(db, actors["inspector"], draft, "G01", "问题")


def test_notice_numbers_deadline_and_roles(db, actors, rid):
    f1 = findings.add_finding(db, actors["inspector"], rid, "G01", "政务公开栏三个月未更新", "一般", "B1")
    f2 = findings.add_finding(db, actors["inspector"], rid, "G02", "未建立依申请公开台账", "严重")
    with pytest.raises(PermissionDenied):
        findings.issue_rectification(db, actors["clerk"], f1, DEADLINE, "更新", today=ISSUED)
    with pytest.raises(Conflict, match="早于今天"):
        findings.issue_rectification(db, actors["inspector"], f1, "2026-06-30", "更新", today=ISSUED)
    with pytest.raises(Conflict, match="YYYY-MM-DD"):
        findings.issue_rectification(db, actors["inspector"], f1, "7月31日", "更新", today=ISSUED)
    r1 = findings.issue_rectification(
        db, actors["inspector"], f1, DEADLINE, "立即更新公开栏并建立更新制度", today=ISSUED
    )
    r2 = findings.issue_rectification(db, actors["admin"], f2, "2026-08-15", "建立台账", today=ISSUED)
    with pytest.raises(Conflict, match="已下发整改通知"):
        findings.issue_rectification(db, actors["inspector"], f1, DEADLINE, "再发", today=ISSUED)
    f3 = findings.add_finding(db, actors["inspector"], rid, "G03", "问题三")
    with pytest.raises(Conflict, match="已被使用"):
        findings.issue_rectification(
            db, actors["inspector"], f3, DEADLINE, "要求", notice_no="整改〔2026〕001号", today=ISSUED
        )
    rows = {x.finding_id: x for x in findings.ledger(db, rid, today=ISSUED)}
    assert rows[f1].notice_no == "整改〔2026〕001号" and rows[f2].notice_no == "整改〔2026〕002号"
    assert (rows[f1].status_label, rows[f3].status_label) == ("待整改", "未下发通知")
    assert r1 != r2


def test_overdue_with_a_fixed_clock(db, actors, rid):
    """Deadline 2026-07-31. On 07-31 nothing is overdue; on 08-01 the open notice is 1 day
    overdue; 整改中 stays overdue (10 days on 08-10); once reported 已整改 it is not."""
    f1 = findings.add_finding(db, actors["inspector"], rid, "G01", "问题一")
    f2 = findings.add_finding(db, actors["inspector"], rid, "G02", "问题二")
    r1 = findings.issue_rectification(db, actors["inspector"], f1, DEADLINE, "要求一", today=ISSUED)
    r2 = findings.issue_rectification(db, actors["inspector"], f2, "2026-08-05", "要求二", today=ISSUED)
    assert findings.overdue(db, date(2026, 7, 31)) == []
    late = findings.overdue(db, date(2026, 8, 1))
    assert [(x.notice_no, x.days_overdue) for x in late] == [("整改〔2026〕001号", 1)]
    findings.update_rectification(db, actors["clerk"], r1, "rectifying", "已部署整改")
    late = findings.overdue(db, date(2026, 8, 10))
    # Most overdue first: r1 by 10 days, r2 by 5.
    assert [(x.rectification_id, x.days_overdue, x.status) for x in late] == [
        (r1, 10, "rectifying"),
        (r2, 5, "open"),
    ]
    findings.update_rectification(db, actors["clerk"], r1, "rectified", "公开栏已更新，附照片")
    assert [x.rectification_id for x in findings.overdue(db, date(2026, 8, 10))] == [r2]
    assert [x.rectification_id for x in findings.overdue(db, date(2026, 8, 10), round_id=rid)] == [r2]
    with pytest.raises(NotFound):
        findings.overdue(db, date(2026, 8, 10), round_id=rid + 1000)


def test_reinspection_closes_or_sends_back(db, actors, rid):
    fid = findings.add_finding(db, actors["inspector"], rid, "G01", "问题")
    rect = findings.issue_rectification(db, actors["inspector"], fid, DEADLINE, "要求", today=ISSUED)
    with pytest.raises(Conflict, match="报整改完成后才能复查"):
        findings.close_rectification(db, actors["inspector"], rect)
    with pytest.raises(Conflict, match="说明不能为空"):
        findings.update_rectification(db, actors["clerk"], rect, "rectified", "")
    with pytest.raises(Conflict, match="整改状态"):
        findings.update_rectification(db, actors["clerk"], rect, "closed", "自己销号")
    findings.update_rectification(db, actors["clerk"], rect, "rectified", "已整改")
    with pytest.raises(Conflict, match="等待复查"):
        findings.update_rectification(db, actors["clerk"], rect, "rectifying", "再改")
    with pytest.raises(PermissionDenied):
        findings.close_rectification(db, actors["clerk"], rect)
    with pytest.raises(Conflict, match="复查意见不能为空"):
        findings.close_rectification(db, actors["inspector"], rect, passed=False)
    assert (
        findings.close_rectification(db, actors["inspector"], rect, "台账不完整", passed=False)
        == "rectifying"
    )
    findings.update_rectification(db, actors["clerk"], rect, "rectified", "台账已补齐")
    assert findings.close_rectification(db, actors["inspector"], rect, "现场复查合格") == "closed"
    with pytest.raises(Conflict, match="已销号"):
        findings.update_rectification(db, actors["clerk"], rect, "rectifying", "x")
    events = findings.history(db, rect)
    assert [(e.status, e.note) for e in events] == [
        ("rectified", "已整改"),
        ("rectifying", "复查未通过：台账不完整"),
        ("rectified", "台账已补齐"),
        ("closed", "现场复查合格"),
    ]
    row = findings.ledger(db, rid, today=date(2027, 1, 1))[0]
    assert (row.status, row.status_label, row.overdue) == ("closed", "已销号", False)
    with db.read() as s:
        assert len(s.exec(select(RectificationEvent)).all()) == 4


def test_corrections_are_new_records(db, actors, rid):
    old = findings.add_finding(db, actors["inspector"], rid, "G01", "公开栏未更新", "一般")
    new = findings.add_finding(
        db, actors["inspector"], rid, "G01", "公开栏两个月未更新", "严重", corrects_id=old
    )
    rows = findings.ledger(db, rid)
    assert [(x.finding_id, x.severity, x.corrects_id) for x in rows] == [(new, "严重", old)]
    assert len(findings.ledger(db, rid, include_superseded=True)) == 2
    with pytest.raises(Conflict, match="已被第"):
        findings.add_finding(db, actors["inspector"], rid, "G01", "再改", corrects_id=old)
    with pytest.raises(Conflict, match="已被第"):
        findings.issue_rectification(db, actors["inspector"], old, DEADLINE, "要求", today=ISSUED)
    findings.issue_rectification(db, actors["inspector"], new, DEADLINE, "要求", today=ISSUED)
    with pytest.raises(Conflict, match="不能再更正"):
        findings.add_finding(db, actors["inspector"], rid, "G01", "第三版", corrects_id=new)
    with db.read() as s:
        assert len(s.exec(select(Finding)).all()) == 2


def test_notice_text_is_a_proper_notice_with_anchor(db, actors, rid):
    from assess.foundation.settings import office

    fid = findings.add_finding(db, actors["inspector"], rid, "G01", "政务公开栏三个月未更新", "一般", "B1")
    rect = findings.issue_rectification(
        db, actors["inspector"], fid, DEADLINE, "立即更新公开栏并建立更新制度", today=ISSUED
    )
    text = official.notice_text(db, rect)
    seq, head = audit.chain_head(db)
    for part in (
        "整改通知书",
        "整改〔2026〕001号",
        "财政局：",
        "测试考核方案",
        "2026年第三季度考核工作安排",
        "政务公开栏三个月未更新",
        "涉及指标：按时公开率",
        "问题等级：一般",
        "立即更新公开栏并建立更新制度",
        "请于2026年7月31日前整改到位",
        office().issuer,
        f"审计锚点：审计链头 #{seq} {head}",
    ):
        assert part in text, part
    assert audit.verify(db, anchor=head).ok
    with pytest.raises(NotFound):
        official.notice_text(db, rect + 99)


def test_open_findings_mark_units_for_focus(db, actors, rid):
    f1 = findings.add_finding(db, actors["inspector"], rid, "G01", "问题一")
    rect = findings.issue_rectification(db, actors["inspector"], f1, DEADLINE, "要求", today=ISSUED)
    findings.add_finding(db, actors["inspector"], rid, "G02", "问题二")
    from assess.models import Unit

    with db.read() as s:
        ids = dict(s.exec(select(Unit.code, Unit.id)).all())
        marks = findings.open_finding_units(s, list(ids.values()))
    assert set(marks) == {ids["G01"], ids["G02"]}
    assert "整改〔2026〕001号" in marks[ids["G01"]] and "未下发通知" in marks[ids["G02"]]
    findings.update_rectification(db, actors["clerk"], rect, "rectified", "已整改")
    findings.close_rectification(db, actors["inspector"], rect)
    with db.read() as s:
        assert set(findings.open_finding_units(s, list(ids.values()))) == {ids["G02"]}
