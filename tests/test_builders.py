"""The test-data builders (``assess.demo.builders``) go through the services: they are refused what the
acting role may not do, they leave audit records, and a round built with them moves through the
real stages."""

from __future__ import annotations

import pytest
from sqlmodel import select

from assess.demo import builders
from assess.foundation import audit
from assess.foundation.errors import AuthError, PermissionDenied
from assess.foundation.roles import Actor
from assess.models import AuditRecord, RoundUnit, SchemeVersion, SelfCheckScore
from assess.workflow import advance as workflow

from .conftest import PASSWORD

SCHEME_TOML = """\
code = "b"
name = "构造测试方案"
categories = ["政府部门"]
weights = { indicators = 100 }
basis = "example"
reason = "测试用方案，各项数值均为示例"

[[bands]]
grade = "合格"
min = 0
max = 100
include_max = true

[[indicators]]
code = "A"
name = "公开"
method = "points"
max = 10

[spotcheck]
sample_size = 0
"""


def _actions(db) -> list[str]:
    with db.read() as s:
        return [r.action for r in s.exec(select(AuditRecord).order_by(AuditRecord.seq)).all()]


def test_scheme_from_toml_units_round_and_self_check_through_the_services(db):
    acts = builders.users(db, PASSWORD)
    admin = acts["admin"]
    # 1 bootstrap admin + 6 staff (builders.STAFF)
    assert _actions(db).count("user.add") == 1 + len(builders.STAFF)
    codes = builders.numbered_units(db, admin, 2)
    assert codes == ["U01", "U02"]
    vid = builders.scheme(db, admin, SCHEME_TOML, "b.toml")
    with db.read() as s:
        version = s.get(SchemeVersion, vid)
        assert (version.source_name, version.source_text) == ("b.toml", SCHEME_TOML)
    rid = builders.round_(db, admin, vid, "构造测试轮次", "2026-Q1")
    with db.read() as s:
        assert len(s.exec(select(RoundUnit).where(RoundUnit.round_id == rid)).all()) == 2
    workflow.advance(db, admin, rid)
    builders.self_check(db, acts["clerk"], rid, {"U01": {"A": 9}, "U02": {"A": 7.5}})
    with db.read() as s:
        values = sorted(v.value for v in s.exec(select(SelfCheckScore).where(SelfCheckScore.round_id == rid)))
        assert values == [7.5, 9.0]
    assert workflow.advance(db, admin, rid) == "selfcheck_closed"  # both submitted: nothing blocks
    actions = _actions(db)
    for action in ("unit.add", "scheme.load", "round.create", "selfcheck.import", "selfcheck.submit"):
        assert action in actions, action
    assert audit.verify(db).ok


def test_builders_are_refused_what_the_role_may_not_do(db):
    acts = builders.users(db, PASSWORD)
    with pytest.raises(PermissionDenied):
        builders.scheme(db, acts["clerk"], SCHEME_TOML)
    with pytest.raises(PermissionDenied):
        builders.numbered_units(db, acts["inspector"], 1)
    # an actor that is not a user of this database is refused inside the write transaction
    with pytest.raises(AuthError):
        builders.scheme(db, Actor("nobody", "admin"), SCHEME_TOML)
    assert "scheme.load" not in _actions(db)
