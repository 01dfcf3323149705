"""Shared screen behaviour: the database and the logged-in user, running core calls in worker
threads, and showing errors as messages (never tracebacks)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.markup import escape
from textual.screen import Screen

if TYPE_CHECKING:
    from assess.db import Database
    from assess.roles import Actor

log = logging.getLogger("assess.ui")


def plain(text: object) -> Text:
    """User text as literal text: brackets in a unit name are never read as markup. A Rich
    ``Text`` (not a markup string) works in Static widgets and in DataTable cells, where it is also
    measured correctly for column widths."""
    return Text("" if text is None else str(text))


def error_text(exc: BaseException) -> str:
    from assess.errors import AssessError

    if isinstance(exc, AssessError):
        return str(exc)
    return f"操作失败：{type(exc).__name__}（详情已写入日志）"


class AssessScreen(Screen):
    """Base of the application's screens."""

    @property
    def db(self) -> Database:
        return self.app.db  # type: ignore[attr-defined]

    @property
    def actor(self) -> Actor:
        return self.app.actor  # type: ignore[attr-defined]

    def show_error(self, message: str) -> None:
        self.app.notify(escape(message), title="错误", severity="error", timeout=8)

    def show_info(self, message: str) -> None:
        self.app.notify(escape(message), timeout=4)

    def run_core(self, fn: Callable[..., Any], *args: Any, on_done: Callable[[Any], None] | None = None,
                 on_error: Callable[[BaseException], None] | None = None, **kwargs: Any) -> None:
        """Call a core function in a worker thread; deliver its result (or error) on the UI thread."""
        self._core_worker(fn, args, kwargs, on_done, on_error)

    @work(thread=True, group="core")
    def _core_worker(self, fn, args, kwargs, on_done, on_error) -> None:
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:  # every failure becomes a message on screen and a log line
            from assess.errors import AssessError

            if not isinstance(exc, AssessError):
                log.exception("core call %s failed", getattr(fn, "__name__", fn))
            handler = on_error or (lambda e: self.show_error(error_text(e)))
            self.app.call_from_thread(handler, exc)
            return
        if on_done is not None:
            self.app.call_from_thread(on_done, result)
