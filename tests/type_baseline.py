"""mypy against its checked-in baseline (``mypy-baseline.txt``), which may only shrink.

    python -m tests.type_baseline            check: fails on an error not in the baseline, and on a
                                             baseline entry that no longer occurs (shrink it)
    python -m tests.type_baseline --update   write the baseline from the current errors

Entries are kept without line numbers (``path: [code] message``, with a count), so editing a file
does not disturb the entries of the lines it did not touch. ``./dev test`` runs the check.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "mypy-baseline.txt"
LINE = re.compile(r"^(?P<path>[^:]+):\d+: error: (?P<msg>.*?)\s+\[(?P<code>[a-z-]+)\]$")


def run_mypy(*args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary", "--hide-error-context", "--no-pretty", *args],
        capture_output=True, text=True, cwd=ROOT,
    )
    if out.returncode not in (0, 1):
        raise SystemExit(f"mypy 未能运行：\n{out.stdout}{out.stderr}")
    return out.stdout


def errors(text: str) -> Counter[str]:
    found: Counter[str] = Counter()
    for line in text.splitlines():
        m = LINE.match(line.strip())
        if m:
            found[f"{m['path']}: [{m['code']}] {m['msg']}"] += 1
    return found


def read_baseline(path: Path = BASELINE) -> Counter[str]:
    found: Counter[str] = Counter()
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                count, _, entry = line.partition("× ")
                found[entry] += int(count)
    return found


def write_baseline(found: Counter[str], path: Path = BASELINE) -> None:
    lines = ["# mypy errors still to fix (python -m tests.type_baseline --update); this list may only shrink."]
    lines += [f"{n}× {entry}" for entry, n in sorted(found.items())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def compare(current: Counter[str], baseline: Counter[str]) -> tuple[list[str], list[str]]:
    """(new errors, baseline entries that no longer occur)."""
    new = [f"{current[e] - baseline[e]}× {e}" for e in sorted(current) if current[e] > baseline[e]]
    gone = [f"{baseline[e] - current[e]}× {e}" for e in sorted(baseline) if baseline[e] > current[e]]
    return new, gone


def main(argv: list[str]) -> int:
    current = errors(run_mypy())
    if "--update" in argv:
        before = sum(read_baseline().values())
        write_baseline(current)
        print(f"mypy 基线：{before} → {sum(current.values())} 条")
        return 0
    new, gone = compare(current, read_baseline())
    if new:
        print("mypy 报告了基线中没有的错误（请修正，基线只能减少）：\n  " + "\n  ".join(new))
    if gone:
        print(
            "这些错误已不再出现，请缩小基线（python -m tests.type_baseline --update）：\n  " + "\n  ".join(gone)
        )
    if not new and not gone:
        print(f"mypy：{sum(current.values())} 条，与基线一致")
    return 1 if new or gone else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
