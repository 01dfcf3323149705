"""Importing per-ballot and tallies files: all or nothing, every error with file, line and field."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from assess.appraisal import ballot_import, tally
from assess.appraisal import reconcile as ballot_review
from assess.appraisal import sessions as appraisal
from assess.demo import builders
from assess.foundation.errors import InputErrors, PermissionDenied
from assess.models import BallotBatch, PassBallot, TallyCount

from .ballot_helpers import make_round


@pytest.fixture
def session(db, actors):
    rid = make_round(db)
    codes = builders.numbered_units(db, actors["admin"], 3)
    return appraisal.create_session(
        db, actors["clerk"], rid, "unit", "民主评议大会", target_codes=codes, expected=20, present=15
    )


@pytest.fixture
def big_session(db, actors):
    """A meeting large enough for 300 ballots in one group (bounded by its record: 实到 350)."""
    rid = make_round(db)
    codes = builders.numbered_units(db, actors["admin"], 3)
    return appraisal.create_session(
        db, actors["clerk"], rid, "unit", "民主评议大会", target_codes=codes, expected=400, present=350
    )


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


BALLOTS = """\ufeffbatch,ballot_no,voter_group,target_code,choice
F1,1,fw,U01,满意
F1,1,fw,U02,基本满意
F1,1,fw,U03,不了解
F1,2,fw,U01,满意
F1,2,fw,U01,不满意
F1,2,fw,U02,不满意
F1,3,fw,U01,满意
F1,3,fw,U02,满意
F1,3,fw,U03,满意
F1,4,fw,U01,
L1,1,ld,U01,基本满意
L1,1,ld,U02,基本满意
L1,1,ld,U03,基本满意
"""


def test_import_ballots_then_certify(db, actors, session, tmp_path):
    path = write(tmp_path, "ballots.csv", BALLOTS)
    res = ballot_import.import_ballots(db, actors["clerk"], session, path)
    got = {(b.label, b.voter_group, b.ballots, b.valid, b.void, b.blank) for b in res.batches}
    # F1: ballot 1 valid; ballot 2 has two choices on U01 → that mark voided (X), valid;
    # ballot 3 marks 满意 three times > 2 → void; ballot 4 only an empty choice → blank.
    assert got == {("F1", "fw", 4, 2, 1, 1), ("L1", "ld", 1, 1, 0, 0)}
    f1 = next(b for b in res.batches if b.label == "F1")
    with db.read() as s:
        marks = dict(
            s.execute(
                select(PassBallot.ballot_no, PassBallot.marks)
                .join_from(PassBallot, BallotBatch, BallotBatch.id == f1.batch_id)
                .where(PassBallot.pass_id.in_(select_pass(f1.batch_id)))
            ).all()
        )
    assert marks == {1: "124", 2: "X30", 3: "111", 4: "000"}
    # The importing clerk cannot certify; a reviewer can, without a second pass.
    with pytest.raises(PermissionDenied):
        ballot_review.certify(db, actors["clerk"], f1.batch_id)
    for b in res.batches:
        ballot_review.certify(db, actors["reviewer"], b.batch_id)
    t = tally.session_tally(db, session).groups.set_index(["target_code", "group"])
    # fw U02: ballot 1 基本满意, ballot 2 不满意 (ballot 3 void, 4 blank) → (70 + 30)/2 = 50.
    assert t.loc[("U02", "fw"), ["基本满意", "不满意", "counted"]].tolist() == [1, 1, 2]
    assert t.loc[("U02", "fw"), "score"] == pytest.approx(50.0)
    # fw U01: ballot 1 满意, ballot 2 X → 1 counted vote of 100.
    assert t.loc[("U01", "fw"), ["满意", "counted", "score"]].tolist() == [1, 1, 100.0]


def select_pass(batch_id):
    from assess.models import EntryPass

    return select(EntryPass.id).where(EntryPass.batch_id == batch_id)


def test_import_ballots_errors_change_nothing(db, actors, session, tmp_path):
    bad = """batch,ballot_no,voter_group,target_code,choice
F1,1,fw,U01,满意
F1,x,fw,U02,满意
F1,2,ld,U01,满意
F1,3,fw,U99,满意
F1,4,fw,U01,很好
F1,1,fw,U01,满意
,5,fw,U01,满意
F2,1,xx,U01,满意
"""
    path = write(tmp_path, "bad.csv", bad)
    with pytest.raises(InputErrors) as e:
        ballot_import.import_ballots(db, actors["clerk"], session, path)
    lines = e.value.lines()
    expect = [
        (3, "ballot_no", "不是整数"),
        (4, "voter_group", "一个批次只能有一个投票人类别"),
        (5, "target_code", "U99"),
        (6, "choice", "很好"),
        (7, None, "与第 2 行重复"),
        (8, "batch", "不能为空"),
        (9, "voter_group", "xx"),
    ]
    for line, fld, words in expect:
        where = f"bad.csv:{line}" + (f" [{fld}]" if fld else "")
        assert any(where in msg and words in msg for msg in lines), (where, words, lines)
    with db.read() as s:
        assert s.execute(select(func.count()).select_from(BallotBatch)).scalar() == 0


def test_import_ballots_refuses_existing_batch_and_wrong_role(db, actors, session, tmp_path):
    path = write(tmp_path, "ballots.csv", BALLOTS)
    with pytest.raises(PermissionDenied):
        ballot_import.import_ballots(db, actors["reviewer"], session, path)
    ballot_import.import_ballots(db, actors["clerk"], session, path)
    with pytest.raises(InputErrors, match="已存在"):
        ballot_import.import_ballots(db, actors["clerk"], session, path)


TALLIES = """voter_group,target_code,choice,count
ld,U01,满意,6
ld,U01,基本满意,2
ld,U01,不了解,1
ld,U02,不满意,4
ld,U02,满意,0
fw,U01,满意,3
fw,U01,不满意,3
"""


def test_import_tallies_then_certify(db, actors, session, tmp_path):
    # A tally batch's papers come from the meeting's record of each group.
    appraisal.set_attendance(
        db, actors["clerk"], session, groups={"ld": 10, "fw": 8}, groups_present={"ld": 9, "fw": 6}
    )
    path = write(tmp_path, "tallies.csv", TALLIES)
    res = ballot_import.import_tallies(db, actors["clerk"], session, path)
    by = {b.voter_group: b for b in res.batches}
    assert (
        set(by) == {"ld", "fw"} and by["ld"].label == "汇总-ld" and by["ld"].ballots == 9
    )  # 6 + 2 + 1 on U01
    with db.read() as s:
        assert s.execute(select(func.sum(TallyCount.count))).scalar() == 19
    for b in res.batches:
        ballot_review.certify(db, actors["reviewer"], b.batch_id)
    t = tally.session_tally(db, session)
    g = t.groups.set_index(["target_code", "group"])
    # ld U01: (6×100 + 2×70)/8 = 92.5 (不了解 not counted); fw U01: (300 + 90)/6 = 65.
    assert g.loc[("U01", "ld"), "score"] == pytest.approx(92.5)
    assert g.loc[("U01", "fw"), "score"] == pytest.approx(65.0)
    # Weights ld .2, fw .4 renormalised → 1/3, 2/3: 92.5/3 + 65×2/3 = 74.1667; U02 only ld: 30.
    tt = t.targets.set_index("target_code")
    assert tt.loc["U01", "score"] == pytest.approx(92.5 / 3 + 130 / 3)
    assert tt.loc["U02", "score"] == pytest.approx(30.0)
    assert tt.loc["U01", "missing_groups"] == "rd、zg" and tt.loc["U02", "missing_groups"] == "rd、fw、zg"
    assert any("fw" in w or "服务对象" in w for w in t.warnings)


def test_import_tallies_errors(db, actors, session, tmp_path):
    bad = """voter_group,target_code,choice,count
ld,U01,满意,-1
ld,U01,满意,2
zz,U02,满意,1
ld,U02,,1
ld,U03,不满意,1.5
ld,U03,不满意,1
"""
    path = write(tmp_path, "t.csv", bad)
    with pytest.raises(InputErrors) as e:
        ballot_import.import_tallies(db, actors["clerk"], session, path)
    lines = e.value.lines()
    for where, words in [
        ("t.csv:2 [count]", "不能为负"),
        ("t.csv:4 [voter_group]", "zz"),
        ("t.csv:5 [choice]", "不是选项"),
        ("t.csv:6 [count]", "不是整数"),
    ]:
        assert any(where in m and words in m for m in lines), (where, lines)
    with db.read() as s:
        assert s.execute(select(func.count()).select_from(TallyCount)).scalar() == 0
    missing = write(tmp_path, "m.csv", "voter_group,target_code,count\nld,U01,1\n")
    with pytest.raises(InputErrors, match=r"m\.csv:1 \[choice\]"):
        ballot_import.import_tallies(db, actors["clerk"], session, missing)


def test_import_ballots_reports_every_problem_of_a_large_file(db, actors, big_session, tmp_path):
    """Rows whose cells were already seen good skip the per-cell checks; the problems of a long
    file are still reported one by one with line and field, exactly once each, and duplicates
    are found whether the earlier row was the first choice of its target or a later one."""
    rows = ["batch,ballot_no,voter_group,target_code,choice"]
    for no in range(1, 301):
        for code, choice in (("U01", "满意"), ("U02", "不满意"), ("U03", "")):
            rows.append(f"F1,{no},fw,{code},{choice}")
    rows += [
        "F1,7,fw,U01,不满意",  # 902: a second choice: the mark becomes X (not an error)
        "F1,7,fw,U01,不满意",  # 903: duplicate of 902 (a later choice)
        "F1,7,fw,U01,满意",  # 904: duplicate of the first row of ballot 7, U01
        "F1,8,fw,U03,",  # 905: duplicate of an empty choice
        " F1 ,9,fw,U01,满意",  # 906: padded cells are stripped: duplicate of ballot 9's first row
        "F1,301,ld,U01,满意",  # 907: batch F1 is fw
        "F1,302,fw,U01,满意,extra",  # 908: six columns
        "F1,0,fw,U02,满意",  # 909: ballot number out of range
    ]
    path = write(tmp_path, "big.csv", "\n".join(rows) + "\n")
    with pytest.raises(InputErrors) as e:
        ballot_import.import_ballots(db, actors["clerk"], big_session, path)
    # A wrong number of columns is reported alone first, as for every tabular import.
    [only] = e.value.lines()
    assert only.endswith("big.csv:908: 列数为 6，表头为 5 列"), only
    del rows[-2]
    path = write(tmp_path, "big.csv", "\n".join(rows) + "\n")
    with pytest.raises(InputErrors) as e:
        ballot_import.import_ballots(db, actors["clerk"], big_session, path)
    lines = e.value.lines()
    assert len(lines) == 6, lines
    expect = [
        (903, "choice", "与第 902 行重复"),
        (904, "choice", f"与第 {1 + 3 * 6 + 1} 行重复"),
        (905, "choice", f"与第 {1 + 3 * 7 + 3} 行重复"),
        (906, "choice", f"与第 {1 + 3 * 8 + 1} 行重复"),
        (907, "voter_group", "在第 2 行为“fw”"),
        (908, "ballot_no", "票号 0 应在 1 到 1000000 之间"),
    ]
    for (line, fld, words), msg in zip(expect, lines, strict=True):
        assert f"big.csv:{line} [{fld}]" in msg and words in msg, (line, msg)
    with db.read() as s:
        assert s.execute(select(func.count()).select_from(BallotBatch)).scalar() == 0
    # Without the bad rows the file imports; ballot 7's U01 holds two choices: voided (X).
    ok = [r for i, r in enumerate(rows, start=1) if i not in (903, 904, 905, 906, 907, 908)]
    path = write(tmp_path, "good.csv", "\n".join(ok) + "\n")
    res = ballot_import.import_ballots(db, actors["clerk"], big_session, path)
    [f1] = res.batches
    assert (f1.ballots, f1.valid, f1.void, f1.blank) == (300, 300, 0, 0)
    with db.read() as s:
        marks = dict(
            s.execute(
                select(PassBallot.ballot_no, PassBallot.marks).where(PassBallot.pass_id.in_(select_pass(f1.batch_id)))
            ).all()
        )
    assert marks[7] == "X30" and marks[6] == "130" and len(marks) == 300


def test_a_file_reads_alike_with_or_without_quotes(db, actors, big_session, tmp_path):
    """A file without quotes is read line by line, a line whose cells were seen good before taken
    whole; with one quoted cell the csv module reads every record. Both give the same problems,
    line by line, whatever the line endings."""
    rows = ["batch,ballot_no,voter_group,target_code,choice"]
    for no in range(1, 41):
        for code, choice in (("U01", "满意"), ("U02", "不满意"), ("U03", "")):
            rows.append(f"F1,{no},fw,{code},{choice}")
    rows[50:50] = ["", "  ", ",,,,", "F1,3,fw,U01", "F1,3,fw,U01,满意,x", " F1 ,5,fw,U02,不满意", "F1,05,fw,U03,",
                   "F1,6,fw ,U01,满意", "F1,7,ld,U01,满意", "F2,7,服务对象,U01,满意", "F2,7,fw,U01,满意", "F1,0,fw,U01,满意",
                   "F1,1000001,fw,U01,满意", "F1,٣,fw,U01,满意", "F1,+8,fw,U02,满意", "F1,9,fw,U09,满意", "F1,9,fw,U01,很好"]
    outcomes = []
    for ending in ("\n", "\r\n", "\r"):
        for quoted in (False, True):
            lines = list(rows)
            if quoted:
                lines[-1] = '"' + lines[-1].replace(",", '","') + '"'
            path = write(tmp_path, "f.csv", "")
            path.write_text(ending.join(lines) + ending, encoding="utf-8", newline="")
            with pytest.raises(InputErrors) as e:
                ballot_import.import_ballots(db, actors["clerk"], big_session, path)
            outcomes.append(e.value.lines())
    assert outcomes[0][0].endswith("f.csv:54: 列数为 4，表头为 5 列") and len(outcomes[0]) == 2, outcomes[0]
    assert all(o == outcomes[0] for o in outcomes), outcomes
    del rows[53:55]  # the rows of another width: now every row's own problems
    outcomes = []
    for quoted in (False, True):
        lines = list(rows)
        if quoted:
            lines[-1] = '"' + lines[-1].replace(",", '","') + '"'
        path = write(tmp_path, "f.csv", "\n".join(lines) + "\n")
        with pytest.raises(InputErrors) as e:
            ballot_import.import_ballots(db, actors["clerk"], big_session, path)
        outcomes.append(e.value.lines())
    assert outcomes[0] == outcomes[1]
    expect = [(54, "choice", "与第 15 行重复"), (55, "choice", "与第 16 行重复"), (56, "choice", "与第 17 行重复"),
              (57, "voter_group", "在第 2 行为“fw”"), (59, "choice", "与第 58 行重复"), (60, "ballot_no", "票号 0"),
              (61, "ballot_no", "票号 1000001"), (62, "choice", "与第 8 行重复"), (64, "target_code", "U09"),
              (65, "choice", "很好")]
    for (line, fld, words), msg in zip(expect, outcomes[0], strict=True):
        assert f"f.csv:{line} [{fld}]" in msg and words in msg, (line, msg)
    with db.read() as s:
        assert s.execute(select(func.count()).select_from(BallotBatch)).scalar() == 0
