"""An annual round's outputs say what its numbers are: the composite is 年度综合得分, its parts
季度平均 and 年终考核 (``vocabulary.COMPONENT_WORDS``), never 指标/评议/加减分 — in ``assess rank``, the
report and the rankings screen — and its period reads 2026年度 in ``round list`` and on the rounds
screen (80×24). Numbers worked out by hand in the comments."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from assess.models import Round
from assess.reports import official
from assess.reports.data import load_report_data
from assess.reports.document import ranking_rows
from assess.reports.figures import ranking_figure
from assess.reports.workbook import ranking_headers, ranking_table
from assess.results import annual
from assess.results.compute import compute_round

from .conftest import PASSWORD, make_users
from .results_helpers import add_prior_round, add_scores, ensure_units, full_marks, scheme_dict, store_scheme
from .tui_helpers import SIZE, login, make_app, screen_text, settle

TODAY = date(2027, 1, 15)
ANNUAL = {"weights": {"quarters": 40, "year_end": 60}, "precision": 2, "basis": "example", "reason": "测试"}
UNITS = [("U1", "财政局", "甲类"), ("U2", "教育局", "甲类")]


def _annual_round(db, year: int = 2026, precision: int = 2) -> int:
    """Q1, Q2, Q4 published; the annual round computed.
    U1: (80 + 90 + 85) / 3 = 85.00; year-end I1 30 → 90.00; 0.4 × 85 + 0.6 × 90 = 34 + 54 = 88.00.
    U2: (70 + 80 + 75) / 3 = 75.00; year-end 100.00; 0.4 × 75 + 0.6 × 100 = 30 + 60 = 90.00, first."""
    actors = make_users(db)
    d = scheme_dict(weights={"indicators": 100}, appraisal_form=None, annual={**ANNUAL, "precision": precision})
    d.pop("appraisal_form")
    vid = store_scheme(db, d)
    ids = ensure_units(db, UNITS)
    add_prior_round(db, vid, f"{year}-Q1", [("U1", "甲类", 80, 1, "良好"), ("U2", "甲类", 70, 2, "一般")])
    add_prior_round(db, vid, f"{year}-Q2", [("U1", "甲类", 90, 1, "优秀"), ("U2", "甲类", 80, 2, "良好")])
    add_prior_round(db, vid, f"{year}-Q4", [("U1", "甲类", 85, 1, "良好"), ("U2", "甲类", 75, 2, "一般")])
    rid = annual.create_annual_round(db, actors["admin"], vid, str(year), unit_codes=["U1", "U2"])
    with db.write() as s:
        s.get(Round, rid).stage = "appraisal_certified"  # the year-end stages are the usual ones
    add_scores(db, rid, ids, full_marks(["U1"], i1=30) + full_marks(["U2"]))
    compute_round(db, actors["reviewer"], rid, today=TODAY, resamples=0)
    return rid


def _cli(capsys, monkeypatch, db, *argv):
    from assess.cli import main

    monkeypatch.setenv("ASSESS_USER", "reviewer")
    monkeypatch.setenv("ASSESS_PASSWORD", PASSWORD)
    capsys.readouterr()
    rc = main([*argv, "--db", db.url])
    out = capsys.readouterr()
    assert rc == 0, out.err
    return out.out


def test_cli_rank_and_round_list_name_the_annual_parts(db, capsys, monkeypatch):
    rid = _annual_round(db)
    out = _cli(capsys, monkeypatch, db, "rank", "--round", str(rid))
    lines = out.splitlines()
    assert lines[0] == "2026年度考核（2026年度）"
    head = lines[1]
    assert "年度综合得分" in head and "季度平均" in head and "年终考核" in head
    for word in ("指标", "评议", "加减分"):
        assert word not in head
    u2 = next(ln for ln in lines if "U2" in ln).split()
    assert u2[4:8] == ["90.00", "优秀", "75.00", "100.00"] or u2[4:8] == ["90.0", "优秀", "75.0", "100.0"]
    csv = _cli(capsys, monkeypatch, db, "rank", "--round", str(rid), "--format", "csv").splitlines()
    assert csv[0] == "category,rank,unit_code,unit_name,composite,grade,quarter_avg,year_end,rank_low,rank_high,change"
    assert csv[1].startswith("甲类,1,U2,教育局,90.0,优秀,75.0,100.0,")
    assert csv[2].startswith("甲类,2,U1,财政局,88.0,良好,85.0,90.0,")

    rows = {ln.split()[0]: ln for ln in _cli(capsys, monkeypatch, db, "round", "list").splitlines()[1:] if ln.strip()}
    assert "2026年度" in rows[str(rid)].split()
    assert any("2026-Q1" in ln for ln in rows.values())  # a quarterly round keeps its period
    machine = _cli(capsys, monkeypatch, db, "round", "list", "--format", "csv")
    assert f"{rid},2026年度考核,2026," in machine  # the stored code stays in the machine formats


def test_report_names_the_annual_parts(db):
    rid = _annual_round(db)
    d = load_report_data(db, rid)
    assert d.annual and d.components == ["quarter_avg", "year_end"]
    headers, rows = ranking_table(d)
    assert ranking_headers(d, headers)[4:8] == ["年度综合得分", "等次", "季度平均", "年终考核"]
    assert rows[0][2] == "U2" and rows[0][4] == 90.0 and rows[0][6:8] == [75.0, 100.0]
    doc_headers = ranking_rows(d, "甲类")[0]
    assert "年度综合得分" in doc_headers and "季度平均" in doc_headers and "年终考核" in doc_headers
    assert "指标得分" not in doc_headers and "民主评议" not in doc_headers
    assert official.ranking_table(d, "甲类").headers == ["名次", "单位", "年度综合得分", "等次"]  # 通报, 公示
    fig = ranking_figure(d.results, "甲类", composite_label=d.composite_label)
    assert "甲类 年度综合得分排名（共 2 个单位）" in fig.layout.title.text


async def test_tui_rounds_and_rankings_say_what_the_annual_numbers_are(sqlite_db):
    db = sqlite_db
    rid = _annual_round(db)
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "reviewer")
        await pilot.press("f5")
        await settle(pilot)
        assert app.screen.AREA == "rounds"
        table = app.screen.query_one("#rounds-table")
        row = table.get_row(str(rid))
        assert "2026年度" in [str(c) for c in row]
        assert "2026-Q1" in screen_text(app)
        await pilot.press("f7")
        await settle(pilot)
        assert app.screen.AREA == "rankings"
        for _ in range(6):  # to the annual round
            if "年度考核" in screen_text(app):
                break
            await pilot.press("r")
            await settle(pilot)
        text = screen_text(app)
        assert "2026年度考核（2026年度）" in text
        heads = [str(c.label) for c in app.screen.query_one("#rank-table").columns.values()]
        assert heads == ["名次", "单位", "年度综合", "等次", "季度平均", "年终考核", "区间", "变化"]
        assert "1 教育局 90.00 优秀 75.00 100.00" in text
        assert "90.00" in text and "75.00" in text and "100.00" in text
        await pilot.press("down")  # U1, second
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "ExplainDialog"
        text = screen_text(app)
        # 0.4 × 85 = 34.00 and 0.6 × 90 = 54.00 → 88.00
        assert "年度综合得分 88.00" in text
        assert "季度平均 85.00 × 40.0% = 34.00" in text and "年终考核 90.00 × 60.0% = 54.00" in text
        assert "年终考核构成：" in text


def test_rounds_are_listed_in_the_database(db):
    # the annual flag on the round rows comes from the AnnualRound register
    from assess.rounds.lifecycle import list_rounds

    rid = _annual_round(db)
    flags = {r.id: r.annual for r in list_rounds(db)}
    assert flags[rid] is True and sum(flags.values()) == 1
    with db.read() as s:
        assert s.exec(select(Round.period).where(Round.id == rid)).one() == "2026"


def test_annual_precision_is_the_one_shown(db):
    # [annual] precision = 1 (the scheme's own is 2): the annual results are rounded, ranked and shown
    # to 1 place: U1 0.4 × 85 + 0.6 × 90 = 88.0.
    from assess.results.ranking import ranking
    from assess.results.views import explain

    rid = _annual_round(db, precision=1)
    view = ranking(db, rid)
    assert view.precision == 1 and view.annual
    assert explain(db, rid, "U1").precision == 1
    d = load_report_data(db, rid)
    assert d.scheme.precision == 1
    heads, rows, _n, _o = ranking_rows(d, "甲类")
    u1 = rows[1]  # U1, second
    assert u1[heads.index("年度综合得分")] == "88.0" and u1[heads.index("季度平均")] == "85.0"
