"""The results commands end to end: compute, rank, accountability, decide, review, vote, publish."""

from __future__ import annotations

import csv
import io
import json

from assess.cli import main

from .conftest import PASSWORD, make_users
from .results_helpers import add_scores, full_marks, make_round, scheme_dict, store_scheme


def run(capsys, monkeypatch, db, user, *argv):
    monkeypatch.setenv("ASSESS_USER", user)
    monkeypatch.setenv("ASSESS_PASSWORD", PASSWORD)
    rc = main([*argv, "--db", db.url])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_cli_flow_from_compute_to_publish(sqlite_db, capsys, monkeypatch):
    db = sqlite_db
    make_users(db)
    vid = store_scheme(
        db,
        scheme_dict(
            weights={"indicators": 100},
            rules=[{"code": "R02", "kind": "last_in_category", "action": "提醒谈话"}],
        ),
    )
    rid, ids = make_round(
        db,
        vid,
        [("U1", "财政局", "甲类"), ("U2", "教育局", "甲类"), ("U3", "某镇", "乙类")],
        period="2026-Q1",
    )
    add_scores(db, rid, ids, full_marks(["U1", "U3"]) + full_marks(["U2"], i1=25))
    rc, out, err = run(capsys, monkeypatch, db, "clerk", "compute", "--round", str(rid), "--resamples", "100")
    assert rc == 1 and "无权限" in err and out == ""
    rc, out, _ = run(
        capsys, monkeypatch, db, "reviewer", "compute", "--round", "2026-Q1", "--today", "2026-04-10"
    )
    assert rc == 0 and "问责名单 1 条" in out

    rc, out, _ = run(capsys, monkeypatch, db, "", "rank", "--round", str(rid), "--format", "csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0][:6] == ["category", "rank", "unit_code", "unit_name", "composite", "grade"]
    assert rows[0][-3:] == ["rank_low", "rank_high", "change"]
    body = {r[2]: r for r in rows[1:]}
    # U2: 25 + 30 + 30 = 85 → 良好, rank 2 of 甲类; U1 and U3 100 → 优秀, rank 1 in each category.
    assert body["U2"][:6] == ["甲类", "2", "U2", "教育局", "85.0", "良好"]
    assert body["U3"][:2] == ["乙类", "1"]
    rc, out, _ = run(capsys, monkeypatch, db, "", "rank", "--round", str(rid))
    assert rc == 0 and "教育局" in out and "名次区间" in out

    rc, out, _ = run(capsys, monkeypatch, db, "", "accountability", "--round", str(rid), "--format", "json")
    (entry,) = json.loads(out)
    assert entry["unit_code"] == "U2" and entry["rule_code"] == "R02" and entry["status"] == "proposed"
    rc, _, err = run(
        capsys,
        monkeypatch,
        db,
        "reviewer",
        "accountability",
        "decide",
        "--entry",
        str(entry["id"]),
        "--confirm",
        "--reason",
        " ",
    )
    assert rc == 1 and "理由" in err
    rc, out, _ = run(
        capsys,
        monkeypatch,
        db,
        "reviewer",
        "decide",
        "--entry",
        str(entry["id"]),
        "--confirm",
        "--reason",
        "排名末位属实",
    )
    assert rc == 0 and "已确认" in out

    assert run(capsys, monkeypatch, db, "clerk", "review", "first", "--round", str(rid))[0] == 0
    assert run(capsys, monkeypatch, db, "reviewer", "review", "audit", "--round", str(rid))[0] == 0
    rc, _, err = run(capsys, monkeypatch, db, "reviewer", "review", "recheck", "--round", str(rid))
    assert rc == 1 and "另一名审核员" in err
    assert run(capsys, monkeypatch, db, "reviewer2", "review", "recheck", "--round", str(rid))[0] == 0
    rc, _, err = run(
        capsys,
        monkeypatch,
        db,
        "committee",
        "vote",
        "--round",
        str(rid),
        "--expected",
        "9",
        "--present",
        "10",
        "--yes",
        "9",
        "--no",
        "0",
        "--abstain",
        "0",
    )
    assert rc == 1 and "实到人数" in err
    rc, out, _ = run(
        capsys,
        monkeypatch,
        db,
        "committee",
        "vote",
        "--round",
        str(rid),
        "--expected",
        "9",
        "--present",
        "8",
        "--yes",
        "4",
        "--no",
        "3",
        "--abstain",
        "1",
        "--format",
        "json",
    )
    assert rc == 0 and json.loads(out)["passed"] is False
    rc, out, _ = run(
        capsys,
        monkeypatch,
        db,
        "committee",
        "vote",
        "--round",
        str(rid),
        "--expected",
        "9",
        "--present",
        "8",
        "--yes",
        "5",
        "--no",
        "2",
        "--abstain",
        "1",
    )
    assert rc == 0 and "票决通过" in out
    rc, out, _ = run(capsys, monkeypatch, db, "admin", "publish", "--round", str(rid), "--format", "json")
    pub = json.loads(out)
    assert rc == 0 and len(pub["content_hash"]) == 64 and len(pub["audit_head"]) == 64
    rc, out, _ = run(capsys, monkeypatch, db, "", "snapshot", "verify", "--round", str(rid))
    assert rc == 0 and pub["content_hash"] in out
    rc, _, err = run(capsys, monkeypatch, db, "reviewer", "compute", "--round", str(rid))
    assert rc == 1 and "冻结" in err and len(err.strip().splitlines()) == 1


def test_rank_before_compute_is_a_clear_error(sqlite_db, capsys, monkeypatch):
    make_users(sqlite_db)
    vid = store_scheme(sqlite_db, scheme_dict())
    rid, _ = make_round(sqlite_db, vid, [("U1", "财政局", "甲类")])
    rc, _, err = run(capsys, monkeypatch, sqlite_db, "", "rank", "--round", str(rid))
    assert rc == 1 and "尚未计算" in err
    rc, _, err = run(capsys, monkeypatch, sqlite_db, "", "rank", "--round", "9999")
    assert rc == 1 and "不存在" in err
