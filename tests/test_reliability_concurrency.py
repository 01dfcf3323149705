"""Concurrency: clerks in separate processes keying at once into one database (SQLite and
PostgreSQL) lose nothing and see no error; two reviewers acting on one batch at the same moment:
one wins, the other gets a clear Conflict, never a double certification or a half-written tally.

The full measurement (6 clerks × 300 ballots, p99 commit time) is ``bench/bench_concurrency.py``;
here 3 × 50 through the same code.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from assess.appraisal import entry as svc
from assess.appraisal import reconcile as ballot_review
from assess.demo import builders
from assess.foundation.errors import Conflict, FrozenError
from assess.integrity.verify import verify_all
from bench.bench_concurrency import measure
from bench.reliability_setup import prepare

from .reliability_helpers import open_batch


def test_three_clerk_processes_lose_nothing(db):
    batches = prepare(db.url, clerks=3)
    result = measure(db.url, batches, 50)
    assert result.errors == [] and result.problems == []
    assert result.stored == 150 and len(result.times) == 150


def race(*calls):
    """Run the calls in threads released together; [(True, value) | (False, exception)]."""
    barrier = threading.Barrier(len(calls))
    out: list = [None] * len(calls)

    def run(i):
        barrier.wait()
        try:
            out[i] = (True, calls[i]())
        except Exception as e:
            out[i] = (False, e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return out


# Four ballots over 12 targets; pass 2 reads ballot 2 target 1 as "3" where pass 1 has "2".
PASS1 = [(1, "1" + "2" * 11, "marks"), (2, "2" * 12, "marks"), (3, "", "blank"), (4, "3" * 12, "marks")]
PASS2 = [(2, "3" + "2" * 11, "marks") if no == 2 else (no, m, k) for no, m, k in PASS1]


def _batch(db, actors, sid, label, resolved=True):
    b = svc.create_batch(db, actors["clerk"], sid, "fw", label, 4, 4)
    builders.key_pass(db, actors["clerk"], b, PASS1)
    builders.key_pass(db, actors["clerk2"], b, PASS2)
    if resolved:
        ballot_review.resolve(db, actors["reviewer"], b, [(2, 1, "2")])
    return b


def _count(db, sql, **params):
    with db.read() as s:
        return s.connection().execute(text(sql), params).scalar()


def _records(db, action: str, batch: int) -> int:
    import json

    with db.read() as s:
        payloads = s.connection().execute(
            text("SELECT payload FROM auditrecord WHERE action = :a"), {"a": action}
        )
        return sum(
            1 for (p,) in payloads if (json.loads(p) if isinstance(p, str) else p).get("batch") == batch
        )


@pytest.fixture
def batch_setup(db):
    actors, sid, _first = open_batch(db, returned=4, label="B0")
    return actors, sid


def test_two_reviewers_certify_at_once(db, batch_setup):
    actors, sid = batch_setup
    for i in range(4):
        b = _batch(db, actors, sid, f"C{i}")
        out = race(
            lambda b=b: ballot_review.certify(db, actors["reviewer"], b),
            lambda b=b: ballot_review.certify(db, actors["reviewer2"], b),
        )
        assert sorted(ok for ok, _v in out) == [False, True], out
        loser = next(v for ok, v in out if not ok)
        assert isinstance(loser, FrozenError) and "已核定" in str(loser)
        winner = next(v for ok, v in out if ok)
        # Exactly one certification: one audit record, the ballots once, the counts once.
        assert _count(db, "SELECT count(*) FROM ballot WHERE batch_id = :b", b=b) == 4
        assert _count(db, "SELECT count(*) FROM tallycount WHERE batch_id = :b", b=b) == winner.tally_rows
        assert _records(db, "batch.certify", b) == 1
    report = verify_all(db)
    assert report.ok and report.batches == 4, report.lines()


def test_two_reviewers_resolve_one_mismatch_differently(db, batch_setup):
    """Both read the paper for ballot 2, target 1 at the same moment, one as 2, one as 3: the
    first recorded stands, the second is told who resolved it and how; nothing is overwritten."""
    actors, sid = batch_setup
    for i in range(3):
        b = _batch(db, actors, sid, f"R{i}", resolved=False)
        out = race(
            lambda b=b: ballot_review.resolve(db, actors["reviewer"], b, [(2, 1, "2")]),
            lambda b=b: ballot_review.resolve(db, actors["reviewer2"], b, [(2, 1, "3")]),
        )
        assert sorted(ok for ok, _v in out) == [False, True], out
        loser = next(v for ok, v in out if not ok)
        assert isinstance(loser, Conflict) and "已由" in str(loser)
        winner_value = "2" if out[0][0] else "3"
        [m] = ballot_review.compare(db, b).mismatches
        assert m.resolution == winner_value
        assert _records(db, "batch.resolve", b) == 1
    # The same reading by both is no conflict.
    b = _batch(db, actors, sid, "RS", resolved=False)
    out = race(
        lambda: ballot_review.resolve(db, actors["reviewer"], b, [(2, 1, "2")]),
        lambda: ballot_review.resolve(db, actors["reviewer2"], b, [(2, 1, "2")]),
    )
    assert all(ok for ok, _v in out), out


def test_resolve_racing_certification(db, batch_setup):
    """A reviewer re-reads a resolved mismatch while another certifies: either the new reading is
    in the certified ballots, or the certification came first and the change is refused."""
    actors, sid = batch_setup
    seen = set()
    for i in range(4):
        b = _batch(db, actors, sid, f"X{i}")
        out = race(
            lambda b=b: ballot_review.resolve(db, actors["reviewer"], b, [(2, 1, "3")]),
            lambda b=b: ballot_review.certify(db, actors["reviewer2"], b),
        )
        (resolved, r_val), (certified, c_val) = out
        assert certified, c_val  # resolved or not, ballot 2 has a reading: certification succeeds
        with db.read() as s:
            marks = (
                s.connection()
                .execute(text("SELECT marks FROM ballot WHERE batch_id = :b AND ballot_no = 2"), {"b": b})
                .scalar()
            )
        if resolved:
            seen.add("resolve first")
            assert marks[0] == "3"
        else:
            seen.add("certify first")
            assert isinstance(r_val, FrozenError) and marks[0] == "2"
    assert verify_all(db).ok
    assert seen  # at least one ordering happened (which one depends on the scheduler)
