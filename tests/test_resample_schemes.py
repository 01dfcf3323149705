"""Draw schemes of the robustness pass (``scoring.robustness``, module docstring) as published rounds
see them: a round is computed with ``RESAMPLE_SCHEME`` and its ``results.compute`` record says so;
``audit verify`` recomputes a snapshot's rank intervals with the scheme its compute record names, a
record without one (written before schemes were recorded) with scheme 1; a record whose scheme does
not match the intervals is reported, and an unknown scheme is a finding in Chinese, not a crash.

Two demo databases: one built as now (scheme 2), one built as the program before draw schemes built
it (scheme 1 draws, no ``resample_scheme`` in the compute record)."""

from __future__ import annotations

import copy
import sqlite3
from pathlib import Path

import pytest

from assess.foundation.db import Database
from tests.results_helpers import run_cli


def _build(path: Path) -> int:
    from assess.demo.office import build_demo

    db = Database(f"sqlite:///{path}")
    db.upgrade(backup=False)
    rid = build_demo(db).round_ids[0]
    db.dispose()
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return rid


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, int]:
    """(demo database computed and published as now, id of its published round)."""
    path = tmp_path_factory.mktemp("schemes") / "demo.db"
    return path, _build(path)


@pytest.fixture(scope="module")
def old_demo(tmp_path_factory) -> tuple[Path, int]:
    """The demo as the program before draw schemes wrote it: intervals drawn with scheme 1 and a
    ``results.compute`` record without ``resample_scheme``."""
    import assess.results.compute as rc
    from assess.foundation import audit

    real_resample, real_append = rc.resample, audit.append

    def resample_1(*args, **kwargs):
        return real_resample(*args, **{**kwargs, "scheme": 1})

    def append_old(session, actor, action, payload=None):
        if action == "results.compute":
            payload = {k: v for k, v in payload.items() if k != "resample_scheme"}
        return real_append(session, actor, action, payload)

    path = tmp_path_factory.mktemp("schemes") / "old.db"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(rc, "resample", resample_1)
        mp.setattr(audit, "append", append_old)
        rid = _build(path)
    return path, rid


def snapshot(path: Path, rid: int) -> dict:
    from sqlmodel import select

    from assess.models import Snapshot

    db = Database(f"sqlite:///{path}")
    try:
        with db.read() as s:
            return s.exec(select(Snapshot.content).where(Snapshot.round_id == rid)).one()
    finally:
        db.dispose()


def with_intervals(content: dict, scheme: int) -> dict:
    """``content`` with its units' rank intervals redrawn with ``scheme`` (the compute record as is)."""
    from assess.scoring.engine import compute_units
    from assess.scoring.robustness import resample
    from assess.scoring.serial import inputs_from_json

    out = copy.deepcopy(content)
    inputs = inputs_from_json(out["inputs"])
    scores = compute_units(inputs)
    compute = out["compute"]
    rs = resample(inputs, scores, n=compute["resamples"], seed=compute["seed"], scheme=scheme)
    by_code = dict(zip(scores.table["code"], zip(rs.rank_low, rs.rank_high, strict=True), strict=True))
    for r in out["results"]:
        r["rank_low"], r["rank_high"] = (int(x) for x in by_code[r["code"]])
    return out


def interval_problems(problems: list[str]) -> list[str]:
    return [p for p in problems if p.startswith("重新计算区间：")]


def test_a_round_computed_now_records_its_scheme_and_verifies(demo):
    from assess.results.snapshot_check import recompute_problems
    from assess.scoring.robustness import RESAMPLE_SCHEME

    path, rid = demo
    rc, out, err = run_cli(["audit", "verify", "--db", str(path)])
    assert rc == 0, out + err
    assert "1 个已公示轮次" in out and "选票、计票与公示结果均与审计记录一致" in out
    content = snapshot(path, rid)
    assert RESAMPLE_SCHEME == 2
    assert content["compute"]["resample_scheme"] == 2 and content["compute"]["resamples"] == 1000
    assert recompute_problems(content) == []


def test_a_scheme_that_does_not_match_the_intervals_is_reported(demo):
    """The demo round's intervals differ between the schemes (so this is a real check): a record
    saying scheme 1 over scheme-2 intervals, or scheme 2 over scheme-1 intervals, is reported."""
    from assess.results.snapshot_check import recompute_problems

    path, rid = demo
    content = snapshot(path, rid)
    as_1 = with_intervals(content, 1)
    assert as_1["results"] != content["results"]  # the schemes draw different intervals here
    assert with_intervals(content, 2) == content

    says_1 = copy.deepcopy(content)
    says_1["compute"]["resample_scheme"] = 1
    found = recompute_problems(says_1)
    assert found and found == interval_problems(found), found
    assert any("rank_low" in p or "rank_high" in p for p in found)

    drawn_1 = copy.deepcopy(as_1)  # scheme-1 intervals, record says 2
    found = recompute_problems(drawn_1)
    assert found and found == interval_problems(found), found

    old_style = copy.deepcopy(content)  # no scheme recorded: scheme 1, but the intervals are scheme 2's
    del old_style["compute"]["resample_scheme"]
    found = recompute_problems(old_style)
    assert found and found == interval_problems(found), found

    assert recompute_problems({**as_1, "compute": says_1["compute"]}) == []


def test_a_snapshot_without_a_recorded_scheme_is_recomputed_with_scheme_1(demo, old_demo):
    from assess.results.snapshot_check import recompute_problems

    path, rid = old_demo
    rc, out, err = run_cli(["audit", "verify", "--db", str(path)])
    assert rc == 0, out + err
    assert "1 个已公示轮次" in out and "选票、计票与公示结果均与审计记录一致" in out
    content = snapshot(path, rid)
    assert "resample_scheme" not in content["compute"]
    assert recompute_problems(content) == []
    assert with_intervals(content, 1) == content
    # the same round as the new demo, only its intervals (scheme 1) differ
    new = snapshot(demo[0], demo[1])
    assert [(r["code"], r["composite"], r["rank"], r["grade"]) for r in content["results"]] == [
        (r["code"], r["composite"], r["rank"], r["grade"]) for r in new["results"]
    ]
    assert [(r["rank_low"], r["rank_high"]) for r in content["results"]] != [
        (r["rank_low"], r["rank_high"]) for r in new["results"]
    ]
    # and a record of this old snapshot saying scheme 2 would not verify
    says_2 = copy.deepcopy(content)
    says_2["compute"]["resample_scheme"] = 2
    assert interval_problems(recompute_problems(says_2))


@pytest.mark.parametrize("scheme", [3, 0, "2", None, 2.0, True])
def test_an_unknown_scheme_is_a_finding_in_chinese(demo, scheme):
    from assess.foundation.errors import AssessError
    from assess.results.snapshot_check import recompute_problems
    from assess.scoring.engine import compute_units
    from assess.scoring.robustness import resample
    from assess.scoring.serial import inputs_from_json

    path, rid = demo
    content = copy.deepcopy(snapshot(path, rid))
    content["compute"]["resample_scheme"] = scheme
    found = recompute_problems(content)
    assert found == [
        f"重新计算区间：稳健性重抽样方式 {scheme!r} 未知：本程序只能按方式 1、2 重抽样（计算记录可能由更新版本的程序写入或被改动）。"
    ]
    inputs = inputs_from_json(content["inputs"])
    with pytest.raises(AssessError, match=r"稳健性重抽样方式 .* 未知"):
        resample(inputs, compute_units(inputs), n=10, seed=1, scheme=scheme)
