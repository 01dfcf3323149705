"""Self-check: entry with range checks, submission, import all-or-nothing, the XLSX template."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from assess.foundation.errors import Conflict, InputErrors, NotFound, PermissionDenied
from assess.models import AuditRecord, RoundUnit, SelfCheckScore
from assess.rounds import selfcheck
from assess.workflow import advance as workflow

from .rounds_helpers import GOOD, make_round, write_csv


@pytest.fixture
def open_round(db, actors):
    rid = make_round(db, actors)
    workflow.advance(db, actors["admin"], rid)
    return rid


def _scores(db, rid):
    with db.read() as s:
        return {
            (x.unit_id, x.indicator_code): (x.value, x.note)
            for x in s.exec(select(SelfCheckScore).where(SelfCheckScore.round_id == rid)).all()
        }


def test_enter_score_and_refusals(db, actors, open_round):
    rid, clerk = open_round, actors["clerk"]
    assert selfcheck.enter_score(db, clerk, rid, "G01", "A1", "9.5", "有会议纪要") == 9.5
    selfcheck.enter_score(db, clerk, rid, "G01", "A1", 8)  # a correction replaces the value
    assert list(_scores(db, rid).values()) == [(8.0, None)]
    with db.read() as s:
        recs = s.exec(
            select(AuditRecord).where(AuditRecord.action == "selfcheck.enter").order_by(AuditRecord.seq)
        ).all()
    assert [(r.payload["value"], r.payload["previous"]) for r in recs] == [(9.5, None), (8.0, 9.5)]

    refusals = [
        (("G01", "A1", 11), "A1（领导重视）满分 10，不能填 11"),
        (("G01", "A1", -1), "不能小于 0"),
        (("G01", "A1", "九"), "不是数字"),
        (("G01", "A1", "nan"), "有限数字"),
        (("G01", "B3", 2), "一票否决"),
        (("G01", "C1", 5), "C1（村务公开栏）不适用于类别“政府部门”"),
        (("G01", "A", 5), "分类指标"),
        (("G01", "Z9", 5), "没有指标“Z9”"),
        (("NOPE", "A1", 5), "单位“NOPE”不存在"),
    ]
    for args, message in refusals:
        with pytest.raises((Conflict, NotFound), match=message):
            selfcheck.enter_score(db, clerk, rid, *args)
    with pytest.raises(PermissionDenied):
        selfcheck.enter_score(db, actors["inspector"], rid, "G01", "A1", 5)
    # A town has C1; deduct, ratio and bonus values above max are accepted (floored / capped).
    selfcheck.enter_score(db, clerk, rid, "X01", "C1", 10)
    selfcheck.enter_score(db, clerk, rid, "X01", "A2", 15)
    selfcheck.enter_score(db, clerk, rid, "X01", "B1", 120)
    assert len(_scores(db, rid)) == 4


def test_entry_only_while_selfcheck_open(db, actors):
    rid = make_round(db, actors)
    with pytest.raises(Conflict, match="自查中"):
        selfcheck.enter_score(db, actors["clerk"], rid, "G01", "A1", 5)


def test_submit_lists_missing_then_locks_the_unit(db, actors, open_round):
    rid, clerk = open_round, actors["clerk"]
    selfcheck.enter_score(db, clerk, rid, "X01", "A1", 9)
    with pytest.raises(Conflict, match="尚有 5 项指标未填：A2、B1、B2、B3、C1"):
        selfcheck.submit(db, clerk, rid, "X01")
    for ind in ("A2", "B1", "B2", "B3", "C1"):
        selfcheck.enter_score(db, clerk, rid, "X01", ind, GOOD[ind])
    selfcheck.submit(db, clerk, rid, "X01")
    with pytest.raises(Conflict, match="已提交"):
        selfcheck.enter_score(db, clerk, rid, "X01", "A1", 7)
    with pytest.raises(Conflict, match="已于"):
        selfcheck.submit(db, clerk, rid, "X01")
    with pytest.raises(Conflict, match="理由"):
        selfcheck.reopen(db, clerk, rid, "X01", " ")
    selfcheck.reopen(db, clerk, rid, "X01", "A1 填错")
    selfcheck.enter_score(db, clerk, rid, "X01", "A1", 7)
    done = {c.unit_code: c for c in selfcheck.completeness(db, rid)}
    assert (done["X01"].filled, done["X01"].required, done["X01"].submitted) == (6, 6, False)
    assert (done["G01"].filled, done["G01"].required) == (0, 5)


def test_import_reports_every_problem_and_writes_nothing(db, actors, open_round, tmp_path):
    rid = open_round
    path = write_csv(
        tmp_path / "self.csv",
        (
            "\ufeffunit_code,indicator_code,score,note\n"
            "G01,A1,9,ok\n"  # line 2: fine
            "NOPE,A1,9,\n"  # line 3: unknown unit
            "G01,A1,8,\n"  # line 4: duplicate of line 2
            "G02,A1,12,\n"  # line 5: above max 10
            "G02,B1,abc,\n"  # line 6: not a number
            "G02,C1,5,\n"  # line 7: C1 does not apply to 政府部门
            "G03,,5,\n"  # line 8: empty indicator
            "X01,B3,0.5,\n"  # line 9: veto is 0 or 1
        ),
    )
    with pytest.raises(InputErrors) as err:
        selfcheck.import_scores(db, actors["clerk"], rid, path)
    where = [(p.line, p.field) for p in err.value.problems]
    assert where == [
        (3, "unit_code"),
        (4, "indicator_code"),
        (5, "score"),
        (6, "score"),
        (7, "indicator_code"),
        (8, "indicator_code"),
        (9, "score"),
    ]
    messages = err.value.lines()
    assert (
        "第 2 行重复" in messages[1] and "满分 10，不能填 12" in messages[2] and "不适用于类别" in messages[4]
    )
    assert _scores(db, rid) == {}


def test_import_upserts_in_one_go(db, actors, open_round, tmp_path):
    rid = open_round
    first = write_csv(tmp_path / "a.csv", "unit_code,indicator_code,score\nG01,A1,9\nG01,A2,1\n")
    assert selfcheck.import_scores(db, actors["clerk"], rid, first) == 2
    second = write_csv(
        tmp_path / "b.csv", "unit_code,indicator_code,score,note\nG01,A1,7,改正\nG02,B1,96.5,\n"
    )
    assert selfcheck.import_scores(db, actors["clerk"], rid, second) == 2
    values = sorted(v for v in _scores(db, rid).values())
    assert values == [(1.0, None), (7.0, "改正"), (96.5, None)]
    with pytest.raises(PermissionDenied):
        selfcheck.import_scores(db, actors["inspector"], rid, first)
    with db.read() as s:
        rec = s.exec(
            select(AuditRecord)
            .where(AuditRecord.action == "selfcheck.import")
            .order_by(AuditRecord.seq.desc())
        ).first()
    assert (
        rec.payload["count"] == 2
        and rec.payload["units"] == {"G01": 1, "G02": 1}
        and len(rec.payload["sha256"]) == 64
    )


def test_import_refuses_submitted_unit(db, actors, open_round, tmp_path):
    rid = open_round
    for ind in ("A1", "A2", "B1", "B2", "B3"):
        selfcheck.enter_score(db, actors["clerk"], rid, "G01", ind, GOOD[ind])
    selfcheck.submit(db, actors["clerk"], rid, "G01")
    path = write_csv(tmp_path / "c.csv", "unit_code,indicator_code,score\nG01,A1,3\n")
    with pytest.raises(InputErrors, match="已提交"):
        selfcheck.import_scores(db, actors["clerk"], rid, path)


def test_template_is_safe_and_imports_back(db, actors, open_round, tmp_path):
    rid = open_round
    path = selfcheck.export_template(db, rid, "G01", tmp_path / "G01.xlsx")
    assert path.stat().st_mode & 0o777 == 0o600  # written for people: the office's alone
    wb = load_workbook(path)
    ws = wb["自查表"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == (
        "unit_code",
        "unit_name",
        "indicator_code",
        "indicator_name",
        "method",
        "max",
        "evidence",
        "score",
        "note",
    )
    assert [r[2] for r in rows[1:]] == ["A1", "A2", "B1", "B2", "B3"]
    assert rows[1][3:7] == ("领导重视", "得分（填得分）", 10, "会议纪要")
    # An indicator name starting with "=" is written as text, never as a formula.
    assert rows[5][3] == "'=严重违纪"
    assert all(r[7] is None and r[8] is None for r in rows[1:])
    # A department fills the score column; the file imports as it is.
    for i, ind in enumerate(["A1", "A2", "B1", "B2", "B3"], start=2):
        ws.cell(row=i, column=8, value=GOOD[ind])
    ws.cell(row=2, column=9, value="见附件")
    wb.save(path)
    assert selfcheck.import_scores(db, actors["clerk"], rid, path) == 5
    selfcheck.submit(db, actors["clerk"], rid, "G01")
    sheet = {r.code: r for r in selfcheck.unit_sheet(db, rid, "G01")}
    assert (sheet["A1"].self_value, sheet["A1"].self_note, sheet["B1"].max) == (9.0, "见附件", 20.0)
    with db.read() as s:
        assert s.exec(select(RoundUnit).where(RoundUnit.submitted_at.is_not(None))).one()
    whole = load_workbook(selfcheck.export_template(db, rid, None, tmp_path / "all.xlsx"))["自查表"]
    # 4 units of 政府部门 × 5 leaves + 2 towns × 6 leaves.
    assert whole.max_row - 1 == 4 * 5 + 2 * 6


def test_all_units_template_round_trips_what_is_entered(db, actors, open_round, tmp_path):
    rid, clerk = open_round, actors["clerk"]
    gov = ["A1", "A2", "B1", "B2", "B3"]
    for unit in ("G01", "G02"):
        for ind in gov:
            selfcheck.enter_score(db, clerk, rid, unit, ind, GOOD[ind])
    selfcheck.enter_score(db, clerk, rid, "G03", "A1", 7, "部分材料")
    selfcheck.submit(db, clerk, rid, "G01")
    before = _scores(db, rid)
    path = selfcheck.export_template(db, rid, None, tmp_path / "all.xlsx")
    wb = load_workbook(path)
    ws = wb["自查表"]
    rows = {(r[0], r[2]): r for r in ws.iter_rows(min_row=2, values_only=True)}
    assert rows[("G01", "A1")][7:9] == (GOOD["A1"], None)
    assert rows[("G03", "A1")][7:9] == (7, "部分材料")
    assert rows[("G03", "A2")][7:9] == (None, None)
    assert any("G01" in (c or "") and "已提交" in (c or "") for (c,) in wb["填写说明"].iter_rows(values_only=True))
    # Imported back as it is: blank rows left out, the submitted unit's unchanged rows skipped,
    # the rest stored again unchanged (G02's five and G03's one).
    assert selfcheck.import_scores(db, clerk, rid, path) == 6
    assert _scores(db, rid) == before
    # A changed value of the submitted unit refuses the whole file, naming line and field.
    line = 2 + [k for k in rows].index(("G01", "A1"))
    ws.cell(row=line, column=8, value=GOOD["A1"] - 1)
    ws.cell(row=line + 1 + 5, column=8, value=1)  # G02 A2 changed too: not stored either
    wb.save(path)
    with pytest.raises(InputErrors) as err:
        selfcheck.import_scores(db, clerk, rid, path)
    assert [(p.line, p.field) for p in err.value.problems] == [(line, "score")]
    assert "已提交" in err.value.lines()[0]
    assert _scores(db, rid) == before


def test_submit_complete_units_at_once(db, actors, open_round):
    rid, clerk = open_round, actors["clerk"]
    for unit in ("G01", "G02", "G04"):
        for ind in ["A1", "A2", "B1", "B2", "B3"]:
            selfcheck.enter_score(db, clerk, rid, unit, ind, GOOD[ind])
    selfcheck.enter_score(db, clerk, rid, "G03", "A1", 7)
    selfcheck.submit(db, clerk, rid, "G04")
    with pytest.raises(PermissionDenied):
        selfcheck.submit_complete(db, actors["inspector"], rid)
    result = selfcheck.submit_complete(db, clerk, rid)
    assert result.submitted == ["G01", "G02"] and result.already == 1
    assert [(c, n) for c, _name, n in result.incomplete] == [("G03", 4), ("X01", 6), ("X02", 6)]
    done = {c.unit_code: c.submitted for c in selfcheck.completeness(db, rid)}
    assert done == {"G01": True, "G02": True, "G03": False, "G04": True, "X01": False, "X02": False}
    with db.read() as s:
        recs = s.exec(select(AuditRecord).where(AuditRecord.action == "selfcheck.submit")).all()
    assert sorted(r.payload["unit"] for r in recs) == ["G01", "G02", "G04"]
