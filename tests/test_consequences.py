"""考核结果运用 (assess/consequences.py): hand-computed rounds; grade, 末位 and rule conditions;
waived entries give nothing; only 公示 or final results; the per-year list; the CLI."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest

from assess.foundation.errors import Conflict
from assess.results import accountability, consequences, publicity
from assess.results import approval as review
from assess.results.compute import compute_round
from assess.schemes.validate import validate_text

from .conftest import PASSWORD, make_users
from .results_helpers import add_scores, full_marks, make_round, scheme_dict, store_scheme

RULES = [{"code": "R02", "kind": "last_in_category", "action": "提醒谈话", "text": "类别末位的提醒谈话"}]
CONSEQUENCES = [
    {"code": "Y1", "when": "grade:优秀", "then": "评先评优资格"},
    {"code": "Y2", "when": "last", "then": "诫勉谈话、不得评优"},
    {"code": "Y3", "when": "rule:R02", "then": "年度考核等次建议降一档"},
]


def round_in_publicity(db, actors, waive=False, period="2026-Q1"):
    """U1 full marks: 0.9×100 + 0.1×100 = 100.00 优秀 1st; U2 制度建设 35/40: 0.9×95 + 10 = 95.50 优秀 2nd;
    U3 制度建设 10/40: indicators 70 → 0.9×70 + 10 = 73.00 一般, last of 甲类 (R02 fires)."""
    vid = store_scheme(db, scheme_dict(weights={"indicators": 90, "adjustment": 10}, forms=[], appraisal_form=None,
                                       rules=RULES, consequences=CONSEQUENCES))
    rid, ids = make_round(db, vid, [("U1", "财政局", "甲类"), ("U2", "教育局", "甲类"), ("U3", "民政局", "甲类")],
                          period=period)
    add_scores(db, rid, ids, full_marks(["U1"]) + full_marks(["U2"], i1=35) + full_marks(["U3"], i1=10))
    compute_round(db, actors["reviewer"], rid, resamples=0)
    with pytest.raises(Conflict, match="以公示或定稿的结果为准"):
        consequences.round_consequences(db, rid)
    for e in accountability.list_entries(db, rid):
        accountability.decide(db, actors["reviewer"], e.id, "waive" if waive else "confirm", "核实")
    review.review(db, actors["clerk"], rid, "first")
    review.review(db, actors["reviewer"], rid, "audit")
    review.review(db, actors["reviewer2"], rid, "recheck")
    review.vote(db, actors["committee"], rid, expected=9, present=8, yes=5, no=2, abstain=1)
    publicity.open_publicity(db, actors["admin"], rid, date(2026, 4, 13))
    return rid


def test_round_consequences_by_grade_last_and_rule(db, actors):
    rid = round_in_publicity(db, actors)
    got = consequences.round_consequences(db, rid)
    assert got.title.endswith("（公示稿）")
    assert [(r["code"], r["rule"], r["consequence"]) for r in got.rows] == [
        ("U1", "Y1", "评先评优资格"),
        ("U2", "Y1", "评先评优资格"),
        ("U3", "Y2", "诫勉谈话、不得评优"),
        ("U3", "Y3", "年度考核等次建议降一档"),
    ]
    u3 = got.rows[2]
    assert (u3["grade"], u3["rank"], u3["period"], u3["basis"]) == ("一般", 3, "2026年第一季度", "类别内排名末位")
    assert got.rows[3]["basis"] == "问责规则 R02：类别末位的提醒谈话"
    publicity.finalize(db, actors["admin"], rid, today=date(2026, 4, 20))
    assert consequences.round_consequences(db, rid).rows == got.rows  # from the final snapshot: unchanged


def test_waived_entry_gives_no_consequence_and_year_list(db, actors):
    rid = round_in_publicity(db, actors, waive=True)
    rows = consequences.round_consequences(db, rid).rows
    assert [(r["code"], r["rule"]) for r in rows] == [("U1", "Y1"), ("U2", "Y1"), ("U3", "Y2")]  # no Y3
    year = consequences.year_consequences(db, 2026)
    assert year.rows == rows and year.notes == []
    assert consequences.year_consequences(db, 2025).rows == []


def test_scheme_consequences_validated():
    from .test_scheme_validate import BASE

    ok = BASE + '\n[[consequences]]\ncode = "Y1"\nwhen = "last"\nthen = "诫勉谈话"\nbasis = "example"\nreason = "示例"\n'
    assert validate_text(ok, "t.toml").scheme.consequences[0].then == "诫勉谈话"
    bad = ok.replace('when = "last"', 'when = "rule:NOPE"')
    with pytest.raises(Exception, match="没有编码为“NOPE”的问责规则"):
        validate_text(bad, "t.toml")
    bad = ok.replace('when = "last"', 'when = "grade:特优"')
    with pytest.raises(Exception, match="等次“特优”不在方案的等次中"):
        validate_text(bad, "t.toml")


def test_shipped_scheme_consequences_quote_the_seed():
    from assess.schemes.builtin import validate_source

    s = validate_source("cwgk_qlss_2014").scheme
    by = {c.code: c for c in s.consequences}
    assert by["Y02"].when == "rule:Q02" and by["Y02"].source == "附件15 二（三）3"
    seed = next(Path("/work/shared/seeds").glob("003_*.txt"), None)
    if seed is not None:
        text = seed.read_text(encoding="utf-8")
        for c in s.consequences:
            if c.source:
                assert c.text in text, c.code


def test_consequences_cli(sqlite_db, capsys, monkeypatch):
    from assess.cli import main

    db = sqlite_db
    rid = round_in_publicity(db, make_users(db))
    monkeypatch.setenv("ASSESS_PASSWORD", PASSWORD)
    assert main(["consequences", str(rid), "--format", "csv", "--db", db.url]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["code"], r["rule"]) for r in rows] == [("U1", "Y1"), ("U2", "Y1"), ("U3", "Y2"), ("U3", "Y3")]
    assert main(["consequences", "--year", "2026", "--format", "json", "--db", db.url]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 4
    assert main(["consequences", str(rid), "--db", db.url]) == 0
    out = capsys.readouterr().out
    assert "考核结果运用（公示稿）" in out and "诫勉谈话、不得评优" in out


def test_consequences_in_workbook_and_bulletin(db, actors, tmp_path):
    from openpyxl import load_workbook

    from assess.reports.data import load_report_data
    from assess.reports.official import bulletin_doc, doc_text
    from assess.reports.workbook import write_workbook

    rid = round_in_publicity(db, actors)
    data = load_report_data(db, rid)
    wb = load_workbook(write_workbook(data, tmp_path / "r.xlsx"))
    rows = list(wb["结果运用"].values)
    assert rows[0][:3] == ("考核期间", "对象", "编码")
    assert [(r[2], r[8]) for r in rows[1:]] == [
        ("U1", "评先评优资格"), ("U2", "评先评优资格"), ("U3", "诫勉谈话、不得评优"), ("U3", "年度考核等次建议降一档")
    ]
    text = doc_text(bulletin_doc(db, data))
    assert "四、考核结果运用" in text and "五、工作要求" in text
    assert "3. 民政局：诫勉谈话、不得评优（类别内排名末位）。" in text


def test_cadre_consequences_two_years_unfit_through_the_accountability_window(db, actors):
    """连续两年不称职 comes from the accountability rule's calendar-year window, not re-counted:
    C1 不称职 in 2025 and 2026 → C02 fires → 责令辞职 proposal; C2 不称职 in 2026 only → 诫勉 only."""
    from assess.models import CadreResult, Round

    from .results_helpers import add_cadres, add_prior_round, add_session

    vid = store_scheme(db, scheme_dict(
        weights={"indicators": 100},
        rules=[
            {"code": "C01", "kind": "cadre_unfit", "action": "诫勉谈话", "subject": "cadre"},
            {"code": "C02", "kind": "cadre_consecutive_unfit", "action": "责令辞职", "subject": "cadre", "times": 2,
             "window_unit": "year"},
        ],
        consequences=[
            {"code": "Y1", "when": "grade:不称职", "subject": "cadre", "then": "诫勉谈话，不得评优"},
            {"code": "Y2", "when": "rule:C02", "subject": "cadre", "then": "责令辞职或罢免建议"},
        ],
    ))
    prior = add_prior_round(db, vid, "2025", [("U1", "甲类", 90, 1, "优秀")], stage="computed")
    rid, ids = make_round(db, vid, [("U1", "U1", "甲类")], period="2026")
    add_scores(db, rid, ids, full_marks(["U1"]))
    cid = add_cadres(db, ids["U1"], ["C1", "C2", "C3"])
    psid = add_session(db, prior, "cadre", "qlss", [cid["C1"], cid["C2"]], {}, {"zg": 1.0})
    with db.write() as s:
        s.add(CadreResult(round_id=prior, session_id=psid, cadre_id=cid["C1"], score=40, grade="不称职", counts={}))
        s.add(CadreResult(round_id=prior, session_id=psid, cadre_id=cid["C2"], score=80, grade="称职", counts={}))
    with db.write() as s:
        s.get(Round, prior).stage = "published"
    # 2026: C1 [2, 2, 0, 6]: 6/10 > 1/3 → 不称职; C2 [3, 3, 0, 4]: 4/10 > 1/3 → 不称职; C3 [5, 5, 0, 0] → 称职.
    counts = {"zg": {cid["C1"]: [2, 2, 0, 6], cid["C2"]: [3, 3, 0, 4], cid["C3"]: [5, 5, 0, 0]}}
    add_session(db, rid, "cadre", "qlss", list(cid.values()), counts, {"zg": 1.0})
    compute_round(db, actors["admin"], rid, resamples=0)
    for e in accountability.list_entries(db, rid):
        accountability.decide(db, actors["reviewer"], e.id, "confirm", "核实")
    review.review(db, actors["clerk"], rid, "first")
    review.review(db, actors["reviewer"], rid, "audit")
    review.review(db, actors["reviewer2"], rid, "recheck")
    review.vote(db, actors["committee"], rid, expected=9, present=8, yes=5, no=2, abstain=1)
    publicity.open_publicity(db, actors["admin"], rid, date(2026, 12, 7))
    rows = consequences.round_consequences(db, rid).rows
    assert [(r["code"], r["rule"], r["consequence"]) for r in rows] == [
        ("C1", "Y1", "诫勉谈话，不得评优"),
        ("C2", "Y1", "诫勉谈话，不得评优"),
        ("C1", "Y2", "责令辞职或罢免建议"),
    ]
    assert rows[2]["subject"] == "干部" and rows[2]["basis"].startswith("问责规则 C02")
