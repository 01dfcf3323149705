"""A form dialog that checks what is typed on every keystroke and shows the verdict live, before
anything is saved (e.g. a new max for an indicator: the validation problems it would cause)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import on, work
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from tui.base import error_text, plain
from tui.forms import FieldSpec, FormDialog


class LiveFormDialog(FormDialog):
    """``FormDialog`` plus ``preview(values) -> str``: called in a worker after every change of any
    field; its text (or the error it raises) is shown under the fields. Submitting still runs
    ``submit`` and shows its error without closing."""

    def __init__(
        self,
        title: str,
        fields: list[FieldSpec],
        submit: Callable[[dict[str, str]], Any],
        preview: Callable[[dict[str, str]], str],
    ):
        super().__init__(title, fields, submit)
        self.preview_fn = preview
        self.live_text = ""  # the last verdict shown (tests read it)

    def on_mount(self) -> None:
        super().on_mount()
        self._check(self.values())

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self._check(self.values())

    @work(thread=True, exclusive=True, group="live-check")
    def _check(self, values: dict[str, str]) -> None:
        try:
            text = self.preview_fn(values)
        except Exception as exc:
            text = error_text(exc)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_live, text)

    def _show_live(self, text: str) -> None:
        self.live_text = text
        self.query_one("#form-error", Static).update(plain(text))
