"""Crash safety (see ``bench/crash_harness.py``): 100 SIGKILLs of a clerk's ballot-entry process
at random moments on one SQLite file; after each, integrity check, every reported ballot exactly
present, nothing partial, the pass's counts equal to the stored rows. Budget: zero failures.

``python -m bench crash`` runs this alone; ``ASSESS_CRASH_TRIALS`` changes the number of kills.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

TRIALS = int(os.environ.get("ASSESS_CRASH_TRIALS", "100"))


def main() -> list[tuple[str, float, float, str]]:
    from .crash_harness import run

    def progress(i, figures, new_failures):
        for f in new_failures:
            print(f"  第 {i} 次：{f}", flush=True)
        if i % 10 == 0:
            print(f"  {i}/{TRIALS} 次，已报告保存 {figures.reported} 次", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        figures = run(Path(tmp) / "crash.db", TRIALS, seed=2026, progress=progress)
    print(figures.summary())
    return [("failed kill trials", float(len(figures.failures)), 0.0, f"of {figures.trials}")]


if __name__ == "__main__":
    main()
