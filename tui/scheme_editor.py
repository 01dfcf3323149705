"""编辑方案草稿: the indicator tree of a draft made from a stored version; add, delete, move,
re-weight, rename, change a method or the composite weights, with the validation problems shown
after every change (and live inside the dialogs, on every keystroke); export to a TOML file and,
for an administrator, load that file as the scheme's next version.

The draft (``assess.schemes.draft.Draft``) lives in memory only. Changes are made on the UI thread
or in a dialog's worker under one lock; validation runs in a worker on a copy.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Header, Static

from assess.foundation.private_files import export_dir, export_path
from assess.foundation.roles import allowed
from assess.foundation.vocabulary import METHOD_LABELS, Method
from assess.reports.bundle import safe_name
from assess.schemes.catalog import load_scheme
from tui.base import AssessScreen, error_text, plain
from tui.forms import ConfirmDialog, FieldSpec
from tui.live_form import LiveFormDialog
from tui.tables import TableFill

if TYPE_CHECKING:
    from assess.schemes.draft import Draft, DraftCheck

HINT = "a 加子项 · b 加同级 · Del 删除 · [ ] 上移/下移 · m 满分 · w 权重 · r 改名 · t 方法 · p 改上级 · z 撤销 · d 改动 · x 导出 · l 载入"
METHOD_HELP = "计分方法：得分/扣分/加分/比率/一票否决（也可写 points/deduct/bonus/ratio/veto）"
COMPONENT_LABELS = {"indicators": "指标", "appraisal": "民主评议", "adjustment": "加减分"}


def verdict(draft: Draft) -> str:
    """What validating a (trial) draft says, in a few lines."""
    check = draft.check()
    if check.ok:
        tail = f"（{len(check.warnings)} 条提示）" if check.warnings else ""
        return f"校验通过{tail}"
    lines = [str(p) for p in check.problems[:3]]
    more = f"\n……另有 {len(check.problems) - 3} 处" if len(check.problems) > 3 else ""
    return f"将有 {len(check.problems)} 处问题：\n" + "\n".join(lines) + more


class SchemeEditorScreen(AssessScreen):
    AREA = "schemes"  # F4 stays here; the schemes screen is below
    CSS_PATH = "scheme_editor.tcss"
    BINDINGS = [
        Binding("a", "add(True)", "加子项"),
        Binding("b", "add(False)", "加同级", show=False),
        Binding("delete", "remove", "删除", show=False),
        Binding("left_square_bracket,shift+up", "move('up')", "上移", show=False),
        Binding("right_square_bracket,shift+down", "move('down')", "下移", show=False),
        Binding("m", "set_max", "满分"),
        Binding("w", "weights", "权重"),
        Binding("r", "rename", "改名", show=False),
        Binding("t", "method", "方法", show=False),
        Binding("p", "reparent", "改上级", show=False),
        Binding("z", "undo", "撤销"),
        Binding("d", "toggle_changes", "改动", show=False),
        Binding("x,f5", "export", "导出"),
        Binding("l", "load", "载入"),
        Binding("escape", "leave", "返回"),
    ]
    ACTION_RIGHTS = {"load": "scheme.load"}

    def __init__(self, draft: Draft) -> None:
        super().__init__()
        self.draft = draft
        self.lock = threading.Lock()
        self.panel = "problems"  # or "changes"
        self.focus_code: str | None = None
        self.exported_path: Path | None = None
        self.check: DraftCheck | None = None
        self.problem_codes: set[str] = set()
        self.details: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="editor-title", classes="title")
        yield DataTable(id="editor-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="editor-detail", classes="hint")
        yield Static("", id="editor-weights")
        with VerticalScroll(id="editor-panel"):
            yield Static("", id="editor-problems")
        yield Static(plain(HINT), id="editor-hint", classes="status")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_draft()
        self.query_one("#editor-table", DataTable).focus()

    def palette_commands(self):
        from textual.app import SystemCommand

        yield SystemCommand("草稿：导出为 TOML 文件", "把草稿写成方案文件（x / F5）", self.action_export)
        yield SystemCommand(
            "草稿：载入导出的文件为新版本", "管理员：载入最近导出的文件（l）", self.action_load
        )
        yield SystemCommand(
            "草稿：修改综合得分权重", "指标、民主评议、加减分的百分比（w）", self.action_weights
        )
        yield SystemCommand("草稿：撤销上一步", "撤销最近一次修改（z）", self.action_undo)
        yield SystemCommand("草稿：与原版本比较", "列出草稿相对原版本的改动（d）", self.action_toggle_changes)

    # -- showing the draft ------------------------------------------------------------------------
    def refresh_draft(self, focus: str | None = None) -> None:
        """Show the draft's tree now and its validation when the worker has it."""
        if focus is not None:
            self.focus_code = focus
        with self.lock:
            trial = self.draft.copy()

        def compute():
            return trial, trial.rows(), trial.check(), trial.changes()

        self.run_core(compute, on_done=self._show)

    def _show(self, result) -> None:
        trial, rows, check, changes = result
        if trial.revision != self.draft.revision:
            return  # a newer change is on its way
        self.check = check
        self.problem_codes = {p.indicator for p in check.problems if p.indicator}
        table = self.query_one("#editor-table", DataTable)
        keep = self.focus_code or self._cursor_code()
        index = table.cursor_row
        fill = TableFill(table, "编码", "满分", "方法", "说明", "名称")
        self.details = {}
        for r in rows:
            notes = []
            if r.code in self.problem_codes:
                notes.append("有问题")
            if r.follows:
                notes.append("随子项")
            elif r.children_sum is not None and abs(r.children_sum - r.max) > 1e-9:
                notes.append(f"子项合计 {r.children_sum:g}")
            fill.add_row(  # the name last: a long name must not push the numbers off screen
                plain("  " * (r.level - 1) + r.code),
                "" if r.method == Method.VETO else f"{r.max:g}",
                plain(METHOD_LABELS.get(r.method, r.method or ("" if not r.is_leaf else "（无）"))),
                plain(" · ".join(notes)),
                plain(r.name),
                key=r.code,
            )
            own = [str(p) for p in check.problems if p.indicator == r.code]
            cats = "、".join(r.categories) or "全部类别"
            self.details[r.code] = "；".join(own) if own else f"{r.code} {r.name} · 适用 {cats}"
        fill.done()
        if rows:
            codes = [r.code for r in rows]
            target = codes.index(keep) if keep in codes else min(index, len(codes) - 1)
            table.move_cursor(row=target)
        self.focus_code = None
        state = "已修改，未导出" if self.draft.dirty else "未修改"
        base = f" · 来自 {self.draft.base}" if self.draft.base else ""
        self.query_one("#editor-title", Static).update(
            plain(f"草稿：{self.draft.code} {self.draft.name}{base} · {state}")
        )
        weights = self.draft.weights
        parts = " + ".join(f"{COMPONENT_LABELS.get(k, k)} {v:g}%" for k, v in weights.items())
        self.query_one("#editor-weights", Static).update(
            plain(f"综合得分：{parts} = {sum(weights.values()):g}%")
        )
        self._show_panel(check, changes)
        self._detail_for_cursor()

    def _show_panel(self, check: DraftCheck, changes) -> None:
        if self.panel == "changes":
            if changes:
                text = f"相对原版本的改动（{len(changes)} 处；调整顺序不列出）：\n" + "\n".join(
                    c.text() for c in changes
                )
            else:
                text = "相对原版本没有内容改动（调整顺序不列出）"
        elif check.ok:
            text = "校验通过：可以导出（x）"
            if check.warnings:
                text += "\n" + "\n".join(f"提示：{w}" for w in check.warnings)
        else:
            text = f"校验发现 {len(check.problems)} 处问题（行号指导出的文件）：\n" + "\n".join(
                str(p) for p in check.problems
            )
        self.query_one("#editor-problems", Static).update(plain(text))

    def _cursor_code(self) -> str | None:
        table = self.query_one("#editor-table", DataTable)
        if table.row_count == 0:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def _detail_for_cursor(self) -> None:
        code = self._cursor_code()
        self.query_one("#editor-detail", Static).update(plain(self.details.get(code, "") if code else ""))

    @on(DataTable.RowHighlighted, "#editor-table")
    def _highlighted(self) -> None:
        self._detail_for_cursor()

    # -- changing the draft ---------------------------------------------------------------------
    def _apply(self, fn, *args, focus: str | None = None) -> None:
        """Run a quick draft operation on the UI thread; a refusal is shown, nothing changes."""
        try:
            with self.lock:
                fn(*args)
        except Exception as exc:
            self.show_error(error_text(exc))
            return
        self.refresh_draft(focus)

    def _trial(self, op) -> str:
        """Try ``op(trial_draft)`` on a copy and say what validation would find."""
        with self.lock:
            trial = self.draft.copy()
        op(trial)
        return verdict(trial)

    def _dialog(self, title: str, fields: list[FieldSpec], op, focus: str | None = None) -> None:
        """A live-checked dialog: ``op(draft, values)`` is tried on a copy on every keystroke and
        applied to the draft on Enter / F5; a code it returns gets the cursor."""

        def submit(values):
            with self.lock:
                return op(self.draft, values) or True

        def done(result) -> None:
            if result:
                self.refresh_draft(result if isinstance(result, str) else focus)

        dialog = LiveFormDialog(title, fields, submit, lambda values: self._trial(lambda d: op(d, values)))
        self.app.push_screen(dialog, done)

    def _selected(self) -> str | None:
        code = self._cursor_code()
        if code is None:
            self.show_info("草稿中没有指标")
        return code

    def action_add(self, as_child: bool) -> None:
        code = self._cursor_code()
        if code is None:
            parent, after = None, None
        elif as_child:
            parent, after = code, None
        else:
            parent, after = self.draft.parent_of(code), code
        with self.lock:
            suggested = self.draft.suggest_code(parent, after)
        where = "第一级" if parent is None else f"指标 {parent} 之下"
        fields = [
            FieldSpec("code", "编码", suggested),
            FieldSpec("name", "名称"),
            FieldSpec("method", METHOD_HELP, "得分"),
            FieldSpec("max", "满分（一票否决不填）"),
        ]

        def op(d, v):
            d.add_indicator(parent, v["code"], v["name"], v["method"], v["max"] or 0, after=after)
            return v["code"].strip()  # the new row gets the cursor

        self._dialog(f"新增指标（{where}）", fields, op)

    def action_remove(self) -> None:
        code = self._selected()
        if code is None:
            return
        node = self.draft.indicator(code)
        below = sum(1 for _ in node.walk()) - 1
        extra = f"及其 {below} 个下级指标" if below else ""

        def done(yes: bool) -> None:
            if yes:
                self._apply(self.draft.remove, code)

        self.app.push_screen(ConfirmDialog(f"删除指标 {code}（{node.name}）{extra}？可按 z 撤销。"), done)

    def action_move(self, direction: str) -> None:
        code = self._selected()
        if code is not None:
            self._apply(self.draft.move, code, direction, focus=code)

    def action_set_max(self) -> None:
        code = self._selected()
        if code is None:
            return
        node = self.draft.indicator(code)
        if node.is_leaf:
            label = f"指标 {code}（{node.name}）的满分"
            value = f"{node.max:g}"
        else:
            total = sum(c.max for c in node.children if c.method != Method.BONUS)
            label = f"分组 {code}（{node.name}）的满分；留空则随子项之和（现为 {total:g}）"
            value = "" if self.draft.follows(code) else f"{node.max:g}"
        self._dialog(
            "修改满分", [FieldSpec("max", label, value)], lambda d, v: d.set_max(code, v["max"]), code
        )

    def action_weights(self) -> None:
        weights = self.draft.weights
        fields = [
            FieldSpec(k, f"{label}（%）", f"{weights[k]:g}" if k in weights else "")
            for k, label in COMPONENT_LABELS.items()
        ]

        def op(d, v):
            d.set_weights({k: x for k, x in v.items() if x.strip() or k in weights})

        self._dialog("综合得分权重（之和应为 100）", fields, op)

    def action_rename(self) -> None:
        code = self._selected()
        if code is not None:
            name = self.draft.indicator(code).name
            self._dialog(
                f"指标 {code} 改名",
                [FieldSpec("name", "名称", name)],
                lambda d, v: d.rename(code, v["name"]),
                code,
            )

    def action_method(self) -> None:
        code = self._selected()
        if code is not None:
            method = METHOD_LABELS.get(self.draft.indicator(code).method, "")
            self._dialog(
                f"指标 {code} 的计分方法",
                [FieldSpec("method", METHOD_HELP, method)],
                lambda d, v: d.set_method(code, v["method"]),
                code,
            )

    def action_reparent(self) -> None:
        code = self._selected()
        if code is not None:
            parent = self.draft.parent_of(code) or ""
            self._dialog(
                f"把指标 {code} 移到另一上级之下（排在最后）",
                [FieldSpec("parent", "新的上级指标编码（留空：第一级）", parent)],
                lambda d, v: d.reparent(code, v["parent"].strip() or None),
                code,
            )

    def action_undo(self) -> None:
        try:
            with self.lock:
                what = self.draft.undo()
        except Exception as exc:
            self.show_info(error_text(exc))
            return
        self.show_info(f"已撤销：{what}")
        self.refresh_draft()

    def action_toggle_changes(self) -> None:
        self.panel = "changes" if self.panel == "problems" else "problems"
        self.refresh_draft()

    # -- export and load ------------------------------------------------------------------------
    def action_export(self) -> None:

        # By default in the office's export folder (assess.foundation.private_files), never the working directory.
        default = str(self.exported_path or export_path(safe_name(f"{self.draft.code}-草稿") + ".toml"))

        def preview(values) -> str:
            path = Path(values["path"].strip()).expanduser()
            with self.lock:
                trial = self.draft.copy()
            problems = trial.problems()
            if problems:
                return f"草稿有 {len(problems)} 处问题，改正后才能导出：\n" + "\n".join(
                    str(p) for p in problems[:3]
                )
            if not values["path"].strip():
                return "请填写文件路径"
            return f"将覆盖已有文件 {path.name}" if path.exists() else f"将写入新文件 {path.name}"

        def submit(values):
            target = Path(values["path"].strip()).expanduser()
            if target.parent == export_dir():
                target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            with self.lock:
                return self.draft.export(values["path"].strip())

        def done(path) -> None:
            if not path:
                return
            self.exported_path = path
            self.show_info(f"已导出到 {path}" + ("；按 l 载入为新版本" if self._may_load() else ""))
            self.refresh_draft()

        dialog = LiveFormDialog(
            "导出草稿为 TOML 文件", [FieldSpec("path", "文件路径（.toml）", default)], submit, preview
        )
        self.app.push_screen(dialog, done)

    def _may_load(self) -> bool:
        return allowed(self.actor.role, "scheme.load")

    def action_load(self) -> None:
        if not self._may_load():
            self.show_error("无权限：载入考核方案需要管理员角色。")
            return
        if self.exported_path is None:
            self.show_info("请先按 x 导出草稿，再载入导出的文件。")
            return
        if self.draft.dirty:
            self.show_info("草稿在导出后又有修改：请先按 x 再次导出。")
            return
        self.run_core(load_scheme, self.db, self.actor, self.exported_path, on_done=self.dismiss)

    def unsaved_question(self) -> str | None:
        """Asked by the app before another area replaces this screen."""
        return "草稿有未导出的修改，放弃并离开？" if self.draft.dirty else None

    def action_leave(self) -> None:
        if not self.draft.dirty:
            self.dismiss(None)
            return

        def done(yes: bool) -> None:
            if yes:
                self.dismiss(None)

        self.app.push_screen(ConfirmDialog("草稿有未导出的修改，放弃并返回？"), done)
