"""The round commands end to end through ``assess.cli.main``: create, self-check import and
submission, the draw (its CSV contract), verify with exit codes, findings and notices."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from assess.cli import main
from assess.models import SpotCheckDraw

from .conftest import PASSWORD
from .rounds_helpers import GOOD, GOV_LEAVES, RFC_SOURCES, TOWN_LEAVES, UNITS, add_units, store_scheme

RFC_UNITS = [(f"U{i:02d}", f"单位{i:02d}", "政府部门") for i in range(1, 26)]


@pytest.fixture
def cli(db, actors, monkeypatch, capsys):
    monkeypatch.setenv("ASSESS_PASSWORD", PASSWORD)

    def run(*argv, user="admin"):
        capsys.readouterr()
        rc = main([*argv, "--db", db.url, "--user", user])
        out, err = capsys.readouterr()
        return rc, out, err

    return run


def test_round_selfcheck_and_draw_through_the_cli(db, actors, cli, tmp_path):
    add_units(db, actors, RFC_UNITS)
    store_scheme(db)
    rc, out, err = cli(
        "round",
        "create",
        "--name",
        "2026年度考核",
        "--period",
        "2026",
        "--scheme",
        "test-scheme",
        "--format",
        "json",
    )
    assert rc == 0, err
    rid = json.loads(out)["round_id"]
    rc, out, _ = cli("round", "list", "--format", "csv")
    assert out.splitlines()[1].startswith(f"{rid},2026年度考核,2026,draft,草稿,test-scheme,1,25,0,")
    assert cli("round", "advance", "--round", str(rid), user="clerk")[0] == 1
    assert cli("round", "advance", "--round", str(rid), "--to", "selfcheck_open")[0] == 0

    csv = tmp_path / "self.csv"
    csv.write_text(
        "unit_code,indicator_code,score\n"
        + "".join(f"{u},{i},{GOOD[i]}\n" for u, _n, _c in RFC_UNITS for i in GOV_LEAVES),
        encoding="utf-8",
    )
    rc, out, err = cli("selfcheck", "import", str(csv), "--round", str(rid), user="clerk")
    assert rc == 0 and "已导入 125 条自查得分" in out, err
    bad = tmp_path / "bad.csv"
    bad.write_text("unit_code,indicator_code,score\nU01,A1,11\nU99,A1,1\n", encoding="utf-8")
    rc, out, err = cli("selfcheck", "import", str(bad), "--round", str(rid), user="clerk")
    assert rc == 1 and f"{bad}:2 [score]" in err and f"{bad}:3 [unit_code]" in err
    for u, _n, _c in RFC_UNITS:
        assert cli("selfcheck", "submit", "--round", str(rid), "--unit", u, user="clerk")[0] == 0
    rc, out, _ = cli("selfcheck", "status", "--round", str(rid), "--format", "csv")
    assert out.splitlines()[1] == "U01,单位01,政府部门,5,5,True"
    assert cli("round", "advance", "--round", str(rid))[0] == 0
    rc, out, err = cli("round", "status", "--round", str(rid))
    assert "未抽取核查单位" in out

    rc, out, _ = cli("spotcheck", "pool", "--round", str(rid), "--format", "csv")
    assert out.splitlines()[:3] == [
        "n,unit_code,unit_name,category,note",
        "1,U01,单位01,政府部门,",
        "2,U02,单位02,政府部门,",
    ]
    assert len(out.splitlines()) == 26
    sources = [a for s in RFC_SOURCES for a in ("--source", s)]
    rc, out, err = cli(
        "spotcheck",
        "draw",
        "--round",
        str(rid),
        "--count",
        "10",
        *sources,
        "--format",
        "csv",
        user="inspector",
    )
    assert rc == 0, err
    assert out.splitlines() == [
        "unit_code",
        "U17",
        "U07",
        "U02",
        "U16",
        "U25",
        "U23",
        "U08",
        "U24",
        "U19",
        "U13",
    ]
    rc, out, err = cli("spotcheck", "draw", "--round", str(rid), "--count", "10", *sources, user="inspector")
    assert rc == 1 and "只能有一次有效抽取" in err
    rc, out, _ = cli("spotcheck", "show", "--round", str(rid))
    assert "密钥串：9319./2.5.8.10.12./9.18.26.34.41.45./" in out and "     1  U01  单位01" in out
    assert "990DD0A5692A029A98B5E01AA28F3459" in out
    rc, out, _ = cli("spotcheck", "verify", "--round", str(rid))
    assert rc == 0 and "结果一致" in out

    # A tampered draw makes verify exit 1.
    with db.write() as s:
        d = s.exec(select(SpotCheckDraw)).one()
        d.key_string = "1./"
    rc, out, err = cli("spotcheck", "verify", "--round", str(rid))
    assert rc == 1 and "密钥串与随机来源不符" in err
    with db.write() as s:
        s.exec(select(SpotCheckDraw)).one().key_string = "9319./2.5.8.10.12./9.18.26.34.41.45./"

    # Void with a reason, then draw again.
    assert cli("spotcheck", "void", "--round", str(rid), "--reason", "来源公布日期有误")[0] == 0
    rc, out, _ = cli(
        "spotcheck",
        "draw",
        "--round",
        str(rid),
        "--count",
        "2",
        "--source",
        "1 2 3",
        "--format",
        "csv",
        user="inspector",
    )
    assert rc == 0 and len(out.splitlines()) == 3
    assert cli("spotcheck", "verify", "--round", str(rid))[0] == 0

    # Verified scores and the comparison.
    drawn = out.splitlines()[1]
    rc, out, err = cli(
        "spotcheck",
        "enter",
        "--round",
        str(rid),
        "--unit",
        drawn,
        "--indicator",
        "A1",
        "--score",
        "6",
        user="inspector",
    )
    assert rc == 0, err
    rc, out, _ = cli("spotcheck", "compare", "--round", str(rid), "--false-only", "--format", "csv")
    assert out.splitlines()[1].startswith(f"{drawn},") and out.splitlines()[1].endswith(",虚报")


def test_findings_and_notices_through_the_cli(db, actors, cli, tmp_path):
    add_units(db, actors, UNITS)
    store_scheme(db)
    rc, out, _ = cli(
        "round",
        "create",
        "--name",
        "三季度",
        "--period",
        "2026-Q3",
        "--scheme",
        "test-scheme",
        "--categories",
        "乡镇街道",
        "--format",
        "json",
    )
    rid = json.loads(out)["round_id"]
    cli("round", "advance", "--round", str(rid))
    rc, out, err = cli(
        "finding",
        "add",
        "--round",
        str(rid),
        "--unit",
        "X01",
        "--description",
        "村务公开栏未更新",
        "--indicator",
        "C1",
        "--format",
        "json",
        user="inspector",
    )
    assert rc == 0, err
    fid = json.loads(out)["finding_id"]
    rc, out, err = cli(
        "rectification",
        "issue",
        "--finding",
        str(fid),
        "--deadline",
        "2026-07-31",
        "--requirement",
        "十日内更新",
        "--today",
        "2026-07-01",
        "--format",
        "json",
        user="inspector",
    )
    assert rc == 0, err
    rect = json.loads(out)["rectification_id"]
    rc, out, _ = cli("rectification", "list", "--overdue", "--today", "2026-08-03", "--format", "csv")
    assert out.splitlines()[1].startswith(
        f"{fid},{rid},X01,城关镇,C1,一般,村务公开栏未更新,{rect},整改〔2026〕001号,2026-07-31,open,待整改,True,3"
    )
    notice = tmp_path / "notice.txt"
    rc, out, _ = cli("rectification", "notice", str(rect), "--out", str(notice))
    assert rc == 0 and "整改通知书" in notice.read_text(encoding="utf-8")
    assert (
        cli("rectification", "update", str(rect), "--status", "rectified", "--note", "已更新", user="clerk")[
            0
        ]
        == 0
    )
    assert cli("rectification", "close", str(rect), "--note", "复查合格", user="inspector")[0] == 0
    rc, out, _ = cli("finding", "list", "--round", str(rid), "--format", "json")
    assert json.loads(out)[0]["status"] == "closed"
    rc, out, err = cli(
        "finding", "add", "--round", str(rid), "--unit", "G01", "--description", "x", user="inspector"
    )
    assert rc == 1 and "不在本考核轮次中" in err
    rc, out, err = cli(
        "selfcheck", "template", "--round", str(rid), "--unit", "X02", "--out", str(tmp_path / "t.xlsx")
    )
    assert rc == 0 and (tmp_path / "t.xlsx").exists()
    assert len(TOWN_LEAVES) == 6


def test_bulk_submit_and_a_command_file_under_one_password_check(db, actors, cli, tmp_path, monkeypatch):
    """Several units in one submit (all or none), ``--all``, and ``assess run``: a command file
    whose commands act as the user authenticated once, parsed before anything runs."""
    import assess.foundation.users as users

    units = RFC_UNITS[:5]
    add_units(db, actors, units)
    store_scheme(db)
    rc, out, err = cli(
        "round", "create", "--name", "批量", "--period", "2026", "--scheme", "test-scheme", "--format", "json"
    )
    rid = json.loads(out)["round_id"]
    assert cli("round", "advance", "--round", str(rid), "--to", "selfcheck_open")[0] == 0
    csv = tmp_path / "self.csv"
    csv.write_text(  # U05 lacks its last indicator
        "unit_code,indicator_code,score\n"
        + "".join(
            f"{u},{i},{GOOD[i]}\n" for u, _n, _c in units for i in GOV_LEAVES if (u, i) != ("U05", GOV_LEAVES[-1])
        ),
        encoding="utf-8",
    )
    assert cli("selfcheck", "import", str(csv), "--round", str(rid), user="clerk")[0] == 0

    def submitted():
        _rc, out, _ = cli("selfcheck", "status", "--round", str(rid), "--format", "json")
        return [r["unit_code"] for r in json.loads(out) if r["submitted"]]

    rc, out, err = cli("selfcheck", "submit", "--round", str(rid), "--unit", "U01", "--unit", "U99", user="clerk")
    assert rc == 1 and "U99" in err and submitted() == []  # all or none
    rc, out, err = cli("selfcheck", "submit", "--round", str(rid), "--all", user="clerk")
    assert rc == 1 and "U05" in err and "1 项指标未填" in err and submitted() == []
    rc, out, err = cli("selfcheck", "submit", "--round", str(rid), "--unit", "U01", "--unit", "U02", user="clerk")
    assert rc == 0 and "已提交 2 个单位的自查：U01、U02" in out and submitted() == ["U01", "U02"]

    checks = []
    real = users.authenticate
    monkeypatch.setattr(users, "authenticate", lambda *a: checks.append(a[1]) or real(*a))
    script = tmp_path / "cmds.txt"
    script.write_text(
        "# 补录并提交其余单位\n"
        f"selfcheck enter --round {rid} --unit U05 --indicator {GOV_LEAVES[-1]} --score {GOOD[GOV_LEAVES[-1]]}\n"
        "\n"
        f"assess selfcheck submit --round {rid} --all\n",
        encoding="utf-8",
    )
    bad = tmp_path / "bad.txt"
    bad.write_text(
        f"selfcheck submit --round {rid} --all\nselfcheck submitt --round {rid}\n"
        f"selfcheck submit --round {rid} --unit U03 --user admin\n",
        encoding="utf-8",
    )
    rc, out, err = cli("run", str(bad), user="clerk")
    assert rc == 1 and "bad.txt:2" in err and "bad.txt:3 [--user]" in err
    assert checks == [] and submitted() == ["U01", "U02"]  # nothing ran, no password asked
    rc, out, err = cli("run", str(script), user="clerk")
    assert rc == 0, err
    assert "已提交 3 个单位的自查：U03、U04、U05" in out and "已执行 2 条命令（用户 clerk）" in out
    assert checks == ["clerk"]  # one password check for the whole file
    assert submitted() == ["U01", "U02", "U03", "U04", "U05"]
    # A failing line stops the run; the password rules are those of every command.
    monkeypatch.setenv("ASSESS_PASSWORD", "wrong-password")
    rc, out, err = cli("run", str(script), user="clerk")
    assert rc == 1 and "用户名或密码错误" in err
