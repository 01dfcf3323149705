"""The rounds screens driven headlessly at 80×24: create a round, key self-check scores (with an
out-of-range refusal), run the draw, see an overdue rectification highlighted."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from assess.models import Round, RoundUnit, SelfCheckScore, SpotCheckDraw
from assess.rounds import findings
from assess.workflow import advance as workflow

from .conftest import make_users
from .rounds_helpers import add_units, make_round, round_at_selfcheck_closed, store_scheme
from .tui_helpers import SIZE, login, make_app, screen_text, settle, type_text


async def test_create_round_from_the_rounds_screen(sqlite_db):
    actors = make_users(sqlite_db)
    add_units(sqlite_db, actors)
    store_scheme(sqlite_db)
    app = make_app(sqlite_db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        await pilot.press("f5")
        await settle(pilot)
        assert app.screen.AREA == "rounds"
        assert "还没有考核轮次" in screen_text(app)
        await pilot.press("a")
        await settle(pilot)
        assert type(app.screen).__name__ == "FormDialog"
        await type_text(pilot, "2026年第三季度考核")
        await pilot.press("enter")
        await type_text(pilot, "2026-Q3")
        await pilot.press("enter")
        await pilot.press("enter")  # the only scheme is filled in
        await type_text(pilot, "乡镇街道")
        await pilot.press("enter")
        await pilot.press("enter")  # no unit list: submits
        await settle(pilot)
        await settle(pilot)
        assert app.screen.AREA == "rounds"
        with sqlite_db.read() as s:
            r = s.exec(select(Round)).one()
            n = len(s.exec(select(RoundUnit).where(RoundUnit.round_id == r.id)).all())
        assert (r.name, r.period, r.stage, n) == ("2026年第三季度考核", "2026-Q3", "draft", 2)
        text = screen_text(app)
        assert "2026年第三季度考核" in text and "草稿" in text
        # Advance with n, confirm with y.
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        await settle(pilot)
        with sqlite_db.read() as s:
            assert s.get(Round, r.id).stage == "selfcheck_open"
        assert "2 个单位未提交自查" in screen_text(app)


async def test_clerk_keys_selfcheck_scores_and_sees_refusal(sqlite_db):
    actors = make_users(sqlite_db)
    rid = make_round(sqlite_db, actors)
    workflow.advance(sqlite_db, actors["admin"], rid)
    app = make_app(sqlite_db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "clerk")
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        await settle(pilot)
        assert type(app.screen).__name__ == "ScoreEntryScreen"
        assert "G01" in screen_text(app) and "领导重视" in screen_text(app)
        await pilot.press("enter")  # unit G01 → its indicators
        await pilot.press("enter")  # indicator A1 → the score field
        await type_text(pilot, "11")
        await pilot.press("enter")
        await settle(pilot)
        assert "A1（领导重视）满分 10，不能填 11" in screen_text(app)
        with sqlite_db.read() as s:
            assert s.exec(select(SelfCheckScore)).all() == []
        await pilot.press("backspace", "backspace")
        await type_text(pilot, "9")
        await pilot.press("enter")
        await settle(pilot)
        await settle(pilot)
        # Saved; the cursor moved on to A2 with the score field ready.
        await type_text(pilot, "1")
        await pilot.press("enter")
        await settle(pilot)
        await settle(pilot)
        with sqlite_db.read() as s:
            got = sorted((x.indicator_code, x.value) for x in s.exec(select(SelfCheckScore)).all())
        assert got == [("A1", 9.0), ("A2", 1.0)]
        assert "2/5" in screen_text(app)
        # Submitting with indicators missing is refused with the list.
        await pilot.press("escape")
        await pilot.press("u")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert any("尚有 3 项指标未填：B1、B2、B3" in str(n.message) for n in app._notifications)


async def test_inspector_runs_the_draw(sqlite_db):
    actors = make_users(sqlite_db)
    rid = round_at_selfcheck_closed(sqlite_db, actors)
    app = make_app(sqlite_db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "inspector")
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert type(app.screen).__name__ == "SpotCheckScreen"
        text = screen_text(app)
        assert "尚未抽取" in text and "请在抽取前公布" in text
        assert "1 G01 财政局 政府部门" in text and "6 X02 南山镇 乡镇街道" in text
        await pilot.press("d")
        await settle(pilot)
        await type_text(pilot, "2")
        await pilot.press("enter")
        await type_text(pilot, "9319 / 2 5 12 8 10 / 9 18 26 34 41 45")
        await pilot.press("enter")
        await pilot.press("enter")  # scheme's minimum per category
        await pilot.press("enter")  # focus: n
        await settle(pilot)
        # Nothing is drawn yet: the numbered pool and the key string are shown, then one question.
        assert type(app.screen).__name__ == "ConfirmDialog"
        text = screen_text(app)
        assert "从下列 6 个单位中抽取 2 个" in text and "  1. G01 财政局（政府部门）" in text
        assert "密钥串（RFC 3797）：9319./2.5.8.10.12./9.18.26.34.41.45./" in text and "现在抽取？" in text
        with sqlite_db.read() as s:
            assert s.exec(select(SpotCheckDraw)).first() is None
        await pilot.press("y")
        await settle(pilot)
        await settle(pilot)
        with sqlite_db.read() as s:
            d = s.exec(select(SpotCheckDraw)).one()
            assert s.get(Round, rid).stage == "spotcheck_drawn"
        assert d.key_string == "9319./2.5.8.10.12./9.18.26.34.41.45./"
        for _ in range(200):  # the screen reloads the draw in the background after storing it
            if "密钥串：" in screen_text(app):
                break
            await pilot.pause(0.05)
        text = screen_text(app)
        assert "密钥串：9319./2.5.8.10.12./9.18.26.34.41.45./" in text
        assert f"抽中顺序：{'、'.join(x['code'] for x in d.selected)}" in text
        await pilot.press("v")
        await settle(pilot)
        assert "结果一致" in screen_text(app)
        # Inspectors are drawn the same way (one inspector account exists; nobody excused).
        await pilot.press("r")
        await settle(pilot)
        await type_text(pilot, "1")
        await pilot.press("enter")
        await type_text(pilot, "5 6")
        await pilot.press("enter")
        await pilot.press("enter")
        await settle(pilot)
        assert "从下列 1 名检查员中抽取 1 名" in screen_text(app) and "密钥串（RFC 3797）：5.6./" in screen_text(app)
        await pilot.press("y")
        await settle(pilot)
        await settle(pilot)
        assert "检查人员（第 2 号抽取）：inspector" in screen_text(app)
        # A second draw is refused with the reason shown in the dialog.
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("enter")
        await type_text(pilot, "1 2 3")
        await pilot.press("f5")
        await settle(pilot)
        assert "只能有一次有效抽取" in screen_text(app)


async def test_findings_ledger_highlights_overdue(sqlite_db):
    actors = make_users(sqlite_db)
    rid = round_at_selfcheck_closed(sqlite_db, actors)
    fid = findings.add_finding(sqlite_db, actors["inspector"], rid, "G01", "公开栏未更新")
    findings.issue_rectification(
        sqlite_db, actors["inspector"], fid, "2020-02-01", "更新", today=date(2020, 1, 1)
    )
    app = make_app(sqlite_db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "inspector")
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        text = screen_text(app)
        assert "整改〔2020〕001号" in text and "逾期" in text
        await pilot.press("p")
        await settle(pilot)
        assert type(app.screen).__name__ == "NoticeScreen"
        assert "整改通知书" in screen_text(app) and "审计锚点" in screen_text(app)


async def test_saving_a_rectification_notice_keeps_the_app_open(sqlite_db, tmp_path, monkeypatch):
    """F5 → f → p → w: the notice is written 0600 into the export folder and the app stays open
    (it used to write the file and then exit with a traceback)."""
    import stat

    monkeypatch.setenv("ASSESS_EXPORT_DIR", str(tmp_path / "exports"))
    actors = make_users(sqlite_db)
    rid = round_at_selfcheck_closed(sqlite_db, actors)
    fid = findings.add_finding(sqlite_db, actors["inspector"], rid, "G01", "公开栏未更新")
    findings.issue_rectification(
        sqlite_db, actors["inspector"], fid, "2020-02-01", "更新", today=date(2020, 1, 1)
    )
    app = make_app(sqlite_db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "inspector")
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        assert type(app.screen).__name__ == "FormDialog"
        await pilot.press("enter")
        await settle(pilot)
        assert app.is_running
        assert type(app.screen).__name__ == "NoticeScreen"
        written = list((tmp_path / "exports").glob("整改通知书_*.txt"))
        assert len(written) == 1, written
        assert stat.S_IMODE(written[0].stat().st_mode) == 0o600
        assert "整改通知书" in written[0].read_text(encoding="utf-8")
