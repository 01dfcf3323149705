"""考核方案 screen driven headlessly at 80×24: load a shipped scheme, browse its tree and settings,
step between versions and see the changes; a bad file shows its problems and loads nothing."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select

from assess.models import SchemeVersion

from .conftest import make_users
from .test_scheme_validate import BASE
from .tui_helpers import SIZE, login, make_app, screen_text, settle, type_text


async def _open_schemes(pilot) -> None:
    await login(pilot)
    await pilot.press("f4")
    await settle(pilot)
    assert pilot.app.screen.AREA == "schemes"


async def _load(pilot, path: str) -> None:
    await pilot.press("l")
    await settle(pilot)
    await type_text(pilot, path)
    await pilot.press("enter")
    await settle(pilot)
    await settle(pilot)


async def test_load_browse_and_compare_versions(sqlite_db, tmp_path):
    make_users(sqlite_db)
    app = make_app(sqlite_db)
    async with app.run_test(size=SIZE) as pilot:
        await _open_schemes(pilot)
        assert "尚无方案" in screen_text(app)
        f = tmp_path / "t.toml"
        f.write_text(BASE, encoding="utf-8")
        await _load(pilot, str(f))
        # After loading, the new version's tree is shown, the highlighted row's details below it.
        screen = app.screen
        assert screen.mode == "tree" and (screen.code, screen.version) == ("t", 1)
        text = screen_text(app)
        assert "第 1 版（共 1 版）" in text and "甲项" in text and "比率" in text
        await pilot.press("s")
        await settle(pilot)
        assert "指标 70% + 民主评议 30%" in screen_text(app)
        # A second version with a changed weight: p/n step between them, d lists the change.
        f.write_text(
            BASE.replace(
                "weights = { indicators = 70, appraisal = 30 }",
                "weights = { indicators = 80, appraisal = 20 }",
            ),
            encoding="utf-8",
        )
        await _load(pilot, str(f))
        assert (app.screen.code, app.screen.version) == ("t", 2)
        await pilot.press("d")
        await settle(pilot)
        text = screen_text(app)
        assert "与第 1 版比较" in text and "权重 指标：70 → 80" in text and "权重 民主评议：30 → 20" in text
        await pilot.press("p")
        await settle(pilot)
        assert app.screen.version == 1
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.mode == "schemes" and "第 2 版" in screen_text(app)
        # Enter on a scheme opens its newest version.
        await pilot.press("enter")
        await settle(pilot)
        assert (app.screen.mode, app.screen.version) == ("tree", 2)
    with sqlite_db.read() as s:
        assert s.exec(select(func.count()).select_from(SchemeVersion)).one() == 2


async def test_bad_file_lists_problems_and_loads_nothing(sqlite_db, tmp_path):
    make_users(sqlite_db)
    app = make_app(sqlite_db)
    async with app.run_test(size=SIZE) as pilot:
        await _open_schemes(pilot)
        bad = tmp_path / "bad.toml"
        bad.write_text(BASE.replace("max = 5", "max = -5"), encoding="utf-8")
        await _load(pilot, str(bad))
        assert type(app.screen).__name__ == "ImportDialog"
        text = screen_text(app)
        assert "未导入任何数据" in text and "bad.toml:" in text and "[indicators.max]" in text
    with sqlite_db.read() as s:
        assert s.exec(select(func.count()).select_from(SchemeVersion)).one() == 0


async def test_clerk_may_browse_but_not_load(sqlite_db):
    actors = make_users(sqlite_db)
    from assess.schemes.catalog import load_scheme

    load_scheme(sqlite_db, actors["admin"], "zwgk_2014")
    app = make_app(sqlite_db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "clerk")
        await pilot.press("f4")
        await settle(pilot)
        assert "政务公开和政务服务工作考核" in screen_text(app)
        await pilot.press("l")
        await settle(pilot)
        assert type(app.screen).__name__ == "SchemesScreen"  # no dialog for a role that may not load
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.mode == "tree" and "政府信息主动公开范围" in screen_text(app)


async def test_check_only_names_the_problems_without_claiming_an_import(sqlite_db, tmp_path):
    make_users(sqlite_db)
    app = make_app(sqlite_db)
    async with app.run_test(size=SIZE) as pilot:
        await _open_schemes(pilot)
        bad = tmp_path / "bad.toml"
        bad.write_text(BASE.replace("max = 5", "max = -5"), encoding="utf-8")
        await pilot.press("v")
        await settle(pilot)
        await type_text(pilot, str(bad))
        await pilot.press("enter")
        await settle(pilot)
        text = screen_text(app)
        assert "文件有问题（只校验，未载入）：发现 1 处问题" in text and "bad.toml:" in text
        assert "未导入任何数据" not in text
        # A good file: the dialog closes and says what it holds, loading nothing.
        good = tmp_path / "good.toml"
        good.write_text(BASE, encoding="utf-8")
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        await type_text(pilot, str(good))
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "SchemesScreen"
        assert any("文件无误：t 测试方案" in str(n.message) for n in app._notifications)
    with sqlite_db.read() as s:
        assert s.exec(select(func.count()).select_from(SchemeVersion)).one() == 0
