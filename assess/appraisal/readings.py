"""The reading of a ballot batch from its entry passes: the rules certification applies and
``audit verify`` applies again to the stored passes (``assess.integrity.verify``).

Two passes agree ballot by ballot and mark by mark; where they differ, a reviewer's reading
(``ballotresolution``) decides. A single (imported) pass is the reading by itself. The agreed
ballots' statuses and the digest of their tallies are computed here too, so that the one rule is
used by both the write (``appraisal.reconcile``) and the check.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assess.appraisal.marks import MarkRules, is_explicit_void

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np

    from assess.foundation.db import Reader


def marks_array(marks: list[str], n_targets: int) -> np.ndarray:
    """The marks of ``marks`` (one string of ``n_targets`` characters a ballot) as a byte array."""
    import numpy as np

    if not marks:
        return np.zeros((0, n_targets), dtype=np.uint8)
    return np.frombuffer("".join(marks).encode("ascii"), dtype=np.uint8).reshape(len(marks), n_targets)


def entry_kind(entry: tuple[str, str] | None) -> str:
    """What one pass read for a ballot as a whole (``KIND_LABELS`` of ``appraisal.reconcile``): no
    such ballot, voided with one key, or marks."""
    if entry is None:
        return "absent"
    return "void" if is_explicit_void(*entry) else "marks"


@dataclass
class Merged:
    """The agreed reading of a batch: ballots, and the mismatches (open or resolved)."""

    ballot_nos: list[int]
    marks: list[str]
    explicit_void: list[bool]
    mismatches: list[
        tuple[int, int, str, str, str | None]
    ]  # (ballot_no, position, first, second, resolution)


def merge_passes(
    rules: MarkRules,
    one: dict[int, tuple[str, str]],
    two: dict[int, tuple[str, str]] | None,
    resolutions: dict[tuple[int, int], str],
) -> Merged:
    """The agreed reading of a batch from pass ``one`` and pass ``two`` (None: a single imported
    pass) with the reviewers' ``resolutions``; a ballot with an unresolved mismatch is left out."""
    import numpy as np

    if two is None:  # a single (imported) pass is the reading
        nos = sorted(one)
        return Merged(nos, [one[n][1] for n in nos], [is_explicit_void(*one[n]) for n in nos], [])
    out = Merged([], [], [], [])
    both_marked: list[int] = []
    for no in sorted(set(one) | set(two)):
        k1, k2 = entry_kind(one.get(no)), entry_kind(two.get(no))
        if k1 != k2:
            res0 = resolutions.get((no, 0))
            out.mismatches.append((no, 0, k1, k2, res0))
            if res0 is None or res0 == "absent":
                continue
            if res0 == "void":
                out.ballot_nos.append(no)
                out.marks.append("0" * rules.n_targets)
                out.explicit_void.append(True)
                continue
            chosen = one.get(no) if res0 == "pass1" else two.get(no)
            assert chosen is not None  # pass1/pass2 is kept only for a pass that read marks (whole_ballot_reading)
            out.ballot_nos.append(no)
            out.marks.append(chosen[1])
            out.explicit_void.append(is_explicit_void(*chosen))
        elif k1 == "void":
            out.ballot_nos.append(no)
            out.marks.append("0" * rules.n_targets)
            out.explicit_void.append(True)
        elif k1 == "marks":
            both_marked.append(no)
    if both_marked:
        a = marks_array([one[n][1] for n in both_marked], rules.n_targets)
        b = marks_array([two[n][1] for n in both_marked], rules.n_targets)
        merged = a.copy()
        unresolved_rows: set[int] = set()
        rows, cols = np.nonzero(a != b)
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            no, pos = both_marked[r], c + 1
            res = resolutions.get((no, pos))
            out.mismatches.append((no, pos, chr(a[r, c]), chr(b[r, c]), res))
            if res is None:
                unresolved_rows.add(r)
            else:
                merged[r, c] = ord(res)
        for r, no in enumerate(both_marked):
            if r in unresolved_rows:
                continue
            out.ballot_nos.append(no)
            out.marks.append(merged[r].tobytes().decode("ascii"))
            out.explicit_void.append(False)
    out.mismatches.sort(key=lambda m: (m[0], m[1]))
    return out


def ballot_statuses(rules: MarkRules, marks: list[str], explicit_void: list[bool]) -> list[str]:
    """Vectorised status of agreed ballots: blank (no mark), void (over quota or voided by key),
    valid."""
    import numpy as np

    arr = marks_array(marks, rules.n_targets)
    blank = (arr == ord("0")).all(axis=1)
    void = np.array(explicit_void, dtype=bool)
    if rules.limited is not None:
        void |= (arr == ord(str(rules.limited))).sum(axis=1) > (rules.max_limited or 0)
    status = np.where(void, "void", np.where(blank, "blank", "valid"))
    return status.tolist()


def batch_resolutions(s: Reader, batch_id: int) -> dict[tuple[int, int], str]:
    """The reviewers' readings of a batch's mismatches: (ballot_no, position) → value (a Core reader)."""
    from sqlalchemy import select

    from assess.models import tables as t

    r = t.ballotresolution
    rows: Sequence[Any] = s.execute(
        select(r.c.ballot_no, r.c.position, r.c.value).where(r.c.batch_id == batch_id)
    ).all()
    return {(no, pos): v for no, pos, v in rows}


def resolutions_by_batch(s: Reader) -> dict[int, dict[tuple[int, int], str]]:
    """Every batch's ``batch_resolutions`` in one statement: batch id → (ballot_no, position) → value."""
    from sqlalchemy import select

    from assess.models import tables as t

    r = t.ballotresolution
    out: dict[int, dict[tuple[int, int], str]] = {}
    rows: Sequence[Any] = s.execute(select(r.c.batch_id, r.c.ballot_no, r.c.position, r.c.value)).all()
    for batch_id, no, pos, v in rows:
        out.setdefault(batch_id, {})[(no, pos)] = v
    return out


def tally_digest(rows: list[tuple[int, int, int]]) -> str:
    """SHA-256 over a batch's (position, choice, count) rows in order: printed in the audit log so
    that the published tallies can be recomputed and checked."""
    h = hashlib.sha256()
    for pos, choice, count in sorted(rows):
        h.update(f"{pos}|{choice}|{count}\n".encode())
    return h.hexdigest()
