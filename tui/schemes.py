"""考核方案: the schemes and their versions, a version's indicator tree and settings, the changes
from the previous version; loading or checking a scheme file."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

from assess.foundation.roles import allowed
from assess.foundation.settings import local_time
from assess.foundation.users import names_of
from assess.foundation.vocabulary import Method
from assess.schemes.builtin import builtin_schemes, validate_source
from assess.schemes.catalog import (
    diff_versions,
    get_definition,
    indicator_rows,
    list_schemes,
    list_versions,
    load_scheme,
    settings_rows,
)
from assess.schemes.draft import draft_from_version
from tui.base import AssessScreen, plain
from tui.forms import ImportDialog
from tui.scheme_editor import SchemeEditorScreen
from tui.tables import TableFill

LOAD_HINT = "TOML 文件路径，或内置方案名（{names}）；格式见 indicators/README.md。有任何问题则不载入。"
HINTS = {
    "schemes": "Enter 查看指标 · e 编辑草稿 · l 载入方案文件 · v 只校验文件",
    "tree": "p/n 上一版/下一版 · s 设置与规则 · d 与上一版比较 · e 编辑草稿 · Esc 返回",
    "settings": "p/n 上一版/下一版 · s 指标 · d 与上一版比较 · e 编辑草稿 · Esc 返回",
    "diff": "p/n 上一版/下一版 · s 指标 · e 编辑草稿 · Esc 返回",
}
PATH_PLACEHOLDER = "文件路径（.toml）或内置方案名"


class SchemesScreen(AssessScreen):
    AREA = "schemes"
    CSS_PATH = "schemes.tcss"
    BINDINGS = [
        Binding("l", "load", "载入"),
        Binding("v", "check", "校验"),
        Binding("s", "toggle_settings", "设置/指标"),
        Binding("d", "diff", "比较"),
        Binding("e", "edit_draft", "编辑草稿"),
        Binding("p", "step(-1)", "上一版"),
        Binding("n", "step(1)", "下一版"),
        Binding("escape", "back", "返回", show=False),
    ]
    ACTION_RIGHTS = {"load": "scheme.load"}

    def __init__(self) -> None:
        super().__init__()
        self.mode = "schemes"
        self.code: str | None = None
        self.version: int | None = None
        self.versions: list[int] = []
        self.scheme = None  # the SchemeDef shown
        self.details: dict[str, str] = {}  # row key → detail line

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="schemes-title", classes="title")
        yield DataTable(id="schemes-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="schemes-detail", classes="hint")
        yield Static("", id="schemes-status", classes="status")
        yield Footer()

    def on_mount(self) -> None:
        self.show_schemes()
        self.query_one("#schemes-table", DataTable).focus()

    def palette_commands(self):
        from textual.app import SystemCommand

        yield SystemCommand("方案：载入方案文件", "把 TOML 方案文件或内置方案载入为新版本", self.action_load)
        yield SystemCommand("方案：校验方案文件", "检查方案文件，列出全部问题，不载入", self.action_check)
        yield SystemCommand(
            "方案：编辑草稿",
            "以所选版本为草稿增删、移动、调整指标和权重，导出为文件（e）",
            self.action_edit_draft,
        )

    # -- the four views ---------------------------------------------------------------------------
    def _table(self, title: str, mode: str, *columns: str) -> TableFill:
        self.mode = mode
        self.details = {}
        self.query_one("#schemes-title", Static).update(plain(title))
        self.query_one("#schemes-detail", Static).update("")
        self.query_one("#schemes-status", Static).update(plain(HINTS[mode]))
        return TableFill(self.query_one("#schemes-table", DataTable), *columns)

    def show_schemes(self) -> None:
        def load(db):
            return list_schemes(db), names_of(db)

        self.run_core(load, self.db, on_done=self._show_schemes)

    def _show_schemes(self, result) -> None:
        rows, names = result
        table = self._table(
            f"考核方案（共 {len(rows)} 个）",
            "schemes",
            "编码",
            "名称",
            "最新版",
            "版本数",
            "使用轮次",
            "载入人",
        )
        for r in rows:
            table.add_row(
                plain(r.code),
                plain(r.name),
                f"第 {r.latest_version} 版",
                str(r.versions),
                str(r.rounds),
                plain(names.get(r.loaded_by, r.loaded_by)),
                key=r.code,
            )
            self.details[r.code] = f"载入于 {local_time(r.loaded_at):%Y-%m-%d %H:%M} · 内容哈希 {r.content_hash[:16]}"
        if not rows:
            table.add_row(plain("（尚无方案：按 l 载入，如内置的 zwgk_2014）"), "", "", "", "", "")
        table.done()
        self._detail_for_cursor()

    def open_version(self, code: str, version: int | None) -> None:
        db = self.db

        def fetch():
            return [v.version for v in list_versions(db, code)], get_definition(db, code, version)

        def done(result) -> None:
            self.versions, self.scheme = result
            self.code = code
            self.version = version if version is not None else self.versions[-1]
            self._render_version()

        self.run_core(fetch, on_done=done)

    def _render_version(self) -> None:
        if self.mode == "settings":
            self._show_settings()
        elif self.mode == "diff":
            self.action_diff()
        else:
            self._show_tree()

    def _version_title(self, what: str) -> str:
        s = self.scheme
        return f"{s.code} {s.name} · 第 {self.version} 版（共 {len(self.versions)} 版）· {what}"

    def _show_tree(self) -> None:
        table = self._table(self._version_title("指标"), "tree", "编码", "名称", "方法", "满分", "适用类别")
        for r in indicator_rows(self.scheme):
            mx = "" if r.method == Method.VETO else f"{r.max:g}"
            table.add_row(
                plain(r.code),
                plain("  " * (r.level - 1) + r.name),
                plain(r.method_label),
                mx,
                plain("、".join(r.categories) or "全部"),
                key=r.code,
            )
            parts = [
                f"目标 {r.target:g}{r.unit_of_measure or ''}" if r.target else "",
                f"单位 {r.unit_of_measure}" if r.unit_of_measure and not r.target else "",
                r.evidence or "",
                r.provenance,
            ]
            self.details[r.code] = " · ".join(p for p in parts if p)
        table.done()
        self._detail_for_cursor()

    def _show_settings(self) -> None:
        table = self._table(self._version_title("设置与规则"), "settings", "项目", "内容")
        for i, (item, value) in enumerate(settings_rows(self.scheme)):
            table.add_row(plain(item), plain(value), key=str(i))
            self.details[str(i)] = value
        table.done()
        self._detail_for_cursor()

    def _show_diff(self, changes) -> None:
        prev = self.versions[self.versions.index(self.version) - 1]
        table = self._table(self._version_title(f"与第 {prev} 版比较"), "diff", "改动", "内容")
        kinds = {"added": "新增", "removed": "删除", "changed": "修改"}
        for i, c in enumerate(changes):
            table.add_row(kinds[c.kind], plain(c.text()), key=str(i))
            self.details[str(i)] = c.text()
        if not changes:
            table.add_row("", plain("（内容相同）"))
        table.done()
        self._detail_for_cursor()

    # -- details of the highlighted row -----------------------------------------------------------
    def _detail_for_cursor(self) -> None:
        table = self.query_one("#schemes-table", DataTable)
        if table.row_count == 0:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        self.query_one("#schemes-detail", Static).update(plain(self.details.get(key, "")))

    @on(DataTable.RowHighlighted, "#schemes-table")
    def _highlighted(self) -> None:
        self._detail_for_cursor()

    @on(DataTable.RowSelected, "#schemes-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        if self.mode == "schemes" and event.row_key.value in self.details:
            self.mode = "tree"
            self.open_version(event.row_key.value, None)

    # -- actions ----------------------------------------------------------------------------------
    def action_back(self) -> None:
        if self.mode != "schemes":
            self.show_schemes()

    def action_step(self, delta: int) -> None:
        if self.mode == "schemes" or not self.versions:
            return
        i = self.versions.index(self.version) + delta
        if 0 <= i < len(self.versions):
            self.open_version(self.code, self.versions[i])
        else:
            self.show_info("已是最新版本" if delta > 0 else "已是第一版")

    def action_toggle_settings(self) -> None:
        if self.mode == "schemes":
            return
        if self.mode == "settings" or self.mode == "diff":
            self._show_tree()
        else:
            self._show_settings()

    def action_diff(self) -> None:
        if self.mode == "schemes":
            return
        i = self.versions.index(self.version)
        if i == 0:
            self.show_info("这是第一版，没有可比较的上一版")
            return
        self.run_core(
            diff_versions, self.db, self.code, self.versions[i - 1], self.version, on_done=self._show_diff
        )

    def action_load(self) -> None:
        if not allowed(self.actor.role, "scheme.load"):
            self.show_error("无权限：载入考核方案需要管理员角色。")
            return
        db, actor = self.db, self.actor
        names = "、".join(b.name for b in builtin_schemes())
        dialog = ImportDialog(
            "载入考核方案",
            LOAD_HINT.format(names=names),
            lambda p: load_scheme(db, actor, p),
            placeholder=PATH_PLACEHOLDER,
        )

        def done(result) -> None:
            if not result:
                return
            self.show_info("；".join([result.message(), *result.warnings]))
            self.open_version(result.code, result.version)

        self.app.push_screen(dialog, done)

    def action_check(self) -> None:
        names = "、".join(b.name for b in builtin_schemes())
        dialog = ImportDialog(
            "校验方案文件",
            LOAD_HINT.format(names=names).replace("不载入", "列出全部问题"),
            validate_source,
            failure="文件有问题（只校验，未载入）",
            placeholder=PATH_PLACEHOLDER,
        )

        def done(result) -> None:
            if result:
                s = result.scheme
                self.show_info(
                    "；".join(
                        [
                            f"文件无误：{s.code} {s.name}，{len(s.leaves())} 个末级指标（未载入）",
                            *result.warnings,
                        ]
                    )
                )

        self.app.push_screen(dialog, done)

    def action_edit_draft(self) -> None:
        """Open the draft editor on the version shown (or the highlighted scheme's newest)."""

        if self.mode == "schemes":
            table = self.query_one("#schemes-table", DataTable)
            if table.row_count == 0:
                return
            code = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            if code not in self.details:
                self.show_info("尚无方案：先按 l 载入一个方案")
                return
            version = None
        else:
            code, version = self.code, self.version

        def opened(draft) -> None:
            self.app.push_screen(SchemeEditorScreen(draft), self._draft_closed)

        self.run_core(draft_from_version, self.db, code, version, on_done=opened)

    def _draft_closed(self, result) -> None:
        """Back from the editor: a version loaded from the exported draft is shown."""
        if not result:
            return
        self.show_info("；".join([result.message(), *result.warnings]))
        self.mode = "tree"
        self.open_version(result.code, result.version)
