"""The scheme draft editor driven headlessly at 80×24: re-weight an indicator, see the validation
message live in the dialog and in the problems panel, fix it, export, load the export as version 2;
add, delete, move, undo, weights; a clerk may draft and export but not load."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select

from assess.models import SchemeVersion
from assess.schemes.catalog import get_definition, list_versions, load_scheme
from assess.schemes.validate import validate_file

from .conftest import make_users
from .tui_helpers import SIZE, login, make_app, screen_text, settle, type_text

A_PROBLEM = "指标 A 的 max 为 30，但子项满分之和为 31（加分项不计入）：删去 max 或改正"


def _notes(app) -> str:
    return "\n".join(str(n.message) for n in app._notifications)


async def _open_editor(pilot, user: str = "admin") -> None:
    await login(pilot, user)
    await pilot.press("f4")
    await settle(pilot)
    await pilot.press("e")  # on the highlighted scheme: its newest version
    await settle(pilot)
    await settle(pilot)
    assert type(pilot.app.screen).__name__ == "SchemeEditorScreen"


async def _go_to(pilot, code: str) -> None:
    screen = pilot.app.screen
    for _ in range(60):
        if screen._cursor_code() == code:
            return
        await pilot.press("down")
    raise AssertionError(f"row {code} not reached")


async def _set_max(pilot, value: str) -> str:
    """Open the max dialog, type the value (replacing the selected old one), return the live
    verdict, then press Enter."""
    await pilot.press("m")
    await settle(pilot)
    assert type(pilot.app.screen).__name__ == "LiveFormDialog"
    await type_text(pilot, value)
    await settle(pilot)
    live = pilot.app.screen.live_text
    await pilot.press("enter")
    await settle(pilot)
    await settle(pilot)
    return live


async def test_reweight_see_problem_fix_export_and_load(sqlite_db, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the export dialog takes a path relative to the working directory
    actors = make_users(sqlite_db)
    load_scheme(sqlite_db, actors["admin"], "zwgk_2014")
    app = make_app(sqlite_db)
    async with app.run_test(size=SIZE) as pilot:
        await _open_editor(pilot)
        editor = app.screen
        text = screen_text(app)
        assert "草稿：zwgk 政务公开和政务服务工作考核 · 来自 zwgk 第 1 版 · 未修改" in text
        assert "校验通过" in text and "综合得分：指标 60% + 民主评议 30% + 加减分 10% = 100%" in text
        # A1 4 → 5: A's children now sum to 31 against its 30 (4+6+5+8+3+4 = 30 before).
        await _go_to(pilot, "A1")
        live = await _set_max(pilot, "5")
        assert live.startswith("将有 1 处问题") and A_PROBLEM in live
        assert app.screen is editor
        text = screen_text(app)
        assert "校验发现 1 处问题" in text and A_PROBLEM in text and "已修改，未导出" in text
        assert "有问题 · 子项合计 31" in text  # on A's row
        line = editor.check.problems[0].line
        assert f"第 {line} 行 [indicators.max]" in text
        # Export is refused while the problem stands; the dialog says so and nothing is written.
        out = tmp_path / "zwgk-v2.toml"
        await pilot.press("x")
        await settle(pilot)
        assert "改正后才能导出" in app.screen.live_text
        await type_text(pilot, out.name)
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "LiveFormDialog" and not out.exists()
        assert "zwgk-v2.toml" in screen_text(app) and A_PROBLEM in screen_text(app)
        await pilot.press("escape", "y")  # the typed file name is dropped after one question
        await settle(pilot)
        # Fix: A5 3 → 2 (5+6+5+8+2+4 = 30). Typing shows the verdict before saving.
        await _go_to(pilot, "A5")
        live = await _set_max(pilot, "2")
        assert live == "校验通过"
        assert "校验通过：可以导出" in screen_text(app)
        # Export to a file, then load it as version 2.
        await pilot.press("x")
        await settle(pilot)
        await type_text(pilot, out.name)
        await settle(pilot)
        assert app.screen.live_text == "将写入新文件 zwgk-v2.toml"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is editor and out.exists()
        assert "未修改" in screen_text(app)
        exported = validate_file(out).scheme
        assert (exported.indicator("A1").max, exported.indicator("A5").max, exported.indicator("A").max) == (
            5,
            2,
            30,
        )
        await pilot.press("l")
        await settle(pilot)
        await settle(pilot)
        # Back on the schemes screen, showing the new version.
        assert type(app.screen).__name__ == "SchemesScreen"
        assert (app.screen.code, app.screen.version) == ("zwgk", 2)
        assert "第 2 版（共 2 版）" in screen_text(app)
    assert [v.version for v in list_versions(sqlite_db, "zwgk")] == [1, 2]
    v2 = get_definition(sqlite_db, "zwgk", 2)
    assert (v2.indicator("A1").max, v2.indicator("A5").max) == (5, 2)
    assert get_definition(sqlite_db, "zwgk", 1).indicator("A1").max == 4


async def test_add_delete_move_undo_and_weights(sqlite_db):
    actors = make_users(sqlite_db)
    load_scheme(sqlite_db, actors["admin"], "zwgk_2014")
    app = make_app(sqlite_db)
    async with app.run_test(size=SIZE) as pilot:
        await _open_editor(pilot)
        editor = app.screen
        # a on A6 adds under it: A6 (ratio, 4 points) becomes a group with a budget of 4.
        await _go_to(pilot, "A6")
        await pilot.press("a")
        await settle(pilot)
        dialog = app.screen
        assert dialog.values()["code"] == "A6.1"
        assert dialog.live_text == "指标名称不能为空。"
        await pilot.press("enter")  # code as suggested
        await type_text(pilot, "按期答复")
        await pilot.press("enter")
        await pilot.press("enter")  # method 得分
        await type_text(pilot, "3")
        await settle(pilot)
        assert "指标 A6 的 max 为 4，但子项满分之和为 3" in dialog.live_text
        await pilot.press("enter")
        await settle(pilot)
        await settle(pilot)
        assert app.screen is editor and editor._cursor_code() == "A6.1"
        assert editor.draft.indicator("A6").method is None
        # b adds a sibling after A6.1 with the remaining point: the budget is met again.
        await pilot.press("b")
        await settle(pilot)
        assert app.screen.values()["code"] == "A6.2"
        await pilot.press("enter")
        await type_text(pilot, "答复质量")
        await pilot.press("enter")
        await pilot.press("enter")
        await type_text(pilot, "1")
        await pilot.press("enter")
        await settle(pilot)
        await settle(pilot)
        assert "校验通过" in screen_text(app)
        # [ moves A6.2 above A6.1.
        await pilot.press("left_square_bracket")
        await settle(pilot)
        codes = editor.draft.codes()
        assert codes.index("A6.2") < codes.index("A6.1") and editor._cursor_code() == "A6.2"
        # Delete asks first; n keeps it, then y deletes; z brings it back.
        await pilot.press("delete")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert "A6.2" in editor.draft.codes()
        await pilot.press("delete")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert "A6.2" not in editor.draft.codes()
        assert "指标 A6 的 max 为 4，但子项满分之和为 3" in screen_text(app)
        await pilot.press("z")
        await settle(pilot)
        assert "A6.2" in editor.draft.codes() and "校验通过" in screen_text(app)
        # Weights: the sum is checked on every keystroke.
        await pilot.press("w")
        await settle(pilot)
        await pilot.press("enter")  # indicators 60
        await type_text(pilot, "40")  # appraisal 30 → 40
        await settle(pilot)
        assert (
            "weights 之和应为 100，现为 indicators 60 + appraisal 40 + adjustment 10 = 110"
            in app.screen.live_text
        )
        await pilot.press("enter")
        await type_text(pilot, "0")  # adjustment 10 → 0
        await settle(pilot)
        assert app.screen.live_text == "校验通过"
        await pilot.press("enter")
        await settle(pilot)
        await settle(pilot)
        assert editor.draft.weights == {"indicators": 60, "appraisal": 40, "adjustment": 0}
        assert "综合得分：指标 60% + 民主评议 40% + 加减分 0% = 100%" in screen_text(app)
        # d lists the changes against version 1.
        await pilot.press("d")
        await settle(pilot)
        text = screen_text(app)
        assert "新增 指标 A6.1：按期答复" in text and "权重 加减分：10 → 0" in text
        # Esc with unexported changes asks; n stays, y leaves without writing anything.
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is editor
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert type(app.screen).__name__ == "SchemesScreen"
    with sqlite_db.read() as s:
        assert s.exec(select(func.count()).select_from(SchemeVersion)).one() == 1


async def test_refusals_are_messages_and_a_clerk_cannot_load(sqlite_db, tmp_path, monkeypatch):
    monkeypatch.setenv("ASSESS_EXPORT_DIR", str(tmp_path))  # the suggested file lies there
    actors = make_users(sqlite_db)
    load_scheme(sqlite_db, actors["admin"], "zwgk_2014")
    app = make_app(sqlite_db)
    async with app.run_test(size=SIZE) as pilot:
        await _open_editor(pilot, "clerk")
        editor = app.screen
        # Moving the first indicator up is refused with a message; nothing changes.
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert "指标 A 已在同级最前。" in _notes(app) and not editor.draft.dirty
        # A negative max is named live and refused on Enter; the dialog stays open.
        await _go_to(pilot, "A1")
        await pilot.press("m")
        await settle(pilot)
        await type_text(pilot, "-1")
        await settle(pilot)
        assert app.screen.live_text == "指标 A1 的满分不能为负数（-1）。"
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "LiveFormDialog"
        await pilot.press("escape")  # typed data: asks before dropping it
        await settle(pilot)
        assert type(app.screen).__name__ == "ConfirmDialog"
        await pilot.press("y")
        await settle(pilot)
        assert editor.draft.indicator("A1").max == 4 and not editor.draft.dirty
        # A clerk may export a draft (to the suggested file name) but not load it: the key is not offered.
        out = tmp_path / "zwgk-草稿.toml"
        await pilot.press("x")
        await settle(pilot)
        assert app.screen.values()["path"] == str(out)
        await pilot.press("enter")
        await settle(pilot)
        assert out.exists() and app.screen is editor
        assert "l" not in app.screen.active_bindings and "x" in app.screen.active_bindings
        await pilot.press("l")
        await settle(pilot)
        assert app.screen is editor and "无权限" not in _notes(app)
    assert [v.version for v in list_versions(sqlite_db, "zwgk")] == [1]


async def test_rename_method_and_parent_dialogs(sqlite_db):
    actors = make_users(sqlite_db)
    load_scheme(sqlite_db, actors["admin"], "cwgk_qlss_2014")
    app = make_app(sqlite_db)
    async with app.run_test(size=SIZE) as pilot:
        await _open_editor(pilot)
        editor = app.screen
        await _go_to(pilot, "CW4")
        # r: rename (the old name is selected, typing replaces it).
        await pilot.press("r")
        await settle(pilot)
        await type_text(pilot, "惠农资金公开")
        await pilot.press("enter")
        await settle(pilot)
        await settle(pilot)
        assert editor.draft.indicator("CW4").name == "惠农资金公开"
        # t: the method, by its Chinese name; the live check names the consequence first.
        await pilot.press("t")
        await settle(pilot)
        assert app.screen.values()["method"] == "得分"
        await type_text(pilot, "一票否决")
        await settle(pilot)
        # CW: 10 + 8 + 8 + 7 = 33; as a veto CW4 has no points: 26.
        assert "指标 CW 的 max 为 33，但子项满分之和为 26" in app.screen.live_text
        await pilot.press("escape", "y")
        await settle(pilot)
        assert editor.draft.indicator("CW4").method == "points"
        # p: move CW4 under JW; both groups' budgets now disagree with their children.
        await pilot.press("p")
        await settle(pilot)
        await type_text(pilot, "JW")
        await pilot.press("enter")
        await settle(pilot)
        await settle(pilot)
        assert editor.draft.parent_of("CW4") == "JW" and editor._cursor_code() == "CW4"
        assert {p.indicator for p in editor.check.problems} == {"CW", "JW"}
        await pilot.press("z")
        await settle(pilot)
        assert editor.draft.parent_of("CW4") == "CW" and editor.check.ok


async def test_leaving_a_changed_draft_by_fkey_asks_first(sqlite_db):
    actors = make_users(sqlite_db)
    load_scheme(sqlite_db, actors["admin"], "zwgk_2014")
    app = make_app(sqlite_db)
    async with app.run_test(size=SIZE) as pilot:
        await _open_editor(pilot)
        editor = app.screen
        await _go_to(pilot, "A6")
        await _set_max(pilot, "5")
        assert editor.draft.dirty
        await pilot.press("f3")  # another area: the app asks first
        await settle(pilot)
        assert type(app.screen).__name__ == "ConfirmDialog"
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is editor and editor.draft.dirty
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert app.screen.AREA == "units"


async def test_export_defaults_to_the_export_folder_and_writes_0600(sqlite_db, tmp_path, monkeypatch):
    """The draft's default file lies in the office's export folder (created 0700), not in the
    working directory, and is written 0600."""
    folder = tmp_path / "exports"
    monkeypatch.setenv("ASSESS_EXPORT_DIR", str(folder))
    monkeypatch.chdir(tmp_path)
    actors = make_users(sqlite_db)
    load_scheme(sqlite_db, actors["admin"], "zwgk_2014")
    app = make_app(sqlite_db)
    async with app.run_test(size=SIZE) as pilot:
        await _open_editor(pilot)
        editor = app.screen
        await pilot.press("x")
        await settle(pilot)
        assert app.screen.live_text == "将写入新文件 zwgk-草稿.toml"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is editor
    out = folder / "zwgk-草稿.toml"
    assert out.exists() and not (tmp_path / "zwgk-草稿.toml").exists()
    assert (out.stat().st_mode & 0o777, folder.stat().st_mode & 0o777) == (0o600, 0o700)
    assert validate_file(out).scheme.code == "zwgk"
