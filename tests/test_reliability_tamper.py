"""Tamper evidence: random edits, deletions, reorders and truncations of the audit log, of the
ballots and tally counts of certified batches, of batch rows and of published results — made as an
attacker with access to the database file would (triggers dropped first) — are every one detected
by ``assess audit verify --anchor <head printed on the tally sheet>``, which exits 1 naming what
differs.

One database is prepared once (a round taken from ballot entry to publication through the real
services, see ``reliability_helpers.published_round``); each mutation runs on a fresh copy of the
file. The RNG is seeded: the same mutations run every time. ``MUTATIONS`` run in the default suite;
the slow run (``pytest -m slow``, and CI) adds ``SLOW_MUTATIONS`` more with another seed.
"""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from assess.cli import main
from assess.foundation import audit
from assess.foundation.db import Database
from assess.reports.notices import publication_notice

from .conftest import PASSWORD
from .reliability_helpers import drop_triggers, published_round

MUTATIONS = 200
SLOW_MUTATIONS = 1000


# -- the prepared database -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """(path of a checkpointed database file, anchor printed by the tally sheet, built ids)."""
    import os

    from _pytest.monkeypatch import MonkeyPatch

    tmp = tmp_path_factory.mktemp("tamper")
    path = tmp / "prepared.db"
    db = Database(f"sqlite:///{path}")
    db.upgrade(backup=False)
    built = published_round(db, tmp)
    db.dispose()
    mp = MonkeyPatch()
    mp.setenv("ASSESS_PASSWORD", PASSWORD)
    try:
        anchor = _tally_sheet_anchor(path, built.session_id)
    finally:
        mp.undo()
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    assert os.stat(path).st_size > 0
    return path, anchor, built


def _tally_sheet_anchor(path: Path, session_id: int) -> str:
    """The chain head as the tally sheet prints it (``assess ballots tally --format json``)."""
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        rc = main(["ballots", "tally", "--session", str(session_id), "--db", str(path), "--format", "json"])
    assert rc == 0
    rows = json.loads(out.getvalue())
    heads = {r["audit_head"] for r in rows}
    assert len(heads) == 1
    return heads.pop()


def run_verify(path: Path, anchor: str | None) -> tuple[int, str, str]:
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    argv = ["audit", "verify", "--db", str(path)] + (["--anchor", anchor] if anchor else [])
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(argv)
    return rc, out.getvalue(), err.getvalue()


# -- mutations ------------------------------------------------------------------------------------


def _rows(con, sql, *args):
    return con.execute(sql, args).fetchall()


def _other_char(rng: random.Random, c: str, alphabet: str = "01234X") -> str:
    return rng.choice([x for x in alphabet if x != c])


def _set_marks(con, rng, ballot_id: int, marks: str) -> str:
    i = rng.randrange(len(marks))
    new = marks[:i] + _other_char(rng, marks[i]) + marks[i + 1 :]
    con.execute("UPDATE ballot SET marks = ? WHERE id = ?", (new, ballot_id))
    return new


def _rehash_from(con, first_seq: int) -> None:
    """Recompute every hash from ``first_seq`` on and the head: an attacker who knows the hash
    construction rewriting the chain so that it is internally consistent again."""
    prev = audit.GENESIS
    if first_seq > 1:
        prev = con.execute("SELECT hash FROM auditrecord WHERE seq = ?", (first_seq - 1,)).fetchone()[0]
    rows = _rows(
        con, "SELECT seq, at, actor, action, payload FROM auditrecord WHERE seq >= ? ORDER BY seq", first_seq
    )
    for seq, at, actor, action, payload in rows:
        h = audit.record_hash(prev, seq, at, actor, action, json.loads(payload))
        con.execute("UPDATE auditrecord SET prev_hash = ?, hash = ? WHERE seq = ?", (prev, h, seq))
        prev = h
    last = con.execute("SELECT max(seq) FROM auditrecord").fetchone()[0]
    con.execute("UPDATE audithead SET seq = ?, hash = ? WHERE id = 1", (last, prev))


def _edit_payload(rng, payload: dict) -> dict:
    key = rng.choice(sorted(payload)) if payload else "x"
    value = payload.get(key)
    if isinstance(value, bool):
        payload[key] = not value
    elif isinstance(value, int | float):
        payload[key] = value + rng.choice([-2, -1, 1, 3])
    elif isinstance(value, str) and value:
        payload[key] = value[:-1] + ("0" if value[-1] != "0" else "1")
    else:
        payload[key] = "篡改"
    return payload


def m_audit_edit(con, rng, ids) -> str:
    seq = rng.randint(1, con.execute("SELECT max(seq) FROM auditrecord").fetchone()[0])
    field = rng.choice(["payload", "actor", "action", "at", "hash", "prev_hash"])
    if field == "payload":
        payload = json.loads(
            con.execute("SELECT payload FROM auditrecord WHERE seq = ?", (seq,)).fetchone()[0]
        )
        con.execute(
            "UPDATE auditrecord SET payload = ? WHERE seq = ?", (json.dumps(_edit_payload(rng, payload)), seq)
        )
    elif field in ("hash", "prev_hash"):
        old = con.execute(f"SELECT {field} FROM auditrecord WHERE seq = ?", (seq,)).fetchone()[0]
        con.execute(
            f"UPDATE auditrecord SET {field} = ? WHERE seq = ?",
            (old[:-1] + _other_char(rng, old[-1], "0123456789abcdef"), seq),
        )
    else:
        old = con.execute(f"SELECT {field} FROM auditrecord WHERE seq = ?", (seq,)).fetchone()[0]
        con.execute(f"UPDATE auditrecord SET {field} = ? WHERE seq = ?", (old + "x", seq))
    return f"audit: edit {field} of #{seq}"


def m_audit_rewrite(con, rng, ids) -> str:
    """Edit a record and recompute the chain after it (only the anchor can tell)."""
    seq = rng.randint(1, con.execute("SELECT max(seq) FROM auditrecord").fetchone()[0])
    payload = json.loads(con.execute("SELECT payload FROM auditrecord WHERE seq = ?", (seq,)).fetchone()[0])
    con.execute(
        "UPDATE auditrecord SET payload = ? WHERE seq = ?", (json.dumps(_edit_payload(rng, payload)), seq)
    )
    _rehash_from(con, seq)
    return f"audit: edit #{seq} and rehash the rest"


def m_audit_delete(con, rng, ids) -> str:
    last = con.execute("SELECT max(seq) FROM auditrecord").fetchone()[0]
    seq = rng.randint(1, last - 1)
    con.execute("DELETE FROM auditrecord WHERE seq = ?", (seq,))
    if rng.random() < 0.5:  # close the gap and rehash: a consistent, shorter chain
        con.execute("UPDATE auditrecord SET seq = seq - 1 WHERE seq > ?", (seq,))
        _rehash_from(con, seq)
        return f"audit: delete #{seq}, renumber and rehash"
    return f"audit: delete #{seq}"


def m_audit_reorder(con, rng, ids) -> str:
    last = con.execute("SELECT max(seq) FROM auditrecord").fetchone()[0]
    a, b = sorted(rng.sample(range(1, last + 1), 2))
    con.execute("UPDATE auditrecord SET seq = -1 WHERE seq = ?", (a,))
    con.execute("UPDATE auditrecord SET seq = ? WHERE seq = ?", (a, b))
    con.execute("UPDATE auditrecord SET seq = ? WHERE seq = -1", (b,))
    if rng.random() < 0.5:
        _rehash_from(con, a)
        return f"audit: swap #{a} and #{b}, rehash"
    return f"audit: swap #{a} and #{b}"


def m_audit_truncate(con, rng, ids) -> str:
    last = con.execute("SELECT max(seq) FROM auditrecord").fetchone()[0]
    k = rng.randint(1, min(8, last - 1))
    con.execute("DELETE FROM auditrecord WHERE seq > ?", (last - k,))
    if rng.random() < 0.7:  # and make the head table agree
        row = con.execute("SELECT seq, hash FROM auditrecord WHERE seq = ?", (last - k,)).fetchone()
        con.execute("UPDATE audithead SET seq = ?, hash = ? WHERE id = 1", row)
        return f"audit: truncate {k} and fix the head"
    return f"audit: truncate {k}"


def _ballot(con, rng, ids, batches=None):
    batches = batches or (ids.paper_batch, ids.import_batch)
    rows = _rows(
        con,
        f"SELECT id, batch_id, ballot_no, status, marks FROM ballot WHERE batch_id IN ({','.join('?' * len(batches))})",
        *batches,
    )
    return rng.choice(sorted(rows))


def m_ballot_marks(con, rng, ids) -> str:
    bid, batch, no, _st, marks = _ballot(con, rng, ids)
    new = _set_marks(con, rng, bid, marks)
    return f"ballot: batch {batch} no {no} marks {marks}→{new}"


def m_ballot_status(con, rng, ids) -> str:
    bid, batch, no, st, _marks = _ballot(con, rng, ids)
    new = rng.choice([x for x in ("valid", "void", "blank") if x != st])
    con.execute("UPDATE ballot SET status = ? WHERE id = ?", (new, bid))
    return f"ballot: batch {batch} no {no} status {st}→{new}"


def m_ballot_delete(con, rng, ids) -> str:
    bid, batch, no, st, _marks = _ballot(con, rng, ids)
    con.execute("DELETE FROM ballot WHERE id = ?", (bid,))
    return f"ballot: delete batch {batch} no {no} ({st})"


def m_ballot_insert(con, rng, ids) -> str:
    _bid, batch, _no, st, marks = _ballot(con, rng, ids)
    no = con.execute("SELECT max(ballot_no) + 1 FROM ballot WHERE batch_id = ?", (batch,)).fetchone()[0]
    con.execute(
        "INSERT INTO ballot (id, batch_id, ballot_no, status, marks) VALUES (?, ?, ?, ?, ?)",
        (rng.randrange(1, 2**62), batch, no, st, marks),
    )
    return f"ballot: insert a copy as batch {batch} no {no}"


def m_ballot_swap(con, rng, ids) -> str:
    """Swap the marks of two ballots of one batch (the counts do not change)."""
    batch = rng.choice([ids.paper_batch, ids.import_batch])
    rows = _rows(con, "SELECT id, ballot_no, status, marks FROM ballot WHERE batch_id = ?", batch)
    pairs = [(a, b) for a in rows for b in rows if a[1] < b[1] and (a[2], a[3]) != (b[2], b[3])]
    a, b = rng.choice(sorted(pairs))
    con.execute("UPDATE ballot SET status = ?, marks = ? WHERE id = ?", (b[2], b[3], a[0]))
    con.execute("UPDATE ballot SET status = ?, marks = ? WHERE id = ?", (a[2], a[3], b[0]))
    return f"ballot: swap nos {a[1]} and {b[1]} of batch {batch}"


def m_ballot_number(con, rng, ids) -> str:
    bid, batch, no, _st, _marks = _ballot(con, rng, ids)
    new = con.execute("SELECT max(ballot_no) + 1 FROM ballot WHERE batch_id = ?", (batch,)).fetchone()[0]
    con.execute("UPDATE ballot SET ballot_no = ? WHERE id = ?", (new, bid))
    return f"ballot: renumber {no}→{new} in batch {batch}"


def m_ballot_move(con, rng, ids) -> str:
    bid, batch, no, _st, _marks = _ballot(con, rng, ids)
    other = ids.import_batch if batch == ids.paper_batch else ids.paper_batch
    new_no = con.execute("SELECT max(ballot_no) + 1 FROM ballot WHERE batch_id = ?", (other,)).fetchone()[0]
    con.execute("UPDATE ballot SET batch_id = ?, ballot_no = ? WHERE id = ?", (other, new_no, bid))
    return f"ballot: move no {no} from batch {batch} to {other}"


def m_ballot_and_tally(con, rng, ids) -> str:
    """Change a valid ballot's mark and the batch's counts to match (a careful attacker)."""
    rows = _rows(
        con,
        "SELECT id, batch_id, ballot_no, marks FROM ballot WHERE status = 'valid' AND batch_id IN (?, ?)",
        ids.paper_batch,
        ids.import_batch,
    )
    bid, batch, no, marks = rng.choice(sorted(rows))
    pos = rng.choice([i for i, c in enumerate(marks) if c in "1234"])
    old = marks[pos]
    new = rng.choice([c for c in "234" if c != old])  # never a 满意: the ballot stays valid
    con.execute("UPDATE ballot SET marks = ? WHERE id = ?", (marks[:pos] + new + marks[pos + 1 :], bid))
    con.execute(
        "UPDATE tallycount SET count = count - 1 WHERE batch_id = ? AND position = ? AND choice = ?",
        (batch, pos + 1, int(old)),
    )
    n = con.execute(
        "UPDATE tallycount SET count = count + 1 WHERE batch_id = ? AND position = ? AND choice = ?",
        (batch, pos + 1, int(new)),
    ).rowcount
    if not n:
        con.execute(
            "INSERT INTO tallycount (batch_id, position, choice, count) VALUES (?, ?, ?, 1)",
            (batch, pos + 1, int(new)),
        )
    return f"ballot+tally: batch {batch} no {no} pos {pos + 1} {old}→{new} with counts"


def _tally_row(con, rng, ids):
    return rng.choice(sorted(_rows(con, "SELECT id, batch_id, position, choice, count FROM tallycount")))


def m_tally_count(con, rng, ids) -> str:
    tid, batch, pos, choice, n = _tally_row(con, rng, ids)
    new = max(0, n + rng.choice([-3, -1, 1, 2, 10]))
    if new == n:
        new = n + 1
    con.execute("UPDATE tallycount SET count = ? WHERE id = ?", (new, tid))
    return f"tally: batch {batch} ({pos},{choice}) {n}→{new}"


def m_tally_delete(con, rng, ids) -> str:
    tid, batch, pos, choice, n = _tally_row(con, rng, ids)
    con.execute("DELETE FROM tallycount WHERE id = ?", (tid,))
    return f"tally: delete batch {batch} ({pos},{choice}) = {n}"


def m_tally_insert(con, rng, ids) -> str:
    batch = rng.choice([ids.paper_batch, ids.import_batch, ids.tally_batch])
    used = {
        (p, c) for p, c in _rows(con, "SELECT position, choice FROM tallycount WHERE batch_id = ?", batch)
    }
    free = sorted((p, c) for p in (1, 2, 3) for c in (1, 2, 3, 4) if (p, c) not in used)
    pos, choice = rng.choice(free)
    con.execute(
        "INSERT INTO tallycount (batch_id, position, choice, count) VALUES (?, ?, ?, ?)",
        (batch, pos, choice, rng.randint(1, 5)),
    )
    return f"tally: insert batch {batch} ({pos},{choice})"


def m_tally_shift(con, rng, ids) -> str:
    """Move one vote between two options of a target (the target's total is unchanged)."""
    tid, batch, pos, choice, _n = _tally_row(con, rng, ids)
    other = rng.choice([c for c in (1, 2, 3, 4) if c != choice])
    con.execute("UPDATE tallycount SET count = count - 1 WHERE id = ?", (tid,))
    k = con.execute(
        "UPDATE tallycount SET count = count + 1 WHERE batch_id = ? AND position = ? AND choice = ?",
        (batch, pos, other),
    ).rowcount
    if not k:
        con.execute(
            "INSERT INTO tallycount (batch_id, position, choice, count) VALUES (?, ?, ?, 1)",
            (batch, pos, other),
        )
    return f"tally: batch {batch} pos {pos} one vote {choice}→{other}"


def m_batch_row(con, rng, ids) -> str:
    batch = rng.choice([ids.paper_batch, ids.import_batch, ids.tally_batch])
    field, value = rng.choice(
        [
            ("returned", "returned + 1"),
            ("issued", "issued + 5"),
            ("voter_group", "'zg'"),
            ("status", "'open'"),
            ("status", "'void'"),
            ("label", "label || '改'"),
            ("source", "'paper'"),
        ]
    )
    if field == "source" and batch == ids.paper_batch:
        value = "'import'"
    con.execute(f"UPDATE ballotbatch SET {field} = {value} WHERE id = ?", (batch,))
    return f"batch {batch}: {field} = {value}"


def m_published_result(con, rng, ids) -> str:
    choice = rng.choice(["composite", "rank", "grade", "snapshot", "entry"])
    if choice == "composite":
        con.execute(
            "UPDATE unitresult SET composite = composite + 0.5 WHERE id = (SELECT min(id) FROM unitresult)"
        )
    elif choice == "rank":
        con.execute("UPDATE unitresult SET rank = rank + 1 WHERE id = (SELECT max(id) FROM unitresult)")
    elif choice == "grade":
        con.execute("UPDATE unitresult SET grade = CASE grade WHEN '优秀' THEN '一般' ELSE '优秀' END")
    elif choice == "snapshot":
        content = json.loads(con.execute("SELECT content FROM snapshot").fetchone()[0])
        content["results"][0]["composite"] += 1
        con.execute("UPDATE snapshot SET content = ?", (json.dumps(content, ensure_ascii=False),))
    else:
        con.execute(
            "UPDATE accountabilityentry SET status = 'waived' WHERE id = (SELECT min(id) FROM accountabilityentry)"
        )
        if not con.execute("SELECT count(*) FROM accountabilityentry").fetchone()[0]:
            con.execute("UPDATE unitresult SET flags = '[]' WHERE id = (SELECT min(id) FROM unitresult)")
            con.execute("UPDATE unitresult SET composite = composite - 1")
    return f"published round: {choice}"


AUDIT_MUTATORS = [m_audit_edit, m_audit_rewrite, m_audit_delete, m_audit_reorder, m_audit_truncate]
DATA_MUTATORS = [
    m_ballot_marks,
    m_ballot_status,
    m_ballot_delete,
    m_ballot_insert,
    m_ballot_swap,
    m_ballot_number,
    m_ballot_move,
    m_ballot_and_tally,
    m_tally_count,
    m_tally_delete,
    m_tally_insert,
    m_tally_shift,
    m_batch_row,
    m_published_result,
]
MUTATORS = AUDIT_MUTATORS + DATA_MUTATORS


def mutate_copy(prepared_path: Path, dest: Path, rng: random.Random, ids) -> str:
    shutil.copyfile(prepared_path, dest)
    for suffix in ("-wal", "-shm"):
        Path(f"{dest}{suffix}").unlink(missing_ok=True)
    mutator = rng.choice(MUTATORS)
    con = sqlite3.connect(dest)
    try:
        drop_triggers(con)
        before = con.total_changes
        what = mutator(con, rng, ids)
        assert con.total_changes > before, what  # every mutation changes something
        con.commit()
    finally:
        con.close()
    return what


def run_mutations(prepared, tmp_path: Path, n: int, seed: int) -> Counter:
    """Apply ``n`` seeded random mutations, each to a fresh copy, and check each with
    ``verify_all`` — the function behind ``assess audit verify`` (the command itself runs once per
    kind of mutation in ``test_each_kind_of_mutation_is_detected``; here its argument parsing and
    start-up would triple the time). Audit mutations must break the chain (with the anchor); data
    mutations must be found by the recount or the snapshot check, with the chain intact."""
    from assess.integrity.verify import verify_all

    path, anchor, ids = prepared
    rng = random.Random(seed)
    undetected = []
    kinds: Counter = Counter()
    for i in range(n):
        dest = tmp_path / f"m{i}.db"
        what = mutate_copy(path, dest, rng, ids)
        kind = what.split(":")[0]
        kinds["batch" if kind.startswith("batch") else kind] += 1
        db = Database(f"sqlite:///{dest}")
        try:
            report = verify_all(db, anchor=anchor)
        finally:
            db.dispose()
        if report.ok:
            undetected.append((i, what))
        elif what.startswith("audit"):
            assert not report.chain.ok, (what, report.lines())
        else:
            assert report.chain.ok and report.problems, (what, report.lines())
            if what.startswith(("ballot", "tally", "batch")):
                assert any("批次" in p for p in report.problems), (what, report.problems)
            else:
                assert any("轮次" in p for p in report.problems), (what, report.problems)
        for f in tmp_path.glob(f"m{i}.db*"):
            f.unlink()
    assert not undetected, f"{len(undetected)} of {n} mutations undetected: {undetected[:5]}"
    return kinds


def test_prepared_database_verifies_clean(prepared):
    path, anchor, _ids = prepared
    rc, out, err = run_verify(path, anchor)
    assert rc == 0, err
    assert "已核对 3 个已核定选票批次" in out and "1 个已公示轮次" in out
    assert anchor in out  # the anchor is the current head: nothing was added since the tally sheet


@pytest.mark.parametrize("mutator", MUTATORS, ids=lambda m: m.__name__)
def test_each_kind_of_mutation_is_detected(prepared, tmp_path, mutator):
    path, anchor, ids = prepared
    dest = tmp_path / "m.db"
    shutil.copyfile(path, dest)
    con = sqlite3.connect(dest)
    drop_triggers(con)
    what = mutator(con, random.Random(7), ids)
    con.commit()
    con.close()
    rc, _out, err = run_verify(dest, anchor)
    assert rc == 1, what
    assert "错误：" in err


def test_random_mutations_all_detected(prepared, tmp_path):
    kinds = run_mutations(prepared, tmp_path, MUTATIONS, seed=20261124)
    # Every family was exercised (seeded: the same draw each run).
    assert {"audit", "ballot", "tally", "published round"} <= set(kinds) and sum(kinds.values()) == MUTATIONS


@pytest.mark.slow
def test_many_more_random_mutations_all_detected(prepared, tmp_path):
    kinds = run_mutations(prepared, tmp_path, SLOW_MUTATIONS, seed=31415)
    print(f"\n{SLOW_MUTATIONS} mutations, all detected: {dict(kinds)}")


def test_without_anchor_a_rewritten_chain_is_the_one_blind_spot(prepared, tmp_path):
    """Why the anchor matters: a chain edited and rehashed to the end is internally consistent.
    The snapshot's chain head catches it (rc 1 without any anchor); an attacker who also rewrites
    that head leaves a database that checks clean on its own — only an anchor printed earlier
    (tally sheet, notice, report) reveals it."""
    path, anchor, _ids = prepared
    dest = tmp_path / "r.db"
    shutil.copyfile(path, dest)
    con = sqlite3.connect(dest)
    drop_triggers(con)
    # Not an account record: those are replayed against app_user (assess/accounts.py), so renaming
    # the admin who added a user is caught even then.
    seq = con.execute("SELECT min(seq) FROM auditrecord WHERE action NOT LIKE 'user.%'").fetchone()[0]
    con.execute("UPDATE auditrecord SET actor = 'mallory' WHERE seq = ?", (seq,))
    _rehash_from(con, seq)
    con.commit()
    con.close()
    rc, _out, err = run_verify(dest, None)
    assert rc == 1 and "链头" in err  # the snapshot's head is no longer in the chain
    con = sqlite3.connect(dest)
    con.execute(
        "UPDATE snapshot SET audit_head = (SELECT hash FROM auditrecord WHERE action = 'round.publish')"
    )
    con.commit()
    con.close()
    assert run_verify(dest, None)[0] == 0
    rc, _out, err = run_verify(dest, anchor)
    assert rc == 1 and "锚点" in err


def test_anchor_on_tally_sheet_notice_and_reports(prepared, tmp_path, monkeypatch):
    """The chain head is printed on the tally sheet (table: last line; csv/json: columns), the
    公示 notice and the publication report (HTML/PDF and XLSX). The rectification notice ends with
    it too (``test_rounds_findings.test_notice_text_is_a_proper_notice_with_anchor``)."""
    import contextlib
    import io

    path, anchor, ids = prepared
    db = Database(f"sqlite:///{path}")
    try:
        seq, head = audit.chain_head(db)
        assert head == anchor
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            assert main(["ballots", "tally", "--session", str(ids.session_id), "--db", str(path)]) == 0
        last = out.getvalue().strip().splitlines()[-1]
        assert last.startswith("审计锚点") and f"#{seq} {head}" in last and f"--anchor {head}" in last
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            main(["ballots", "tally", "--session", str(ids.session_id), "--db", str(path), "--format", "csv"])
        header, first = out.getvalue().splitlines()[:2]
        assert header.endswith(",audit_seq,audit_head") and first.endswith(f",{seq},{head}")
        # The 公示 notice carries the snapshot's chain head (the head right after publication).
        from assess.reports.data import load_report_data

        data = load_report_data(db, ids.round_id)
        text = publication_notice(data)
        snap_head = data.snapshot["audit_head"]
        assert snap_head in text and "assess audit verify --anchor" in text
        # The publication report (HTML and XLSX) prints the head at generation time.
        from assess.reports.document import report_html
        from assess.reports.workbook import write_workbook

        html = report_html(data, [], interactive=False)
        assert head in html and snap_head in html
        xlsx = write_workbook(data, tmp_path / "r.xlsx")
        from openpyxl import load_workbook

        cells = [str(c) for row in load_workbook(xlsx).worksheets[0].iter_rows(values_only=True) for c in row]
        assert any(head in c for c in cells) and any(snap_head in c for c in cells)
    finally:
        db.dispose()


# -- PostgreSQL: the same checks, with the triggers bypassed -------------------------------------

PG_MUTATIONS = {
    "ballot marks": "UPDATE ballot SET marks = CASE marks WHEN '444' THEN '333' ELSE '444' END "
    "WHERE id = (SELECT min(id) FROM ballot WHERE status = 'valid')",
    "ballot deleted": "DELETE FROM ballot WHERE id = (SELECT max(id) FROM ballot)",
    "tally count": "UPDATE tallycount SET count = count + 1 WHERE id = (SELECT min(id) FROM tallycount)",
    "tally row deleted": "DELETE FROM tallycount WHERE id = (SELECT max(id) FROM tallycount)",
    "batch reopened": "UPDATE ballotbatch SET status = 'open' WHERE id = (SELECT min(id) FROM ballotbatch)",
    "audit payload": "UPDATE auditrecord SET payload = '{\"x\": 1}' WHERE seq = 3",
    "audit truncated": (
        "DELETE FROM auditrecord WHERE seq = (SELECT max(seq) FROM auditrecord);"
        "UPDATE audithead SET seq = seq - 1, hash = (SELECT hash FROM auditrecord WHERE seq = "
        "(SELECT max(seq) FROM auditrecord))"
    ),
    "published composite": "UPDATE unitresult SET composite = composite + 1 WHERE id = (SELECT min(id) FROM unitresult)",
}


@pytest.mark.pg
def test_postgresql_tampering_detected(pg_db, tmp_path, monkeypatch):
    """On PostgreSQL an attacker with database rights bypasses the triggers with
    ``session_replication_role = replica``; each change is still found by ``assess audit verify``."""
    import contextlib
    import io

    import psycopg

    from .conftest import PG_ADMIN_URL, defer_cleanup, drop_pg_now

    built = published_round(pg_db, tmp_path)
    monkeypatch.setenv("ASSESS_PASSWORD", PASSWORD)
    url = pg_db.url
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert (
            main(["ballots", "tally", "--session", str(built.session_id), "--db", url, "--format", "json"])
            == 0
        )
    anchor = json.loads(out.getvalue())[0]["audit_head"]
    assert run_verify(url, anchor)[0] == 0
    pg_db.dispose()
    source = url.rsplit("/", 1)[1]
    admin = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    for i, (what, sql) in enumerate(PG_MUTATIONS.items()):
        name = f"{source}_m{i}"
        with psycopg.connect(admin, autocommit=True) as conn:
            # the engines the commands opened still hold connections to the source: a template
            # database must have none
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (source,),
            )
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
        try:
            with psycopg.connect(f"{admin.rsplit('/', 1)[0]}/{name}", autocommit=False) as conn:
                conn.execute("SET session_replication_role = replica")
                for stmt in sql.split(";"):
                    assert conn.execute(stmt).rowcount > 0, what
                conn.commit()
            rc, _out, err = run_verify(f"{base}/{name}", anchor)
            assert rc == 1 and "错误：" in err, what
        finally:
            import gc

            gc.collect()  # engines left by the command close their connections
            defer_cleanup(drop_pg_now, name)
