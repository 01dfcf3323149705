"""Ballot entry: keystroke to screen (budget 16 ms) and a ballot's durable commit (budget 20 ms).

Commit: ``assess.appraisal.entry.store_ballot`` on a SQLite file (WAL, ``synchronous=FULL``), one write
transaction per ballot of 60 targets, as the entry screen does; median and 95th percentile.

Keystroke to screen: the real application, headless at 80×24, logged in as a clerk on the entry
screen of a 60-target ballot. Each key event is posted as the terminal driver posts it; the time
runs until the application hands the repainted screen to the terminal (the compositor update
rendered to terminal bytes). Ballots are stored with Enter while the next one is keyed, so the
figures include the commits running in the background. Keys come every 50 ms (20 keys per
second, far faster than a clerk's 3): Textual paints at most once per 1/60 s frame, so keys sent
back to back would measure that frame clock rather than the work a key causes; the bench also
reports that back-to-back figure.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import tempfile
import time
from pathlib import Path

KEY_BUDGET_MS = 16.0
COMMIT_BUDGET_MS = 20.0
TARGETS = 60
COMMIT_BALLOTS = 300
KEY_BALLOTS = 6
KEY_INTERVAL_S = 0.05
PASSWORD = "bench-password-1"
full_gc: list[float] = []  # durations (ms) of the full collections during the last keying run


# The benchmark's scheme as a scheme file: one indicator and one 民主评议 form (满意 at most 20).
SCHEME = """\
code = "bench"
name = "基准方案"
categories = ["政府部门"]
weights = { indicators = 70, appraisal = 30 }
appraisal_form = "mzpy"
basis = "example"
reason = "基准测试用方案，各项数值均为示例"

[[bands]]
grade = "合格"
min = 0
max = 100
include_max = true

[[indicators]]
code = "A"
name = "公开"
method = "points"
max = 100

[[forms]]
code = "mzpy"
kind = "unit"
name = "民主评议表"
options = [
  { label = "满意", points = 100, satisfied = true },
  { label = "基本满意", points = 70, satisfied = true },
  { label = "不满意", points = 30 },
  { label = "不了解" },
]
voter_groups = [{ code = "fw", name = "服务对象", weight = 1 }]
limited_option = "满意"
max_limited = 20
"""


def _setup(path: Path, targets: int = TARGETS, voters: int = 500):
    from assess.appraisal import entry as ballots
    from assess.demo import builders

    db = builders.migrated(f"sqlite:///{path}")
    acts = builders.users(db, PASSWORD, [("clerk", "clerk")])
    admin, clerk = acts["admin"], acts["clerk"]
    codes = builders.numbered_units(db, admin, targets)
    version_id = builders.scheme(db, admin, SCHEME, "bench.toml")
    rid = builders.round_(db, admin, version_id, "基准轮次", "2026", codes)
    sid = builders.session(
        db, clerk, rid, "unit", "基准评议会", codes, expected=voters, present=voters * 4 // 5
    )
    return db, clerk, sid, ballots


def _marks(i: int) -> str:
    return "".join("1234"[(i * 7 + k * 3) % 4] for k in range(TARGETS))


def bench_commit(tmp: Path) -> list[float]:
    db, clerk, sid, ballots = _setup(tmp / "commit.db")
    batch = ballots.create_batch(db, clerk, sid, "fw", "B1", COMMIT_BALLOTS, COMMIT_BALLOTS)
    ctx = ballots.open_pass(db, clerk, batch)
    times = []
    for no in range(1, COMMIT_BALLOTS + 1):
        t0 = time.perf_counter()
        ballots.store_ballot(db, clerk, ctx.pass_id, no, _marks(no))
        times.append((time.perf_counter() - t0) * 1000)
    db.dispose()
    return times


async def _keystrokes(tmp: Path, interval: float = KEY_INTERVAL_S) -> tuple[list[float], list[float]]:
    from textual import events
    from textual._compositor import CompositorUpdate

    from tui.app import AssessApp

    tmp.mkdir(parents=True, exist_ok=True)
    db, clerk, sid, ballots = _setup(tmp / "keys.db", voters=1000)  # present (4/5) covers the 500-ballot batch
    ballots.create_batch(db, clerk, sid, "fw", "B1", 500, 500)
    app = AssessApp(db.url, idle_minutes=0, db=db)
    painted: list[tuple[float, float]] = []
    started: list[float] = []

    def on_gc(phase: str, info: dict) -> None:  # full (generation 2) collections while keying
        if info.get("generation") != 2:
            return
        if phase == "start":
            started[:] = [time.perf_counter()]
        elif started:
            full_gc.append((time.perf_counter() - started[0]) * 1000)

    async with app.run_test(size=(80, 24)) as pilot:

        async def press(*keys: str) -> None:
            for k in keys:
                await pilot.press(k)
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()

        await press()
        await press(*"clerk", "enter", *PASSWORD, "enter")
        await press("f6")
        await press("enter")
        await press("e")
        if type(app.screen).__name__ != "BallotEntryScreen":
            raise RuntimeError(f"entry screen did not open: {type(app.screen).__name__}")

        original = app._display

        def display(screen, renderable) -> None:
            if renderable is not None:
                if isinstance(renderable, CompositorUpdate):
                    renderable.render_segments(app.console)  # the bytes a terminal would get
                painted.append((time.perf_counter(), time.process_time()))
            original(screen, renderable)

        app._display = display
        driver = app._driver
        full_gc.clear()
        gc.callbacks.append(on_gc)
        times: list[float] = []
        cpu: list[float] = []
        keys: list[str] = []
        for b in range(KEY_BALLOTS):
            keys += [*_marks(b), "enter"]
        for key in keys:
            await asyncio.sleep(interval)
            painted.clear()
            event = events.Key(key, key if len(key) == 1 else None)
            event.set_sender(app)
            c0 = time.process_time()
            t0 = time.perf_counter()
            driver.send_message(event)
            deadline = t0 + 2.0
            while not painted and time.perf_counter() < deadline:
                await asyncio.sleep(0.0002)
            if not painted:
                raise RuntimeError(f"no repaint after key {key!r}")
            times.append((painted[0][0] - t0) * 1000)
            cpu.append((painted[0][1] - c0) * 1000)
        await app.workers.wait_for_complete()
        gc.callbacks.remove(on_gc)
        counts = app.screen.ctx.counts
        if counts.entered != KEY_BALLOTS:
            raise RuntimeError(f"expected {KEY_BALLOTS} stored ballots, screen says {counts.entered}")
    db.dispose()
    return times, cpu


def raw_commit_baseline(tmp: Path, n: int = 300) -> list[float]:
    """The floor under any ballot commit on this disk right now: the plain sqlite3 module
    committing one 60-character row per transaction (WAL, synchronous=FULL)."""
    import sqlite3

    conn = sqlite3.connect(tmp / "raw.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, marks TEXT)")
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t (marks) VALUES (?)", (_marks(i),))
        conn.execute("COMMIT")
        times.append((time.perf_counter() - t0) * 1000)
    conn.close()
    return times


def _p95(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=20)[-1]


def main() -> list[tuple[str, float, float, str]]:
    import os

    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        raw = raw_commit_baseline(tmp)
        commits = bench_commit(tmp)
        keys, cpu = asyncio.run(_keystrokes(tmp))
        keying_gc = list(full_gc)
        burst, _cpu = asyncio.run(_keystrokes(tmp / "burst", interval=0.0))
    rm = statistics.median(raw)
    cm, cp = statistics.median(commits), _p95(commits)
    km, kp = statistics.median(keys), _p95(keys)
    um, up = statistics.median(cpu), _p95(cpu)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"machine load average {load:.2f} on {os.cpu_count()} CPUs; plain sqlite3 commit on this disk: median {rm:.2f} ms"
    )
    print(
        f"ballot commit (60 targets, SQLite WAL synchronous=FULL, {len(commits)} ballots): "
        f"median {cm:.2f} ms ({cm / rm:.1f}× the plain commit), p95 {cp:.2f} ms, max {max(commits):.2f} ms; "
        f"budget {COMMIT_BUDGET_MS} ms"
    )
    print(
        f"keystroke to screen (80×24, 60 targets, {len(keys)} keys incl. {KEY_BALLOTS} Enter with commits in a worker): "
        f"one key per {KEY_INTERVAL_S * 1000:.0f} ms: median {km:.2f} ms, p95 {kp:.2f} ms, max {max(keys):.2f} ms; "
        f"budget {KEY_BUDGET_MS} ms"
    )
    print(
        f"keys sent back to back (bounded by the 1/60 s frame): median {statistics.median(burst):.2f} ms, "
        f"p95 {_p95(burst):.2f} ms"
    )
    print(f"CPU time per keystroke (all threads, until the repaint): median {um:.2f} ms, p95 {up:.2f} ms, "
          f"max {max(cpu):.2f} ms")
    worst = max(range(len(keys)), key=keys.__getitem__)
    print(f"the worst keystroke: {keys[worst]:.2f} ms to the screen, of which {cpu[worst]:.2f} ms CPU of this process "
          f"(the rest waiting for a CPU: load average {load:.2f} on {os.cpu_count()} CPUs)")
    print(
        f"worst keystroke {max(keys):.2f} ms; full collections while keying: {len(keying_gc)}"
        + (f", longest {max(keying_gc):.2f} ms" if keying_gc else "")
    )
    return [
        ("ballot commit median", cm, COMMIT_BUDGET_MS, "ms", ("plain sqlite3 commit, ms", rm, cm)),
        ("ballot commit p95", cp, COMMIT_BUDGET_MS, "ms"),
        ("keystroke to screen median", km, KEY_BUDGET_MS, "ms"),
        ("keystroke to screen p95", kp, KEY_BUDGET_MS, "ms"),
        ("worst keystroke to screen", max(keys), KEY_BUDGET_MS, "ms",
         ("keys back to back (frame clock), median ms", statistics.median(burst), max(keys))),
        ("keystroke CPU time median", um, KEY_BUDGET_MS, "ms"),
    ]


if __name__ == "__main__":
    main()
