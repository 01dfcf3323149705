"""Running code in a fresh interpreter, to see which modules a code path loads (issue 17, point 4:
a read-only command loads neither the table classes, pydantic, the ORM nor pandas)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What a read-only path must not load: pandas, the ORM and everything the table classes bring.
HEAVY = ("pandas", "sqlmodel", "pydantic", "sqlalchemy.orm", "assess.models.rounds")


def run_fresh(code: str, *argv: str) -> str:
    """The standard output of ``python -c code argv…`` in the project's root; the run must succeed."""
    out = subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return out.stdout
