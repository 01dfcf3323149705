"""Schemes true to their sources: every number and rule has a ``source`` (a section of its seed,
checked against the seed's section table shipped in tests/data/seed_sections.toml) or is marked
``basis = "example"`` with a reason; no figure cited to a seed differs from the seed's; the seeds'
terms (不合格, 居民代表, 市) are kept; examples are shown as such."""

from __future__ import annotations

import dataclasses

import pytest

from assess.foundation.errors import InputErrors
from assess.schemes.builtin import builtin_schemes, validate_source
from assess.schemes.definition import EXAMPLE_LABEL
from assess.schemes.provenance import composite_provenance, effective, example_notes, indicator_provenance
from assess.schemes.toml_writer import scheme_to_toml
from assess.schemes.validate import validate_text

from .seed_helpers import citation_problems, figures, load_table
from .test_scheme_validate import BASE

BUILTINS = [b.name for b in builtin_schemes()]


def _scheme(name: str):
    return validate_source(name).scheme


@pytest.mark.parametrize("name", BUILTINS)
def test_every_citation_is_a_seed_section_and_cited_figures_are_the_seeds(name):
    assert citation_problems(_scheme(name), load_table()) == []


def test_the_section_table_is_the_seeds_headings():
    table = load_table()
    assert {code: t["seed"] for code, t in table.items()} == {
        "ygg": "000", "zwgk": "001", "xlygg": "002", "cwgk": "003", "mzyg": "004"
    }
    zwgk, cwgk, mzyg = table["zwgk"]["sections"], table["cwgk"]["sections"], table["mzyg"]["sections"]
    # 定期通报 is 九（三）; 严格追究责任 is 九（五）; there is no 九（六）.
    assert "九（三）" in zwgk and "九（五）" in zwgk and "九（六）" not in zwgk
    assert {3.0, 31.0} <= zwgk["五（五）"]  # 每年3月31日前
    assert 1.0 in zwgk["九（二）"]  # 每年至少举办1次
    assert cwgk["附件15 二（三）3"] == {2.0}  # 连续两年
    assert "三（二）二是" in mzyg and mzyg["五（四）"] <= {1.0}
    assert figures("超过有效票三分之一，连续两年，65%以上") >= {round(1 / 3, 6), 2.0, 65.0}


def test_the_check_catches_a_missing_section_and_a_changed_figure():
    table = load_table()
    s = _scheme("cwgk_qlss_2014")
    q02 = next(r for r in s.rules if r.code == "Q02")
    wrong = dataclasses.replace(
        s, rules=[dataclasses.replace(q02, times=3)] + [r for r in s.rules if r.code != "Q02"]
    )
    assert citation_problems(wrong, table) == ["问责规则 Q02：times = 3 不是 附件15 二（三）3 中的数字"]
    moved = dataclasses.replace(s, rules=[dataclasses.replace(q02, source="推进村务公开民主管理实施方案（三）3")])
    assert citation_problems(moved, table) == [
        "问责规则 Q02：种子文件 003 中没有“推进村务公开民主管理实施方案（三）3”这一节"
    ]
    # A quote in an indicator's evidence is checked even though its points are an example.
    z = _scheme("zwgk_2014")
    g2 = z.indicator("G2")
    misquoted = dataclasses.replace(
        z, indicators=[dataclasses.replace(g2, evidence=g2.evidence.replace("3月31日", "3月30日"))]
    )
    assert citation_problems(misquoted, table) == ["指标 G2：evidence = 30 不是 五（五） 中的数字"]
    # zwgk R07 without its example mark: 30 days is not in 九（三）.
    z = _scheme("zwgk_2014")
    r07 = next(r for r in z.rules if r.code == "R07")
    bare = dataclasses.replace(z, rules=[dataclasses.replace(r07, basis=None, reason=None)])
    assert citation_problems(bare, table) == [
        "问责规则 R07：days = 30 不是 九（三） 中的数字",
        "问责规则 R07：text = 30 不是 九（三） 中的数字",
    ]


@pytest.mark.parametrize("name", BUILTINS)
def test_the_offices_figures_are_marked_as_examples(name):
    s = _scheme(name)
    assert s.basis is None  # no scheme-wide default: each example is marked where it is
    assert composite_provenance(s).example
    assert all(effective([b], s).example for b in s.bands)
    assert all(effective([q], s).example for q in s.quotas)
    assert effective([s.spotcheck], s).example
    for f in s.forms:
        assert effective([f], s).example, f.code
        if f.cadre_rules is not None:
            assert effective([f.cadre_rules, f], s).example, f.code
    provs = indicator_provenance(s)
    scored = [i for i in s.leaves() if i.method != "veto"]
    assert all(provs[i.code].example for i in scored)  # no seed gives points
    assert all(effective([r], s).known for r in s.rules)


def test_seed_rules_keep_their_wording():
    # 追究责任 is not 一票否决: none of the seeds has a veto.
    for name in BUILTINS:
        assert [i.code for i in _scheme(name).leaves() if i.method == "veto"] == [], name
    cwgk = {r.code: r for r in _scheme("cwgk_qlss_2014").rules}
    assert cwgk["Q02"].text == (
        "对连续两年评议为不合格的村干部,是村支部成员的,按党内有关规定处理;是村民委员会班子成员的,"
        "应责令其辞职,不辞职的应启动罢免程序。"
    )
    assert (cwgk["Q02"].source, cwgk["Q02"].basis, cwgk["Q02"].times) == ("附件15 二（三）3", None, 2)
    # 附件2 四（三）: the whole ladder, not only its lowest rung.
    c03 = cwgk["C03"]
    assert c03.source == "附件2 四（三）"
    assert "较轻" in c03.action and "较重" in c03.action and "严重的组织处理或党政纪处分" in c03.action
    zwgk = {r.code: r for r in _scheme("zwgk_2014").rules}
    assert zwgk["R07"].source == "九（三）" and zwgk["R05"].source != "考核办法：虚报瞒报"
    # The 2013 figure 提速率65%以上 is an achievement, not a target.
    sp1 = _scheme("xlygg_wulv_2013").indicator("SP1")
    assert sp1.method == "points" and sp1.target is None


def test_dropped_seed_items_are_back():
    ygg = {i.code: i for i, _l, _p in _scheme("ygg_2014").walk()}
    assert ygg["QL7"].source == "二（一）5" and "专项检查" in ygg["QL7"].name
    assert ygg["QL8"].source == "二（一）6" and "国有企事业" in ygg["QL8"].name
    assert ygg["MS5"].source == "二（二）4" and "渔业柴油补贴" in ygg["MS5"].name
    assert ygg["JC4"].source == "二（三）3" and "公益慈善" in ygg["JC4"].name
    assert ygg["ZT2"].evidence.count("公开") == 5  # all five 公开时效 of 三（二）
    assert "DC1" in ygg and "整改通知书" not in (ygg["DC1"].evidence or "")  # that was seed 002's
    zwgk = {i.code: i for i, _l, _p in _scheme("zwgk_2014").walk()}
    assert "培训" in zwgk["J1"].name and "保密审查" in zwgk["J2"].name
    assert "查阅" in zwgk["J3"].name and "行政申诉" in zwgk["J4"].name


def test_terms_follow_each_seed():
    from assess.appraisal.sessions import session_groups

    cwgk = _scheme("cwgk_qlss_2014")
    qlss = cwgk.form("qlss")
    assert qlss.cadre_rules.unfit_option == "不合格" and "不称职" not in [o.label for o in qlss.options]
    for form in (cwgk.form("bzpy"), qlss):
        assert [g.name for g in session_groups(form, {"社区"})] == ["居民代表"]
        assert [g.name for g in session_groups(form, {"村"})] == ["农民党员", "村民代表"]
    # 舟山 is a 市: no 县 wording in the scheme based on it.
    ygg = _scheme("ygg_2014")
    words = [ygg.name, *(g.name for f in ygg.forms for g in f.voter_groups), *(r.text or "" for r in ygg.rules)]
    assert not [w for w in words if "县" in w]
    assert "市领导" in [g.name for g in ygg.form("mzpy").voter_groups]


@pytest.mark.parametrize("name", BUILTINS)
def test_provenance_survives_export_and_load(name):
    s = _scheme(name)
    again = validate_text(scheme_to_toml(s), "again.toml").scheme
    assert again == s and again.content_hash() == s.content_hash()


# -- the validator ------------------------------------------------------------------------------


def _problems(text: str) -> list[tuple[int | None, str | None, str]]:
    with pytest.raises(InputErrors) as e:
        validate_text(text, "t.toml")
    return [(p.line, p.field, p.message) for p in e.value.problems]


def _line(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if fragment in line)


BARE = BASE.replace('basis = "example"\nreason = "测试用方案，各项数值均为示例"\n', "")


def test_a_number_without_source_or_example_is_refused():
    problems = _problems(BARE)
    fields = {(line, field) for line, field, _m in problems}
    assert (_line(BARE, "weights ="), "weights") in fields
    assert (_line(BARE, 'grade = "好"') - 1, "bands") in fields
    assert (_line(BARE, 'code = "B"') - 1, "indicators") in fields
    msg = next(m for _l, f, m in problems if f == "indicators" and "指标 B" in m)
    assert msg == (
        "指标 B 的分值和计分规则没有出处：写 source（依据文件的章节，如“四（一）1”），"
        '或 basis = "example" 和 reason（示例，由考核办确定）'
    )
    # weights, two bands, the group A and its children A1 and A2 (nothing to inherit), B, the form.
    assert len(problems) == 1 + 2 + 3 + 1 + 1


def test_children_inherit_and_the_basis_must_be_explained():
    text = BASE.replace('name = "一"\n', 'name = "一"\nsource = "四（一）"\n', 1)
    s = validate_text(text, "t.toml").scheme
    assert indicator_provenance(s)["A1"].text() == "依据 四（一）；数值示例，由考核办确定（测试用方案，各项数值均为示例）"
    wrong = BASE.replace('basis = "example"\n', 'basis = "seed"\n', 1)
    assert _problems(wrong) == [
        (_line(wrong, "basis ="), "basis", '方案 的 basis 只能是 "example"（示例，由考核办确定），而不是“seed”')
    ]
    unexplained = BASE.replace('name = "二"\n', 'name = "二"\nbasis = "example"\n', 1)
    assert _problems(unexplained) == [
        (
            _line(unexplained, 'name = "二"') + 1,
            "indicators.basis",
            '指标 B 写了 basis = "example"，还要写 reason（为什么取这个数，如“种子文件未规定”）',
        )
    ]


# -- shown as examples ---------------------------------------------------------------------------


def test_report_note_and_explanation_show_examples():
    from assess.reports.document import _scheme_note

    s = _scheme("cwgk_qlss_2014")
    notes = example_notes(s)
    assert notes[0] == "综合得分构成：依据 附件15 三（二）；数值示例，由考核办确定（附件15 要求建立“3+1”工作检查考评制度，未规定综合得分的构成和权重）"
    assert not any("问责规则 Q02" in n for n in notes)  # quoted from the seed, not an example
    assert notes[-1] == f"指标 CW、JC、SZ、JW、JF 的分值：{EXAMPLE_LABEL}"

    class Data:
        scheme = s

    html = _scheme_note(Data())
    assert "方案说明" in html and EXAMPLE_LABEL in html and "问责规则 C01" in html


def test_explanation_lists_each_indicators_provenance():
    from assess.results.views import ComponentLine, Explanation, IndicatorLine
    from tui.rankings import explanation_text

    ex = Explanation(
        "U1", "某村", "村", 3, 1, 91.0, "优秀", None, None,
        [ComponentLine("indicators", "指标", 100.0, 91.0, 91.0)], 0.0,
        [IndicatorLine("SZ4", "私设“小金库”或坐收坐支", "扣分", 5.0, 0.0, 0.0, 5.0, False,
                       "依据 附件15 二（二）2；数值示例，由考核办确定（依据文件未规定分值和扣分）")],
        [], None, None, None, False, 2,
    )
    text = explanation_text(ex)
    assert text.splitlines()[-2:] == [
        "出处：",
        "  SZ4 依据 附件15 二（二）2；数值示例，由考核办确定（依据文件未规定分值和扣分）",
    ]


def test_cadre_labels_come_from_the_form():
    from assess.results.accountability import describe_figures, rule_text
    from assess.results.compute import flag_text

    q = next(r for r in _scheme("cwgk_qlss_2014").rules if r.code == "Q01")
    assert rule_text(dataclasses.replace(q, text=None), "不合格") == "不合格票超过规定比例"
    assert flag_text("unfit_votes:不合格") == "不合格票超过规定比例"
    assert flag_text("unfit_votes") == "不称职票超过规定比例"  # results stored before the label was kept
    words = describe_figures({"unfit_share": 0.5, "limit": 1 / 3, "unfit_option": "不合格"})
    assert words == "不合格票占有效票50.0%，超过三分之一"


def test_a_session_polls_the_voter_groups_of_its_units_category(db, actors):
    from assess.appraisal.session_info import session_info
    from assess.appraisal.sessions import create_session
    from assess.foundation.errors import Conflict
    from assess.org.units import add_cadre
    from assess.schemes.catalog import load_scheme

    from .results_helpers import make_round

    version_id = load_scheme(db, actors["admin"], "cwgk_qlss_2014").version_id
    rid, _ids = make_round(db, version_id, [("C1", "甲村", "村"), ("S1", "乙社区", "社区")], stage="draft")
    clerk = actors["clerk"]
    village = create_session(db, clerk, rid, "unit", "甲村评议", form_code="bzpy", target_codes=["C1"])
    community = create_session(db, clerk, rid, "unit", "乙社区评议", form_code="bzpy", target_codes=["S1"])
    assert [g.name for g in session_info(db, village).groups] == ["农民党员", "村民代表"]
    assert [g.name for g in session_info(db, community).groups] == ["居民代表"]
    add_cadre(db, actors["admin"], "S1-01", "社区干部", "S1", "社区主任")
    cadres = create_session(db, clerk, rid, "cadre", "乙社区勤廉双述", form_code="qlss", target_codes=["S1-01"])
    assert [g.code for g in session_info(db, cadres).groups] == ["jmdb"]
    with pytest.raises(Conflict, match="投票人类别 cmdb 不评议本次对象所在类别的单位"):
        create_session(db, clerk, rid, "unit", "错", form_code="bzpy", target_codes=["S1"],
                       group_expected={"cmdb": 10})


def test_an_indicator_added_in_the_editor_is_an_example():
    from assess.schemes.draft import ADDED_REASON, Draft

    d = Draft.from_file("zwgk_2014")
    d.add_indicator(None, "I", "考核办新增项", "points", 2)
    assert d.problems() == []
    s = validate_text(d.to_toml(), "draft.toml").scheme
    assert indicator_provenance(s)["I"].text() == f"{EXAMPLE_LABEL}（{ADDED_REASON}）"


def test_village_cadres_are_graded_with_the_seeds_words(db, actors):
    """cwgk (seed 003): a 村干部 with more than a third 不合格 votes is graded 不合格 and the flags say
    so; one short of 合格及以上 votes for 优秀 is told in the form's words too."""
    from sqlmodel import select

    from assess.models import CadreResult
    from assess.results.compute import compute_round, flag_text
    from assess.schemes.catalog import load_scheme

    from .results_helpers import add_cadres, add_scores, add_session, make_round

    version_id = load_scheme(db, actors["admin"], "cwgk_qlss_2014").version_id
    rid, ids = make_round(db, version_id, [("V1", "甲村", "村")])
    add_scores(db, rid, ids, [("V1", "CW2", 8.0)])  # one self-check value so the village can be ranked
    cid = add_cadres(db, ids["V1"], ["K1", "K2"])
    # Options 优秀 100 / 合格 80 / 基本合格 60 / 不合格 0; bands 优秀 ≥ 90, 合格 [70, 90) …
    # K1 [6, 0, 0, 4]: 600 / 10 = 60 → 基本合格 by score, but 不合格 4/10 > 1/3 → 不合格.
    # K2 [17, 0, 2, 1]: (1700 + 120) / 20 = 91 → 优秀 band, 合格及以上 17/20 = 85% < 90% → 合格.
    counts = {"cmdb": {cid["K1"]: [6, 0, 0, 4], cid["K2"]: [17, 0, 2, 1]}}
    add_session(db, rid, "cadre", "qlss", list(cid.values()), counts, {"cmdb": 1.0}, expected=20, present=20)
    compute_round(db, actors["admin"], rid, resamples=0)
    with db.read() as s:
        rows = {r.cadre_id: r for r in s.exec(select(CadreResult).where(CadreResult.round_id == rid)).all()}
    k1, k2 = rows[cid["K1"]], rows[cid["K2"]]
    assert (k1.score, k1.grade) == (60.0, "不合格") and "unfit_votes:不合格" in k1.flags
    assert (k2.score, k2.grade) == (91.0, "合格") and "not_eligible_excellent:合格及以上" in k2.flags
    assert flag_text("not_eligible_excellent:合格及以上") == "合格及以上票不足，不能评优秀"
    # The accountability reason counts the votes (10 counted ≥ the publication threshold).
    from assess.results.accountability import list_entries

    texts = [e.figures_text for e in list_entries(db, rid) if e.cadre_code == "K1" and e.rule_code == "Q01"]
    assert texts and texts[0].startswith("不合格票4张，占有效票40.0%，超过三分之一"), texts


async def test_scheme_view_shows_examples_as_such(sqlite_db):
    from assess.schemes.catalog import load_scheme

    from .conftest import make_users
    from .tui_helpers import SIZE, login, make_app, screen_text, settle

    actors = make_users(sqlite_db)
    load_scheme(sqlite_db, actors["admin"], "cwgk_qlss_2014")
    app = make_app(sqlite_db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert screen.mode == "tree"
        # The highlighted first row (CW) shows where it comes from and that its points are an example.
        assert screen.details["CW"] == (
            "依据 附件13；附件14 二（三）；附件15 二（五）；数值示例，由考核办确定（依据文件未规定分值和公开率的计分）"
        )
        assert "数值示例，由考核办确定" in screen_text(app)
        await pilot.press("s")
        await settle(pilot)
        shown = {app.screen.details[k] for k in app.screen.details}
        assert "依据 附件15 二（三）3" in shown  # Q02, quoted from the seed
        assert "示例，由考核办确定（依据文件未规定满意率的问责线）" in shown  # C02


def test_a_changed_provenance_is_a_change_between_versions():
    from assess.schemes.diff import diff_schemes

    s = _scheme("zwgk_2014")
    r07 = next(r for r in s.rules if r.code == "R07")
    t = dataclasses.replace(
        s,
        rules=[dataclasses.replace(r07, reason="考核办规定逾期 30 天通报") if r is r07 else r for r in s.rules],
        composite_reason="考核办确定",
    )
    assert t.content_hash() != s.content_hash()
    assert [c.text() for c in diff_schemes(s, t)] == [
        f"问责规则 R07 示例理由：{r07.reason} → 考核办规定逾期 30 天通报",
        f"综合得分设置 示例理由：{s.composite_reason} → 考核办确定",
    ]


def test_a_rule_limited_to_villages_spares_community_cadres():
    from assess.results.accountability import Proposal, within_categories

    s = _scheme("cwgk_qlss_2014")
    rules = {r.code: r for r in s.rules}
    assert rules["Q02"].categories == ["村"] and rules["Q01"].categories == []
    proposals = [
        Proposal(rules["Q02"], 1, 11, {}),  # a 村 cadre: 责令辞职 applies
        Proposal(rules["Q02"], 2, 21, {}),  # a 社区 cadre: it does not (附件14 has no such rule)
        Proposal(rules["Q01"], 2, 21, {}),  # Q01 applies to both
    ]
    kept = within_categories(proposals, {1: "村", 2: "社区"})
    assert [(p.rule.code, p.cadre_id) for p in kept] == [("Q02", 11), ("Q01", 21)]
    wrong = BASE + '\n[[rules]]\ncode = "X"\nkind = "false_report"\naction = "通报"\ncategories = ["丙"]\n'
    assert _problems(wrong) == [
        (_line(wrong, 'categories = ["丙"]'), "rules.categories", "问责规则 X 的 categories 中“丙”不可用（可用：甲、乙）")
    ]
