"""The engine's row tables (``assess.scoring.rows``)."""

import subprocess
import sys

import pytest

from assess.scoring.rows import Rows


def test_columns_rows_and_selection():
    r = Rows(["unit_id", "kind"], [(1, "a"), (2, "b"), (3, "a")])
    assert len(r) == 3
    assert r.columns == ("unit_id", "kind")
    assert r.column("kind") == ["a", "b", "a"]
    assert list(r) == [(1, "a"), (2, "b"), (3, "a")]
    assert r.select("kind", "unit_id").data == [("a", 1), ("b", 2), ("a", 3)]
    assert len(Rows(["a", "b"])) == 0
    assert r.records()[1] == {"unit_id": 2, "kind": "b"}
    assert r == Rows(["unit_id", "kind"], [(1, "a"), (2, "b"), (3, "a")])
    assert r != Rows(["unit_id", "kind"], [(1, "a")])


def test_bad_shapes_are_refused_with_the_row_named():
    with pytest.raises(ValueError, match="第 2 行有 1 列"):
        Rows(["a", "b"], [(1, 2), (3,)])
    with pytest.raises(KeyError, match="没有列 'c'"):
        Rows(["a"]).column("c")


def test_loads_no_pandas():
    code = "import sys, assess.scoring.rows; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_from_frame_gives_plain_python_values():
    import numpy as np
    import pandas as pd

    frame = pd.DataFrame({"unit_id": [1, 2], "value": [1.5, np.nan], "code": ["I1", "I2"], "extra": [0, 0]})
    r = Rows.from_frame(frame, ["unit_id", "code", "value"])
    assert r.columns == ("unit_id", "code", "value")
    assert [type(x) for x in r.data[0]] == [int, str, float]
    assert r.data[0] == (1, "I1", 1.5) and r.data[1][2] != r.data[1][2]  # NaN stays NaN
    assert Rows.from_frame(frame).columns == ("unit_id", "value", "code", "extra")
    assert len(Rows.from_frame(pd.DataFrame(columns=["a", "b"]))) == 0
