"""Attacks on the ballots of issue 11, each now refused or defeated (SQLite and PostgreSQL):

- ballot stuffing: a tally import of 5000 votes into a group whose 应到 is 17, 200 imported ballots
  in that group, a batch or session certified with more ballots than the meeting's record allows,
  issued/returned taken from the file instead of the record (docs/reliability.md, 选票数以会议记录为界);
- secrecy by subtraction: the pooled tally minus the other groups' rows gives a hidden group's
  votes, tried on every output (CLI csv/json/table, the TUI tally view, the XLSX tally sheet, the
  report's chart data) with a 1-ballot 领导 group (docs/reliability.md, 小类别不能由减法还原).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from assess import appraisal, ballot_import, ballot_review, ballots, builders, tally
from assess.cli import main
from assess.errors import Conflict
from assess.models import AuditRecord, BallotBatch, TallyCount

from .ballot_helpers import make_round
from .ballot_helpers import scheme_dict as ballot_scheme
from .conftest import PASSWORD

# -- ballot stuffing ---------------------------------------------------------------------------------


@pytest.fixture
def meeting(db, actors):
    """A 民主评议 session of U01–U03 with 应到 40 / 实到 36 and 应到 per group ld 17, rd 5,
    fw 10, zg 8 (实到 per group not recorded yet)."""
    rid = make_round(db)
    builders.numbered_units(db, actors["admin"], 3)
    return appraisal.create_session(
        db,
        actors["clerk"],
        rid,
        "unit",
        "民主评议大会",
        target_codes=["U01", "U02", "U03"],
        expected=40,
        present=36,
        group_expected={"ld": 17, "rd": 5, "fw": 10, "zg": 8},
    )


def _round_of(db, session_id: int) -> int:
    with db.read() as s:
        return appraisal.get_session(s, session_id).round_id


def _state(db) -> tuple[int, int, int]:
    with db.read() as s:
        return (
            s.execute(select(func.count()).select_from(BallotBatch)).scalar(),
            s.execute(select(func.count()).select_from(TallyCount)).scalar(),
            s.execute(select(func.count()).select_from(AuditRecord)).scalar(),
        )


def test_tally_import_of_5000_votes_into_a_group_of_17_is_refused(db, actors, meeting, tmp_path):
    before = _state(db)
    f = tmp_path / "t.csv"
    f.write_text("voter_group,target_code,choice,count\nld,U01,不满意,5000\n", encoding="utf-8")
    with pytest.raises(Conflict) as e:
        ballot_import.import_tallies(db, actors["clerk"], meeting, f)
    msg = str(e.value)
    assert "领导组应到 17 人" in msg and "5000 票" in msg and "超过会议记录" in msg
    assert _state(db) == before  # nothing written, nothing to certify
    # 17 votes fit the record and import; the batch stands for the group's 17 papers.
    f.write_text("voter_group,target_code,choice,count\nld,U01,不满意,17\n", encoding="utf-8")
    bid = ballot_import.import_tallies(db, actors["clerk"], meeting, f).batches[0].batch_id
    ballot_review.certify(db, actors["reviewer"], bid)


def test_200_imported_ballots_in_a_group_of_17_are_refused(db, actors, meeting, tmp_path):
    before = _state(db)
    f = tmp_path / "b.csv"
    f.write_text(
        "batch,ballot_no,voter_group,target_code,choice\n"
        + "".join(f"X1,{i},ld,U01,不满意\n" for i in range(1, 201)),
        encoding="utf-8",
    )
    with pytest.raises(Conflict, match="领导组应到 17 人，本组选票 200 张，超过应到人数"):
        ballot_import.import_ballots(db, actors["clerk"], meeting, f)
    assert _state(db) == before
    # 36 present in all: 37 ballots over every group are refused at the session's bound too.
    f.write_text(
        "batch,ballot_no,voter_group,target_code,choice\n"
        + "".join(
            f"{g}1,{i},{g},U01,满意\n"
            for g, n in (("ld", 17), ("rd", 2), ("fw", 10), ("zg", 8))
            for i in range(1, n + 1)
        ),
        encoding="utf-8",
    )
    with pytest.raises(Conflict, match="会议实到 36 人，各批次发出选票合计 37 张"):
        ballot_import.import_ballots(db, actors["clerk"], meeting, f)
    assert _state(db) == before


def test_no_batch_or_session_certifies_beyond_the_record(db, actors, meeting):
    # A batch whose issued count was raised in the database (past the service) does not certify.
    bid = ballots.create_batch(db, actors["clerk"], meeting, "rd", "R1", 3, 3)
    rows = [(1, "123", "marks"), (2, "213", "marks"), (3, "321", "marks")]
    builders.key_pass(db, actors["clerk"], bid, rows)
    builders.key_pass(db, actors["clerk2"], bid, rows)
    with db.write() as s:
        s.execute(text("UPDATE ballotbatch SET issued = 200 WHERE id = :b"), {"b": bid})
    with pytest.raises(Conflict, match="人大代表政协委员组应到 5 人，本组选票 200 张"):
        ballot_review.certify(db, actors["reviewer"], bid)
    with db.write() as s:
        s.execute(text("UPDATE ballotbatch SET issued = 3 WHERE id = :b"), {"b": bid})
    ballot_review.certify(db, actors["reviewer"], bid)
    # The group's record lowered in the database afterwards: the session does not certify.
    with db.write() as s:
        s.execute(
            text("UPDATE sessionvotergroup SET expected = 2 WHERE session_id = :s AND code = 'rd'"),
            {"s": meeting},
        )
    with pytest.raises(Conflict, match="人大代表政协委员组应到 2 人，本组选票 3 张，超过应到人数"):
        appraisal.certify_session(db, actors["reviewer"], meeting)
    assert any(
        "应到 2 人，本组选票 3 张" in b for b in appraisal.appraisal_blockers(db, _round_of(db, meeting))
    )


def test_tally_batch_papers_come_from_the_meeting_record_not_the_file(db, actors, meeting, tmp_path):
    appraisal.set_attendance(db, actors["clerk"], meeting, groups_present={"ld": 15})
    f = tmp_path / "t.csv"
    f.write_text(
        "voter_group,target_code,choice,count\nld,U01,满意,6\nld,U01,不满意,3\nld,U02,满意,2\n",
        encoding="utf-8",
    )
    bid = ballot_import.import_tallies(db, actors["clerk"], meeting, f).batches[0].batch_id
    with db.read() as s:
        b = s.get(BallotBatch, bid)
        # issued: the group's 实到 15 (the record); returned: at least the 9 votes on U01.
        assert (b.issued, b.returned) == (15, 9)
    # The record cannot be lowered under what the batches already hold.
    with pytest.raises(Conflict, match="领导组实到 10 人，本组选票 15 张，超过实到人数"):
        appraisal.set_attendance(db, actors["clerk"], meeting, groups_present={"ld": 10})
    # A group with nothing recorded has no papers to stand for: refused, nothing written.
    with db.write() as s:
        s.execute(text("UPDATE sessionvotergroup SET expected = 0 WHERE code = 'zg'"))
    before = _state(db)
    f.write_text("voter_group,target_code,choice,count\nzg,U01,满意,1\n", encoding="utf-8")
    with pytest.raises(Conflict, match="干部职工组未登记应到、实到人数"):
        ballot_import.import_tallies(db, actors["clerk"], meeting, f)
    assert _state(db) == before


def test_attendance_and_batches_bounded_by_the_record(db, actors, meeting):
    with pytest.raises(Conflict, match="领导组应到 17 人，实到 18 人，超过应到人数"):
        appraisal.set_attendance(db, actors["clerk"], meeting, groups_present={"ld": 18})
    with pytest.raises(Conflict, match="会议应到 40 人，实到 41 人，超过应到人数"):
        appraisal.set_attendance(db, actors["clerk"], meeting, present=41)
    with pytest.raises(Conflict, match="会议实到 36 人，各类别实到合计 37 人"):
        appraisal.set_attendance(
            db, actors["clerk"], meeting, groups_present={"ld": 17, "rd": 5, "fw": 10, "zg": 5}
        )
    appraisal.set_attendance(db, actors["clerk"], meeting, groups_present={"fw": 9})
    before = _state(db)
    with pytest.raises(Conflict, match="服务对象组实到 9 人，本组选票 10 张，超过实到人数"):
        ballots.create_batch(db, actors["clerk"], meeting, "fw", "F1", 10, 10)
    assert _state(db) == before
    bid = ballots.create_batch(db, actors["clerk"], meeting, "fw", "F1", 5, 5)
    ballots.create_batch(db, actors["clerk"], meeting, "fw", "F2", 4, 4)
    with pytest.raises(Conflict, match="服务对象组实到 9 人，本组选票 10 张"):
        ballots.set_batch_counts(db, actors["clerk"], bid, issued=6)
    with pytest.raises(Conflict, match="服务对象组实到 9 人，本组选票 10 张"):
        ballots.create_batch(db, actors["clerk"], meeting, "fw", "F3", 1, 1)
    # A voided batch no longer holds papers.
    ballots.void_batch(db, actors["reviewer"], bid, "票箱未封")
    ballots.create_batch(db, actors["clerk"], meeting, "fw", "F3", 5, 5)
    with pytest.raises(Conflict, match="实到 5 人，超过应到人数"):
        appraisal.create_session(
            db,
            actors["clerk"],
            _round_of(db, meeting),
            "unit",
            "另一场",
            target_codes=["U01"],
            expected=4,
            present=5,
        )


async def test_group_attendance_from_the_session_screen(db, actors, meeting):
    """The attendance form records 实到 per group (the papers a tally import stands for) and shows
    the refusal with its numbers."""
    from textual.widgets import Input, Static

    from screens.appraisal_session import SessionScreen

    from .tui_helpers import SIZE, login, make_app, screen_text, settle

    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "clerk")
        app.push_screen(SessionScreen(meeting))
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        dialog = app.screen
        # Voter groups are typed by their names (codes are accepted too).
        assert dialog.query_one("#f-groups", Input).value == "领导=17,人大代表政协委员=5,服务对象=10,干部职工=8"
        dialog.query_one("#f-groups_present", Input).value = "ld=18"
        await pilot.press("f5")
        await settle(pilot)
        assert "领导组应到 17 人，实到 18 人，超过应到人数" in str(
            dialog.query_one("#form-error", Static).render()
        )
        dialog.query_one("#f-groups_present", Input).value = "ld=15，fw=9"
        await pilot.press("f5")
        await settle(pilot)
        assert type(app.screen).__name__ == "SessionScreen", screen_text(app)
    with db.read() as s:
        from assess.appraisal_info import load_groups

        assert {g.code: g.present for g in load_groups(s, meeting)} == {"ld": 15, "rd": 0, "fw": 9, "zg": 0}


# -- secrecy by subtraction ----------------------------------------------------------------------

LD_BALLOT = "132"  # the one 领导 ballot: U01 满意, U02 不满意, U03 基本满意
OPTIONS = ["满意", "基本满意", "不满意", "不了解"]
FW = ["123", "211", "222", "213", "124", "232"]
ZG = ["221", "122", "212", "231", "214", "123"]


@pytest.fixture
def hidden(db, actors):
    """A certified session of U1–U3 with one 领导 ballot and six 服务对象 and six 干部职工 ballots,
    in a round with computed results (for the report)."""
    from assess.scoring.service import compute_round

    from .reliability_helpers import UNITS
    from .results_helpers import add_scores, store_scheme
    from .results_helpers import make_round as make_results_round

    vid = store_scheme(db, ballot_scheme())
    rid, _ids = make_results_round(db, vid, UNITS, period="2026-Q1", stage="appraisal_certified")
    add_scores(db, rid, _ids, [("U1", "A", 95.0), ("U2", "A", 85.0), ("U3", "A", 70.0)])
    sid = appraisal.create_session(
        db,
        actors["clerk"],
        rid,
        "unit",
        "机关作风民主评议",
        target_codes=["U1", "U2", "U3"],
        expected=16,
        present=13,
        group_expected={"ld": 1, "rd": 2, "fw": 7, "zg": 6},
    )
    builders.certified_batch(db, actors, sid, "ld", "L1", [LD_BALLOT])
    builders.certified_batch(db, actors, sid, "fw", "F1", FW)
    builders.certified_batch(db, actors, sid, "zg", "Z1", ZG)
    appraisal.certify_session(db, actors["reviewer"], sid)
    compute_round(db, actors["reviewer"], rid, today=date(2026, 4, 10), resamples=0)
    return rid, sid


def _truth() -> dict[str, list[int]]:
    """The 领导 ballot's counts per target and option."""
    out = {}
    for i, code in enumerate(["U1", "U2", "U3"]):
        vec = [0] * len(OPTIONS)
        vec[int(LD_BALLOT[i]) - 1] = 1
        out[code] = vec
    return out


def _num(v) -> int | None:
    if v is None or v == "" or v == "—":
        return None
    return int(float(v))


def _subtract(pooled: dict[str, list], groups: dict[str, dict[str, list]]) -> dict[str, list[int] | None]:
    """The attack: for each target, the published pooled counts minus every other group's published
    counts (a group with nothing published counts as unknown: the attack fails there)."""
    out: dict[str, list[int] | None] = {}
    for code, total in pooled.items():
        if total is None or any(v is None for v in total):
            out[code] = None
            continue
        rest = [groups.get(code, {}).get(g) for g in ("rd", "fw", "zg")]
        known = [r for r in rest if r is not None and all(v is not None for v in r)]
        # rd has no ballot at all; fw and zg each have six: both must be published to subtract.
        if len(known) < 2:
            out[code] = None
            continue
        out[code] = [t - sum(r[k] for r in known) for k, t in enumerate(total)]
    return out


def _assert_not_recovered(pooled, groups) -> None:
    truth = _truth()
    assert set(pooled) == set(truth)
    for code, vec in _subtract(pooled, groups).items():
        assert vec != truth[code], f"{code}: 领导票由减法还原"
    for code in truth:  # and never printed on its own
        ld = groups.get(code, {}).get("ld")
        assert ld is None or all(v is None for v in ld)


def test_subtraction_attack_works_on_the_raw_tally(db, actors, hidden):
    """Control: on the internal (unpublished) frames the attack does recover the ballot, so the
    checks below can fail."""
    _rid, sid = hidden
    t = tally.session_tally(db, sid)
    pooled = {r["target_code"]: [r[o] for o in OPTIONS] for r in t.targets.to_dict("records")}
    groups: dict[str, dict[str, list]] = {}
    for r in t.groups.to_dict("records"):
        groups.setdefault(r["target_code"], {})[r["group"]] = [r[o] for o in OPTIONS]
    assert _subtract(pooled, groups) == _truth()


def _cli(db, *argv) -> str:
    import contextlib

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        rc = main([*argv, "--db", db.url])
    assert rc == 0
    return out.getvalue()


def _parse_table(textout: str) -> list[dict[str, str]]:
    """Rows of the CLI's aligned table, cut at the widths of the dashes line (display width)."""
    from assess.reports.textbars import text_width

    lines = [ln for ln in textout.splitlines() if ln.strip()]
    dashes = lines[1].split("  ")
    widths = [len(d) for d in dashes]

    bounds, pos = [], 0
    for w in widths:
        bounds.append((pos, pos + w))
        pos += w + 2

    def cut(line: str) -> list[str]:
        out, col = ["" for _ in widths], 0
        for ch in line:
            for k, (a, b) in enumerate(bounds):
                if a <= col < b:
                    out[k] += ch
                    break
            col += text_width(ch)
        return [c.strip() for c in out]

    heads = cut(lines[0])
    return [dict(zip(heads, cut(ln), strict=True)) for ln in lines[2:] if not ln.startswith("审计锚点")]


def _read(fmt: str, textout: str) -> list[dict]:
    if fmt == "json":
        return json.loads(textout)
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(textout)))
    return _parse_table(textout)


@pytest.mark.parametrize("fmt", ["csv", "json", "table"])
def test_subtraction_fails_on_the_cli_tally(db, actors, hidden, fmt):
    _rid, sid = hidden
    pooled_rows = _read(fmt, _cli(db, "ballots", "tally", "--session", str(sid), "--format", fmt))
    group_rows = _read(fmt, _cli(db, "ballots", "tally", "--session", str(sid), "--groups", "--format", fmt))
    pooled = {r["target_code"]: [_num(r[o]) for o in OPTIONS] for r in pooled_rows}
    groups: dict[str, dict[str, list]] = {}
    for r in group_rows:
        groups.setdefault(r["target_code"], {})[r["group"]] = [_num(r[o]) for o in OPTIONS]
    # The pooled totals are published (13 ballots) and every group is merged into them.
    # U1: 领导 满意; 服务对象 1,2,2,2,1,2 and 干部职工 2,1,2,2,2,1 → 满意 5, 基本满意 8.
    assert pooled["U1"] == [5, 8, 0, 0] and all(
        "并入合计" in r["note"] for r in group_rows if r["target_code"] == "U1"
    )
    _assert_not_recovered(pooled, groups)


async def test_subtraction_fails_on_the_tui_tally_view(db, actors, hidden):
    from textual.widgets import DataTable

    from screens.tally_view import TallyScreen

    from .tui_helpers import SIZE, login, make_app, settle

    _rid, sid = hidden
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "clerk")
        app.push_screen(TallyScreen(sid))
        await settle(pilot)

        def rows() -> list[dict[str, str]]:
            table = app.screen.query_one("#tally", DataTable)
            heads = [str(c.label) for c in table.columns.values()]
            return [
                dict(zip(heads, [str(v) for v in table.get_row_at(i)], strict=True))
                for i in range(table.row_count)
            ]

        by_target = rows()
        await pilot.press("g")
        await settle(pilot)
        by_group = rows()
    # Long names may be shortened with "…" to fit 80 columns: match them by their start.
    full = {"领导": "ld", "人大代表政协委员": "rd", "服务对象": "fw", "干部职工": "zg"}

    class Names(dict):
        def __missing__(self, shown: str) -> str:
            stem = shown.rstrip("…")
            return next(code for name, code in full.items() if name.startswith(stem))

    names = Names(full)
    pooled = {r["编码"]: [_num(r[o]) for o in OPTIONS] for r in by_target}
    groups: dict[str, dict[str, list]] = {}
    for r in by_group:
        groups.setdefault(r["编码"], {})[names[r["类别"]]] = [_num(r[o]) for o in OPTIONS]
    assert pooled["U1"] == [5, 8, 0, 0]
    _assert_not_recovered(pooled, groups)


def test_subtraction_fails_on_the_xlsx_and_the_report_charts(db, actors, hidden, tmp_path):
    from openpyxl import load_workbook

    from assess.reports.data import load_report_data
    from assess.reports.publication import chart_specs
    from assess.reports.workbook import write_workbook

    rid, _sid = hidden
    data = load_report_data(db, rid)
    path = write_workbook(data, tmp_path / "r.xlsx")
    ws = load_workbook(path, read_only=True)["计票汇总"]
    sheet = [list(r) for r in ws.iter_rows(values_only=True)]
    heads = sheet[0]
    sheet = [r + [None] * (len(heads) - len(r)) for r in sheet]  # empty trailing cells are not stored
    idx = {o: heads.index(o) for o in OPTIONS}
    # Long names may be shortened with "…" to fit 80 columns: match them by their start.
    full = {"领导": "ld", "人大代表政协委员": "rd", "服务对象": "fw", "干部职工": "zg"}

    class Names(dict):
        def __missing__(self, shown: str) -> str:
            stem = shown.rstrip("…")
            return next(code for name, code in full.items() if name.startswith(stem))

    names = Names(full)
    pooled: dict[str, list] = {}
    groups: dict[str, dict[str, list]] = {}
    for row in sheet[1:]:
        code, label = row[1], row[3]
        vec = [_num(row[idx[o]]) for o in OPTIONS]
        if label == "全部":
            pooled[code] = vec
        elif label in names:
            groups.setdefault(code, {})[names[label]] = vec
        else:
            assert all(v is None for v in vec) and "不分类别列示" in label
    assert pooled["U1"] == [5, 8, 0, 0]
    _assert_not_recovered(pooled, groups)
    # The report's option-share chart (HTML/PDF) prints pooled counts per unit only.
    charts = [c for c in chart_specs(data) if c.key.endswith("民主评议")]
    assert charts
    for c in charts:
        shares = c.build.args[0]
        chart_pooled = {
            u: [int(part.set_index("option").loc[o, "count"]) for o in OPTIONS]
            for u, part in shares.groupby("unit_code", observed=True)
        }
        assert chart_pooled == pooled  # the same merged totals, nothing per group
        _assert_not_recovered(chart_pooled, groups)


def test_pooled_totals_under_the_threshold_are_withheld_everywhere(db, actors):
    """Three ballots in all: nothing of the target's votes is published, not even pooled."""
    rid = make_round(db)
    builders.numbered_units(db, actors["admin"], 1)
    sid = appraisal.create_session(
        db, actors["clerk"], rid, "unit", "小型评议会", target_codes=["U01"], expected=4, present=3
    )
    builders.certified_batch(db, actors, sid, "ld", "L1", ["1"])
    builders.certified_batch(db, actors, sid, "fw", "F1", ["2", "3"])
    appraisal.certify_session(db, actors["reviewer"], sid)
    t = tally.session_tally(db, sid)
    pub = t.public_targets().iloc[0]
    assert t.targets.iloc[0]["counted"] == 3 and pub["counted"] is None and pub["score"] is None
    assert all(pub[o] is None for o in OPTIONS) and "不足 5 张" in pub["note"]
    assert t.public_groups()[OPTIONS].isna().all().all()
    out = _cli(db, "ballots", "tally", "--session", str(sid), "--format", "json")
    row = json.loads(out)[0]
    assert all(row[o] is None for o in OPTIONS) and row["score"] is None


def test_interim_figures_are_not_published_before_the_session_is_certified(db, actors):
    """Differencing over time: a tally printed before the 领导 batch is certified, subtracted from
    the final one, would give that batch. Nothing is published until the session is certified."""
    from assess.reports.tallies import unit_tallies
    from assess.schemes.definition import from_dict

    rid = make_round(db)
    builders.numbered_units(db, actors["admin"], 1)
    sid = appraisal.create_session(
        db, actors["clerk"], rid, "unit", "评议会", target_codes=["U01"], expected=13, present=13
    )
    builders.certified_batch(db, actors, sid, "fw", "F1", ["1", "2", "2", "1", "3", "2"])
    builders.certified_batch(db, actors, sid, "zg", "Z1", ["2", "2", "1", "2", "2", "1"])
    scheme = from_dict(ballot_scheme())
    for fmt_groups in ((), ("--groups",)):
        rows = json.loads(
            _cli(db, "ballots", "tally", "--session", str(sid), *fmt_groups, "--format", "json")
        )
        assert rows and all(r[o] is None for r in rows for o in OPTIONS)
        assert all(r["note"] == "会议尚未核定，计票结果核定后公布" for r in rows)
    with db.read() as s:
        assert unit_tallies(s, rid, scheme)[0].empty  # the report leaves the session out
    builders.certified_batch(db, actors, sid, "ld", "L1", ["3"])
    appraisal.certify_session(db, actors["reviewer"], sid)
    final = json.loads(_cli(db, "ballots", "tally", "--session", str(sid), "--format", "json"))[0]
    assert [final[o] for o in OPTIONS] == [4, 7, 2, 0]  # 满意 2 + 2, 基本满意 3 + 4, 不满意 1 + 1 (领导)
    with db.read() as s:
        assert unit_tallies(s, rid, scheme)[0]["count"].sum() == 12 + 1


def test_disclosure_rule_by_hand():
    import numpy as np

    # Targets × groups: counted votes and all marks (不了解 included); threshold 5.
    counted = np.array([[5, 6, 0], [5, 1, 6], [5, 0, 6], [2, 2, 0]])
    total = np.array([[5, 6, 0], [5, 1, 6], [5, 3, 6], [2, 2, 0]])
    r = tally.disclosure(counted, total, 5)
    # Row 0: both groups ≥ 5, the third has no marks → each shown. Row 1: one group has 1 vote →
    # all merged. Row 2: a group with 3 不了解 marks only is hidden → merged too. Row 3: 4 in all →
    # nothing published.
    assert r.group_shown.tolist() == [[True, True, False], [False] * 3, [False] * 3, [False] * 3]
    assert r.merged.tolist() == [False, True, True, True]
    assert r.pooled_shown.tolist() == [True, True, True, False]
    assert (
        r.target_note(1).startswith("有类别计分票不足 5 张") and r.target_note(3) == "计分票不足 5 张，不公布"
    )


@settings(max_examples=300, deadline=None)
@given(
    cells=st.lists(
        st.lists(st.tuples(st.integers(0, 12), st.integers(0, 3)), min_size=1, max_size=5),
        min_size=1,
        max_size=6,
    ).filter(lambda rows: len({len(r) for r in rows}) == 1),
    threshold=st.integers(1, 8),
    final=st.booleans(),
)
def test_disclosure_never_leaves_one_group_to_subtract(cells, threshold, final):
    """For any counts: whenever a target's pooled figures are published, every group with marks is
    either published too or none is, so "pooled minus the others" never isolates a hidden group;
    nothing under the threshold is published; nothing at all before the session is final."""
    import numpy as np

    counted = np.array([[c for c, _u in row] for row in cells])
    total = counted + np.array([[u for _c, u in row] for row in cells])  # 不了解 marks on top
    r = tally.disclosure(counted, total, threshold, final=final)
    with_marks = total > 0
    assert not (r.group_shown & (counted < threshold)).any()
    for i in range(len(cells)):
        if not r.pooled_shown[i]:
            assert not r.group_shown[i].any()
            assert not final or counted[i].sum() < threshold
            continue
        assert counted[i].sum() >= threshold and final
        hidden_with_marks = with_marks[i] & ~r.group_shown[i]
        assert not r.group_shown[i].any() or not hidden_with_marks.any()


@pytest.fixture(autouse=True)
def _password(monkeypatch):
    monkeypatch.setenv("ASSESS_PASSWORD", PASSWORD)
    monkeypatch.setenv("ASSESS_USER", "admin")
