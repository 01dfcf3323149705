"""A stored scheme version never changes, on SQLite and PostgreSQL: the database refuses UPDATE and
DELETE of ``schemeversion`` and ``indicator`` rows (migration s001), and a round created under
version 1 keeps working with version 1 after version 2 is loaded."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from assess.foundation.errors import AssessError
from assess.models import Indicator, Round, SchemeVersion
from assess.results.inputs import load_round_inputs
from assess.rounds import selfcheck
from assess.schemes.catalog import list_versions, load_scheme
from assess.workflow.advance import advance

from . import rounds_helpers as rh
from .test_scheme_validate import BASE

REFUSED = "考核方案版本一经载入不能修改或删除"


def _raw(db, sql: str, **params) -> None:
    with db.engine.begin() as conn:
        conn.execute(text(sql), params)


def _rows(db, version_id: int):
    """Everything stored for a version: its row and its indicator rows, as plain tuples."""
    with db.read() as s:
        v = s.get(SchemeVersion, version_id)
        head = (v.id, v.version, v.content_hash, v.source_name, v.source_text, v.definition, v.created_by)
        inds = s.exec(
            select(Indicator).where(Indicator.scheme_version_id == version_id).order_by(Indicator.sort_order)
        ).all()
        return head, [(i.id, i.code, i.parent_code, i.method, i.max_points, i.name) for i in inds]


def test_raw_updates_and_deletes_of_a_version_are_refused(db, actors, tmp_path):
    f = tmp_path / "t.toml"
    f.write_text(BASE, encoding="utf-8")
    vid = load_scheme(db, actors["admin"], f).version_id
    before = _rows(db, vid)
    attempts = [
        ("UPDATE schemeversion SET definition = :d WHERE id = :id", {"d": '{"code": "t"}', "id": vid}),
        ("UPDATE schemeversion SET content_hash = 'x' WHERE id = :id", {"id": vid}),
        ("DELETE FROM schemeversion WHERE id = :id", {"id": vid}),
        ("UPDATE indicator SET max_points = 60 WHERE scheme_version_id = :id AND code = 'A1'", {"id": vid}),
        ("UPDATE indicator SET name = '改名' WHERE scheme_version_id = :id", {"id": vid}),
        ("DELETE FROM indicator WHERE scheme_version_id = :id AND code = 'B'", {"id": vid}),
    ]
    for sql, params in attempts:
        with pytest.raises(DBAPIError, match=REFUSED):
            _raw(db, sql, **params)
    assert _rows(db, vid) == before
    # The ORM is refused the same way, and the failed transaction leaves nothing behind.
    with pytest.raises(DBAPIError, match=REFUSED):
        with db.write() as s:
            ind = s.exec(select(Indicator).where(Indicator.code == "A1")).one()
            ind.max_points = 7.0
            s.add(ind)
    assert _rows(db, vid) == before


def test_a_round_keeps_its_version_after_a_new_one_is_loaded(db, actors):
    rid = rh.make_round(db, actors)  # rounds_helpers.SCHEME stored as version 1: A1 points, max 10
    with db.read() as s:
        v1 = s.get(Round, rid).scheme_version_id
    before = _rows(db, v1)
    # Version 2 of the same scheme doubles A1 to 20 points (A's budget follows).
    changed = dict(rh.SCHEME)
    changed["indicators"] = [dict(i) for i in rh.SCHEME["indicators"]]
    changed["indicators"][0] = {
        **rh.SCHEME["indicators"][0],
        "children": [
            {**rh.SCHEME["indicators"][0]["children"][0], "max": 20},
            rh.SCHEME["indicators"][0]["children"][1],
        ],
    }
    v2 = rh.store_scheme(db, changed)
    assert v2 != v1
    assert [(v.version, v.rounds) for v in list_versions(db, "test-scheme")] == [(1, 1), (2, 0)]
    # Loading version 2 did not touch version 1's rows, and the round still points at version 1.
    assert _rows(db, v1) == before
    with db.read() as s:
        assert s.get(Round, rid).scheme_version_id == v1
        assert load_round_inputs(s, rid).scheme.indicator("A1").max == 10
        v2_a1 = s.exec(
            select(Indicator).where(Indicator.scheme_version_id == v2, Indicator.code == "A1")
        ).one()
        assert v2_a1.max_points == 20
    # Self-check entry in the round uses version 1: 10 is A1's maximum, 15 (fine under v2) is refused.
    advance(db, actors["admin"], rid)
    assert selfcheck.enter_score(db, actors["clerk"], rid, "G01", "A1", 10) == 10
    with pytest.raises(AssessError, match="满分 10"):
        selfcheck.enter_score(db, actors["clerk"], rid, "G01", "A1", 15)
