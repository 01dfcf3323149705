"""Loading schemes as versions, on SQLite and PostgreSQL: immutable versions, no version for
unchanged content, nothing written on a bad file or a refused role, the diff between versions."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import select

from assess.foundation import audit
from assess.foundation.errors import InputErrors, PermissionDenied
from assess.models import AuditRecord, Indicator, Round, Scheme, SchemeVersion
from assess.schemes.builtin import read_scheme_source
from assess.schemes.catalog import (
    diff_versions,
    get_definition,
    indicator_rows,
    list_schemes,
    list_versions,
    load_scheme,
    settings_rows,
    version_source,
)

from .test_scheme_validate import BASE


def _counts(db) -> tuple[int, int, int]:
    with db.read() as s:
        return (
            s.exec(select(func.count()).select_from(Scheme)).one(),
            s.exec(select(func.count()).select_from(SchemeVersion)).one(),
            s.exec(select(func.count()).select_from(Indicator)).one(),
        )


def test_load_builtin_then_same_content_again(db, actors, tmp_path):
    r = load_scheme(db, actors["admin"], "zwgk_2014")
    assert (r.code, r.version, r.created) == ("zwgk", 1, True)
    # zwgk has 9 top-level indicators, A has 6 children of which A2 has 4, B 3, C 3, D 3, E 2, F 2, G 3,
    # J 4: 9 + 6 + 4 + 3 + 3 + 3 + 2 + 2 + 3 + 4 = 39 nodes, each one Indicator row.
    assert _counts(db) == (1, 1, 39)
    with db.read() as s:
        a21 = s.exec(select(Indicator).where(Indicator.code == "A2.1")).one()
        assert (a21.parent_code, a21.level, a21.method, a21.max_points) == ("A2", 3, "points", 2.0)
        rec = s.exec(select(AuditRecord).order_by(AuditRecord.seq.desc())).first()
        assert rec.action == "scheme.load" and rec.actor == "admin"
        assert rec.payload["content_hash"] == r.content_hash and rec.payload["version"] == 1
    head = audit.chain_head(db)
    # The same content, reformatted and with a comment, from a file: no new version, no audit record.
    _name, text = read_scheme_source("zwgk_2014")
    f = tmp_path / "zwgk-copy.toml"
    f.write_text("# 复制件\n" + text.replace("precision = 2", "precision = 2   # 两位小数"), encoding="utf-8")
    again = load_scheme(db, actors["admin"], f)
    assert (again.version, again.created) == (1, False)
    assert "未新建版本" in again.message()
    assert audit.chain_head(db) == head
    assert _counts(db) == (1, 1, 39)
    assert audit.verify(db).ok


def test_new_version_leaves_the_old_one_untouched_and_diff_names_the_changes(db, actors, tmp_path):
    f = tmp_path / "t.toml"
    f.write_text(BASE, encoding="utf-8")
    load_scheme(db, actors["admin"], f)
    f.write_text(
        BASE.replace(
            '{ code = "A1", name = "甲项", method = "points", max = 6 },',
            '{ code = "A1", name = "甲项", method = "points", max = 8 },\n'
            '  { code = "A3", name = "丙项", method = "bonus", max = 2 },',
        ).replace(
            "weights = { indicators = 70, appraisal = 30 }", "weights = { indicators = 60, appraisal = 40 }"
        ),
        encoding="utf-8",
    )
    r2 = load_scheme(db, actors["admin"], f)
    assert (r2.version, r2.created) == (2, True)
    v1, v2 = get_definition(db, "t", 1), get_definition(db, "t", 2)
    assert v1.indicator("A1").max == 6 and v2.indicator("A1").max == 8
    assert get_definition(db, "t").indicator("A1").max == 8  # newest by default
    assert version_source(db, "t", 1) == ("t.toml", BASE)
    texts = [c.text() for c in diff_versions(db, "t", 1, 2)]
    # A's max is derived: 6 + 4 → 8 + 4 (the bonus A3 is not part of it).
    assert texts == [
        "指标 A max：10 → 12",
        "指标 A1 max：6 → 8",
        "新增 指标 A3：丙项",
        "权重 指标：70 → 60",
        "权重 民主评议：30 → 40",
    ]
    assert diff_versions(db, "t", 2, 2) == []
    # A round created under version 1 keeps pointing at it; the lists count the rounds per version.
    with db.write() as s:
        s.add(
            Round(
                name="2026年第三季度",
                period="2026-Q3",
                scheme_version_id=list_versions(db, "t")[0].id,
                created_by="admin",
            )
        )
    rows = list_versions(db, "t")
    assert [(v.version, v.created_by, v.rounds) for v in rows] == [(1, "admin", 1), (2, "admin", 0)]
    [s] = list_schemes(db)
    assert (s.code, s.versions, s.latest_version, s.rounds, s.content_hash) == ("t", 2, 2, 1, r2.content_hash)


def test_bad_file_or_wrong_role_changes_nothing(db, actors, tmp_path):
    head = audit.chain_head(db)
    bad = tmp_path / "bad.toml"
    bad.write_text(BASE.replace("max = 5", "max = -5"), encoding="utf-8")
    with pytest.raises(InputErrors) as e:
        load_scheme(db, actors["admin"], bad)
    assert e.value.problems[0].file == "bad.toml" and e.value.problems[0].field == "indicators.max"
    for role in ("clerk", "inspector", "reviewer", "committee"):
        with pytest.raises(PermissionDenied):
            load_scheme(db, actors[role], "zwgk_2014")
    assert _counts(db) == (0, 0, 0)
    assert audit.chain_head(db) == head


def test_unit_categories_outside_the_scheme_are_warned(db, actors):
    from assess.org.units import add_unit

    add_unit(db, actors["admin"], "U1", "财政局", "政府部门")
    add_unit(db, actors["admin"], "U2", "某某中学", "学校")
    r = load_scheme(db, actors["admin"], "zwgk_2014")
    assert r.warnings == ["单位类别“学校”不在方案的 categories 中：该类别的单位只适用不限类别的指标"]


def test_tree_and_settings_for_people(db, actors):
    load_scheme(db, actors["admin"], "cwgk_qlss_2014")
    scheme = get_definition(db, "cwgk")
    rows = indicator_rows(scheme)
    assert [(r.code, r.level, r.parent_code) for r in rows[:3]] == [
        ("CW", 1, None),
        ("CW1", 2, "CW"),
        ("CW2", 2, "CW"),
    ]
    # The seed forbids a 小金库 (附件15 二（二）2) without making it a veto: a deduction, marked as example.
    sz4 = next(r for r in rows if r.code == "SZ4")
    assert (sz4.method_label, sz4.max, sz4.is_leaf) == ("扣分", 5.0, True)
    assert sz4.example and sz4.provenance.startswith("依据 附件15 二（二）2；数值示例，由考核办确定")
    settings = dict(settings_rows(scheme))
    assert settings["综合得分"] == "指标 70% + 民主评议 30%"
    # 村: CW1 10 + CW2 8 + CW4 7 + JC 20 + SZ 31 + JW 11 = 87 (CW3 is 社区 only; JF bonus).
    assert settings["指标满分"] == "村 87 分；社区 87 分"
    assert settings["出处：问责规则 Q02"] == "依据 附件15 二（三）3"
    assert settings["出处：等次“优秀”"] == "示例，由考核办确定（依据文件未规定村（社区）考核的等次和分数线）"
    assert settings["等次"] == "优秀 [90, 100]；良好 [80, 90)；合格 [60, 80)；不合格 [0, 60)"
