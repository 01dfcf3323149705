"""帮助: every key of the application, built from the same bindings the app uses."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from tui.base import action_allowed, plain
from tui.nav import AREAS
from tui.tables import TableFill, show_detail

GENERAL_KEYS = [
    ("F1", "本帮助"),
    ("Ctrl+P", "命令面板：按名称搜索任何功能"),
    ("F12", "锁屏"),
    ("Ctrl+Q", "退出"),
    ("Tab / Shift+Tab", "在输入框和表格之间移动"),
    ("↑ ↓ PgUp PgDn", "在表格中移动"),
    ("Enter", "打开或确认"),
    ("Esc", "返回或取消"),
]


class HelpScreen(ModalScreen):
    """Every key; a line cut at the table's width is shown whole under the table."""

    CSS = """
    HelpScreen { align: center middle; }
    #help-table { width: 76; height: 20; border: round $accent; }
    HelpScreen .table-detail { width: 76; }
    """
    BINDINGS = [Binding("escape,f1,q", "dismiss", "关闭")]

    def compose(self) -> ComposeResult:
        yield DataTable(id="help-table", cursor_type="row", show_cursor=True)
        yield Static("Esc 关闭", classes="hint")

    def on_mount(self) -> None:
        table = TableFill(self.query_one(DataTable), "按键", "作用")
        for a in AREAS:
            if not a.open_to(self.app.actor):
                continue
            keys = f"{a.fkey.upper()} / " if a.fkey else ""
            table.add_row(plain(f"{keys}总览中按 {a.letter}"), plain(f"{a.title}：{a.help}"))
        for key, what in GENERAL_KEYS:
            table.add_row(plain(key), plain(what))
        screen = self.app.screen_stack[-2] if len(self.app.screen_stack) > 1 else None

        rights = getattr(screen, "ACTION_RIGHTS", {})  # only what the role may do
        for b in getattr(screen, "BINDINGS", []) if screen is not None else []:
            if isinstance(b, Binding) and b.description and action_allowed(self.app.actor, rights, b.action):
                table.add_row(plain(b.key), plain(f"本屏：{b.description}"))
        table.done()

    @on(DataTable.RowHighlighted)
    def _detail(self, event: DataTable.RowHighlighted) -> None:
        show_detail(event.data_table, event.row_key)
