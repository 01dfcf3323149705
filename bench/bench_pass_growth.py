"""A ballot's commit as the entry pass grows: the median ``store_ballot`` time with 0, 1,000,
10,000 and 100,000 ballots already in the pass, next to a SQLAlchemy Core insert + commit of the
same row on the same disk (the baseline, measured in the same run). A save costs the same
whatever the pass size: the pass keeps running counts in the same transaction
(``assess.appraisal.entry.store_ballot``)."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

SIZES = (0, 1_000, 10_000) if os.environ.get("ASSESS_BENCH_QUICK") == "1" else (0, 1_000, 10_000, 100_000)
SAMPLES = 60
RATIO_BUDGET = 1.5


def _prefill(db, pass_id: int, start: int, stop: int) -> None:
    """Key ballots start..stop-1 into the pass in bulk (the running counts follow)."""
    from sqlalchemy import text

    from assess.appraisal.entry import recount_pass
    from assess.models.base import random_id

    from .bench_ballot_entry import _marks

    with db.write() as s:
        s.connection().execute(
            text("INSERT INTO passballot (id, pass_id, ballot_no, status, marks) VALUES (:id, :p, :n, 'valid', :m)"),
            [{"id": random_id(), "p": pass_id, "n": n, "m": _marks(n)} for n in range(start, stop)],
        )
        recount_pass(s, pass_id)


def core_inserter(db):
    """SQLAlchemy Core: one INSERT of a 60-character row and its commit, per transaction; returns
    a function that does one and answers its time (ms)."""
    import sqlalchemy as sa

    from .bench_ballot_entry import _marks

    meta = sa.MetaData()
    t = sa.Table("core_baseline", meta, sa.Column("id", sa.Integer, primary_key=True), sa.Column("marks", sa.String))
    meta.create_all(db.engine)
    count = [0]

    def one() -> float:
        count[0] += 1
        t0 = time.perf_counter()
        with db._write_engine.begin() as conn:
            conn.execute(sa.insert(t), {"marks": _marks(count[0])})
        return (time.perf_counter() - t0) * 1000

    return one


def measure(tmp: Path) -> dict[int, tuple[float, float]]:
    """Per pass size: (median store_ballot ms, median Core insert+commit ms), the two alternating
    ballot by ballot so that both see the same disk and load."""
    from .bench_ballot_entry import _marks, _setup

    top = max(SIZES) + SAMPLES * len(SIZES) + 1
    db, clerk, sid, ballots = _setup(tmp / "growth.db", voters=top * 2)  # present (4/5) covers the batch
    batch = ballots.create_batch(db, clerk, sid, "fw", "B1", top, top)
    ctx = ballots.open_pass(db, clerk, batch)
    core = core_inserter(db)
    out: dict[int, tuple[float, float]] = {}
    have = 0
    next_no = 1
    for size in SIZES:
        if size > have:
            _prefill(db, ctx.pass_id, next_no, next_no + size - have)
            next_no += size - have
            have = size
        times, base = [], []
        for _ in range(SAMPLES):
            t0 = time.perf_counter()
            ballots.store_ballot(db, clerk, ctx.pass_id, next_no, _marks(next_no))
            times.append((time.perf_counter() - t0) * 1000)
            base.append(core())
            next_no += 1
            have += 1
        out[size] = (statistics.median(times), statistics.median(base))
    db.dispose()
    return out


def main() -> list:
    with tempfile.TemporaryDirectory() as d:
        out = measure(Path(d))
    rows = []
    for size, (ms, base) in out.items():
        print(f"ballot commit with {size:>7,} ballots in the pass: median {ms:.2f} ms; Core insert+commit, "
              f"alternating: median {base:.2f} ms; {ms / base:.2f}×")
        rows.append((f"ballot commit p50 / Core insert+commit at pass size {size:,}", ms / base, RATIO_BUDGET, "×",
                     ("Core insert+commit, ms", base, ms)))
    return rows


if __name__ == "__main__":
    main()
