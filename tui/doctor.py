"""检查服务器设置: the findings of ``assess doctor`` (assess.integrity.doctor.run_checks) in a dialog, from
the command palette. Keyboard only: ↑↓ to move, Enter shows a finding's fix, g runs the checks
again, Esc closes."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from assess.integrity.doctor import LEVELS, failed, run_checks
from tui.base import plain
from tui.tables import TableFill


class DoctorScreen(ModalScreen):
    CSS = """
    DoctorScreen { align: center middle; }
    #doctor-box { width: 78; height: 22; border: round $accent; }
    #doctor-table { height: 1fr; }
    #doctor-detail { height: 4; }
    """
    BINDINGS = [Binding("escape,q", "dismiss", "关闭"), Binding("g", "run", "重新检查")]

    def __init__(self) -> None:
        super().__init__()
        self.findings: list = []

    def compose(self) -> ComposeResult:
        from textual.containers import Vertical

        with Vertical(id="doctor-box"):
            yield Static("检查服务器设置（同 assess doctor）", classes="title")
            yield DataTable(id="doctor-table", cursor_type="row", zebra_stripes=True)
            yield Static("正在检查…", id="doctor-detail")
            yield Static("↑↓ 选择 · g 重新检查 · Esc 关闭", classes="hint")

    def on_mount(self) -> None:
        self.action_run()

    def action_run(self) -> None:
        self.query_one("#doctor-detail", Static).update("正在检查…")
        self._check(self.app.db_url)

    @work(thread=True, exclusive=True, name="doctor")
    def _check(self, db_url: str) -> None:
        findings = run_checks(db_url)
        self.app.call_from_thread(self._show, findings)

    def _show(self, findings) -> None:
        self.findings = findings
        table = TableFill(self.query_one(DataTable), "结果", "项目", "情况")
        for f in findings:
            table.add_row(plain(LEVELS[f.level]), plain(f.check), plain(f.message))
        table.done()
        errors = sum(f.level == "error" for f in findings)
        summary = f"共 {len(findings)} 项，{errors} 项问题。" if failed(findings) else f"共 {len(findings)} 项，没有问题。"
        self.query_one("#doctor-detail", Static).update(plain(summary + " 选中一项查看处理办法。"))
        self.query_one(DataTable).focus()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if 0 <= event.cursor_row < len(self.findings):
            f = self.findings[event.cursor_row]
            text = f"{f.check}：{f.message}" + (f"\n处理：{f.fix}" if f.fix else "")
            self.query_one("#doctor-detail", Static).update(plain(text))
