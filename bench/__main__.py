"""Run every benchmark (or the ones named on the command line) and print a summary."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    if argv:
        names = [n for n in names if any(a in n for a in argv)]
    failures = 0
    rows = []
    for name in names:
        print(f"== {name}", flush=True)
        module = importlib.import_module(f"bench.{name}")
        for label, value, budget, unit in module.main() or []:
            ok = value <= budget
            failures += not ok
            rows.append((name, label, value, budget, unit, ok))
    print("\n== summary")
    for name, label, value, budget, unit, ok in rows:
        share = f"{value / budget:.0%}" if budget else ("ok" if ok else "over")  # a budget of 0: none allowed
        print(
            f"{'OK  ' if ok else 'OVER'} {name}: {label} = {value:.3f} {unit} (budget {budget} {unit}, {share})"
        )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
