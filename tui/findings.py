"""问题与整改: the ledger of findings with their rectification notice and status, overdue items
highlighted; record a finding, issue a notice (整改通知书), record progress, re-inspect and close
(销号), read or save the notice text."""

from __future__ import annotations

from datetime import timedelta

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Header, Static

from assess.foundation.errors import Conflict
from assess.foundation.private_files import export_path, write_private
from assess.foundation.settings import local_today
from assess.reports.official import notice_text
from assess.rounds.findings import (
    add_finding,
    close_rectification,
    issue_rectification,
    ledger,
    update_rectification,
)
from tui.base import AssessScreen, plain
from tui.forms import FieldSpec, FormDialog
from tui.tables import TableFill, cell

HINT = "a 登记问题 · n 下发通知 · u 整改进展 · c 复查销号 · p 通知书 · o 只看逾期 · Esc 返回"
PROGRESS = {
    "1": "rectifying",
    "2": "rectified",
    "整改中": "rectifying",
    "已整改": "rectified",
    "rectifying": "rectifying",
    "rectified": "rectified",
}


def progress_from_form(db, actor, rect_id: int, values: dict[str, str]) -> str:
    status = PROGRESS.get(values["status"].strip())
    if status is None:
        raise Conflict("状态请填 1（整改中）或 2（已整改，等待复查）。")
    return update_rectification(db, actor, rect_id, status, values["note"])


def recheck_from_form(db, actor, rect_id: int, values: dict[str, str]) -> str:
    answer = values["passed"].strip().lower()
    if answer not in ("y", "n", "是", "否"):
        raise Conflict("复查是否合格请填 y（合格，销号）或 n（不合格，退回整改）。")
    return close_rectification(db, actor, rect_id, values["note"], passed=answer in ("y", "是"))


class NoticeScreen(ModalScreen):
    """The text of a rectification notice; w saves it to a file."""

    BINDINGS = [Binding("escape,q", "dismiss", "关闭"), Binding("w", "save", "保存为文件")]
    CSS = """
    NoticeScreen { align: center middle; }
    #notice-box { width: 78; height: 22; border: round $accent; background: $panel; }
    """

    def __init__(self, rect_id: int, text: str) -> None:
        super().__init__()
        self.rect_id = rect_id
        self.text = text

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="notice-box"):
            yield Static(plain(self.text), id="notice-text")
        yield Static("↑↓ 滚动 · w 保存为文件 · Esc 关闭", classes="hint")

    def action_save(self) -> None:
        text = self.text


        def write(values: dict[str, str]) -> str:
            return str(write_private(values["path"].strip(), text))

        default = str(export_path(f"整改通知书_{self.rect_id}.txt"))
        self.app.push_screen(
            FormDialog("保存整改通知书", [FieldSpec("path", "保存到", default)], write),
            lambda p: p and self.app.notify(escape(f"已保存：{p}")),
        )


class FindingsScreen(AssessScreen):
    CSS_PATH = "findings.tcss"
    BINDINGS = [
        Binding("escape", "back", "返回"),
        Binding("a", "add", "登记问题"),
        Binding("n", "issue", "下发通知"),
        Binding("u", "progress", "整改进展"),
        Binding("c", "recheck", "复查销号"),
        Binding("p", "notice", "通知书"),
        Binding("o", "toggle_overdue", "只看逾期"),
        Binding("g", "refresh", "刷新", show=False),
    ]
    ACTION_RIGHTS = {"add": "finding.add", "issue": "rectification.issue", "progress": "rectification.update",
                     "recheck": "rectification.close"}

    def __init__(self, round_id: int | None = None) -> None:
        super().__init__()
        self.round_id = round_id
        self.rows: dict[str, object] = {}
        self.only_overdue = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("问题与整改台账", id="fd-title", classes="title")
        yield DataTable(id="fd-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="fd-detail")
        yield Static(HINT, id="fd-status", classes="status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()

    def on_screen_resume(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        self.run_core(ledger, self.db, self.round_id, local_today(), on_done=self._show, latest="load")

    def _show(self, rows) -> None:
        table = self.query_one(DataTable)
        keep = table.cursor_row
        fill = TableFill(table, "号", "单位", "状态", "期限", "问题", "等级", "通知书")
        self.rows = {}
        shown = [r for r in rows if r.overdue] if self.only_overdue else rows
        for r in shown:
            self.rows[str(r.finding_id)] = r
            if r.overdue:
                status = cell(f"逾期 {r.days_overdue} 天·{r.status_label}", "bold red")
            else:
                status = cell(r.status_label)
            fill.add_row(
                str(r.finding_id),
                cell(r.unit_name),
                status,
                r.deadline.isoformat() if r.deadline else "",
                cell(r.description),
                cell(r.severity),
                cell(r.notice_no or ""),
                key=str(r.finding_id),
            )
        fill.done()
        if shown:
            table.move_cursor(row=min(keep, len(shown) - 1))
        late = sum(1 for r in rows if r.overdue)
        title = (
            f"问题与整改台账（共 {len(rows)} 项，逾期 {late} 项{'，只看逾期' if self.only_overdue else ''}）"
        )
        self.query_one("#fd-title", Static).update(plain(title))
        if not shown:
            self.query_one("#fd-detail", Static).update(plain("没有记录。按 a 登记问题。"))

    def current(self):
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        return self.rows.get(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def on_data_table_row_highlighted(self, _event) -> None:
        r = self.current()
        if r is None:
            return
        text = f"#{r.finding_id} {r.unit_code} {r.unit_name}{' · 指标 ' + r.indicator_code if r.indicator_code else ''}：{r.description}"
        if r.last_note:
            text += f"\n最近进展：{r.last_note}"
        elif r.requirement:
            text += f"\n整改要求：{r.requirement}"
        self.query_one("#fd-detail", Static).update(plain(text))

    # -- actions ------------------------------------------------------------------------------
    def _after(self, message: str):
        def done(result) -> None:
            if result:
                self.show_info(message)
                self.action_refresh()

        return done

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_toggle_overdue(self) -> None:
        self.only_overdue = not self.only_overdue
        self.action_refresh()

    def action_add(self) -> None:
        if self.round_id is None:
            return
        db, actor, rid = self.db, self.actor, self.round_id
        fields = [
            FieldSpec("unit", "单位编码"),
            FieldSpec("indicator", "涉及指标编码（可空）"),
            FieldSpec("severity", "问题等级（轻微/一般/严重）", "一般"),
            FieldSpec("description", "问题描述"),
        ]
        self.app.push_screen(
            FormDialog(
                "登记问题",
                fields,
                lambda v: add_finding(
                    db, actor, rid, v["unit"], v["description"], v["severity"], v["indicator"] or None
                ),
            ),
            self._after("已登记问题"),
        )

    def action_issue(self) -> None:
        r = self.current()
        if r is None:
            return
        db, actor = self.db, self.actor
        fields = [
            FieldSpec("deadline", "整改期限（YYYY-MM-DD）", (local_today() + timedelta(days=30)).isoformat()),
            FieldSpec("requirement", "整改要求"),
            FieldSpec("notice_no", "通知书编号（空：自动编号）"),
        ]
        self.app.push_screen(
            FormDialog(
                f"对第 {r.finding_id} 号问题下发整改通知书",
                fields,
                lambda v: issue_rectification(
                    db, actor, r.finding_id, v["deadline"], v["requirement"], v["notice_no"] or None
                ),
            ),
            self._after("已下发整改通知"),
        )

    def action_progress(self) -> None:
        r = self.current()
        if r is None or r.rectification_id is None:
            self.show_error("请先选中已下发整改通知的问题。")
            return
        db, actor, rect = self.db, self.actor, r.rectification_id
        fields = [
            FieldSpec("status", "状态：1 整改中 / 2 已整改（等待复查）", "1"),
            FieldSpec("note", "进展说明"),
        ]
        self.app.push_screen(
            FormDialog(
                f"登记整改进展 {r.notice_no}", fields, lambda v: progress_from_form(db, actor, rect, v)
            ),
            self._after("已登记整改进展"),
        )

    def action_recheck(self) -> None:
        r = self.current()
        if r is None or r.rectification_id is None:
            self.show_error("请先选中已下发整改通知的问题。")
            return
        db, actor, rect = self.db, self.actor, r.rectification_id
        fields = [
            FieldSpec("passed", "复查合格？（y 合格销号 / n 退回整改）", "y"),
            FieldSpec("note", "复查意见"),
        ]
        self.app.push_screen(
            FormDialog(f"复查 {r.notice_no}", fields, lambda v: recheck_from_form(db, actor, rect, v)),
            self._after("已记录复查结果"),
        )

    def action_notice(self) -> None:
        r = self.current()
        if r is None or r.rectification_id is None:
            self.show_error("请先选中已下发整改通知的问题。")
            return
        rect = r.rectification_id
        self.run_core(
            notice_text, self.db, rect, on_done=lambda text: self.app.push_screen(NoticeScreen(rect, text))
        )
