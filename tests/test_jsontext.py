"""JSON as text (``assess.foundation.jsontext``, issue 17): JSON columns are stored compactly in
their values' own key order, so a snapshot (canonical by construction) is stored as the text its
hash was taken over and verification hashes that text as it is; text stored in any other form
(rows written by an earlier version, reordered keys, spaces) verifies the same from its value."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import date

import pytest
from sqlalchemy import text

from assess.foundation import audit, jsontext
from assess.foundation.db import Database
from assess.integrity.verify import verify_all
from assess.results.snapshot_check import compare_with_live, verify_periods, verify_snapshot
from tests.reliability_helpers import drop_triggers

VALUE = {"z": [1, 2.5, None, True], "a": {"名称": "财政局", "b": "x\"y"}, "m": -0.0, "é": 10**20}


def test_stored_form_keeps_the_key_order_and_refuses_what_is_not_json():
    stored = jsontext.stored_json(VALUE)
    assert stored.startswith('{"z":[1,2.5,null,true],"a":{"名称":"财政局","b":"x\\"y"}')
    assert list(json.loads(stored)) == list(VALUE) and json.loads(stored) == VALUE
    ordered = json.loads(jsontext.canonical_json(VALUE))  # sorted at every level, as a snapshot is
    assert jsontext.stored_json(ordered) == jsontext.canonical_json(VALUE)
    assert jsontext.canonical_json({"d": date(2026, 1, 2)}) == '{"d":"2026-01-02"}'
    with pytest.raises(TypeError):
        jsontext.stored_json({"d": date(2026, 1, 2)})


def test_a_hash_matches_canonical_text_as_stored_and_any_other_text_by_its_value():
    digest = jsontext.content_hash(VALUE)
    canonical = jsontext.stored_json(json.loads(jsontext.canonical_json(VALUE)))  # as a snapshot is stored
    assert jsontext.text_hash(canonical) == digest
    assert jsontext.matches_hash(canonical, json.loads(canonical), digest)
    for other in (json.dumps(VALUE), json.dumps(VALUE, indent=2, ensure_ascii=False)):
        assert jsontext.text_hash(other) != digest
        assert jsontext.matches_hash(other, json.loads(other), digest)
    changed = json.loads(canonical)
    changed["a"]["名称"] = "教育局"
    assert not jsontext.matches_hash(jsontext.stored_json(changed), changed, digest)
    assert not jsontext.matches_hash(canonical, changed, digest + "0")


def test_json_columns_are_stored_compactly_in_their_key_order(db):
    from assess.schemes.definition import from_dict
    from assess.schemes.store import load_definition, store_version

    from .results_helpers import scheme_dict

    with db.write() as s:
        version, _ = store_version(s, "admin", from_dict(scheme_dict()), "t.toml", "")
    with db.rows() as c:
        stored = c.execute(
            text("SELECT CAST(definition AS TEXT) FROM schemeversion WHERE id = :i"), {"i": version.id}
        ).scalar()
        loaded = load_definition(c, version.id)
    assert ", " not in stored and '": ' not in stored and "\\u" not in stored and "测试方案" in stored
    assert list(json.loads(stored)["weights"]) == ["indicators", "appraisal", "adjustment"]  # as written
    assert list(loaded.weights) == ["indicators", "appraisal", "adjustment"]
    # an audit payload (sorted when appended) is stored as its canonical text
    payload = {"z": 1, "a": ["第一", {"y": 2, "b": None}], "f": 0.1}
    with db.write() as s:
        seq, _head = audit.append(s, "admin", "test.json", payload)
    with db.rows() as c:
        stored = c.execute(text("SELECT CAST(payload AS TEXT) FROM auditrecord WHERE seq = :s"), {"s": seq}).scalar()
    assert stored == '{"a":["第一",{"b":null,"y":2}],"f":0.1,"z":1}'
    assert audit.verify(db).ok


def _published_text(db: Database) -> tuple[int, str, str, str, str]:
    with db.rows() as c:
        rid, snap, digest = c.execute(
            text("SELECT round_id, CAST(content AS TEXT), content_hash FROM snapshot")
        ).one()
        period, period_digest = c.execute(
            text("SELECT CAST(content AS TEXT), content_hash FROM publicityperiod WHERE round_id = :r"), {"r": rid}
        ).one()
    return rid, snap, digest, period, period_digest


def test_the_demo_snapshots_are_stored_as_the_text_their_hashes_were_taken_over(demo_db):
    _rid, snap, digest, period, period_digest = _published_text(demo_db)
    assert jsontext.text_hash(snap) == digest
    assert jsontext.text_hash(period) == period_digest


def _restore(path, snap: str | None = None, period: str | None = None) -> Database:
    con = sqlite3.connect(path)
    drop_triggers(con)
    if snap is not None:
        con.execute("UPDATE snapshot SET content = ?", (snap,))
    if period is not None:
        con.execute("UPDATE publicityperiod SET content = ?", (period,))
    con.commit()
    con.close()
    return Database(f"sqlite:///{path}")


@pytest.mark.parametrize(
    "rewrite",
    [
        pytest.param(lambda v: json.dumps(v), id="as-an-earlier-version-stored-it"),
        pytest.param(lambda v: json.dumps(dict(reversed(list(v.items()))), indent=1, ensure_ascii=False), id="reordered"),
    ],
)
def test_snapshots_stored_in_another_form_verify_the_same(demo_db, tmp_path, rewrite):
    """The same values in other text: no finding (the hash is taken over the value); a value
    changed in that text is still found."""
    rid, snap, _digest, period, _ = _published_text(demo_db)
    demo_db.dispose()
    same = tmp_path / "same.db"
    shutil.copyfile(demo_db.path, same)
    db = _restore(same, rewrite(json.loads(snap)), rewrite(json.loads(period)))
    try:
        assert verify_snapshot(db, rid).ok
        assert verify_periods(db) == (1, [])
        report = verify_all(db)
        assert report.ok, report.lines()
    finally:
        db.dispose()

    changed = tmp_path / "changed.db"
    shutil.copyfile(demo_db.path, changed)
    content, shown = json.loads(snap), json.loads(period)
    content["results"][0]["composite"] += 1
    shown["results"][0]["composite"] += 1
    db = _restore(changed, rewrite(content), rewrite(shown))
    try:
        check = verify_snapshot(db, rid)
        assert not check.ok and "快照内容与其哈希不符（被改动）" in check.problems
        _n, problems = verify_periods(db)
        assert any("快照内容与其哈希不符" in p for p in problems)
    finally:
        db.dispose()


def test_the_live_comparison_skips_the_walk_only_when_the_texts_are_the_same():
    snap, live = {"results": [{"rank": 1}]}, {"results": [{"rank": True}]}  # equal in Python, not in JSON
    assert snap == live
    found = compare_with_live(snap, live, (jsontext.stored_json(snap), jsontext.canonical_json(live)))
    assert found == ["数据库中：results[0].rank 为 True，快照为 1"]
    assert compare_with_live(snap, live) == found
    same = jsontext.stored_json(snap)
    assert compare_with_live(snap, json.loads(same), (same, same)) == []
    assert compare_with_live(snap, live, (same, None)) == found  # no live text: walked
