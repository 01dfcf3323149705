"""职能部门评分 and 合理缺项 (assess/scorers.py) on hand-computed cases: a department scores only its
indicators for every unit, the stage waits for incomplete scorers, an exemption needs a second
person's approval and rescales the total in the engine, and the account binding is audited."""

from __future__ import annotations

import copy

import pytest

from assess.foundation import users
from assess.foundation.accounts import verify_accounts
from assess.foundation.errors import Conflict, PermissionDenied
from assess.foundation.roles import Actor
from assess.results.compute import compute_round
from assess.results.views import explain
from assess.rounds import department_scoring as scorers
from assess.rounds import lifecycle as rounds
from assess.schemes.definition import from_dict
from assess.schemes.validate import validate_text
from assess.scoring.engine import compute_units
from assess.scoring.rows import Rows
from assess.workflow import advance as workflow

from . import rounds_helpers as rh
from .conftest import PASSWORD
from .test_scoring_engine import inputs, row

# B1 (按时公开率, ratio, max 20) is scored by 财政局 G01 for every unit; exemptions rescale.
SCHEME = copy.deepcopy(rh.SCHEME)
SCHEME["indicators"][1]["children"][0]["scorer"] = "G01"
SCHEME["exempt_rule"] = "rescale"
SCHEME["weights"] = {"indicators": 90, "adjustment": 10}
SCHEME.pop("appraisal_form")
SCHEME["spotcheck"] = {"sample_size": 0}


def _records(db):
    from sqlmodel import select

    from assess.models import AuditRecord

    with db.read() as s:
        return list(s.exec(select(AuditRecord).order_by(AuditRecord.seq)).all())


def _engine_scheme(rule="rescale", scorer=None):
    i1 = {"code": "I1", "name": "主动公开", "method": "points", "max": 95}
    if scorer:
        i1["scorer"] = scorer
    return {
        "code": "t",
        "name": "t",
        "categories": ["甲类"],
        "indicators": [i1, {"code": "I2", "name": "医疗服务公开", "method": "points", "max": 5}],
        "weights": {"indicators": 100},
        "bands": [
            {"grade": "优秀", "min": 90, "max": 100, "include_max": True},
            {"grade": "合格", "min": 0, "max": 90},
        ],
        "exempt_rule": rule,
    }


def test_rescale_hand_case_76_of_95_is_80():
    # I2 (满分 5) exempt: indicators = 100 × 76 / (100 − 5) = 7600 / 95 = 80.00; composite = 80.00.
    data = inputs(
        _engine_scheme(),
        [("U1", "甲类"), ("U2", "甲类")],
        [("U1", "I1", 76), ("U2", "I1", 76), ("U2", "I2", 0)],
    )
    data.exemptions = Rows(["unit_id", "indicator_code"], [(1, "I2")])
    r = compute_units(data)
    u1, u2 = row(r, "U1"), row(r, "U2")
    assert u1["composite"] == 80.00 and u1["indicators"] == pytest.approx(80.0)
    assert "exempt:95:I2" in u1["flags"]
    # U2 is not exempt: 100 × (76 + 0) / 100 = 76.00
    assert u2["composite"] == 76.00 and not any(f.startswith("exempt") for f in u2["flags"])
    from assess.results.reasons import ReasonNames, flag_reason

    text = flag_reason("exempt:95:I2", ReasonNames.of(from_dict(_engine_scheme())))
    assert text == "合理缺项：“医疗服务公开”（满分 5）已排除，按 95 分折算为百分制"


def test_full_rule_counts_the_exempt_indicator_at_full_marks():
    # exempt_rule = "full": 100 × (76 + 5) / 100 = 81.00
    data = inputs(_engine_scheme("full"), [("U1", "甲类")], [("U1", "I1", 76)])
    data.exemptions = Rows(["unit_id", "indicator_code"], [(1, "I2")])
    u = row(compute_units(data), "U1")
    assert u["composite"] == 81.00
    assert "exempt_full:I2" in u["flags"] and not any(f.startswith("missing_value") for f in u["flags"])


def test_department_value_replaces_self_check_for_its_indicators():
    # I1 scored by G01: self 90 is ignored, the department's 70 counts: 100 × (70 + 5) / 100 = 75.00
    data = inputs(_engine_scheme(scorer="G01"), [("U1", "甲类")], [("U1", "I1", 90), ("U1", "I2", 5)])
    data.deptscores = Rows(["unit_id", "indicator_code", "value"], [(1, "I1", 70.0)])
    assert row(compute_units(data), "U1")["composite"] == 75.00
    # no department value yet: the indicator earns 0 and is flagged, never the self-check's 90
    data.deptscores = None
    u = row(compute_units(data), "U1")
    assert u["composite"] == 5.00 and "missing_value:I1" in u["flags"]


def test_scheme_fields_validated_with_line_and_field():
    text = """code = "t"
name = "t"
categories = ["甲类"]
basis = "example"
reason = "测试"

[composite]
weights = { indicators = 100 }
exempt_rule = "drop"

[[bands]]
grade = "合格"
min = 0
max = 100
include_max = true

[[indicators]]
code = "I1"
name = "x"
method = "points"
max = 10
scorer = ""
"""
    from assess.foundation.errors import InputErrors

    with pytest.raises(InputErrors) as ei:
        validate_text(text, "t.toml")
    msg = "\n".join(ei.value.lines())
    assert "t.toml:9 [composite.exempt_rule]" in msg and "rescale" in msg
    assert "t.toml:22 [indicators.scorer]" in msg and "不能为空" in msg
    ok = validate_text(text.replace('"drop"', '"rescale"').replace('scorer = ""', 'scorer = "czj"'), "t.toml")
    assert ok.scheme.exempt_rule == "rescale" and ok.scheme.indicators[0].scorer == "czj"
    from assess.schemes.toml_writer import scheme_to_toml

    again = validate_text(scheme_to_toml(ok.scheme), "again.toml").scheme
    assert again.to_dict() == ok.scheme.to_dict()


@pytest.fixture
def setup(db, actors):
    rh.add_units(db, actors)
    vid = rh.store_scheme(db, SCHEME)
    rid = rounds.create_round(db, actors["admin"], "2026年第三季度考核", "2026-Q3", vid)
    users.set_unit(db, actors["admin"], "clerk2", "G01")  # 财政局's scorer
    users.add_user(db, actors["admin"], "jyj", "clerk", PASSWORD, "教育局录入", unit_code="G02")
    return rid


def test_scorer_enters_only_its_indicators_and_the_stage_waits(db, actors, setup):
    rid = setup
    dept, other, office = actors["clerk2"], Actor("jyj", "clerk"), actors["clerk"]
    workflow.advance(db, actors["admin"], rid)
    rh.fill_and_submit(db, actors, rid)
    workflow.advance(db, actors["admin"], rid)
    assert workflow.advance(db, actors["admin"], rid) == "spotcheck_drawn"  # no spot-check in the scheme
    # 6 units × B1 = 6 cells for 财政局, none done
    assert workflow.blockers(db, rid) == ["财政局：6 项未评分"]
    scorers.enter_dept_score(db, dept, rid, "G02", "B1", 90)
    with pytest.raises(Conflict, match="不由职能部门评分"):
        scorers.enter_dept_score(db, dept, rid, "G02", "A1", 9)
    with pytest.raises(PermissionDenied, match="只能录入本单位负责评分的指标"):
        scorers.enter_dept_score(db, other, rid, "G03", "B1", 90)
    for code in ("G01", "G03", "G04", "X01"):
        scorers.enter_dept_score(db, dept if code != "X01" else office, rid, code, "B1", 90)
    (p,) = scorers.progress(db, rid)
    assert (p.scorer, p.scorer_name, p.required, p.done, p.missing) == (
        "G01",
        "财政局",
        6,
        5,
        [("X02", "B1")],
    )
    assert workflow.blockers(db, rid) == ["财政局：1 项未评分"]
    with pytest.raises(Conflict, match="财政局：1 项未评分"):
        workflow.advance(db, actors["admin"], rid)
    # the scorer's sheet: only its cells; jyj's unit scores nothing
    assert {c.indicator_code for c in scorers.sheet(db, rid, username="clerk2")} == {"B1"}
    assert scorers.sheet(db, rid, username="jyj") == []
    assert len(scorers.sheet(db, rid, username="clerk")) == 6
    scorers.enter_dept_score(db, dept, rid, "X02", "B1", 90)
    assert workflow.blockers(db, rid) == []
    rec = [r for r in _records(db) if r.action == "score.enter"]
    assert len(rec) == 6 and rec[0].payload["scorer"] == "G01" and rec[0].actor == "clerk2"


def test_exemption_two_steps_rescales_and_is_explained(db, actors, setup):
    rid = setup
    workflow.advance(db, actors["admin"], rid)
    rh.fill_and_submit(db, actors, rid)
    workflow.advance(db, actors["admin"], rid)
    workflow.advance(db, actors["admin"], rid)
    for code, *_ in rh.UNITS:
        scorers.enter_dept_score(db, actors["clerk"], rid, code, "B1", 90)
    xid = scorers.request_exemption(db, actors["clerk"], rid, "X01", "C1", "该镇无村级组织")
    with pytest.raises(Conflict, match="已有待审批"):
        scorers.request_exemption(db, actors["clerk"], rid, "X01", "C1", "重复")
    with pytest.raises(PermissionDenied):
        scorers.decide_exemption(db, actors["clerk2"], xid, True)  # a clerk has no approval right
    # the requester cannot approve their own request (an admin asking, then approving)
    xid2 = scorers.request_exemption(db, actors["admin"], rid, "X02", "C1", "撤并")
    with pytest.raises(Conflict, match="另一名用户"):
        scorers.decide_exemption(db, actors["admin"], xid2, True)
    assert scorers.decide_exemption(db, actors["reviewer"], xid2, False, "有村级组织") == "rejected"
    assert scorers.decide_exemption(db, actors["reviewer"], xid, True) == "approved"
    rows = {x.id: x for x in scorers.list_exemptions(db, rid)}
    assert (rows[xid].status_label, rows[xid].decided_by) == ("已批准", "reviewer")
    assert rows[xid2].status_label == "未批准"
    acts = [r.action for r in _records(db) if r.action.startswith("exemption.")]
    assert acts == ["exemption.request", "exemption.request", "exemption.decide", "exemption.decide"]

    workflow.advance(db, actors["admin"], rid)  # 核查完成
    workflow.advance(db, actors["admin"], rid)  # 评议票已核定 (no appraisal in this scheme)
    compute_round(db, actors["admin"], rid, resamples=0)
    # X01 (乡镇街道): A1 9, A2 10 − 1 = 9, B1 by 财政局 90 % of 20 = 18, B2 bonus 3; C1 (满分 10) exempt.
    # full = A1 10 + A2 10 + B1 20 + C1 10 = 50 → 40 without C1; indicators = 100 × 39 / 40 = 97.5
    # composite = 0.9 × 97.5 + 0.1 × 100 = 87.75 + 10 = 97.75
    ex = explain(db, rid, "X01")
    assert ex.composite == 97.75
    assert "合理缺项：“村务公开栏”（满分 10）已排除，按 40 分折算为百分制" in ex.flags
    lines = {ln.code: ln for ln in ex.indicators}
    # excluded from the unit's full marks, still listed: 合理缺项 in place of points
    assert lines["C1"].exempt and lines["C1"].points is None and not lines["B1"].exempt
    assert (lines["B1"].scored_by, lines["B1"].dept_value, lines["B1"].points) == ("G01", 90.0, 18.0)
    from tui.rankings import explanation_text

    assert "G01评分 90" in explanation_text(ex)
    c1 = next(ln for ln in explanation_text(ex).splitlines() if ln.startswith("C1 "))
    assert "合理缺项" in c1
    # X02 keeps C1 (self 8): 100 × (9 + 9 + 18 + 3 + 8) / 50 = 94; 0.9 × 94 + 10 = 94.6
    assert explain(db, rid, "X02").composite == 94.60
    # the snapshot's inputs carry the department scores and the approved exemption: recomputing
    # from them (as publication and integrity checks do) gives the same results
    from assess.results.inputs import load_round_inputs
    from assess.scoring.serial import inputs_from_json, inputs_to_json

    with db.read() as s:
        live = load_round_inputs(s, rid)
    data = inputs_to_json(live)
    assert len(data["deptscores"]) == 6 and data["exemptions"] == [
        [dict(live.units.select("code", "unit_id"))["X01"], "C1"]
    ]
    again = compute_units(inputs_from_json(data)).table.set_index("code")["composite"]
    assert again["X01"] == 97.75 and again["X02"] == 94.60


def test_unit_binding_is_in_the_audit_chain(db, actors, setup):
    assert verify_accounts(db) == []
    assert users.user_unit(db, "clerk2") == "G01" and users.user_unit(db, "jyj") == "G02"
    recs = [
        r
        for r in _records(db)
        if r.action in ("user.unit", "user.add") and r.payload.get("username") in ("clerk2", "jyj")
    ]
    assert [r.payload.get("unit") for r in recs] == [None, "G01", "G02"]
    with pytest.raises(PermissionDenied):
        users.set_unit(db, actors["clerk"], "clerk", "G01")
    with pytest.raises(Exception, match="不存在"):
        users.set_unit(db, actors["admin"], "clerk", "NOPE")
    # a binding changed behind the application's back is reported and refused
    from sqlalchemy import text

    with db.write() as s:
        s.connection().execute(text("UPDATE app_user SET unit_code = 'G03' WHERE username = 'clerk2'"))
    problems = verify_accounts(db)
    assert any("clerk2" in p and "所属单位" in p for p in problems), problems
    users.set_unit(db, actors["admin"], "clerk", None)  # the office account itself is still fine
    with pytest.raises(Exception, match="所属单位"):
        scorers.enter_dept_score(db, actors["clerk2"], setup, "G02", "B1", 90)


@pytest.fixture
def cli(db, monkeypatch, capsys):
    from assess.cli import main

    monkeypatch.setenv("ASSESS_PASSWORD", PASSWORD)

    def run(*argv, user="admin"):
        capsys.readouterr()
        rc = main([*argv, "--db", db.url, "--user", user])
        out, err = capsys.readouterr()
        return rc, out, err

    return run


def test_cli_scorer_binding_entry_progress_and_exemptions(db, actors, setup, cli, monkeypatch):
    import io
    import json

    rid = setup
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n" + PASSWORD + "\n"))
    rc, out, err = cli("user", "add", "czj", "--role", "clerk", "--unit", "G01")
    assert rc == 0, err
    rc, out, _ = cli("user", "list", "--format", "json")
    assert {u["username"]: u["unit"] for u in json.loads(out)}["czj"] == "G01"
    workflow.advance(db, actors["admin"], rid)
    rc, out, err = cli("scores", "enter", "--round", str(rid), "G02", "B1", "88", user="czj")
    assert rc == 0 and "88" in out, err
    rc, out, err = cli("scores", "enter", "--round", str(rid), "G02", "B1", "88", user="jyj")
    assert rc != 0 and "只能录入本单位负责评分的指标" in err
    rc, out, _ = cli("scores", "list", "--round", str(rid), "--format", "json", user="czj")
    rows = json.loads(out)
    assert len(rows) == 6 and {r["indicator_code"] for r in rows} == {"B1"}
    assert [r["status"] for r in rows if r["unit_code"] == "G02"] == ["已评分"]
    rc, out, _ = cli("scores", "progress", "--round", str(rid))
    assert "财政局" in out and "B1" in out
    rc, out, _ = cli("scores", "progress", "--round", str(rid), "--format", "json")
    assert json.loads(out) == [
        {"scorer": "G01", "scorer_name": "财政局", "indicators": "B1", "required": 6, "done": 1, "left": 5}
    ]
    rc, out, err = cli(
        "exempt", "request", "--round", str(rid), "X01", "C1", "--reason", "无村级组织", user="clerk"
    )
    assert rc == 0, err
    rc, out, err = cli("exempt", "approve", "1", user="clerk")
    assert rc != 0
    rc, out, err = cli("exempt", "approve", "1", user="reviewer")
    assert rc == 0 and "已批准" in out, err
    rc, out, _ = cli("exempt", "--round", str(rid), "--format", "json")
    (x,) = json.loads(out)
    assert (x["unit_code"], x["indicator_code"], x["status"], x["decided_by"]) == (
        "X01",
        "C1",
        "已批准",
        "reviewer",
    )
    # the exempted cell is not counted for any scorer; B1 stays 6 cells (C1 has no scorer)
    assert scorers.progress(db, rid)[0].required == 6


async def test_tui_scorer_sees_only_its_indicators_and_exemption_is_approved_by_another(sqlite_db):
    from sqlmodel import select

    from assess.models import DeptScore, Exemption
    from tui.dept_scores import ExemptionsScreen

    from .conftest import make_users
    from .tui_helpers import SIZE, login, make_app, screen_text, settle, type_text

    db = sqlite_db
    actors = make_users(db)
    rh.add_units(db, actors)
    rid = rounds.create_round(
        db, actors["admin"], "2026年第三季度考核", "2026-Q3", rh.store_scheme(db, SCHEME)
    )
    workflow.advance(db, actors["admin"], rid)
    users.set_unit(db, actors["admin"], "clerk2", "G01")
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "clerk2")
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        text = screen_text(app)
        assert "财政局 0/6" in text and "B1 按时公开率" in text and "A1" not in text
        await pilot.press("e")  # first row: G01 · B1
        await settle(pilot)
        await type_text(pilot, "90")
        await pilot.press("f5")
        await settle(pilot)
        assert "财政局 1/6" in screen_text(app)
        await pilot.press("down")
        await pilot.press("x")  # G02 · B1: ask for an exemption
        await settle(pilot)
        await type_text(pilot, "bumen")
        await pilot.press("f5")
        await settle(pilot)
    with db.read() as s:
        (d,) = s.exec(select(DeptScore)).all()
        (x,) = s.exec(select(Exemption)).all()
    assert (d.value, d.scorer, d.entered_by) == (90.0, "G01", "clerk2")
    assert (x.indicator_code, x.status, x.requested_by, x.reason) == ("B1", "pending", "clerk2", "bumen")
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "reviewer")
        app.push_screen(ExemptionsScreen(rid))
        await settle(pilot)
        assert "待审批 1 项" in screen_text(app)
        await pilot.press("y")
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        assert "待审批 0 项" in screen_text(app) and "已批准" in screen_text(app)
    assert [(e.status, e.decided_by) for e in scorers.list_exemptions(db, rid)] == [("approved", "reviewer")]
    # the exempted cell leaves 财政局's count: 6 − 1 = 5 cells, 1 done
    (p,) = scorers.progress(db, rid)
    assert (p.required, p.done) == (5, 1)


def test_import_all_or_nothing_with_file_line_field(db, actors, setup, tmp_path):
    from sqlmodel import select

    from assess.foundation.errors import InputErrors
    from assess.models import DeptScore

    rid = setup
    workflow.advance(db, actors["admin"], rid)
    bad = rh.write_csv(
        tmp_path / "bad.csv", "unit_code,indicator_code,score\nG02,B1,95\nG03,A1,5\nNOPE,B1,1\nG04,B1,abc\n"
    )
    with pytest.raises(InputErrors) as ei:
        scorers.import_dept_scores(db, actors["clerk2"], rid, bad)
    lines = ei.value.lines()
    assert any("bad.csv:3 [indicator_code]" in x and "不由职能部门评分" in x for x in lines), lines
    assert any("bad.csv:4 [unit_code]" in x and "不存在" in x for x in lines), lines
    assert any("bad.csv:5 [score]" in x for x in lines), lines
    with db.read() as s:
        assert s.exec(select(DeptScore)).all() == []  # nothing written
    good = rh.write_csv(
        tmp_path / "good.csv", "unit_code,indicator_code,score,note\nG02,B1,95,\nG03,B1,80,材料齐全\n"
    )
    with pytest.raises(InputErrors, match="本账户属于“G02”"):
        scorers.import_dept_scores(db, Actor("jyj", "clerk"), rid, good)
    assert scorers.import_dept_scores(db, actors["clerk2"], rid, good) == 2
    (p,) = scorers.progress(db, rid)
    assert (p.done, p.required) == (2, 6)
    assert [c.note for c in scorers.sheet(db, rid, scorer="G01") if c.unit_code == "G03"] == ["材料齐全"]


def test_snapshot_of_a_round_without_them_is_unchanged():
    # a round with no department scores and no exemptions writes the snapshot it always wrote
    from assess.scoring.serial import inputs_to_json

    data = inputs_to_json(inputs(_engine_scheme(), [("U1", "甲类")], [("U1", "I1", 76)]))
    assert "deptscores" not in data and "exemptions" not in data
    assert "exempt_rule" in data["scheme"]  # the scheme states it; absent when the scheme does not
    plain = {k: v for k, v in _engine_scheme().items() if k != "exempt_rule"}
    assert "exempt_rule" not in inputs_to_json(inputs(plain, [("U1", "甲类")], [("U1", "I1", 76)]))["scheme"]
