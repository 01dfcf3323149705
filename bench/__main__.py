"""Run every benchmark (or the ones named on the command line) and print a summary.

A module's ``main()`` returns rows ``(label, value, budget, unit)``; a row measured against a
baseline in the same run adds ``(baseline label, baseline figure, figure)`` (figures in seconds or
milliseconds as the label says), and those rows are printed again at the end as one table: what,
now, baseline, ratio, goal. ``ASSESS_BENCH_QUICK=1`` runs every benchmark at reduced sizes.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def _figure(x: float) -> str:
    return f"{x:.3f}" if x < 10 else f"{x:.1f}"


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
        for label, value, budget, unit, *paired in module.main() or []:
            ok = value <= budget
            failures += not ok
            rows.append((name, label, value, budget, unit, ok, paired[0] if paired else None))
    print("\n== summary")
    for name, label, value, budget, unit, ok, _paired in rows:
        share = f"{value / budget:.0%}" if budget else ("ok" if ok else "over")  # a budget of 0: none allowed
        print(
            f"{'OK  ' if ok else 'OVER'} {name}: {label} = {value:.3f} {unit} (budget {budget} {unit}, {share})"
        )
    table = [r for r in rows if r[6] is not None]
    if table:
        print("\n== against baselines measured in the same run")
        print("| what | now | baseline, same run | ratio | goal |")
        print("|---|---|---|---|---|")
        for _name, label, value, budget, unit, ok, (base_label, base, now) in table:
            ratio = f"{value:.2f}×" if unit == "×" else (f"{now / base:.2f}×" if base else "—")
            goal = f"≤ {budget:g} {unit}".replace(" ×", "×")
            print(f"| {label} | {_figure(now)} | {base_label} {_figure(base)} | {ratio} | {goal}{'' if ok else ' (over)'} |")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
