"""Concurrent clerks: six processes each key 300 ballots (each clerk their own batch and pass)
into the same database at once — a SQLite file, then PostgreSQL — through the real service
(``assess.appraisal.entry.store_ballot``, one durable transaction per ballot).

Each worker process opens its pass, says it is ready and waits until every worker is ready; then
all start together. Every ``store_ballot`` call is timed as the clerk feels it (waiting for the
write lock included). Afterwards: every ballot stored (clerks × ballots rows, each pass exactly
its own), the passes' counts equal to the rows, the audit chain intact, and no error of any kind
reached a clerk (a "database is locked" would be one). Reported: p50, p99 and max commit time and
ballots per second. Budgets: no error, every ballot stored; p99 within six times the single-clerk
commit budget (20 ms, docs/architecture.md): with six writers a commit may queue behind five others.

PostgreSQL runs when reachable at ``ASSESS_BENCH_PG`` (default: ``ASSESS_TEST_PG`` or the test
server at 127.0.0.1:5432); a temporary database is created and dropped.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

CLERKS = 6
BALLOTS = 300
P99_BUDGET_MS = 6 * 20.0
REPO = Path(__file__).resolve().parent.parent


# -- the worker process -------------------------------------------------------------------------


def worker(url: str, clerk: str, batch_id: int, n: int, seed: int) -> None:
    import random

    from assess.appraisal.entry import open_pass, store_ballot
    from assess.foundation.db import Database
    from assess.foundation.roles import Actor

    from .reliability_setup import marks_for

    db = Database(url)
    actor = Actor(clerk, "clerk")
    ctx = open_pass(db, actor, batch_id)
    rng = random.Random(seed)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    sys.stdin.readline()  # "go"
    times: list[float] = []
    errors: list[str] = []
    t0 = time.perf_counter()
    for no in range(1, n + 1):
        kind, marks = marks_for(rng, ctx.rules.n_targets)
        start = time.perf_counter()
        try:
            store_ballot(db, actor, ctx.pass_id, no, marks, kind)
        except Exception as e:  # every error here would have reached the clerk
            errors.append(f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
        times.append((time.perf_counter() - start) * 1000)
    wall = time.perf_counter() - t0
    db.dispose()
    sys.stdout.write(
        json.dumps({"pass_id": ctx.pass_id, "times": times, "errors": errors, "wall": wall}) + "\n"
    )
    sys.stdout.flush()


# -- the parent ---------------------------------------------------------------------------------


@dataclass
class Result:
    database: str
    clerks: int
    ballots: int
    stored: int = 0
    errors: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    wall: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors and not self.problems and self.stored == self.clerks * self.ballots

    def percentile(self, q: float) -> float:
        if not self.times:
            return float("nan")
        ordered = sorted(self.times)
        return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]

    def summary(self) -> str:
        rate = self.stored / self.wall if self.wall else 0.0
        return (
            f"{self.database}：{self.clerks} 名录入员 × {self.ballots} 张，已存 {self.stored} 张，"
            f"错误 {len(self.errors)}，核对问题 {len(self.problems)}；每张提交用时 p50 {self.percentile(50):.1f} ms、"
            f"p99 {self.percentile(99):.1f} ms、最长 {max(self.times, default=0):.1f} ms；"
            f"总用时 {self.wall:.1f} 秒（{rate:.0f} 张/秒）"
        )


def measure(url: str, batches: dict[str, int], n: int, database: str = "") -> Result:
    """Run one worker per clerk in ``batches`` (clerk → batch id), ``n`` ballots each, all at once;
    then check the database."""
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    procs = []
    for i, (clerk, batch_id) in enumerate(sorted(batches.items())):
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "bench.bench_concurrency",
                    "worker",
                    url,
                    clerk,
                    str(batch_id),
                    str(n),
                    str(i),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                cwd=REPO,
                env=env,
            )
        )
    result = Result(database or url.split(":", 1)[0], len(batches), n)
    try:
        for p in procs:
            line = p.stdout.readline()
            if line.strip() != "ready":
                raise RuntimeError(f"worker failed to start: {line}{p.stderr.read()[-1000:]}")
        for p in procs:  # all ready: go
            p.stdin.write("go\n")
            p.stdin.flush()
        passes = []
        for p in procs:
            out, err = p.communicate(timeout=600)
            if p.returncode != 0:
                result.errors.append(
                    f"worker exit {p.returncode}: {err.strip().splitlines()[-1:] if err else ''}"
                )
                continue
            data = json.loads(out.strip().splitlines()[-1])
            result.times += data["times"]
            result.errors += data["errors"]
            result.wall = max(result.wall, data["wall"])
            passes.append(data["pass_id"])
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    _check(url, passes, n, result)
    return result


def _check(url: str, passes: list[int], n: int, result: Result) -> None:
    from collections import Counter

    from sqlalchemy import text

    from assess.appraisal.entry import pass_counts
    from assess.foundation import audit
    from assess.foundation.db import Database

    db = Database(url)
    try:
        with db.read() as s:
            conn = s.connection()
            for pass_id in passes:
                rows = conn.execute(
                    text("SELECT ballot_no, status FROM passballot WHERE pass_id = :p"), {"p": pass_id}
                ).all()
                result.stored += len(rows)
                nos = sorted(no for no, _st in rows)
                if nos != list(range(1, n + 1)):
                    result.problems.append(f"遍次 #{pass_id}：存有 {len(nos)} 张，应为 1–{n}")
                by_status = Counter(st for _no, st in rows)
                c = pass_counts(db, pass_id)
                if (c.entered, c.valid, c.void, c.blank) != (
                    len(rows),
                    by_status["valid"],
                    by_status["void"],
                    by_status["blank"],
                ):
                    result.problems.append(f"遍次 #{pass_id}：计数 {c} 与存有的选票不符")
        chain = audit.verify(db)
        if not chain.ok:
            result.problems.append(chain.message())
    finally:
        db.dispose()


def run_sqlite(clerks: int = CLERKS, n: int = BALLOTS) -> Result:
    from .reliability_setup import prepare

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'concurrency.db'}"
        return measure(url, prepare(url, clerks=clerks), n, "SQLite")


def pg_admin_url() -> str:
    return os.environ.get(
        "ASSESS_BENCH_PG",
        os.environ.get("ASSESS_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
    )


def run_postgresql(clerks: int = CLERKS, n: int = BALLOTS) -> Result | None:
    import psycopg

    from .reliability_setup import prepare

    admin = pg_admin_url().replace("postgresql+psycopg://", "postgresql://")
    name = f"assess_bench_conc_{os.getpid()}"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as e:
        print(f"PostgreSQL 不可达，跳过：{str(e).strip().splitlines()[0]}")
        return None
    url = pg_admin_url().rsplit("/", 1)[0] + f"/{name}"
    try:
        return measure(url, prepare(url, clerks=clerks), n, "PostgreSQL")
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> list[tuple[str, float, float, str]]:
    rows = []
    for result in (run_sqlite(), run_postgresql()):
        if result is None:
            continue
        print(result.summary(), flush=True)
        for e in result.errors[:5] + result.problems[:5]:
            print(f"  {e}")
        db = result.database
        rows.append(
            (f"{db} errors or lost ballots", float(len(result.errors) + len(result.problems)), 0.0, "count")
        )
        rows.append(
            (f"{db} p99 commit, {result.clerks} clerks at once", result.percentile(99), P99_BUDGET_MS, "ms")
        )
    return rows


if __name__ == "__main__":  # pragma: no cover - worker processes
    if len(sys.argv) == 7 and sys.argv[1] == "worker":
        worker(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]))
    else:
        main()
