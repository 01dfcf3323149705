"""Backups taken while another process keys ballots restore to a database where every check
passes: ``PRAGMA integrity_check``, the audit chain, every certified batch recounted from its
ballots and every published round from its snapshot (``assess.integrity.verify.verify_all``), and each
open pass's counts equal to its stored rows."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter

from sqlalchemy import text

from assess.appraisal import entry as svc
from assess.appraisal import sessions as appraisal
from assess.appraisal.entry import pass_counts
from assess.demo import builders
from assess.foundation import audit
from assess.foundation.db import Database
from assess.integrity.backup import backup, check_database, restore
from assess.integrity.verify import verify_all
from bench.crash_harness import read_lines, spawn

from .ballot_helpers import make_round
from .reliability_helpers import published_round


def _pass_rows(db) -> dict[int, dict[int, tuple[str, str]]]:
    out: dict[int, dict[int, tuple[str, str]]] = {}
    with db.read() as s:
        for pid, no, st, mk in s.connection().execute(
            text("SELECT pass_id, ballot_no, status, marks FROM passballot")
        ):
            out.setdefault(pid, {})[no] = (st, mk)
    return out


def _all_checks(db) -> list[str]:
    problems = []
    res = check_database(db)
    if not res.ok:
        problems.append(f"{res.integrity}; {res.audit_message}")
    report = verify_all(db)
    problems += [] if report.ok else report.lines()
    for pid, rows in _pass_rows(db).items():
        c = pass_counts(db, pid)
        by = Counter(st for st, _mk in rows.values())
        if (c.entered, c.valid, c.void, c.blank) != (len(rows), by["valid"], by["void"], by["blank"]):
            problems.append(f"pass {pid}: counts {c} ≠ rows {dict(by)}")
    return problems


def test_backup_during_entry_by_another_process_restores_clean(sqlite_db, tmp_path):
    db = sqlite_db
    built = published_round(db, tmp_path)  # certified batches and a published round
    actors = built.actors
    rid = make_round(db, period="2026-Q2")
    codes = builders.numbered_units(db, actors["admin"], 12)
    sid = appraisal.create_session(db, actors["clerk"], rid, "unit", "第二季度民主评议", target_codes=codes)
    batch = svc.create_batch(db, actors["clerk"], sid, "fw", "箱1", 100_000, 100_000)

    proc = spawn(db.url, batch, seed=11, clerk="clerk")
    lines: list[str] = []
    reader = threading.Thread(target=read_lines, args=(proc.stdout, lines), daemon=True)
    reader.start()
    try:
        copies = []
        for i in range(3):
            deadline = time.monotonic() + 60
            while sum(line.startswith("S ") for line in lines) < 30 * (i + 1):
                assert proc.poll() is None, proc.stderr.read()
                assert time.monotonic() < deadline
                time.sleep(0.01)
            before = {int(line.split(" ")[1]) for line in list(lines) if line.startswith("S ")}
            path, head = backup(db, actors["admin"], tmp_path / f"during-{i}.db")
            copies.append((path, head, before))
    finally:
        proc.kill()
        proc.wait()
        reader.join(5)
        proc.stderr.close()
    reported = [
        line.split(" ") for line in lines if line.startswith(("S ", "T ")) and len(line.split(" ")) == 4
    ]
    seen_values: dict[int, set[tuple[str, str]]] = {}
    for _tag, no, st, mk in reported:
        seen_values.setdefault(int(no), set()).add((st, mk))

    with db.read() as s:
        pid = (
            s.connection()
            .execute(text("SELECT id FROM entrypass WHERE batch_id = :b"), {"b": batch})
            .scalar()
        )
    for path, head, before in copies:
        copy = Database(f"sqlite:///{path}")
        try:
            assert _all_checks(copy) == [], path
            rows = _pass_rows(copy)[pid]
            # A consistent snapshot of the entry: every ballot reported stored before the backup
            # began is in it, and every ballot holds a value the process stored.
            assert before and before <= set(rows)
            assert all(v in seen_values.get(no, set()) for no, v in rows.items())
            assert audit.chain_head(copy)[1] == head
        finally:
            copy.dispose()

    # Restore the middle backup over the live database (the clerk's process has stopped).
    path, head, _before = copies[1]
    copy = Database(f"sqlite:///{path}")
    want = _pass_rows(copy)[pid]
    copy.dispose()
    result, _safety = restore(db, actors["admin"], path)
    assert result.ok
    assert _all_checks(db) == []
    assert _pass_rows(db)[pid] == want
    rng = random.Random(3)
    # Entry continues on the restored database where the backup left it.
    ctx = svc.open_pass(db, actors["clerk"], batch)
    assert ctx.counts.entered == len(want)
    no = max(want) + 1
    svc.store_ballot(db, actors["clerk"], ctx.pass_id, no, "".join(rng.choice("234") for _ in range(12)))
    assert _all_checks(db) == []
