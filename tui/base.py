"""Shared screen behaviour: the database and the logged-in user, running core calls in worker
threads, and showing errors as messages (never tracebacks)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import DataTable
from textual.worker import Worker, WorkerState

from assess.foundation.errors import AssessError, user_message
from tui.nav import area
from tui.rights import role_may
from tui.tables import show_detail

if TYPE_CHECKING:
    from assess.foundation.db import Database
    from assess.foundation.roles import Actor

log = logging.getLogger("assess.ui")


def plain(text: object) -> Text:
    """User text as literal text: brackets in a unit name are never read as markup. A Rich
    ``Text`` (not a markup string) works in Static widgets and in DataTable cells, where it is also
    measured correctly for column widths."""
    return Text("" if text is None else str(text))


LOG_PATH: Path | None = None  # set by tui.app.run_app once the log file is open


def log_location() -> str:
    return str(LOG_PATH) if LOG_PATH else "（未配置日志文件）"


# Called with (exception, line shown) for every error that becomes a message through error_text:
# tests/test_tui_every_action.py tells a refusal of the core from an unexpected error by it.
ERROR_OBSERVERS: list[Callable[[BaseException, str], None]] = []


def error_text(exc: BaseException) -> str:
    """The one line a person reads for an error, the same text the command line prints
    (``assess.foundation.errors.user_message``: a refusal of the core, a database error without SQL…). Anything
    not a refusal of the core is logged here with its traceback, and the line names the log file."""

    if not isinstance(exc, AssessError):
        log.error("operation failed: %s", exc, exc_info=exc)
    text = user_message(exc, log_path=log_location())
    for observer in ERROR_OBSERVERS:
        observer(exc, text)
    return text


def action_allowed(actor: Actor | None, rights: dict, action: str) -> bool:
    """Whether a binding's ``action`` string (``add``, ``step('first')``, ``app.open_area('users')``)
    is one ``actor``'s role may perform, by a screen's ``ACTION_RIGHTS`` and the areas' needs."""
    name, _, rest = action.partition("(")
    param = rest.rstrip(")").strip("'\"") if rest else ""
    if name == "app.open_area":
        try:
            return area(param).open_to(actor)
        except KeyError:
            return True
    if param and f"{name}:{param}" in rights:
        return role_may(actor, rights[f"{name}:{param}"])
    return role_may(actor, rights.get(name))


class AssessScreen(Screen):
    """Base of the application's tui.

    ``ACTION_RIGHTS`` maps a screen action (``add`` for ``action_add``) to the core action it ends in
    (``assess.foundation.roles.ACTIONS``): a binding or palette entry whose core action the user's role may not
    perform is hidden and does nothing, so no one fills a form only to be refused when saving. The
    core still checks every write itself."""

    ACTION_RIGHTS: ClassVar[dict[str, str | tuple[str, ...]]] = {}

    def may(self, screen_action: str) -> bool:
        return role_may(self.actor, self.ACTION_RIGHTS.get(screen_action))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # An action taking a parameter may be mapped per value: "step:first" for step('first').
        if parameters and f"{action}:{parameters[0]}" in self.ACTION_RIGHTS:
            return role_may(self.actor, self.ACTION_RIGHTS[f"{action}:{parameters[0]}"])
        return self.may(action)

    @property
    def db(self) -> Database:
        return self.app.db  # type: ignore[attr-defined]

    @property
    def actor(self) -> Actor:
        return self.app.actor  # type: ignore[attr-defined]

    @on(DataTable.RowHighlighted)
    def _table_detail(self, event: DataTable.RowHighlighted) -> None:
        # The whole text of the highlighted row's cells cut with … (tui/tables.py).
        show_detail(event.data_table, event.row_key)

    def show_error(self, message: str) -> None:
        self.app.notify(escape(message), title="错误", severity="error", timeout=8)

    def show_info(self, message: str) -> None:
        self.app.notify(escape(message), timeout=4)

    def run_core(self, fn: Callable[..., Any], *args: Any, on_done: Callable[[Any], None] | None = None,
                 on_error: Callable[[BaseException], None] | None = None, latest: str | None = None,
                 **kwargs: Any) -> None:
        """Call a core function in a worker thread; deliver its result (or error) on the UI thread
        once the worker has finished, so a callback may safely close this screen.

        ``latest``: a name for reads that replace each other (a screen's reload). Only the newest
        call of that name delivers its result: a reload started before a write and finishing after
        a later one would otherwise paint the screen with what was there before the write."""
        generation = None
        if latest is not None:
            generation = self._core_generations.get(latest, 0) + 1
            self._core_generations[latest] = generation
        worker = self._core_worker(fn, args, kwargs)
        self._core_callbacks[worker] = (on_done, on_error, latest, generation)

    @property
    def _core_generations(self) -> dict:
        try:
            return self.__generations
        except AttributeError:
            self.__generations: dict = {}
            return self.__generations

    @property
    def _core_callbacks(self) -> dict:
        try:
            return self.__callbacks
        except AttributeError:
            self.__callbacks: dict = {}
            return self.__callbacks

    @work(thread=True, group="core")
    def _core_worker(self, fn, args, kwargs) -> tuple[bool, Any]:
        try:
            return True, fn(*args, **kwargs)
        except BaseException as exc:  # every failure becomes a message on screen and a log line

            if not isinstance(exc, AssessError):
                log.exception("core call %s failed", getattr(fn, "__name__", fn))
            return False, exc

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state not in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            return
        callbacks = self._core_callbacks.pop(event.worker, None)
        if callbacks is None or event.state != WorkerState.SUCCESS:
            return
        on_done, on_error, latest, generation = callbacks
        if latest is not None and self._core_generations.get(latest) != generation:
            return  # a newer read of the same thing was started: its result is the one to show
        ok, payload = event.worker.result
        if ok:
            if on_done is not None:
                on_done(payload)
        else:
            (on_error or (lambda e: self.show_error(error_text(e))))(payload)
