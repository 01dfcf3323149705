"""The rankings and review screens driven headlessly at 80×24."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from assess.models import AccountabilityEntry, Round
from assess.results.compute import compute_round

from .conftest import make_users
from .results_helpers import add_scores, full_marks, make_round, scheme_dict, store_scheme
from .tui_helpers import SIZE, login, make_app, screen_text, settle, type_text


def computed(db):
    actors = make_users(db)
    vid = store_scheme(
        db,
        scheme_dict(
            weights={"indicators": 100},
            rules=[{"code": "R02", "kind": "last_in_category", "action": "提醒谈话"}],
        ),
    )
    rid, ids = make_round(
        db, vid, [("U1", "财政局[b]", "甲类"), ("U2", "教育局", "甲类"), ("T1", "某镇", "乙类")]
    )
    add_scores(db, rid, ids, full_marks(["U1", "T1"]) + full_marks(["U2"], i1=25))
    compute_round(db, actors["admin"], rid, today=date(2026, 4, 10), resamples=100)
    return rid, ids


async def test_rankings_screen_rows_bars_and_explanation(sqlite_db):
    computed(sqlite_db)
    app = make_app(sqlite_db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "reviewer")
        await pilot.press("k")  # plain key on the dashboard
        await settle(pilot)
        assert app.screen.AREA == "rankings"
        text = screen_text(app)
        assert "财政局[b]" in text and "教育局" in text and "85.00" in text and "良好" in text
        assert "█" in text and "甲类" in text
        assert "某镇" not in text  # another category
        await pilot.press("c")
        await settle(pilot)
        assert "某镇" in screen_text(app)
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("down")  # U2, second in 甲类
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "ExplainDialog"
        text = screen_text(app)
        assert "U2 教育局" in text and "I1" in text and "名次 2/2" in text
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.AREA == "rankings"


async def test_review_screen_confirm_entry_with_reason(sqlite_db):
    rid, ids = computed(sqlite_db)
    app = make_app(sqlite_db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "reviewer")
        await pilot.press("f8")
        await settle(pilot)
        assert app.screen.AREA == "review"
        assert "教育局" in screen_text(app) and "待确认" in screen_text(app)
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("enter")  # empty reason: refused, the dialog stays open
        await settle(pilot)
        assert type(app.screen).__name__ == "FormDialog" and "理由" in screen_text(app)
        await type_text(pilot, "末位属实")
        await pilot.press("enter")
        await settle(pilot)
        await settle(pilot)
        assert app.screen.AREA == "review"
        assert "已确认" in screen_text(app)
    with sqlite_db.read() as s:
        e = s.exec(select(AccountabilityEntry).where(AccountabilityEntry.round_id == rid)).one()
    assert (e.status, e.reason, e.decided_by, e.unit_id) == ("confirmed", "末位属实", "reviewer", ids["U2"])


async def test_review_screen_first_review_by_clerk(sqlite_db):
    rid, _ids = computed(sqlite_db)
    app = make_app(sqlite_db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "clerk")
        await pilot.press("f8")
        await settle(pilot)
        await pilot.press("1")
        await settle(pilot)
        await type_text(pilot, "ok")
        await pilot.press("enter")
        await settle(pilot)
        await settle(pilot)
        assert "初审✓clerk" in screen_text(app)
    with sqlite_db.read() as s:
        assert s.get(Round, rid).stage == "under_review"
