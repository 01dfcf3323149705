"""The engine's pivot of indicator values (``engine._pivot``): per (unit, code) the last row's value
that is not missing wins; rows of other units or codes are left out. Checked on random tables against
a plain reading of the rule, on the array path (floats, ints, None) and the row-by-row path (other
value types, a unit listed twice)."""

import math
import random

import numpy as np

from assess.scoring import engine
from assess.scoring.rows import Rows


def expected(rows: list[tuple], unit_ids: list, codes: list[str]) -> np.ndarray:
    out = np.full((len(unit_ids), len(codes)), np.nan)
    for u, c, v in rows:
        if c not in codes or u is None or u not in unit_ids:
            continue
        x = math.nan if v is None else float(v)
        if x != x:
            continue
        for i, uid in enumerate(unit_ids):
            if uid == u:
                out[i, codes.index(c)] = x
    return out


def random_case(rng: random.Random, plain: bool):
    codes = [f"C{i}" for i in range(rng.randint(1, 6))]
    unit_ids = rng.sample(range(1, 30), rng.randint(1, 8))
    if not plain and rng.random() < 0.5:
        unit_ids.append(unit_ids[0])  # a unit listed twice: the row-by-row path
    values = [None, math.nan, 0, 1, 2.5, -3.0, 100, math.inf]
    if not plain:
        values += [True, "7.5"]  # not plain numbers: the row-by-row path
    rows = [
        (
            rng.choice([*unit_ids, 99, None]),
            rng.choice([*codes, "X9"]),
            rng.choice(values),
        )
        for _ in range(rng.randint(0, 40))
    ]
    return rows, unit_ids, codes


def test_the_pivot_keeps_the_last_value_that_is_not_missing():
    rng = random.Random(20261202)
    for plain in (True, False):
        for _ in range(400):
            rows, unit_ids, codes = random_case(rng, plain)
            got = engine._pivot(Rows(["unit_id", "indicator_code", "value"], rows), unit_ids, codes)
            np.testing.assert_array_equal(got, expected(rows, unit_ids, codes))


def test_a_later_missing_value_does_not_clear_an_earlier_one():
    rows = Rows(["unit_id", "indicator_code", "value"], [(1, "A", 5.0), (1, "A", None), (1, "A", math.nan)])
    assert engine._pivot(rows, [1], ["A"])[0, 0] == 5.0
    rows = Rows(["unit_id", "indicator_code", "value"], [(1, "A", 5.0), (1, "A", 0)])
    assert engine._pivot(rows, [1], ["A"])[0, 0] == 0.0
