"""The shipped 民政阳光政务 scheme (seed 004): the four business types, the 四级决策监督 chain, every
indicator citing its seed section or marked as an example, points per category computed by hand;
it loads as a version."""

from __future__ import annotations

import re

from assess.schemes.builtin import builtin_schemes, validate_source
from assess.schemes.catalog import category_totals, get_definition, load_scheme


def test_shipped_and_valid():
    assert "004_minzheng_yangguang" in [b.name for b in builtin_schemes()]
    result = validate_source("004_minzheng_yangguang")
    assert result.warnings == []
    s = result.scheme
    assert (s.code, s.categories) == ("mzyg", ["业务处室局", "机关其他处室", "直属单位"])
    assert s.weights == {"indicators": 70, "appraisal": 20, "adjustment": 10}
    assert s.appraisal_form == "mzpy" and [g.code for g in s.form("mzpy").voter_groups] == ["ld", "zg", "fw"]


def test_four_business_types_and_the_review_chain():
    s = validate_source("004_minzheng_yangguang").scheme
    top = {i.code: i.name for i in s.indicators}
    # 三（一）一是: 财政专项资金、项目建设、审批许可和行政执法 四大类.
    assert [top[c] for c in ("ZJ", "XM", "SP", "ZF")] == ["财政专项资金", "项目建设", "审批许可", "行政执法"]
    # 审批许可 and 行政执法 belong to the 业务处室局 (区划处、福利处、社管局); funds and projects to
    # 业务处室局 and 直属单位.
    assert s.indicator("SP").categories == ["业务处室局"] and s.indicator("ZF").categories == ["业务处室局"]
    assert s.indicator("ZJ").categories == ["业务处室局", "直属单位"]
    # 四级决策监督: 初审 (JC1, JC2), 审核/复核/审议 (JC3), and the deduction for skipping it (JC4).
    chain = s.indicator("JC")
    assert [c.code for c in chain.children] == ["JC1", "JC2", "JC3", "JC4"]
    assert "初审" in chain.children[0].name and "审核" in chain.children[2].name
    assert "复核" in chain.children[2].name and "审议" in chain.children[2].name
    assert (chain.children[3].method, chain.children[3].max, chain.children[3].per_item) == ("deduct", 8, 4)
    # The seed has no veto (监督问责 is 依纪依法进行追责) and no bonus: JF is the office's example.
    assert all(i.method != "veto" for i in s.leaves())
    jf = s.indicator("JF")
    assert (jf.method, jf.source, jf.basis) == ("bonus", None, "example")


def test_every_indicator_cites_a_seed_section():
    s = validate_source("004_minzheng_yangguang").scheme
    section = re.compile(r"^[二三四五](（[一二三四]）)?([一二三四]是)?$")
    for ind, _level, _parent in s.walk():
        assert ind.source or ind.basis == "example", ind.code
        for part in (ind.source or "").split("；") if ind.source else []:
            assert section.match(part), (ind.code, part)
    # 五（四） has no numbers: every rule citing it marks its figures as an example.
    assert all(r.source == "五（四）" and r.basis == "example" and r.reason for r in s.rules)


def test_points_per_category_by_hand():
    s = validate_source("004_minzheng_yangguang").scheme
    # 业务处室局: GK 6+4+4+4 = 18; ZJ 8+6 = 14; XM 6+6 = 12; SP 6+3+4 = 13; ZF 5+4 = 9; FX 5+3 = 8;
    #   JC 5+5+6+8 = 24; PT 4+3+3 = 10 (PH is not theirs) → 108.
    # 机关其他处室: GK1..3 14; JC4 8 (applies to all); PH 6+6 = 12; PT 10 → 44.
    # 直属单位: GK1..3 14; ZJ 14; XM 12; FX 8; JC 24; PH 12; PT 10 → 94.
    # The bonus JF never counts.
    assert category_totals(s) == {"业务处室局": 108, "机关其他处室": 44, "直属单位": 94}
    assert len(s.leaves()) == 25


def test_loads_as_a_version(db, actors):
    r = load_scheme(db, actors["admin"], "004_minzheng_yangguang")
    assert (r.code, r.version, r.created) == ("mzyg", 1, True)
    assert get_definition(db, "mzyg").indicator("JC4").per_item == 4
