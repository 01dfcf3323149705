"""``assess indicators``: exit codes, one line per problem, machine-readable output, nothing
changed on failure."""

from __future__ import annotations

import json

from assess.cli import main

from .conftest import PASSWORD, make_users
from .test_scheme_validate import BASE


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_validate_reports_every_problem_and_exits_1(capsys, tmp_path):
    good = tmp_path / "good.toml"
    good.write_text(BASE, encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(
        BASE.replace("max = 5", "max = -5").replace('code = "t"', 'code = "t t"'), encoding="utf-8"
    )
    rc, out, err = _run(capsys, "indicators", "validate", str(good), str(bad))
    assert rc == 1 and out == ""
    assert err.splitlines() == [
        "错误：bad.toml:1 [code]: 方案的 code“t t”不能含空白",
        "错误：bad.toml:32 [indicators.max]: 指标 B 的 max 为 -5，应 > 0",
    ]
    rc, out, _err = _run(capsys, "indicators", "validate", str(good), "zwgk_2014", "--format", "json")
    assert rc == 0
    rows = json.loads(out)
    assert [(r["file"], r["code"], r["leaves"]) for r in rows] == [
        ("good.toml", "t", 3),
        ("zwgk_2014.toml", "zwgk", 30),
    ]


def test_load_list_show_diff_export(capsys, tmp_path, sqlite_db, monkeypatch):
    make_users(sqlite_db)
    url = sqlite_db.url
    monkeypatch.setenv("ASSESS_USER", "admin")
    monkeypatch.setenv("ASSESS_PASSWORD", PASSWORD)
    f = tmp_path / "t.toml"
    f.write_text(BASE, encoding="utf-8")
    rc, out, _ = _run(capsys, "indicators", "load", str(f), "--db", url, "--format", "json")
    assert rc == 0 and json.loads(out)["version"] == 1 and json.loads(out)["created"] is True
    f.write_text(BASE.replace("max = 5", "max = 7"), encoding="utf-8")
    rc, out, _ = _run(capsys, "indicators", "load", str(f), "--db", url)
    assert rc == 0 and out.strip() == "已载入考核方案 t（测试方案）第 2 版"

    rc, out, _ = _run(capsys, "indicators", "list", "--db", url, "--format", "csv")
    assert out.splitlines()[0].startswith("code,name,latest_version,versions")
    assert out.splitlines()[1].startswith("t,测试方案,2,2,0,")

    rc, out, _ = _run(capsys, "indicators", "show", "t", "--version", "1", "--db", url, "--format", "csv")
    assert out.splitlines() == [
        "code,level,name,method,max,target,categories,provenance",
        "A,1,一,,10.0,,,示例，由考核办确定（测试用方案，各项数值均为示例）",
        "A1,2,甲项,points,6.0,,,示例，由考核办确定（测试用方案，各项数值均为示例）",
        "A2,2,乙项,ratio,4.0,,乙,示例，由考核办确定（测试用方案，各项数值均为示例）",
        "B,1,二,deduct,5.0,,,示例，由考核办确定（测试用方案，各项数值均为示例）",
    ]

    rc, out, _ = _run(capsys, "indicators", "diff", "t", "1", "2", "--db", url)
    assert out.splitlines() == ["指标 B max：5 → 7"]

    rc, out, _ = _run(capsys, "indicators", "export", "t", "--version", "1", "--db", url)
    assert out == BASE


def test_load_refused_changes_nothing(capsys, tmp_path, sqlite_db, monkeypatch):
    make_users(sqlite_db)
    monkeypatch.setenv("ASSESS_USER", "clerk")
    monkeypatch.setenv("ASSESS_PASSWORD", PASSWORD)
    rc, _out, err = _run(capsys, "indicators", "load", "zwgk_2014", "--db", sqlite_db.url)
    assert rc == 1 and err.startswith("错误：无权限：载入考核方案版本需要管理员角色")
    rc, _out, err = _run(capsys, "indicators", "show", "zwgk", "--db", sqlite_db.url)
    assert rc == 1 and err.strip() == "错误：考核方案“zwgk”不存在。"
