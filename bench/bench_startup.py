"""Time from ``assess`` to the first screen (budget 1.5 s).

Starts a fresh interpreter that runs the real application headless (the same ``AssessApp`` that
``assess`` opens, on a real SQLite file) and reports the time from interpreter start until the first
screen (the login screen) has been painted, median of several runs.
"""

from __future__ import annotations

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
from screens.app import AssessApp

class Probe(AssessApp):
    def on_mount(self):
        super().on_mount()
        self.call_after_refresh(self._painted)

    def _painted(self):
        sys.stderr.write("painted\n")
        self.exit()

Probe(sys.argv[1]).run(headless=True)
"""


def run_once(probe: Path, url: str) -> float:
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, str(probe), url], capture_output=True, text=True, timeout=60,
                         cwd=Path(__file__).resolve().parent.parent)
    elapsed = time.perf_counter() - t0
    if "painted" not in out.stderr:
        raise RuntimeError(f"probe did not paint: {out.stderr[-2000:]}")
    return elapsed


def main() -> list[tuple[str, float, float, str]]:
    from assess.db import Database

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        db = Database(f"sqlite:///{path}")
        db.upgrade(backup=False)
        db.dispose()
        url = f"sqlite:///{path}"
        probe = Path(tmp) / "probe.py"
        probe.write_text(PROBE, encoding="utf-8")
        run_once(probe, url)  # warm the OS file cache (bytecode compiled)
        times = [run_once(probe, url) for _ in range(RUNS)]
    med = statistics.median(times)
    print(f"assess → first screen: median {med:.3f} s over {RUNS} runs (min {min(times):.3f}, max {max(times):.3f}); budget {BUDGET_S} s")
    return [("startup to first screen", med, BUDGET_S, "s")]


if __name__ == "__main__":
    main()
