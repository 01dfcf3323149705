"""Property-based tests (hypothesis) of the ballot import and of batch reconciliation.

Import: whatever ballots are generated — any number of ballots, each target with no mark, one
option or two different options (a voided mark), rows in any order — the stored pass holds exactly
the marks a paper reading gives: ``0`` for no mark, the option's index, ``X`` for two options;
status blank when nothing is marked, void when 满意 is marked more than twice, else valid.

Reconciliation (docs/architecture.md): returned ≤ issued; returned = valid + void + blank; entered =
returned; a batch with more returned than issued is void. For random issued/returned counts
against a random number of entered ballots, certification succeeds exactly when the rules hold,
and then stores exactly ``returned`` ballots whose statuses add up to it.
"""

from __future__ import annotations

import csv
import itertools
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from assess.appraisal import entry as svc
from assess.appraisal import reconcile as ballot_review
from assess.appraisal import sessions as appraisal
from assess.appraisal.ballot_import import import_ballots
from assess.demo import builders
from assess.foundation.errors import Conflict

from .ballot_helpers import make_round
from .conftest import make_users

OPTIONS = ["满意", "基本满意", "不满意", "不了解"]  # indices 1–4; 满意 at most 2 per ballot
TARGETS = ["U01", "U02", "U03", "U04"]
_counter = itertools.count(1)

# one target's reading: no mark, one option, or two different options (voided mark)
reading = st.one_of(
    st.just(()),
    st.tuples(st.integers(1, 4)),
    st.tuples(st.integers(1, 4), st.integers(1, 4)).filter(lambda t: t[0] != t[1]),
)
ballot = st.tuples(*[reading] * len(TARGETS))


@pytest.fixture
def session(sqlite_db):
    actors = make_users(sqlite_db)
    rid = make_round(sqlite_db)
    builders.numbered_units(sqlite_db, actors["admin"], len(TARGETS))
    sid = appraisal.create_session(
        sqlite_db, actors["clerk"], rid, "unit", "民主评议会", target_codes=TARGETS
    )
    return sqlite_db, actors, sid


def expected(b) -> tuple[str, str]:
    marks = "".join("0" if not r else (str(r[0]) if len(r) == 1 else "X") for r in b)
    if marks == "0" * len(TARGETS):
        return "blank", marks
    return ("void" if marks.count("1") > 2 else "valid"), marks


def write_ballots(path, label: str, ballots: list, seed: int) -> None:
    rows = []
    for no, b in enumerate(ballots, start=1):
        for code, r in zip(TARGETS, b, strict=True):
            if not r:
                rows.append([label, no, "fw", code, ""])
            for opt in r:
                rows.append([label, no, "fw", code, OPTIONS[opt - 1]])
    random.Random(seed).shuffle(rows)  # row order never matters
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["batch", "ballot_no", "voter_group", "target_code", "choice"])
        w.writerows(rows)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ballots=st.lists(ballot, min_size=1, max_size=12), seed=st.integers(0, 2**16))
def test_import_stores_exactly_the_paper_reading(session, tmp_path_factory, ballots, seed):
    db, actors, sid = session
    label = f"P{next(_counter)}"
    path = tmp_path_factory.mktemp("imp") / "b.csv"
    write_ballots(path, label, ballots, seed)
    result = import_ballots(db, actors["clerk"], sid, path)
    [b] = result.batches
    with db.read() as s:
        stored = {
            no: (st_, mk)
            for no, st_, mk in s.connection().execute(
                text(
                    "SELECT pb.ballot_no, pb.status, pb.marks FROM passballot pb JOIN entrypass ep ON ep.id = pb.pass_id "
                    "WHERE ep.batch_id = :b"
                ),
                {"b": b.batch_id},
            )
        }
    want = {no: expected(x) for no, x in enumerate(ballots, start=1)}
    assert stored == want
    statuses = [s_ for s_, _m in want.values()]
    assert (b.ballots, b.valid, b.void, b.blank) == (
        len(ballots),
        statuses.count("valid"),
        statuses.count("void"),
        statuses.count("blank"),
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    ballots=st.lists(ballot, min_size=1, max_size=8),
    issued=st.integers(0, 10),
    returned=st.integers(0, 10),
)
def test_certification_succeeds_exactly_when_the_batch_reconciles(
    session, tmp_path_factory, ballots, issued, returned
):
    db, actors, sid = session
    label = f"R{next(_counter)}"
    path = tmp_path_factory.mktemp("rec") / "b.csv"
    write_ballots(path, label, ballots, 0)
    [imported] = import_ballots(db, actors["clerk"], sid, path).batches
    bid = imported.batch_id
    svc.set_batch_counts(db, actors["clerk"], bid, issued=issued, returned=returned)
    rules_hold = returned <= issued and len(ballots) == returned
    rec = ballot_review.reconciliation(db, bid)
    assert rec.ok is rules_hold
    assert rec.valid + rec.void + rec.blank == rec.entered == len(ballots)
    if rules_hold:
        r = ballot_review.certify(db, actors["reviewer"], bid)
        assert r.ballots == returned and r.valid + r.void + r.blank == returned
        with db.read() as s:
            n = (
                s.connection()
                .execute(text("SELECT count(*) FROM ballot WHERE batch_id = :b"), {"b": bid})
                .scalar()
            )
        assert n == returned
    else:
        with pytest.raises(Conflict, match="对账不符") as ei:
            ballot_review.certify(db, actors["reviewer"], bid)
        if returned > issued:
            assert "应作废" in str(ei.value)
            svc.void_batch(db, actors["reviewer"], bid, "收回多于发出")
        with db.read() as s:
            assert (
                s.connection()
                .execute(text("SELECT count(*) FROM ballot WHERE batch_id = :b"), {"b": bid})
                .scalar()
                == 0
            )


def test_keyed_batch_with_more_returned_than_issued_is_void(session):
    """The same rule for a batch keyed twice (not imported): 6 returned of 5 issued cannot be
    certified, whatever the ballots say; it is voided with a reason and never counted."""
    db, actors, sid = session
    bid = svc.create_batch(db, actors["clerk"], sid, "fw", "多收", 5, 6)
    for clerk in ("clerk", "clerk2"):
        ctx = svc.open_pass(db, actors[clerk], bid)
        for no in range(1, 7):
            svc.store_ballot(db, actors[clerk], ctx.pass_id, no, "2233")
        svc.close_pass(db, actors[clerk], ctx.pass_id)
    with pytest.raises(Conflict, match="收回 6 张多于发出 5 张：本批次应作废"):
        ballot_review.certify(db, actors["reviewer"], bid)
    svc.void_batch(db, actors["reviewer"], bid, "收回多于发出")
    assert svc.get_batch(db, bid).status == "void"
