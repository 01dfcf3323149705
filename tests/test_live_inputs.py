"""A round's live scoring inputs (``assess.results.inputs.load_round_inputs``) read through Core
statements as ``Rows``: the same rows, values, types and warnings as the frames read before, on a
bare Core connection (``Database.rows()``) without pandas, the table classes or the ORM.

``data/live_inputs_demo.json`` holds, for every round of the demo database, what
``serial.inputs_to_json`` gave for the inputs read the way before (pandas frames through an ORM
session); the Rows read now must give exactly that, by ``serial``'s rules (rows as lists, NaN as
null, numpy scalars as Python numbers, rows sorted by the text of their cells), and with the same
Python types (1 and 1.0 compare as JSON text)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from assess.scoring.rows import Rows
from assess.scoring.serial import FRAMES, OPTIONAL_FRAMES, inputs_to_json
from tests.fresh_helpers import HEAVY, run_fresh
from tests.results_helpers import (
    add_adjustment,
    add_cadres,
    add_discipline,
    add_draw,
    add_scores,
    add_session,
    full_marks,
    make_round,
    scheme_dict,
    store_scheme,
)

GOLDEN = Path(__file__).parent / "data" / "live_inputs_demo.json"


def _plain_tables(inputs) -> list[Rows]:
    """Every table of the inputs (they must all be ``Rows``)."""
    tables = [getattr(inputs, name) for name in (*FRAMES, *OPTIONAL_FRAMES)]
    if inputs.cells is not None:
        tables.append(inputs.cells.frame)
    tables += [cs.cells for cs in inputs.cadre_sessions]
    if inputs.annual is not None:
        tables.append(inputs.annual.quarters)
    return [t for t in tables if t is not None]


def _to_json(inputs) -> dict[str, Any]:
    """``serial.inputs_to_json``, after checking that every cell is a plain Python value (no numpy
    scalar, no Decimal: the snapshot's JSON and its hash depend on the type)."""
    for table in _plain_tables(inputs):
        assert isinstance(table, Rows), type(table)
        for row in table:
            assert all(type(v) in (int, float, str, bool, type(None)) for v in row), (table.columns, row)
    return inputs_to_json(inputs)


def _text(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True)


def test_the_demo_rounds_read_as_before(demo_db):
    from assess.results.inputs import load_round_inputs

    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert set(golden) == {"1", "2"}
    for rid, before in golden.items():
        with demo_db.rows() as c:
            on_core = _to_json(load_round_inputs(c, int(rid)))
        with demo_db.read() as s:
            in_session = _to_json(load_round_inputs(s, int(rid)))
        assert _text(on_core) == _text(before), rid
        assert _text(in_session) == _text(before), rid
        assert on_core["warnings"] == before["warnings"]


def test_reading_the_inputs_loads_no_pandas_and_no_table_classes(demo_db):
    code = (
        "import sys\n"
        "from assess.foundation.db import Database\n"
        "from assess.results.inputs import load_round_inputs\n"
        "db = Database('sqlite:///' + sys.argv[1])\n"
        "with db.rows() as c:\n"
        "    got = [load_round_inputs(c, rid) for rid in (1, 2)]\n"
        "print(len(got[0].units), len(got[0].appraisal), len(got[1].cadre_sessions))\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules) or '-')\n"
    )
    sizes, loaded = run_fresh(code, str(demo_db.path)).strip().splitlines()
    assert sizes == "40 40 1"
    assert loaded == "-"


def _round_with_everything(db) -> tuple[int, dict[str, int], dict[str, int], int]:
    """A round with scores, a draw, adjustments, discipline records, a 黑名单 listing the scheme bars
    优秀 for, a unit session and a cadre session."""
    from assess.models import BlacklistEntry

    vid = store_scheme(db, scheme_dict(no_excellent_if=["警告", "黑名单"]))
    units = [("U1", "一局", "甲类"), ("U2", "二局", "甲类"), ("U3", "三局", "乙类")]
    rid, ids = make_round(db, vid, units, period="2026-Q2")
    add_scores(db, rid, ids, full_marks(["U1", "U2", "U3"], i1=38.5))
    add_scores(db, rid, ids, [("U2", "I1", 30)], verified=True)
    add_draw(db, rid, ["U2"], focus=["U3"])
    add_adjustment(db, rid, ids["U1"], 2)
    add_adjustment(db, rid, ids["U3"], -1.5)
    cadres = add_cadres(db, ids["U1"], ["C1", "C2"])
    add_discipline(db, rid, "警告", unit_id=ids["U2"])
    add_discipline(db, rid, "警告", cadre_id=cadres["C2"])
    with db.write() as s:
        for kind, name, unit_id, cadre_id in (
            ("unit", "三局", ids["U3"], None),
            ("cadre", "干部C1", None, cadres["C1"]),
        ):
            s.add(
                BlacklistEntry(
                    subject_kind=kind,
                    name=name,
                    unit_id=unit_id,
                    cadre_id=cadre_id,
                    reason="测试",
                    entered_on=date(2026, 5, 1),
                    created_by="admin",
                )
            )
    counts = {
        "ld": {ids["U1"]: [8, 2, 0, 0], ids["U2"]: [1, 0, 4, 5], ids["U3"]: [0, 0, 0, 3]},
        "fw": {ids["U1"]: [5, 3, 1, 1], ids["U3"]: [7, 0, 0, 0]},
    }
    sid = add_session(
        db, rid, "unit", "mzpy", [ids[c] for c in ("U1", "U2", "U3")], counts, {"ld": 0.3, "fw": 0.7}
    )
    add_session(
        db,
        rid,
        "cadre",
        "qlss",
        [cadres["C1"], cadres["C2"]],
        {"zg": {cadres["C1"]: [6, 3, 1, 0], cadres["C2"]: [0, 2, 2, 6]}},
        {"zg": 1.0},
    )
    return rid, ids, cadres, sid


def test_values_and_types_on_every_backend(db):
    """SQLite and PostgreSQL give the same Python types: ids and counts int, values and points float
    (a whole number stored as a float stays a float), None only where the table has NULL; the
    appraisal figures are the session tally's (``tally.session_tally``, one computation)."""
    from assess.appraisal.tally import session_tally
    from assess.results.inputs import load_round_inputs

    rid, ids, cadres, sid = _round_with_everything(db)
    with db.rows() as c:
        got = load_round_inputs(c, rid)
    with db.read() as s:
        assert _text(_to_json(load_round_inputs(s, rid))) == _text(_to_json(got))

    assert got.units == Rows(
        ["unit_id", "code", "name", "category"],
        [
            (ids["U1"], "U1", "一局", "甲类"),
            (ids["U2"], "U2", "二局", "甲类"),
            (ids["U3"], "U3", "三局", "乙类"),
        ],
    )
    assert sorted(got.selfcheck.column("value")) == sorted([38.5, 0.0, 100.0, 0.0] * 3)
    assert {type(v) for v in got.selfcheck.column("value")} == {float}
    assert got.spotcheck.data == [(ids["U2"], "I1", 30.0)] and type(got.spotcheck.data[0][2]) is float
    assert sorted(got.adjustments.data) == sorted([(ids["U1"], 2.0), (ids["U3"], -1.5)])
    assert {type(v) for v in got.adjustments.column("points")} == {float}
    assert got.drawn == sorted([ids["U2"], ids["U3"]])
    assert got.discipline.data == [(ids["U2"], "警告"), (ids["U3"], "黑名单")]
    assert got.cadre_discipline.data == [(cadres["C2"], "警告"), (cadres["C1"], "黑名单")]
    assert got.deptscores == Rows(["unit_id", "indicator_code", "value"])
    assert got.exemptions == Rows(["unit_id", "indicator_code"])

    t = session_tally(db, sid).targets
    assert got.appraisal.columns == ("unit_id", "score", "satisfaction", "missing_groups")
    assert [r[0] for r in got.appraisal] == [ids["U1"], ids["U2"], ids["U3"]]
    for row, (_i, frame_row) in zip(got.appraisal, t.iterrows(), strict=True):
        expected = (
            int(frame_row["unit_id"]),
            float(frame_row["score"]),
            float(frame_row["satisfaction"]) * 100.0,
            ",".join(frame_row["missing_codes"]),
        )
        assert _text(list(row)) == _text(list(expected))  # exactly equal, NaN included
        assert [type(v) for v in row] == [int, float, float, str]
    assert got.appraisal.data[1][3] == "fw"  # no vote of 服务对象 for U2
    cells = got.cells
    assert cells is not None and cells.weights == {"ld": 0.3, "fw": 0.7}
    assert cells.frame.columns == ("voter_group", "unit_id", "choice", "count")
    # option-major, then target (ballot order), then voter group; no zero counts
    assert cells.frame.data[:5] == [
        ("ld", ids["U1"], 1, 8),
        ("fw", ids["U1"], 1, 5),
        ("ld", ids["U2"], 1, 1),
        ("fw", ids["U3"], 1, 7),
        ("ld", ids["U1"], 2, 2),
    ]
    assert sum(r[3] for r in cells.frame) == 8 + 2 + 1 + 4 + 5 + 3 + 5 + 3 + 1 + 1 + 7
    assert all(type(v) is int for r in cells.frame for v in r[1:])

    (cs,) = got.cadre_sessions
    assert cs.cadre_ids == [cadres["C1"], cadres["C2"]] and cs.weights == {"zg": 1.0}
    assert cs.cells.columns == ("voter_group", "cadre_id", "choice", "count")
    assert cs.cells.data == [
        ("zg", cadres["C1"], 1, 6),
        ("zg", cadres["C1"], 2, 3),
        ("zg", cadres["C1"], 3, 1),
        ("zg", cadres["C2"], 2, 2),
        ("zg", cadres["C2"], 3, 2),
        ("zg", cadres["C2"], 4, 6),
    ]
    assert got.annual is None


def test_a_missing_round_and_a_unit_in_two_sessions_are_named(db):
    from assess.foundation.errors import Conflict, NotFound
    from assess.results.inputs import load_round_inputs

    rid, ids, _cadres, _sid = _round_with_everything(db)
    with db.rows() as c, pytest.raises(NotFound, match=f"考核轮次 #{rid + 100} 不存在。"):
        load_round_inputs(c, rid + 100)
    add_session(db, rid, "unit", "mzpy", [ids["U2"]], {"ld": {ids["U2"]: [3, 0, 0, 0]}}, {"ld": 1.0})
    with db.rows() as c, pytest.raises(Conflict, match="单位 U2 出现在多个已核定的民主评议会议中"):
        load_round_inputs(c, rid)
