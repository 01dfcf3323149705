"""比对处理: every mismatch between the two entry passes of a batch, by ballot number and target.
A reviewer who keyed neither pass reads the paper ballot and keys the true value on the selected
row; with zero open mismatches and reconciled counts, k certifies the batch."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

from assess.appraisal.reconcile import (
    KIND_LABELS,
    WHOLE_CHOICES,
    certify,
    compare,
    resolve,
    whole_ballot_reading,
)
from assess.foundation.errors import AssessError
from assess.foundation.vocabulary import PassStatus
from tui.base import AssessScreen, plain
from tui.forms import ConfirmDialog
from tui.tables import TableFill

WHOLE_KEYS = {"a": "absent", "v": "void", "1": "pass1", "2": "pass2"}


class MismatchScreen(AssessScreen):
    CSS_PATH = "ballot_mismatches.tcss"
    BINDINGS = [
        Binding("k", "certify", "核定"),
        Binding("r", "refresh", "刷新"),
        Binding("escape", "leave", "返回"),
    ]
    ACTION_RIGHTS = {"certify": "batch.certify"}

    def __init__(self, batch_id: int) -> None:
        super().__init__()
        self.batch_id = batch_id
        self.comparison = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="mm-info")
        yield DataTable(id="mismatches", cursor_type="row", zebra_stripes=True)
        yield Static("", id="mm-hint", classes="hint")
        yield Static("", id="mm-status", classes="status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#mismatches", DataTable)
        self.action_refresh()
        table.focus()

    def action_refresh(self) -> None:
        self.run_core(compare, self.db, self.batch_id, on_done=self._show, latest="load")

    def _show(self, cmp) -> None:
        self.comparison = cmp
        passes = " · ".join(
            f"第{p.pass_no}遍 {p.clerk_name or p.clerk} {'已完成' if p.status == PassStatus.CLOSED else '录入中'} {p.entered} 张"
            for p in cmp.passes
        )
        rec = cmp.reconciliation
        recon = "对账相符" if rec.ok else "；".join(rec.problems)
        self.query_one("#mm-info", Static).update(
            plain(
                f"批次 {cmp.label} · {passes}\n发出 {rec.issued} · 收回 {rec.returned} · 录入 {rec.entered}"
                f"（有效 {rec.valid} · 废票 {rec.void} · 空白 {rec.blank}） · {recon}"
            )
        )
        table = self.query_one("#mismatches", DataTable)
        keep = table.cursor_row
        fill = TableFill(table, "票号", "项", "对象", "第1遍", "第2遍", "处理结果")

        def show(v: str, pos: int) -> str:
            if pos == 0:
                return KIND_LABELS.get(v, v)
            if v == "0":
                return "未标记"
            if v == "X":
                return "多选作废"
            return f"{v} {cmp.options[int(v) - 1]}"

        for i, m in enumerate(cmp.mismatches):
            if m.resolution is None:
                res = "（待处理）"
            elif m.position == 0:
                res = WHOLE_CHOICES.get(m.resolution, m.resolution)
            else:
                res = show(m.resolution, m.position)
            fill.add_row(
                str(m.ballot_no),
                "整张" if m.position == 0 else str(m.position),
                plain(f"{m.target_code} {m.target_name}".strip()),
                plain(show(m.first, m.position)),
                plain(show(m.second, m.position)),
                plain(res),
                key=str(i),
            )
        fill.done()
        if cmp.mismatches:
            table.move_cursor(row=min(keep, len(cmp.mismatches) - 1))
        opts = " ".join(f"{i}={o}" for i, o in enumerate(cmp.options, start=1))
        self.query_one("#mm-hint", Static).update(
            plain(
                f"对象行：按纸质选票键入 {opts} 0=未标记 x=多选作废 · 整张行：1/2 以该遍为准 v 作废 a 无此票"
            )
        )
        self.query_one("#mm-status", Static).update(
            plain(
                f"不一致 {len(cmp.mismatches)} 处，待处理 {cmp.open_count} 处"
                + (" · k 核定" if not cmp.open_count else "")
            )
        )

    def _current(self):
        table = self.query_one("#mismatches", DataTable)
        if self.comparison is None or table.row_count == 0:
            return None
        return self.comparison.mismatches[table.cursor_row]

    def on_key(self, event: events.Key) -> None:
        m = self._current()
        if m is None:
            return
        key = event.key.lower() if len(event.key) == 1 else event.key
        if key == "space":
            key = "0"
        value = None
        if m.position == 0:
            value = WHOLE_KEYS.get(key)
            if value is not None:
                try:
                    value = whole_ballot_reading(value, m.first, m.second)
                except AssessError as e:
                    self.show_error(f"第 {m.ballot_no} 张：{e}")
                    event.stop()
                    return
        elif len(key) == 1 and key.upper() in m.choices:
            value = key.upper()
        if value is None:
            return
        event.stop()
        self._resolve(m.ballot_no, m.position, value)

    def _resolve(self, no: int, pos: int, value: str) -> None:
        def done(_open: int) -> None:
            table = self.query_one("#mismatches", DataTable)
            if table.cursor_row < table.row_count - 1:
                table.move_cursor(row=table.cursor_row + 1)
            self.action_refresh()

        self.run_core(resolve, self.db, self.actor, self.batch_id, [(no, pos, value)], on_done=done)

    def action_certify(self) -> None:
        if self.comparison is None:
            return
        label = self.comparison.label

        def certified(r) -> None:
            self.show_info(
                f"已核定批次 {label}：{r.ballots} 张（有效 {r.valid}，废票 {r.void}，空白 {r.blank}）"
            )
            self.dismiss(True)

        def confirmed(ok: bool | None) -> None:
            if ok:
                self.run_core(certify, self.db, self.actor, self.batch_id, on_done=certified)

        self.app.push_screen(ConfirmDialog(f"核定批次 {label}？核定后选票与计票永久不可更改。"), confirmed)

    def action_leave(self) -> None:
        self.dismiss(None)
