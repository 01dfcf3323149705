"""Rounds at full size on SQLite: 200 units × 100 indicators.

- importing a 20,000-row self-check file (validated row by row, stored in one upsert);
- completeness of every unit;
- the RFC 3797 draw of 20 units from the pool of 200, and repeating it (verify);
- the self-check / verified comparison (虚报) for the 20 drawn units (2,000 indicator rows).

Budgets are ours (docs/architecture.md sets none for these): an import a clerk waits for, views that open
at once.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from assess.rounds import verified
from assess.workflow import advance as workflow

UNITS = 200
GROUPS, LEAVES = 10, 10
DRAWN = 20
BUDGETS = {
    "import": 5.0,
    "completeness": 1.0,
    "draw": 1.0,
    "verify": 1.0,
    "import_verified": 2.0,
    "compare": 1.5,
    "compare_again": 0.5,
}


def _scheme() -> dict:
    methods = ["points", "deduct", "ratio", "bonus", "points"]
    return {
        "code": "bench",
        "name": "基准方案",
        "categories": ["政府部门", "乡镇街道"],
        "indicators": [
            {
                "code": f"G{g}",
                "name": f"分组{g}",
                "children": [
                    {"code": f"G{g}L{k}", "name": f"指标{g}-{k}", "method": methods[k % 5], "max": 5}
                    for k in range(LEAVES)
                ],
            }
            for g in range(GROUPS)
        ],
        "weights": {"indicators": 100},
        "bands": [{"grade": "合格", "min": 0, "max": 100, "include_max": True}],
        "spotcheck": {"sample_size": DRAWN, "tolerance": 0.5},
    }


def main() -> list[tuple[str, float, float, str]]:
    from sqlalchemy import insert

    from assess.demo import builders
    from assess.foundation.roles import Actor
    from assess.models import RoundUnit, Unit
    from assess.models.base import utcnow
    from assess.rounds import selfcheck, spotcheck

    admin, clerk, inspector = (
        Actor("admin", "admin"),
        Actor("clerk", "clerk"),
        Actor("inspector", "inspector"),
    )
    tmp = Path(tempfile.mkdtemp())
    db = builders.migrated(f"sqlite:///{tmp / 'bench.db'}")
    codes = [f"U{i:03d}" for i in range(1, UNITS + 1)]
    with db.write() as s:
        s.execute(
            insert(Unit),
            [
                {
                    "code": c,
                    "name": f"单位{c}",
                    "category": "政府部门" if i % 3 else "乡镇街道",
                    "active": True,
                    "created_at": utcnow(),
                }
                for i, c in enumerate(codes)
            ],
        )
    version_id = builders.scheme(db, admin, _scheme(), "bench.toml")
    rid = builders.round_(db, admin, version_id, "基准轮次", "2026-Q3")
    workflow.advance(db, admin, rid)
    leaves = [f"G{g}L{k}" for g in range(GROUPS) for k in range(LEAVES)]
    path = tmp / "self.csv"
    path.write_text(
        "unit_code,indicator_code,score,note\n"
        + "".join(
            f"{c},{ind},{(i + j) % 5},说明\n" for i, c in enumerate(codes) for j, ind in enumerate(leaves)
        ),
        encoding="utf-8",
    )
    out = []

    t0 = time.perf_counter()
    n = selfcheck.import_scores(db, clerk, rid, path)
    out.append(("import", time.perf_counter() - t0))
    assert n == UNITS * GROUPS * LEAVES

    t0 = time.perf_counter()
    done = selfcheck.completeness(db, rid)
    out.append(("completeness", time.perf_counter() - t0))
    assert all(c.filled == c.required == 100 for c in done)

    with db.write() as s:  # submit all at once (the per-unit service is exercised by the tests)
        from sqlalchemy import update

        s.execute(update(RoundUnit).where(RoundUnit.round_id == rid).values(submitted_at=utcnow()))
    workflow.advance(db, admin, rid)

    t0 = time.perf_counter()
    view = spotcheck.draw(db, inspector, rid, DRAWN, ["3 7 12 18 25 31", "9", "4471"])
    out.append(("draw", time.perf_counter() - t0))
    t0 = time.perf_counter()
    assert spotcheck.verify(db, rid).ok
    out.append(("verify", time.perf_counter() - t0))

    vpath = tmp / "verified.csv"
    vpath.write_text(
        "unit_code,indicator_code,score\n"
        + "".join(
            f"{c},{ind},{max(0, (codes.index(c) + j) % 5 - (j % 7 == 0))}\n"
            for c in view.selected_codes
            for j, ind in enumerate(leaves)
        ),
        encoding="utf-8",
    )
    t0 = time.perf_counter()
    selfcheck.import_scores(db, inspector, rid, vpath, kind="verified")
    out.append(("import_verified", time.perf_counter() - t0))

    t0 = time.perf_counter()
    rows = verified.compare(db, rid)
    out.append(("compare", time.perf_counter() - t0))  # includes importing pandas on first use
    t0 = time.perf_counter()
    verified.compare(db, rid)
    out.append(("compare_again", time.perf_counter() - t0))
    assert len(rows) == DRAWN * GROUPS * LEAVES
    flagged = sum(r.false_report for r in rows)
    print(f"  {len(rows)} comparison rows, {flagged} flagged 虚报")
    db.dispose()
    return [(label, value, BUDGETS[label], "s") for label, value in out]


if __name__ == "__main__":
    for label, value, budget, unit in main():
        print(f"{label}: {value:.3f} {unit} (budget {budget} {unit})")
