"""Idle lock: the screen is covered until the same user enters the password again."""

from __future__ import annotations

import time

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static
from textual.worker import Worker, WorkerState

from assess.foundation.users import authenticate
from tui.base import error_text, plain
from tui.text_input import TextInput


class LockScreen(ModalScreen):
    CSS_PATH = "login.tcss"
    AUTO_FOCUS = "#unlock-password"
    # Swallow navigation keys while locked.
    BINDINGS = [Binding(k, "noop", show=False, priority=True) for k in ("f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9", "f10", "ctrl+p")]

    def __init__(self, idle_minutes: float | None = None) -> None:
        """``idle_minutes``: locked automatically after that long without a key; None: locked by
        the user (F12 or the palette)."""
        super().__init__()
        self.idle_minutes = idle_minutes

    def compose(self) -> ComposeResult:
        actor = self.app.actor
        if self.idle_minutes is None:
            why = f"{actor.label} 锁定了界面。请输入密码解锁。"
        else:
            why = f"{actor.label} 已 {self.idle_minutes:g} 分钟没有操作，界面已自动锁定。请输入密码解锁。"
        with Vertical(id="login-box"):
            yield Static("已锁屏", classes="title")
            yield Static(plain(why), id="lock-reason")
            yield TextInput(id="unlock-password", placeholder="密码", password=True)
            yield Static("", id="unlock-message", classes="error")

    def action_noop(self) -> None:
        pass

    @on(Input.Submitted, "#unlock-password")
    def _submit(self, event: Input.Submitted) -> None:
        self._unlock(event.value)

    @work(thread=True, exclusive=True, name="unlock")
    def _unlock(self, password: str) -> str | None:
        try:
            authenticate(self.app.db, self.app.actor.username, password)
        except Exception as exc:
            return error_text(exc)
        return None

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.name == "unlock" and event.state == WorkerState.SUCCESS:
            problem = event.worker.result
            if problem is None:
                self._done()
            else:
                self._failed(problem)

    def _failed(self, message: str) -> None:
        self.query_one("#unlock-message", Static).update(plain(message))
        self.query_one("#unlock-password", Input).value = ""

    def _done(self) -> None:
        self.app.locked = False
        self.app.last_activity = time.monotonic()
        self.dismiss()
