"""The scoring engine runs without pandas: ``assess audit verify`` recomputes every published round
from its snapshot's inputs (``serial.inputs_from_json`` → ``engine.compute_units`` →
``robustness.resample`` → ``cadres.compute_cadres``), and loading pandas for that would take half of
the command's start-up budget. Checked in a fresh interpreter, on the demo's published round and on
a round with a certified cadre session, against the same computation in this process."""

from __future__ import annotations

import json

from sqlalchemy import text

from assess.results.inputs import load_round_inputs
from assess.results.round_view import published_content
from assess.scoring.cadres import compute_cadres
from assess.scoring.engine import compute_units
from assess.scoring.robustness import resample
from assess.scoring.serial import inputs_from_json, inputs_to_json
from tests.fresh_helpers import run_fresh

RECOMPUTE = """
import json, sys
from assess.scoring.cadres import compute_cadres
from assess.scoring.engine import compute_units
from assess.scoring.robustness import resample
from assess.scoring.serial import inputs_from_json

out = []
for path, units in zip(sys.argv[1::2], sys.argv[2::2]):
    with open(path, encoding="utf-8") as f:
        inputs = inputs_from_json(json.load(f))
    done = {"cadres": compute_cadres(inputs)}
    if units == "units":
        scores = compute_units(inputs)
        rs = resample(inputs, scores, n=50, seed=7)
        c = scores.columns
        done["units"] = [[c["code"][i], float(c["composite"][i]), int(c["rank"][i]), c["grade"][i]]
                         for i in range(len(scores))]
        done["intervals"] = [rs.rank_low.tolist(), rs.rank_high.tolist()]
    out.append(done)
print(json.dumps(out, ensure_ascii=False))
print(",".join(m for m in ("pandas", "sqlmodel", "pydantic", "sqlalchemy.orm") if m in sys.modules))
"""


def _round_id(s, period: str) -> int:
    return int(
        s.connection().execute(text("SELECT id FROM round WHERE period = :p"), {"p": period}).scalar_one()
    )


def test_recomputing_from_snapshot_inputs_loads_no_pandas(demo_db, tmp_path):
    with demo_db.read() as s:
        content = published_content(s, _round_id(s, "2026-Q3"))
        cadre_round = inputs_to_json(load_round_inputs(s, _round_id(s, "2026-Q4")))
    assert content is not None and cadre_round["cadre_sessions"]
    published, live = tmp_path / "published.json", tmp_path / "cadres.json"
    published.write_text(json.dumps(content["inputs"], ensure_ascii=False), encoding="utf-8")
    live.write_text(json.dumps(cadre_round, ensure_ascii=False), encoding="utf-8")

    printed, loaded = [*run_fresh(RECOMPUTE, str(published), "units", str(live), "cadres").splitlines(), ""][
        :2
    ]
    assert loaded == "", f"loaded {loaded}"
    fresh, cadres = json.loads(printed)

    # the published figures, and the same computation in this process (pandas loaded or not)
    expected = {r["code"]: (r["composite"], r["rank"], r["grade"]) for r in content["results"]}
    assert {code: (comp, rank, grade) for code, comp, rank, grade in fresh["units"]} == expected
    inputs = inputs_from_json(content["inputs"])
    scores = compute_units(inputs)
    rs = resample(inputs, scores, n=50, seed=7)
    assert fresh["intervals"] == [rs.rank_low.tolist(), rs.rank_high.tolist()]
    assert fresh["cadres"] == json.loads(json.dumps(compute_cadres(inputs), ensure_ascii=False))
    mine = compute_cadres(inputs_from_json(cadre_round))
    assert cadres["cadres"] == json.loads(json.dumps(mine, ensure_ascii=False)) and len(mine) > 0
