"""新建评议会议, second step: the targets in ballot order (choose units or cadres, reorder), the
meeting's date, 实到 and the 应到/实到 of each voter group of the form — what ``assess appraisal create
--targets --group --held-on --present`` takes. Saved through ``assess.appraisal.sessions.create_session``."""

from __future__ import annotations

from datetime import date

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Footer, Header, Input, Label, Static
from textual.worker import Worker, WorkerState

from assess.appraisal.sessions import create_session, set_targets
from assess.foundation.errors import Conflict
from tui.base import AssessScreen, error_text, plain
from tui.forms import ConfirmDialog
from tui.tables import TableFill
from tui.text_input import TextInput


class TargetTable(DataTable):
    """The candidate targets; its keys act only while it has the focus (fields keep space)."""

    BINDINGS = [
        Binding("space", "screen.toggle", "选入/移出"),
        Binding("ctrl+up,minus", "screen.move(-1)", "上移"),
        Binding("ctrl+down,plus,equals_sign", "screen.move(1)", "下移"),
        Binding("asterisk", "screen.toggle_all", "全选/全不选", show=False),
    ]


def parse_count(text: str, what: str) -> int:
    text = text.strip() or "0"
    try:
        n = int(text)
    except ValueError:
        raise Conflict(f"{what}“{text}”不是整数。") from None
    if n < 0:
        raise Conflict(f"{what}不能为负数。")
    return n


def parse_date(text: str):
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Conflict(f"会议日期“{text}”应为 YYYY-MM-DD，如 2026-12-15。") from None


class NewSessionScreen(AssessScreen):
    CSS_PATH = "appraisal.tcss"
    BINDINGS = [
        Binding("f5", "save", "保存"),
        Binding("escape", "leave", "取消"),
    ]
    ACTION_RIGHTS = {"save": "appraisal.session"}  # create_session and set_targets alike

    def __init__(self, plan, name: str = "", *, session_id: int | None = None, current: list[str] | None = None) -> None:
        """A new session of ``plan``; or, with ``session_id``, only the targets of that session,
        ``current`` in their ballot order (``appraisal.set_targets``, before any ballot is keyed)."""
        super().__init__()
        self.plan = plan
        self.initial_name = name
        self.session_id = session_id
        # [code, name, detail, chosen]: the list order is the ballot order of the chosen ones.
        if session_id is None:
            # Chosen at first: the round's units of a 民主评议 (what the command line takes by
            # default); the cadres of a 勤廉双述 are chosen one by one.
            self.rows: list[list] = [[c, n, d, plan.kind == "unit" and mine] for c, n, d, mine in plan.candidates]
        else:
            by_code = {c: (c, n, d) for c, n, d, _m in plan.candidates}
            chosen = [c for c in current or [] if c in by_code]
            self.rows = [[*by_code[c], True] for c in chosen]
            self.rows += [[c, n, d, False] for c, n, d, _m in plan.candidates if c not in set(chosen)]
        self.initial = self._state()

    def compose(self) -> ComposeResult:
        p = self.plan
        yield Header()
        title = (f"新建{p.kind_label}会议：{p.round_name} · 评议表 {p.form_name}" if self.session_id is None
                 else f"评议对象与票面顺序：第 {self.session_id} 号会议（{p.kind_label}）· F5 保存")
        yield Static(plain(title), classes="title")
        with Horizontal(id="new-session"):
            with Vertical(id="new-targets"):
                yield Static("", id="new-targets-head")
                yield TargetTable(id="new-target-table", cursor_type="row", zebra_stripes=True)
            if self.session_id is None:  # a new session: its fields beside the targets
                with VerticalScroll(id="new-fields", can_focus=False):
                    yield Label("会议名称")
                    yield TextInput(value=self.initial_name, id="new-name")
                    yield Label("会议日期（YYYY-MM-DD）")
                    yield TextInput(placeholder="可空", id="new-held-on")
                    for code, name in p.groups:
                        yield Label(plain(f"{name} 应到人数"))
                        yield TextInput(value="0", id=f"new-group-{code}", classes="new-group")
                        yield Label(plain(f"{name} 实到人数"))
                        yield TextInput(value="0", id=f"new-present-{code}", classes="new-group")
                    yield Label("实到人数（全体；0：各类别实到之和）")
                    yield TextInput(value="0", id="new-present")
        yield Static("", id="new-status", classes="status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(TargetTable)
        self._render_rows()
        table.focus()
        self.initial = self._state()

    def _render_rows(self, cursor: int | None = None) -> None:
        table = self.query_one(TargetTable)
        keep = table.cursor_row if cursor is None else cursor
        fill = TableFill(table, "票序", "编码", "名称", "单位与职务" if self.plan.kind == "cadre" else "类别")
        position = 0
        for code, name, detail, chosen in self.rows:
            position += chosen
            fill.add_row(str(position) if chosen else "", plain(code), plain(name), plain(detail), key=code)
        fill.done()
        if self.rows:
            table.move_cursor(row=min(max(keep, 0), len(self.rows) - 1))
        n = sum(1 for r in self.rows if r[3])
        self.query_one("#new-targets-head", Static).update(plain(
            f"评议对象 已选 {n}/{len(self.rows)}（空格 选入/移出 · -/+ 上移/下移 · * 全选）"))

    def chosen_codes(self) -> list[str]:
        """The chosen targets in ballot order."""
        return [r[0] for r in self.rows if r[3]]

    # -- editing the target list ----------------------------------------------------------------
    def action_toggle(self) -> None:
        row = self.query_one(TargetTable).cursor_row
        if 0 <= row < len(self.rows):
            self.rows[row][3] = not self.rows[row][3]
            self._render_rows(cursor=min(row + 1, len(self.rows) - 1))

    def action_toggle_all(self) -> None:
        everything = not all(r[3] for r in self.rows)
        for r in self.rows:
            r[3] = everything
        self._render_rows()

    def action_move(self, step: int) -> None:
        row = self.query_one(TargetTable).cursor_row
        other = row + step
        if 0 <= row < len(self.rows) and 0 <= other < len(self.rows):
            self.rows[row], self.rows[other] = self.rows[other], self.rows[row]
            self._render_rows(cursor=other)

    # -- saving -----------------------------------------------------------------------------------
    def _value(self, wid: str) -> str:
        return self.query_one(f"#{wid}", Input).value

    def _state(self) -> tuple:
        fields = tuple(i.value for i in self.query(Input)) if self.is_mounted else ()
        return tuple(tuple(r) for r in self.rows), fields

    def values(self) -> dict:
        """The form as ``create_session`` arguments; a refusal names the field."""

        codes = self.chosen_codes()
        if not codes:
            raise Conflict("请至少选入一个评议对象（空格选入）。")
        groups = {code: parse_count(self._value(f"new-group-{code}"), f"{name}应到人数") for code, name in self.plan.groups}
        came = {code: parse_count(self._value(f"new-present-{code}"), f"{name}实到人数") for code, name in self.plan.groups}
        return {
            "name": self._value("new-name"),
            "held_on": parse_date(self._value("new-held-on")),
            "present": parse_count(self._value("new-present"), "实到人数"),
            "group_expected": {c: n for c, n in groups.items() if n},
            "group_present": {c: n for c, n in came.items() if n},
            "target_codes": codes,
        }

    def action_save(self) -> None:
        if self.session_id is not None:
            self._save_targets()
            return
        try:
            v = self.values()
        except Exception as exc:
            self._status(error_text(exc))
            return
        self._status("正在保存…")
        self._save(v)

    def _save(self, v: dict) -> None:
        p = self.plan
        self.run_worker(lambda: create_session(self.db, self.actor, p.round_id, p.kind, v["name"],
                                               form_code=p.form_code, target_codes=v["target_codes"],
                                               held_on=v["held_on"], present=v["present"],
                                               group_expected=v["group_expected"],
                                               group_present=v["group_present"]),
                        thread=True, exclusive=True, name="new-session-save", exit_on_error=False)

    def _save_targets(self) -> None:
        codes = self.chosen_codes()
        if not codes:
            self._status("请至少选入一个评议对象（空格选入）。")
            return
        self._status("正在保存…")
        self.run_worker(lambda: set_targets(self.db, self.actor, self.session_id, codes),
                        thread=True, exclusive=True, name="new-session-save", exit_on_error=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.name != "new-session-save":
            super().on_worker_state_changed(event)
            return
        if event.state == WorkerState.SUCCESS:
            self.initial = self._state()
            self.dismiss(event.worker.result)
        elif event.state == WorkerState.ERROR:
            self._status(error_text(event.worker.error))

    def _status(self, text: str) -> None:
        self.query_one("#new-status", Static).update(plain(text))

    # -- leaving ----------------------------------------------------------------------------------
    def unsaved_question(self) -> str | None:
        """Asked by the app before any way out (F-key, menu key, palette, Ctrl+Q) leaves this screen."""
        if self._state() == self.initial:
            return None
        if self.session_id is not None:
            return "评议对象的改动尚未保存，放弃？"
        return "新建评议会议尚未保存，放弃已选的对象和已填的内容？"

    def action_leave(self) -> None:
        question = self.unsaved_question()
        if question is None:
            self.dismiss(None)
        else:
            self.app.push_screen(ConfirmDialog(question), lambda ok: self.dismiss(None) if ok else None)
