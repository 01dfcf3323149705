"""Bulk forms of per-unit writes (issue 17, point 5): several units or entries in one command and
one transaction, all or none, each audited on its own — ``selfcheck reopen`` and
``accountability decide`` (as ``selfcheck submit --all``). Through ``assess.cli.main``."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlmodel import select

from assess.cli import main
from assess.demo import builders
from assess.models import AuditRecord
from assess.results import accountability
from assess.results.compute import compute_round

from .conftest import PASSWORD
from .results_helpers import add_scores, full_marks, make_round, scheme_dict
from .results_helpers import store_scheme as store_results_scheme
from .rounds_helpers import GOOD, GOV_LEAVES, add_units, store_scheme

UNITS = [(f"U{i:02d}", f"单位{i:02d}", "政府部门") for i in range(1, 5)]


@pytest.fixture
def cli(db, actors, monkeypatch, capsys):
    monkeypatch.setenv("ASSESS_PASSWORD", PASSWORD)

    def run(*argv, user="admin"):
        capsys.readouterr()
        rc = main([*argv, "--db", db.url, "--user", user])
        out, err = capsys.readouterr()
        return rc, out, err

    return run


def _audit(db, action):
    with db.read() as s:
        return [r.payload for r in s.exec(select(AuditRecord).where(AuditRecord.action == action).order_by(AuditRecord.seq))]


def test_reopen_several_units_all_or_none(db, actors, cli, tmp_path):
    add_units(db, actors, UNITS)
    store_scheme(db)
    rc, out, err = cli(
        "round", "create", "--name", "退回", "--period", "2026", "--scheme", "test-scheme", "--format", "json"
    )
    rid = json.loads(out)["round_id"]
    assert cli("round", "advance", "--round", str(rid), "--to", "selfcheck_open")[0] == 0
    csv = tmp_path / "self.csv"
    csv.write_text(
        "unit_code,indicator_code,score\n" + "".join(f"{u},{i},{GOOD[i]}\n" for u, _n, _c in UNITS for i in GOV_LEAVES),
        encoding="utf-8",
    )
    assert cli("selfcheck", "import", str(csv), "--round", str(rid), user="clerk")[0] == 0
    assert cli("selfcheck", "submit", "--round", str(rid), "--unit", "U01", "--unit", "U02", "--unit", "U03",
               user="clerk")[0] == 0

    def submitted():
        _rc, out, _ = cli("selfcheck", "status", "--round", str(rid), "--format", "json")
        return [r["unit_code"] for r in json.loads(out) if r["submitted"]]

    # U04 was never submitted: the whole command is refused, U01 stays submitted.
    rc, out, err = cli("selfcheck", "reopen", "--round", str(rid), "--unit", "U01", "--unit", "U04",
                       "--reason", "补充材料", user="clerk")
    assert rc == 1 and "U04" in err and "尚未提交" in err
    assert submitted() == ["U01", "U02", "U03"] and _audit(db, "selfcheck.reopen") == []
    rc, out, err = cli("selfcheck", "reopen", "--round", str(rid), "--unit", "U01", "--unit", "U02",
                       "--reason", "补充材料", user="clerk")
    assert rc == 0 and "已退回 2 个单位的自查：U01、U02" in out, err
    assert submitted() == ["U03"]
    rc, out, err = cli("selfcheck", "reopen", "--round", str(rid), "--all", "--reason", "统一更正",
                       "--format", "json", user="clerk")
    assert rc == 0 and json.loads(out)["units"] == ["U03"], err
    assert submitted() == []
    assert [(p["unit"], p["reason"]) for p in _audit(db, "selfcheck.reopen")] == [
        ("U01", "补充材料"), ("U02", "补充材料"), ("U03", "统一更正")
    ]
    with pytest.raises(SystemExit) as e:  # the reason is required
        cli("selfcheck", "reopen", "--round", str(rid), "--unit", "U01", user="clerk")
    assert e.value.code == 2


def test_decide_several_entries_all_or_none(db, actors, cli):
    # composites = I1 + 60: U1 100, U2 90, U3 60. L1: the last of 甲类 (U3); L2: bottom 40 %
    # (rank > 3 × 0.6 = 1.8: U2, U3) → three entries to decide.
    vid = store_results_scheme(
        db,
        scheme_dict(
            weights={"indicators": 100},
            rules=[
                {"code": "L1", "kind": "last_in_category", "action": "通报批评"},
                {"code": "L2", "kind": "bottom_share", "share": 0.4, "action": "提醒谈话"},
            ],
        ),
    )
    rid, uids = make_round(db, vid, [("U1", "U1", "甲类"), ("U2", "U2", "甲类"), ("U3", "U3", "甲类")],
                           period="2026-Q1")
    add_scores(db, rid, uids, [*full_marks(["U1"], i1=40), *full_marks(["U2"], i1=30), *full_marks(["U3"], i1=0)])
    compute_round(db, actors["admin"], rid, today=date(2026, 4, 10), resamples=0)
    entries = accountability.list_entries(db, rid)
    ids = sorted(e.id for e in entries)
    assert len(ids) == 3 and all(e.status == "proposed" for e in entries)

    def statuses():
        return {e.id: e.status for e in accountability.list_entries(db, rid)}

    # An entry that does not exist: nothing changes, nothing is audited.
    rc, out, err = cli("decide", "--entry", str(ids[0]), "--entry", "999999", "--confirm", "--reason", "核实无误",
                       user="reviewer")
    assert rc == 1 and "#999999" in err
    assert set(statuses().values()) == {"proposed"} and _audit(db, "accountability.decide") == []
    # A clerk may not decide: refused before anything is written.
    rc, out, err = cli("decide", "--entry", str(ids[0]), "--confirm", "--reason", "x", user="clerk")
    assert rc == 1 and set(statuses().values()) == {"proposed"}
    rc, out, err = cli("accountability", "--round", str(rid), "decide", "--entry", str(ids[0]),
                       "--waive", "--reason", "情节轻微", user="reviewer")
    assert rc == 0 and f"问责名单条目 #{ids[0]}：免予问责" in out, err
    rc, out, err = cli("decide", "--all", "--confirm", "--reason", "核实无误", user="reviewer")
    assert rc == 1 and "--round" in err
    rc, out, err = cli("accountability", "--round", str(rid), "decide", "--all", "--confirm",
                       "--reason", "核实无误", "--format", "json", user="reviewer")
    assert rc == 0, err
    assert json.loads(out)["entries"] == ids[1:]
    assert statuses() == {ids[0]: "waived", **{i: "confirmed" for i in ids[1:]}}
    records = _audit(db, "accountability.decide")
    assert [(p["entry_id"], p["decision"], p["previous"]) for p in records] == [
        (ids[0], "waived", "proposed"), *[(i, "confirmed", "proposed") for i in ids[1:]]
    ]
    # Nothing left to decide: --all decides none.
    rc, out, err = cli("decide", "--round", str(rid), "--all", "--confirm", "--reason", "再次", user="reviewer")
    assert rc == 0 and "已将 0 条" in out, err


def test_rectification_update_and_close_several_all_or_none(db, actors, cli):
    from .rounds_helpers import UNITS as ROUND_UNITS

    add_units(db, actors, ROUND_UNITS)
    store_scheme(db)
    rc, out, _ = cli("round", "create", "--name", "整改", "--period", "2026-Q3", "--scheme", "test-scheme",
                     "--categories", "乡镇街道", "--format", "json")
    rid = json.loads(out)["round_id"]
    cli("round", "advance", "--round", str(rid))
    towns = [code for code, _name, cat in ROUND_UNITS if cat == "乡镇街道"]
    fids = []
    for k, code in enumerate([towns[0], towns[1], towns[0]]):
        rc, out, err = cli("finding", "add", "--round", str(rid), "--unit", code, "--description", f"{code} 问题 {k}",
                           "--format", "json", user="inspector")
        assert rc == 0, err
        fids.append(json.loads(out)["finding_id"])
    issue = ("--deadline", "2026-07-31", "--requirement", "十日内更新", "--today", "2026-07-01")
    # A finding that does not exist among them: no notice at all, no number used up.
    rc, out, err = cli("rectification", "issue", "--finding", str(fids[0]), "--finding", str(fids[2] + 1000), *issue,
                       user="inspector")
    assert rc == 1 and f"第 {fids[2] + 1000} 号问题不存在" in err and _audit(db, "rectification.issue") == []
    rc, out, err = cli("rectification", "issue", "--finding", str(fids[0]), "--finding", str(fids[1]),
                       "--finding", str(fids[2]), *issue, "--format", "json", user="inspector")
    assert rc == 0, err
    rects = json.loads(out)["rectification_ids"]
    assert [p["notice_no"] for p in _audit(db, "rectification.issue")] == [
        "整改〔2026〕001号", "整改〔2026〕002号", "整改〔2026〕003号"
    ]
    a, b, c = rects

    def statuses():
        _rc, out, _ = cli("finding", "list", "--round", str(rid), "--format", "json")
        return [r["status"] for r in json.loads(out)]

    assert statuses() == ["open", "open", "open"]
    rc, out, err = cli("rectification", "update", str(a), str(b), str(c), "--status", "rectified", "--note", "已更新",
                       user="clerk")
    assert rc == 0 and "已登记 3 份整改通知" in out, err
    assert statuses() == ["rectified"] * 3
    # Re-inspection of a, b and a notice that does not exist: refused whole, nothing closed.
    rc, out, err = cli("rectification", "close", str(a), str(b), str(c + 1000), "--note", "复查合格", user="inspector")
    assert rc == 1 and statuses() == ["rectified"] * 3
    assert _audit(db, "rectification.close") == []
    rc, out, err = cli("rectification", "close", str(a), str(b), "--note", "复查合格", user="inspector")
    assert rc == 0, err
    assert statuses() == ["closed", "closed", "rectified"]
    # a is closed already: closing a and c together changes neither.
    rc, out, err = cli("rectification", "close", str(a), str(c), "--note", "复查合格", user="inspector")
    assert rc == 1 and "已销号" in err and statuses() == ["closed", "closed", "rectified"]
    assert len(_audit(db, "rectification.close")) == 2
    assert len(_audit(db, "rectification.update")) == 3


def test_certify_several_batches_all_or_none(db, actors, cli, tmp_path):
    from .ballot_helpers import make_round as make_ballot_round

    rid = make_ballot_round(db)
    builders.numbered_units(db, actors["admin"], 2)
    rc, out, err = cli("appraisal", "create", "--round", str(rid), "--kind", "unit", "--name", "民主评议",
                       "--targets", "U01,U02", "--expected", "30", "--present", "25", "--format", "json",
                       user="clerk")
    assert rc == 0, err
    sid = json.loads(out)["session"]
    f = tmp_path / "ballots.csv"
    f.write_text(
        "batch,ballot_no,voter_group,target_code,choice\n"
        + "".join(f"{label},{i},fw,U01,满意\n{label},{i},fw,U02,基本满意\n" for label in ("F1", "F2") for i in range(1, 7)),
        encoding="utf-8",
    )
    assert cli("ballots", "import", str(f), "--session", str(sid), user="clerk")[0] == 0
    # F3: registered on paper, nothing keyed yet — not ready.
    assert cli("batch", "create", "--session", str(sid), "--group", "fw", "--label", "F3", "--issued", "3",
               "--returned", "3", user="clerk")[0] == 0

    def batches():
        _rc, out, _ = cli("batch", "list", "--session", str(sid), "--format", "json")
        return {b["label"]: (b["id"], b["status"]) for b in json.loads(out)}

    ids = {label: bid for label, (bid, _st) in batches().items()}
    open_status = batches()["F1"][1]
    rc, out, err = cli("batch", "certify", "--session", str(sid), user="reviewer")
    assert rc == 1 and "F3" in err
    assert {st for _bid, st in batches().values()} == {open_status} and _audit(db, "batch.certify") == []
    rc, out, err = cli("batch", "certify", "--batch", str(ids["F1"]), "--batch", str(ids["F2"]), "--format", "json",
                       user="reviewer")
    assert rc == 0, err
    # 6 ballots each, all valid (满意 / 基本满意 on both targets).
    assert [(b["batch_id"], b["ballots"], b["valid"]) for b in json.loads(out)["batches"]] == [
        (ids["F1"], 6, 6), (ids["F2"], 6, 6)
    ]
    assert [p["label"] for p in _audit(db, "batch.certify")] == ["F1", "F2"]
    certified = batches()["F1"][1]
    assert certified != open_status and batches()["F2"][1] == certified and batches()["F3"][1] == open_status
    rc, out, err = cli("ballots", "certify", "--batch", str(ids["F3"]), "--batch", str(ids["F1"]), user="reviewer")
    assert rc == 1 and len(_audit(db, "batch.certify")) == 2
    assert cli("batch", "void", "--batch", str(ids["F3"]), "--reason", "未收回", user="reviewer")[0] == 0
    rc, out, err = cli("batch", "certify", "--session", str(sid), user="reviewer")
    assert rc == 0 and "已核定 0 个批次" in out, err
