"""选票录入: one clerk's pass over one batch, keyed like the paper ballot.

One key per target (1–9 the option, 0 or space no mark, x a voided mark), backspace corrects,
Enter stores the ballot. The store runs in a worker (serialised, one durable commit per ballot)
while the next ballot is keyed; the screen says 已保存 only when the commit has returned. v stores
the ballot as void, b as blank. Targets are shown in columns, the current one highlighted.
"""

from __future__ import annotations

import gc
import threading
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Footer, Header, Static

from assess.appraisal.entry import close_pass, delete_ballot, store_ballot
from assess.foundation.errors import AssessError
from assess.foundation.vocabulary import BALLOT_STATUS_LABELS
from tui.base import AssessScreen, error_text, plain
from tui.forms import ConfirmDialog, FieldSpec, FormDialog

if TYPE_CHECKING:
    from collections.abc import Callable

    from assess.appraisal.entry import EntryContext

GRID_ROWS = 16
SAVE_AFTER_PAINT_S = 0.25  # a save waits at most this long for the repaint of the key that stored it


def _fit(text: str, width: int) -> str:
    """Cut or pad ``text`` to exactly ``width`` terminal cells."""
    out, used = [], 0
    for ch in text:
        w = cell_len(ch)
        if used + w > width:
            break
        out.append(ch)
        used += w
    return "".join(out) + " " * (width - used)


class BallotGrid(Widget):
    """The paper ballot: every target with its mark, in columns; the current target highlighted.

    Rendered line by line (Textual's line API): a key repaints only the row it changed and the
    row the cursor moved to, so a keystroke costs two short lines, not the whole ballot."""

    COMPONENT_CLASSES = {
        "ballot-grid--cursor",
        "ballot-grid--mark",
        "ballot-grid--voided",
        "ballot-grid--empty",
    }
    DEFAULT_CSS = """
    BallotGrid { height: auto; }
    BallotGrid > .ballot-grid--cursor { text-style: reverse bold; }
    BallotGrid > .ballot-grid--mark { color: $success; text-style: bold; }
    BallotGrid > .ballot-grid--voided { color: $error; text-style: bold; }
    BallotGrid > .ballot-grid--empty { color: $text-muted; }
    """

    def __init__(self, ctx: EntryContext, **kw) -> None:
        super().__init__(**kw)
        self.ctx = ctx
        self.marks: list[str] = []
        n = len(ctx.targets)
        self.cols = max(1, -(-n // GRID_ROWS))
        self.rows = max(1, -(-n // self.cols))
        self.labels = [t.name for t in ctx.targets]
        self.styles.height = self.rows
        self._styles: dict[str, Style] | None = None
        self._lines: dict[tuple[int, int, int, str], Strip] = {}  # drawn lines by what they show
        self._after_paint: list[Callable[[], None]] = []

    def notify_style_update(self) -> None:
        self._styles = None  # theme or CSS changed: rebuild the cell styles on the next paint
        super().notify_style_update()

    # -- changes (each repaints only the rows it touches) ------------------------------------------
    def _row_of(self, i: int) -> int:
        return i % self.rows

    def _refresh_rows(self, *indices: int) -> None:
        width = self.size.width or 80
        rows = {self._row_of(i) for i in indices if 0 <= i < len(self.labels)}
        if rows:
            self.refresh(*(Region(0, y, width, 1) for y in rows))

    def push(self, mark: str) -> None:
        self.marks.append(mark)
        i = len(self.marks)
        self._refresh_rows(i - 1, i)

    def pop(self) -> None:
        if self.marks:
            self.marks.pop()
            i = len(self.marks)
            self._refresh_rows(i, i + 1)

    def reset(self, marks: list[str] | None = None) -> None:
        self.marks = list(marks or [])
        self.refresh()

    def after_paint(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once the grid's next paint is done (from the grid's message queue,
        after the compositor has handed the frame to the terminal)."""
        self._after_paint.append(callback)

    # -- rendering ----------------------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        if self._after_paint:  # run when this paint is done (the message waits for the compositor)
            callbacks, self._after_paint = self._after_paint, []
            for callback in callbacks:
                self.call_later(callback)
        width = self.size.width or 80
        styles = self._styles
        if styles is None:
            base = self.rich_style
            styles = self._styles = {
                "base": base,
                **{
                    name: base + self.get_component_rich_style(f"ballot-grid--{name}", partial=True)
                    for name in ("cursor", "mark", "voided", "empty")
                },
            }
            self._lines.clear()
        base = styles["base"]
        if y >= self.rows:
            return Strip.blank(width, base)
        # A line is drawn once per look (its marks and where the cursor is): Enter clears every
        # row at once, and an empty ballot's rows are the ones the last ballot started with.
        cursor = len(self.marks)
        n = len(self.labels)
        cells = range(y, n, self.rows)
        key = (y, width, cursor - y if cursor in cells else -1,
               "".join(self.marks[i] for i in cells if i < cursor))
        line = self._lines.get(key)
        if line is None:
            if len(self._lines) > 1024:
                self._lines.clear()
            line = self._lines[key] = self._draw_line(y, width, styles)
        return line

    def _draw_line(self, y: int, width: int, styles: dict[str, Style]) -> Strip:
        base = styles["base"]
        colw = max(12, width // self.cols)
        namew = colw - 7
        cursor = len(self.marks)
        n = len(self.labels)
        segments: list[Segment] = []
        for c in range(self.cols):
            i = c * self.rows + y
            if i >= n:
                break
            cell = f"{i + 1:>2} {_fit(self.labels[i], namew)} "
            if i < cursor:
                m = self.marks[i]
                shown, style = (
                    ("-", styles["empty"]) if m == "0" else (m, styles["voided" if m == "X" else "mark"])
                )
            else:
                shown, style = "·", styles["empty"]
            if i == cursor:
                segments.append(Segment(f"{cell}[{shown}]", styles["cursor"]))
            else:
                segments.append(Segment(cell, base))
                segments.append(Segment(f" {shown} ", style))
            segments.append(Segment(" " * max(0, colw - namew - 7), base))
        return Strip(segments).adjust_cell_length(width, base)

    def text(self) -> str:
        """The grid as plain text (for tests and screen readers)."""
        return "\n".join(self.render_line(y).text for y in range(self.rows))


class BallotEntryScreen(AssessScreen):
    CSS_PATH = "ballot_entry.tcss"
    BINDINGS = [
        Binding("v", "void", "整张废票"),
        Binding("b", "blank", "空白票"),
        Binding("g", "goto", "跳到票号"),
        Binding("d", "delete", "删除本张"),
        Binding("f", "finish", "完成本遍"),
        Binding("escape", "leave", "返回"),
    ]

    def __init__(self, ctx: EntryContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.ballot_no = ctx.next_ballot_no()
        self.pending: dict[int, tuple[str, str]] = {}
        self.failed: dict[int, tuple[str, str]] = {}
        self.confirm_incomplete = False
        self._save_lock = threading.Lock()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="entry-info", classes="title")
        yield BallotGrid(self.ctx, id="entry-grid")
        yield Static("", id="entry-legend", classes="hint")
        yield Static("", id="entry-counts", classes="status")
        yield Static("", id="entry-message")
        yield Footer()

    def on_mount(self) -> None:
        opts = "  ".join(f"{i} {label}" for i, label in enumerate(self.ctx.options, start=1))
        self.query_one("#entry-legend", Static).update(
            plain(f"{opts}  0/空格 未标记  x 多选作废  ⌫ 更正  Enter 保存")
        )
        self._show_info()
        self._show_counts()
        self._message(f"第 {self.ballot_no} 张：请按票面顺序逐项录入。")
        # No pause a clerk can feel while keying: everything alive now (the app, the screens, the
        # pass's ballots) is moved out of the collector's reach, so a full collection only walks
        # what is created while keying. Undone when the screen closes.
        gc.collect()
        gc.freeze()

    def on_unmount(self) -> None:
        gc.unfreeze()

    # -- display ------------------------------------------------------------------------------------
    @property
    def grid(self) -> BallotGrid:
        return self.query_one("#entry-grid", BallotGrid)

    def _show_info(self) -> None:
        ctx = self.ctx
        old = ctx.ballots.get(self.ballot_no)
        again = f"（重录；已存为{_status_label(old[0])}）" if old else ""
        self.query_one("#entry-info", Static).update(
            plain(
                f"批次 {ctx.batch_label} · {ctx.group_name} · 第 {ctx.pass_no} 遍（{ctx.clerk_name or ctx.clerk}） · 第 {self.ballot_no} 张{again}"
            ),
            layout=False,
        )

    def _show_counts(self) -> None:
        c = self.ctx.counts
        extra = f" · 保存中 {len(self.pending)}" if self.pending else ""
        if self.failed:
            extra += f" · 未保存 {'、'.join(str(n) for n in sorted(self.failed))}"
        self.query_one("#entry-counts", Static).update(
            plain(
                f"已录 {c.entered} / 收回 {self.ctx.returned}（发出 {self.ctx.issued}） · 有效 {c.valid} · 废票 {c.void}"
                f" · 空白 {c.blank}{extra}"
            ),
            layout=False,
        )

    def _message(self, text: str, error: bool = False) -> None:
        w = self.query_one("#entry-message", Static)
        w.set_class(error, "error")
        w.update(plain(text), layout=False)

    # -- keys ---------------------------------------------------------------------------------------
    def on_key(self, event: events.Key) -> None:
        key = event.key
        n = len(self.ctx.targets)
        marks = self.grid.marks
        mark = None
        if key == "space" or key == "0":
            mark = "0"
        elif len(key) == 1 and key.isdigit():
            if int(key) > len(self.ctx.options):
                self._message(f"没有选项 {key}：本表选项为 1–{len(self.ctx.options)}。", error=True)
                event.stop()
                return
            mark = key
        elif key in ("x", "X"):
            mark = "X"
        elif key == "backspace":
            if marks:
                self.grid.pop()
                self.confirm_incomplete = False
            event.stop()
            return
        elif key == "enter":
            event.stop()
            self._enter()
            return
        else:
            return
        event.stop()
        if len(marks) >= n:
            self._message(f"本张 {n} 项已录完：按 Enter 保存，⌫ 更正。", error=True)
            return
        self.grid.push(mark)
        self.confirm_incomplete = False
        if len(marks) == n:
            self._message(f"第 {self.ballot_no} 张已录完 {n} 项：Enter 保存。")

    def _enter(self) -> None:
        n = len(self.ctx.targets)
        marks = self.grid.marks
        if not marks:
            self._message("本张还没有录入任何一项；空白票请按 b，废票请按 v。", error=True)
            return
        if len(marks) < n and not self.confirm_incomplete:
            self.confirm_incomplete = True
            self._message(
                f"还有 {n - len(marks)} 项未录：再按 Enter 将其余记为未标记，或继续录入。", error=True
            )
            return
        text = "".join(marks) + "0" * (n - len(marks))
        self._store(text, "marks")

    def action_void(self) -> None:
        self._store("", "void")

    def action_blank(self) -> None:
        self._store("", "blank")

    # -- storing ------------------------------------------------------------------------------------
    def _store(self, marks: str, kind: str) -> None:
        no = self.ballot_no
        self.pending[no] = (marks, kind)
        self.failed.pop(no, None)
        self._next_ballot()
        self._message(f"第 {no} 张 保存中…")
        self._show_counts()
        # The commit waits until the screen shows the next ballot: its thread would otherwise share
        # the CPU (and the GIL) with this key's repaint. Should no paint report back (the screen
        # covered), it starts after a quarter second. Saves run one at a time (the lock), and 已保存
        # still waits for the commit. The lock does not queue waiters in order: two saves of the
        # same ballot number keyed within that quarter second could commit in either order (a
        # re-key goes through the 转到 dialog, which takes longer).
        painted = threading.Event()
        self.grid.after_paint(painted.set)
        self._save_worker(no, marks, kind, painted)

    def _next_ballot(self) -> None:
        taken = set(self.ctx.ballots) | set(self.pending)
        n = 1
        while n in taken:
            n += 1
        self._load_ballot(n)

    def _load_ballot(self, no: int) -> None:
        self.ballot_no = no
        self.confirm_incomplete = False
        self.grid.reset()
        self._show_info()

    @work(thread=True, group="ballot-save")
    def _save_worker(self, no: int, marks: str, kind: str, painted: threading.Event) -> None:
        painted.wait(SAVE_AFTER_PAINT_S)
        with self._save_lock:  # one commit at a time
            try:
                stored = store_ballot(self.db, self.actor, self.ctx.pass_id, no, marks, kind)
            except BaseException as exc:
                self.app.call_from_thread(self._save_failed, no, marks, kind, exc)
                return
        self.app.call_from_thread(self._saved, stored)

    def _saved(self, stored) -> None:
        if not self.is_attached:
            return
        self.pending.pop(stored.ballot_no, None)
        self.ctx.ballots[stored.ballot_no] = (stored.status, stored.marks)
        if stored.counts is not None:
            self.ctx.counts = stored.counts
        self._show_counts()
        self._show_info()
        self._message(f"第 {stored.ballot_no} 张 已保存（{_status_label(stored.status)}）")

    def _save_failed(self, no: int, marks: str, kind: str, exc: BaseException) -> None:
        if not self.is_attached:
            return
        self.pending.pop(no, None)
        self.failed[no] = (marks, kind)
        if not self.grid.marks and kind == "marks":  # nothing keyed yet: bring the ballot back
            self._load_ballot(no)
            self.grid.reset(list(marks))
        self._show_counts()
        self._message(f"第 {no} 张 未保存：{error_text(exc)}（按 g 输入 {no} 重新录入）", error=True)

    # -- other actions ------------------------------------------------------------------------------
    def action_goto(self) -> None:
        def parse(values: dict[str, str]) -> int:
            try:
                no = int(values["no"].strip())
            except ValueError:
                raise AssessError("票号应为正整数。") from None
            if no < 1:
                raise AssessError("票号应为正整数。")
            return no

        def done(no) -> None:
            if isinstance(no, int) and not isinstance(no, bool):
                self._load_ballot(no)
                self._message(
                    f"第 {no} 张：请逐项录入" + ("（将替换已存的录入）。" if no in self.ctx.ballots else "。")
                )

        self.app.push_screen(
            FormDialog("跳到票号", [FieldSpec("no", "票号", str(self.ballot_no))], parse), done
        )

    def action_delete(self) -> None:
        no = self.ballot_no
        if no not in self.ctx.ballots:
            self._message(f"第 {no} 张尚未保存，无需删除。", error=True)
            return

        def removed(counts) -> None:
            self.ctx.ballots.pop(no, None)
            self.ctx.counts = counts
            self._show_counts()
            self._next_ballot()
            self._message(f"已删除第 {no} 张。")

        def confirmed(ok: bool | None) -> None:
            if ok:
                self.run_core(delete_ballot, self.db, self.actor, self.ctx.pass_id, no, on_done=removed)

        self.app.push_screen(ConfirmDialog(f"从本遍删除第 {no} 张选票（票号录错时使用）？"), confirmed)

    def action_finish(self) -> None:
        if self.pending:
            self._message("还有选票正在保存，请稍候。", error=True)
            return
        c = self.ctx.counts
        warn = (
            ""
            if c.entered == self.ctx.returned
            else f"注意：已录 {c.entered} 张，与收回 {self.ctx.returned} 张不符。"
        )

        def closed(counts) -> None:
            self.show_info(f"第 {self.ctx.pass_no} 遍录入已完成：{counts.entered} 张。")
            self.dismiss(True)

        def confirmed(ok: bool | None) -> None:
            if ok:
                self.run_core(close_pass, self.db, self.actor, self.ctx.pass_id, on_done=closed)

        self.app.push_screen(
            ConfirmDialog(f"完成第 {self.ctx.pass_no} 遍录入？完成后本遍不能再修改。{warn}"), confirmed
        )

    def unsaved_question(self) -> str | None:
        """Asked by the app before an F-key or menu key leaves this screen."""
        if self.grid.marks:
            return f"第 {self.ballot_no} 张尚未保存（已录 {len(self.grid.marks)} 项），放弃并离开？"
        if self.pending:
            return f"还有 {len(self.pending)} 张选票正在保存，离开后将看不到保存结果。仍然离开？"
        if self.failed:
            return f"第 {'、'.join(str(n) for n in sorted(self.failed))} 张未能保存，离开后需重新录入。仍然离开？"
        return None

    def action_leave(self) -> None:
        if self.pending:
            self._message("还有选票正在保存，请稍候再返回。", error=True)
            return
        if self.grid.marks:
            def confirmed(ok: bool | None) -> None:
                if ok:
                    self.dismiss(False)

            self.app.push_screen(ConfirmDialog(f"第 {self.ballot_no} 张尚未保存，放弃并返回？"), confirmed)
            return
        self.dismiss(False)


def _status_label(status: str) -> str:
    return BALLOT_STATUS_LABELS.get(status, status)
