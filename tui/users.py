"""用户与角色 (admin): list users, add one (password typed twice), deactivate or reactivate, reset a
password. Every write goes through ``assess.foundation.users`` (authorize + audit)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

from assess.foundation.errors import Conflict
from assess.foundation.roles import ROLES
from assess.foundation.users import (
    MIN_PASSWORD,
    add_user,
    change_password,
    list_users,
    set_active,
    set_unit,
)
from tui.base import AssessScreen, plain
from tui.forms import ConfirmDialog, FieldSpec, FormDialog
from tui.tables import TableFill


def role_hint() -> str:
    return "、".join(f"{code} {name}" for code, name in ROLES.items())


def role_code(text: str) -> str:
    """A role typed as its code (clerk) or its Chinese name (录入员)."""

    text = text.strip()
    for code, name in ROLES.items():
        if text in (code, name):
            return code
    raise Conflict(f"角色“{text}”无效，可选：{role_hint()}。")


def same_twice(first: str, again: str) -> str:
    if first != again:
        raise Conflict("两次输入的密码不一致。")
    return first


class UsersScreen(AssessScreen):
    AREA = "users"
    CSS_PATH = "users.tcss"
    BINDINGS = [
        Binding("a", "add", "新增用户"),
        Binding("x", "toggle_active", "停用/启用"),
        Binding("p", "reset_password", "重设密码"),
        Binding("u", "set_unit", "所属单位"),
        Binding("g", "refresh", "刷新"),
    ]
    ACTION_RIGHTS = {"add": "user.add", "toggle_active": "user.deactivate", "reset_password": "user.password",
                     "set_unit": "user.unit"}

    def __init__(self) -> None:
        super().__init__()
        self.users: dict[str, dict] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("用户与角色（a 新增 · x 停用/启用 · p 重设密码）", classes="title")
        yield DataTable(id="users-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="users-status", classes="status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#users-table", DataTable)
        self.action_refresh()
        table.focus()

    def palette_commands(self):
        from textual.app import SystemCommand

        yield SystemCommand("用户：新增用户", "新增用户并设定角色和初始密码", self.action_add)
        yield SystemCommand("用户：停用或启用", "停用或重新启用所选用户", self.action_toggle_active)
        yield SystemCommand("用户：重设密码", "为所选用户重设密码", self.action_reset_password)
        yield SystemCommand("用户：所属单位", "设定所选用户所属的单位（职能部门评分）", self.action_set_unit)

    def action_refresh(self) -> None:
        self.run_core(list_users, self.db, on_done=self._show, latest="load")

    def _show(self, rows: list[dict]) -> None:
        table = self.query_one("#users-table", DataTable)
        keep = table.cursor_row
        fill = TableFill(table, "用户名", "姓名", "角色", "状态", "所属单位")
        self.users = {}
        for u in rows:
            self.users[u["username"]] = u
            fill.add_row(plain(u["username"]), plain(u["display_name"]), ROLES.get(u["role"], u["role"]),
                          "启用" if u["active"] else "已停用", plain(u.get("unit") or "考核办"), key=u["username"])
        fill.done()
        if rows:
            table.move_cursor(row=min(max(keep, 0), len(rows) - 1))
        active = sum(1 for u in rows if u["active"])
        self.query_one("#users-status", Static).update(plain(f"共 {len(rows)} 个用户，启用 {active} 个"))

    def _current(self) -> dict | None:
        table = self.query_one("#users-table", DataTable)
        if table.row_count == 0:
            return None
        return self.users.get(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def action_add(self) -> None:
        db, actor = self.db, self.actor
        fields = [
            FieldSpec("username", "用户名（登录用，不含空白）"),
            FieldSpec("display_name", "姓名（界面和记录中显示）"),
            FieldSpec("role", f"角色：{role_hint()}", "clerk"),
            FieldSpec("password", f"初始密码（至少 {MIN_PASSWORD} 个字符）", password=True),
            FieldSpec("again", "再输入一次密码", password=True),
        ]

        def submit(v: dict[str, str]) -> str:
            password = same_twice(v["password"], v["again"])
            add_user(db, actor, v["username"], role_code(v["role"]), password, v["display_name"].strip() or None)
            return v["username"].strip()

        def done(name) -> None:
            if name:
                self.show_info(f"已新增用户 {name}")
                self.action_refresh()

        self.app.push_screen(FormDialog("新增用户", fields, submit), done)

    def action_toggle_active(self) -> None:
        user = self._current()
        if user is None:
            return
        name, active = user["username"], not user["active"]
        question = (f"停用用户 {name}（{user['display_name']}）？停用后不能登录，记录保留。" if not active
                    else f"重新启用用户 {name}（{user['display_name']}）？")

        def confirmed(ok: bool | None) -> None:
            if ok:
                self.run_core(set_active, self.db, self.actor, name, active,
                              on_done=lambda _r: (self.show_info(f"已{'启用' if active else '停用'}用户 {name}"),
                                                  self.action_refresh()))

        self.app.push_screen(ConfirmDialog(question), confirmed)

    def action_set_unit(self) -> None:
        user = self._current()
        if user is None:
            return
        name, db, actor = user["username"], self.db, self.actor
        fields = [FieldSpec("unit", "所属单位编码（职能部门评分：只录入该单位负责评分的指标；留空为考核办）",
                            user.get("unit") or "")]

        def done(ok) -> None:
            if ok:
                self.show_info(f"已设定用户 {name} 的所属单位")
                self.action_refresh()

        self.app.push_screen(FormDialog(f"{name} 的所属单位", fields,
                                        lambda v: set_unit(db, actor, name, v["unit"].strip() or None) or True), done)

    def action_reset_password(self) -> None:
        user = self._current()
        if user is None:
            return
        name = user["username"]
        if name == self.actor.username:
            self.app.action_change_password()  # one's own password needs the old one
            return
        db, actor = self.db, self.actor
        fields = [FieldSpec("password", f"{name} 的新密码（至少 {MIN_PASSWORD} 个字符）", password=True),
                  FieldSpec("again", "再输入一次新密码", password=True)]

        def submit(v: dict[str, str]) -> bool:
            change_password(db, actor, name, same_twice(v["password"], v["again"]))
            return True

        self.app.push_screen(FormDialog(f"重设 {name} 的密码", fields, submit),
                             lambda ok: self.show_info(f"已重设 {name} 的密码") if ok else None)
