"""评议计票: the appraisal sessions (民主评议, 勤廉双述) of every open round; open one to register
batches, key ballots, compare, certify and see the tally."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

from assess.appraisal.forms import KINDS
from assess.appraisal.session_info import list_sessions, round_choices, session_plan
from assess.foundation.errors import AssessError
from assess.foundation.settings import office
from assess.reports.ballot_forms import print_session
from assess.reports.bundle import safe_name
from tui.appraisal_new import NewSessionScreen
from tui.appraisal_session import SessionScreen
from tui.base import AssessScreen, plain
from tui.forms import FieldSpec, FormDialog
from tui.tables import TableFill
from tui.tally_view import TallyScreen


class AppraisalScreen(AssessScreen):
    AREA = "ballots"
    CSS_PATH = "appraisal.tcss"
    BINDINGS = [
        Binding("a", "add", "新建会议"),
        Binding("o", "open", "打开"),
        Binding("t", "tally", "计票结果"),
        Binding("p", "print_ballots", "打印测评表"),
        Binding("r", "refresh", "刷新"),
    ]
    ACTION_RIGHTS = {"add": "appraisal.session"}

    def __init__(self) -> None:
        super().__init__()
        self.sessions: dict[str, object] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("评议会议（Enter 打开 · a 新建 · t 计票结果 · p 打印测评表和计票单）", classes="title")
        yield DataTable(id="sessions", cursor_type="row", zebra_stripes=True)
        yield Static("", id="sessions-status", classes="status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#sessions", DataTable)
        self.action_refresh()
        table.focus()

    def palette_commands(self):
        from textual.app import SystemCommand

        yield SystemCommand("评议：新建会议", "设立民主评议或勤廉双述会议", self.action_add)
        yield SystemCommand("评议：打开会议", "登记批次、录入选票、比对核定", self.action_open)
        yield SystemCommand("评议：计票结果", "查看所选会议的计票结果", self.action_tally)
        yield SystemCommand("评议：打印测评表", "所选会议各投票人类别的测评表和计票单（PDF）", self.action_print_ballots)

    def action_refresh(self) -> None:
        self.run_core(list_sessions, self.db, on_done=self._show, latest="load")

    def _show(self, rows) -> None:
        table = self.query_one("#sessions", DataTable)
        keep = table.cursor_row
        fill = TableFill(table, "编号", "轮次", "会议", "类型", "对象", "应到/实到", "批次 核定/共")
        self.sessions = {}
        for r in rows:
            self.sessions[str(r.id)] = r
            fill.add_row(
                str(r.id),
                plain(r.round_name),
                plain(r.name),
                r.kind_label,
                str(r.targets),
                f"{r.expected}/{r.present}",
                f"{r.certified}/{r.batches}",
                key=str(r.id),
            )
        fill.done()
        if rows:
            table.move_cursor(row=min(keep, len(rows) - 1))
        self.query_one("#sessions-status", Static).update(plain(f"共 {len(rows)} 个评议会议"))

    def _current(self):
        table = self.query_one("#sessions", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.sessions.get(key)

    @on(DataTable.RowSelected, "#sessions")
    def _selected(self) -> None:
        self.action_open()

    def action_open(self) -> None:
        row = self._current()
        if row is not None:
            self.app.push_screen(SessionScreen(row.id), lambda _r: self.action_refresh())

    def action_tally(self) -> None:
        row = self._current()
        if row is not None:
            self.app.push_screen(TallyScreen(row.id))

    def action_print_ballots(self) -> None:
        """测评表 and 计票单 of the selected meeting into the office's export folder."""

        row = self._current()
        if row is None:
            return
        out = office().export_dir / safe_name(f"{row.name}-测评表")
        self.query_one("#sessions-status", Static).update(plain(f"正在生成测评表到 {out} …"))
        self.run_core(print_session, self.db, row.id, out, on_done=self._printed)

    def _printed(self, files) -> None:
        folder = files[0].parent if files else ""
        self.query_one("#sessions-status", Static).update(
            plain(f"已生成 {len(files)} 个文件（测评表和计票单）到 {folder}")
        )

    def action_add(self) -> None:
        self.run_core(round_choices, self.db, on_done=self._add_dialog)

    def _add_dialog(self, rounds) -> None:
        if not rounds:
            self.show_error("没有未公示的考核轮次：请先创建考核轮次。")
            return
        hint = "；".join(f"{i} {n}" for i, n, _s in rounds[:4])
        fields = [
            FieldSpec("round", f"考核轮次编号（{hint}）", str(rounds[0][0])),
            FieldSpec("kind", "类型：1 民主评议（评单位）/ 2 勤廉双述（评干部）", "1"),
            FieldSpec("name", "会议名称", placeholder="如 2026 年度机关作风民主评议大会"),
            FieldSpec("form", "评议表代码（可空：取方案中的评议表）"),
        ]
        db = self.db
        by_text = {"1": "unit", "2": "cadre", **{k: k for k in KINDS}, **{v: k for k, v in KINDS.items()}}

        def submit(v: dict[str, str]):
            try:
                rid = int(v["round"])
            except ValueError:
                raise AssessError("考核轮次编号必须是整数。") from None
            kind = by_text.get(v["kind"].strip())
            if kind is None:
                raise AssessError(f"类型“{v['kind'].strip()}”无效：输入 1（民主评议）或 2（勤廉双述）。")
            if not v["name"].strip():
                raise AssessError("会议名称不能为空。")
            return session_plan(db, rid, kind, v["form"].strip() or None), v["name"].strip()

        def chosen(result) -> None:
            if result:
                plan, name = result
                self.app.push_screen(NewSessionScreen(plan, name), done)

        def done(sid) -> None:
            if sid:
                self.show_info(f"已设立评议会议 #{sid}")
                self.action_refresh()

        self.app.push_screen(FormDialog("新建评议会议（第 1 步，共 2 步）", fields, submit), chosen)
