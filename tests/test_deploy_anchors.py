"""The nightly anchors file: ``assess audit verify --anchors FILE [--append-anchor]`` against an
honest database and against tampered copies whose chains are internally consistent again (the
tail cut and the head row fixed; a record rewritten and every later hash recomputed)."""

from __future__ import annotations

import json
import sqlite3
from datetime import date

import pytest

from assess.cli import dispatch
from assess.foundation import audit
from assess.foundation.errors import InputErrors
from assess.integrity.anchors import append_anchor, read_anchors

from .conftest import make_users


def _verify(url, anchors, *extra):
    return dispatch(["audit", "verify", "--db", url, "--anchors", str(anchors), *extra])


def _grow(db, admin, names):
    """One audit record per name (a unit added). Not account records: cutting those would also be
    caught by the account check (assess/accounts.py); this test is about what only anchors catch."""
    from assess.org.units import add_unit

    for n in names:
        add_unit(db, admin, n.upper(), f"单位{n}", "政府部门")


def test_nightly_anchors_catch_later_truncation_and_rewriting(sqlite_db, tmp_path, capsys):
    db = sqlite_db
    url = db.url
    anchors = tmp_path / "anchors.txt"
    actors = make_users(db)  # 7 users: 7 audit records
    assert _verify(url, anchors, "--append-anchor") == 0  # first night: the file is started
    _grow(db, actors["admin"], ["n1", "n2"])
    assert _verify(url, anchors, "--append-anchor") == 0
    second = audit.chain_head(db)
    _grow(db, actors["admin"], ["n3"])
    lines = read_anchors(anchors)
    assert [(a.seq, a.line) for a in lines] == [(7, 1), (9, 2)] and (lines[1].seq, lines[1].head) == second
    assert _verify(url, anchors) == 0
    capsys.readouterr()

    # Copy 1: the last two records cut and the head row set to the new tail: the chain alone is
    # consistent, the second night's anchor (#9) is no longer in it.
    cut = tmp_path / "cut.db"
    db.backup(cut)
    con = sqlite3.connect(cut)
    con.execute("DELETE FROM auditrecord WHERE seq > 8")
    seq, h = con.execute("SELECT seq, hash FROM auditrecord ORDER BY seq DESC LIMIT 1").fetchone()
    con.execute("UPDATE audithead SET seq = ?, hash = ? WHERE id = 1", (seq, h))
    con.commit()
    con.close()
    assert dispatch(["audit", "verify", "--db", str(cut)]) == 0  # undetected without the anchors
    capsys.readouterr()
    assert _verify(str(cut), anchors) == 1
    err = capsys.readouterr().err
    assert "已没有第 9 条记录" in err and "第 2 行" in err and "第 1 行" not in err

    # Copy 2: record 3's time rewritten (backdated a minute; the accounts it replays are unchanged)
    # and the whole chain re-hashed from there: both anchors differ.
    forged = tmp_path / "forged.db"
    db.backup(forged)
    con = sqlite3.connect(forged)
    rows = con.execute("SELECT seq, at, actor, action, payload FROM auditrecord ORDER BY seq").fetchall()
    prev = audit.GENESIS
    for seq, at, actor, action, payload in rows:
        payload = json.loads(payload)
        if seq == 3:
            from datetime import datetime, timedelta

            at = (datetime.fromisoformat(at) - timedelta(minutes=1)).isoformat(timespec="microseconds")
        h = audit.record_hash(prev, seq, at, actor, action, payload)
        con.execute("UPDATE auditrecord SET prev_hash = ?, hash = ?, at = ? WHERE seq = ?", (prev, h, at, seq))
        prev = h
    con.execute("UPDATE audithead SET hash = ? WHERE id = 1", (prev,))
    con.commit()
    con.close()
    assert dispatch(["audit", "verify", "--db", str(forged)]) == 0
    capsys.readouterr()
    assert _verify(str(forged), anchors, "--append-anchor") == 1
    err = capsys.readouterr().err
    assert "审计链第 7 条的哈希" in err and "审计链第 9 条的哈希" in err and "改写" in err
    assert len(read_anchors(anchors)) == 2  # a failed night appends nothing


def test_anchors_checked_on_postgresql_too(db, tmp_path):
    from assess.integrity.verify import verify_all

    actors = make_users(db)
    head = audit.verify(db)
    f = tmp_path / "a.txt"
    append_anchor(f, date(2026, 12, 1), head.head_seq, head.head_hash)
    append_anchor(f, date(2026, 12, 2), 3, "0" * 64)  # a wrong hash for #3
    _grow(db, actors["admin"], ["later"])
    report = verify_all(db, anchors_file=str(f))
    assert not report.ok and len(report.problems) == 1 and "2026-12-02 的锚点（第 2 行）" in report.problems[0]


def test_malformed_anchor_lines_name_file_line_and_field(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text("# 注释\n2026-12-01 7 " + "a" * 64 + "\n2026-13-01 8 " + "b" * 64 + "\n2026-12-03 x " + "c" * 64
                 + "\n2026-12-04 9 XYZ\n2026-12-05 9\n", encoding="utf-8")
    with pytest.raises(InputErrors) as e:
        read_anchors(f)
    lines = e.value.lines()
    assert lines == [f"{f}:3 [日期]: “2026-13-01”不是 YYYY-MM-DD 日期", f"{f}:4 [序号]: “x”不是非负整数",
                     f"{f}:5 [链头哈希]: 应为 64 位小写十六进制", f"{f}:6: 应为“日期 序号 链头哈希”三项，实际 2 项"]
