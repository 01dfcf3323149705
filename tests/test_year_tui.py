"""The year's registers in the app at 80×24: dashboard warnings (overdue stages, 红黄牌), the 黑名单
screen, 年初承诺 entered on the cadre list and shown at the 述职述廉 step."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import select

from assess.appraisal import pledges
from assess.appraisal import sessions as appraisal
from assess.demo import builders
from assess.foundation.settings import local_today
from assess.models import BlacklistEntry, CadrePledge
from assess.org import blacklist as year
from assess.results.compute import compute_round
from assess.rounds import deadlines

from .conftest import make_users
from .results_helpers import add_scores, full_marks, make_round, scheme_dict, store_scheme
from .tui_helpers import SIZE, login, make_app, screen_text, settle, type_text


async def test_dashboard_shows_overdue_stage_and_cards(sqlite_db):
    db = sqlite_db
    actors = make_users(db)
    vid = store_scheme(
        db,
        scheme_dict(
            weights={"indicators": 100},
            rules=[{"code": "R03", "kind": "last_in_category", "action": "诫勉谈话", "window": 2, "times": 2}],
        ),
    )
    # A computed round: U2 last once (needs twice) → 黄牌; U1 on the 黑名单 → 红牌.
    rid, ids = make_round(db, vid, [("U1", "财政局", "甲类"), ("U2", "教育局", "甲类")], period="2026-Q2")
    add_scores(db, rid, ids, full_marks(["U1"]) + full_marks(["U2"], i1=20))
    compute_round(db, actors["admin"], rid, today=date(2026, 7, 1), resamples=0)
    year.enter_listing(db, actors["admin"], "unit", "U1", "围标串标", local_today() - timedelta(days=10))
    # Another round still in 自查, its window closed 3 days ago.
    late, _ids = make_round(db, vid, [("U1", "财政局", "甲类")], period="2026-Q3", stage="selfcheck_open")
    deadlines.set_deadline(db, actors["admin"], late, "selfcheck", local_today() - timedelta(days=3))
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "admin")
        text = screen_text(app)
        assert "阶段逾期：测试轮次 2026-Q3 自查" in text and "逾期 3 天" in text
        assert "红牌 1 · 黄牌 1" in text
        assert "红牌 U1 财政局：黑名单" in text and "黄牌 U2 教育局：已 1 次，再有 1 次即触发" in text


async def test_blacklist_screen_enter_and_lift(sqlite_db):
    db = sqlite_db
    make_users(db)
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "reviewer")
        await pilot.press("h")
        await settle(pilot)
        assert app.screen.AREA == "blacklist"
        await pilot.press("a")
        await settle(pilot)
        await pilot.press("enter")  # kind: enterprise (default)
        await type_text(pilot, "ABC")
        await pilot.press("enter")
        await type_text(pilot, "weibiao")
        await pilot.press("f5")
        await settle(pilot)
        with db.read() as s:
            (e,) = s.exec(select(BlacklistEntry)).all()
        assert e.name == "ABC" and e.reason == "weibiao" and e.entered_on == local_today()
        assert "ABC" in screen_text(app) and "今日在册 1 条" in screen_text(app)
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("enter")  # today
        await type_text(pilot, "qiman")
        await pilot.press("f5")
        await settle(pilot)
        with db.read() as s:
            assert s.get(BlacklistEntry, e.id).exit_reason == "qiman"
        assert "今日在册 0 条" in screen_text(app)
        await pilot.press("t")
        await settle(pilot)
        assert "ABC" in screen_text(app) and "全部（含已移出）" in screen_text(app)


async def test_pledge_on_cadre_list_and_at_statement(sqlite_db):
    db = sqlite_db
    actors = make_users(db)
    from .ballot_helpers import make_round as make_ballot_round

    rid = make_ballot_round(db, period=str(local_today().year))
    builders.numbered_units(db, actors["admin"], 1)
    builders.cadres(db, actors["admin"], 2)
    sid = appraisal.create_session(db, actors["clerk"], rid, "cadre", "述职会", target_codes=["C01", "C02"])
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "clerk")
        await pilot.press("u")
        await settle(pilot)
        await pilot.press("t")  # cadres
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        assert "年初承诺 C01" in screen_text(app)
        await pilot.press("enter")  # this year
        await type_text(pilot, "lianjie")
        await pilot.press("f5")
        await settle(pilot)
    with db.read() as s:
        (p,) = s.exec(select(CadrePledge)).all()
    assert p.text == "lianjie" and p.year == local_today().year
    assert pledges.session_pledges(db, sid) == [("C01", "干部1", "lianjie"), ("C02", "干部2", None)]
    from tui.appraisal_session import SessionScreen, pledge_lines

    assert pledge_lines(pledges.session_pledges(db, sid)) == "年初承诺：\nC01 干部1：lianjie\nC02 干部2：（未登记）"
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "clerk")
        app.push_screen(SessionScreen(sid))
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        text = screen_text(app)
        assert "述职述廉" in text and "C01 干部1：lianjie" in text and "C02 干部2：（未登记）" in text


async def test_rounds_screen_sets_a_stage_deadline(sqlite_db):
    db = sqlite_db
    make_users(db)
    vid = store_scheme(db, scheme_dict(weights={"indicators": 100}))
    rid, _ids = make_round(db, vid, [("U1", "财政局", "甲类")], period="2014", stage="selfcheck_open")
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "admin")
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        assert "（尚未设定）" in screen_text(app)
        await pilot.press("enter")  # selfcheck
        await type_text(pilot, "2014-05-25")
        await pilot.press("enter")
        await type_text(pilot, "2014-05-30")
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        assert "自查（2014-05-25 至 2014-05-30）" in screen_text(app)
    (d,) = deadlines.round_deadlines(db, rid, date(2014, 6, 2))
    assert d.stage == "selfcheck" and d.days_overdue == 3
