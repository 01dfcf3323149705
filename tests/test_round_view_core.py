"""The live readers of a round (what ``publish`` freezes and ``audit verify`` compares a snapshot
with, ``assess.results.round_view.live_content``) are Core readers: they run on a bare connection
(``Database.rows``) without pandas, the ORM or the table classes, and give the same rows on a
connection as in an ORM session."""

from __future__ import annotations

import pytest

from assess.foundation import audit, jsontext
from tests.fresh_helpers import HEAVY, run_fresh

# Every reader of ``live_content`` but the scoring inputs (``results.inputs.load_round_inputs``):
# (module, function), each called as f(reader, round_id).
READERS = [
    ("assess.results.round_view", "live_round"),
    ("assess.results.round_view", "live_cadre_results"),
    ("assess.results.round_view", "live_accountability"),
    ("assess.results.round_view", "live_review"),
    ("assess.results.round_view", "live_votes"),
    ("assess.results.round_view", "last_compute"),
    ("assess.results.stored", "live_results"),
    ("assess.appraisal.records", "live_targets"),
    ("assess.appraisal.records", "live_session_counts"),
    ("assess.appraisal.records", "live_batches"),
    ("assess.results.objections", "live_periods"),
    ("assess.results.objections", "live_objections"),
    ("assess.results.objections", "snapshot_parts"),
]


def _read_all(s, round_id: int) -> dict[str, str]:
    """Every reader's rows of the round (and the tallies, which take the scheme), as canonical JSON."""
    import importlib

    from assess.appraisal.unit_tallies import tally_rows
    from assess.results.round_view import live_round, live_tallies
    from assess.schemes.store import load_definition

    out = {
        name: jsontext.canonical_json(getattr(importlib.import_module(m), name)(s, round_id))
        for m, name in READERS
    }
    scheme = load_definition(s, live_round(s, round_id)["scheme_version_id"])
    out["live_tallies"] = jsontext.canonical_json(live_tallies(s, round_id, scheme))
    out["tally_rows"] = jsontext.canonical_json(tally_rows(s, round_id, scheme))
    return out


def _round_ids(db) -> list[int]:
    from sqlalchemy import select

    from assess.models import tables as t

    with db.rows() as c:
        return list(c.execute(select(t.round.c.id).order_by(t.round.c.id)).scalars())


def test_the_live_readers_run_on_a_connection_without_pandas_or_the_orm(demo_db):
    code = (
        "import sys, json\n"
        "from assess.foundation.db import Database\n"
        "from tests.test_round_view_core import _read_all\n"
        "db = Database('sqlite:///' + sys.argv[1])\n"
        "with db.rows() as c:\n"
        "    got = _read_all(c, 1)\n"
        f"print('loaded:' + ','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
        "print(json.dumps({k: len(json.loads(v) or []) for k, v in got.items()}))\n"
    )
    loaded, counts = run_fresh(code, str(demo_db.path)).strip().splitlines()
    assert loaded == "loaded:"
    import json

    sizes = json.loads(counts)
    # the demo's published round has every part the readers give (no cadre results: none computed)
    for name in (
        "live_accountability",
        "live_review",
        "live_votes",
        "last_compute",
        "live_results",
        "live_targets",
    ):
        assert sizes[name] > 0, name
    assert sizes["live_periods"] == 1 and sizes["live_objections"] == 1 and sizes["live_tallies"] == 548


def test_a_connection_and_a_session_read_the_same_rows_of_the_demo(demo_db):
    rounds = _round_ids(demo_db)
    assert len(rounds) >= 2
    with demo_db.rows() as c:
        on_core = {rid: _read_all(c, rid) for rid in rounds}
    with demo_db.read() as s:
        in_session = {rid: _read_all(s, rid) for rid in rounds}
    assert on_core == in_session


def _more_rows(s, ids) -> None:
    """A cadre's accountability entry, a 公示 period with an objection about a unit and one about a
    cadre, and computations of another round recorded after this round's."""
    from datetime import UTC, date, datetime

    from sqlmodel import select

    from assess.models import AccountabilityEntry, Cadre, Objection, PublicityPeriod

    cadre = s.exec(select(Cadre).where(Cadre.code == "C001")).one()
    at = datetime(2026, 4, 12, 9, 30, 15, 123456, tzinfo=UTC)
    s.add(
        AccountabilityEntry(
            round_id=ids.round_id,
            cadre_id=cadre.id,
            rule_code="R-CADRE",
            rule_text="干部测评不称职",
            figures={"grade": "不称职"},
            proposed_action="诫勉谈话",
            robust_share=0.25,
            status="confirmed",
            decided_by="reviewer",
            decided_at=at,
            reason="属实",
        )
    )
    period = PublicityPeriod(
        round_id=ids.round_id,
        starts_on=date(2026, 4, 13),
        ends_on=date(2026, 4, 17),
        contact="纪委办公室",
        content_hash="ab" * 32,
        audit_head="cd" * 32,
        content={},
        opened_by="admin",
        opened_at=at,
    )
    s.add(period)
    s.flush()
    for unit_id, cadre_id in ((ids.unit_ids["X04"], None), (None, cadre.id)):
        s.add(
            Objection(
                round_id=ids.round_id,
                period_id=period.id,
                submitter_kind="person",
                submitter="王某",
                unit_id=unit_id,
                cadre_id=cadre_id,
                figure="综合得分",
                text="得分有误",
                received_on=date(2026, 4, 14),
                registered_by="clerk",
                registered_at=at,
                decision="maintain",
                reason="核实无误",
                answered_by="reviewer",
                answered_at=at,
            )
        )
    for n in range(3):
        audit.append(s, "reviewer", "results.compute", {"round_id": ids.previous_round_id, "n": n})


@pytest.mark.parametrize("published", [True, False])
def test_a_connection_and_a_session_read_the_same_rows(db, published):
    """On SQLite and PostgreSQL (types matter: the snapshot hash is over canonical JSON): a round
    with cadre results, accountability entries of units and cadres, review steps, a vote,
    tallies, a 公示 with objections."""
    import json

    from tests.reports_fixtures import build_round

    built = build_round(db, published=published, before_publish=_more_rows)
    rid = built.round_id
    with db.rows() as c:
        on_core = _read_all(c, rid)
    with db.read() as s:
        in_session = _read_all(s, rid)
    assert on_core == in_session
    got = {k: json.loads(v) for k, v in on_core.items()}
    assert got["live_cadre_results"][0]["score"] == 86.5
    cadre_entry = next(e for e in got["live_accountability"] if e["cadre_id"])
    assert cadre_entry["cadre_code"] == "C001" and cadre_entry["unit_code"] is None
    assert (
        cadre_entry["decided_at"] == "2026-04-12T09:30:15.123456+00:00"
        and cadre_entry["robust_share"] == 0.25
    )
    assert [(o["unit_code"], o["cadre_code"]) for o in got["live_objections"]] == [
        ("X04", None),
        (None, "C001"),
    ]
    assert got["live_periods"][0]["starts_on"] == "2026-04-13"
    assert got["live_tallies"] and got["live_review"] and got["live_votes"]


def test_the_latest_computation_is_found_past_the_first_page(demo_db, monkeypatch):
    from sqlalchemy import select

    from assess.models import tables as t
    from assess.results import round_view

    with demo_db.write() as s:
        for n in range(3):
            audit.append(s, "reviewer", "results.compute", {"round_id": 2, "n": n})
        audit.append(s, "reviewer", "results.compute", {"round_id": "1"})  # not round 1: the id is a number
    a = t.auditrecord
    with demo_db.rows() as c:
        payloads = list(
            c.execute(
                select(a.c.payload).where(a.c.action == "results.compute").order_by(a.c.seq.desc())
            ).scalars()
        )
        expected = {
            rid: next((dict(p) for p in payloads if p.get("round_id") == rid), None) for rid in (1, 2, 99)
        }
        assert expected[1]["inputs_hash"] and expected[2] == {"round_id": 2, "n": 2} and expected[99] is None
        assert len(payloads) == 5  # round 1's is the oldest: past the first page when a page is 1 to 3
        for page in (1, 2, 3, 64):
            monkeypatch.setattr(round_view, "COMPUTE_PAGE", page)
            assert {rid: round_view.last_compute(c, rid) for rid in expected} == expected


def test_live_content_of_a_missing_round_names_it(demo_db):
    from assess.foundation.errors import NotFound
    from assess.results.round_view import live_content

    with demo_db.rows() as c, pytest.raises(NotFound, match="考核轮次 #999 不存在"):
        live_content(c, 999)
