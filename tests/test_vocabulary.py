"""One vocabulary (docs/architecture.md, "词汇"): the stored codes of stages, statuses, decisions and
methods are StrEnums in ``assess.foundation.vocabulary``, each with its one Chinese label map; the
database refuses any other value (migration v001: CHECK constraints on PostgreSQL, equivalent triggers
on SQLite); and no code compares or stores one of these codes as a bare string literal."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from assess.foundation.vocabulary import (
    ACCOUNTABILITY_STATUS_LABELS,
    BALLOT_STATUS_LABELS,
    BATCH_STATUS_LABELS,
    DECISION_LABELS,
    DRAW_STATUS_LABELS,
    METHOD_LABELS,
    PASS_STATUS_LABELS,
    RECTIFICATION_STATUS_LABELS,
    SESSION_STATUS_LABELS,
    STAGE_LABELS,
    AccountabilityStatus,
    BallotStatus,
    BatchStatus,
    Decision,
    DrawStatus,
    Method,
    PassStatus,
    RectificationStatus,
    SessionStatus,
    Stage,
)

ROOT = Path(__file__).resolve().parent.parent

# (table, column) → the enum whose values the database allows there.
STORED = {
    ("round", "stage"): Stage,
    ("appraisalsession", "status"): SessionStatus,
    ("ballotbatch", "status"): BatchStatus,
    ("entrypass", "status"): PassStatus,
    ("ballot", "status"): BallotStatus,
    ("passballot", "status"): BallotStatus,
    ("accountabilityentry", "status"): AccountabilityStatus,
    ("reviewstep", "decision"): Decision,
    ("indicator", "method"): Method,
}


@pytest.mark.parametrize(
    "enum, labels",
    [
        (Stage, STAGE_LABELS),
        (BatchStatus, BATCH_STATUS_LABELS),
        (AccountabilityStatus, ACCOUNTABILITY_STATUS_LABELS),
        (Decision, DECISION_LABELS),
        (Method, METHOD_LABELS),
        (BallotStatus, BALLOT_STATUS_LABELS),
        (RectificationStatus, RECTIFICATION_STATUS_LABELS),
        (SessionStatus, SESSION_STATUS_LABELS),
        (PassStatus, PASS_STATUS_LABELS),
        (DrawStatus, DRAW_STATUS_LABELS),
    ],
)
def test_every_code_has_its_one_label(enum, labels):
    for member in enum:
        assert member in labels, member
        assert member.label == labels[member] == labels[member.value]
    assert {k for k in labels if k is not None} == set(enum)


def test_accountability_status_is_worded_once():
    assert AccountabilityStatus("proposed").label == "待确认"
    assert "拟问责" not in ACCOUNTABILITY_STATUS_LABELS.values()


def _allowed_in_database(db, table: str, column: str) -> set[str]:
    """The values the database's own rule allows, read from its catalog."""
    with db.engine.connect() as c:
        if db.is_sqlite:
            sql = c.execute(
                sa.text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :n"),
                {"n": f"v_check_{table}_{column}_insert"},
            ).scalar_one()
            listed = re.search(r"NOT IN \(([^)]*)\)", sql).group(1)
        else:
            definition = c.execute(
                sa.text(
                    "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conname = :n AND contype = 'c'"
                ),
                {"n": f"ck_{table}_{column}_allowed"},
            ).scalar_one()
            listed = re.search(r"ARRAY\[(.*)\]", definition).group(1)
    return set(re.findall(r"'([^']*)'", listed))


def test_the_database_allows_exactly_the_vocabulary(db):
    for (table, column), enum in STORED.items():
        assert _allowed_in_database(db, table, column) == {m.value for m in enum}, (table, column)


def test_the_database_refuses_an_unknown_code(db, actors):
    from tests.rounds_helpers import make_round

    rid = make_round(db, actors)
    with db.engine.connect() as c:
        with pytest.raises(sa.exc.DBAPIError):
            with c.begin():
                c.execute(sa.text("UPDATE round SET stage = 'finished' WHERE id = :i"), {"i": rid})
        with c.begin():  # a known code passes the same rule
            c.execute(sa.text("UPDATE round SET stage = :s WHERE id = :i"), {"s": Stage.SELFCHECK_CLOSED, "i": rid})
    with db.read() as s:
        from assess.models import Round

        assert s.get(Round, rid).stage == Stage.SELFCHECK_CLOSED


# -- no bare codes in the code --------------------------------------------------------------------

CODES = {
    m.value
    for enum in (Stage, BatchStatus, SessionStatus, PassStatus, BallotStatus, AccountabilityStatus, Decision, Method)
    for m in enum
}
# Stage codes that mean nothing else in the code, flagged wherever they appear; "publicity" also names
# the 公示 document kind, a command and a snapshot key, so it is checked only where a stage is compared,
# stored or passed (below).
DISTINCT_STAGES = {m.value for m in Stage} - {"publicity"}
FIELDS = {"stage", "status", "decision", "method"}


def _mentions_field(node: ast.AST) -> bool:
    for x in ast.walk(node):
        if isinstance(x, ast.Attribute) and x.attr in FIELDS:
            return True
        if isinstance(x, ast.Subscript) and isinstance(x.slice, ast.Constant) and x.slice.value in FIELDS:
            return True
        if isinstance(x, ast.Name) and x.id in FIELDS:
            return True
    return False


def bare_codes(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
    found = []

    def flag(node: ast.AST, why: str) -> None:
        for x in ast.walk(node):
            if isinstance(x, ast.Constant) and isinstance(x.value, str) and x.value in CODES:
                found.append(f"{shown}:{x.lineno} “{x.value}”（{why}）")

    in_fstring = {id(x) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for x in ast.walk(n)}
    for n in ast.walk(tree):
        if isinstance(n, ast.Compare) and any(_mentions_field(c) for c in [n.left, *n.comparators]):
            for c in [n.left, *n.comparators]:
                if not _mentions_field(c):
                    flag(c, "比较")
        elif isinstance(n, ast.Assign) and any(
            isinstance(t, ast.Attribute) and t.attr in FIELDS for t in n.targets
        ):
            flag(n.value, "赋值")
        elif isinstance(n, ast.keyword) and n.arg in FIELDS:
            flag(n.value, "参数")
        elif (
            isinstance(n, ast.Constant)
            and isinstance(n.value, str)
            and n.value in DISTINCT_STAGES
            and id(n) not in in_fstring
        ):
            found.append(f"{shown}:{n.lineno} “{n.value}”（阶段）")
    return found


def test_no_stage_or_status_literal_outside_the_vocabulary():
    problems = []
    for folder in ("assess", "tui"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "migrations" in path.parts or path.name == "vocabulary.py":
                continue
            problems += bare_codes(path)
    assert sorted(set(problems)) == []


def test_the_literal_check_finds_a_bare_code(tmp_path):
    """The check above is not vacuous: it flags each form it looks for."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "def f(r, b, row):\n"
        "    if r.stage == 'published':\n        pass\n"
        "    b.status = 'certified'\n"
        "    g(decision='return')\n"
        "    return row['status'] in ('proposed', 'waived')\n",
        encoding="utf-8",
    )
    found = bare_codes(sample)
    assert [f.split("“")[1].split("”")[0] for f in found].count("published") >= 1
    assert {"certified", "return", "proposed", "waived"} <= {f.split("“")[1].split("”")[0] for f in found}
