"""The scheme draft: operations on the indicator tree and the weights, the validator's problems
after each change (with the line of the exported text), refusals that change nothing, export to
TOML and loading it back (same content hash: no new version)."""

from __future__ import annotations

import pytest

from assess.foundation import audit
from assess.foundation.errors import AssessError, Conflict, InputErrors, NotFound
from assess.schemes.builtin import builtin_schemes
from assess.schemes.catalog import diff_versions, get_definition, list_versions, load_scheme
from assess.schemes.draft import Draft, draft_from_version
from assess.schemes.toml_writer import render_scheme, toml_number, toml_string
from assess.schemes.validate import validate_file, validate_text

from .test_scheme_validate import BASE


def _line_after(text: str, start: str, fragment: str) -> int:
    """1-based line of the first line containing ``fragment`` at or after the line ``start``."""
    lines = text.splitlines()
    i = lines.index(start)
    return next(n for n, line in enumerate(lines[i:], start=i + 1) if fragment in line)


def _problems(draft: Draft) -> list[tuple[str | None, str | None, str]]:
    return [(p.indicator, p.field, p.message) for p in draft.problems()]


# -- the writer ---------------------------------------------------------------------------------


@pytest.mark.parametrize("b", builtin_schemes(), ids=lambda b: b.name)
def test_every_shipped_scheme_written_back_gives_the_same_scheme(b):
    s = validate_text(b.text, b.file_name).scheme
    out = render_scheme(s)
    again = validate_text(out.text, "out.toml")
    assert again.scheme == s and again.scheme.content_hash() == s.content_hash()
    assert again.warnings == []
    # Each indicator's table header sits on the recorded line.
    lines = out.text.splitlines()
    for ind, _level, _parent in s.walk():
        assert lines[out.lines[ind.code] - 1].startswith("[[indicators")
        assert lines[out.lines[ind.code]] == f"code = {toml_string(ind.code)}"


def test_writer_values():
    assert toml_string('甲"乙\\丙\n\x7f') == '"甲\\"乙\\\\丙\\n\\u007f"'
    assert (toml_number(4.0), toml_number(2.5), toml_number(3), toml_number(1 / 3)) == (
        "4",
        "2.5",
        "3",
        "0.3333333333333333",
    )
    s = validate_text(BASE, "t.toml").scheme
    s.description = 'line "one"\nline \\ two\t'
    s.forms[0].quorum = 2 / 3
    text = render_scheme(s).text
    assert 'quorum = "2/3"' in text
    again = validate_text(text, "t.toml").scheme
    assert again.description == s.description and again.forms[0].quorum == 2 / 3


# -- operations and problems --------------------------------------------------------------------


def test_reweighting_a_child_names_the_parent_and_its_line():
    d = Draft.from_file("zwgk_2014")
    assert d.problems() == [] and not d.dirty
    d.set_max("A1", 5)
    # A = A1 4 + A2 (2+2+1+1) 6 + A3 5 + A4 8 + A5 3 + A6 4 = 30; with A1 at 5 the children give 31.
    [p] = d.problems()
    text = d.to_toml()
    assert (p.indicator, p.field) == ("A", "indicators.max")
    assert p.message == "指标 A 的 max 为 30，但子项满分之和为 31（加分项不计入）：删去 max 或改正"
    assert p.line == _line_after(text, 'code = "A"', "max = 30")
    assert text.splitlines()[p.line - 1] == "max = 30"
    assert str(p) == f"第 {p.line} 行 [indicators.max]：{p.message}"
    assert d.dirty and d.indicator("A").max == 30 and d.indicator("A1").max == 5
    # Fixed by taking the point from a sibling: A5 3 → 2 gives 5 + 6 + 5 + 8 + 2 + 4 = 30.
    d.set_max("A5", "2")
    assert d.problems() == []


def test_a_group_can_follow_its_children():
    d = Draft.from_file("zwgk_2014")
    d.set_max("A", None)
    assert d.follows("A") and "max = 30" not in d.to_toml().split('code = "A"\n')[1].split("[[")[0]
    d.set_max("A1", 5)
    assert d.problems() == [] and d.indicator("A").max == 31  # 30 − 4 + 5
    # Setting a number pins the budget again.
    d.set_max("A", 30)
    assert not d.follows("A")
    assert _problems(d) == [
        ("A", "indicators.max", "指标 A 的 max 为 30，但子项满分之和为 31（加分项不计入）：删去 max 或改正")
    ]


def test_weights_must_sum_to_100():
    d = Draft.from_text(BASE, "t.toml")
    d.set_weight("appraisal", 40)
    [p] = d.problems()
    assert (p.indicator, p.field) == (None, "composite.weights")
    assert p.message == "weights 之和应为 100，现为 indicators 70 + appraisal 40 = 110"
    assert d.to_toml().splitlines()[p.line - 1] == "weights = { indicators = 70, appraisal = 40 }"
    d.set_weight("indicators", 50)
    d.set_weight("adjustment", 10)
    assert d.problems() == [] and d.weights == {"indicators": 50, "appraisal": 40, "adjustment": 10}
    assert d.scheme().weights == {"indicators": 50, "appraisal": 40, "adjustment": 10}


def test_add_move_reparent_remove_and_undo():
    d = Draft.from_text(BASE, "t.toml")
    assert d.codes() == ["A", "A1", "A2", "B"]
    d.add_indicator("A", "A3", "丙项", "bonus", 2, after="A1")
    assert d.codes() == ["A", "A1", "A3", "A2", "B"]
    assert d.problems() == [] and d.indicator("A").max == 10  # a bonus is outside the budget
    d.add_indicator(None, "C", "三", "points", "3")
    assert d.codes()[-1] == "C" and d.problems() == []
    d.move("C", "up")
    assert d.codes() == ["A", "A1", "A3", "A2", "C", "B"]
    d.move("A2", "up")
    assert d.codes() == ["A", "A1", "A2", "A3", "C", "B"]
    # Under the leaf B (deduct, 5 points): B becomes a group whose budget is still 5.
    d.add_indicator("B", "B1", "二之一", "points", 2)
    b = d.indicator("B")
    assert (b.method, b.max, [c.code for c in b.children]) == (None, 5, ["B1"])
    assert _problems(d) == [
        ("B", "indicators.max", "指标 B 的 max 为 5，但子项满分之和为 2（加分项不计入）：删去 max 或改正")
    ]
    d.reparent("C", "B")
    assert d.parent_of("C") == "B" and d.problems() == []  # 2 + 3 = 5
    assert [r.level for r in d.rows() if r.code in ("B", "B1", "C")] == [1, 2, 2]
    assert d.remove("B") == 3 and "C" not in d.codes()
    assert d.undo() == "删除指标 B 及其 2 个下级指标"
    assert d.codes()[-3:] == ["B", "B1", "C"] and d.problems() == []
    d.rename("B1", "  新名称 ")
    assert d.indicator("B1").name == "新名称"


def test_method_changes_keep_only_what_the_method_uses():
    d = Draft.from_file("zwgk_2014")
    assert (d.indicator("A6").method, d.indicator("A6").target) == ("ratio", 100)
    d.set_method("A6", "points")
    assert d.indicator("A6").target is None and d.problems() == []
    d.set_method("A5", "veto")
    a5 = d.indicator("A5")
    assert (a5.max, a5.per_item) == (0, None)
    # A loses A5's 3 points: 30 → 27 under the budget of 30.
    assert [p.message for p in d.problems()] == [
        "指标 A 的 max 为 30，但子项满分之和为 27（加分项不计入）：删去 max 或改正"
    ]
    d.set_method("A5", "deduct")
    # Back from veto it has no points: the validator says so on A5's own line.
    assert ("A5", "indicators.children.max", "指标 A5 的 max 为 0，应 > 0") in _problems(d)


def test_removing_the_last_child_leaves_a_leaf_without_method():
    d = Draft.from_file("zwgk_2014")
    for code in ("A2.1", "A2.2", "A2.3", "A2.4"):
        d.remove(code)
    msgs = _problems(d)
    assert ("A2", "indicators.children.method", "指标 A2缺少 method") in msgs


@pytest.mark.parametrize(
    ("op", "args", "error", "message"),
    [
        ("add_indicator", ("A", "A1", "重复"), Conflict, "指标编码 A1 已存在。"),
        ("add_indicator", ("Z", "Z1", "无上级"), NotFound, "草稿中没有指标 Z。"),
        ("add_indicator", ("A", "A 9", "空白"), AssessError, "指标编码“A 9”不能含空白。"),
        ("add_indicator", ("A", "A9", " "), AssessError, "指标名称不能为空。"),
        ("add_indicator", ("A", "A9", "负分", "points", -1), AssessError, "指标 A9 的满分不能为负数（-1）。"),
        ("add_indicator", ("A", "A9", "方法", "score", 1), AssessError, "计分方法“score”不可用"),
        ("add_indicator", ("A", "A9", "否决", "veto", 2), AssessError, "一票否决项，不计分"),
        ("remove", ("Q",), NotFound, "草稿中没有指标 Q。"),
        ("move", ("A",), Conflict, "指标 A 已在同级最前。"),
        ("set_max", ("A1", -2), AssessError, "指标 A1 的满分不能为负数（-2）。"),
        ("set_max", ("A1", "六"), AssessError, "指标 A1 的满分应为数字，而不是“六”。"),
        ("set_max", ("A1", None), AssessError, "末级指标 A1 要填满分。"),
        ("set_max", ("A1", float("nan")), AssessError, "指标 A1 的满分应为数字。"),
        ("rename", ("A1", ""), AssessError, "指标名称不能为空。"),
        ("set_method", ("A", "points"), AssessError, "指标 A 有子项"),
        ("set_weight", ("bonus", 10), AssessError, "综合得分没有“bonus”这一项"),
        ("set_weight", ("appraisal", -5), AssessError, "民主评议权重不能为负数（-5）。"),
        ("set_weight", ("appraisal", 120), AssessError, "民主评议权重不能超过 100（120）。"),
        ("reparent", ("A", "A1"), Conflict, "不能把指标 A 移到它自己或它的下级 A1 之下。"),
        ("reparent", ("A1", "A"), Conflict, "指标 A1 已在指标 A 之下。"),
    ],
)
def test_nonsense_is_refused_and_changes_nothing(op, args, error, message):
    d = Draft.from_text(BASE, "t.toml")
    if op == "move":
        args = (*args, "up")
    before, revision = d.to_toml(), d.revision
    with pytest.raises(error) as e:
        getattr(d, op)(*args)
    assert message in str(e.value)
    assert (d.to_toml(), d.revision, d.can_undo) == (before, revision, False)


# -- export and loading back --------------------------------------------------------------------


def test_file_load_export_load_gives_the_same_scheme(tmp_path):
    d = Draft.from_file("ygg_2014")
    out = d.export(tmp_path / "ygg.toml")
    assert not d.dirty
    assert validate_file(out).scheme == validate_text(d.to_toml(), "x").scheme
    assert validate_file(out).scheme.content_hash() == Draft.from_file("ygg_2014").scheme().content_hash()


def test_export_refuses_a_draft_with_problems_unless_asked(tmp_path):
    d = Draft.from_text(BASE, "t.toml")
    d.set_weight("appraisal", 40)
    target = tmp_path / "t2.toml"
    with pytest.raises(InputErrors) as e:
        d.export(target)
    assert e.value.problems[0].file == "t2.toml" and e.value.problems[0].field == "composite.weights"
    assert not target.exists() and d.dirty
    with pytest.raises(AssessError, match=r"应以 \.toml 结尾"):
        d.export(tmp_path / "t2.txt", allow_problems=True)
    with pytest.raises(AssessError, match="目录不存在"):
        d.export(tmp_path / "no" / "t2.toml", allow_problems=True)
    d.export(target, allow_problems=True)
    assert target.read_text(encoding="utf-8") == d.to_toml() and not d.dirty


def test_stored_version_draft_export_unchanged_is_no_new_version(db, actors, tmp_path):
    load_scheme(db, actors["admin"], "zwgk_2014")
    head = audit.chain_head(db)
    d = draft_from_version(db, "zwgk")
    assert d.base == "zwgk 第 1 版" and d.problems() == []
    out = d.export(tmp_path / "zwgk-draft.toml")
    again = load_scheme(db, actors["admin"], out)
    assert (again.version, again.created) == (1, False)
    assert again.content_hash == list_versions(db, "zwgk")[0].content_hash
    assert audit.chain_head(db) == head  # nothing written
    # Edited: A1 4 → 5 with A5 3 → 2, and the weights 60/30/10 → 50/40/10. Loaded as version 2.
    d.set_max("A1", 5)
    d.set_max("A5", 2)
    d.set_weight("indicators", 50)
    d.set_weight("appraisal", 40)
    d.export(out)
    r2 = load_scheme(db, actors["admin"], out)
    assert (r2.version, r2.created) == (2, True)
    assert get_definition(db, "zwgk", 2).indicator("A1").max == 5
    assert get_definition(db, "zwgk", 1).indicator("A1").max == 4
    assert [c.text() for c in diff_versions(db, "zwgk", 1, 2)] == [
        "指标 A1 max：4 → 5",
        "指标 A5 max：3 → 2",
        "权重 指标：60 → 50",
        "权重 民主评议：30 → 40",
    ]


def test_weights_at_once_codes_suggested_chinese_methods_and_changes():
    d = Draft.from_file("zwgk_2014")
    d.set_weights({"indicators": "50", "appraisal": 40})
    assert d.weights == {"indicators": 50, "appraisal": 40, "adjustment": 10} and d.problems() == []
    assert d.undo() == "权重改为 指标 50、民主评议 40" and d.weights["indicators"] == 60
    with pytest.raises(AssessError, match="加减分权重不能为负数"):
        d.set_weights({"indicators": 70, "adjustment": -1})
    assert d.weights == {"indicators": 60, "appraisal": 30, "adjustment": 10}  # all or nothing
    # Codes: the next number after the last (or given) sibling, the next free letter at the top,
    # the parent's code with .1 under a leaf.
    assert (d.suggest_code("A"), d.suggest_code("A2"), d.suggest_code("A", "A2")) == ("A7", "A2.5", "A7")
    # zwgk's top level ends with H (after G, J): the next free letter after it is I.
    assert (d.suggest_code(None), d.suggest_code(None, "A"), d.suggest_code("A1")) == ("I", "I", "A1.1")
    d.add_indicator("A", "A7", "新项", "扣分", 2)
    assert d.indicator("A7").method == "deduct"
    d.set_method("A7", "比率")
    assert d.indicator("A7").method == "ratio"
    d.move("B", "down")  # order alone is no change in the diff
    # A keeps its budget of 30 (the problem says its children now give 32).
    assert [c.text() for c in d.changes()] == ["新增 指标 A7：新项"]
    assert [p.indicator for p in d.problems()] == ["A"]
