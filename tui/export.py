"""导出报告: choose a round and formats, write the publication report with a progress bar (cancel
with Esc or c), and preview the ranking as text bars (most SSH terminals cannot show images).

The report is written by ``assess.reports.bundle.build_report`` in a worker thread; Chromium
is started in a worker when the screen opens, so the first chart does not wait for it.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.markup import escape
from textual.widgets import DataTable, Footer, Header, Input, ProgressBar, Static

from assess.foundation.errors import AssessError
from assess.foundation.settings import office
from assess.reports.bundle import FORMATS, ReportCancelled, build_report
from assess.reports.images import warm_up
from assess.reports.preview import ranking_preview, rounds_with_results
from tui.base import AssessScreen, error_text, plain
from tui.tables import TableFill
from tui.text_input import TextInput

log = logging.getLogger("assess.ui")

# key → (format, label), in the order shown
FORMAT_KEYS = {
    "p": ("pdf", "PDF"),
    "h": ("html", "HTML"),
    "x": ("xlsx", "XLSX"),
    "g": ("png", "PNG"),
    "v": ("svg", "SVG"),
    "b": ("csv", "CSV"),
    "n": ("notice", "公示"),
    "z": ("rectification", "整改"),
    "d": ("docx", "DOCX公文"),
}
IMAGE_FORMATS = {"pdf", "png", "svg"}


def default_out_dir() -> str:
    return str(office().export_dir)


class ExportScreen(AssessScreen):
    AREA = "export"
    CSS_PATH = "export.tcss"
    BINDINGS = [
        Binding("r", "export", "生成报告"),
        Binding("c", "cancel", "取消"),
        Binding("escape", "cancel", "取消", show=False),
        Binding("o", "edit_out", "输出目录"),
        *[Binding(k, f"toggle('{fmt}')", label, show=False) for k, (fmt, label) in FORMAT_KEYS.items()],
    ]

    def __init__(self) -> None:
        super().__init__()
        self.formats: set[str] = {"pdf", "html", "xlsx", "png", "notice"}
        self.rounds: dict[str, object] = {}
        self.running = False
        self.cancel_event = threading.Event()
        self.images_note = ""
        self.last_result = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("导出报告 · 选择轮次（↑↓）", classes="title", id="export-title")
        yield DataTable(id="export-rounds", cursor_type="row", zebra_stripes=True)
        yield Static("", id="export-formats")
        yield TextInput(value=default_out_dir(), placeholder="输出目录", id="export-out")
        yield ProgressBar(total=1, show_eta=False, id="export-progress")
        yield Static("", id="export-status", classes="status")
        with VerticalScroll(id="export-preview"):
            yield Static("", id="export-bars")
        yield Footer()

    def on_mount(self) -> None:
        self._show_formats()
        self._status("正在读取轮次…")
        self._background(rounds_with_results, self.db, on_done=self._show_rounds)
        self._background(warm_up, on_done=self._warmed)
        self.query_one("#export-rounds", DataTable).focus()

    def palette_commands(self):
        from textual.app import SystemCommand

        yield SystemCommand("导出：生成报告", "按所选格式生成当前轮次的报告（r）", self.action_export)
        yield SystemCommand("导出：取消", "取消正在进行的导出（Esc / c）", self.action_cancel)

    # -- display ------------------------------------------------------------------------------
    @property
    def shown(self) -> bool:
        """Still on screen: an export goes on when the user leaves, its updates then have nowhere to go."""
        return self.is_attached and self.is_mounted

    def _status(self, text: str) -> None:
        if self.shown:
            self.query_one("#export-status", Static).update(plain(text))

    def _show_formats(self) -> None:
        parts = [
            f"[{'x' if fmt in self.formats else ' '}]{k} {label}" for k, (fmt, label) in FORMAT_KEYS.items()
        ]
        self.query_one("#export-formats", Static).update(plain(" ".join(parts)))

    def _warmed(self, message: str | None) -> None:
        self.images_note = message or ""
        if not self.shown:
            return
        if message:
            self.show_info(message)
        self._idle_status()

    def _idle_status(self) -> None:
        if self.running:
            return
        if not self.rounds:
            self._status("还没有已计算结果的考核轮次。")
        elif self.images_note:
            self._status("未找到 Chromium：只能导出 HTML/XLSX/CSV/通知文本 · r 生成")
        else:
            self._status("r 生成报告 · p/h/x/g/v/b/n/z 选择格式 · o 输出目录")

    def _show_rounds(self, rounds) -> None:
        if not self.shown:
            return
        table = TableFill(self.query_one("#export-rounds", DataTable), "轮次", "期间", "阶段", "单位")
        self.rounds = {}
        for r in rounds:
            self.rounds[str(r.id)] = r
            table.add_row(plain(r.name), plain(r.period), plain(r.stage_label), str(r.units), key=str(r.id))
        table.done()
        self._idle_status()
        if not rounds:
            self.query_one("#export-bars", Static).update(plain("（暂无可导出的轮次）"))
            return
        self._preview(next(iter(self.rounds)))

    def _current(self):
        table = self.query_one("#export-rounds", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.rounds.get(key)

    @on(DataTable.RowHighlighted, "#export-rounds")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is not None and event.row_key.value in self.rounds:
            self._preview(event.row_key.value)

    def _preview(self, key: str) -> None:
        width = max(40, self.size.width - 4)
        self._background(ranking_preview, self.db, int(key), width, on_done=self._show_bars)

    def _show_bars(self, text: str) -> None:
        if not self.shown:
            return
        self.query_one("#export-bars", Static).update(plain(text))

    # -- actions ------------------------------------------------------------------------------
    def action_toggle(self, fmt: str) -> None:
        if self.running:
            return
        self.formats ^= {fmt}
        self._show_formats()

    def action_edit_out(self) -> None:
        self.query_one("#export-out", Input).focus()

    @on(Input.Submitted, "#export-out")
    def _out_done(self) -> None:
        self.query_one("#export-rounds", DataTable).focus()

    def action_export(self) -> None:
        if self.running:
            return
        rnd = self._current()
        if rnd is None:
            self.show_error("请先选择一个已计算结果的考核轮次。")
            return
        formats = [f for f in FORMATS if f in self.formats]
        if not formats:
            self.show_error("请至少选择一种导出格式（p/h/x/g/v/b/n/z）。")
            return
        out = Path(self.query_one("#export-out", Input).value.strip() or default_out_dir()).expanduser()
        self.running = True
        self.cancel_event = threading.Event()
        self.query_one("#export-progress", ProgressBar).update(total=1, progress=0)
        self._status(f"正在生成“{rnd.name}”的报告…（Esc / c 取消）")
        app = self.app
        self._background(
            build_report,
            self.db,
            rnd.id,
            out,
            formats,
            progress=lambda done, total, label: app.call_from_thread(self._progress, done, total, label),
            cancelled=self.cancel_event.is_set,
            on_done=self._done,
            on_error=self._failed,
        )

    def _background(self, fn, *args, on_done=None, on_error=None, **kwargs) -> None:
        """Run a core call in a worker of the app, not of this screen: an export (or Chromium's
        start) goes on when the user leaves the screen, and its result still arrives (as a
        notification) instead of failing against a screen that is gone."""
        app = self.app
        handle_error = on_error or (
            lambda exc: app.notify(escape(error_text(exc)), title="错误", severity="error", timeout=8)
        )

        def job() -> None:
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:
                if not isinstance(exc, AssessError):
                    log.exception("export screen: %s failed", getattr(fn, "__name__", fn))
                app.call_from_thread(handle_error, exc)
                return
            if on_done is not None:
                app.call_from_thread(on_done, result)

        app.run_worker(job, thread=True, group="export", exit_on_error=False)

    def _progress(self, done: int, total: int, label: str) -> None:
        if not self.shown:
            return
        self.query_one("#export-progress", ProgressBar).update(total=max(total, 1), progress=done)
        if not self.cancel_event.is_set():
            self._status(f"{label}（{done}/{total}）· Esc / c 取消")

    def action_cancel(self) -> None:
        if self.running:
            self.cancel_event.set()
            self._status("正在取消…（当前一步完成后停止，不留下文件）")
        elif self.focused is self.query_one("#export-out", Input):
            self.query_one("#export-rounds", DataTable).focus()

    def _done(self, result) -> None:
        self.running = False
        self.last_result = result
        self._status(result.summary())
        self.app.notify(escape(result.summary()), title="导出报告", timeout=8)

    def _failed(self, exc: BaseException) -> None:
        self.running = False
        if self.shown:
            self.query_one("#export-progress", ProgressBar).update(total=1, progress=0)
        if isinstance(exc, ReportCancelled):
            self._status(str(exc))
            self.app.notify(escape(str(exc)), title="导出报告", timeout=6)
            return
        self._status(error_text(exc))
        self.app.notify(escape(error_text(exc)), title="导出报告失败", severity="error", timeout=10)
