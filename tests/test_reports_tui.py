"""The export screen at 80×24: F9 opens it, the ranking shows as text bars, format keys toggle,
r writes the report in a worker with a progress bar, c cancels and leaves nothing."""

from __future__ import annotations

import pytest

from .conftest import make_users
from .reports_fixtures import build_round
from .tui_helpers import SIZE, login, make_app, screen_text, settle

REPORT = "2026年第二季度考核结果报告"


@pytest.fixture
def no_chromium(monkeypatch, tmp_path):
    # Keeps these tests fast and independent of Chromium; the images have their own tests.
    monkeypatch.setenv("ASSESS_CHROMIUM", str(tmp_path / "no-such-chromium"))
    # A renderer started by an earlier test in this process would still be running Chromium: start
    # from none, so the warm-up looks for the (missing) browser again.
    from assess.reports import images

    monkeypatch.setattr(images, "_shared", None)


async def _open_export(pilot, app):
    await login(pilot)
    await pilot.press("f9")
    await settle(pilot)
    await settle(pilot)
    assert app.screen.AREA == "export"


async def test_export_screen_previews_and_writes_report(sqlite_db, tmp_path, no_chromium):
    make_users(sqlite_db)
    build_round(sqlite_db)
    app = make_app(sqlite_db)
    async with app.run_test(size=SIZE) as pilot:
        await _open_export(pilot, app)
        text = screen_text(app)
        assert "2026年第二季度考核" in text and "已公示（冻结）" in text
        assert "【政府部门】共 4 个单位" in text and "财政局" in text and "█" in text
        assert "<b>审计局</b>" in text  # user text shown literally
        for _ in range(400):  # the warm-up runs in the background and tells us images are off
            if "未找到 Chromium" in screen_text(app):
                break
            await pilot.pause(0.05)
        assert "未找到 Chromium" in screen_text(app)
        screen = app.screen
        assert screen.formats == {"pdf", "html", "xlsx", "png", "notice"}
        await pilot.press("p", "g", "n", "b")  # PDF, PNG and notice off; CSV on
        assert screen.formats == {"html", "xlsx", "csv"}
        assert "[x]b CSV" in screen_text(app) and "[ ]p PDF" in screen_text(app)
        screen.query_one("#export-out").value = str(tmp_path / "out")
        await pilot.press("r")
        await settle(pilot)
        await settle(pilot)
        assert not screen.running and screen.last_result is not None
        names = sorted(p.name for p in (tmp_path / "out").iterdir())
        assert names == sorted([f"{REPORT}.html", f"{REPORT}.xlsx", "2026年第二季度考核-排名.csv"])
        assert "已生成 3 个文件" in screen_text(app)
        bar = screen.query_one("#export-progress")
        assert bar.total is not None and bar.progress == bar.total


async def test_export_can_be_cancelled(sqlite_db, tmp_path, no_chromium):
    make_users(sqlite_db)
    build_round(sqlite_db)
    app = make_app(sqlite_db)
    async with app.run_test(size=SIZE) as pilot:
        await _open_export(pilot, app)
        screen = app.screen
        screen.query_one("#export-out").value = str(tmp_path / "out")
        # The keys: while an export runs, c and Esc ask the worker to stop.
        for key in ("c", "escape"):
            screen.running = True
            screen.cancel_event.clear()
            await pilot.press(key)
            assert screen.cancel_event.is_set() and "正在取消" in screen_text(app)
        screen.running = False
        # A real export, cancelled from the UI thread at its first progress report (the worker waits for that
        # report to be shown, so the cancel is certainly seen before the next step).
        shown = screen._progress

        def progress_then_cancel(done, total, label):
            shown(done, total, label)
            if done == 0:
                screen.action_cancel()

        screen._progress = progress_then_cancel
        await pilot.press("r")
        await settle(pilot)
        await settle(pilot)
        screen._progress = shown
        assert not screen.running and screen.last_result is None
        assert "已取消导出" in screen_text(app)
        assert list((tmp_path / "out").iterdir()) == []
        # The screen still works after a cancel.
        await pilot.press("p", "g", "n")
        await pilot.press("r")
        await settle(pilot)
        await settle(pilot)
        assert screen.last_result is not None and len(screen.last_result.files) == 2


async def test_export_screen_without_rounds(sqlite_db, no_chromium):
    make_users(sqlite_db)
    app = make_app(sqlite_db)
    async with app.run_test(size=SIZE) as pilot:
        await _open_export(pilot, app)
        assert "还没有已计算结果的考核轮次" in screen_text(app)
        await pilot.press("r")
        await settle(pilot)
        assert app.screen.AREA == "export" and not app.screen.running


async def test_leaving_the_screen_lets_the_export_finish(sqlite_db, tmp_path, no_chromium):
    make_users(sqlite_db)
    build_round(sqlite_db)
    app = make_app(sqlite_db)
    async with app.run_test(size=SIZE) as pilot:
        await _open_export(pilot, app)
        screen = app.screen
        screen.query_one("#export-out").value = str(tmp_path / "out")
        await pilot.press("p", "g", "n")
        shown = screen._progress

        def progress_then_leave(done, total, label):
            shown(done, total, label)
            if done == 0:
                app.action_open_area("dashboard")  # F2 while the worker runs

        screen._progress = progress_then_leave
        await pilot.press("r")
        await settle(pilot)
        await settle(pilot)
        assert app.screen.AREA == "dashboard" and app.is_running
        assert screen.last_result is not None
        assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [f"{REPORT}.html", f"{REPORT}.xlsx"]
