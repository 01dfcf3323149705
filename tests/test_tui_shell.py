"""The app shell driven headlessly at 80×24: login, navigation, adding a unit, idle lock."""

from __future__ import annotations

from sqlmodel import select

from assess.models import Unit

from .conftest import make_users
from .tui_helpers import SIZE, login, make_app, screen_text, settle, type_text


async def test_login_refuses_wrong_password(sqlite_db):
    make_users(sqlite_db)
    app = make_app(sqlite_db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "admin", "wrong-password")
        assert app.actor is None
        assert "用户名或密码错误" in screen_text(app)


async def test_login_navigate_and_add_unit(sqlite_db):
    make_users(sqlite_db)
    app = make_app(sqlite_db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        assert app.actor is not None and app.actor.username == "admin"
        assert getattr(app.screen, "AREA", None) == "dashboard"
        await pilot.press("f3")
        await settle(pilot)
        assert app.screen.AREA == "units"
        await pilot.press("a")
        await settle(pilot)
        await type_text(pilot, "U99")
        await pilot.press("enter")
        await type_text(pilot, "测试局[bold]")
        await pilot.press("enter")
        await type_text(pilot, "政府部门")
        await pilot.press("enter")
        await pilot.press("enter")  # empty parent: submits
        await settle(pilot)
        await settle(pilot)
        with sqlite_db.read() as s:
            unit = s.exec(select(Unit).where(Unit.code == "U99")).one()
        assert unit.name == "测试局[bold]" and unit.category == "政府部门"
        # Shown literally (no markup interpretation) in the table.
        assert "测试局[bold]" in screen_text(app)
        # Back to the dashboard with F2, and to units with the plain key u.
        await pilot.press("f2")
        await settle(pilot)
        assert app.screen.AREA == "dashboard"
        await pilot.press("u")
        await settle(pilot)
        assert app.screen.AREA == "units"


async def test_add_unit_error_keeps_dialog_open(sqlite_db):
    make_users(sqlite_db)
    app = make_app(sqlite_db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        await pilot.press("enter", "enter", "enter", "enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "FormDialog"
        assert "不能为空" in screen_text(app)


async def test_clerk_cannot_deactivate_unit(sqlite_db):
    actors = make_users(sqlite_db)
    from assess.org.units import add_unit

    add_unit(sqlite_db, actors["admin"], "U01", "财政局", "政府部门")
    app = make_app(sqlite_db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "clerk")
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        with sqlite_db.read() as s:
            assert s.exec(select(Unit).where(Unit.code == "U01")).one().active is True


async def test_idle_lock_requires_password(sqlite_db):
    make_users(sqlite_db)
    app = make_app(sqlite_db, idle_minutes=0.001)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        app.last_activity -= 120
        app._check_idle()
        await settle(pilot)
        assert app.locked and type(app.screen).__name__ == "LockScreen"
        assert "分钟没有操作，界面已自动锁定" in screen_text(app)
        await pilot.press("f3")  # navigation is swallowed while locked
        await settle(pilot)
        assert type(app.screen).__name__ == "LockScreen"
        await type_text(pilot, "nope-nope")
        await pilot.press("enter")
        await settle(pilot)
        assert app.locked
        from .conftest import PASSWORD

        await type_text(pilot, PASSWORD)
        await pilot.press("enter")
        await settle(pilot)
        assert not app.locked
        assert app.screen.AREA == "dashboard"


async def test_help_and_palette_list_areas(sqlite_db):
    make_users(sqlite_db)
    app = make_app(sqlite_db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        await pilot.press("f1")
        await settle(pilot)
        text = screen_text(app)
        assert "单位与干部" in text and "F3" in text
        await pilot.press("escape")
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "打开：单位与干部" in titles and "打开：审计日志" in titles


async def test_unexpected_error_is_logged_and_shown_and_the_app_stays_open(sqlite_db, caplog, capsys, monkeypatch):
    """An exception in an action or a dialog callback never closes the app: one Chinese line on
    screen naming the log file, the traceback in the log, and the user can carry on."""
    from tui.units import UnitsScreen

    make_users(sqlite_db)
    app = make_app(sqlite_db)
    app.friendly_errors = True

    def boom(self):
        raise RuntimeError("simulated defect")

    monkeypatch.setattr(UnitsScreen, "action_add", boom)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("a")  # the add action raises
        await settle(pilot)
        assert app.is_running and app.return_code is None
        shown = [str(n.message) for n in app._notifications]
        assert any("操作失败：RuntimeError" in m and "日志" in m for m in shown), shown

        def failing_callback(_result):
            raise ValueError("callback defect")

        from tui.forms import ConfirmDialog

        app.push_screen(ConfirmDialog("继续？"), failing_callback)
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert app.is_running
        assert any("ValueError" in str(n.message) for n in app._notifications)
        await pilot.press("escape")
        await pilot.press("f2")
        await settle(pilot)
        assert app.screen.AREA == "dashboard"
    assert "Traceback" not in capsys.readouterr().err
    assert any("simulated defect" in r.getMessage() and r.exc_info for r in caplog.records)
    assert any("callback defect" in r.getMessage() and r.exc_info for r in caplog.records)


async def test_error_in_a_message_handler_closes_with_one_line(sqlite_db, caplog, capsys):
    make_users(sqlite_db)
    app = make_app(sqlite_db)
    app.friendly_errors = True
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)

        def boom():
            raise RuntimeError("simulated defect")

        import asyncio

        app.call_later(boom)
        for _ in range(50):
            if app.return_code is not None:
                break
            await asyncio.sleep(0.05)
    assert app.return_code == 1
    text = capsys.readouterr().err
    assert "内部错误" in text and "RuntimeError" in text and "Traceback" not in text
    assert any("unexpected error" in r.getMessage() and r.exc_info for r in caplog.records)


async def test_manual_lock_says_so(sqlite_db):
    """F12 locks at once and says the user locked it (not that they were away too long)."""
    make_users(sqlite_db)
    app = make_app(sqlite_db, idle_minutes=10)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        await pilot.press("f12")
        await settle(pilot)
        assert app.locked and type(app.screen).__name__ == "LockScreen"
        text = screen_text(app)
        assert "锁定了界面" in text and "没有操作" not in text
