"""Helpers for driving the real app headlessly at 80×24."""

from __future__ import annotations

from tui.app import AssessApp

from .conftest import PASSWORD

SIZE = (80, 24)


def make_app(db, idle_minutes: float = 0) -> AssessApp:
    return AssessApp(db.url, idle_minutes=idle_minutes, db=db)


async def settle(pilot) -> None:
    """Let workers finish and the screen repaint."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def type_text(pilot, text: str) -> None:
    for ch in text:
        await pilot.press(ch if ch != " " else "space")


async def login(pilot, username: str = "admin", password: str = PASSWORD) -> None:
    await settle(pilot)
    await type_text(pilot, username)
    await pilot.press("enter")
    await type_text(pilot, password)
    await pilot.press("enter")
    await settle(pilot)
    await settle(pilot)


def screen_text(app) -> str:
    """Everything visible on the current screen, as plain text."""
    from textual.widgets import DataTable, Static

    parts = []
    for w in app.screen.query(Static):
        parts.append(str(w.render()))
    for t in app.screen.query(DataTable):
        for row_key in t.rows:
            parts.append(" ".join(str(c) for c in t.get_row(row_key)))
    return "\n".join(parts)
