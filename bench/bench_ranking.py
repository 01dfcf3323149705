"""Ranking budget, at two sizes: 200 units × 100 indicators with 100,000 certified ballots (ranked
in under 1 s, 1,000 resamples in under 5 s), and 2,000 units with 1,000,000 ballots in 1,000
batches (8M per-batch tally rows; ranked in under 1.5 s, resamples in under 2 s). At 2,000 units
the batches' counts are drawn directly rather than from stored ballots (the ranking reads counts).

Builds a fresh SQLite file through SQLAlchemy Core (selfcheck scores, a spot-check draw with
verified scores, one 民主评议 session of four voter groups, 100 batches of 1,000 ballots each
marking all 200 units, the per-batch tally counts kept with them and the session sums that
certification adds them to), then times:

- ``rank_round``: reading every input and computing composites, ranks and grades (median of 3);
- ``resample``: 1,000 bootstrap resamples of the ballots with perturbed weights (median of 3);
- ``compute_round``: the whole stored computation (results, intervals, accountability list).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

UNITS = 200
INDICATORS = 100
BALLOTS = 100_000
BATCHES = 100
GROUPS = {"ld": 0.2, "rd": 0.2, "fw": 0.4, "zg": 0.2}
CATEGORIES = ["党群部门", "政府部门", "乡镇街道", "企事业单位"]


def scheme_dict() -> dict:
    return {
        "code": "bench",
        "name": "基准方案",
        "categories": CATEGORIES,
        "indicators": [
            {
                "code": f"G{g}",
                "name": f"第{g}组",
                "children": [
                    {
                        "code": f"I{g:02d}{i:02d}",
                        "name": f"指标{g}-{i}",
                        "method": ("points", "deduct", "ratio", "points")[i % 4],
                        "max": 1.0,
                    }
                    for i in range(10)
                ],
            }
            for g in range(INDICATORS // 10)
        ],
        "weights": {"indicators": 60, "appraisal": 30, "adjustment": 10},
        "bands": [
            {"grade": "优秀", "min": 90, "max": 100, "include_max": True},
            {"grade": "良好", "min": 80, "max": 90},
            {"grade": "一般", "min": 60, "max": 80},
            {"grade": "较差", "min": 0, "max": 60},
        ],
        "quotas": [{"grade": "优秀", "max_share": 0.2}],
        "forms": [
            {
                "code": "mzpy",
                "kind": "unit",
                "name": "民主评议表",
                "options": [
                    {"label": "满意", "points": 100, "satisfied": True},
                    {"label": "基本满意", "points": 70, "satisfied": True},
                    {"label": "不满意", "points": 30},
                    {"label": "不了解"},
                ],
                "voter_groups": [{"code": g, "name": g, "weight": w} for g, w in GROUPS.items()],
            }
        ],
        "appraisal_form": "mzpy",
        "spotcheck": {"tolerance": 0.1, "penalty": 1, "penalty_cap": 5},
        "rules": [
            {
                "code": "R01",
                "kind": "threshold",
                "metric": "composite",
                "op": "<",
                "value": 70,
                "action": "诫勉",
            },
            {"code": "R02", "kind": "last_in_category", "action": "提醒谈话"},
            {
                "code": "R04",
                "kind": "threshold",
                "metric": "satisfaction",
                "op": "<",
                "value": 60,
                "action": "约谈",
            },
        ],
    }


def build(path: Path, units: int = UNITS, ballots: int = BALLOTS, store_ballots: bool = True):
    """``store_ballots=False``: the per-batch counts are drawn directly (the ranking reads counts
    only), so the 2,000-unit × 1M-ballot round builds in minutes, not hours."""
    import numpy as np
    from sqlalchemy import insert, select, text

    from assess.appraisal.reconcile import add_session_sums
    from assess.demo import builders
    from assess.models import (
        AppraisalSession,
        AppraisalTarget,
        Ballot,
        BallotBatch,
        Round,
        RoundUnit,
        SelfCheckScore,
        SessionVoterGroup,
        SpotCheckDraw,
        SpotCheckScore,
        TallyCount,
        Unit,
    )
    from assess.models.base import random_id, utcnow
    from assess.schemes.definition import from_dict

    rng = np.random.default_rng(7)
    db = builders.migrated(f"sqlite:///{path}")
    admin = builders.users(db, "bench-password-1", [])["admin"]
    version_id = builders.scheme(db, admin, scheme_dict(), "bench.toml")
    now = utcnow()
    # At this scale the units, the round and its inputs are bulk-inserted: through the services
    # the 2,000-unit round would take hours to build (the services' own costs are measured elsewhere).
    with db.write() as s:
        s.exec(
            insert(Unit),
            params=[
                {
                    "code": f"U{i:03d}",
                    "name": f"单位{i:03d}",
                    "category": CATEGORIES[i % 4],
                    "active": True,
                    "created_at": now,
                }
                for i in range(units)
            ],
        )
        unit_ids = [r[0] for r in s.connection().execute(text("SELECT id FROM unit ORDER BY code"))]
        r = Round(
            name="基准轮次",
            period="2026-Q1",
            scheme_version_id=version_id,
            stage="appraisal_certified",
            created_by="admin",
        )
        s.add(r)
        s.flush()
        rid = r.id
        s.exec(insert(RoundUnit), params=[{"round_id": rid, "unit_id": u} for u in unit_ids])
        codes = [leaf.code for leaf in from_dict(scheme_dict()).leaves()]
        values = rng.uniform(0.5, 1.0, size=(units, INDICATORS)).round(2)
        s.exec(
            insert(SelfCheckScore),
            params=[
                {
                    "round_id": rid,
                    "unit_id": u,
                    "indicator_code": c,
                    "value": float(values[i, j]),
                    "updated_at": now,
                }
                for i, u in enumerate(unit_ids)
                for j, c in enumerate(codes)
            ],
        )
        drawn = unit_ids[::20]
        codes_by_id = dict(s.exec(select(Unit.id, Unit.code)).all())
        selected = [{"n": n, "code": codes_by_id[u]} for n, u in enumerate(drawn, start=1)]
        s.add(SpotCheckDraw(round_id=rid, count=len(drawn), pool=[], selected=selected, created_by="admin"))
        s.exec(
            insert(SpotCheckScore),
            params=[
                {
                    "round_id": rid,
                    "unit_id": u,
                    "indicator_code": c,
                    "value": float(max(0.0, values[unit_ids.index(u), j] - 0.2)),
                    "inspector": "admin",
                    "updated_at": now,
                }
                for u in drawn
                for j, c in enumerate(codes)
            ],
        )
        sess = AppraisalSession(
            round_id=rid,
            kind="unit",
            form_code="mzpy",
            name="民主评议大会",
            expected=ballots,
            present=ballots,
            status="certified",
        )
        s.add(sess)
        s.flush()
        s.exec(
            insert(AppraisalTarget),
            params=[{"session_id": sess.id, "position": i + 1, "unit_id": u} for i, u in enumerate(unit_ids)],
        )
        s.exec(
            insert(SessionVoterGroup),
            params=[
                {"session_id": sess.id, "code": g, "name": g, "weight": w, "expected": ballots // 4}
                for g, w in GROUPS.items()
            ],
        )
        batches = ballots // 1_000
        per_batch = 1_000
        quality = rng.uniform(0.3, 0.9, size=units)
        groups = list(GROUPS)
        # the same choice distribution as the drawn ballots: 1 ≤ q, 2 in (q, q+.08], 3 beyond, 4 above .97
        q = quality
        probs = np.stack([q, np.clip(q + 0.08, None, 0.97) - q, 0.97 - np.clip(q + 0.08, None, 0.97), np.full_like(q, 0.03)], axis=1)
        totals: dict[str, np.ndarray] = {}
        for b in range(batches):
            batch = BallotBatch(
                session_id=sess.id,
                voter_group=groups[b % 4],
                label=f"B{b:03d}",
                issued=per_batch,
                returned=per_batch,
                status="open",
            )
            s.add(batch)
            s.flush()
            if store_ballots:
                u = rng.random((per_batch, units))
                choice = 1 + (u > quality[None, :]) + (u > quality[None, :] + 0.08) + (u > 0.97)
                marks = ["".join(map(str, row)) for row in choice]
                s.exec(
                    insert(Ballot),
                    params=[
                        {
                            "id": random_id(),
                            "batch_id": batch.id,
                            "ballot_no": n + 1,
                            "status": "valid",
                            "marks": m,
                        }
                        for n, m in enumerate(marks)
                    ],
                )
                counts = np.stack([(choice == k).sum(axis=0) for k in range(1, 5)], axis=1)
            else:
                counts = rng.multinomial(per_batch, probs)
            cells = [(p + 1, k + 1, int(counts[p, k])) for p in range(units) for k in range(4) if counts[p, k]]
            s.exec(
                insert(TallyCount),
                params=[{"batch_id": batch.id, "position": p, "choice": c, "count": n} for p, c, n in cells],
            )
            totals[batch.voter_group] = totals.get(batch.voter_group, 0) + counts
        for g, sums in totals.items():  # what certifying every batch adds up to, added at once
            add_session_sums(s, sess.id, g, [(p + 1, k + 1, int(sums[p, k])) for p in range(units) for k in range(4) if sums[p, k]])
        s.connection().execute(
            text("UPDATE ballotbatch SET status = 'certified' WHERE session_id = :s"), {"s": sess.id}
        )
    return db, rid, admin


def timed(fn, runs: int = 3) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


# (units, ballots, ballots stored, budgets: rank, robustness, compute_round); ASSESS_BENCH_QUICK=1:
# a tenth of the ballots at each size.
QUICK = os.environ.get("ASSESS_BENCH_QUICK") == "1"
SCALES = [
    (UNITS, BALLOTS // 10 if QUICK else BALLOTS, True, (1.0, 5.0, 8.0)),
    (2_000, 100_000 if QUICK else 1_000_000, False, (1.5, 2.0, 30.0)),
]
ROBUSTNESS_MEMORY_BUDGET_MIB = 300.0


def robustness_peak_mib(inputs, scores) -> float:
    """Peak memory allocated while 1,000 resamples run (Python and numpy allocations, traced)."""
    import gc
    import tracemalloc

    from assess.scoring.robustness import resample

    gc.collect()
    tracemalloc.start()
    try:
        resample(inputs, scores, n=1000, seed=1)
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def run_scale(tmp: Path, units: int, ballots: int, store_ballots: bool, budgets) -> list[tuple[str, float, float, str]]:
    from sqlalchemy import text

    from assess.appraisal.tally import session_tally
    from assess.results.compute import compute_round, rank_round
    from assess.results.inputs import load_round_inputs
    from assess.scoring.robustness import resample

    t0 = time.perf_counter()
    db, rid, admin = build(tmp / f"bench{units}.db", units, ballots, store_ballots)
    with db.read() as s:
        n_counts = s.connection().execute(text("SELECT COUNT(*) FROM tallycount")).scalar()
    print(
        f"built {units:,} units × {INDICATORS} indicators, {ballots:,} ballots ({n_counts:,} per-batch tally rows) "
        f"in {time.perf_counter() - t0:.1f} s"
    )

    def read_sums():
        with db.read() as s:
            return s.connection().execute(text("SELECT voter_group, position, choice, count FROM tallysum")).all()

    base_s, _rows = timed(read_sums, runs=5)
    rank_s, scores = timed(lambda: rank_round(db, rid), runs=5)
    tally_s, _t = timed(lambda: session_tally(db, 1))
    print(
        f"rank_round: {rank_s:.3f} s ({len(scores.table)} units ranked), of which session_tally ≈ {tally_s:.3f} s; "
        f"baseline (the session sums read back with one SELECT) {base_s * 1000:.1f} ms"
    )
    with db.read() as s:
        inputs = load_round_inputs(s, rid)
    boot_s, rs = timed(lambda: resample(inputs, scores, n=1000, seed=1), runs=1 if units > 500 else 3)
    width = (rs.rank_high - rs.rank_low).mean()
    groups = len(GROUPS)
    peak = robustness_peak_mib(inputs, scores)
    print(f"resample ×1000: {boot_s:.3f} s (mean rank interval width {width:.1f}); {groups} voter groups; "
          f"peak traced memory {peak:.0f} MiB")
    full_s, summary = timed(lambda: compute_round(db, admin, rid), runs=1)
    print(f"compute_round: {full_s:.3f} s ({summary.message()})")
    db.dispose()
    rank_b, boot_b, full_b = budgets
    return [
        (f"rank {units:,} units, {ballots:,} ballots, from the database (median of 5)", rank_s, rank_b, "s",
         ("summed rows read back, s", base_s, rank_s)),
        (f"  of which assess.appraisal.tally.session_tally ({units:,} units)", tally_s, rank_b, "s"),
        (f"robustness pass, 1,000 resamples ({units:,} units)", boot_s, boot_b, "s"),
        (f"robustness pass, 1,000 resamples ({units:,} units), peak MiB", peak, ROBUSTNESS_MEMORY_BUDGET_MIB, "MiB"),
        (f"compute_round ({units:,} units: results, intervals, accountability, stored)", full_s, full_b, "s"),
    ]


def main():
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for units, ballots, store_ballots, budgets in SCALES:
            rows += run_scale(Path(tmp), units, ballots, store_ballots, budgets)
    return rows


if __name__ == "__main__":
    for row in main():
        print(row)
