"""Secrecy of the ballot: no voter, clerk or time on a ballot row; stored order is not entry
order; audit records never carry a ballot's marks; per-group results under the publication
threshold are hidden."""

from __future__ import annotations

import json
import random

import pytest
from sqlalchemy import inspect, text

from assess.appraisal import entry as ballots
from assess.appraisal import reconcile as ballot_review
from assess.appraisal import sessions as appraisal
from assess.appraisal import tally
from assess.demo import builders

from .ballot_helpers import make_round

FORBIDDEN = ("voter", "clerk", "user", "time", "created", "_at", "date", "by", "who", "actor", "seq")


@pytest.mark.parametrize("table", ["ballot", "passballot"])
def test_ballot_tables_have_no_identity_or_time_columns(db, table):
    cols = [c["name"] for c in inspect(db.engine).get_columns(table)]
    assert set(cols) == (
        {"id", "batch_id", "ballot_no", "status", "marks"}
        if table == "ballot"
        else {"id", "pass_id", "ballot_no", "status", "marks"}
    )
    for name in cols:
        assert not any(word in name.lower() for word in FORBIDDEN), name


def test_stored_order_is_not_entry_order(db, actors):
    rid = make_round(db)
    codes = builders.numbered_units(db, actors["admin"], 20)
    sid = appraisal.create_session(
        db, actors["clerk"], rid, "unit", "评议会", target_codes=codes, expected=300, present=250
    )
    rnd = random.Random(5)
    rows = []
    for no in range(1, 201):
        marks = "".join(rnd.choice("2344") for _ in codes)
        rows.append((no, marks, "marks"))
    batch = ballots.create_batch(db, actors["clerk"], sid, "fw", "B1", 200, 200)
    builders.key_pass(db, actors["clerk"], batch, rows)
    builders.key_pass(db, actors["clerk2"], batch, rows)
    ballot_review.certify(db, actors["reviewer"], batch)
    with db.read() as s:
        conn = s.connection()
        by_id = [no for (no,) in conn.execute(text("SELECT ballot_no FROM ballot ORDER BY id"))]
        if db.is_sqlite:
            physical = [no for (no,) in conn.execute(text("SELECT ballot_no FROM ballot ORDER BY rowid"))]
        else:
            physical = [no for (no,) in conn.execute(text("SELECT ballot_no FROM ballot ORDER BY ctid"))]
        ids = [i for (i,) in conn.execute(text("SELECT id FROM ballot ORDER BY ballot_no"))]
    assert sorted(by_id) == list(range(1, 201))
    assert by_id != list(range(1, 201)) and by_id != list(range(200, 0, -1))
    assert physical != list(range(1, 201))
    # Random ids: not consecutive, no order relation with the ballot number.
    assert ids != sorted(ids)
    assert max(ids) - min(ids) > 10**9
    # Rank correlation of id with ballot number stays far from ±1.
    rank = {i: r for r, i in enumerate(sorted(ids))}
    ranks = [rank[i] for i in ids]
    n = len(ranks)
    rho = 1 - 6 * sum((r - k) ** 2 for k, r in enumerate(ranks)) / (n * (n * n - 1))
    assert abs(rho) < 0.5


def test_audit_never_holds_marks(db, actors):
    rid = make_round(db)
    codes = builders.numbered_units(db, actors["admin"], 12)
    sid = appraisal.create_session(
        db, actors["clerk"], rid, "unit", "评议会", target_codes=codes, expected=10, present=10
    )
    rows = [(1, "123412341234", "marks"), (2, "432143214321", "marks"), (3, "", "void")]
    batch = ballots.create_batch(db, actors["clerk"], sid, "fw", "B1", 3, 3)
    builders.key_pass(db, actors["clerk"], batch, rows)
    builders.key_pass(
        db,
        actors["clerk2"],
        batch,
        [(1, "123412341234", "marks"), (2, "432143214322", "marks"), (3, "", "void")],
    )
    ballot_review.resolve(db, actors["reviewer"], batch, [(2, 12, "1")])
    ballot_review.certify(db, actors["reviewer"], batch)
    with db.read() as s:
        payloads = [
            json.dumps(p, ensure_ascii=False) if not isinstance(p, str) else p
            for (p,) in s.connection().execute(text("SELECT payload FROM auditrecord"))
        ]
        actions = [a for (a,) in s.connection().execute(text("SELECT action FROM auditrecord"))]
    blob = "\n".join(payloads)
    for marks in ("123412341234", "432143214321", "432143214322"):
        assert marks not in blob
    assert "marks" not in blob
    # Audited per batch and pass, never per stored ballot.
    assert actions.count("ballot.pass.open") == 2 and actions.count("ballot.pass.close") == 2
    assert "batch.certify" in actions and not any(a.startswith("ballot.store") for a in actions)


def test_below_threshold_groups_hidden_in_output(db, actors):
    rid = make_round(db)
    codes = builders.numbered_units(db, actors["admin"], 2)
    sid = appraisal.create_session(
        db, actors["clerk"], rid, "unit", "评议会", target_codes=codes, expected=10, present=9
    )

    builders.certified_batch(db, actors, sid, "ld", "L1", ["12", "13", "32"])  # 3 counted votes < 5
    builders.certified_batch(db, actors, sid, "fw", "F1", ["12", "12", "21", "22", "33", "44"])
    appraisal.certify_session(db, actors["reviewer"], sid)
    t = tally.session_tally(db, sid)
    pub = t.public_groups().set_index(["target_code", "group"])
    for code in codes:
        assert all(pub.loc[(code, "ld"), c] is None for c in ("满意", "counted", "score", "satisfaction"))
    # fw has 5 counted votes for U01 (1,1,2,2,3; 4 is 不了解) but is merged into the total too:
    # shown next to the total (3 + 5 = 8) it would give ld's 3 votes by subtraction.
    assert t.groups.set_index(["target_code", "group"]).loc[("U01", "fw"), "counted"] == 5
    assert pub.loc[("U01", "fw"), "counted"] is None and pub.loc[("U01", "fw"), "note"] == "含不足公开门槛的投票人类别，分项不公布"
    # The pooled total: its counted votes and score only; counts per option and shares beside the
    # score would narrow ld's votes (docs/reliability.md §9).
    assert t.public_targets().set_index("target_code").loc["U01", "counted"] == 8
    assert t.public_targets().set_index("target_code").loc["U01", "满意"] is None
    assert any("少于 5 张" in w for w in t.warnings)
