"""单位与干部: list, search, add, edit, deactivate and import units and cadres."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Input, Static

from assess.appraisal.pledges import pledge_text, record_pledge
from assess.foundation.errors import Conflict
from assess.foundation.settings import local_today
from assess.org import units
from assess.org.units import list_cadres, list_units
from tui.base import AssessScreen, plain
from tui.forms import ConfirmDialog, FieldSpec, FormDialog, ImportDialog
from tui.tables import TableFill
from tui.text_input import TextInput


class UnitsScreen(AssessScreen):
    AREA = "units"
    CSS_PATH = "units.tcss"
    BINDINGS = [
        Binding("a", "add", "新增"),
        Binding("e,enter", "edit", "修改"),
        Binding("x", "toggle_active", "停用/启用"),
        Binding("i", "import", "导入"),
        Binding("t", "switch", "单位/干部"),
        Binding("p", "pledge", "年初承诺", show=False),
        Binding("slash", "search", "搜索"),
        Binding("escape", "leave_search", "返回表格", show=False),
    ]
    ACTION_RIGHTS = {"add": ("unit.add", "cadre.add"), "edit": ("unit.edit", "cadre.edit"),
                     "toggle_active": ("unit.deactivate", "cadre.deactivate"), "import": ("unit.import", "cadre.import"),
                     "pledge": "cadre.pledge"}

    def __init__(self) -> None:
        super().__init__()
        self.mode = "units"
        self.rows: dict[str, object] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="units-title", classes="title")
        yield TextInput(placeholder="搜索编码、名称、类别（/ 聚焦，Esc 返回表格）", id="units-search")
        yield DataTable(id="units-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="units-status", classes="status")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_rows()
        self.query_one("#units-table", DataTable).focus()

    def palette_commands(self):
        from textual.app import SystemCommand

        yield SystemCommand("单位：新增", "新增一个单位或干部", self.action_add)
        yield SystemCommand("单位：导入名单", "从 CSV/XLSX 导入", self.action_import)
        yield SystemCommand("单位：切换单位/干部", "在单位与干部列表之间切换", self.action_switch)
        yield SystemCommand("单位：干部年初承诺", "登记所选干部的年初承诺（干部列表中按 p）", self.action_pledge)

    # -- data ---------------------------------------------------------------------------------
    def refresh_rows(self) -> None:
        term = self.query_one("#units-search", Input).value
        fn = list_units if self.mode == "units" else list_cadres
        self.run_core(fn, self.db, term, on_done=self._show, latest="load")

    def _show(self, rows) -> None:
        table = self.query_one("#units-table", DataTable)
        keep = table.cursor_row
        self.rows = {}
        if self.mode == "units":
            self.query_one("#units-title", Static).update("单位（t 切换到干部）")
            fill = TableFill(table, "编码", "名称", "类别", "上级", "状态")
            for u in rows:
                self.rows[u.code] = u
                fill.add_row(plain(u.code), plain(u.name), plain(u.category), plain(u.parent_code or ""),
                              "在用" if u.active else "已停用", key=u.code)
        else:
            self.query_one("#units-title", Static).update("干部（t 切换到单位）")
            fill = TableFill(table, "编码", "姓名", "单位", "职务", "风险", "状态")
            for c in rows:
                self.rows[c.code] = c
                fill.add_row(plain(c.code), plain(c.name), plain(c.unit_name), plain(c.position),
                              plain(c.risk_level or ""), "在用" if c.active else "已停用", key=c.code)
        fill.done()
        if rows:
            table.move_cursor(row=min(keep, len(rows) - 1))
        what = "单位" if self.mode == "units" else "干部"
        self.query_one("#units-status", Static).update(plain(f"共 {len(rows)} 个{what} · a 新增 · e 修改 · x 停用/启用 · i 导入"))

    def _current(self):
        table = self.query_one("#units-table", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.rows.get(key)

    # -- actions ------------------------------------------------------------------------------
    @on(Input.Changed, "#units-search")
    def _search_changed(self) -> None:
        self.refresh_rows()

    @on(Input.Submitted, "#units-search")
    def action_leave_search(self) -> None:
        self.query_one("#units-table", DataTable).focus()

    def action_search(self) -> None:
        self.query_one("#units-search", Input).focus()

    def action_switch(self) -> None:
        self.mode = "cadres" if self.mode == "units" else "units"
        self.refresh_rows()

    def _after(self, message: str):
        def done(result) -> None:
            if result:
                self.show_info(message)
                self.refresh_rows()

        return done

    def action_add(self) -> None:
        db, actor = self.db, self.actor
        if self.mode == "units":
            fields = [FieldSpec("code", "单位编码"), FieldSpec("name", "单位名称"), FieldSpec("category", "单位类别", placeholder="如 政府部门"),
                      FieldSpec("parent_code", "上级单位编码（可空）")]
            self.app.push_screen(FormDialog("新增单位", fields, lambda v: units.add_unit(
                db, actor, v["code"], v["name"], v["category"], v["parent_code"] or None)), self._after("已新增单位"))
        else:
            fields = [FieldSpec("code", "干部编码"), FieldSpec("name", "姓名"), FieldSpec("unit_code", "所在单位编码"),
                      FieldSpec("position", "职务"), FieldSpec("risk_level", "廉政风险等级（A/B/C，可空）")]
            self.app.push_screen(FormDialog("新增干部", fields, lambda v: units.add_cadre(
                db, actor, v["code"], v["name"], v["unit_code"], v["position"], v["risk_level"] or None)), self._after("已新增干部"))

    def action_edit(self) -> None:
        row = self._current()
        if row is None:
            return
        db, actor = self.db, self.actor
        if self.mode == "units":
            fields = [FieldSpec("code", "单位编码", row.code, disabled=True), FieldSpec("name", "单位名称", row.name),
                      FieldSpec("category", "单位类别", row.category), FieldSpec("parent_code", "上级单位编码（可空）", row.parent_code or "")]
            self.app.push_screen(FormDialog(f"修改单位 {row.code}", fields, lambda v: units.edit_unit(
                db, actor, row.code, name=v["name"], category=v["category"], parent_code=v["parent_code"]) or True),
                self._after("已保存"))
        else:
            fields = [FieldSpec("code", "干部编码", row.code, disabled=True), FieldSpec("name", "姓名", row.name),
                      FieldSpec("unit_code", "所在单位编码", row.unit_code), FieldSpec("position", "职务", row.position),
                      FieldSpec("risk_level", "廉政风险等级（A/B/C，可空）", row.risk_level or "")]
            self.app.push_screen(FormDialog(f"修改干部 {row.code}", fields, lambda v: units.edit_cadre(
                db, actor, row.code, name=v["name"], unit_code=v["unit_code"], position=v["position"],
                risk_level=v["risk_level"]) or True), self._after("已保存"))

    def action_pledge(self) -> None:
        """年初承诺 of the selected cadre (this year unless another is typed)."""


        row = self._current()
        if self.mode != "cadres" or row is None:
            self.show_error("年初承诺：请先按 t 切换到干部列表并选中一名干部。")
            return
        db, actor, code, year = self.db, self.actor, row.code, local_today().year

        def ask(current) -> None:
            fields = [FieldSpec("year", "年度", str(year)), FieldSpec("text", "承诺内容", current or "")]
            self.app.push_screen(FormDialog(f"年初承诺 {code} {row.name}", fields, lambda v: record_pledge(
                db, actor, code, _year(v["year"]), v["text"])), self._after("已登记年初承诺"))

        self.run_core(pledge_text, db, code, year, on_done=ask)

    def action_toggle_active(self) -> None:
        row = self._current()
        if row is None:
            return
        verb = "停用" if row.active else "启用"
        fn = units.set_unit_active if self.mode == "units" else units.set_cadre_active

        def confirmed(ok: bool | None) -> None:
            if ok:
                self.run_core(fn, self.db, self.actor, row.code, not row.active,
                              on_done=lambda _r: (self.show_info(f"已{verb} {row.code}"), self.refresh_rows()))

        self.app.push_screen(ConfirmDialog(f"{verb} {row.code} {row.name}？（不会删除任何记录）"), confirmed)

    def action_import(self) -> None:
        db, actor = self.db, self.actor
        if self.mode == "units":
            dialog = ImportDialog("导入单位", "CSV/XLSX，表头：code,name,category[,parent_code]；有任何错误则全部不导入。",
                                  lambda p: units.import_units(db, actor, p))
        else:
            dialog = ImportDialog("导入干部", "CSV/XLSX，表头：code,name,unit_code,position[,risk_level]；有任何错误则全部不导入。",
                                  lambda p: units.import_cadres(db, actor, p))

        def done(n) -> None:
            if n:
                self.show_info(f"已导入 {n} 条")
                self.refresh_rows()

        self.app.push_screen(dialog, done)


def _year(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise Conflict(f"年度“{text}”无效，应为如 2026 的四位数字。") from None
