"""干部测评结果 of a round (勤廉双述): per cadre the score, grade and the reasons for it, as the
command line (``assess cadres results``) and the XLSX report show them — read through
``assess.results.cadre_results`` (names as published for a published round; pooled vote figures only where
the tally publication rule lets them be). The line below the table shows the cursor row whole."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

from assess.results.cadre_results import CADRE_COLUMNS, cadre_result_rows
from tui.base import AssessScreen, error_text, plain
from tui.tables import TableFill


def _cell(value) -> str:
    return "—" if value is None or value == "" else str(value)


def _share(value) -> str:
    return "—" if value is None else f"{value * 100:.2f}%"


class CadreResultsScreen(AssessScreen):
    CSS_PATH = "cadre_results.tcss"
    BINDINGS = [
        Binding("r", "refresh", "刷新"),
        Binding("escape", "leave", "返回"),
    ]

    def __init__(self, round_id: int) -> None:
        super().__init__()
        self.round_id = round_id
        self.results = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="cadre-title", classes="title")
        yield DataTable(id="cadre-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="cadre-detail", classes="status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#cadre-table", DataTable).focus()
        self.action_refresh()

    def action_refresh(self) -> None:
        self.run_core(cadre_result_rows, self.db, self.round_id, on_done=self._show, on_error=self._failed)

    def action_leave(self) -> None:
        self.dismiss(None)

    def _failed(self, exc: BaseException) -> None:
        self.query_one("#cadre-title", Static).update(plain(f"干部测评结果：{error_text(exc)}"))

    def _show(self, results) -> None:
        self.results = results
        self.query_one("#cadre-title", Static).update(
            plain(f"干部测评结果 · {results.title} · {len(results.rows)} 人")
        )
        # The detail line under the table (_detail) shows the highlighted row whole.
        table = TableFill(self.query_one("#cadre-table", DataTable), "编码", "干部", "单位", "得分", "等次", "说明",
                          detail=False)
        for i, r in enumerate(results.rows):
            table.add_row(
                plain(r["cadre_code"]),
                plain(r["cadre_name"]),
                plain(_cell(r["unit_name"])),
                results.score_text(r["score"]),
                plain(_cell(r["grade"])),
                plain(r["flags"] or r["note"] or ""),
                key=str(i),
            )
        table.done()
        self._detail(0)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is not None and event.row_key.value is not None:
            self._detail(int(event.row_key.value))

    def _detail(self, i: int) -> None:
        res = self.results
        if res is None or not res.rows:
            return
        r = res.rows[i]
        h = {k: res.headers[CADRE_COLUMNS.index(k)] for k in ("unfit_share", "fit_share")}
        parts = [
            f"{r['cadre_code']} {r['cadre_name']}（{_cell(r['unit_name'])} {_cell(r['position'])}）",
            f"会议 #{r['session_id']}",
            f"得分 {res.score_text(r['score'])}",
            f"等次 {_cell(r['grade'])}",
            f"计分票 {_cell(r['counted'])}",
            f"{h['unfit_share']} {_share(r['unfit_share'])}",
            f"{h['fit_share']} {_share(r['fit_share'])}",
        ]
        text = " · ".join(parts)
        for extra in (r["flags"], r["note"]):
            if extra:
                text += f"\n{extra}"
        self.query_one("#cadre-detail", Static).update(plain(text))
