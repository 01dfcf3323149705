"""Crash safety of ballot entry: a clerk's process entering ballots through ``store_ballot`` is
killed with SIGKILL at a random moment; after each kill the database passes ``integrity_check``,
holds every ballot the process reported stored exactly as reported, nothing partial, and the
pass's counts equal the stored rows (``bench/crash_harness.py`` says how).

The default suite runs ``TRIALS`` kills; ``pytest -m slow`` (and CI) runs ``SLOW_TRIALS`` (and
``./dev bench`` runs ``bench/bench_crash.py``, the same series with its figures).
"""

from __future__ import annotations

import random
import sqlite3

import pytest

from bench.crash_harness import CLERK, Figures, check, run, trial
from bench.reliability_setup import prepare

from .reliability_helpers import drop_triggers

TRIALS = 5
SLOW_TRIALS = 100


def test_killed_entry_loses_nothing(tmp_path):
    figures = run(tmp_path / "crash.db", TRIALS, seed=5)
    assert figures.failures == []
    assert figures.trials == TRIALS
    assert figures.reported > 0 and figures.ballots > 0


@pytest.mark.slow
def test_killed_entry_loses_nothing_over_many_kills(tmp_path):
    figures = run(tmp_path / "crash.db", SLOW_TRIALS, seed=2026)
    print("\n" + figures.summary())
    assert figures.failures == [] and figures.trials == SLOW_TRIALS


def test_the_checks_catch_a_lost_a_changed_and_a_partial_ballot(tmp_path):
    """The checker is not a rubber stamp: after a clean trial, a ballot removed, one changed and
    one cut short in the file are each reported, and so is a ballot claimed but never stored."""
    path = tmp_path / "c.db"
    url = f"sqlite:///{path}"
    batch_id = prepare(url, clerks=1)[CLERK]
    expected: dict[int, tuple[str, str]] = {}
    figures = Figures()
    while figures.reported < 4 and figures.trials < 20:  # a kill right after start may catch none
        trial(url, batch_id, random.Random(len(expected) + figures.trials), expected, figures, max_delay=0.3)
    assert figures.failures == [] and figures.reported >= 4
    pass_id = sqlite3.connect(path).execute("SELECT id FROM entrypass").fetchone()[0]
    assert check(url, pass_id, expected, None, Figures()) == []
    nos = sorted(expected)
    con = sqlite3.connect(path)
    drop_triggers(con)
    con.execute("DELETE FROM passballot WHERE ballot_no = ?", (nos[0],))
    con.execute(
        "UPDATE passballot SET marks = '444444444444', status = 'valid' WHERE ballot_no = ?", (nos[1],)
    )
    con.execute("UPDATE passballot SET marks = substr(marks, 1, 5) WHERE ballot_no = ?", (nos[2],))
    con.commit()
    con.close()
    expected[max(nos) + 100] = ("valid", "2" * 12)
    problems = " | ".join(check(url, pass_id, expected, None, Figures()))
    assert f"票号 {nos[0]}：" in problems and "库中为 None" in problems
    if expected[nos[1]] != ("valid", "444444444444"):
        assert f"票号 {nos[1]}：" in problems
    assert f"票号 {nos[2]} 不完整" in problems
    assert f"票号 {max(nos) + 100}：" in problems
