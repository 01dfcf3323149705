"""年度考核 of an annual round (``assess.results.annual``): per unit each quarter, the quarterly average,
the year-end (年终) composite, the weights, the annual composite, rank and grade; the panel under
the table explains the highlighted unit's formula with its numbers (``annual.explain``)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

from assess.results.annual import explain, view
from assess.results.compute import compute_round
from tui.base import AssessScreen, error_text, plain
from tui.tables import TableFill


def _num(v, p: int) -> str:
    return "—" if v is None or v != v else f"{float(v):.{p}f}"


class AnnualScreen(AssessScreen):
    CSS_PATH = "annual.tcss"
    BINDINGS = [
        Binding("c", "compute", "计算"),
        Binding("r", "refresh", "刷新"),
        Binding("escape", "leave", "返回"),
    ]
    ACTION_RIGHTS = {"compute": "results.compute"}

    def __init__(self, round_id: int) -> None:
        super().__init__()
        self.round_id = round_id
        self.view = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("年度考核", id="annual-title", classes="title")
        yield DataTable(id="annual-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="annual-detail", classes="status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#annual-table", DataTable).focus()
        self.action_refresh()

    def palette_commands(self):
        from textual.app import SystemCommand

        if self.may("compute"):
            yield SystemCommand("年度考核：计算", "合成各季度与年终考核，排名、等次、问责名单（c）", self.action_compute)

    def action_leave(self) -> None:
        self.dismiss(None)

    def action_refresh(self) -> None:
        self.run_core(view, self.db, self.round_id, on_done=self._show, on_error=self._failed, latest="load")

    def action_compute(self) -> None:
        self.run_core(
            compute_round, self.db, self.actor, self.round_id,
            on_done=lambda summary: (self.show_info(summary.message()), self.action_refresh()),
        )

    def _failed(self, exc: BaseException) -> None:
        self.query_one("#annual-title", Static).update(plain(f"年度考核：{error_text(exc)}"))

    def _show(self, v) -> None:
        self.view = v
        w = v.weights
        sources = "、".join(s["period"] for s in v.sources) or "无已公示的季度轮次"
        self.query_one("#annual-title", Static).update(
            plain(
                f"{v.name} · 年度综合 = 季度平均 × {w.get('quarters', 0):g}% + 年终 × {w.get('year_end', 0):g}%"
                f"（{v.precision} 位小数后排名）\n季度轮次：{sources}"
            )
        )
        p = v.precision
        table = TableFill(
            self.query_one("#annual-table", DataTable),
            "类别", "名次", "单位", "一季", "二季", "三季", "四季", "季均", "年终", "年度", "等次",
            detail=False,
        )
        for i, r in enumerate(v.rows):
            table.add_row(
                plain(r["category"]),
                str(r["rank"]),
                plain(r["name"]),
                *(_num(r[f"q{q}"], p) for q in (1, 2, 3, 4)),
                _num(r["quarter_avg"], p),
                _num(r["year_end"], p),
                _num(r["composite"], p),
                plain(r["grade"]),
                key=str(i),
            )
        table.done()
        if not v.rows:
            self.query_one("#annual-detail", Static).update(
                plain("尚未计算：年终考核的自查、抽查、评议完成后按 c 计算年度结果。")
            )
        else:
            self._detail(0)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is not None and event.row_key.value is not None and self.view is not None:
            self._detail(int(event.row_key.value))

    def _detail(self, i: int) -> None:
        v = self.view
        if v is None or not v.rows:
            return
        code = v.rows[i]["code"]
        self.run_core(
            explain, self.db, self.round_id, code,
            on_done=lambda lines: self.query_one("#annual-detail", Static).update(plain("\n".join(lines))),
            latest="detail",
        )
