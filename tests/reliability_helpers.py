"""Building blocks for the reliability tests: a round taken through the real services from ballot
entry to publication, and a batch ready for keying by a separate process.

``published_round`` gives a database holding every kind of certified batch — keyed twice with
mismatches resolved by a reviewer (paper), imported ballots (import), imported counts (tally) — a
certified session, computed results, the review chain, the vote and the publication snapshot,
all with their audit records. Hand facts the tests rely on are in the docstring of each helper.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from assess.appraisal import entry as svc
from assess.appraisal import reconcile as ballot_review
from assess.appraisal import sessions as appraisal
from assess.appraisal.ballot_import import import_ballots, import_tallies
from assess.demo import builders
from assess.workflow import advance as workflow

from .ballot_helpers import scheme_dict as ballot_scheme
from .conftest import make_users

UNITS = [("U1", "财政局", "政府部门"), ("U2", "教育局", "政府部门"), ("U3", "民政局", "政府部门")]

# Paper batch "P1" (voter group ld), 8 ballots over targets U1, U2, U3; options 1 满意 (at most 2
# per ballot) · 2 基本满意 · 3 不满意 · 4 不了解. Pass 2 differs at ballot 3 target 2 ("1" vs "3",
# the paper says "3") and lacks ballot 8 (the paper has it: take pass 1).
PAPER_PASS1 = [
    (1, "123", "marks"),
    (2, "211", "marks"),
    (3, "232", "marks"),
    (4, "444", "marks"),
    (5, "", "blank"),
    (6, "", "void"),
    (7, "111", "marks"),  # three 满意: void by the quota
    (8, "234", "marks"),
]
PAPER_PASS2 = [(3, "212", "marks") if no == 3 else (no, m, k) for no, m, k in PAPER_PASS1 if no != 8]

# Imported ballots "I1" (voter group fw), six ballots.
IMPORT_CSV = "batch,ballot_no,voter_group,target_code,choice\n" + "".join(
    f"I1,{i},fw,U1,满意\nI1,{i},fw,U2,{'基本满意' if i % 2 else '不满意'}\nI1,{i},fw,U3,\n"
    for i in range(1, 7)
)
TALLY_CSV = (
    "voter_group,target_code,choice,count\nrd,U1,满意,5\nrd,U2,基本满意,4\nrd,U2,不满意,1\nrd,U3,不了解,5\n"
)


@dataclass
class Built:
    round_id: int
    session_id: int
    paper_batch: int
    import_batch: int
    tally_batch: int
    actors: dict


def published_round(db, tmp_path: Path) -> Built:
    """Units U1–U3 in one round taken through every stage by the services: self-check A = 95, 85,
    70 submitted, no spot check, a 民主评议 session with a paper, an import and a tally batch, all
    certified; results computed, reviewed, voted and published (snapshot frozen)."""
    actors = make_users(db)
    admin = actors["admin"]
    builders.units(db, admin, UNITS)
    # The ballot tests' scheme without a spot check (sample size 0): the round needs no draw.
    vid = builders.scheme(db, admin, {**ballot_scheme(), "spotcheck": {"sample_size": 0}})
    rid = builders.round_(db, admin, vid, "测试轮次 2026-Q1", "2026-Q1")
    workflow.advance(db, admin, rid)  # → 自查中
    builders.self_check(db, actors["clerk"], rid, {"U1": {"A": 95.0}, "U2": {"A": 85.0}, "U3": {"A": 70.0}})
    for _ in range(3):  # → 自查结束 → 已抽取核查单位 (none to draw) → 核查完成
        workflow.advance(db, admin, rid)
    sid = builders.session(
        db, actors["clerk"], rid, "unit", "机关作风民主评议", ["U1", "U2", "U3"], expected=40, present=36
    )
    paper = svc.create_batch(db, actors["clerk"], sid, "ld", "P1", 8, 8)
    builders.key_pass(db, actors["clerk"], paper, PAPER_PASS1)
    builders.key_pass(db, actors["clerk2"], paper, PAPER_PASS2)
    assert ballot_review.resolve(db, actors["reviewer2"], paper, [(3, 2, "3"), (8, 0, "pass1")]) == 0
    ballot_review.certify(db, actors["reviewer"], paper)
    f = tmp_path / "ballots.csv"
    f.write_text(IMPORT_CSV, encoding="utf-8")
    imported = import_ballots(db, actors["clerk"], sid, f).batches[0].batch_id
    ballot_review.certify(db, actors["reviewer"], imported)
    # The tally batch's papers come from the meeting's record of its group.
    appraisal.set_attendance(db, actors["clerk"], sid, groups={"rd": 6}, groups_present={"rd": 5})
    t = tmp_path / "tallies.csv"
    t.write_text(TALLY_CSV, encoding="utf-8")
    tallied = import_tallies(db, actors["clerk2"], sid, t).batches[0].batch_id
    ballot_review.certify(db, actors["reviewer"], tallied)
    appraisal.certify_session(db, actors["reviewer2"], sid)
    workflow.advance(db, admin, rid)  # → 评议票已核定
    builders.computed(db, actors["reviewer"], rid, today=date(2026, 4, 10), resamples=20)
    builders.published(db, actors, rid, vote=(9, 8, 6, 1, 1))
    return Built(rid, sid, paper, imported, tallied, actors)


def open_batch(db, n_targets: int = 12, returned: int = 100_000, label: str = "B1", group: str = "fw"):
    """(actors, session id, batch id): a session of ``n_targets`` units and an open paper batch,
    for keying by other processes."""
    from .ballot_helpers import make_round as make_ballot_round

    actors = make_users(db)
    rid = make_ballot_round(db)
    codes = builders.numbered_units(db, actors["admin"], n_targets)
    sid = appraisal.create_session(db, actors["clerk"], rid, "unit", "民主评议", target_codes=codes)
    bid = svc.create_batch(db, actors["clerk"], sid, group, label, returned, returned)
    return actors, sid, bid


def drop_triggers(con: sqlite3.Connection) -> None:
    """Drop every trigger of a SQLite database: the freeze and guard triggers an attacker with a
    copy of the file would remove before changing rows behind the application."""
    for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        con.execute(f'DROP TRIGGER "{name}"')
