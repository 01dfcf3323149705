"""The nightly job (deploy/assess-nightly) run as cron or systemd would: a checked backup in
backup_dir, today's anchor appended after a clean verification, old backups pruned; on a database
whose chain was cut after an anchor it fails and appends nothing."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from assess.foundation import audit
from assess.foundation.users import add_user
from assess.integrity.anchors import read_anchors

from .conftest import PASSWORD, make_users

ROOT = Path(__file__).resolve().parents[1]


def _nightly(tmp_path, config) -> subprocess.CompletedProcess:
    launcher = tmp_path / "assess"
    launcher.write_text(f"#!/bin/sh\nexec {sys.executable} -m assess \"$@\"\n")
    launcher.chmod(0o755)
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "PYTHONPATH": str(ROOT), "ASSESS_CONFIG": str(config),
           "ASSESS_BIN": str(launcher), "ASSESS_USER": "admin", "ASSESS_PASSWORD": PASSWORD}
    return subprocess.run([str(ROOT / "deploy" / "assess-nightly")], env=env, capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)


def test_nightly_backup_and_anchor(sqlite_db, tmp_path):
    db = sqlite_db
    actors = make_users(db)
    backups, anchors = tmp_path / "backups", tmp_path / "anchors" / "anchors.txt"
    config = tmp_path / "config.toml"
    config.write_text(f'database = "{db.path}"\nbackup_dir = "{backups}"\nanchors_file = "{anchors}"\n',
                      encoding="utf-8")
    backups.mkdir()
    stale = backups / "assess-2020-01-01.db"
    stale.write_bytes(b"old")
    old = time.time() - 90 * 86400
    os.utime(stale, (old, old))

    r = _nightly(tmp_path, config)
    assert r.returncode == 0, r.stderr
    made = sorted(p.name for p in backups.iterdir())
    assert len(made) == 1 and made[0].startswith("assess-") and made[0].endswith(".db")  # the stale one pruned
    copy = sqlite3.connect(backups / made[0])
    assert copy.execute("SELECT count(*) FROM auditrecord").fetchone()[0] == 7  # make_users: 7 records
    copy.close()
    assert oct((backups / made[0]).stat().st_mode & 0o777) == "0o600"
    first = read_anchors(anchors)
    assert [(a.seq, a.head) for a in first] == [audit.chain_head(db)]

    add_user(db, actors["admin"], "later", "clerk", PASSWORD, "后来者")
    r = _nightly(tmp_path, config)
    assert r.returncode == 0, r.stderr
    assert [a.seq for a in read_anchors(anchors)] == [7, 8]  # one more record: the user added

    # Someone cuts the tail after the last anchor and fixes the head row: the next night fails.
    con = sqlite3.connect(db.path)
    con.execute("DELETE FROM auditrecord WHERE seq > 6")
    seq, h = con.execute("SELECT seq, hash FROM auditrecord ORDER BY seq DESC LIMIT 1").fetchone()
    con.execute("UPDATE audithead SET seq = ?, hash = ? WHERE id = 1", (seq, h))
    con.commit()
    con.close()
    r = _nightly(tmp_path, config)
    assert r.returncode != 0
    assert "锚点" in r.stderr and "已没有第 7 条记录" in r.stderr and "已没有第 8 条记录" in r.stderr
    assert len(read_anchors(anchors)) == 2  # nothing appended


def test_nightly_refuses_without_backup_dir(tmp_path, sqlite_db):
    config = tmp_path / "config.toml"
    config.write_text(f'database = "{sqlite_db.path}"\n', encoding="utf-8")
    r = _nightly(tmp_path, config)
    assert r.returncode == 2 and "backup_dir" in r.stderr
