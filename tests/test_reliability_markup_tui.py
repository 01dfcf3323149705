"""Names carrying Rich/Textual markup are shown literally — never styled, never a link, never a
crash on an unclosed tag — in the main screens: units, rankings and the ballot entry grid. The
check reads what the terminal would show (the compositor's rendered lines), not the widgets' data,
so a string cell that a DataTable read as markup would fail it.
"""

from __future__ import annotations

from datetime import date

from assess.appraisal import entry as svc
from assess.appraisal import sessions as appraisal
from assess.org.units import add_unit
from assess.results.compute import compute_round

from .ballot_helpers import make_round as make_ballot_round
from .conftest import make_users
from .results_helpers import add_scores, full_marks, make_round, scheme_dict, store_scheme
from .tui_helpers import SIZE, login, make_app, settle

NAMES = {
    "M1": "[bold]x[/bold]局",
    "M2": "[link=http://e.x]点我[/link]",
    "M3": "[red]未闭合",
    "M4": "[@click=app.quit]退出[/]",
}


def rendered(app) -> str:
    """The screen as the terminal shows it."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def assert_literal(text: str, names=NAMES, width: int | None = None) -> None:
    for name in names.values():
        shown = name if width is None else name[:width]
        assert shown in text, (shown, text)


async def shown_literally(pilot, width: int) -> None:
    """Wait (a bounded number of repaints) for the names to be on screen, then check them."""
    for _ in range(50):
        text = rendered(pilot.app)
        if all(name[:width] in text for name in NAMES.values()):
            break
        await settle(pilot)
    assert_literal(rendered(pilot.app), width=width)


async def test_units_screen_shows_markup_literally(sqlite_db):
    actors = make_users(sqlite_db)
    for code, name in NAMES.items():
        add_unit(sqlite_db, actors["admin"], code, name, "政府部门")
    app = make_app(sqlite_db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "clerk")
        await pilot.press("f3")
        await settle(pilot)
        assert app.screen.AREA == "units"
        await shown_literally(pilot, 4)  # the name column may clip long names, never interpret them
        assert app.is_running  # the [@click=app.quit] name did nothing


async def test_rankings_screen_shows_markup_literally(sqlite_db):
    actors = make_users(sqlite_db)
    vid = store_scheme(sqlite_db, scheme_dict(weights={"indicators": 100}))
    units = [(code, name, "甲类") for code, name in NAMES.items()]
    rid, ids = make_round(sqlite_db, vid, units)
    add_scores(sqlite_db, rid, ids, full_marks(list(NAMES)))
    compute_round(sqlite_db, actors["admin"], rid, today=date(2026, 4, 10), resamples=0)
    app = make_app(sqlite_db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "reviewer")
        await pilot.press("k")
        await settle(pilot)
        assert app.screen.AREA == "rankings"
        # Four characters are enough to tell literal from interpreted markup ("[bol", "[lin"…
        # would be "x", "点我"…); the name column is sometimes painted at its header's width in
        # headless runs under load (a repaint race reported to the results area).
        await shown_literally(pilot, 4)


async def test_ballot_entry_targets_show_markup_literally(sqlite_db):
    actors = make_users(sqlite_db)
    rid = make_ballot_round(sqlite_db)
    for code, name in NAMES.items():
        add_unit(sqlite_db, actors["admin"], code, name, "政府部门")
    sid = appraisal.create_session(
        sqlite_db, actors["clerk"], rid, "unit", "评议会", target_codes=list(NAMES)
    )
    svc.create_batch(sqlite_db, actors["clerk"], sid, "fw", "箱1", 5, 5)
    app = make_app(sqlite_db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "clerk")
        await pilot.press("f6")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        assert type(app.screen).__name__ == "BallotEntryScreen"
        await shown_literally(pilot, 12)
