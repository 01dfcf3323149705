"""职能部门评分 and 合理缺项 of a round: a department's user sees only the indicators its unit scores
(the office sees all), enters a score per unit, asks for an exemption; the exemptions list is where
another user approves or rejects them."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

from assess.foundation.vocabulary import ExemptionStatus
from assess.rounds.department_scoring import (
    decide_exemption,
    enter_dept_score,
    import_dept_scores,
    list_exemptions,
    request_exemption,
    sheet,
)
from assess.rounds.department_scoring import progress as scorer_progress
from tui.base import AssessScreen, plain
from tui.forms import FieldSpec, FormDialog, ImportDialog
from tui.tables import TableFill


def _load(db, round_id: int, username: str):
    return sheet(db, round_id, username=username), scorer_progress(db, round_id)


class DeptScoresScreen(AssessScreen):
    CSS_PATH = "dept_scores.tcss"
    BINDINGS = [
        Binding("e", "enter", "评分"),
        Binding("i", "import", "导入"),
        Binding("x", "exempt", "申请缺项"),
        Binding("m", "exemptions", "合理缺项"),
        Binding("g", "refresh", "刷新"),
        Binding("escape", "back", "返回"),
    ]
    ACTION_RIGHTS = {"enter": "score.enter", "import": "score.enter", "exempt": "exemption.request"}

    def __init__(self, round_id: int) -> None:
        super().__init__()
        self.round_id = round_id
        self.rows: dict[str, object] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("职能部门评分", id="ds-title", classes="title")
        yield DataTable(id="ds-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="ds-detail", classes="status")
        yield Footer()

    def on_mount(self) -> None:
        self.action_refresh()
        self.query_one("#ds-table", DataTable).focus()

    def palette_commands(self):
        from textual.app import SystemCommand

        yield SystemCommand("职能部门评分：录入", "为所选单位的指标录入评分", self.action_enter)
        yield SystemCommand("职能部门评分：导入", "从 CSV/XLSX 导入本单位负责的指标的评分", self.action_import)
        yield SystemCommand("职能部门评分：申请合理缺项", "所选单位的该项指标不适用，申请排除", self.action_exempt)
        yield SystemCommand("合理缺项列表", "查看、审批合理缺项申请", self.action_exemptions)

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_refresh(self) -> None:
        self.run_core(_load, self.db, self.round_id, self.actor.username, on_done=self._show, latest="load")

    def _show(self, loaded) -> None:
        cells, progress = loaded
        done = "；".join(f"{p.scorer_name} {p.done}/{p.required}" for p in progress) or "本方案没有由职能部门评分的指标"
        self.query_one("#ds-title", Static).update(plain(f"职能部门评分 · {done}"))
        table = TableFill(self.query_one("#ds-table", DataTable), "单位", "指标", "满分", "评分单位", "得分", "状态")
        self.rows = {}
        for c in cells:
            key = f"{c.unit_code}|{c.indicator_code}"
            self.rows[key] = c
            status = "合理缺项" if c.exempt else ("已评分" if c.value is not None else "未评分")
            table.add_row(plain(f"{c.unit_code} {c.unit_name}"), plain(f"{c.indicator_code} {c.indicator_name}"),
                          f"{c.max:g}", c.scorer, "" if c.value is None else f"{c.value:g}", status, key=key)
        table.done()
        self.query_one("#ds-detail", Static).update(
            "没有待评分的项（本账户所属单位不负责评分，或方案未指定评分单位）" if not cells
            else "e 评分 · i 导入 · x 申请合理缺项 · m 合理缺项列表")

    def _current(self):
        table = self.query_one("#ds-table", DataTable)
        if table.row_count == 0:
            return None
        return self.rows.get(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def _after(self, message: str):
        def done(result) -> None:
            if result is not None and result is not False:
                self.show_info(message)
                self.action_refresh()

        return done

    def action_enter(self) -> None:
        c = self._current()
        if c is None:
            self.show_error("没有可评分的项。")
            return
        db, actor, rid = self.db, self.actor, self.round_id
        fields = [FieldSpec("value", f"得分（满分 {c.max:g}）", "" if c.value is None else f"{c.value:g}"),
                  FieldSpec("note", "说明（可空）", c.note or "")]
        self.app.push_screen(FormDialog(f"{c.unit_name} · {c.indicator_code} {c.indicator_name}", fields, lambda v: (
            enter_dept_score(db, actor, rid, c.unit_code, c.indicator_code, v["value"], v["note"] or None), True)[1]),
            self._after("已保存评分"))

    def action_import(self) -> None:
        db, actor, rid = self.db, self.actor, self.round_id
        self.app.push_screen(ImportDialog("导入职能部门评分", "表头：unit_code,indicator_code,score[,note]；有任何错误则全部不导入。",
                                          lambda p: import_dept_scores(db, actor, rid, p)),
                             self._after("已导入职能部门评分"))

    def action_exempt(self) -> None:
        c = self._current()
        if c is None:
            self.show_error("没有可申请的项：在合理缺项列表中按 a 申请。")
            return
        db, actor, rid = self.db, self.actor, self.round_id
        self.app.push_screen(FormDialog(f"申请合理缺项：{c.unit_name} · {c.indicator_code} {c.indicator_name}",
                                        [FieldSpec("reason", "理由")],
                                        lambda v: request_exemption(db, actor, rid, c.unit_code, c.indicator_code,
                                                                    v["reason"])),
                             self._after("已申请合理缺项，待另一名用户审批"))

    def action_exemptions(self) -> None:
        self.app.push_screen(ExemptionsScreen(self.round_id))


class ExemptionsScreen(AssessScreen):
    CSS_PATH = "dept_scores.tcss"
    BINDINGS = [
        Binding("a", "request", "申请"),
        Binding("y", "decide(True)", "批准"),
        Binding("n", "decide(False)", "不批准"),
        Binding("g", "refresh", "刷新"),
        Binding("escape", "back", "返回"),
    ]
    ACTION_RIGHTS = {"request": "exemption.request", "decide": "exemption.decide"}

    def __init__(self, round_id: int) -> None:
        super().__init__()
        self.round_id = round_id
        self.rows: dict[str, object] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("合理缺项", id="ex-title", classes="title")
        yield DataTable(id="ex-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="ex-detail", classes="status")
        yield Footer()

    def on_mount(self) -> None:
        self.action_refresh()
        self.query_one("#ex-table", DataTable).focus()

    def palette_commands(self):
        from textual.app import SystemCommand

        yield SystemCommand("合理缺项：申请", "某单位某项指标不适用，申请排除", self.action_request)
        yield SystemCommand("合理缺项：批准", "批准所选申请（申请人以外的用户）", lambda: self.action_decide(True))
        yield SystemCommand("合理缺项：不批准", "不批准所选申请（写明理由）", lambda: self.action_decide(False))

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_refresh(self) -> None:
        self.run_core(list_exemptions, self.db, self.round_id, on_done=self._show, latest="load")

    def _show(self, rows) -> None:
        pending = sum(1 for r in rows if r.status == ExemptionStatus.PENDING)
        self.query_one("#ex-title", Static).update(plain(f"合理缺项 · {len(rows)} 项，待审批 {pending} 项"))
        table = TableFill(self.query_one("#ex-table", DataTable), "编号", "单位", "指标", "满分", "状态", "理由")
        self.rows = {}
        for r in rows:
            self.rows[str(r.id)] = r
            table.add_row(str(r.id), plain(f"{r.unit_code} {r.unit_name}"),
                          plain(f"{r.indicator_code} {r.indicator_name}"), f"{r.max:g}", r.status_label,
                          plain(r.reason), key=str(r.id))
        table.done()
        r = self._current()
        self.query_one("#ex-detail", Static).update(plain(_detail(r) if r else "a 申请 · y 批准 · n 不批准"))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is not None and event.row_key.value in self.rows:
            self.query_one("#ex-detail", Static).update(plain(_detail(self.rows[event.row_key.value])))

    def _current(self):
        table = self.query_one("#ex-table", DataTable)
        if table.row_count == 0:
            return None
        return self.rows.get(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def _after(self, message: str):
        def done(result) -> None:
            if result is not None and result is not False:
                self.show_info(message)
                self.action_refresh()

        return done

    def action_request(self) -> None:
        db, actor, rid = self.db, self.actor, self.round_id
        fields = [FieldSpec("unit", "单位编码"), FieldSpec("indicator", "指标编码"), FieldSpec("reason", "理由")]
        self.app.push_screen(FormDialog("申请合理缺项", fields, lambda v: request_exemption(
            db, actor, rid, v["unit"], v["indicator"], v["reason"])), self._after("已申请合理缺项，待另一名用户审批"))

    def action_decide(self, approve: bool) -> None:
        r = self._current()
        if r is None:
            self.show_error("没有合理缺项申请。")
            return
        db, actor = self.db, self.actor
        word = "批准" if approve else "不批准"
        self.app.push_screen(FormDialog(f"{word}合理缺项 #{r.id}：{r.unit_name} · {r.indicator_code} {r.indicator_name}",
                                        [FieldSpec("note", "审批意见" + ("（可空）" if approve else ""))],
                                        lambda v: decide_exemption(db, actor, r.id, approve, v["note"] or None)),
                             self._after(f"已{word}"))


def _detail(r) -> str:
    out = f"#{r.id} {r.unit_name} · {r.indicator_code} {r.indicator_name}（满分 {r.max:g}）：{r.reason}；{r.status_label}"
    out += f"，申请 {r.requested_by}"
    if r.decided_by:
        out += f"，审批 {r.decided_by}" + (f"：{r.decision_note}" if r.decision_note else "")
    return out
