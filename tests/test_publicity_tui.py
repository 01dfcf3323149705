"""The review screen's 公示 keys at 80×24: o opens the 公示, y registers an objection, n answers it,
d shows the 公示/定稿 comparison and the objections, p (定稿) is refused inside the period."""

from __future__ import annotations

from sqlmodel import select

from assess.foundation.settings import local_today
from assess.models import Objection, PublicityPeriod, Round
from assess.results import objections

from .conftest import make_users
from .test_publicity import approved_round
from .tui_helpers import SIZE, login, make_app, screen_text, settle, type_text


async def test_review_screen_publicity_objection_answer_diff(sqlite_db):
    db = sqlite_db
    rid = approved_round(db, make_users(db))
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "admin")
        await pilot.press("f8")
        await settle(pilot)
        assert app.screen.AREA == "review" and "已审批" in screen_text(app)
        await pilot.press("o")
        await settle(pilot)
        assert type(app.screen).__name__ == "FormDialog" and "开始公示" in screen_text(app)
        await pilot.press("enter")  # start: today
        await pilot.press("enter")  # end: 5 working days
        await type_text(pilot, "考核办")
        await pilot.press("enter")
        await settle(pilot)
        await settle(pilot)
        assert app.screen.AREA == "review"
        assert "公示中" in screen_text(app) and "第 1 次公示" in screen_text(app)

        await pilot.press("y")
        await settle(pilot)
        await pilot.press("enter")  # 个人
        await type_text(pilot, "张三")
        for _ in range(6):  # past the name, contact, unit, cadre, figure, received (today)
            await pilot.press("enter")
        await type_text(pilot, "分数有误")
        await pilot.press("enter")
        await settle(pilot)
        await settle(pilot)
        assert "异议 1 件（未答复 1）" in screen_text(app)

        await pilot.press("n")
        await settle(pilot)
        assert "答复异议（待答复 1 件）" in screen_text(app)
        await pilot.press("enter")  # the id
        await pilot.press("enter")  # 维持
        await type_text(pilot, "核实无误")
        await pilot.press("enter")
        await settle(pilot)
        await settle(pilot)
        assert "未答复 0" in screen_text(app)

        await pilot.press("d")
        await settle(pilot)
        text = screen_text(app)
        assert "公示稿与当前结果相同" in text and "张三" in text and "维持（admin）：核实无误" in text
        await pilot.press("escape")
        await settle(pilot)

        await pilot.press("p")  # 定稿 inside the period: refused
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        await settle(pilot)
    with db.read() as s:
        assert s.get(Round, rid).stage == "publicity"
        p = s.exec(select(PublicityPeriod)).one()
        o = s.exec(select(Objection)).one()
    assert p.starts_on == local_today() and p.ends_on == objections.working_days_end(local_today())
    assert p.contact == "考核办"
    assert (o.submitter_kind, o.submitter, o.text, o.decision, o.reason) == ("person", "张三", "分数有误", "maintain", "核实无误")


async def test_review_screen_consequences_view(sqlite_db):
    from .test_consequences import round_in_publicity

    round_in_publicity(sqlite_db, make_users(sqlite_db))
    app = make_app(sqlite_db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "committee")
        await pilot.press("f8")
        await settle(pilot)
        assert "公示中" in screen_text(app)
        await pilot.press("g")
        await settle(pilot)
        text = screen_text(app)
        assert type(app.screen).__name__ == "TextDialog"
        assert "考核结果运用（公示稿）：4 条" in text
        assert "单位 U3 民政局 · 一般：诫勉谈话、不得评优" in text and "类别内排名末位" in text
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.AREA == "review"
