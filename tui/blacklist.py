"""黑名单: the register with entry and exit dates and reasons; list, enter, lift."""

from __future__ import annotations

from datetime import date

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

from assess.foundation.errors import Conflict
from assess.foundation.settings import local_today
from assess.org.blacklist import SUBJECT_KINDS, enter_listing, exit_listing, list_listings
from tui.base import AssessScreen, plain
from tui.forms import FieldSpec, FormDialog
from tui.tables import TableFill


class BlacklistScreen(AssessScreen):
    AREA = "blacklist"
    BINDINGS = [
        Binding("a", "add", "列入"),
        Binding("x", "remove", "移出"),
        Binding("t", "switch", "在册/全部"),
        Binding("g", "refresh", "刷新", show=False),
    ]
    ACTION_RIGHTS = {"add": "blacklist.enter", "remove": "blacklist.exit"}

    def __init__(self) -> None:
        super().__init__()
        self.only_active = True
        self.rows: dict[str, object] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="bl-title", classes="title")
        yield DataTable(id="bl-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="bl-detail", classes="status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#bl-table", DataTable)
        self.action_refresh()
        table.focus()

    def palette_commands(self):
        from textual.app import SystemCommand

        yield SystemCommand("黑名单：列入", "列入单位、干部、企业或个人", self.action_add)
        yield SystemCommand("黑名单：移出", "移出所选条目（须写理由）", self.action_remove)

    def action_switch(self) -> None:
        self.only_active = not self.only_active
        self.action_refresh()

    def action_refresh(self) -> None:
        self.run_core(list_listings, self.db, local_today() if self.only_active else None, on_done=self._show, latest="load")

    def _show(self, rows) -> None:
        what = "今日在册" if self.only_active else "全部（含已移出）"
        self.query_one("#bl-title", Static).update(plain(f"黑名单 · {what} {len(rows)} 条 · t 切换"))
        table = TableFill(self.query_one("#bl-table", DataTable), "编号", "类别", "名称", "列入日期", "移出日期", "理由")
        self.rows = {}
        for r in rows:
            self.rows[str(r.id)] = r
            table.add_row(str(r.id), r.kind_label, plain(r.name), r.entered_on.isoformat(),
                          r.exit_on.isoformat() if r.exit_on else "", plain(r.reason), key=str(r.id))
        table.done()
        current = self._current()
        self.query_one("#bl-detail", Static).update(plain(_detail(current) if current else "a 列入 · x 移出"))

    def _current(self):
        table = self.query_one("#bl-table", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.rows.get(key)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is not None and event.row_key.value in self.rows:
            self.query_one("#bl-detail", Static).update(plain(_detail(self.rows[event.row_key.value])))

    def _after(self, message: str):
        def done(result) -> None:
            if result is not None and result is not False:
                self.show_info(message)
                self.action_refresh()

        return done

    def action_add(self) -> None:
        db, actor = self.db, self.actor
        by_name = {label: code for code, label in SUBJECT_KINDS.items()}

        def kind(text: str) -> str:
            # The form reads the Chinese name (单位…); a code typed from the command line works too.
            text = text.strip()
            return by_name.get(text, text)

        fields = [
            FieldSpec("kind", f"类别（{' / '.join(SUBJECT_KINDS.values())}）", SUBJECT_KINDS["enterprise"]),
            FieldSpec("subject", "单位或干部编码；企业或个人名称"),
            FieldSpec("reason", "理由"),
            FieldSpec("basis", "依据（可空，如通报文号）"),
            FieldSpec("on", "列入日期", local_today().isoformat()),
        ]
        self.app.push_screen(FormDialog("列入黑名单", fields, lambda v: enter_listing(
            db, actor, kind(v["kind"]), v["subject"], v["reason"], _date(v["on"]), v["basis"] or None)),
            self._after("已列入黑名单"))

    def action_remove(self) -> None:
        row = self._current()
        if row is None:
            return
        db, actor = self.db, self.actor
        fields = [FieldSpec("on", "移出日期", local_today().isoformat()), FieldSpec("reason", "移出理由")]
        self.app.push_screen(FormDialog(f"移出黑名单 #{row.id} {row.name}", fields, lambda v: exit_listing(
            db, actor, row.id, _date(v["on"]), v["reason"]) or True), self._after("已移出黑名单"))


def _detail(r) -> str:
    out = f"#{r.id} {r.kind_label} {r.name}：{r.reason}（{r.entered_on.isoformat()} 起"
    out += f"，{r.exit_on.isoformat()} 移出：{r.exit_reason}）" if r.exit_on else "，在册）"
    return out + (f" 依据 {r.basis}" if r.basis else "")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise Conflict(f"日期“{text}”无效，应为 YYYY-MM-DD。") from None
