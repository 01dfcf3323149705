"""Tables at 80×24: explicit column widths from the content the moment a table is filled (never the
header width while Textual waits for idle), long cells cut with … and shown whole in the detail line,
and the demo's screens in Chinese (no stored codes, people by display name)."""

from __future__ import annotations

import re

from rich.cells import cell_len
from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable, Static

from assess.demo.office import DEMO_PASSWORD, DEMO_USERS, demo_actors
from tui.nav import AREAS
from tui.tables import TableFill, column_widths, show_detail

from .tui_helpers import SIZE, login, make_app, screen_text, settle

LONG_UNIT = "县人力资源和社会保障局劳动保障监察大队暨农民工工资支付保障专项工作领导小组办公室（临时机构）"


class OneTable(App):
    def __init__(self, rows) -> None:
        super().__init__()
        self.rows = rows
        self.widths_when_filled: list[int] = []

    def compose(self) -> ComposeResult:
        yield DataTable(id="t", cursor_type="row")

    def on_mount(self) -> None:
        self.call_after_refresh(self.fill)

    def fill(self) -> None:
        table = TableFill(self.query_one(DataTable), "编号", "名称", "状态")
        for i, (name, state) in enumerate(self.rows):
            table.add_row(str(i + 1), Text(name), state, key=str(i))
        table.done()
        # Read at once: no idle has run since the rows went in.
        self.widths_when_filled = [c.width for c in self.query_one(DataTable).columns.values()]

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        show_detail(event.data_table, event.row_key)  # as every screen does (tui/base.py)


def test_widths_follow_content_and_the_widest_column_takes_the_rest():
    # Hand-computed: 80 columns, 2 for the scrollbar, 2×3 of cell padding → 72 cells for content.
    assert column_widths(["编号", "名称", "状态"], [["1", "县民政局", "在用"]], 78) == [4, 8, 4]
    assert column_widths(["编号", "名称", "状态"], [["1", "局" * 60, "在用"]], 78) == [4, 64, 4]
    # Three long columns: the others are capped at 18, the widest gets the remaining 54 − 36 = 18.
    assert column_widths(["a", "b", "c"], [["x" * 30, "y" * 50, "z" * 40]], 60) == [18, 18, 18]
    # Never narrower than a header, even when nothing fits.
    assert column_widths(["名次名次", "单位"], [["1", "局" * 50]], 10) == [8, 4]


async def test_widths_are_set_as_the_table_is_filled():
    app = OneTable([("县民政局", "在用"), ("县人力资源和社会保障局", "已停用")])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        # 县人力资源和社会保障局 is 11 characters, 22 cells; 已停用 6 cells.
        assert app.widths_when_filled == [4, 22, 6]
        table = app.query_one(DataTable)
        assert not any(c.auto_width for c in table.columns.values())
        assert not app.query(".table-detail") or not app.query_one(".table-detail", Static).display


async def test_a_long_cell_ends_with_an_ellipsis_and_the_detail_shows_it_whole():
    app = OneTable([("县民政局", "在用"), (LONG_UNIT, "在用")])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.query_one(DataTable)
        assert app.widths_when_filled == [4, 64, 4]
        shown = table.get_row("1")[1]
        # 31 characters (62 cells) and …: a 32nd would leave no room for the …
        assert shown.plain == LONG_UNIT[:31] + "…"
        detail = app.query_one(".table-detail", Static)
        assert not detail.display  # the first row is not cut
        await pilot.press("down")
        await pilot.pause()
        assert detail.display and str(detail.render()) == f"名称：{LONG_UNIT}"
        await pilot.press("up")
        await pilot.pause()
        assert not detail.display


def cut_without_ellipsis(app, cut: list[str] | None = None) -> list:
    """What on the screen is cut without …: a cell wider than its column, columns wider than the
    table, a text needing more lines than its widget has. The cells cut with … go to ``cut``."""
    cut = [] if cut is None else cut
    problems = []
    for table in app.screen.query(DataTable):
        columns = list(table.columns.values())
        for row_key in table.rows:
            for column, value in zip(columns, table.get_row(row_key), strict=True):
                text = value.plain if isinstance(value, Text) else str(value)
                if cell_len(text) > column.width:
                    problems.append((table.id, text, column.width))
                if text.endswith("…"):
                    cut.append(text)
        if len(columns) <= 8:  # wide tally tables scroll sideways by design
            total = sum(c.get_render_width(table) for c in columns)
            if total > table.size.width:
                problems.append((table.id, total, table.size.width))
    for w in app.screen.query(Static):
        if not w.display or w.size.width == 0 or w.parent is None or not w.parent.display:
            continue
        needed = w.get_content_height(w.size, app.size, w.size.width)
        if needed > w.size.height:
            problems.append((type(app.screen).__name__, w.id, str(w.render()), needed, w.size.height))
    return problems


async def test_key_screens_at_80x24_cut_only_with_an_ellipsis_and_show_the_whole(demo_db):
    from assess.org import units

    admin = demo_actors()["admin"]
    code = units.list_units(demo_db, "县人力资源和社会保障局")[0].code
    units.edit_unit(demo_db, admin, code, name=LONG_UNIT)
    app = make_app(demo_db)
    problems = []
    visited: set[str] = set()
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "admin", DEMO_PASSWORD)
        # Each path from the dashboard: the areas, the rounds' sub-screens (自查, 抽查, 整改), a scheme's
        # indicator tree (适用类别), a meeting's batches (its status line), the cadres' results.
        for path in (["u"], ["r"], ["r", "s"], ["r", "c"], ["r", "f"], ["s"], ["s", "enter"], ["b"],
                     ["b", "enter"], ["k"], ["k", "d"], ["a"], ["e"], ["j"], ["h"], ["p"], ["y"], ["l"]):
            await pilot.press("f2")
            await settle(pilot)
            for key in path:
                await pilot.press(key)
                await settle(pilot)
            visited.add(type(app.screen).__name__)
            problems += [(path, type(app.screen).__name__, *p) for p in cut_without_ellipsis(app)]
        assert {"ScoreEntryScreen", "SpotCheckScreen", "FindingsScreen", "SessionScreen",
                "CadreResultsScreen"} <= visited, visited
        # The units list: the long name is cut, and its row's detail line shows it whole.
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        keys = [k.value for k in table.rows]
        table.move_cursor(row=keys.index(code))
        await settle(pilot)
        cut: list[str] = []
        problems += cut_without_ellipsis(app, cut)
        assert any(LONG_UNIT.startswith(c[:-1]) for c in cut)
        detail = app.screen.query_one(".table-detail", Static)
        assert detail.display and LONG_UNIT in str(detail.render())
        # F1 help: every line fits or is cut with …, the highlighted one shown whole.
        await pilot.press("f1")
        await settle(pilot)
        problems += cut_without_ellipsis(app)
    assert problems == []


CODES = [
    "points", "deduct", "bonus", "ratio", "veto", "unit", "cadre", "ld", "rd", "zg", "fw", "proposed",
    "confirmed", "enterprise", "person",
    "draft", "selfcheck_open", "selfcheck_closed", "spotcheck_drawn", "spotcheck_done", "appraisal_certified",
    "computed", "under_review", "approved", "published",
]
LOGINS = [u for u, _role, _name in DEMO_USERS]
WORD = re.compile(r"(?<![A-Za-z0-9_.-])(" + "|".join(map(re.escape, CODES + LOGINS)) + r")(?![A-Za-z0-9_])")


async def test_demo_screens_show_no_codes_and_no_login_names(demo_db):
    app = make_app(demo_db)
    found: dict[str, list[str]] = {}
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "admin", DEMO_PASSWORD)
        for area in AREAS:
            await pilot.press("f2")
            await settle(pilot)
            await pilot.press(area.letter)
            await settle(pilot)
            text = screen_text(app)
            if area.name == "users":  # the login name is what this screen manages
                text = "\n".join(line for line in text.splitlines() if not any(
                    line.startswith(f"{u} ") for u in LOGINS))
            hits = sorted(set(WORD.findall(text)))
            if hits:
                found[area.name] = hits
            # the batches of the first meeting, and the rounds' sub-screens
            if area.name == "rankings":
                await pilot.press("d")
                await settle(pilot)
                hits = sorted(set(WORD.findall(screen_text(app))))
                if hits:
                    found["rankings/cadres"] = hits
            if area.name == "ballots":
                await pilot.press("enter")
                await settle(pilot)
                hits = sorted(set(WORD.findall(screen_text(app))))
                if hits:
                    found["ballots/session"] = hits
            if area.name == "rounds":
                for sub in ("s", "c", "f"):
                    await pilot.press("f2")
                    await settle(pilot)
                    await pilot.press("r")
                    await settle(pilot)
                    await pilot.press(sub)
                    await settle(pilot)
                    hits = sorted(set(WORD.findall(screen_text(app))))
                    if hits:
                        found[f"rounds/{sub}"] = hits
    assert found == {}
