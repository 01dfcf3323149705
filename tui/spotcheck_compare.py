"""自查与核查对比: per drawn unit and indicator, the self-check and verified values and points,
the difference, and the 虚报 flag (self points above verified by more than the tolerance)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

from assess.foundation.vocabulary import METHOD_LABELS
from assess.rounds.verified import compare
from tui.base import AssessScreen, plain
from tui.tables import TableFill, cell


def _fmt(v: float | None) -> str:
    return "" if v is None else f"{v:.2f}".rstrip("0").rstrip(".")


class ComparisonScreen(AssessScreen):
    BINDINGS = [
        Binding("escape", "back", "返回"),
        Binding("f", "toggle", "只看虚报"),
        Binding("g", "refresh", "刷新", show=False),
    ]
    CSS = """
    #cmp-table { height: 1fr; }
    #cmp-detail { height: 2; padding: 0 1; }
    """

    def __init__(self, round_id: int) -> None:
        super().__init__()
        self.round_id = round_id
        self.rows: list = []
        self.only_flagged = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("自查与核查对比", id="cmp-title", classes="title")
        yield DataTable(id="cmp-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="cmp-detail")
        yield Static("f 只看虚报/全部 · Esc 返回", id="cmp-status", classes="status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self.action_refresh()

    def action_refresh(self) -> None:
        self.run_core(compare, self.db, self.round_id, on_done=self._show, latest="load")

    def _show(self, rows) -> None:
        self.rows = rows
        table = TableFill(self.query_one(DataTable), "单位", "指标", "自查", "核查", "自查分", "核查分", "差", "标记")
        shown = [r for r in rows if r.false_report] if self.only_flagged else rows
        for i, r in enumerate(shown):
            flag = cell("虚报", "bold red") if r.false_report else ""
            table.add_row(
                cell(r.unit_code),
                cell(r.indicator_code),
                _fmt(r.self_value),
                _fmt(r.verified_value),
                _fmt(r.self_points),
                _fmt(r.verified_points),
                _fmt(r.difference),
                flag,
                key=str(i),
            )
        table.done()
        flagged = sum(1 for r in rows if r.false_report)
        units = len({r.unit_code for r in rows})
        text = f"核查单位 {units} 个，指标 {len(rows)} 项，虚报 {flagged} 项"
        if not rows:
            text = "本轮尚未抽取核查单位。"
        self.query_one("#cmp-detail", Static).update(plain(text))
        self._shown = shown

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        shown = getattr(self, "_shown", [])
        if event.cursor_row < len(shown):
            r = shown[event.cursor_row]
            method = METHOD_LABELS.get(r.method, r.method)
            text = f"{r.unit_code} {r.unit_name} · {r.indicator_code} {r.indicator_name}（{method}，满分 {r.max:g}）"
            if r.verified_note:
                text += f"\n核查说明：{r.verified_note}"
            self.query_one("#cmp-detail", Static).update(plain(text))

    def action_toggle(self) -> None:
        self.only_flagged = not self.only_flagged
        self._show(self.rows)

    def action_back(self) -> None:
        self.app.pop_screen()
