"""Ballot import at bulk-insert speed: ``assess.appraisal.ballot_import.import_ballots`` of a per-ballot CSV
(N ballots × 10 targets, one line per mark) against a SQLAlchemy Core executemany of the same
pass rows into the same table, measured in the same run; and the import's peak memory (max RSS
of a process that only imports). Budgets: ≤ 1.5× the Core insert, ≤ 300 MiB."""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGETS = 10
BALLOTS = 100_000
QUICK = os.environ.get("ASSESS_BENCH_QUICK") == "1"
SIZES = (10_000, 2_000) if QUICK else (BALLOTS, 20_000)  # 100k ballots = 1M CSV lines
RUNS = 2 if QUICK else 5
RATIO_BUDGET = 1.5
MEMORY_BUDGET_MIB = 300.0
OPTIONS = ["满意", "基本满意", "不满意", "不了解"]

CHILD = r"""
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from bench.bench_import import run_import
out = run_import(Path(sys.argv[2]), int(sys.argv[3]))
# this process's own peak (VmHWM): ru_maxrss would carry the parent's high-water mark across exec
out["max_rss_mib"] = next(int(x.split()[1]) for x in open("/proc/self/status") if x.startswith("VmHWM:")) / 1024
print(json.dumps(out))
"""


def write_csv(path: Path, ballots: int, targets: int = TARGETS) -> None:
    codes = [f"U{i:02d}" for i in range(1, targets + 1)]
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write("batch,ballot_no,voter_group,target_code,choice\n")
        for no in range(1, ballots + 1):
            label = f"B{(no - 1) // 10_000 + 1}"
            for k, code in enumerate(codes):
                choice = OPTIONS[(no * 7 + k * 3) % 4] if (no + k) % 11 else ""
                f.write(f"{label},{no},fw,{code},{choice}\n")


def run_import(tmp: Path, ballots: int) -> dict:
    """Set up a session of 10 targets, import the CSV, then insert the same pass rows with a Core
    executemany into a second pass of the same size (the baseline)."""
    import sqlalchemy as sa

    from assess.appraisal.ballot_import import import_ballots
    from assess.models import PassBallot
    from assess.models.base import random_id

    from .bench_ballot_entry import _setup

    db, clerk, sid, ballots_svc = _setup(tmp / "import.db", targets=TARGETS, voters=ballots * 3)  # present (4/5) covers the import and the baseline pass
    csv_path = tmp / "ballots.csv"
    write_csv(csv_path, ballots)
    # Each timed part starts from a collected heap: a full collection owed by what ran before (the
    # setup, or the import for the baseline) would otherwise land in whichever part crosses the
    # threshold first, and the order of the two would decide the ratio.
    gc.collect()
    t0 = time.perf_counter()
    result = import_ballots(db, clerk, sid, csv_path)
    took = time.perf_counter() - t0
    assert sum(b.ballots for b in result.batches) == ballots
    with db.read() as s:
        rows = s.execute(sa.select(PassBallot.ballot_no, PassBallot.status, PassBallot.marks)).all()
    batch = ballots_svc.create_batch(db, clerk, sid, "fw", "CORE", ballots, ballots)
    ctx = ballots_svc.open_pass(db, clerk, batch)
    gc.collect()
    t0 = time.perf_counter()
    with db._write_engine.begin() as conn:
        conn.execute(
            sa.insert(PassBallot.__table__),
            [{"id": random_id(), "pass_id": ctx.pass_id, "ballot_no": n, "status": st, "marks": m} for n, st, m in rows],
        )
    core = time.perf_counter() - t0
    db.dispose()
    return {"import_s": took, "core_s": core, "ballots": ballots}


def measure(ballots: int = BALLOTS) -> dict:
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as d:
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(root), d, str(ballots)],
            capture_output=True, text=True, timeout=1800, cwd=root,
        )
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> list:
    """Each size run ``RUNS`` times, every run in a fresh process timing the import and then the
    Core baseline on the same disk (paired); min and median of the ratios."""
    rows = []
    for ballots in SIZES:
        runs = [measure(ballots) for _ in range(RUNS)]
        ratios = [m["import_s"] / m["core_s"] for m in runs]
        imp = [m["import_s"] for m in runs]
        core = [m["core_s"] for m in runs]
        rss = max(m["max_rss_mib"] for m in runs)
        print(
            f"import of {ballots:,} ballots × {TARGETS} targets ({ballots * TARGETS:,} CSV lines), {RUNS} runs: "
            f"min {min(imp):.2f} / median {statistics.median(imp):.2f} s; Core executemany of the same rows "
            f"min {min(core):.2f} / median {statistics.median(core):.2f} s; ratio min {min(ratios):.2f}× / median "
            f"{statistics.median(ratios):.2f}×; peak memory {rss:.0f} MiB"
        )
        rows.append((f"{ballots:,} ballots × {TARGETS} targets CSV import / Core executemany (median of {RUNS})",
                     statistics.median(ratios), RATIO_BUDGET, "×",
                     ("Core executemany, s", statistics.median(core), statistics.median(imp))))
        rows.append((f"{ballots:,} ballots × {TARGETS} targets CSV import, peak memory", rss, MEMORY_BUDGET_MIB, "MiB"))
    return rows


if __name__ == "__main__":
    main()
