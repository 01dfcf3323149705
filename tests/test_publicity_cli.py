"""``assess publicity`` end to end through the command entry: open, objection add/answer, list,
diff, finalize; refusals print one line and change nothing."""

from __future__ import annotations

import csv
import io
import json

from assess.cli import main
from assess.foundation import audit
from assess.org import adjustments

from .conftest import PASSWORD, make_users
from .test_publicity import approved_round


def run(capsys, monkeypatch, db, user, *argv):
    monkeypatch.setenv("ASSESS_USER", user)
    monkeypatch.setenv("ASSESS_PASSWORD", PASSWORD)
    rc = main([*argv, "--db", db.url])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_publicity_commands(sqlite_db, capsys, monkeypatch):
    db = sqlite_db
    actors = make_users(db)
    rid = approved_round(db, actors)  # U1 100.00 1st, U2 95.50 2nd (hand-computed in the helper)
    r = str(rid)
    rc, out, err = run(capsys, monkeypatch, db, "clerk", "publicity", "open", r, "--from", "2026-04-13")
    assert rc == 1 and "无权限" in err
    rc, out, err = run(capsys, monkeypatch, db, "admin", "publicity", "open", r, "--from", "2026-04-13",
                       "--contact", "县纪委考核办", "--format", "json")
    got = json.loads(out)
    assert rc == 0 and got["ends_on"] == "2026-04-17" and got["number"] == 1  # Mon + 5 working days → Fri

    rc, out, _ = run(capsys, monkeypatch, db, "", "rank", "--round", r)
    assert rc == 0 and "（公示稿）" in out.splitlines()[0]  # results visible, marked as posted
    head = audit.chain_head(db)
    rc, out, err = run(capsys, monkeypatch, db, "clerk", "publicity", "objection", "add", r, "--text", "有误",
                       "--anonymous", "--received", "2026-04-14")
    assert rc == 1 and "联系方式" in err and audit.chain_head(db) == head  # nothing written
    rc, out, _ = run(capsys, monkeypatch, db, "clerk", "publicity", "objection", "add", r, "--text",
                     "财政局公开栏未更新", "--anonymous", "--contact", "138", "--received", "2026-04-14",
                     "--unit", "U1", "--figure", "综合得分")
    assert rc == 0 and "已登记异议 #" in out
    oid = out.split("#")[1].split("。")[0]
    rc, out, _ = run(capsys, monkeypatch, db, "clerk", "publicity", "list", r)
    assert "第 1 次公示：2026-04-13 至 2026-04-17" in out and "未答复 1 件" in out and "待答复" in out
    rc, out, err = run(capsys, monkeypatch, db, "admin", "publicity", "finalize", r, "--today", "2026-04-20")
    assert rc == 1 and "1 件异议未答复" in err
    rc, out, _ = run(capsys, monkeypatch, db, "reviewer", "publicity", "objection", "answer", oid, "--uphold",
                     "--reason", "属实")
    assert rc == 0 and "采纳" in out and "已计算" in out
    adjustments.add_adjustment(db, actors["admin"], rid, "U1", -60, "异议核实")
    rc, out, _ = run(capsys, monkeypatch, db, "reviewer", "compute", "--round", r, "--resamples", "0")
    assert rc == 0
    for user, step in (("clerk", "first"), ("reviewer", "audit"), ("reviewer2", "recheck")):
        assert run(capsys, monkeypatch, db, user, "review", step, "--round", r)[0] == 0
    rc, out, _ = run(capsys, monkeypatch, db, "committee", "vote", "--round", r, "--expected", "9", "--present",
                     "8", "--yes", "5", "--no", "2", "--abstain", "1")
    assert rc == 0
    rc, out, _ = run(capsys, monkeypatch, db, "", "publicity", "list", r, "--format", "json")
    (row,) = json.loads(out)
    assert row["decision_label"] == "采纳" and row["settled"] == "已票决" and row["vote_id"] is not None
    # U1: 0.9×100 + 0.1×(100 − 60) = 94.00 → 2nd; U2 95.50 → 1st.
    rc, out, _ = run(capsys, monkeypatch, db, "", "publicity", "diff", r, "--format", "csv")
    rows = {(x["code"], x["field"]): (x["publicity"], x["final"]) for x in csv.DictReader(io.StringIO(out))}
    assert rows == {("U1", "综合得分"): ("100.00", "94.00"), ("U1", "名次"): ("1", "2"), ("U2", "名次"): ("2", "1")}
    rc, out, err = run(capsys, monkeypatch, db, "admin", "publicity", "finalize", r, "--today", "2026-04-17")
    assert rc == 1 and "公示期至 2026-04-17" in err
    rc, out, _ = run(capsys, monkeypatch, db, "admin", "publicity", "finalize", r, "--today", "2026-04-18")
    assert rc == 0 and "已定稿并冻结" in out
    rc, out, _ = run(capsys, monkeypatch, db, "", "publicity", "diff", r)
    assert "公示稿与定稿相比有 3 处变化" in out and "定稿" in out
    rc, out, _ = run(capsys, monkeypatch, db, "", "audit", "verify")
    assert rc == 0, out
