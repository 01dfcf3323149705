"""A database ready for ballot entry by other processes, shared by the crash-safety harness
(``bench/crash_harness.py``) and the concurrency measurement (``bench/bench_concurrency.py``) and
by their tests.

One admin, ``clerks`` clerks (``clerk1``…), a scheme with one 民主评议 form (满意 at most 2 per
ballot, so a ballot can be void by its marks), a round, ``TARGETS`` units on the ballot, one
session and one open paper batch per clerk (ballots issued and returned ``RETURNED``: entry is
never refused by the counts). Everything goes through the services (``assess.demo.builders``), audit
records included.
"""

from __future__ import annotations

TARGETS = 12
RETURNED = 100_000
PASSWORD = "reliability-pass-1"

SCHEME = {
    "code": "reliability",
    "name": "可靠性测试方案",
    "categories": ["政府部门"],
    "indicators": [{"code": "A", "name": "公开", "method": "points", "max": 100}],
    "weights": {"indicators": 70, "appraisal": 30},
    "bands": [{"grade": "合格", "min": 0, "max": 100, "include_max": True}],
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
            "voter_groups": [{"code": "fw", "name": "服务对象", "weight": 1}],
            "limited_option": "满意",
            "max_limited": 2,
        }
    ],
}


def clerk_names(clerks: int) -> list[str]:
    return [f"clerk{i}" for i in range(1, clerks + 1)]


def prepare(url: str, clerks: int = 1, targets: int = TARGETS) -> dict[str, int]:
    """Migrate the database at ``url`` and fill it (see the module docstring). Returns
    {clerk name: batch id}."""
    from assess.appraisal import entry as ballots
    from assess.demo import builders

    db = builders.migrated(url)
    try:
        acts = builders.users(db, PASSWORD, [(name, "clerk") for name in clerk_names(clerks)])
        admin = acts["admin"]
        codes = builders.numbered_units(db, admin, targets)
        version_id = builders.scheme(db, admin, SCHEME, "reliability.toml")
        round_id = builders.round_(db, admin, version_id, "可靠性测试轮次", "2026", codes)
        sid = builders.session(db, admin, round_id, "unit", "可靠性评议会", codes)
        return {
            name: ballots.create_batch(db, admin, sid, "fw", f"箱{i}", RETURNED, RETURNED)
            for i, name in enumerate(clerk_names(clerks), start=1)
        }
    finally:
        db.dispose()


def marks_for(rng, targets: int = TARGETS) -> tuple[str, str]:
    """(kind, marks) of a random paper ballot: mostly marked (now and then more than two 满意,
    which voids it, or a voided mark ``X``), sometimes blank or void with one key."""
    r = rng.random()
    if r < 0.04:
        return "blank", ""
    if r < 0.08:
        return "void", ""
    marks = "".join(rng.choice("12223344440X") for _ in range(targets))
    return "marks", marks
