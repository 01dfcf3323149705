"""The whole application on the demo database at 80×24: the dashboard tells what each round waits
for, and every area opens by its F-key and by its plain key without an error. The demo database
(``demo_db``) is built once per test process (``tests/conftest.py``)."""

from __future__ import annotations

import pytest

from assess.demo.office import DEMO_PASSWORD
from tui.nav import AREAS

from .tui_helpers import SIZE, login, make_app, screen_text, settle


async def test_dashboard_shows_blockers_and_overdue(demo_db):
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "admin", DEMO_PASSWORD)
        await settle(pilot)
        text = screen_text(app)
        assert "2026-Q4" in text and "自查中" in text
        assert "18 个单位未提交自查" in text
        assert "逾期整改 1 项" in text
        # the demo's 自查 window closed on 2026-11-30 with units not submitted: one overdue stage
        assert "阶段逾期：2026年第四季度阳光工程考核 自查 截止 2026-11-30" in text
        assert text.count("阶段逾期：") == 1
        assert "2026-Q3" not in text  # published rounds are not "in progress"


@pytest.mark.parametrize("area", [a for a in AREAS if a.name != "dashboard"], ids=lambda a: a.name)
async def test_every_area_opens_by_fkey_and_letter(demo_db, area):
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "admin", DEMO_PASSWORD)
        if area.fkey:
            await pilot.press(area.fkey)
            await settle(pilot)
            assert getattr(app.screen, "AREA", None) == area.name
            await pilot.press("f2")
            await settle(pilot)
            assert app.screen.AREA == "dashboard"
        await pilot.press(area.letter)
        await settle(pilot)
        assert getattr(app.screen, "AREA", None) == area.name
        assert screen_text(app).strip()


async def test_tally_view_prints_the_audit_anchor(demo_db):
    from assess.foundation import audit

    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "reviewer1", DEMO_PASSWORD)
        await pilot.press("b")
        await settle(pilot)
        await pilot.press("down")  # the annual 勤廉双述, held with the fourth quarter
        await pilot.press("t")
        await settle(pilot)
        await settle(pilot)
        seq, head = audit.chain_head(demo_db)
        text = screen_text(app)
        assert f"审计锚点：链头 #{seq} {head}" in text
        assert "唐树林" in text  # a target of that session is listed


async def test_audit_log_reads_in_chinese_local_time_and_display_names(demo_db, monkeypatch):
    """F10 on the demo: every action of the demo's quarter has a Chinese name, times are in the
    office's zone (UTC+8 by default), people by display name."""
    from datetime import datetime, timedelta

    from sqlmodel import select

    from assess.foundation.roles import action_label
    from assess.models import AuditRecord

    monkeypatch.delenv("ASSESS_TZ", raising=False)
    with demo_db.read() as s:
        records = s.exec(select(AuditRecord).order_by(AuditRecord.seq.desc())).all()
        actions = {r.action for r in records}
        newest = records[0]
    unnamed = sorted(a for a in actions if action_label(a) == a)
    assert not unnamed, unnamed
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "admin", DEMO_PASSWORD)
        await pilot.press("f10")
        await settle(pilot)
        text = screen_text(app)
        from textual.widgets import DataTable

        headers = [str(c.label) for c in app.screen.query_one(DataTable).columns.values()]
        assert "时间（Asia/Shanghai）" in headers, headers
        utc = datetime.fromisoformat(newest.at)
        shown = (utc + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
        assert shown in text, (shown, text[:400])
        assert action_label(newest.action) in text
        assert "round.stage" not in text and "accountability.decide" not in text


async def test_spotcheck_comparison_names_methods_in_chinese(demo_db):
    """F5 → the published quarter → c → m: the detail line names the scoring method in Chinese."""
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "admin", DEMO_PASSWORD)
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("down")  # rounds are listed newest first: 2026-Q4, then 2026-Q3
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        assert type(app.screen).__name__ == "ComparisonScreen"
        await pilot.press("down")
        await settle(pilot)
        detail = str(app.screen.query_one("#cmp-detail").render())
        from assess.foundation.vocabulary import METHOD_LABELS

        assert "满分" in detail and any(f"（{m}，" in detail for m in METHOD_LABELS.values() if m), detail
        for code in ("points", "deduct", "bonus", "ratio", "veto"):
            assert code not in detail
