"""Leftovers of the assessment year: 黄牌 within a single-occurrence threshold rule's margin,
risk levels as 重点 weight in the verifiable draw, overdue stages in the 通报, the demo's deadline."""

from __future__ import annotations

from datetime import date

import pytest

from assess.results import cards
from assess.results.compute import compute_round
from assess.rounds import deadlines as stage_deadlines
from assess.rounds import rfc3797
from assess.workflow import advance as workflow

from .results_helpers import add_scores, full_marks, make_round, scheme_dict, store_scheme

R01 = {"code": "R01", "kind": "threshold", "metric": "composite", "op": "<", "value": 60, "action": "通报批评",
       "warn_margin": 2}


def test_yellow_card_within_the_margin_of_a_threshold_rule(db, actors):
    # composite = 100 × (I1 + (30 − I2) + 30 × I3 / 100) / 100 with I2 = 0, I3 = 100 → I1 + 60.
    # U1 I1 40 → 100 (far); U2 1.5 → 61.5 (1.5 above 60: 黄牌); U3 2 → 62.00 (exactly the margin: 黄牌);
    # U4 2.5 → 62.5 (outside); U5 0 → 60.00 (on the line, “低于 60” does not fire: 黄牌, distance 0);
    # U6 I1 0, I2 1 → 59 (fires: on the list, a 红牌, not a 黄牌).
    vid = store_scheme(db, scheme_dict(weights={"indicators": 100}, rules=[R01]))
    codes = ["U1", "U2", "U3", "U4", "U5", "U6"]
    rid, ids = make_round(db, vid, [(c, c, "甲类") for c in codes], period="2026-Q2")
    rows = (full_marks(["U1"]) + full_marks(["U2"], i1=1.5) + full_marks(["U3"], i1=2) + full_marks(["U4"], i1=2.5)
            + full_marks(["U5"], i1=0) + full_marks(["U6"], i1=0, i2=1))
    add_scores(db, rid, ids, rows)
    compute_round(db, actors["admin"], rid, today=date(2026, 7, 1), resamples=0)
    got = {c.unit: (c.label, c.text) for c in cards.cards(db, rid, date(2026, 7, 1))}
    assert set(got) == {"U2 U2", "U3 U3", "U5 U5", "U6 U6"}
    assert got["U6 U6"][0] == "红牌"
    assert got["U2 U2"] == ("黄牌", "综合得分 61.5，距触发线 1.5（预警幅度 2）：综合得分低于 60（通报批评）")
    assert got["U3 U3"][1].startswith("综合得分 62，距触发线 2（") and got["U5 U5"][1].startswith("综合得分 60，距触发线 0（")
    # the same through the command line
    import contextlib
    import io
    import json

    from assess.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["cards", "--round", str(rid), "--today", "2026-07-01", "--format", "json", "--db", db.url]) == 0
    rows = {r["unit"]: r for r in json.loads(out.getvalue())}
    assert rows["U2 U2"]["card"] == "yellow" and "预警幅度 2" in rows["U2 U2"]["text"] and "U4 U4" not in rows
    # and in the dashboard's overview with the other cards
    from assess.workflow.overview import overview

    assert sorted(c.label for c in overview(db, today=date(2026, 7, 1)).cards) == ["红牌", "黄牌", "黄牌", "黄牌"]


def test_warn_margin_validated():
    from assess.foundation.errors import InputErrors
    from assess.schemes.toml_writer import scheme_to_toml
    from assess.schemes.validate import validate_text

    bad = scheme_dict(weights={"indicators": 100}, rules=[{**R01, "times": 2, "window": 3}], basis="example",
                      reason="测试")
    from assess.schemes.definition import from_dict

    text = scheme_to_toml(from_dict({**bad, "rules": [R01]}))
    ok = validate_text(text, "t.toml").scheme
    assert ok.rules[0].warn_margin == 2
    with pytest.raises(InputErrors) as ei:
        validate_text(text.replace("warn_margin = 2", "warn_margin = 2\ntimes = 2\nwindow = 3"), "t.toml")
    assert any("warn_margin" in line and "times = 1" in line for line in ei.value.lines())
    with pytest.raises(InputErrors) as ei:
        validate_text(text.replace("warn_margin = 2", "warn_margin = -1"), "t.toml")
    assert any("[rules.warn_margin]" in line for line in ei.value.lines())


# RFC 3797 §6: the key from sources 9319 / 2 5 12 8 10 / 9 18 26 34 41 45 picks, from a pool of 25,
# positions 17, 7, 2, 16, … (digest mod 25 = 16, then mod 24 = 6, then mod 23 = 1).
RFC_SOURCES = ["9319", "2 5 12 8 10", "9 18 26 34 41 45"]


def test_weighted_draw_hand_case_from_the_rfc_example():
    key = rfc3797.key_string(RFC_SOURCES)
    # 24 units, unit 1 of weight 2: slots 1–2 are unit 1, slot s ≥ 3 is unit s − 1 (25 slots, as the RFC pool).
    units = [f"U{i:02d}" for i in range(1, 25)]
    weights = [2] + [1] * 23
    steps = rfc3797.weighted_select(units, weights, 3, key)
    # 1st: slot 17 (digest mod 25 = 16) → unit 16. 2nd: 24 slots left, mod 24 = 6 → slot 7 → unit 6.
    # 3rd: 23 slots left [1, 2, 3, 4, 5, 6, 8, …], mod 23 = 1 → slot 2 → unit 1, whose two slots both leave.
    assert [(s.item, s.position, s.remaining) for s in steps] == [("U16", 17, 25), ("U06", 7, 24), ("U01", 2, 23)]
    # every weight 1: the plain RFC 3797 selection
    plain = rfc3797.select(units, 5, key)
    assert [s.item for s in rfc3797.weighted_select(units, [1] * 24, 5, key)] == [s.item for s in plain]
    # reproducible from the pool, weights and sources alone
    again = rfc3797.weighted_select(units, weights, 10, key)
    assert [s.item for s in again] == [s.item for s in rfc3797.weighted_select(units, weights, 10, key)]
    assert len({s.item for s in again}) == 10
    with pytest.raises(Exception, match="权重"):
        rfc3797.weighted_select(units, [0] + [1] * 23, 1, key)


def test_risk_weight_in_the_draw_is_published_and_verifiable(db, actors):
    # risk_weight = { A = 3 }: X01 has an active A-level cadre → weight 3 in the pool (not 重点 outside
    # it); the selection is the weighted RFC 3797 selection over the published pool and verifies.
    from sqlalchemy import text

    from assess.org.units import add_cadre
    from assess.rounds import lifecycle as rounds
    from assess.rounds import spotcheck

    from .rounds_helpers import SCHEME, UNITS, add_units, fill_and_submit
    from .rounds_helpers import store_scheme as store_round_scheme

    add_units(db, actors)
    vid = store_round_scheme(db, {**SCHEME, "spotcheck": {**SCHEME["spotcheck"], "risk_weight": {"A": 3}}})
    rid = rounds.create_round(db, actors["admin"], "2026年第三季度考核", "2026-Q3", vid)
    add_cadre(db, actors["admin"], "K1", "张三", "X01", "镇长", risk_level="A")
    workflow.advance(db, actors["admin"], rid)
    fill_and_submit(db, actors, rid)
    workflow.advance(db, actors["admin"], rid)
    pool, focus = spotcheck.pool_preview(db, rid)
    assert focus == [] and [p["code"] for p in pool] == [c for c, _n, _k in UNITS]
    x01 = next(p for p in pool if p["code"] == "X01")
    assert (x01["weight"], x01["weight_reason"]) == (3, "廉政风险 A 类：K1 张三（镇长）")
    # published before the draw with the weight (CLI spotcheck pool); the TUI's plan shows it too
    import contextlib
    import io
    import json

    from assess.cli import main
    from tui.spotcheck import plan_text

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["spotcheck", "pool", "--round", str(rid), "--format", "json", "--db", db.url]) == 0
    notes = {r["unit_code"]: r["note"] for r in json.loads(out.getvalue())}
    assert notes["X01"] == "重点权重 3（占 3 个位置）：廉政风险 A 类：K1 张三（镇长）" and notes["G01"] == ""
    plan = spotcheck.draw_plan(db, rid, 2, RFC_SOURCES)
    assert "X01 城关镇（乡镇街道） 重点权重 3" in plan_text(plan)
    view = spotcheck.draw(db, actors["inspector"], rid, 2, RFC_SOURCES)
    key = rfc3797.key_string(RFC_SOURCES)
    weights = [3 if c == "X01" else 1 for c, _n, _k in UNITS]
    want = [s.item["code"] for s in rfc3797.weighted_select(pool, weights, 2, key)]
    assert view.selected_codes == want
    assert spotcheck.verify(db, rid).ok
    # a weight changed in the stored pool is caught against the audit record
    with db.write() as s:
        s.connection().execute(text("UPDATE spotcheckdraw SET pool = :p WHERE round_id = :r"), {
            "p": __import__("json").dumps([{**p, "weight": 1} for p in view.pool]), "r": rid})
    assert not spotcheck.verify(db, rid).ok


def test_bulletin_reports_stage_deadlines_met_and_overrun(sqlite_db):
    # 自查 window 2026-04-01..04-10, closed (selfcheck_closed) today → late by today − 04-10 days;
    # 核查 due 2099-01-01, done today → on time; 民主评议 has no deadline → not mentioned.
    from assess.foundation import audit
    from assess.foundation.periods import cn_date
    from assess.foundation.settings import local_today
    from assess.models import StageDeadline
    from assess.reports.data import load_report_data
    from assess.reports.official import bulletin_doc, doc_text

    from .reports_fixtures import build_round

    def deadlines(s, ids) -> None:
        rid = ids.round_id
        s.add(StageDeadline(round_id=rid, stage="selfcheck", starts_on=date(2026, 4, 1), due_on=date(2026, 4, 10),
                            set_by="admin"))
        s.add(StageDeadline(round_id=rid, stage="spotcheck", due_on=date(2099, 1, 1), set_by="admin"))
        audit.append(s, "admin", "round.stage", {"round_id": rid, "from": "selfcheck_open", "to": "selfcheck_closed"})
        audit.append(s, "admin", "round.stage", {"round_id": rid, "from": "spotcheck_drawn", "to": "spotcheck_done"})

    built = build_round(sqlite_db, before_publish=deadlines)
    today = local_today()
    late = (today - date(2026, 4, 10)).days
    rows = stage_deadlines.stage_timeliness(sqlite_db, built.round_id, today)
    assert [(x.label, x.finished_on, x.days_late) for x in rows] == [("自查", today, late), ("核查", today, 0)]
    text = doc_text(bulletin_doc(sqlite_db, load_report_data(sqlite_db, built.round_id)))
    want = (f"本期有1个阶段逾期：自查阶段（2026年4月1日至2026年4月10日）于{cn_date(today)}完成，逾期{late}天；"
            f"核查阶段（2099年1月1日前）于{cn_date(today)}完成，按期。")
    assert want in text


def test_bulletin_without_deadlines_says_nothing_about_stages(sqlite_db):
    from assess.reports.data import load_report_data
    from assess.reports.official import bulletin_doc, doc_text

    from .reports_fixtures import build_round

    built = build_round(sqlite_db)
    text = doc_text(bulletin_doc(sqlite_db, load_report_data(sqlite_db, built.round_id)))
    assert "阶段" not in text.split("三、整改落实情况")[1].split("四、工作要求")[0]


async def test_dashboard_shows_the_margin_yellow_card(sqlite_db):
    # U2: composite 61.5, 1.5 above the line of “低于 60” with warn_margin 2 → 黄牌 on the dashboard.
    from .conftest import make_users
    from .tui_helpers import SIZE, login, make_app, screen_text

    db = sqlite_db
    actors = make_users(db)
    vid = store_scheme(db, scheme_dict(weights={"indicators": 100}, rules=[R01]))
    rid, ids = make_round(db, vid, [("U1", "财政局", "甲类"), ("U2", "教育局", "甲类")], period="2026-Q2")
    add_scores(db, rid, ids, full_marks(["U1"]) + full_marks(["U2"], i1=1.5))
    compute_round(db, actors["admin"], rid, today=date(2026, 7, 1), resamples=0)
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "admin")
        text = screen_text(app)
        assert "红牌 0 · 黄牌 1" in text and "黄牌 U2 教育局：综合得分 61.5，距触发线 1.5" in text
