"""Reusable dialogs: a form of text fields, a file import with its error list, a confirmation.

The dialog calls a core function in a worker when submitted; on error it stays open and shows the
message, so nothing typed is lost; on success it closes and returns the result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static
from textual.worker import Worker, WorkerState

from assess.foundation.errors import InputErrors
from tui.base import error_text, plain
from tui.text_input import TextInput


@dataclass
class FieldSpec:
    name: str
    label: str
    value: str = ""
    placeholder: str = ""
    password: bool = False
    disabled: bool = False


class FormDialog(ModalScreen):
    """Fields, then Enter on the last field (or F5 / the OK button) submits."""

    CSS_PATH = "forms.tcss"
    BINDINGS = [Binding("escape", "cancel", "取消"), Binding("f5", "submit", "保存")]

    def __init__(self, title: str, fields: list[FieldSpec], submit: Callable[[dict[str, str]], Any]):
        super().__init__()
        self.title_text = title
        self.fields = fields
        self.submit_fn = submit

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(plain(self.title_text), classes="title")
            with VerticalScroll(classes="dialog-fields"):
                last = [f for f in self.fields if not f.disabled][-1:] or [None]
                for f in self.fields:
                    yield Label(plain(f.label))
                    yield TextInput(value=f.value, placeholder=f.placeholder, password=f.password, id=f"f-{f.name}",
                                    disabled=f.disabled, next_on_enter=f is not last[0])
            yield Static("", id="form-error", classes="error")
            yield Button("保存（F5）", id="ok", variant="primary")
            yield Static("Enter 下一项 · F5 保存 · Esc 取消", classes="hint")

    def on_mount(self) -> None:
        self.initial_values = self.values()
        for f in self.fields:
            if not f.disabled:
                self.query_one(f"#f-{f.name}", Input).focus()
                break

    def unsaved_question(self) -> str | None:
        """Asked before anything (Esc, an F-key, a menu key, the palette, Ctrl+Q) drops what was typed."""
        initial = getattr(self, "initial_values", None)
        if initial is not None and self.values() != initial:
            return f"“{self.title_text}”中填写的内容尚未保存，放弃？"
        return None

    def values(self) -> dict[str, str]:
        return {f.name: self.query_one(f"#f-{f.name}", Input).value for f in self.fields}

    @on(Input.Submitted)
    def _next(self, event: Input.Submitted) -> None:
        enabled = [f for f in self.fields if not f.disabled]
        ids = [f"f-{f.name}" for f in enabled]
        if event.input.id in ids and ids.index(event.input.id) < len(ids) - 1:
            self.query_one(f"#{ids[ids.index(event.input.id) + 1]}", Input).focus()
        else:
            self.action_submit()

    @on(Button.Pressed, "#ok")
    def action_submit(self) -> None:
        self.query_one("#form-error", Static).update(plain("正在保存…"))
        self._run(self.values())

    @work(thread=True, exclusive=True, name="form-submit")
    def _run(self, values: dict[str, str]) -> tuple[bool, object]:
        try:
            result = self.submit_fn(values)
        except Exception as exc:
            return False, error_text(exc)
        return True, result if result is not None else True

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Close only once the worker has finished: dismissing from inside it would cancel it.
        if event.worker.name == "form-submit" and event.state == WorkerState.SUCCESS:
            ok, payload = event.worker.result
            if ok:
                self.dismiss(payload)
            else:
                self._failed(payload)

    def _failed(self, message: str) -> None:
        self.query_one("#form-error", Static).update(plain(message))

    def action_cancel(self) -> None:
        question = self.unsaved_question()
        if question is None:
            self.dismiss(None)
        else:
            self.app.push_screen(ConfirmDialog(question), lambda ok: self.dismiss(None) if ok else None)


class ImportDialog(ModalScreen):
    """Ask for a file path, run an all-or-nothing import, list every problem on failure."""

    CSS_PATH = "forms.tcss"
    BINDINGS = [Binding("escape", "cancel", "取消")]

    def __init__(
        self,
        title: str,
        hint: str,
        run: Callable[[str], Any],
        *,
        failure: str = "未导入任何数据",
        placeholder: str = "文件路径（.csv 或 .xlsx）",
    ):
        super().__init__()
        self.title_text = title
        self.hint_text = hint
        self.run_fn = run
        self.failure_text = failure  # the headline over the problems (a check-only dialog imports nothing)
        self.placeholder_text = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(plain(self.title_text), classes="title")
            yield Static(plain(self.hint_text), classes="hint")
            yield TextInput(placeholder=self.placeholder_text, id="import-path")
            with VerticalScroll(id="import-problems"):
                yield Static("", id="import-result")
            yield Static("Enter 导入 · Esc 关闭", classes="hint")

    def on_mount(self) -> None:
        self.query_one("#import-path", Input).focus()

    @on(Input.Submitted, "#import-path")
    def _go(self, event: Input.Submitted) -> None:
        path = event.value.strip()
        if not path:
            return
        self.last_run_path = path
        self.query_one("#import-result", Static).update(plain("正在检查文件…"))
        self._run(path)

    @work(thread=True, exclusive=True, name="import-run")
    def _run(self, path: str) -> tuple[bool, object]:
        try:
            result = self.run_fn(str(Path(path).expanduser()))
        except InputErrors as exc:
            # exc.lines() lists the first problems, then a count of the rest (assess/errors.py).
            return False, f"{self.failure_text}：发现 {exc.total} 处问题\n" + "\n".join(exc.lines())
        except Exception as exc:
            return False, f"{self.failure_text}：{error_text(exc)}"
        return True, result

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.name == "import-run" and event.state == WorkerState.SUCCESS:
            ok, payload = event.worker.result
            if ok:
                self.dismiss(payload)
            else:
                self._show(payload)

    def _show(self, text: str) -> None:
        self.query_one("#import-result", Static).update(plain(text))

    def unsaved_question(self) -> str | None:
        """A typed path not yet run is work too: asked before Esc, an F-key, the palette or Ctrl+Q
        drops it (once it has been run, its result is on screen and leaving loses nothing)."""
        typed = self.query_one("#import-path", Input).value.strip()
        if typed and typed != getattr(self, "last_run_path", None):
            return f"“{self.title_text}”中填写的文件路径尚未导入，放弃？"
        return None

    def action_cancel(self) -> None:
        question = self.unsaved_question()
        if question is None:
            self.dismiss(None)
        else:
            self.app.push_screen(ConfirmDialog(question), lambda ok: self.dismiss(None) if ok else None)


class ConfirmDialog(ModalScreen[bool]):
    """A question answered once with y or n. ``detail`` (what exactly will happen: the pool and key
    of a draw, the counts of a certification) is shown above it in a scrolling pane."""

    CSS_PATH = "forms.tcss"
    BINDINGS = [Binding("y", "yes", "是"), Binding("n,escape", "no", "否")]

    def __init__(self, question: str, detail: str = ""):
        super().__init__()
        self.question = question
        self.detail = detail

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            if self.detail:
                with VerticalScroll(id="confirm-detail"):
                    yield Static(plain(self.detail))
            yield Static(plain(self.question), id="confirm-question")
            yield Static("y 确认 · n / Esc 取消" + (" · ↑↓ 翻看" if self.detail else ""), classes="hint")

    def on_mount(self) -> None:
        if self.detail:
            self.query_one("#confirm-detail", VerticalScroll).focus()

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)


class TextDialog(ModalScreen[None]):
    """Read-only text in a scrolling pane (a list of records to read); Esc or q closes it."""

    CSS_PATH = "forms.tcss"
    BINDINGS = [Binding("escape,q", "close", "关闭")]

    def __init__(self, title: str, text: str):
        super().__init__()
        self.title_text = title
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(plain(self.title_text), classes="title")
            with VerticalScroll(id="text-body"):
                yield Static(plain(self.text))
            yield Static("↑↓ 翻看 · Esc 关闭", classes="hint")

    def on_mount(self) -> None:
        self.query_one("#text-body", VerticalScroll).focus()

    def action_close(self) -> None:
        self.dismiss(None)
