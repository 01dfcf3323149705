"""Attacks on the ballots of issue 11, each now refused or defeated (SQLite and PostgreSQL):

- ballot stuffing: a tally import of 5000 votes into a group whose 应到 is 17, 200 imported ballots
  in that group, a batch or session certified with more ballots than the meeting's record allows,
  issued/returned taken from the file instead of the record (docs/reliability.md, 选票数以会议记录为界);
- secrecy by subtraction: the pooled tally minus the other groups' rows gives a hidden group's
  votes, tried on every output (CLI csv/json/table, the TUI tally view, the XLSX tally sheet, the
  report's chart data) with a 1-ballot 领导 group (docs/reliability.md §9);
- secrecy by solving with the score: the published weighted score with the pooled counts, 满意率
  or vote shares narrows a 3-ballot group's votes; tried with subtraction on every output (CLI
  ballots tally / rank / cadres results / accountability, the TUI tally view, cadre results and
  rankings explanation, XLSX, HTML/PDF, DOCX); a group under the threshold is not named as missing.
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

from assess.appraisal import ballot_import, forms, tally
from assess.appraisal import entry as ballots
from assess.appraisal import reconcile as ballot_review
from assess.appraisal import sessions as appraisal
from assess.cli import main
from assess.demo import builders
from assess.foundation.errors import Conflict
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
        return forms.get_session(s, session_id).round_id


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

    from tui.appraisal_session import SessionScreen

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
        from assess.appraisal.session_info import load_groups

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
    from assess.results.compute import compute_round

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
    # A group with marks is under the threshold: neither the groups nor the pooled counts are
    # printed (beside the score they would narrow the 领导 ballot), only the score and the 13
    # counted ballots. U1: 领导 满意 (100); 服务对象 1,2,2,2,1,2 → (2·100 + 4·70)/6 = 80; 干部职工
    # 2,1,2,2,2,1 → 80 as well; (0.2·100 + 0.4·80 + 0.2·80)/0.8 = 85 (rd has no ballot).
    u1 = next(r for r in pooled_rows if r["target_code"] == "U1")
    assert pooled["U1"] == [None] * 4 and (float(u1["score"]), _num(u1["counted"])) == (85.0, 13)
    assert all(
        r["note"] == "含不足公开门槛的投票人类别，分项不公布" for r in [u1, *group_rows] if r["target_code"] == "U1"
    )
    _assert_not_recovered(pooled, groups)


async def test_subtraction_fails_on_the_tui_tally_view(db, actors, hidden):
    from textual.widgets import DataTable

    from tui.tally_view import TallyScreen

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
    assert pooled["U1"] == [None] * 4 and (by_target[0]["得分"], by_target[0]["计分票"]) == ("85.00", "13")
    _assert_not_recovered(pooled, groups)


def test_subtraction_fails_on_the_xlsx_and_the_report_charts(db, actors, hidden, tmp_path):
    from openpyxl import load_workbook

    from assess.reports.bundle import chart_specs
    from assess.reports.data import load_report_data
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
            assert all(v is None for v in vec) and "含不足公开门槛的投票人类别，分项不公布" in label
            pooled[code] = vec
    assert pooled["U1"] == [None] * 4
    _assert_not_recovered(pooled, groups)
    # The report's option-share chart (HTML/PDF) prints pooled counts per unit only.
    charts = [c for c in chart_specs(data) if c.key.endswith("民主评议")]
    for c in charts:  # every unit has the 1-ballot 领导 group: none is charted
        shares = c.build.args[0]
        assert not set(shares["unit_code"]) & {"U1", "U2", "U3"}


def test_pooled_totals_under_the_threshold_are_withheld_everywhere(db, actors):
    """Three ballots in all: nothing of the target's votes is published, not even pooled — only
    the score (it ranks the target) and the counted ballots, marked 评议计分票不足公开门槛."""
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
    # 满意 100, 基本满意 70, 不满意 30: ld 100, fw (70 + 30)/2 = 50; (0.2·100 + 0.4·50)/0.6 = 66.67.
    assert (pub["counted"], pub["score"]) == (3, 66.67) and bool(t.targets.iloc[0]["few"])
    assert all(pub[o] is None for o in OPTIONS) and pub["satisfaction"] is None
    assert pub["note"] == "评议计分票不足公开门槛（5 张），分项不公布"
    assert t.public_groups()[OPTIONS].isna().all().all()
    out = _cli(db, "ballots", "tally", "--session", str(sid), "--format", "json")
    row = json.loads(out)[0]
    assert all(row[o] is None for o in OPTIONS) and (row["score"], row["counted"]) == (66.67, 3)


def test_interim_figures_are_not_published_before_the_session_is_certified(db, actors):
    """Differencing over time: a tally printed before the 领导 batch is certified, subtracted from
    the final one, would give that batch. Nothing is published until the session is certified."""
    from assess.appraisal.unit_tallies import unit_tallies
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
    # 满意 2 + 2, 基本满意 3 + 4, 不满意 1 + 1 (领导): with the 1-ballot 领导 group only the score
    # and the 13 counted ballots are printed.
    assert [final[o] for o in OPTIONS] == [None] * 4 and final["counted"] == 13
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
    assert r.target_note(1) == "含不足公开门槛的投票人类别，分项不公布"
    assert r.target_note(3) == "评议计分票不足公开门槛（5 张），分项不公布"
    # Counts per option and shares: only row 0; the score and counted votes: every row once final;
    # row 3's score comes from 4 counted votes (< 5): marked.
    assert r.detail_shown.tolist() == [True, False, False, False]
    assert r.few.tolist() == [False, False, False, True]
    assert tally.nameable_groups([0, 1, 4, 5, 30], 5).tolist() == [True, False, False, True, True]
    assert tally.missing_text(["ld", "rd"], [False, True]) == "rd；有投票人类别没有计分票"


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
        # Pooled counts and shares (beside the published score) only without any small group.
        assert not r.detail_shown[i] or not (with_marks[i] & (counted[i] < threshold)).any()


# -- solving with the score: a 3-ballot 领导 group among 30 服务对象 and 20 干部职工 --------------------
#
# A target's weighted score is published (it ranks the target). With the pooled counts per option
# (or the pooled 满意率, or a cadre's 不称职/称职及以上 shares) beside it, the score is one more
# equation in the small group's votes: enumerating every split of the pooled counts over the groups
# (group sizes are public: the meeting's turnout) and keeping those that give the published score
# narrows the small group's ballots, here to exactly the three it cast. The attack is tried on
# every output (CLI ballots tally / rank / cadres results, the TUI tally view, rankings explanation
# and cadre results, the XLSX, the HTML report's tables and charts, the DOCX documents): (a) the
# subtraction, (b) solving with the score. Both recover nothing: where any group with marks is
# under the threshold only the score and the number of counted ballots are published.

# U1: 领导 不满意, 不满意, 基本满意; 服务对象 12/12/6; 干部职工 8/8/4 (满意/基本满意/不满意).
# U2: 领导 all three 不了解 (no counted ballot: 领导 must not be named as the missing group).
SMALL_UNIT = {
    "ld": ["34", "34", "24"],
    "fw": ["11"] * 12 + ["22"] * 12 + ["31"] * 6,
    "zg": ["11"] * 8 + ["22"] * 8 + ["32"] * 4,
}
LD_U1 = (0, 1, 2)
# The cadre C01: 党员 不称职, 不称职, 基本称职; 村民代表 10 优秀, 14 称职, 4 基本称职, 2 不称职.
SMALL_CADRE = {"dy": ["4", "4", "3"], "cm": ["1"] * 10 + ["2"] * 14 + ["3"] * 4 + ["4"] * 2}
DY_C01 = (0, 0, 1, 2)


@pytest.fixture
def small(db, actors):
    """A computed round (U1–U3) with a certified unit session (U1, U2) and a certified cadre session
    (C01 of U1), each with a 3-ballot group under the publication threshold of 5."""
    from assess.org.units import add_cadre
    from assess.results.compute import compute_round

    from .reliability_helpers import UNITS
    from .results_helpers import add_scores, store_scheme
    from .results_helpers import make_round as make_results_round

    scheme = ballot_scheme()
    cadre_form = next(f for f in scheme["forms"] if f["kind"] == "cadre")
    cadre_form["cadre_rules"] = {
        **cadre_form["cadre_rules"],
        "bands": [
            {"grade": "优秀", "min": 90, "max": 100, "include_max": True},
            {"grade": "称职", "min": 70, "max": 90},
            {"grade": "基本称职", "min": 50, "max": 70},
            {"grade": "不称职", "min": 0, "max": 50},
        ],
    }
    # Rules whose figures are vote shares: U1's 满意率 41/53 = 77.36 % < 90; C01's 称职及以上 24/33
    # = 72.73 % < 90 %.
    scheme["rules"] = [
        {"code": "R1", "kind": "threshold", "action": "提醒谈话", "metric": "satisfaction", "op": "<", "value": 90},
        {"code": "R2", "kind": "threshold", "action": "提醒谈话", "subject": "cadre", "metric": "fit_share",
         "op": "<", "value": 0.9},
    ]
    vid = store_scheme(db, scheme)
    rid, ids = make_results_round(db, vid, UNITS, period="2026-Q1", stage="appraisal_certified")
    add_scores(db, rid, ids, [("U1", "A", 95.0), ("U2", "A", 85.0), ("U3", "A", 70.0)])
    add_cadre(db, actors["admin"], "C01", "张三", "U1", "副局长")
    usid = appraisal.create_session(
        db,
        actors["clerk"],
        rid,
        "unit",
        "机关作风民主评议",
        target_codes=["U1", "U2"],
        expected=55,
        present=53,
        group_expected={"ld": 3, "rd": 2, "fw": 30, "zg": 20},
    )
    for g, marks in SMALL_UNIT.items():
        builders.certified_batch(db, actors, usid, g, g.upper(), marks)
    appraisal.certify_session(db, actors["reviewer"], usid)
    csid = appraisal.create_session(
        db,
        actors["clerk"],
        rid,
        "cadre",
        "勤廉双述",
        target_codes=["C01"],
        expected=33,
        present=33,
        group_expected={"dy": 3, "cm": 30},
    )
    for g, marks in SMALL_CADRE.items():
        builders.certified_batch(db, actors, csid, g, g.upper(), marks)
    appraisal.certify_session(db, actors["reviewer"], csid)
    compute_round(db, actors["reviewer"], rid, today=date(2026, 4, 10), resamples=0)
    return rid, usid, csid


def _splits(n: int, k: int):
    """Every vector of ``k`` non-negative counts summing to ``n``."""
    import itertools

    import numpy as np

    return np.array([c for c in itertools.product(range(n + 1), repeat=k) if sum(c) == n])


class Published(dict):
    """What one output prints for the target: ``pooled`` (counts per counted option), ``groups``
    ({group: counts}), ``score``, ``sat`` (满意率 or 称职及以上 share, 0–1), ``unfit`` (不称职 share),
    ``counted``; None where nothing is printed."""


def _solve(pub: Published, sizes, weights, points, satisfied, unfit=None, tol=0.005) -> set[tuple]:
    """The attack by enumeration: the small group's (first of ``sizes``) count vectors that, with some
    split of the other groups, give every figure ``pub`` prints (within its printed rounding)."""
    import numpy as np

    (g0, n0), (g1, n1), (g2, n2) = [*sizes.items(), *([(None, 0)] * (3 - len(sizes)))][:3]
    k = len(points)
    a, b = _splits(n0, k), _splits(n1, k)
    c = _splits(n2, k) if g2 else np.zeros((1, k), dtype=int)
    ok = np.ones((len(a), len(b), len(c)), dtype=bool)
    total = a[:, None, None, :] + b[None, :, None, :] + c[None, None, :, :]
    if pub.get("pooled") is not None:
        ok &= (total == np.array(pub["pooled"])).all(axis=-1)
    for g, vecs in ((g1, b), (g2, c)):
        v = (pub.get("groups") or {}).get(g)
        if g and v is not None:
            hit = (vecs == np.array(v)).all(axis=-1)
            ok &= hit[None, :, None] if g == g1 else hit[None, None, :]
    pts = np.array(points, dtype=float)
    if pub.get("score") is not None:
        parts = [(weights[g0], a @ pts / n0), (weights[g1], b @ pts / n1)]
        wsum = weights[g0] + weights[g1] + (weights[g2] if g2 else 0)
        s = (parts[0][0] * parts[0][1])[:, None, None] + (parts[1][0] * parts[1][1])[None, :, None]
        if g2:
            s = s + (weights[g2] * (c @ pts / n2))[None, None, :]
        ok &= np.abs(s / wsum - pub["score"]) <= tol + 1e-9
    n = n0 + n1 + n2
    for key, mask in (("sat", satisfied), ("unfit", unfit)):
        if pub.get(key) is not None and mask is not None:
            share = (total * np.array(mask)).sum(axis=-1) / n
            ok &= np.abs(share - pub[key]) <= getattr(pub[key], "tol", 0.00005) + 1e-9
    return {tuple(int(x) for x in a[i]) for i in np.flatnonzero(ok.any(axis=(1, 2)))}


UNIT_MODEL = dict(
    sizes={"ld": 3, "fw": 30, "zg": 20},
    weights={"ld": 0.2, "fw": 0.4, "zg": 0.2},
    points=[100, 70, 30],
    satisfied=[1, 1, 0],
)
CADRE_MODEL = dict(
    sizes={"dy": 3, "cm": 30},
    weights={"dy": 0.5, "cm": 0.5},
    points=[95, 80, 60, 30],
    satisfied=[1, 1, 0, 0],
    unfit=[0, 0, 0, 1],
)


def _attack(pub: Published, model: dict, truth: tuple, where: str, problems: list[str]) -> None:
    """(a) subtraction and (b) solving with the score both fail on ``pub``; what succeeds is added
    to ``problems`` (every output is tried before the test fails)."""
    # The score itself is published (it ranks the target): what it alone allows is the accepted
    # residual (docs/reliability.md §9); no other printed figure may narrow it further.
    everything = _solve(Published(score=pub.get("score")), **model)
    groups = pub.get("groups") or {}
    others = [g for g in model["sizes"] if g != next(iter(model["sizes"]))]
    if pub.get("pooled") is not None and all(groups.get(g) is not None for g in others):
        rest = [sum(groups[g][i] for g in others) for i in range(len(truth))]
        if tuple(p - r for p, r in zip(pub["pooled"], rest, strict=True)) == truth:
            problems.append(f"{where}: 合计减其余类别还原出小类别的选票 {truth}")
    found = _solve(pub, **model)
    assert truth in found  # the published figures are consistent with the truth
    if found != everything:
        problems.append(f"{where}: 由得分联立把小类别的选票从 {len(everything)} 种缩小到 {sorted(found)}")


def test_score_attack_works_on_the_raw_figures(db, actors, small):
    """Control: the unpublished pooled counts with the score give the 领导 ballots exactly; the
    score with the pooled 满意率 alone narrows them; the score alone (what is now published)
    does not narrow them at all, nor does the cadre's score alone."""
    _rid, usid, csid = small
    t = tally.session_tally(db, usid).targets.set_index("target_code").loc["U1"]
    assert (round(float(t["score"]), 2), int(t["counted"])) == (66.33, 53)  # see _solve: 0.2·…/0.8
    pooled = [int(t[o]) for o in OPTIONS[:3]]
    assert _solve(Published(pooled=pooled, score=66.33), **UNIT_MODEL) == {LD_U1}
    narrowed = _solve(Published(score=66.33, sat=round(float(t["satisfaction"]), 4)), **UNIT_MODEL)
    assert LD_U1 in narrowed and len(narrowed) < len(_solve(Published(), **UNIT_MODEL))
    assert len(_solve(Published(score=66.33), **UNIT_MODEL)) == 10
    c = tally.session_tally(db, csid).targets.iloc[0]
    cadre_options = ["优秀", "称职", "基本称职", "不称职"]
    pub = Published(pooled=[int(c[o]) for o in cadre_options], score=round(float(c["score"]), 2))
    assert _solve(pub, **CADRE_MODEL) == {DY_C01}
    shares = Published(score=round(float(c["score"]), 2), sat=round(float(c["fit_share"]), 4),
                       unfit=round(float(c["unfit_share"]), 4))
    # With half the weight on 3 ballots the score alone rules out the two highest 党员 splits
    # (59.5 = ½·s_dy + ½·s_cm with s_cm ≥ 30 needs s_dy ≤ 89): the accepted residual. The shares
    # narrow it further.
    alone = _solve(Published(score=round(float(c["score"]), 2)), **CADRE_MODEL)
    assert len(alone) == 18 and (3, 0, 0, 0) not in alone and (2, 1, 0, 0) not in alone
    assert DY_C01 in _solve(shares, **CADRE_MODEL) and len(_solve(shares, **CADRE_MODEL)) < len(alone)


class Share(float):
    """A printed share as 0–1 with ``tol``, half a unit of its last printed decimal."""

    tol: float = 0.00005


def _share(v) -> Share | None:
    """A printed share as 0–1: "77.36%", 77.36 (percent), 0.77 or 0.7736 (as printed)."""
    if v is None or v in ("", "—"):
        return None
    text = str(v).strip()
    percent = text.endswith("%") or float(text.rstrip("%")) > 1
    text = text.rstrip("%")
    decimals = len(text.partition(".")[2]) + (2 if percent else 0)
    out = Share(float(text) / (100 if percent else 1))
    out.tol = 0.5 * 10.0 ** -min(decimals, 4) if decimals < 4 else 0.00005
    return out


def _float(v) -> float | None:
    return None if v is None or v in ("", "—") else float(v)


def _no_ld_named(text: str, where: str, problems: list[str]) -> None:
    """领导 marked U2 只 不了解: no output may name it as the group without counted ballots."""
    for phrase in ("缺少领导", "“领导”（ld", "“领导”对"):
        if phrase in text:
            problems.append(f"{where}: 写明了没有计分票的小类别（{phrase}）")


@pytest.mark.parametrize("fmt", ["csv", "json", "table"])
def test_score_attack_fails_on_the_cli(db, actors, small, fmt):
    import contextlib

    rid, usid, _csid = small
    problems: list[str] = []
    rows = _read(fmt, _cli(db, "ballots", "tally", "--session", str(usid), "--format", fmt))
    by = {r["target_code"]: r for r in rows}
    u1 = by["U1"]
    groups: dict[str, list] = {}
    for r in _read(fmt, _cli(db, "ballots", "tally", "--session", str(usid), "--groups", "--format", fmt)):
        if r["target_code"] == "U1":
            vec = [_num(r[o]) for o in OPTIONS[:3]]
            groups[r["group"]] = None if any(v is None for v in vec) else vec
    pooled = [_num(u1[o]) for o in OPTIONS[:3]]
    pub = Published(
        pooled=None if any(v is None for v in pooled) else pooled,
        groups=groups,
        score=_float(u1["score"]),
        sat=_share(u1["satisfaction"]),
    )
    _attack(pub, UNIT_MODEL, LD_U1, f"ballots tally ({fmt})", problems)
    # U2: 领导 marked only 不了解 there; the output says a group had no counted ballot, not which.
    if "ld" in (by["U2"]["missing_groups"] or "") or "领导" in (by["U2"]["missing_groups"] or ""):
        problems.append(f"ballots tally ({fmt}): missing_groups = {by['U2']['missing_groups']}")
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        main(["ballots", "tally", "--session", str(usid), "--db", db.url])
    _no_ld_named(err.getvalue(), "ballots tally 的警告", problems)
    # rank: the appraisal score and 满意率 of U1.
    if fmt != "table":  # the table prints the score only (评议), no 满意率
        rank = {r["unit_code"]: r for r in _read(fmt, _cli(db, "rank", "--round", str(rid), "--format", fmt))}
        pub = Published(score=_float(rank["U1"]["appraisal"]), sat=_share(rank["U1"]["satisfaction"]))
        _attack(pub, UNIT_MODEL, LD_U1, f"rank ({fmt})", problems)
        _no_ld_named(str(rank["U2"].get("flags", "")), f"rank ({fmt})", problems)
        assert round(pub["score"], 2) == 66.33
    # cadres results: score, counted and the two shares of C01.
    out = _cli(db, "cadres", "results", "--round", str(rid), "--format", fmt)
    if fmt == "table":  # the round's title, then the table with headings in words
        out = out.split("\n", 1)[1]
    c = _read(fmt, out)[0]
    if fmt == "table":
        heads = {"测评得分": "score", "计分票": "counted", "不称职票占比": "unfit_share", "称职及以上占比": "fit_share"}
        c = {heads.get(k, k): v for k, v in c.items()}
    pub = Published(score=_float(c["score"]), sat=_share(c["fit_share"]), unfit=_share(c["unfit_share"]))
    _attack(pub, CADRE_MODEL, DY_C01, f"cadres results ({fmt})", problems)
    # accountability: the figures of the rules on 满意率 and 称职及以上 share.
    entries = json.loads(_cli(db, "accountability", "--round", str(rid), "--format", "json"))
    by_rule = {e["rule_code"]: e for e in entries}
    assert set(by_rule) == {"R1", "R2"}
    for code, model, truth, key in (("R1", UNIT_MODEL, LD_U1, "sat"), ("R2", CADRE_MODEL, DY_C01, "sat")):
        value = by_rule[code]["figures"].get("value")
        score = 66.33 if code == "R1" else _float(c["score"])
        pub = Published(score=score, **{key: None if value is None else value / (100 if code == "R1" else 1)})
        _attack(pub, model, truth, f"accountability {code}", problems)
    assert not problems, "\n".join(problems)
    # The score and the 53 counted ballots are printed (the score ranks U1), nothing per option.
    assert pub["score"] is not None and _num(c["counted"]) == 33
    assert _float(u1["score"]) == 66.33 and _num(u1["counted"]) == 53
    assert "含不足公开门槛的投票人类别，分项不公布" in u1["note"]
    assert by["U2"]["missing_groups"] == "rd；有投票人类别没有计分票"  # rd had no ballot at all


async def test_score_attack_fails_on_the_tui(db, actors, small):
    import re

    from textual.widgets import DataTable, Static

    from tui.cadre_results import CadreResultsScreen
    from tui.rankings import RankingsScreen
    from tui.tally_view import TallyScreen

    from .tui_helpers import SIZE, login, make_app, screen_text, settle

    rid, usid, csid = small
    problems: list[str] = []
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "clerk")

        def rows() -> list[dict[str, str]]:
            table = app.screen.query_one("#tally", DataTable)
            heads = [str(c.label) for c in table.columns.values()]
            return [
                dict(zip(heads, [str(v) for v in table.get_row_at(i)], strict=True))
                for i in range(table.row_count)
            ]

        app.push_screen(TallyScreen(usid))
        await settle(pilot)
        by_target = {r["编码"]: r for r in rows()}
        warnings = str(app.screen.query_one("#tally-warnings-text", Static).render())
        await pilot.press("g")
        await settle(pilot)
        by_group = [r for r in rows() if r["编码"] == "U1"]
        app.screen.dismiss(None)
        await settle(pilot)
        app.push_screen(TallyScreen(csid))
        await settle(pilot)
        cadre = rows()[0]
        app.screen.dismiss(None)
        await settle(pilot)
        app.push_screen(CadreResultsScreen(rid))
        await settle(pilot)
        detail = str(app.screen.query_one("#cadre-detail", Static).render())
        app.screen.dismiss(None)
        await settle(pilot)
        # The rankings: x explains the row under the cursor (U1 first, then U2).
        app.push_screen(RankingsScreen())
        await settle(pilot)
        explained = []
        for _ in range(2):
            await pilot.press("x")
            await settle(pilot)
            assert type(app.screen).__name__ == "ExplainDialog"
            explained.append(screen_text(app))
            await pilot.press("escape")
            await settle(pilot)
            await pilot.press("down")
    u1 = by_target["U1"]
    names = {"领导": "ld", "服务对象": "fw", "干部职工": "zg"}
    groups = {}
    for r in by_group:
        vec = [_num(r[o]) for o in OPTIONS[:3]]
        groups[names.get(r["类别"], r["类别"])] = None if any(v is None for v in vec) else vec
    pooled = [_num(u1[o]) for o in OPTIONS[:3]]
    pub = Published(
        pooled=None if any(v is None for v in pooled) else pooled,
        groups=groups,
        score=_float(u1["得分"]),
        sat=_share(u1[next(h for h in u1 if h.startswith("满意率"))]),
    )
    _attack(pub, UNIT_MODEL, LD_U1, "TUI 计票结果", problems)
    if "领导" in by_target["U2"]["缺类别"]:
        problems.append(f"TUI 计票结果: 缺类别 {by_target['U2']['缺类别']}")
    _no_ld_named(warnings, "TUI 计票结果的警告", problems)
    pub = Published(score=_float(cadre["得分"]), sat=_share(cadre["称职及以上"]), unfit=_share(cadre["不称职票"]))
    cadre_pooled = [_num(cadre[o]) for o in ["优秀", "称职", "基本称职", "不称职"]]
    if all(v is not None for v in cadre_pooled):
        pub["pooled"] = cadre_pooled
    _attack(pub, CADRE_MODEL, DY_C01, "TUI 勤廉双述计票", problems)
    m = {k: re.search(rf"{k} ([\d.]+%?)", detail) for k in ("得分", "不称职票占比", "称职及以上占比")}
    pub = Published(**{
        "score": float(m["得分"].group(1)),
        "unfit": _share(m["不称职票占比"].group(1)) if m["不称职票占比"] else None,
        "sat": _share(m["称职及以上占比"].group(1)) if m["称职及以上占比"] else None,
    })
    _attack(pub, CADRE_MODEL, DY_C01, "TUI 干部测评结果", problems)
    # The rankings' explanation (x on a row): the 民主评议 component is the score.
    u1_text = next(t for t in explained if "U1 财政局" in t)
    pub = Published(score=float(re.search(r"民主评议 ([\d.]+) ×", u1_text).group(1)))
    _attack(pub, UNIT_MODEL, LD_U1, "TUI 得分说明", problems)
    _no_ld_named(next(t for t in explained if "U2 教育局" in t), "TUI 得分说明", problems)
    assert not problems, "\n".join(problems)
    assert _float(u1["得分"]) == 66.33 and u1["计分票"] == "53"


def test_score_attack_fails_on_the_xlsx_html_and_docx(db, actors, small, tmp_path):
    from docx import Document
    from openpyxl import load_workbook

    from assess.reports.bundle import build_report, chart_specs
    from assess.reports.data import load_report_data
    from assess.reports.document import ranking_rows
    from assess.reports.workbook import write_workbook

    rid, _usid, _csid = small
    problems: list[str] = []
    data = load_report_data(db, rid)
    wb = load_workbook(write_workbook(data, tmp_path / "r.xlsx"), read_only=True)

    def sheet(name):
        rows = [list(r) for r in wb[name].iter_rows(values_only=True)]
        heads = rows[0]
        return [dict(zip(heads, r + [None] * (len(heads) - len(r)), strict=True)) for r in rows[1:]]

    tally_rows = [r for r in sheet("计票汇总") if r["单位编码"] == "U1"]
    total = next((r for r in tally_rows if r["投票人类别"] == "全部"), None)
    pooled = None if total is None else [_num(total[o]) for o in OPTIONS[:3]]
    if pooled is not None and any(v is None for v in pooled):
        pooled = None
    groups = {}
    for r in tally_rows:
        code = {"领导": "ld", "服务对象": "fw", "干部职工": "zg"}.get(r["投票人类别"])
        if code:
            groups[code] = [_num(r[o]) for o in OPTIONS[:3]]
    ranking = {r["单位编码"]: r for r in sheet("排名")} if "排名" in wb.sheetnames else None
    assert ranking is not None, wb.sheetnames
    u1 = ranking["U1"]
    score = _float(u1.get("民主评议"))
    sat_head = next((h for h in u1 if h and str(h).startswith("满意率")), None)
    pub = Published(pooled=pooled, groups=groups, score=score, sat=_share(u1[sat_head]) if sat_head else None)
    assert round(score, 2) == 66.33
    _attack(pub, UNIT_MODEL, LD_U1, "XLSX", problems)
    _no_ld_named(" ".join(str(v) for v in ranking["U2"].values()), "XLSX", problems)
    # HTML/PDF: the ranking table and the option-share charts.
    heads, rows, _a, _b = ranking_rows(data, "政府部门")
    u1 = next(dict(zip(heads, r, strict=True)) for r in rows if "财政局" in r)
    sat_head = next((h for h in heads if h.startswith("满意率")), None)
    chart_counts = None
    for c in chart_specs(data):
        if c.key.endswith("民主评议"):
            shares = c.build.args[0]
            part = shares[shares["unit_code"] == "U1"]
            if len(part):
                chart_counts = [int(part.set_index("option").loc[o, "count"]) for o in OPTIONS[:3]]
    pub = Published(pooled=chart_counts, score=_float(u1["民主评议"]), sat=_share(u1[sat_head]) if sat_head else None)
    assert round(pub["score"], 2) == 66.33
    _attack(pub, UNIT_MODEL, LD_U1, "HTML/PDF", problems)
    # DOCX: every table of every document, the row of 财政局 (U1).
    files = build_report(db, rid, tmp_path / "out", ["docx"]).files
    for f in (f for f in files if f.suffix == ".docx"):
        word = Document(f)
        text = "\n".join(p.text for p in word.paragraphs)
        for table in word.tables:
            cells = [[c.text for c in row.cells] for row in table.rows]
            text += "\n" + "\n".join(" ".join(r) for r in cells)
            head = cells[0]
            for r in cells[1:]:
                if "财政局" in r and "民主评议" in head:
                    row = dict(zip(head, r, strict=False))
                    sat_head = next((h for h in head if h.startswith("满意率")), None)
                    pub = Published(score=_float(row["民主评议"]), sat=_share(row[sat_head]) if sat_head else None)
                    _attack(pub, UNIT_MODEL, LD_U1, f"DOCX {f.name}", problems)
        _no_ld_named(text, f"DOCX {f.name}", problems)
    assert not problems, "\n".join(problems)


def test_a_score_from_fewer_ballots_than_the_threshold_ranks_and_is_marked(db, actors):
    """The accepted residual: U1 has 3 counted ballots in all (领导 1, 服务对象 2). Its score ranks
    it and is printed everywhere with the mark 评议计分票不足公开门槛; compute warns; its 满意率 is
    printed nowhere. U2 and U3 have no session: nothing to mark."""
    from assess.reports.data import load_report_data
    from assess.results.compute import compute_round
    from assess.results.ranking import ranking
    from assess.results.views import explain

    from .reliability_helpers import UNITS
    from .results_helpers import add_scores, store_scheme
    from .results_helpers import make_round as make_results_round

    vid = store_scheme(db, ballot_scheme())
    rid, ids = make_results_round(db, vid, UNITS, period="2026-Q1", stage="appraisal_certified")
    add_scores(db, rid, ids, [("U1", "A", 95.0), ("U2", "A", 85.0), ("U3", "A", 70.0)])
    sid = appraisal.create_session(
        db, actors["clerk"], rid, "unit", "小型评议会", target_codes=["U1"], expected=4, present=3
    )
    builders.certified_batch(db, actors, sid, "ld", "L1", ["1"])
    builders.certified_batch(db, actors, sid, "fw", "F1", ["2", "3"])
    appraisal.certify_session(db, actors["reviewer"], sid)
    summary = compute_round(db, actors["reviewer"], rid, today=date(2026, 4, 10), resamples=0)
    assert any("1 个评议对象的计分票合计不足公开门槛（小型评议会 U1）" in w for w in summary.warnings)
    rows = {r.unit_code: r for r in ranking(db, rid).rows}
    # ld 100; fw (70 + 30)/2 = 50; (0.2·100 + 0.4·50)/0.6 = 66.67 (rd, zg without ballots).
    assert rows["U1"].appraisal == pytest.approx(66.67, abs=0.005) and rows["U1"].satisfaction is None
    assert "appraisal_few" in rows["U1"].flags and "appraisal_few" not in rows["U2"].flags
    # rd and zg had no ballot at all: naming them says nothing about anyone.
    assert "missing_groups:rd,zg" in rows["U1"].flags
    assert "评议计分票不足公开门槛" in explain(db, rid, "U1").flags
    data = load_report_data(db, rid)
    u1 = data.results.set_index("unit_code").loc["U1"]
    assert "评议计分票不足公开门槛" in u1["flags"] and u1["c_satisfaction"] != u1["c_satisfaction"]  # NaN


@pytest.fixture(autouse=True)
def _password(monkeypatch):
    monkeypatch.setenv("ASSESS_PASSWORD", PASSWORD)
    monkeypatch.setenv("ASSESS_USER", "admin")
