"""加减分与处理记录: a round's 加减分 entries and discipline records; add, import, switch rounds."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

from assess.foundation.users import names_of
from assess.foundation.vocabulary import Stage
from assess.org import adjustments
from assess.org.adjustments import import_adjustments, list_adjustments, list_discipline
from assess.results.views import round_choices
from tui.base import AssessScreen, plain
from tui.forms import FieldSpec, FormDialog, ImportDialog
from tui.tables import TableFill


class AdjustmentsScreen(AssessScreen):
    AREA = "adjust"
    BINDINGS = [
        Binding("r", "next_round", "换轮次"),
        Binding("t", "switch", "加减分/处理记录"),
        Binding("a", "add", "登记"),
        Binding("i", "import", "导入"),
        Binding("g", "refresh", "刷新", show=False),
    ]
    ACTION_RIGHTS = {"add": ("adjustment.add", "discipline.add"), "import": "adjustment.add"}

    def __init__(self) -> None:
        super().__init__()
        self.rounds: list = []
        self.index = 0
        self.mode = "adjust"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="adj-title", classes="title")
        yield DataTable(id="adj-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="adj-status", classes="status")
        yield Footer()

    def on_mount(self) -> None:
        self.run_core(round_choices, self.db, on_done=self._rounds)

    def palette_commands(self):
        from textual.app import SystemCommand

        yield SystemCommand("加减分：登记", "为参评单位登记加分或扣分", self.action_add)
        yield SystemCommand("加减分：导入", "从 CSV/XLSX 导入加减分", self.action_import)
        yield SystemCommand("处理记录：切换", "在加减分与处理记录之间切换", self.action_switch)

    def _rounds(self, rounds) -> None:
        self.rounds = [r for r in rounds if r.stage != Stage.PUBLISHED] + [r for r in rounds if r.stage == Stage.PUBLISHED]
        self.action_refresh()

    @property
    def round(self):
        return self.rounds[self.index] if self.rounds else None

    def action_next_round(self) -> None:
        if self.rounds:
            self.index = (self.index + 1) % len(self.rounds)
            self.action_refresh()

    def action_switch(self) -> None:
        self.mode = "discipline" if self.mode == "adjust" else "adjust"
        self.action_refresh()

    def action_refresh(self) -> None:
        r = self.round
        if r is None:
            self.query_one("#adj-title", Static).update("还没有考核轮次")
            return
        what = "加减分" if self.mode == "adjust" else "处理记录"
        frozen = "（已公示冻结，只读）" if r.stage == Stage.PUBLISHED else ""
        self.query_one("#adj-title", Static).update(plain(f"{what} · {r.period} {r.name}{frozen}"))
        fn = list_adjustments if self.mode == "adjust" else list_discipline

        def load(db, rid):
            return fn(db, rid), names_of(db)

        self.run_core(load, self.db, r.id, on_done=self._show, latest="load")

    def _show(self, result) -> None:
        rows, names = result
        grid = self.query_one("#adj-table", DataTable)
        if self.mode == "adjust":
            table = TableFill(grid, "单位", "分值", "理由", "依据", "登记人")
            for a in rows:
                table.add_row(plain(f"{a.unit_code} {a.unit_name}"), f"{a.points:+g}", plain(a.reason),
                              plain(a.source or ""), plain(names.get(a.created_by, a.created_by)))
            total = sum(a.points for a in rows)
            status = f"{len(rows)} 条，合计 {total:+g} 分 · a 登记 · i 导入 · t 处理记录 · r 换轮次"
        else:
            table = TableFill(grid, "对象", "类别", "说明", "登记人")
            for d in rows:
                table.add_row(plain(d.subject), plain(d.kind), plain(d.note or ""),
                              plain(names.get(d.created_by, d.created_by)))
            status = f"{len(rows)} 条 · a 登记 · t 加减分 · r 换轮次"
        table.done()
        self.query_one("#adj-status", Static).update(plain(status))

    def _done(self, message: str):
        def after(result) -> None:
            if result:
                self.show_info(message)
                self.action_refresh()

        return after

    def action_add(self) -> None:
        r = self.round
        if r is None:
            return
        db, actor = self.db, self.actor
        if self.mode == "adjust":
            fields = [FieldSpec("unit", "单位编码"), FieldSpec("points", "分值（加分为正，扣分为负）"),
                      FieldSpec("reason", "理由"), FieldSpec("source", "依据（文件或通报编号，可空）")]
            self.app.push_screen(FormDialog(f"登记加减分 · {r.period}", fields, lambda v: adjustments.add_adjustment(
                db, actor, r.id, v["unit"], v["points"], v["reason"], v["source"] or None)), self._done("已登记加减分"))
        else:
            fields = [FieldSpec("kind", "类别", placeholder="、".join(adjustments.DISCIPLINE_KINDS)),
                      FieldSpec("unit", "单位编码（与干部编码二选一）"), FieldSpec("cadre", "干部编码"),
                      FieldSpec("note", "说明")]
            self.app.push_screen(FormDialog(f"登记处理记录 · {r.period}", fields, lambda v: adjustments.add_discipline(
                db, actor, r.id, v["kind"], unit_code=v["unit"] or None, cadre_code=v["cadre"] or None,
                note=v["note"] or None)), self._done("已登记处理记录"))

    def action_import(self) -> None:
        r = self.round
        if r is None or self.mode != "adjust":
            return
        db, actor = self.db, self.actor
        self.app.push_screen(ImportDialog(f"导入加减分 · {r.period}", "表头：unit_code,points,reason[,source]；有任何错误则全部不导入。",
                                          lambda p: import_adjustments(db, actor, r.id, p)),
                             self._done("已导入加减分"))
