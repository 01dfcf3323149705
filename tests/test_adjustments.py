"""加减分 and discipline records: role checks, validation, all-or-nothing import, frozen rounds,
and that the results engine reads what the service stored."""

from __future__ import annotations

import pytest

from assess.foundation.errors import Conflict, FrozenError, InputErrors, NotFound, PermissionDenied
from assess.org.adjustments import (
    add_adjustment,
    add_discipline,
    import_adjustments,
    list_adjustments,
    list_discipline,
)

from .rounds_helpers import make_round, publish_directly, write_csv


def test_add_and_list_adjustments(db, actors):
    rid = make_round(db, actors)
    add_adjustment(db, actors["reviewer"], rid, "G01", 2, "获市级政务公开示范单位", "市政务办〔2026〕5号")
    add_adjustment(db, actors["admin"], rid, "G01", -1.5, "信息报送迟报一次")
    rows = list_adjustments(db, rid)
    assert [(r.unit_code, r.points) for r in rows] == [("G01", 2.0), ("G01", -1.5)]
    assert rows[0].source == "市政务办〔2026〕5号"
    with db.read() as s:
        from assess.results.inputs import load_round_inputs

        inputs = load_round_inputs(s, rid)
    assert sum(inputs.adjustments.column("points")) == pytest.approx(0.5)


def test_adjustment_rules(db, actors):
    rid = make_round(db, actors)
    with pytest.raises(PermissionDenied):
        add_adjustment(db, actors["clerk"], rid, "G01", 1, "理由")
    with pytest.raises(Conflict, match="理由"):
        add_adjustment(db, actors["reviewer"], rid, "G01", 1, "  ")
    with pytest.raises(Conflict, match="非零"):
        add_adjustment(db, actors["reviewer"], rid, "G01", 0, "理由")
    with pytest.raises(Conflict, match="非零"):
        add_adjustment(db, actors["reviewer"], rid, "G01", 150, "理由")
    with pytest.raises(NotFound):
        add_adjustment(db, actors["reviewer"], rid, "NOPE", 1, "理由")
    publish_directly(db, rid)
    with pytest.raises(FrozenError):
        add_adjustment(db, actors["reviewer"], rid, "G01", 1, "理由")
    assert list_adjustments(db, rid) == []


def test_import_adjustments_all_or_nothing(db, actors, tmp_path):
    rid = make_round(db, actors)
    bad = write_csv(
        tmp_path / "adj.csv", "unit_code,points,reason\nG01,2,表彰\nNOPE,1,x\nG01,abc,x\nG01,1,\n"
    )
    with pytest.raises(InputErrors) as ei:
        import_adjustments(db, actors["reviewer"], rid, bad)
    got = {(p.line, p.field) for p in ei.value.problems}
    assert got == {(3, "unit_code"), (4, "points"), (5, "reason")}
    assert list_adjustments(db, rid) == []
    good = write_csv(
        tmp_path / "ok.csv", "unit_code,points,reason,source\nG01,2,表彰,文件1\nG01,-0.5,迟报,\n"
    )
    assert import_adjustments(db, actors["reviewer"], rid, good) == 2
    assert sum(r.points for r in list_adjustments(db, rid)) == pytest.approx(1.5)


def test_discipline_records(db, actors):
    rid = make_round(db, actors)
    add_discipline(db, actors["reviewer"], rid, "诫勉", unit_code="G01", note="主要负责人被诫勉谈话")
    with pytest.raises(Conflict, match="类别"):
        add_discipline(db, actors["reviewer"], rid, "罚款", unit_code="G01")
    with pytest.raises(Conflict, match="二选一"):
        add_discipline(db, actors["reviewer"], rid, "诫勉")
    with pytest.raises(PermissionDenied):
        add_discipline(db, actors["clerk"], rid, "诫勉", unit_code="G01")
    rows = list_discipline(db, rid)
    assert len(rows) == 1 and rows[0].kind == "诫勉" and rows[0].subject.startswith("G01")
    with db.read() as s:
        from assess.results.inputs import load_round_inputs

        inputs = load_round_inputs(s, rid)
    assert inputs.discipline.column("kind") == ["诫勉"]


async def test_tui_adds_an_adjustment(sqlite_db):
    from .conftest import make_users
    from .tui_helpers import SIZE, login, make_app, screen_text, settle, type_text

    actors = make_users(sqlite_db)
    rid = make_round(sqlite_db, actors)
    app = make_app(sqlite_db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "reviewer")
        await pilot.press("j")
        await settle(pilot)
        assert app.screen.AREA == "adjust"
        await pilot.press("a")
        await settle(pilot)
        for text in ("G02", "-2", "未按时报送[整改]情况", ""):
            await type_text(pilot, text)
            await pilot.press("enter")
        await settle(pilot)
        await settle(pilot)
        rows = list_adjustments(sqlite_db, rid)
        assert [(r.unit_code, r.points, r.reason) for r in rows] == [("G02", -2.0, "未按时报送[整改]情况")]
        assert "未按时报送[整改]情况" in screen_text(app) and "合计 -2 分" in screen_text(app)
