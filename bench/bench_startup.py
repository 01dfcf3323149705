"""Time from ``assess`` to the first screen (budget 1.5 s), and whole read-only commands on the demo
database against the ``python -c "import sqlalchemy"`` baseline measured in the same run:
``assess rank --format csv`` (≤ 2×) and ``assess audit verify`` (≤ 2.5×).

Starts a fresh interpreter that runs the real application headless (the same ``AssessApp`` that
``assess`` opens, on a real SQLite file) and reports the time from interpreter start until the first
screen (the login screen) has been painted, median of several runs.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUDGET_S = 1.5
RUNS = 5

PROBE = r"""
import sys, time
from assess.cli import main as _cli_entry  # the console script's module, as `assess` loads it
from tui.app import AssessApp

class Probe(AssessApp):
    def on_mount(self):
        super().on_mount()
        self.call_after_refresh(self._painted)

    def _painted(self):
        sys.stderr.write("painted\n")
        self.exit()

Probe(sys.argv[1]).run(headless=True)
"""


def installed_env() -> dict[str, str]:
    """The environment of a timed run, as on an installed system: the project's bytecode compiled
    first (pip compiles the libraries' at install, so the baseline has theirs) and bytecode written
    when missing, even where PYTHONDONTWRITEBYTECODE is set."""
    root = Path(__file__).resolve().parent.parent
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(root / "assess"), str(root / "tui")],
                   check=True, capture_output=True, timeout=600)
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_once(probe: Path, url: str, env: dict[str, str] | None = None) -> float:
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, str(probe), url], capture_output=True, text=True, timeout=60,
                         cwd=Path(__file__).resolve().parent.parent, env=env)
    elapsed = time.perf_counter() - t0
    if "painted" not in out.stderr:
        raise RuntimeError(f"probe did not paint: {out.stderr[-2000:]}")
    return elapsed


COMMAND_RUNS = 5
# The write command has no ratio goal (the goal is fewer password checks: bulk forms, ``assess
# run``); its budget is the time one check and one commit may take.
COMMAND_BUDGETS = {"rank": 2.0, "audit verify": 2.5, "selfcheck submit": 6.0}


def _wall(argv: list[str], env: dict | None = None) -> float:
    t0 = time.perf_counter()
    out = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parent.parent,
                         env=env)
    elapsed = time.perf_counter() - t0
    if out.returncode:
        raise RuntimeError(f"{argv} failed: {out.stderr[-2000:]}")
    return elapsed


def commands() -> list[tuple[str, float, float, str]]:
    """Read-only commands on the demo database, interleaved with the baseline so that both see
    the same machine load; min and median of each."""
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "demo.db")
        subprocess.run([sys.executable, "-m", "assess", "demo", "--db", db, "--no-tui"], check=True,
                       capture_output=True, timeout=600, cwd=Path(__file__).resolve().parent.parent)
        assess = [sys.executable, "-m", "assess"]
        # A write command with its password check: the demo's open round, one unit taken back and
        # submitted again in turn (each run leaves the database as it found it).
        write = ["--round", "2026-Q4", "--unit", "DQ01", "--user", "clerk1", "--db", db]
        runs = {
            "import sqlalchemy": [sys.executable, "-c", "import sqlalchemy"],
            "rank": [*assess, "rank", "--round", "2026-Q3", "--format", "csv", "--db", db],
            "audit verify": [*assess, "audit", "verify", "--db", db],
            "selfcheck reopen": [*assess, "selfcheck", "reopen", "--reason", "基准", *write],
            "selfcheck submit": [*assess, "selfcheck", "submit", *write],
        }
        from assess.demo.office import DEMO_PASSWORD

        env = {**installed_env(), "ASSESS_PASSWORD": DEMO_PASSWORD}
        for argv in runs.values():
            _wall(argv, env)  # warm the OS file cache
        times: dict[str, list[float]] = {k: [] for k in runs}
        for _ in range(COMMAND_RUNS):
            for k, argv in runs.items():
                times[k].append(_wall(argv, env))
    base_min, base_med = min(times["import sqlalchemy"]), statistics.median(times["import sqlalchemy"])
    print(f"python -c 'import sqlalchemy': min {base_min:.2f} s, median {base_med:.2f} s")
    rows = []
    for k, budget in COMMAND_BUDGETS.items():
        lo, med = min(times[k]), statistics.median(times[k])
        print(
            f"assess {k} (demo database): min {lo:.2f} s, median {med:.2f} s; "
            f"{lo / base_min:.2f}× the baseline (min), {med / base_med:.2f}× (median)"
        )
        rows.append((f"assess {k} / import sqlalchemy (min of {COMMAND_RUNS})", lo / base_min, budget, "×",
                     ("import sqlalchemy", base_min, lo)))
    return rows


def main() -> list[tuple[str, float, float, str]]:
    from assess.foundation.db import Database

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        db = Database(f"sqlite:///{path}")
        db.upgrade(backup=False)
        db.dispose()
        url = f"sqlite:///{path}"
        probe = Path(tmp) / "probe.py"
        probe.write_text(PROBE, encoding="utf-8")
        env = installed_env()
        run_once(probe, url, env)  # warm the OS file cache
        times = [run_once(probe, url, env) for _ in range(RUNS)]
    med = statistics.median(times)
    print(f"assess → first screen: median {med:.3f} s over {RUNS} runs (min {min(times):.3f}, max {max(times):.3f}); budget {BUDGET_S} s")
    return [("startup to first screen", med, BUDGET_S, "s"), *commands()]


if __name__ == "__main__":
    main()
