"""The audit hash chain: appends, verification, and detection of every kind of tampering."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys

from sqlalchemy import text

from assess.foundation import audit


def _fill(db, n=5):
    for i in range(n):
        with db.write() as s:
            audit.append(s, "tester", "test.event", {"i": i, "名称": "单位"})


def test_chain_verifies_and_links(db):
    _fill(db)
    r = audit.verify(db)
    assert r.ok and r.count == 5 and r.head_seq == 5
    with db.read() as s:
        rows = s.connection().execute(text("SELECT seq, prev_hash, hash FROM auditrecord ORDER BY seq")).all()
    assert rows[0][1] == audit.GENESIS
    for a, b in itertools.pairwise(rows):
        assert b[1] == a[2]
    # The hash is SHA-256 over canonical JSON of the previous hash and the record.
    with db.read() as s:
        seq, prev, h, at, actor, action, payload = s.connection().execute(
            text("SELECT seq, prev_hash, hash, at, actor, action, payload FROM auditrecord WHERE seq = 3")).one()
    payload = json.loads(payload) if isinstance(payload, str) else payload
    import hashlib

    body = json.dumps({"prev": prev, "seq": seq, "at": at, "actor": actor, "action": action, "payload": payload},
                      sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert hashlib.sha256(body.encode()).hexdigest() == h


def test_changed_payload_is_detected(db):
    _fill(db)
    with db.write() as s:
        s.connection().execute(text("UPDATE auditrecord SET payload = :p WHERE seq = 3"), {"p": json.dumps({"i": 99})})
    r = audit.verify(db)
    assert not r.ok and r.first_bad_seq == 3


def test_changed_actor_is_detected(db):
    _fill(db)
    with db.write() as s:
        s.connection().execute(text("UPDATE auditrecord SET actor = 'someone' WHERE seq = 2"))
    r = audit.verify(db)
    assert not r.ok and r.first_bad_seq == 2


def test_removed_record_is_detected(db):
    _fill(db)
    with db.write() as s:
        s.connection().execute(text("DELETE FROM auditrecord WHERE seq = 2"))
    r = audit.verify(db)
    assert not r.ok and r.first_bad_seq == 2


def test_reordered_records_are_detected(db):
    _fill(db)
    with db.write() as s:
        c = s.connection()
        c.execute(text("UPDATE auditrecord SET seq = 100 WHERE seq = 2"))
        c.execute(text("UPDATE auditrecord SET seq = 2 WHERE seq = 3"))
        c.execute(text("UPDATE auditrecord SET seq = 3 WHERE seq = 100"))
    r = audit.verify(db)
    assert not r.ok and r.first_bad_seq == 2


def test_truncated_tail_is_detected_by_head_and_by_anchor(db):
    _fill(db)
    anchor = audit.chain_head(db)[1]
    with db.write() as s:
        s.connection().execute(text("DELETE FROM auditrecord WHERE seq >= 4"))
    r = audit.verify(db)
    assert not r.ok and r.first_bad_seq == 4
    # Also when the head row is rewritten to match: the anchor still catches it.
    with db.write() as s:
        row = s.connection().execute(text("SELECT hash FROM auditrecord WHERE seq = 3")).one()
        s.connection().execute(text("UPDATE audithead SET seq = 3, hash = :h"), {"h": row[0]})
    assert audit.verify(db).ok
    r = audit.verify(db, anchor=anchor)
    assert not r.ok and r.first_bad_seq == 4


def test_cli_audit_verify_exit_codes(sqlite_db):
    _fill(sqlite_db)
    url = sqlite_db.url
    ok = subprocess.run([sys.executable, "-m", "assess", "audit", "verify", "--db", url], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert audit.chain_head(sqlite_db)[1] in ok.stdout
    with sqlite_db.write() as s:
        s.connection().execute(text("UPDATE auditrecord SET action = 'x' WHERE seq = 4"))
    bad = subprocess.run([sys.executable, "-m", "assess", "audit", "verify", "--db", url], capture_output=True, text=True)
    assert bad.returncode == 1
    assert "第 4 条" in bad.stderr


def test_concurrent_appends_stay_linear(db):
    """Eight threads appending at once (first appends included): one linear, verifiable chain."""
    import threading

    errors = []

    def worker(i):
        try:
            for j in range(10):
                with db.write() as s:
                    audit.append(s, f"t{i}", "test.concurrent", {"i": i, "j": j})
        except Exception as e:  # pragma: no cover - the assertion below reports it
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    r = audit.verify(db)
    assert r.ok and r.count == 80
