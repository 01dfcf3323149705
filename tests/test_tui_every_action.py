"""Every key of every screen, for every role that matters, on the demo database: no unhandled
exception and no error message that is not a refusal.

For each area × role the test logs in, opens the area and presses each key its screen declares
(``BINDINGS`` of the screen and of its own widgets, as Textual lists them in ``active_bindings``),
answering every dialog with Esc. A key that opens another screen (a round's self-check, a meeting,
the ballot entry, a notice…) is followed there, once per screen class, and that screen's keys are
pressed the same way before Esc leads back. ``friendly_errors`` stays off, so an exception in an
action, a callback or a handler fails the test.

An error message passes only if it is a refusal: the text of an ``AssessError`` (the core's
refusals, seen through ``tui.base.ERROR_OBSERVERS``) or a screen's own guidance shown without an
exception (``show_error`` with a fixed sentence). Any other exception turned into a message (a
database error, a ``TypeError``…) or logged at ERROR level fails the test.
"""

from __future__ import annotations

import logging

import pytest
from textual.markup import escape

from assess.demo.office import DEMO_PASSWORD
from assess.foundation.errors import AssessError
from tui import base
from tui.forms import ConfirmDialog, FormDialog, ImportDialog
from tui.nav import AREAS
from tui.nav import area as area_named

from .tui_helpers import SIZE, login, make_app, settle

ROLES = ["admin", "clerk1", "inspector", "reviewer1", "committee"]
# Keys that leave the app, lock it or only navigate elsewhere (each area has its own test).
SKIP_ACTIONS = {"quit", "lock", "help", "command_palette", "leave_search"}
DIALOGS = (FormDialog, ConfirmDialog, ImportDialog)  # answered with Esc, never filled
MAX_DEPTH = 3
CLOSING = {"dismiss", "close", "leave", "back", "cancel"}
ROWS = 2  # rows of a table on which the row-dependent keys are pressed


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _declared(node) -> set[str]:
    """Actions bound in the BINDINGS of the application's own classes behind ``node`` (not the ones
    Textual's DataTable, Input or Screen bring, such as cursor keys and copy)."""
    return {b.action if hasattr(b, "action") else b[1]
            for cls in type(node).__mro__ if cls.__module__.startswith("tui.")
            for b in cls.__dict__.get("BINDINGS", [])}


def _own_keys(screen) -> list[tuple[str, str]]:
    """(key, action) for each enabled binding the screen or one of its widgets declares (not the
    app's, not Textual's own widgets'), one key per action."""
    seen: set[tuple[int, str]] = set()
    keys = []
    for key, active in screen.active_bindings.items():
        node, binding = active.node, active.binding
        if node is screen.app or binding.action not in _declared(node):
            continue
        action = binding.action
        name = action.split("(")[0].removeprefix("screen.")
        if not active.enabled or key == "escape" or name.startswith("app.") or name in SKIP_ACTIONS:
            continue
        if (id(node), action) in seen:
            continue
        seen.add((id(node), action))
        keys.append((key, action))
    # Keys that close the screen last, so the others are pressed first.
    return sorted(keys, key=lambda k: k[1].removeprefix("screen.") in CLOSING)


async def _leave_to(pilot, app, home, visited, trail, depth) -> bool:
    """Come back to ``home`` by Esc, first exercising any screen not seen yet on the way; whether a
    screen other than a dialog was opened."""
    opened = False
    for _ in range(10):
        top = app.screen
        if top is home or home not in app.screen_stack:
            return opened
        if not isinstance(top, DIALOGS):
            opened = True
            if type(top) not in visited and depth < MAX_DEPTH:
                visited.add(type(top))
                await _exercise(pilot, app, top, visited, trail, depth + 1)
                continue
        if isinstance(top, ConfirmDialog) and len(app.screen_stack) >= 2 and app.screen_stack[-2] is not home \
                and getattr(app.screen_stack[-2], "_asked_to_leave", False):
            await pilot.press("y")  # "leave unsaved work?" asked by a sub-screen we are leaving
        else:
            if not isinstance(top, DIALOGS):
                top._asked_to_leave = True
            await pilot.press("escape")
        await settle(pilot)
    raise AssertionError(f"Esc 无法离开 {type(app.screen).__name__}（{' → '.join(trail)}）")


def _error_count(app) -> int:
    return sum(1 for n in app._notifications if n.severity == "error")


async def _exercise(pilot, app, screen, visited, trail, depth) -> None:
    """Press every key of ``screen`` on the first row of its table; then, on the next rows (up to
    ROWS in all), the keys whose outcome depended on the row: those that opened a screen or were
    refused (a notice exists only for some findings, a meeting's screens differ by its kind)."""
    from textual.widgets import DataTable

    trail = [*trail, type(screen).__name__]
    row_keys = []
    for key, action in _own_keys(screen):
        if app.screen is not screen:
            return
        before = _error_count(app)
        opened = await _press(pilot, app, screen, key, visited, [*trail, f"{key}:{action}"], depth)
        if screen not in app.screen_stack:
            return  # the key closed this screen (it may do so): the caller goes on
        if opened or _error_count(app) > before:
            row_keys.append((key, action))
    table = app.focused
    if not row_keys or not isinstance(table, DataTable) or table.screen is not screen:
        return
    for row in range(1, min(table.row_count, ROWS)):
        table.move_cursor(row=row)
        await settle(pilot)
        # From the area's own table a sub-screen is exercised again for each row (another round,
        # another meeting); deeper, each screen once.
        seen_here = {type(s) for s in app.screen_stack} if depth == 0 else visited
        for key, action in row_keys:
            if app.screen is not screen:
                return
            await _press(pilot, app, screen, key, seen_here, [*trail, f"row {row}", f"{key}:{action}"], depth)
            if screen not in app.screen_stack:
                return
        visited |= seen_here


async def _press(pilot, app, screen, key, visited, trail, depth) -> bool:
    await pilot.press(key)
    await settle(pilot)
    return await _leave_to(pilot, app, screen, visited, trail, depth)


async def _drive(db, area, role, monkeypatch, tmp_path):
    """Press every key of ``area`` as ``role``; return the exceptions shown through error_text,
    the ERROR log records and the error messages on screen."""
    monkeypatch.setenv("ASSESS_EXPORT_DIR", str(tmp_path / "exports"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)  # files for people go to the export folder, never the working directory
    seen: list[tuple[BaseException, str]] = []
    monkeypatch.setattr(base, "ERROR_OBSERVERS", [lambda exc, text: seen.append((exc, text))])
    errors = _Errors()
    logger = logging.getLogger("assess")
    logger.addHandler(errors)
    app = make_app(db)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await login(pilot, role, DEMO_PASSWORD)
            assert app.actor is not None, role
            if not area.open_to(app.actor):
                pytest.skip(f"{role} 不能进入 {area.title}（该区域不提供给此角色）")
            app.action_open_area(area.name)
            await settle(pilot)
            home = app.screen
            assert getattr(home, "AREA", None) == area.name
            await _exercise(pilot, app, home, {type(home)}, [role], 0)
            toasts = [n.message for n in app._notifications if n.severity == "error"]
    finally:
        logger.removeHandler(errors)
    assert not list(cwd.iterdir()), list(cwd.iterdir())
    return seen, errors.records, toasts


def _check(seen, records, toasts) -> None:
    unexpected = [f"{type(e).__name__}: {e}" for e, _ in seen if not isinstance(e, AssessError)]
    assert not unexpected, unexpected
    assert not records, [r.getMessage() for r in records]
    from_exceptions = {escape(text): exc for exc, text in seen}
    for message in toasts:
        exc = from_exceptions.get(message)
        assert exc is None or isinstance(exc, AssessError), message
        assert "日志" not in message, message  # an unexpected error names the log file


# Administrator and clerk here (between them most keys of every screen); the other roles in
# test_tui_every_action_roles.py, marked slow (CI runs it): the sweep of all five takes minutes.
ROLES_HERE = ROLES[:2]


@pytest.mark.parametrize("role", ROLES_HERE)
@pytest.mark.parametrize("area", AREAS, ids=lambda a: a.name)
async def test_every_key_of_every_screen(demo_db, area, role, monkeypatch, tmp_path):
    _check(*await _drive(demo_db, area, role, monkeypatch, tmp_path))


async def test_harness_fails_on_an_error_in_an_action(demo_db, monkeypatch, tmp_path):
    from tui.audit_log import AuditLogScreen

    def broken(self):
        raise RuntimeError("injected")

    monkeypatch.setattr(AuditLogScreen, "action_refresh", broken)
    with pytest.raises(RuntimeError, match="injected"):
        await _drive(demo_db, area_named("audit"), "admin", monkeypatch, tmp_path)


async def test_harness_fails_on_an_unexpected_error_shown_as_a_message(demo_db, monkeypatch, tmp_path):
    from tui.audit_log import AuditLogScreen

    def lookup():
        return {}["missing"]

    def refresh_with_a_bug(self):
        self.run_core(lookup)

    monkeypatch.setattr(AuditLogScreen, "action_refresh", refresh_with_a_bug)
    seen, records, toasts = await _drive(demo_db, area_named("audit"), "admin", monkeypatch, tmp_path)
    assert any(isinstance(e, KeyError) for e, _ in seen) and toasts
    with pytest.raises(AssertionError, match="KeyError"):
        _check(seen, records, toasts)


async def test_harness_accepts_a_refusal_of_the_core(demo_db, monkeypatch, tmp_path):
    from assess.foundation.errors import Conflict
    from tui.audit_log import AuditLogScreen

    def refuse():
        raise Conflict("该记录已核定，不能修改。")

    monkeypatch.setattr(AuditLogScreen, "action_refresh", lambda self: self.run_core(refuse))
    seen, records, toasts = await _drive(demo_db, area_named("audit"), "admin", monkeypatch, tmp_path)
    assert toasts and set(toasts) == {escape("该记录已核定，不能修改。")}  # on mount and on g
    _check(seen, records, toasts)
