"""自查录入 (and 核查录入): a keyboard grid per unit — indicator, method, max, score, note.

Left: the units with their progress. Right: the unit's indicators. Enter on an indicator puts the
cursor in the score field; Enter there saves and moves to the next indicator, so a whole unit is
keyed without leaving the keyboard. An out-of-range value is refused with the indicator and its
maximum named, and nothing is saved. The same screen enters verified scores (``kind="verified"``)
for the drawn units, with the self-check value alongside.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import DataTable, Footer, Header, Input, Static

from assess.foundation.private_files import export_path
from assess.foundation.vocabulary import METHOD_LABELS, Method
from assess.rounds.selfcheck import (
    completeness,
    enter_score,
    export_template,
    import_scores,
    reopen,
    submit,
    submit_complete,
    unit_sheet,
)
from assess.rounds.verified import enter_verified
from assess.workflow.advance import round_status
from tui.base import AssessScreen, error_text, plain
from tui.forms import ConfirmDialog, FieldSpec, FormDialog, ImportDialog
from tui.tables import TableFill, cell
from tui.text_input import TextInput


def _fmt(v: float | None) -> str:
    return "" if v is None else f"{v:g}"


def progress(c) -> str:
    """Filled / required, and 已交 once the unit's self-check is submitted."""
    # The filled count padded to the required count's width: the text keeps its width as scores are
    # entered, so the column's width (tui/tables.py) still fits it.
    return f"{c.filled:>{len(str(c.required))}}/{c.required}" + (" 已交" if c.submitted else "")


class ScoreEntryScreen(AssessScreen):
    CSS_PATH = "selfcheck.tcss"
    BINDINGS = [
        Binding("escape", "back", "返回"),
        Binding("u", "submit_unit", "提交自查"),
        Binding("a", "submit_all", "全部提交", show=False),
        Binding("r", "reopen_unit", "退回自查", show=False),
        Binding("i", "import", "导入"),
        Binding("t", "template", "导出模板"),
        Binding("g", "refresh", "刷新"),
    ]

    def __init__(self, round_id: int, kind: str = "self") -> None:
        super().__init__()
        self.round_id = round_id
        self.kind = kind
        self.unit_code: str | None = None
        self.sheet: list = []
        self.units: list = []
        # What each action ends in (assess.foundation.roles): hidden from a role that may not do it.
        self.ACTION_RIGHTS = {
            "submit_unit": "selfcheck.submit", "reopen_unit": "selfcheck.submit", "submit_all": "selfcheck.submit",
            "import": "selfcheck.import" if kind == "self" else "spotcheck.import",
            "enter_score": "selfcheck.enter" if kind == "self" else "spotcheck.enter",
        }

    @property
    def what(self) -> str:
        return "自查" if self.kind == "self" else "核查"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="sc-title", classes="title")
        with Horizontal(id="sc-body"):
            yield DataTable(id="sc-units", cursor_type="row", zebra_stripes=True)
            with Vertical(id="sc-right"):
                yield DataTable(id="sc-grid", cursor_type="row", zebra_stripes=True)
                with Horizontal(id="sc-inputs"):
                    yield TextInput(placeholder="得分", id="sc-score")
                    yield TextInput(placeholder="说明（可空）", id="sc-note")
        yield Static("", id="sc-message")
        yield Static("", id="sc-status", classes="status")
        yield Footer()

    def on_mount(self) -> None:
        keys = "Enter 录入 · Tab 切换 · i 导入 · t 模板 · Esc 返回"
        if self.kind == "self":
            keys = "Enter 录入 · u 提交 · a 全部提交 · i 导入 · t 模板 · Esc 返回"
        if not self.may("enter_score"):
            # A role that may not store these scores reads them only: no field to fill in vain.
            for wid in ("#sc-score", "#sc-note"):
                self.query_one(wid, Input).disabled = True
            keys = f"只读：当前角色不能录入{self.what}得分 · t 模板 · Esc 返回"
        self.query_one("#sc-status", Static).update(keys)
        self.query_one("#sc-units", DataTable).focus()
        self.action_refresh()

    # -- data ---------------------------------------------------------------------------------
    def action_refresh(self) -> None:
        def load(db, rid, kind):
            return round_status(db, rid), completeness(db, rid, kind)

        self.run_core(load, self.db, self.round_id, self.kind, on_done=self._show_units)

    def _show_units(self, result) -> None:
        status, units = result
        r = status.round
        self.query_one("#sc-title", Static).update(
            plain(f"{self.what}录入 · {r.name}（{r.period}） · {r.stage_label}")
        )
        table = self.query_one("#sc-units", DataTable)
        keep = table.cursor_row
        fill = TableFill(table, "编码", "单位", "进度")
        self.units = units
        for c in units:
            fill.add_row(
                cell(c.unit_code),
                cell(c.unit_name),
                progress(c),
                key=c.unit_code,
            )
        fill.done()
        if not units:
            empty = "本轮尚未抽取核查单位。" if self.kind == "verified" else "本轮没有参加单位。"
            self.query_one("#sc-message", Static).update(plain(empty))
            return
        table.move_cursor(row=min(keep, len(units) - 1))
        self._load_sheet()

    @on(DataTable.RowHighlighted, "#sc-units")
    def _unit_changed(self, event: DataTable.RowHighlighted) -> None:
        code = event.row_key.value if event.row_key is not None else None
        if code and code != self.unit_code:
            self.unit_code = code
            self._load_sheet()

    def _load_sheet(self) -> None:
        table = self.query_one("#sc-units", DataTable)
        if table.row_count == 0:
            return
        self.unit_code = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        self.run_core(unit_sheet, self.db, self.round_id, self.unit_code, on_done=self._show_sheet)

    def _show_sheet(self, rows) -> None:
        grid = self.query_one("#sc-grid", DataTable)
        keep = grid.cursor_row
        if self.kind == "self":
            fill = TableFill(grid, "指标", "名称", "方法", "满分", "得分", "说明")
        else:
            fill = TableFill(grid, "指标", "名称", "方法", "满分", "自查", "核查", "说明")
        self.sheet = rows
        for row in rows:
            cells = [
                cell(row.code),
                cell(row.name),
                METHOD_LABELS.get(row.method, row.method),
                "" if row.method == Method.VETO else f"{row.max:g}",
            ]
            if self.kind == "self":
                cells += [_fmt(row.self_value), cell(row.self_note or "")]
            else:
                cells += [
                    _fmt(row.self_value),
                    _fmt(row.verified_value),
                    cell(row.verified_note or ""),
                ]
            fill.add_row(*cells, key=row.code)
        fill.done()
        if rows:
            grid.move_cursor(row=min(keep, len(rows) - 1))

    def _row(self):
        grid = self.query_one("#sc-grid", DataTable)
        if grid.row_count == 0 or not self.sheet:
            return None
        return self.sheet[min(grid.cursor_row, len(self.sheet) - 1)]

    @on(DataTable.RowHighlighted, "#sc-grid")
    def _indicator_changed(self) -> None:
        row = self._row()
        if row is None:
            return
        rng = {
            "points": f"0–{row.max:g}",
            "deduct": f"扣分，起始 {row.max:g}",
            "bonus": f"加分，上限 {row.max:g}",
            "ratio": f"百分比，目标 {row.target or 100:g}%，满分 {row.max:g}",
            "veto": "0 未触发 / 1 触发",
        }
        text = f"{row.code} {row.name}（{rng.get(row.method, row.method)}）"
        if row.evidence:
            text += f" 佐证：{row.evidence}"
        self.query_one("#sc-message", Static).update(plain(text))

    # -- entry --------------------------------------------------------------------------------
    @on(DataTable.RowSelected, "#sc-units")
    def _to_grid(self) -> None:
        self.query_one("#sc-grid", DataTable).focus()

    @on(DataTable.RowSelected, "#sc-grid")
    def _to_score(self) -> None:
        row = self._row()
        if row is None:
            return
        value = row.self_value if self.kind == "self" else row.verified_value
        note = row.self_note if self.kind == "self" else row.verified_note
        score = self.query_one("#sc-score", Input)
        score.value = _fmt(value)
        self.query_one("#sc-note", Input).value = note or ""
        score.focus()

    @on(Input.Submitted, "#sc-score")
    @on(Input.Submitted, "#sc-note")
    def _save(self) -> None:
        row = self._row()
        if row is None or self.unit_code is None:
            return
        fn = enter_score if self.kind == "self" else enter_verified
        value = self.query_one("#sc-score", Input).value
        note = self.query_one("#sc-note", Input).value
        unit = self.unit_code
        self.run_core(
            fn,
            self.db,
            self.actor,
            self.round_id,
            unit,
            row.code,
            value,
            note,
            on_done=lambda v: self._saved(unit, row.code, v),
            on_error=self._refused,
        )

    def _saved(self, unit: str, code: str, value: float) -> None:
        self.query_one("#sc-message", Static).update(plain(f"已保存 {unit} {code} = {value:g}"))
        grid = self.query_one("#sc-grid", DataTable)
        nxt = grid.cursor_row + 1
        self._reload_after_save(nxt)

    def _reload_after_save(self, next_row: int) -> None:
        def load(db, rid, unit, kind):
            return unit_sheet(db, rid, unit), completeness(db, rid, kind)

        def show(result) -> None:
            rows, units = result
            self._show_sheet(rows)
            table = self.query_one("#sc-units", DataTable)
            for c in units:
                if c.unit_code == self.unit_code:
                    table.update_cell(c.unit_code, table.ordered_columns[2].key, progress(c))
            grid = self.query_one("#sc-grid", DataTable)
            if next_row < grid.row_count:
                grid.move_cursor(row=next_row)
                self._to_score()
            else:
                self.query_one("#sc-score", Input).value = ""
                self.query_one("#sc-note", Input).value = ""
                grid.focus()
                self.query_one("#sc-message", Static).update(
                    plain(f"单位 {self.unit_code} 的指标已录完一遍。")
                )

        self.run_core(load, self.db, self.round_id, self.unit_code, self.kind, on_done=show)

    def _refused(self, exc: BaseException) -> None:
        message = error_text(exc)
        self.query_one("#sc-message", Static).update(Content.styled(f"未保存：{message}", "bold red"))
        self.show_error(message)
        self.query_one("#sc-score", Input).focus()

    # -- actions ------------------------------------------------------------------------------
    def unsaved_question(self) -> str | None:
        """Asked before an F-key, a menu key, the palette or Ctrl+Q leaves a score typed but not saved."""
        row = self._row() if self.sheet else None
        if row is None or not isinstance(self.focused, Input):
            return None
        value = row.self_value if self.kind == "self" else row.verified_value
        note = row.self_note if self.kind == "self" else row.verified_note
        typed = (self.query_one("#sc-score", Input).value.strip(), self.query_one("#sc-note", Input).value.strip())
        if typed == (_fmt(value).strip(), (note or "").strip()):
            return None
        return f"{self.unit_code} 的指标 {row.code} 已输入但未保存（Enter 保存），放弃并离开？"

    def action_back(self) -> None:
        focused = self.focused
        if isinstance(focused, Input):
            self.query_one("#sc-grid", DataTable).focus()
            return
        self.app.pop_screen()

    def action_submit_unit(self) -> None:
        if self.kind != "self" or self.unit_code is None:
            return
        unit = self.unit_code

        def confirmed(ok: bool | None) -> None:
            if ok:
                self.run_core(
                    submit,
                    self.db,
                    self.actor,
                    self.round_id,
                    unit,
                    on_done=lambda _r: (self.show_info(f"单位 {unit} 的自查已提交"), self.action_refresh()),
                )

        self.app.push_screen(
            ConfirmDialog(f"确认单位 {unit} 的自查已提交？提交后不能再修改（可退回）。"), confirmed
        )

    def action_submit_all(self) -> None:
        """Submit every complete, unsubmitted unit at once, after saying which ones are left out."""

        if self.kind != "self":
            return
        ready = [c for c in self.units if not c.submitted and c.complete]
        waiting = [c for c in self.units if not c.submitted and not c.complete]
        if not ready:
            self.show_error(f"没有可提交的单位：{len(waiting)} 个单位尚未填完，"
                            f"{len(self.units) - len(waiting)} 个已提交。")
            return
        lines = [f"提交 {len(ready)} 个已填完单位的自查？提交后不能再修改（可逐个退回）。"]
        if waiting:
            shown = "、".join(f"{c.unit_code}（{c.filled}/{c.required}）" for c in waiting[:8])
            lines.append(f"尚未填完、不提交的 {len(waiting)} 个：{shown}{'……' if len(waiting) > 8 else ''}")

        def done(result) -> None:
            text = f"已提交 {len(result.submitted)} 个单位的自查"
            if result.incomplete:
                text += f"；未填完未提交 {len(result.incomplete)} 个：" + "、".join(c for c, _n, _m in result.incomplete[:8])
            self.show_info(text)
            self.action_refresh()

        def confirmed(ok: bool | None) -> None:
            if ok:
                self.run_core(submit_complete, self.db, self.actor, self.round_id, on_done=done)

        self.app.push_screen(ConfirmDialog("\n".join(lines)), confirmed)

    def action_reopen_unit(self) -> None:
        if self.kind != "self" or self.unit_code is None:
            return
        db, actor, rid, unit = self.db, self.actor, self.round_id, self.unit_code

        def done(result) -> None:
            if result:
                self.show_info(f"已退回单位 {unit} 的自查")
                self.action_refresh()

        self.app.push_screen(
            FormDialog(
                f"退回单位 {unit} 的自查",
                [FieldSpec("reason", "退回理由")],
                lambda v: reopen(db, actor, rid, unit, v["reason"]) or True,
            ),
            done,
        )

    def action_import(self) -> None:
        db, actor, rid, kind = self.db, self.actor, self.round_id, self.kind
        dialog = ImportDialog(
            f"导入{self.what}得分",
            "CSV/XLSX，表头：unit_code,indicator_code,score[,note]。导出的模板带已录入的得分，可改后原样导入："
            "score 和 note 都空的行跳过；已提交单位的行与系统中一致则跳过，改动则报错（须先退回）。"
            "有任何错误则全部不导入。",
            lambda p: import_scores(db, actor, rid, p, kind=kind),
        )

        def done(n) -> None:
            if n is not None:
                self.show_info(f"已导入 {n} 条{self.what}得分" if n else "文件中的得分与系统中一致，没有需要导入的改动")
                self.action_refresh()

        self.app.push_screen(dialog, done)

    def action_template(self) -> None:
        db, rid, kind = self.db, self.round_id, self.kind
        unit = self.unit_code or ""

        default = str(export_path(f"{self.what}表_{rid}_{unit or '全部'}.xlsx"))
        fields = [FieldSpec("unit", "单位编码（空：全部单位）", unit), FieldSpec("path", "保存到", default)]

        def done(path) -> None:
            if path:
                self.show_info(f"已导出：{path}")

        self.app.push_screen(
            FormDialog(
                f"导出{self.what}模板（XLSX）",
                fields,
                lambda v: export_template(db, rid, v["unit"].strip() or None, v["path"].strip(), kind=kind),
            ),
            done,
        )
