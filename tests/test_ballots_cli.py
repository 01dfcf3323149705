"""The appraisal, batch, ballots and tally commands end to end through ``assess.cli.main``."""

from __future__ import annotations

import csv
import io
import json

import pytest

from assess.cli import main
from assess.demo import builders

from .ballot_helpers import make_round
from .conftest import PASSWORD


@pytest.fixture
def cli(db, actors, monkeypatch, capsys):
    monkeypatch.setenv("ASSESS_PASSWORD", PASSWORD)

    def run(*argv, user="admin"):
        capsys.readouterr()
        rc = main([*argv, "--db", db.url, "--user", user])
        out, err = capsys.readouterr()
        return rc, out, err

    return run


def test_session_import_certify_tally(db, actors, cli, tmp_path):
    rid = make_round(db)
    builders.numbered_units(db, actors["admin"], 2)
    rc, out, err = cli(
        "appraisal",
        "create",
        "--round",
        str(rid),
        "--kind",
        "unit",
        "--name",
        "机关作风民主评议",
        "--targets",
        "U02,U01",
        "--expected",
        "30",
        "--present",
        "25",
        "--group",
        "ld=5",
        "--format",
        "json",
        user="clerk",
    )
    assert rc == 0, err
    sid = json.loads(out)["session"]
    rc, out, _ = cli("appraisal", "targets", "--session", str(sid), "--format", "csv")
    assert out.splitlines()[1:] == ["1,U02,第2局,政府部门", "2,U01,第1局,政府部门"]  # ballot order as given
    f = tmp_path / "ballots.csv"
    f.write_text(
        "batch,ballot_no,voter_group,target_code,choice\n"
        + "".join(
            f"F1,{i},fw,U01,满意\nF1,{i},fw,U02,{'不满意' if i % 2 else '基本满意'}\n" for i in range(1, 7)
        ),
        encoding="utf-8",
    )
    rc, out, err = cli("ballots", "import", str(f), "--session", str(sid), user="clerk")
    assert rc == 0 and "F1（fw）6 张" in out, err
    rc, out, _ = cli("batch", "list", "--session", str(sid), "--format", "json")
    batch = json.loads(out)[0]
    assert batch["label"] == "F1" and batch["status"] == "录入中" and batch["returned"] == 6
    assert (
        cli("ballots", "certify", "--batch", str(batch["id"]), user="clerk")[0] == 1
    )  # the importer may not
    rc, out, err = cli("ballots", "certify", "--batch", str(batch["id"]), user="reviewer")
    assert rc == 0 and "有效 6" in out, err
    rc, out, err = cli("ballots", "verify", "--format", "json")
    assert rc == 0 and json.loads(out)["ok"] is True, err
    # Nothing is published before the session is certified (an interim figure minus the final one
    # would give the batches certified in between).
    rc, out, err = cli("ballots", "tally", "--session", str(sid), "--format", "csv")
    assert rc == 0 and "会议尚未核定" in err
    assert all(r["score"] == "" and r["满意"] == "" for r in csv.DictReader(io.StringIO(out)))
    assert cli("appraisal", "certify", "--session", str(sid), user="reviewer")[0] == 0
    rc, out, err = cli("ballots", "tally", "--session", str(sid), "--format", "csv")
    assert rc == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    # U01: 6 × 满意 → 100; U02: 3 × 不满意 (30) + 3 × 基本满意 (70) → 50, 满意率 0.5.
    assert [(r["target_code"], float(r["score"]), float(r["satisfaction"])) for r in rows] == [
        ("U02", 50.0, 0.5),
        ("U01", 100.0, 1.0),
    ]
    assert rows[0]["share_基本满意"] == "50.0" and rows[0]["missing_groups"] == "ld、rd、zg"
    assert "警告" in err and "ld" in err
    # Per group: fw has 6 counted votes ≥ 5, shown; the other groups are empty.
    rc, out, _ = cli("ballots", "tally", "--session", str(sid), "--groups", "--format", "json")
    fw = [r for r in json.loads(out) if r["group"] == "fw"]
    assert [r["score"] for r in fw] == [50.0, 100.0] and all(r["shown"] for r in fw)


def test_keyed_batch_compare_resolve_void(db, actors, cli):
    rid = make_round(db)
    builders.numbered_units(db, actors["admin"], 3)
    rc, out, _ = cli(
        "appraisal",
        "create",
        "--round",
        str(rid),
        "--kind",
        "unit",
        "--name",
        "评议会",
        "--targets",
        "U01,U02,U03",
        "--format",
        "json",
        user="clerk",
    )
    sid = json.loads(out)["session"]
    assert cli("appraisal", "attendance", "--session", str(sid), "--expected", "10", "--present", "4")[
        1
    ].endswith("未达到法定人数\n")
    rc, out, err = cli(
        "batch",
        "create",
        "--session",
        str(sid),
        "--group",
        "ld",
        "--label",
        "L1",
        "--issued",
        "2",
        "--returned",
        "2",
        "--format",
        "json",
        user="clerk",
    )
    assert rc == 0, err
    bid = json.loads(out)["batch"]
    builders.key_pass(db, actors["clerk"], bid, [(1, "123", "marks"), (2, "", "void")])
    builders.key_pass(db, actors["clerk2"], bid, [(1, "124", "marks"), (2, "", "void")])
    rc, out, err = cli("batch", "compare", "--batch", str(bid), "--format", "csv")
    assert out.splitlines()[1] == "1,3,U03,第3局,3 不满意,4 不了解,"
    assert "未处理 1 处" in err
    assert cli("batch", "certify", "--batch", str(bid), user="reviewer")[0] == 1
    rc, out, err = cli("batch", "resolve", "--batch", str(bid), "1:3=3", user="reviewer")
    assert rc == 0 and "尚余 0 处" in out, err
    assert cli("batch", "resolve", "--batch", str(bid), "oops", user="reviewer")[0] == 1
    rc, out, err = cli("batch", "certify", "--batch", str(bid), user="reviewer")
    assert rc == 0 and "废票 1" in out, err
    rc, _out, err = cli("batch", "void", "--batch", str(bid), "--reason", "试图作废", user="reviewer")
    assert rc == 1 and "已核定" in err
    bid2 = json.loads(
        cli(
            "batch",
            "create",
            "--session",
            str(sid),
            "--group",
            "fw",
            "--label",
            "F1",
            "--issued",
            "1",
            "--returned",
            "2",
            "--format",
            "json",
            user="clerk",
        )[1]
    )["batch"]
    assert cli("batch", "void", "--batch", str(bid2), "--reason", "收回多于发出", user="reviewer")[0] == 0
    rc, _out, err = cli("appraisal", "certify", "--session", str(sid), user="reviewer")
    assert rc == 1 and "法定人数" in err  # 4 present of 10
    assert cli("appraisal", "attendance", "--session", str(sid), "--present", "6", user="clerk")[0] == 0
    rc, out, err = cli("appraisal", "certify", "--session", str(sid), user="reviewer")
    assert rc == 0 and "已核定评议会议" in out, err
    rc, out, _ = cli("appraisal", "list", "--format", "json")
    assert json.loads(out)[0]["certified"] == 1


def test_cadre_statements_and_tally_import(db, actors, cli, tmp_path):
    builders.numbered_units(db, actors["admin"], 1)
    builders.cadres(db, actors["admin"], 2)
    rid = make_round(db)
    rc, out, err = cli(
        "appraisal",
        "create",
        "--round",
        str(rid),
        "--kind",
        "cadre",
        "--name",
        "述职述廉会",
        "--targets",
        "C01,C02",
        "--expected",
        "12",
        "--present",
        "10",
        "--format",
        "json",
        user="clerk",
    )
    assert rc == 0, err
    sid = json.loads(out)["session"]
    assert (
        cli(
            "appraisal",
            "statement",
            "--session",
            str(sid),
            "--cadre",
            "C01",
            "--summary",
            "全年完成……",
            user="clerk",
        )[0]
        == 0
    )
    assert (
        cli(
            "appraisal",
            "statement",
            "--session",
            str(sid),
            "--cadre",
            "C01",
            "--question",
            "低保为何延迟？",
            "--answer",
            "已整改",
            user="clerk",
        )[0]
        == 0
    )
    rc, out, _ = cli("appraisal", "statement", "--session", str(sid), "--format", "json")
    rows = json.loads(out)
    assert (
        rows[0]["summary"] == "全年完成……"
        and rows[1]["question"] == "低保为何延迟？"
        and rows[1]["answer"] == "已整改"
    )
    rc, _out, err = cli(
        "appraisal", "statement", "--session", str(sid), "--cadre", "C99", "--summary", "x", user="clerk"
    )
    assert rc == 1 and "C99" in err
    f = tmp_path / "t.csv"
    f.write_text(
        "voter_group,target_code,choice,count\ndy,C01,优秀,8\ndy,C01,称职,1\ndy,C02,不称职,4\ndy,C02,称职,5\n",
        encoding="utf-8",
    )
    rc, out, err = cli("tally", "import", str(f), "--session", str(sid), user="clerk")
    assert rc == 1 and "党员组未登记应到、实到人数" in err  # papers come from the meeting's record
    rc, _out, err = cli(
        "appraisal",
        "attendance",
        "--session",
        str(sid),
        "--group",
        "dy=10",
        "--group-present",
        "dy=9",
        user="clerk",
    )
    assert rc == 0, err
    rc, out, err = cli("tally", "import", str(f), "--session", str(sid), user="clerk")
    assert rc == 0 and "汇总-dy" in out, err
    bad = tmp_path / "bad.csv"
    bad.write_text("voter_group,target_code,choice,count\ndy,C01,优秀,x\n", encoding="utf-8")
    rc, _out, err = cli("tally", "import", str(bad), "--session", str(sid), user="clerk")
    assert rc == 1 and f"{bad}:2 [count]" in err
    bid = json.loads(cli("batch", "list", "--session", str(sid), "--format", "json")[1])[0]["id"]
    assert cli("batch", "certify", "--batch", str(bid), user="reviewer")[0] == 0
    assert cli("appraisal", "certify", "--session", str(sid), user="reviewer")[0] == 0
    rc, out, _ = cli("ballots", "tally", "--session", str(sid), "--format", "json")
    by = {r["target_code"]: r for r in json.loads(out)}
    # C01: 8 优秀 + 1 称职 → fit 9/9, may be 优秀; C02: 4 不称职 of 9 = 44% > 1/3 → 不称职.
    assert by["C01"]["may_be_excellent"] is True and by["C02"]["unfit"] is True
    assert by["C02"]["unfit_share"] == pytest.approx(4 / 9)
