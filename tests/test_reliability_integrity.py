"""The pieces of ``assess.integrity.verify`` on hand-made ballots (the whole check runs in
``test_reliability_tamper.py``)."""

from __future__ import annotations

from assess.appraisal.marks import MarkRules
from assess.integrity.verify import ballots_digest, check_marks, recount


def test_recount_counts_valid_marks_per_target_and_option():
    # Three targets; "X" (voided mark) and "0" (no mark) are not votes.
    # target 1: 1, 2, 1 → (1,1)=2, (1,2)=1; target 2: 2, X, 2 → (2,2)=2; target 3: 3, 0, 4 → (3,3)=1, (3,4)=1
    assert recount(["123", "2X0", "124"], 3) == [(1, 1, 2), (1, 2, 1), (2, 2, 2), (3, 3, 1), (3, 4, 1)]
    assert recount([], 3) == []


def test_check_marks_shape_and_status():
    rules = MarkRules(n_targets=3, n_options=4, limited=1, max_limited=2)  # 满意 (1) at most twice
    ballots = [
        (1, "valid", "123"),
        (2, "void", "111"),  # three 1s: void by the quota
        (3, "blank", "000"),
        (4, "void", "000"),  # voided with one key
        (5, "valid", "111"),  # should be void
        (6, "valid", "12"),  # too short
        (7, "valid", "1Z3"),  # not a mark
        (8, "valid", "1中3"),  # not ASCII
        (9, "blank", "100"),  # has a mark: should be valid
        (10, "valid", "X00"),
    ]
    shape_ok, status_ok = check_marks(rules, ballots)
    assert [no for (no, _s, _m), ok in zip(ballots, shape_ok, strict=True) if not ok] == [6, 7, 8]
    assert [no for (no, _s, _m), ok in zip(ballots, status_ok, strict=True) if not ok] == [5, 9]


def test_ballots_digest_ignores_stored_order():
    rows = [(2, "valid", "12"), (1, "blank", "00")]
    assert ballots_digest(rows) == ballots_digest(list(reversed(rows)))
    assert ballots_digest(rows) != ballots_digest([(2, "valid", "21"), (1, "blank", "00")])
