"""Crash safety of ballot entry: a clerk's process is killed with SIGKILL at a random moment, again
and again, and after every kill the database must hold every ballot the process had reported as
stored, exactly, and nothing partial.

The child (``python -m bench.crash_harness child URL BATCH SEED [CLERK]``) enters ballots through the real
service: ``assess.appraisal.entry.open_pass`` continues the clerk's pass, then for each ballot it prints
``T no status marks`` (about to store), calls ``store_ballot`` and prints ``S no status marks``
right after it returned — that is, after the durable commit (WAL, ``synchronous=FULL``). Now and
then it re-keys a ballot it stored before with other marks, as a clerk correcting a ballot does.

The parent kills the child at a random moment (usually while it is storing: that is where the
time goes) and checks, with the child dead:

- ``PRAGMA integrity_check`` is ``ok``, the audit chain verifies;
- every ballot reported ``S`` is present with exactly its status and marks (a ballot whose ``T``
  line had no ``S`` — the one in flight at the kill — may hold either its old or its new value,
  never anything else);
- no other ballot exists, none is partial: every ballot has one mark per target and the status
  its marks give;
- the pass's running counts (``assess.appraisal.entry.pass_counts``, what the entry screen shows) equal
  the stored rows per status.

``run(trials, …)`` runs the whole series on one SQLite file (each trial continues the same pass,
as a clerk does after the machine came back) and returns the figures. The default test suite runs
a few trials; ``pytest -m slow`` and ``./dev bench`` (``bench/bench_crash.py``) run 100 or more.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CLERK = "clerk1"


# -- the child ------------------------------------------------------------------------------------


def child(url: str, batch_id: int, seed: int, clerk: str = CLERK) -> None:
    from assess.appraisal.entry import open_pass, store_ballot
    from assess.appraisal.marks import normalise
    from assess.foundation.db import Database
    from assess.foundation.roles import Actor

    from .reliability_setup import marks_for

    out = sys.stdout
    db = Database(url)
    actor = Actor(clerk, "clerk")
    ctx = open_pass(db, actor, batch_id)
    rng = random.Random(seed)
    stored = sorted(ctx.ballots)
    no = (stored[-1] if stored else 0) + 1
    out.write(f"ready {ctx.pass_id}\n")
    out.flush()
    while True:
        kind, marks = marks_for(rng, ctx.rules.n_targets)
        if stored and rng.random() < 0.1:
            target = rng.choice(stored)  # re-key an earlier ballot
        else:
            target, no = no, no + 1
            stored.append(target)
        status, norm = normalise(ctx.rules, marks, kind)
        out.write(f"T {target} {status} {norm}\n")
        out.flush()
        r = store_ballot(db, actor, ctx.pass_id, target, marks, kind)
        out.write(f"S {target} {r.status} {r.marks}\n")
        out.flush()


# -- the parent -----------------------------------------------------------------------------------


@dataclass
class Figures:
    trials: int = 0
    reported: int = 0  # ballots (and re-keyings) reported stored, over all trials
    in_flight: int = 0  # kills that caught a ballot between "about to store" and "stored"
    in_flight_committed: int = 0  # … whose new value was nevertheless durable
    ballots: int = 0  # distinct ballots in the pass at the end
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"{self.trials} 次强制终止（SIGKILL），报告已保存 {self.reported} 次，最终 {self.ballots} 张选票；"
            f"终止时正在保存 {self.in_flight} 次（其中 {self.in_flight_committed} 次已落盘）；"
            f"失败 {len(self.failures)} 次；用时 {self.seconds:.0f} 秒"
        )


def read_lines(stream, lines: list[str]) -> None:
    for line in iter(stream.readline, ""):
        lines.append(line.rstrip("\n"))


def spawn(url: str, batch_id: int, seed: int, clerk: str = CLERK) -> subprocess.Popen:
    """Start a child keying ballots into ``batch_id`` as ``clerk`` until it is killed."""
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.Popen(
        [sys.executable, "-m", "bench.crash_harness", "child", url, str(batch_id), str(seed), clerk],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=env,
    )


def trial(
    url: str,
    batch_id: int,
    rng: random.Random,
    expected: dict[int, tuple[str, str]],
    figures: Figures,
    max_delay: float = 0.4,
) -> None:
    """One child run and kill, then every check; updates ``expected`` (ballot → status, marks)."""
    proc = spawn(url, batch_id, rng.randrange(2**31))
    lines: list[str] = []
    reader = threading.Thread(target=read_lines, args=(proc.stdout, lines), daemon=True)
    reader.start()
    deadline = time.monotonic() + 60
    while not any(line.startswith("ready") for line in lines):
        if proc.poll() is not None or time.monotonic() > deadline:
            reader.join(5)
            figures.failures.append(f"子进程未就绪：{proc.stderr.read()[-500:]}")
            return
        time.sleep(0.005)
    time.sleep(rng.uniform(0, max_delay))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    reader.join(5)
    proc.stderr.close()
    figures.trials += 1
    pass_id = int(next(line for line in lines if line.startswith("ready")).split()[1])
    pending: tuple[int, str, str] | None = None
    for line in lines:
        if not line or line.startswith("ready"):
            continue
        parts = line.split(" ")
        if len(parts) != 4:  # a line cut by the kill: never a stored ballot ("S" lines are whole)
            continue
        tag, no, status, marks = parts[0], int(parts[1]), parts[2], parts[3]
        if tag == "T":
            pending = (no, status, marks)
        elif tag == "S":
            expected[no] = (status, marks)
            figures.reported += 1
            pending = None
    figures.failures += check(url, pass_id, expected, pending, figures)


def check(
    url: str, pass_id: int, expected: dict[int, tuple[str, str]], pending, figures: Figures
) -> list[str]:
    """Every check of the module docstring, on the database as the kill left it."""
    import sqlite3

    from assess.appraisal.entry import pass_counts
    from assess.appraisal.marks import normalise, session_rules
    from assess.foundation import audit
    from assess.foundation.db import Database

    problems: list[str] = []
    db = Database(url)
    try:
        path = db.path
        con = sqlite3.connect(path)
        try:
            integrity = con.execute("PRAGMA integrity_check").fetchall()
        finally:
            con.close()
        if integrity != [("ok",)]:
            problems.append(f"integrity_check: {integrity}")
        with db.read() as s:
            rows = {
                no: (st, mk)
                for no, st, mk in s.connection().exec_driver_sql(
                    "SELECT ballot_no, status, marks FROM passballot WHERE pass_id = ?", (pass_id,)
                )
            }
            session_id = (
                s.connection()
                .exec_driver_sql(
                    "SELECT bb.session_id FROM entrypass ep JOIN ballotbatch bb ON bb.id = ep.batch_id WHERE ep.id = ?",
                    (pass_id,),
                )
                .scalar()
            )
            rules = session_rules(s, session_id)
        if pending is not None:
            figures.in_flight += 1
            no, status, marks = pending
            if rows.get(no) == (status, marks):
                figures.in_flight_committed += 1
                expected[no] = (status, marks)  # committed before the kill, not yet reported
        for no, want in expected.items():
            got = rows.get(no)
            if got != want:
                problems.append(f"票号 {no}：报告已保存为 {want}，库中为 {got}")
        extra = sorted(set(rows) - set(expected))
        if extra:
            problems.append(f"库中有未报告、也不在保存中的选票：{extra[:10]}")
        for no, (status, marks) in rows.items():
            if len(marks) != rules.n_targets:
                problems.append(f"票号 {no} 不完整：{len(marks)} 项标记，应为 {rules.n_targets}")
                continue
            derived = normalise(rules, marks)[0]
            if status != derived and not (status == "void" and derived == "blank"):
                problems.append(f"票号 {no} 状态 {status} 与标记 {marks} 不符")
        c = pass_counts(db, pass_id)
        by_status = Counter(st for st, _mk in rows.values())
        if (c.entered, c.valid, c.void, c.blank) != (
            len(rows),
            by_status["valid"],
            by_status["void"],
            by_status["blank"],
        ):
            problems.append(f"本遍计数 {c} 与库中选票 {dict(by_status)} 不符")
        chain = audit.verify(db)
        if not chain.ok:
            problems.append(chain.message())
        figures.ballots = len(rows)
    finally:
        db.dispose()
    return problems


def run(path: Path, trials: int, seed: int = 1, max_delay: float = 0.4, progress=None) -> Figures:
    """``trials`` kills of one clerk's entry process on a new SQLite file at ``path``."""
    from .reliability_setup import prepare

    url = f"sqlite:///{path}"
    batch_id = prepare(url, clerks=1)[CLERK]
    rng = random.Random(seed)
    expected: dict[int, tuple[str, str]] = {}
    figures = Figures()
    t0 = time.monotonic()
    for i in range(trials):
        before = len(figures.failures)
        trial(url, batch_id, rng, expected, figures, max_delay)
        if progress is not None:
            progress(i + 1, figures, figures.failures[before:])
    figures.seconds = time.monotonic() - t0
    return figures


if __name__ == "__main__":  # pragma: no cover - the child process
    if len(sys.argv) in (5, 6) and sys.argv[1] == "child":
        child(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), *sys.argv[5:])
    else:
        print("用法：python -m bench.crash_harness child URL BATCH SEED [CLERK]", file=sys.stderr)
        sys.exit(2)
