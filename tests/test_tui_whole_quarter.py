"""The whole quarter from the interface alone (issue 12, points 1, 4, 5), driven headlessly at
80×24: a 勤廉双述 meeting with its targets in ballot order, voter-group 应到, date and 实到; users and
backup; role-trimmed bindings; confirmations before irreversible acts. Each test asserts the
database afterwards, not only the screen."""

from __future__ import annotations

from datetime import date

from assess.appraisal import entry as ballots
from assess.appraisal import session_info as appraisal_info
from assess.demo import builders
from assess.workflow import advance as workflow

from .ballot_helpers import make_round
from .conftest import make_users
from .tui_helpers import SIZE, login, make_app, screen_text, settle, type_text


async def _replace(pilot, text: str) -> None:
    """Clear the focused field (End, then Ctrl+U deletes to its start) and type ``text``."""
    await pilot.press("end", "ctrl+u")
    await type_text(pilot, text)


async def test_new_cadre_meeting_with_ballot_order_groups_and_date(sqlite_db):
    db = sqlite_db
    actors = make_users(db)
    rid = make_round(db)
    builders.numbered_units(db, actors["admin"], 1)
    builders.cadres(db, actors["admin"], 3)
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "clerk")
        await pilot.press("f6")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        await pilot.press("enter")  # round: the newest, prefilled
        await _replace(pilot, "2")  # 勤廉双述
        await pilot.press("enter")
        await type_text(pilot, "村干部勤廉双述")
        await pilot.press("enter")
        await pilot.press("enter")  # form: the scheme's
        await settle(pilot)
        assert type(app.screen).__name__ == "NewSessionScreen"
        text = screen_text(app)
        assert "已选 0/3" in text and "党员 应到人数" in text and "村民代表 应到人数" in text
        # Choose C01, C02, C03, then move C03 above C02: ballot order C01, C03, C02.
        await pilot.press("space", "space", "space", "minus")
        assert app.screen.chosen_codes() == ["C01", "C03", "C02"]
        assert "已选 3/3" in screen_text(app)
        await pilot.press("tab", "tab")  # name (kept from step 1) → date
        await type_text(pilot, "2026-12-15")
        await pilot.press("tab")
        await _replace(pilot, "12")  # 党员 应到
        await pilot.press("tab")
        await _replace(pilot, "10")  # 党员 实到
        await pilot.press("tab")
        await _replace(pilot, "9")  # 村民代表 应到
        await pilot.press("tab")
        await _replace(pilot, "7")  # 村民代表 实到
        await pilot.press("tab")  # 实到 (全体) left 0: the sum of the groups
        await pilot.press("f2")  # leaving by an F-key asks first; n stays with everything chosen
        await settle(pilot)
        assert type(app.screen).__name__ == "ConfirmDialog" and "新建评议会议尚未保存" in screen_text(app)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        assert type(app.screen).__name__ == "AppraisalScreen", screen_text(app)
        assert "村干部勤廉双述" in screen_text(app)
        [row] = appraisal_info.list_sessions(db, rid)
        assert [t.code for t in appraisal_info.session_info(db, row.id).targets] == ["C01", "C03", "C02"]
        # Before any ballot is keyed the order can still change: o in the session, C02 up, F5.
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        assert "评议对象与票面顺序" in screen_text(app), [str(n.message) for n in app._notifications]
        assert app.screen.chosen_codes() == ["C01", "C03", "C02"]
        await pilot.press("down", "down", "minus", "f5")
        await settle(pilot)
        assert type(app.screen).__name__ == "SessionScreen"
        # A batch's issued/returned can be corrected before certification (u).
        bid = ballots.create_batch(db, actors["clerk"], row.id, "dy", "B1", 8, 7)
        app.screen.refresh_all()
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        await _replace(pilot, "11")  # more ballots than the 10 党员 present: refused, the dialog stays
        await pilot.press("enter")
        await _replace(pilot, "9")
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "FormDialog" and "超过实到人数" in screen_text(app)
        await pilot.press("shift+tab")
        await _replace(pilot, "10")
        await pilot.press("f5")
        await settle(pilot)
        assert type(app.screen).__name__ == "SessionScreen", screen_text(app)
        # Statements recorded (s / q, or the CLI) are read back with l.
        from assess.appraisal.sessions import add_question, set_statement

        set_statement(db, actors["clerk"], row.id, "C02", "抓村务公开")
        add_question(db, actors["clerk"], row.id, "C02", "低保如何公示？", "每季度张榜")
        await pilot.press("l")
        await settle(pilot)
        assert type(app.screen).__name__ == "TextDialog"
        text = screen_text(app)
        assert "C02 干部2：抓村务公开" in text and "问：低保如何公示？" in text and "答：每季度张榜" in text
        await pilot.press("escape")
        await settle(pilot)
    assert [(b.issued, b.returned) for b in ballots.list_batches(db, row.id) if b.id == bid] == [(10, 9)]
    info = appraisal_info.session_info(db, row.id)
    assert [t.code for t in info.targets] == ["C01", "C02", "C03"]
    assert info.kind == "cadre" and info.held_on == date(2026, 12, 15)
    assert {g.code: (g.expected, g.present) for g in info.groups} == {"dy": (12, 10), "cm": (9, 7)}
    assert (info.expected, info.present) == (21, 17)


def _palette(app) -> list[str]:
    return [c.title for c in app.get_system_commands(app.screen)]


async def test_screens_offer_only_what_the_role_may_do(sqlite_db):
    db = sqlite_db
    make_users(db)
    make_round(db)
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "inspector")
        text = screen_text(app)
        assert "用户与角色" not in text and "备份与恢复" not in text and "单位与干部" in text
        assert "打开：用户与角色" not in _palette(app) and "打开：考核轮次" in _palette(app)
        await pilot.press("p")  # the users area's letter: not for an inspector
        await settle(pilot)
        assert app.screen.AREA == "dashboard"
        await pilot.press("f6")
        await settle(pilot)
        # An inspector cannot set up a meeting: no key, no palette entry, no form to fill in vain.
        assert "a" not in app.screen.active_bindings and "t" in app.screen.active_bindings
        assert "评议：新建会议" not in _palette(app) and "评议：计票结果" in _palette(app)
        await pilot.press("a")
        await settle(pilot)
        assert type(app.screen).__name__ == "AppraisalScreen"
        await pilot.press("f3")
        await settle(pilot)
        assert not {"a", "x", "i"} & set(app.screen.active_bindings)
        await pilot.press("f1")  # help lists neither the admin areas nor this screen's hidden keys
        await settle(pilot)
        text = screen_text(app)
        assert "本屏：搜索" in text and "本屏：新增" not in text and "用户与角色" not in text
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "admin")
        assert "用户与角色" in screen_text(app) and "打开：备份与恢复" in _palette(app)
        await pilot.press("f6")
        await settle(pilot)
        assert "a" in app.screen.active_bindings and "评议：新建会议" in _palette(app)


def _round_at_vote(db) -> int:
    """A computed round whose accountability entry is decided and whose three reviews passed."""
    from datetime import date as _date

    from sqlmodel import select

    from assess.models import AccountabilityEntry
    from assess.results import accountability
    from assess.results import approval as review
    from assess.results.compute import compute_round

    from .results_helpers import add_scores, full_marks, scheme_dict, store_scheme
    from .results_helpers import make_round as make_results_round

    actors = make_users(db)
    vid = store_scheme(db, scheme_dict(weights={"indicators": 100},
                                       rules=[{"code": "R02", "kind": "last_in_category", "action": "提醒谈话"}]))
    rid, ids = make_results_round(db, vid, [("U1", "财政局", "甲类"), ("U2", "教育局", "甲类")])
    add_scores(db, rid, ids, full_marks(["U1"]) + full_marks(["U2"], i1=25))
    compute_round(db, actors["admin"], rid, today=_date(2026, 4, 10), resamples=100)
    with db.read() as s:
        entry = s.exec(select(AccountabilityEntry).where(AccountabilityEntry.round_id == rid)).one()
    accountability.decide(db, actors["reviewer"], entry.id, "confirm", "末位属实")
    review.review(db, actors["clerk"], rid, "first")
    review.review(db, actors["reviewer"], rid, "audit")
    review.review(db, actors["reviewer2"], rid, "recheck")
    return rid


async def test_committee_vote_shows_what_is_recorded_then_asks(sqlite_db):
    from sqlmodel import select

    from assess.models import ApprovalVote, Round

    db = sqlite_db
    rid = _round_at_vote(db)
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "committee")
        await pilot.press("f8")
        await settle(pilot)
        assert "p" not in app.screen.active_bindings  # publishing is the admin's
        await pilot.press("v")
        await settle(pilot)
        for n in ("9", "8", "5", "2", "1"):
            await type_text(pilot, n)
            await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "ConfirmDialog"
        text = screen_text(app)
        assert "应到会 9 人，实到 8 人；赞成 5，反对 2，弃权 1" in text
        assert "通过需赞成至少 5 票" in text and "结果：通过" in text
        with db.read() as s:
            assert s.exec(select(ApprovalVote)).first() is None
        await pilot.press("y")
        await settle(pilot)
    with db.read() as s:
        vote = s.exec(select(ApprovalVote)).one()
        assert (vote.expected_members, vote.yes, vote.passed) == (9, 5, True)
        assert s.get(Round, rid).stage == "approved"


async def test_admin_adds_resets_and_deactivates_users(sqlite_db):
    from assess.foundation.users import authenticate, list_users

    from .conftest import PASSWORD

    db = sqlite_db
    make_users(db)
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "admin")
        await pilot.press("p")  # 用户与角色 from the dashboard
        await settle(pilot)
        assert app.screen.AREA == "users" and "committee" in screen_text(app)
        await pilot.press("a")
        await settle(pilot)
        await type_text(pilot, "wang")
        await pilot.press("enter")
        await type_text(pilot, "王芳")
        await pilot.press("enter")
        await _replace(pilot, "录入员")  # the role by its Chinese name
        await pilot.press("enter")
        await type_text(pilot, "first-pass-1")
        await pilot.press("enter")
        await type_text(pilot, "first-pass-2")  # typed differently: refused, the dialog stays
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "FormDialog" and "两次输入的密码不一致" in screen_text(app)
        await _replace(pilot, "first-pass-1")
        await pilot.press("f5")
        await settle(pilot)
        assert app.screen.AREA == "users" and "王芳" in screen_text(app)
        # The new user is selected by moving to its row (users are listed by name).
        names = [u["username"] for u in list_users(db)]
        for _ in range(names.index("wang")):
            await pilot.press("down")
        await pilot.press("p")
        await settle(pilot)
        await type_text(pilot, "second-pass-1")
        await pilot.press("enter")
        await type_text(pilot, "second-pass-1")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("x", "y")
        await settle(pilot)
        assert "已停用" in screen_text(app)
    users = {u["username"]: u for u in list_users(db)}
    assert (users["wang"]["role"], users["wang"]["display_name"], users["wang"]["active"]) == ("clerk", "王芳", False)
    # The reset password is the one stored (checked once the user is active again).
    from assess.foundation.roles import Actor
    from assess.foundation.users import set_active

    set_active(db, Actor("admin", "admin"), "wang", True)
    assert authenticate(db, "wang", "second-pass-1").role == "clerk"
    assert authenticate(db, "admin", PASSWORD).role == "admin"


async def test_admin_backs_up_and_restores(sqlite_db, tmp_path):
    from assess.org.units import add_unit, list_units

    db = sqlite_db
    actors = make_users(db)
    add_unit(db, actors["admin"], "U01", "财政局", "政府部门")
    target = tmp_path / "copy.db"
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "admin")
        await pilot.press("y")  # 备份与恢复 from the dashboard
        await settle(pilot)
        assert app.screen.AREA == "backup" and "在线备份" in screen_text(app)
        await pilot.press("b")
        await settle(pilot)
        app.screen.query_one("#f-path").value = str(target)
        await pilot.press("f5")
        await settle(pilot)
        assert target.exists() and "已备份到" in screen_text(app) and "审计链" in screen_text(app)
        add_unit(db, actors["admin"], "U02", "教育局", "政府部门")  # after the backup
        await pilot.press("o")
        await settle(pilot)
        await type_text(pilot, str(target))
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "ConfirmDialog" and "替换当前数据库" in screen_text(app)
        assert [u.code for u in list_units(db)] == ["U01", "U02"]  # nothing yet
        await pilot.press("y")
        await settle(pilot)
        await settle(pilot)
        assert app.locked  # the restored database's user record is asked for
    assert [u.code for u in list_units(db)] == ["U01"]
    assert list(db.path.parent.glob(f"{db.path.name}.pre-restore-*"))  # the replaced data kept


async def test_typed_form_asks_before_any_way_out(sqlite_db):
    from assess.org.units import list_units

    db = sqlite_db
    make_users(db)
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "admin")
        await pilot.press("f3", "a")
        await settle(pilot)
        await type_text(pilot, "U09")
        # Keys that would leave (an F-key, Ctrl+Q) never drop the dialog silently.
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert app.is_running
        if type(app.screen).__name__ == "ConfirmDialog":
            await pilot.press("n")
            await settle(pilot)
        assert type(app.screen).__name__ == "FormDialog" and app.screen.values()["code"] == "U09"
        # Esc asks; n keeps what was typed, y drops it and nothing is written.
        await pilot.press("escape")
        await settle(pilot)
        assert type(app.screen).__name__ == "ConfirmDialog" and "尚未保存" in screen_text(app)
        await pilot.press("n")
        await settle(pilot)
        assert type(app.screen).__name__ == "FormDialog" and app.screen.values()["code"] == "U09"
        await pilot.press("escape", "y")
        await settle(pilot)
        assert app.screen.AREA == "units"
    assert list_units(db) == []


async def test_submit_every_complete_selfcheck_at_once(sqlite_db):
    from assess.rounds import selfcheck

    from .rounds_helpers import GOOD
    from .rounds_helpers import make_round as make_selfcheck_round

    db = sqlite_db
    actors = make_users(db)
    rid = make_selfcheck_round(db, actors)
    workflow.advance(db, actors["admin"], rid)
    for unit in ("G01", "G02"):
        for ind in ("A1", "A2", "B1", "B2", "B3"):
            selfcheck.enter_score(db, actors["clerk"], rid, unit, ind, GOOD[ind])
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "clerk")
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        await settle(pilot)
        assert type(app.screen).__name__ == "ScoreEntryScreen" and "a 全部提交" in screen_text(app)
        # A score typed but not saved: leaving by an F-key asks first.
        await pilot.press("enter", "enter")
        await _replace(pilot, "5")
        await pilot.press("f2")
        await settle(pilot)
        assert type(app.screen).__name__ == "ConfirmDialog" and "已输入但未保存" in screen_text(app)
        await pilot.press("n", "escape")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        text = screen_text(app)
        assert "提交 2 个已填完单位的自查" in text and "不提交的 4 个：G03（0/5）" in text
        await pilot.press("y")
        await settle(pilot)
        await settle(pilot)
    done = {c.unit_code: c.submitted for c in selfcheck.completeness(db, rid)}
    assert [c for c, ok in done.items() if ok] == ["G01", "G02"]


async def test_palette_catalogue_follows_the_role(sqlite_db):
    make_users(sqlite_db)
    app = make_app(sqlite_db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "inspector")
        titles = [c.title for c in app.palette_catalogue(app.screen)]
        assert "考核轮次：抽查" in titles and "单位与干部：搜索" in titles
        for hidden in ("考核轮次：新建", "单位与干部：新增", "评议计票：新建会议", "问责与审批：公示",
                       "打开：用户与角色", "总览：用户与角色", "用户与角色：新增用户"):
            assert hidden not in titles, hidden


async def test_typed_import_path_asks_before_it_is_dropped(sqlite_db):
    """F3 → i: a path typed into the import dialog is work too; Esc asks, 'n' keeps it, 'y' leaves."""
    from .conftest import make_users
    from .tui_helpers import SIZE, login, make_app, settle, type_text

    make_users(sqlite_db)
    app = make_app(sqlite_db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        assert type(app.screen).__name__ == "ImportDialog"
        await type_text(pilot, "units.csv")
        await pilot.press("escape")
        await settle(pilot)
        assert type(app.screen).__name__ == "ConfirmDialog"
        await pilot.press("n")
        await settle(pilot)
        assert type(app.screen).__name__ == "ImportDialog"
        assert app.screen.query_one("#import-path").value == "units.csv"
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert app.screen.AREA == "units"
