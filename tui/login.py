"""Login: username and password; the database is opened (and migrated) in a worker."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Button, Input, Label, Static
from textual.worker import Worker, WorkerState

from assess.foundation.users import authenticate
from tui.base import error_text, plain
from tui.text_input import TextInput


class LoginScreen(Screen):
    CSS_PATH = "login.tcss"
    AUTO_FOCUS = "#username"

    def compose(self) -> ComposeResult:
        with Vertical(id="login-box"):
            yield Static("考核评议系统", classes="title", id="login-title")
            yield Label("用户名")
            yield TextInput(id="username", placeholder="用户名", next_on_enter=True)
            yield Label("密码")
            yield TextInput(id="password", placeholder="密码", password=True)
            yield Button("登录", id="login", variant="primary")
            yield Static("", id="login-message", classes="error")
            yield Static("Enter 登录 · Ctrl+Q 退出", classes="hint")

    @on(Input.Submitted, "#username")
    def _next(self) -> None:
        self.query_one("#password", Input).focus()

    @on(Input.Submitted, "#password")
    @on(Button.Pressed, "#login")
    def _submit(self) -> None:
        user = self.query_one("#username", Input).value.strip()
        password = self.query_one("#password", Input).value
        if not user or not password:
            self._message("请输入用户名和密码。")
            return
        self._message("正在登录…")
        self._login(user, password)

    def _message(self, text: str) -> None:
        self.query_one("#login-message", Static).update(plain(text))

    @work(thread=True, exclusive=True, name="login")
    def _login(self, user: str, password: str) -> tuple[bool, object]:
        try:
            return True, authenticate(self.app.db, user, password)
        except Exception as exc:
            return False, error_text(exc)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Leave the login screen only once the worker has finished (leaving cancels its workers).
        if event.worker.name == "login" and event.state == WorkerState.SUCCESS:
            ok, payload = event.worker.result
            if ok:
                self._done(payload)
            else:
                self._failed(payload)

    def _failed(self, message: str) -> None:
        self._message(message)
        pw = self.query_one("#password", Input)
        pw.value = ""
        pw.focus()

    def _done(self, actor) -> None:
        self.app.pop_screen()
        self.app.logged_in(actor)
