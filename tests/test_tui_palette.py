"""The command palette finds every area's actions by Chinese name, description words and pinyin
initials, runs them, and shows nothing of Textual's English entries."""

from __future__ import annotations

from .conftest import make_users
from .tui_helpers import SIZE, login, make_app, settle, type_text


async def _palette_options(pilot, query: str) -> list[str]:
    from textual.command import CommandList

    app = pilot.app
    await pilot.press("ctrl+p")
    await settle(pilot)
    await type_text(pilot, query)
    for _ in range(40):  # the palette searches in the background
        await pilot.pause(0.05)
        options = app.screen.query_one(CommandList)
        if options.option_count:
            break
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def test_palette_lists_only_our_commands_in_chinese(sqlite_db):
    make_users(sqlite_db)
    app = make_app(sqlite_db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        titles = [c.title for c in app.palette_catalogue(app.screen)]
        assert "打开：单位与干部" in titles and "考核轮次：抽查" in titles and "退出" in titles
        for english in ("Keys", "Theme", "Screenshot", "Maximize", "Quit"):
            assert not any(english.lower() in t.lower() for t in titles), english
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in t) for t in titles), titles


async def test_palette_finds_by_words_and_pinyin_initials_and_runs_the_action(sqlite_db):
    make_users(sqlite_db)
    app = make_app(sqlite_db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        found = await _palette_options(pilot, "抽查")
        assert any("考核轮次：抽查" in o for o in found), found
        await pilot.press("escape")
        await settle(pilot)
        found = await _palette_options(pilot, "dwygb")  # 单位与干部
        assert found and "单位与干部" in found[0], found
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.AREA == "units"
        found = await _palette_options(pilot, "zzzzqq")
        assert len(found) == 1 and "没有找到匹配的功能" in found[0], found
        await pilot.press("escape")
        await settle(pilot)
        # An action of another area: opens the area and runs the key's action there.
        found = await _palette_options(pilot, "khlcxj")  # 考核轮次：新建
        assert found and "考核轮次：新建" in found[0], found
        await pilot.press("enter")
        await settle(pilot)
        await settle(pilot)
        assert type(app.screen).__name__ == "FormDialog"
        assert app.screen_stack[-2].AREA == "rounds"
