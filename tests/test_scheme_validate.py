"""Scheme files: the shipped ones are valid and round-trip; every kind of mistake is reported with
its line and field, all at once."""

from __future__ import annotations

import pytest

from assess.foundation.errors import InputErrors
from assess.schemes.builtin import builtin_schemes, read_scheme_source, validate_source
from assess.schemes.definition import from_dict
from assess.schemes.source_lines import SourceLines
from assess.schemes.validate import validate_file, validate_text

BASE = """\
code = "t"
name = "测试方案"
categories = ["甲", "乙"]
weights = { indicators = 70, appraisal = 30 }
appraisal_form = "f"
basis = "example"
reason = "测试用方案，各项数值均为示例"

[[bands]]
grade = "好"
min = 60
max = 100
include_max = true

[[bands]]
grade = "差"
min = 0
max = 60

[[indicators]]
code = "A"
name = "一"
children = [
  { code = "A1", name = "甲项", method = "points", max = 6 },
  { code = "A2", name = "乙项", method = "ratio", max = 4, categories = ["乙"] },
]

[[indicators]]
code = "B"
name = "二"
method = "deduct"
max = 5

[[forms]]
code = "f"
kind = "unit"
name = "评议表"
options = [
  { label = "满意", points = 100, satisfied = true },
  { label = "不了解" },
]
voter_groups = [{ code = "g", name = "群众", weight = 1 }]
"""


def line_of(text: str, fragment: str, nth: int = 1) -> int:
    """1-based line of the nth line containing fragment (so tests say where, not a bare number)."""
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if fragment in line]
    return hits[nth - 1]


def problems(text: str) -> list[tuple[int | None, str | None, str]]:
    with pytest.raises(InputErrors) as e:
        validate_text(text, "t.toml")
    return [(p.line, p.field, p.message) for p in e.value.problems]


def test_base_is_valid():
    s = validate_text(BASE, "t.toml").scheme
    assert [leaf.code for leaf in s.leaves()] == ["A1", "A2", "B"]
    # Category 甲: A1 6 + B 5 = 11 (A2 applies to 乙 only); 乙: 6 + 4 + 5 = 15.
    assert sum(x.max for x in s.leaves_for("甲")) == 11
    assert sum(x.max for x in s.leaves_for("乙")) == 15
    assert s.indicator("A").max == 10  # derived: 6 + 4


@pytest.mark.parametrize("b", builtin_schemes(), ids=lambda b: b.name)
def test_shipped_schemes_are_valid_and_round_trip(b):
    result = validate_text(b.text, b.file_name)
    assert result.warnings == []
    s = result.scheme
    again = from_dict(s.to_dict())
    assert again == s
    assert again.content_hash() == s.content_hash()
    codes = [i.code for i, _l, _p in s.walk()]
    assert len(codes) == len(set(codes))


def test_zwgk_points_per_category_by_hand():
    s = validate_source("zwgk_2014").scheme
    # 党群部门: A1 4 + A2 (2+2+1+1) 6 + A4 8 + A5 3 + A6 4 = 25; B none (政府/苏木 only); C1 4;
    # D1 5 + D2 5 = 10; E none; F 4 + 4 = 8; G 4 + 3 + 3 = 10; J1 3 + J2 3 = 6 → 63. Bonus H never counts.
    # 政府部门: A 30 (with A3 5) + B 13 + C1 4 + C3 3 + D 15 + F 8 + G 10 + J 10 (J3 2, J4 2) = 93.
    # 苏木镇街道: A 30 + B 13 + C1 4 + C2 3 + D1 5 + D2 5 + E2 6 + F 8 + G 10 + J1..J3 8 = 92.
    # 企事业单位: 党群部门's 63 − nothing + E1 6 = 69.
    from assess.schemes.catalog import category_totals

    assert category_totals(s) == {"党群部门": 63, "政府部门": 93, "苏木镇街道": 92, "企事业单位": 69}
    assert s.weights == {"indicators": 60, "appraisal": 30, "adjustment": 10}
    assert s.grade_for(90) == "优秀" and s.grade_for(89.99) == "良好" and s.grade_for(100) == "优秀"


def test_ygg_points_per_category_by_hand():
    from assess.schemes.catalog import category_totals

    s = validate_source("ygg_2014").scheme
    # 党群部门: QL4 6 + DW (8 + 8 + 6) 22 + ZT1 8 + ZT2 6 + DC1 6 = 48.
    # 政府部门: QL1..4 + QL6..8 (6+4+4+6+4+2+4) 30 + MS 19 + JC3 4 + JC4 3 + ZT 18 + DC1 6 = 80.
    # 执法部门: QL1 6 + QL3 4 + QL4 6 + QL5 8 + JC3 4 + ZT 18 + DC1 6 = 52.
    # 乡镇街道: QL4 6 + QL6 4 + MS4 6 + MS5 3 + JC1 10 + JC2 6 + ZT 18 + DC1 6 = 59.
    assert category_totals(s) == {"党群部门": 48, "政府部门": 80, "执法部门": 52, "乡镇街道": 59}
    assert [f.code for f in s.forms] == ["mzpy", "qlss"] and s.form("qlss").max_limited == 3


def test_village_scheme_cadre_form_and_fractions():
    s = validate_source("cwgk_qlss_2014").scheme
    form = s.form("qlss")
    assert form.kind == "cadre" and form.quorum == pytest.approx(2 / 3)
    assert form.cadre_rules.unfit_share == pytest.approx(1 / 3)
    # Seed 003 附件15 二（三）3 grades 村干部 不合格, not 不称职.
    assert form.cadre_rules.unfit_option == "不合格" and [o.label for o in form.options][-1] == "不合格"
    assert [b.grade for b in form.cadre_rules.bands] == ["优秀", "合格", "基本合格", "不合格"]
    rules = {r.code: r for r in s.rules}
    assert rules["Q01"].subject == "cadre" and rules["Q02"].subject == "cadre" and rules["Q02"].times == 2
    assert rules["C01"].subject == "unit"


def test_comments_and_layout_do_not_change_the_hash_but_content_does():
    a = validate_text(BASE, "a").scheme.content_hash()
    b = validate_text("# 注释\n" + BASE.replace("max = 5", "max = 5.0   # 扣分"), "b").scheme.content_hash()
    c = validate_text(BASE.replace("max = 5", "max = 6"), "c").scheme.content_hash()
    assert a == b != c


def test_every_problem_is_reported_with_line_and_field():
    text = (
        BASE.replace('categories = ["甲", "乙"]', 'categories = ["甲", "乙"]\nweigth = 1')
        .replace("max = 100\n", "max = 95\n")
        .replace('method = "ratio", max = 4', 'method = "rate", max = 4')
        .replace('{ code = "g", name = "群众", weight = 1 }', '{ code = "g", name = "群众", weight = -1 }')
    )
    got = problems(text)
    assert (line_of(text, "weigth"), "weigth", "方案中没有字段“weigth”（是否想写 weights？）") in got
    assert (line_of(text, "max = 95"), "bands.max", "最高等次“好”应到 100 分为止，而不是 95") in got
    assert (
        line_of(text, '"A2"'),
        "indicators.children.method",
        "指标 A2 的计分方法“rate”不可用（可用：points、deduct、bonus、ratio、veto）",
    ) in got
    assert (
        line_of(text, "voter_groups"),
        "forms.voter_groups.weight",
        "投票人类别 g 的 weight 为 -1，应 > 0",
    ) in got
    assert len(got) == 4
    assert [g[0] for g in got] == sorted(g[0] for g in got)  # in file order


@pytest.mark.parametrize(
    ("old", "new", "fragment", "field", "message"),
    [
        (
            "weights = { indicators = 70, appraisal = 30 }",
            "weights = { indicators = 70, appraisal = 20 }",
            "weights",
            "weights",
            "weights 之和应为 100，现为 indicators 70 + appraisal 20 = 90",
        ),
        (
            "min = 60\n",
            "min = 70\n",
            "min = 70",
            "bands.min",
            "等次“差”与“好”之间有空档 [60, 70)：该区间的分数没有等次",
        ),
        ("min = 60\n", "min = 50\n", "min = 50", "bands.min", "等次“差”[0, 60) 与“好”重叠"),
        (
            'code = "A2"',
            'code = "A1"',
            '"A1", name = "乙项"',
            "indicators.children.code",
            "指标编码 A1 重复（第 24 行已有）",
        ),
        (
            'categories = ["乙"]',
            'categories = ["丙"]',
            '"丙"',
            "indicators.children.categories",
            "指标 A2 的 categories 中“丙”不可用（可用：甲、乙）",
        ),
        (
            'code = "A"\nname = "一"\n',
            'code = "A"\nname = "一"\nmax = 12\n',
            "max = 12",
            "indicators.max",
            "指标 A 的 max 为 12，但子项满分之和为 10（加分项不计入）：删去 max 或改正",
        ),
        (
            'appraisal_form = "f"',
            'appraisal_form = "x"',
            "appraisal_form",
            "appraisal_form",
            "appraisal_form“x”不是本方案的评议表（有：f）",
        ),
        (
            '{ label = "不了解" }',
            '{ label = "不了解", satisfied = true }',
            "不了解",
            "forms.options.satisfied",
            "选项“不了解”不计分（无 points），不能计入满意率",
        ),
        ('code = "t"', 'code = "t x"', "t x", "code", "方案的 code“t x”不能含空白"),
        (
            'method = "deduct"\nmax = 5',
            'method = "deduct"\nmax = "5"',
            'max = "5"',
            "indicators.max",
            "指标 B 的 max 应为数字，而不是 '5'",
        ),
        (
            'method = "deduct"\nmax = 5',
            'method = "veto"\nmax = 5',
            "max = 5",
            "indicators.max",
            "指标 B 是一票否决项，不计分：不写 max",
        ),
    ],
    ids=[
        "weights-sum",
        "band-gap",
        "band-overlap",
        "duplicate-code",
        "unknown-category",
        "inner-max",
        "unknown-form",
        "uncounted-satisfied",
        "code-space",
        "max-as-text",
        "veto-max",
    ],
)
def test_single_mistakes(old, new, fragment, field, message):
    assert old in BASE
    text = BASE.replace(old, new, 1)
    assert problems(text) == [(line_of(text, fragment), field, message)]


def test_rules_are_checked_per_kind():
    text = (
        BASE
        + """
[[rules]]
code = "R1"
kind = "threshold"
metric = "composite"
op = "=<"
value = 60
share = 0.1
action = "通报"

[[rules]]
code = "R2"
kind = "last_in_category"
window = 2
times = 3
action = "诫勉"

[[rules]]
code = "R3"
kind = "cadre_unfit"
action = "诫勉谈话"
"""
    )
    got = problems(text)
    assert (line_of(text, "=<"), "rules.op", "问责规则 R1 的 op 应为 < <= > >= 之一，而不是“=<”") in got
    assert (line_of(text, "share = 0.1"), "rules.share", "问责规则 R1（threshold）不用 share") in got
    assert (
        line_of(text, "times = 3"),
        "rules.times",
        "问责规则 R2 的 times 3 大于 window 2：最近 2 轮内不可能出现 3 次",
    ) in got
    assert (
        line_of(text, '"cadre_unfit"'),
        "rules.kind",
        '问责规则 R3 针对干部，但方案没有 kind = "cadre" 的评议表',
    ) in got
    assert len(got) == 4


def test_category_without_points_is_refused():
    # Only A2 (乙) and B would score; restrict B to 乙 too and 甲 keeps A1 only → still fine;
    # restrict A1 to 乙 as well and 甲 has nothing to score.
    text = BASE.replace(
        'method = "points", max = 6 }', 'method = "points", max = 6, categories = ["乙"] }'
    ).replace('method = "deduct"\nmax = 5', 'method = "deduct"\nmax = 5\ncategories = ["乙"]')
    assert problems(text) == [
        (
            line_of(text, 'categories = ["甲"'),
            "categories",
            "单位类别“甲”没有适用的计分指标（points、deduct 或 ratio）：无法计算指标得分",
        )
    ]


def test_toml_syntax_error_names_the_line():
    text = BASE.replace('name = "二"', 'name = "二')
    [(line, field, message)] = problems(text)
    assert line == line_of(text, 'name = "二') and field is None
    assert message.startswith("TOML 格式错误")


def test_file_encoding_and_missing_file(tmp_path):
    gbk = tmp_path / "gbk.toml"
    gbk.write_bytes(BASE.encode("gb18030"))
    with pytest.raises(InputErrors) as e:
        validate_file(gbk)
    assert "不是 UTF-8 编码" in str(e.value) and "GBK" in str(e.value)
    bom = tmp_path / "bom.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + BASE.encode("utf-8"))
    assert validate_file(bom).scheme.code == "t"
    with pytest.raises(InputErrors, match="文件不存在"):
        read_scheme_source(tmp_path / "nope.toml")
    with pytest.raises(InputErrors, match="内置方案有：004_minzheng_yangguang、cwgk_qlss_2014"):
        read_scheme_source("no-such-scheme")


def test_a_file_path_wins_over_a_builtin_name(tmp_path, monkeypatch):
    (tmp_path / "zwgk_2014").write_text(BASE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert validate_source("zwgk_2014").scheme.code == "t"


def test_source_lines_tables_arrays_and_strings():
    text = '''code = "x" # [not a table]
desc = """
[fake]
key = 1
"""
[[indicators]]
code = "A"
children = [
  { code = "A1" }, { code = "A2" },
  { code = "A3", note = "a, b" },
]
[[indicators]]
[[indicators.children]]
max = 1
[forms."quoted.key"]
x = 2
'''
    s = SourceLines(text)
    assert s.line_of(("code",)) == 1
    assert s.line_of(("fake",)) is None and s.line_of(("key",)) is None
    assert s.line_of(("indicators", 0, "children", 0, "code")) == 9
    assert s.line_of(("indicators", 0, "children", 1)) == 9
    assert s.line_of(("indicators", 0, "children", 2, "note")) == 10
    assert s.line_of(("indicators", 1, "children", 0, "max")) == 14
    assert s.line_of(("forms", "quoted.key", "x")) == 16
