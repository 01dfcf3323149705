"""The ballot screens driven headlessly at 80×24: keying ten ballots of a 60-target ballot, the
mismatch resolution screen, and the tally view."""

from __future__ import annotations

from sqlmodel import select

from assess.appraisal import entry as ballots
from assess.appraisal import sessions as appraisal
from assess.demo import builders
from assess.models import EntryPass, PassBallot

from .ballot_helpers import make_round
from .conftest import make_users
from .tui_helpers import SIZE, login, make_app, screen_text, settle, type_text


def _setup(db, n_targets: int = 60, returned: int = 10):
    actors = make_users(db)
    rid = make_round(db)
    codes = builders.numbered_units(db, actors["admin"], n_targets)
    sid = appraisal.create_session(
        db, actors["clerk"], rid, "unit", "机关作风民主评议", target_codes=codes, expected=100, present=90
    )
    bid = ballots.create_batch(db, actors["clerk"], sid, "fw", "票箱1", 12, returned)
    return actors, sid, bid


async def _open_entry(pilot, app) -> None:
    await pilot.press("f6")
    await settle(pilot)
    assert app.screen.AREA == "ballots"
    assert "机关作风民主评议" in screen_text(app)
    await pilot.press("enter")  # open the session
    await settle(pilot)
    assert type(app.screen).__name__ == "SessionScreen"
    await pilot.press("e")  # key my pass over the selected batch
    await settle(pilot)
    assert type(app.screen).__name__ == "BallotEntryScreen"


async def test_keying_ten_ballots_of_sixty_targets(sqlite_db):
    db = sqlite_db
    _actors, _sid, bid = _setup(db)
    # Options 1 满意 (at most 2 per ballot) · 2 基本满意 · 3 不满意 · 4 不了解.
    patterns = [
        "12" + "34" * 29,
        "2" * 60,
        "111" + "3" * 57,
        "4" * 60,
        "12" + "0" * 58,
        "34" * 30,
        "4320" * 15,
        "2340" * 15,
    ]
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "clerk")
        await _open_entry(pilot, app)
        from tui.ballot_entry import BallotGrid

        grid = app.screen.query_one(BallotGrid)
        assert grid.cols == 4 and grid.rows == 15  # 60 targets in 4 columns at 80×24
        shown = grid.text()
        assert " 1 第1局" in shown and "60 第60局" in shown
        assert "已录 0 / 收回 10" in screen_text(app)
        # Ballots 1–3: keyed in full, ballot 2 with a typo corrected by backspace.
        await type_text(pilot, patterns[0])
        await pilot.press("enter")
        await type_text(pilot, patterns[1][:30] + "3")
        await pilot.press("backspace")
        await type_text(pilot, patterns[1][30:])
        await pilot.press("enter")
        await type_text(pilot, patterns[2])
        await pilot.press("enter")
        # Ballot 4: void with one key; ballot 5: blank with one key.
        await pilot.press("v")
        await pilot.press("b")
        # Ballot 6: two marks then Enter twice: the rest is "no mark".
        await type_text(pilot, "12")
        await pilot.press("enter")
        assert "还有 58 项未录" in screen_text(app)
        await pilot.press("enter")
        # Ballot 7: a double mark on target 3 (x) and spaces for no mark.
        await type_text(pilot, "21x" + " " * 57)
        await pilot.press("enter")
        # Ballots 8–10.
        for p in patterns[5:8]:
            await type_text(pilot, p)
            await pilot.press("enter")
        await settle(pilot)
        text = screen_text(app)
        assert "已录 10 / 收回 10" in text and "有效 7" in text and "废票 2" in text and "空白 1" in text
        assert "第 10 张 已保存" in text
        # An option key that does not exist is refused and changes nothing.
        await pilot.press("7")
        assert "没有选项 7" in screen_text(app) and grid.marks == []
        # Finish the pass.
        await pilot.press("f")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert type(app.screen).__name__ == "SessionScreen"
    with db.read() as s:
        p = s.exec(select(EntryPass).where(EntryPass.batch_id == bid)).one()
        rows = {
            b.ballot_no: (b.status, b.marks)
            for b in s.exec(select(PassBallot).where(PassBallot.pass_id == p.id))
        }
    assert p.clerk == "clerk" and p.pass_no == 1 and p.status == "closed"
    assert rows == {
        1: ("valid", patterns[0]),
        2: ("valid", patterns[1]),
        3: ("void", patterns[2]),  # three 满意 > 2 allowed: void as a whole, marks kept
        4: ("void", "0" * 60),
        5: ("blank", "0" * 60),
        6: ("valid", "12" + "0" * 58),
        7: ("valid", "21X" + "0" * 57),
        8: ("valid", patterns[5]),
        9: ("valid", patterns[6]),
        10: ("valid", patterns[7]),
    }


async def test_second_clerk_sees_nothing_of_first_pass(sqlite_db):
    db = sqlite_db
    actors, _sid, bid = _setup(db, n_targets=4, returned=2)
    builders.key_pass(db, actors["clerk"], bid, [(1, "1234", "marks"), (2, "2341", "marks")], close=False)
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "clerk2")
        await _open_entry(pilot, app)
        text = screen_text(app)
        assert "第 2 遍（clerk2）" in text and "第 1 张" in text and "已录 0 / 收回 2" in text


async def test_resolve_mismatches_and_certify_on_screen(sqlite_db):
    db = sqlite_db
    actors, _sid, bid = _setup(db, n_targets=4, returned=3)
    builders.key_pass(db, actors["clerk"], bid, [(1, "1234", "marks"), (2, "2341", "marks"), (3, "", "void")])
    builders.key_pass(db, actors["clerk2"], bid, [(1, "1244", "marks"), (2, "2341", "marks"), (3, "3333", "marks")])
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "reviewer")
        await pilot.press("f6")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert type(app.screen).__name__ == "MismatchScreen"
        text = screen_text(app)
        assert "待处理 2 处" in text and "3 不满意" in text and "4 不了解" in text
        await pilot.press("3")  # ballot 1, target 3: the paper says 不满意
        await settle(pilot)
        await pilot.press("k")  # refused while one is open
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert type(app.screen).__name__ == "MismatchScreen"
        await pilot.press("v")  # ballot 3 as a whole: void on paper
        await settle(pilot)
        assert "待处理 0 处" in screen_text(app) and "对账相符" in screen_text(app)
        await pilot.press("k")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert type(app.screen).__name__ == "SessionScreen"
        assert "已核定" in screen_text(app)
        await pilot.press("t")
        await settle(pilot)
        assert type(app.screen).__name__ == "TallyScreen"
        text = screen_text(app)
        assert "U01" in text and "⚠" in text
        await pilot.press("g")
        await settle(pilot)
        assert "服务对象" in screen_text(app)
    from assess.models import BallotBatch

    with db.read() as s:
        assert s.get(BallotBatch, bid).status == "certified"


async def test_leaving_mid_ballot_asks_first(sqlite_db):
    db = sqlite_db
    _setup(db, n_targets=4, returned=2)
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "clerk")
        await _open_entry(pilot, app)
        await type_text(pilot, "12")
        await pilot.press("f2")  # to the dashboard: the half-keyed ballot would be lost
        await settle(pilot)
        assert type(app.screen).__name__ == "ConfirmDialog" and "尚未保存" in screen_text(app)
        await pilot.press("n")
        await settle(pilot)
        assert type(app.screen).__name__ == "BallotEntryScreen" and app.screen.grid.marks == ["1", "2"]
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert app.screen.AREA == "dashboard"


async def test_ctrl_q_mid_ballot_asks_first(sqlite_db):
    """Ctrl+Q with marks keyed on the current ballot asks like every other way out; 'n' keeps the
    marks and the app, 'y' quits."""
    db = sqlite_db
    _setup(db, n_targets=4, returned=2)
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "clerk")
        await _open_entry(pilot, app)
        await type_text(pilot, "12")
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert app.is_running
        assert type(app.screen).__name__ == "ConfirmDialog" and "尚未保存" in screen_text(app)
        await pilot.press("n")
        await settle(pilot)
        assert app.is_running and app.screen.grid.marks == ["1", "2"]
        await pilot.press("ctrl+q")
        await settle(pilot)
        await pilot.press("y")
        await pilot.pause()
    assert app.return_code == 0


async def test_whole_ballot_key_1_takes_pass_one_reading_even_when_void(sqlite_db):
    """The hint says '1/2 以该遍为准': on a ballot pass 1 read as void and pass 2 as marks, '1' records
    pass 1's reading (void) instead of refusing with internal codes."""
    db = sqlite_db
    actors, _sid, bid = _setup(db, n_targets=4, returned=2)
    builders.key_pass(db, actors["clerk"], bid, [(1, "1234", "marks"), (2, "", "void")])
    builders.key_pass(db, actors["clerk2"], bid, [(1, "1234", "marks"), (2, "3333", "marks")])
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "reviewer")
        await pilot.press("f6")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert type(app.screen).__name__ == "MismatchScreen" and "待处理 1 处" in screen_text(app)
        await pilot.press("1")
        await settle(pilot)
        assert "待处理 0 处" in screen_text(app)
        assert not [n for n in app._notifications if n.severity == "error"]
    from assess.appraisal import reconcile as ballot_review

    resolved = {(m.ballot_no, m.position): m.resolution for m in ballot_review.compare(db, bid).mismatches}
    assert resolved == {(2, 0): "void"}


async def test_entry_screen_keeps_the_collector_off_what_exists_while_keying(sqlite_db):
    """While the entry screen is open everything alive when it mounted is frozen out of the
    garbage collector (no full collection walks it between two keys); leaving the screen
    gives it back."""
    import gc

    db = sqlite_db
    _setup(db, n_targets=4, returned=2)
    gc.unfreeze()
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "clerk")
        assert gc.get_freeze_count() == 0
        await _open_entry(pilot, app)
        assert gc.get_freeze_count() > 10_000
        await pilot.press("escape")
        await settle(pilot)
        assert type(app.screen).__name__ != "BallotEntryScreen"
        assert gc.get_freeze_count() == 0


async def test_a_ballot_is_saved_even_when_the_grid_is_not_painted(sqlite_db):
    """The save waits for the grid's next paint; with no paint reporting back (the screen covered)
    it still starts, a quarter second later, and the worker exists from the Enter on (so waiting for
    the workers waits for the save)."""
    import asyncio
    import time

    db = sqlite_db
    _actors, _sid, bid = _setup(db, n_targets=4, returned=2)
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "clerk")
        await _open_entry(pilot, app)
        screen = app.screen
        screen.grid.after_paint = lambda callback: None  # this paint never reports back
        await type_text(pilot, "1234")
        t0 = time.perf_counter()
        await pilot.press("enter")
        assert screen.pending and app.workers  # a worker for the save from the key on
        await asyncio.wait_for(app.workers.wait_for_complete(), timeout=10)
        assert time.perf_counter() - t0 >= 0.2  # it waited for the paint that never came
        await settle(pilot)
        assert not screen.pending and "第 1 张 已保存" in screen_text(app)
    with db.read() as s:
        p = s.exec(select(EntryPass).where(EntryPass.batch_id == bid)).one()
        assert [b.marks for b in s.exec(select(PassBallot).where(PassBallot.pass_id == p.id))] == ["1234"]
