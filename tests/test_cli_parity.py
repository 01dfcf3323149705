"""The command line shows what the screens show (issue 12, point 9): cadre results and grades,
tally scores rounded to the scheme's precision, voter groups by name or code in imports, ``--user``
on every command, and certification messages with the true counts. Through ``assess.cli.main``,
on SQLite and PostgreSQL."""

from __future__ import annotations

import argparse
import csv
import io
import json
from datetime import date

import pytest

from assess.appraisal import sessions as appraisal
from assess.appraisal import tally
from assess.cli import build_parser, main
from assess.demo import builders
from assess.results import accountability
from assess.results import approval as review
from assess.results.compute import compute_round
from assess.results.publication import publish

from .ballot_helpers import make_round
from .conftest import PASSWORD
from .results_helpers import (
    add_cadres,
    add_discipline,
    add_scores,
    add_session,
    full_marks,
    scheme_dict,
    store_scheme,
)
from .results_helpers import make_round as make_results_round


@pytest.fixture
def cli(db, actors, monkeypatch, capsys):
    monkeypatch.setenv("ASSESS_PASSWORD", PASSWORD)

    def run(*argv, user="admin"):
        capsys.readouterr()
        rc = main([*argv, "--db", db.url, "--user", user])
        out, err = capsys.readouterr()
        return rc, out, err

    return run


# -- tally scores rounded to the scheme's precision -----------------------------------------------------


@pytest.fixture
def rounded_session(db, actors):
    """Two targets, voter groups ld (weight .2) and fw (.4) with ballots, rd and zg without (the
    weights are renormalised over .6). Options 1 满意 100 · 2 基本满意 70 · 3 不满意 30.

    - U01: ld 5 × 不满意 → 30; fw 满意 + 5 × 基本满意 → (100 + 350)/6 = 75;
      (.2 × 30 + .4 × 75)/.6 = 36/.6 = 60 exactly — which floating point gives as 59.99999999999999.
    - U02: ld 5 × 满意 → 100; fw 3 × 满意 + 3 × 不满意 → (300 + 90)/6 = 65;
      (.2 × 100 + .4 × 65)/.6 = 46/.6 = 76.666… → 76.67 at the scheme's precision 2.
    """
    rid = make_round(db)
    builders.numbered_units(db, actors["admin"], 2)
    sid = appraisal.create_session(
        db, actors["clerk"], rid, "unit", "民主评议大会", target_codes=["U01", "U02"], expected=20, present=15
    )
    builders.certified_batch(db, actors, sid, "ld", "L1", ["31"] * 5)
    builders.certified_batch(db, actors, sid, "fw", "F1", ["11", "21", "21", "23", "23", "23"])
    appraisal.certify_session(db, actors["reviewer"], sid)
    return sid


def test_tally_scores_rounded_in_table_csv_and_json(db, cli, rounded_session):
    raw = tally.session_tally(db, rounded_session).targets.set_index("target_code")["score"]
    assert raw["U01"] != 60.0 and raw["U01"] == pytest.approx(60.0)  # the float the tally holds
    sid = str(rounded_session)

    rc, out, err = cli("ballots", "tally", "--session", sid, "--format", "json")
    assert rc == 0, err
    scores = {r["target_code"]: r["score"] for r in json.loads(out)}
    assert scores == {"U01": 60.0, "U02": 76.67}

    rc, out, err = cli("ballots", "tally", "--session", sid, "--format", "csv")
    assert rc == 0, err
    rows = {r["target_code"]: r for r in csv.DictReader(io.StringIO(out))}
    assert rows["U01"]["score"] == "60.0" and rows["U02"]["score"] == "76.67"

    rc, out, err = cli("ballots", "tally", "--session", sid, "--groups", "--format", "json")
    assert rc == 0, err
    groups = {(r["target_code"], r["group"]): r["score"] for r in json.loads(out) if r["score"] is not None}
    assert groups == {("U01", "ld"): 30.0, ("U01", "fw"): 75.0, ("U02", "ld"): 100.0, ("U02", "fw"): 65.0}

    rc, out, err = cli("ballots", "tally", "--session", sid)
    assert rc == 0, err
    lines = {line.split()[1]: line for line in out.splitlines() if line.split()[1:2] in (["U01"], ["U02"])}
    assert "60.00" in lines["U01"].split() and "76.67" in lines["U02"].split()
    assert "59.99" not in out and "76.66" not in out


def test_tally_scores_follow_the_scheme_precision(db, actors, cli):
    """Precision 1: U02 above prints 76.7 (76.666… rounded half up)."""
    from .ballot_helpers import scheme_dict as ballot_scheme

    rid = make_round(db, scheme={**ballot_scheme(), "precision": 1})
    builders.numbered_units(db, actors["admin"], 2)
    sid = appraisal.create_session(
        db, actors["clerk"], rid, "unit", "民主评议大会", target_codes=["U01", "U02"], expected=20, present=15
    )
    builders.certified_batch(db, actors, sid, "ld", "L1", ["31"] * 5)
    builders.certified_batch(db, actors, sid, "fw", "F1", ["11", "21", "21", "23", "23", "23"])
    appraisal.certify_session(db, actors["reviewer"], sid)
    rc, out, err = cli("ballots", "tally", "--session", str(sid), "--format", "json")
    assert rc == 0, err
    assert {r["target_code"]: r["score"] for r in json.loads(out)} == {"U01": 60.0, "U02": 76.7}


# -- voter groups by name or code -------------------------------------------------------------------


@pytest.fixture
def open_session(db, actors):
    rid = make_round(db)
    builders.numbered_units(db, actors["admin"], 2)
    sid = appraisal.create_session(
        db, actors["clerk"], rid, "unit", "民主评议大会", target_codes=["U01", "U02"], expected=40, present=36
    )
    appraisal.set_attendance(
        db, actors["clerk"], sid, groups={"ld": 6, "fw": 8}, groups_present={"ld": 5, "fw": 7}
    )
    return sid


def test_tally_import_takes_group_names_and_codes(db, cli, open_session, tmp_path):
    f = tmp_path / "tallies.csv"
    f.write_text(
        "voter_group,target_code,choice,count\n"
        "领导,U01,满意,4\n领导,U01,基本满意,1\nld,U02,不满意,5\n"
        "服务对象,U01,满意,7\nfw,U02,基本满意,6\n",
        encoding="utf-8",
    )
    rc, out, err = cli("tally", "import", str(f), "--session", str(open_session), "--format", "json", user="clerk")
    assert rc == 0, err
    batches = {b["voter_group"]: b for b in json.loads(out)["batches"]}
    # 领导 and ld are one group: one batch, 5 ballots at least (U01 4 + 1, U02 5); 服务对象/fw: 7.
    assert set(batches) == {"ld", "fw"}
    assert (batches["ld"]["label"], batches["ld"]["ballots"]) == ("汇总-ld", 5)
    assert (batches["fw"]["label"], batches["fw"]["ballots"]) == ("汇总-fw", 7)


def test_tally_import_unknown_group_names_line_field_names_and_codes(db, cli, open_session, tmp_path):
    f = tmp_path / "tallies.csv"
    f.write_text("voter_group,target_code,choice,count\nld,U01,满意,4\n县长,U01,满意,1\n", encoding="utf-8")
    rc, out, err = cli("tally", "import", str(f), "--session", str(open_session), user="clerk")
    assert rc == 1
    assert "tallies.csv:3 [voter_group]: " in err, err
    assert "投票人类别“县长”不在本会议中" in err
    assert "领导（ld）、人大代表政协委员（rd）、服务对象（fw）、干部职工（zg）" in err
    rc, out, _ = cli("batch", "list", "--session", str(open_session), "--format", "json")
    assert json.loads(out) == []  # nothing imported


def test_ballot_import_takes_group_names_and_codes(db, cli, open_session, tmp_path):
    f = tmp_path / "ballots.csv"
    rows = "".join(
        f"F1,{i},{'服务对象' if i % 2 else 'fw'},U01,满意\nF1,{i},fw,U02,基本满意\n" for i in range(1, 6)
    )
    f.write_text("batch,ballot_no,voter_group,target_code,choice\n" + rows, encoding="utf-8")
    rc, out, err = cli("ballots", "import", str(f), "--session", str(open_session), "--format", "json", user="clerk")
    assert rc == 0, err
    assert [(b["label"], b["voter_group"], b["ballots"], b["valid"]) for b in json.loads(out)["batches"]] == [
        ("F1", "fw", 5, 5)
    ]


def test_ballot_import_unknown_group_and_mixed_groups_in_a_batch(db, cli, open_session, tmp_path):
    f = tmp_path / "ballots.csv"
    f.write_text(
        "batch,ballot_no,voter_group,target_code,choice\n"
        "F1,1,服务对象,U01,满意\nF1,2,领导,U01,满意\nF1,3,村民,U01,满意\n",
        encoding="utf-8",
    )
    rc, _out, err = cli("ballots", "import", str(f), "--session", str(open_session), user="clerk")
    assert rc == 1
    # Line 3: 领导 is ld, while F1 began as fw on line 2; line 4: 村民 is no group of the meeting.
    assert "ballots.csv:3 [voter_group]: 批次“F1”在第 2 行为“fw”" in err, err
    assert "ballots.csv:4 [voter_group]: 投票人类别“村民”不在本会议中（可用名称或代码：领导（ld）" in err


# -- certification messages ---------------------------------------------------------------------------


def test_certify_messages_carry_the_true_counts(db, actors, cli, open_session, tmp_path):
    sid = str(open_session)
    f = tmp_path / "tallies.csv"
    # 领导: U01 3 + 2 = 5 marks, U02 4: the batch stands for at least 5 ballots; its papers are
    # the meeting's record for 领导 (实到 5); three count rows.
    f.write_text(
        "voter_group,target_code,choice,count\nld,U01,满意,3\nld,U01,不满意,2\nld,U02,基本满意,4\n",
        encoding="utf-8",
    )
    rc, out, err = cli("tally", "import", str(f), "--session", sid, "--format", "json", user="clerk")
    assert rc == 0, err
    tally_batch = json.loads(out)["batches"][0]["batch_id"]
    rc, out, err = cli("batch", "certify", "--batch", str(tally_batch), user="reviewer")
    assert rc == 0, err
    assert out.strip() == f"已核定计票汇总批次 #{tally_batch}（汇总-ld）：计票汇总 3 项，至少 5 张选票（发出 5 张）"
    assert "0 张" not in out

    # A ballots batch: 服务对象 7 ballots, one blank.
    g = tmp_path / "ballots.csv"
    g.write_text(
        "batch,ballot_no,voter_group,target_code,choice\n"
        + "".join(f"F1,{i},fw,U01,满意\n" for i in range(1, 7))
        + "F1,7,fw,U01,\n",
        encoding="utf-8",
    )
    rc, out, err = cli("ballots", "import", str(g), "--session", sid, "--format", "json", user="clerk")
    assert rc == 0, err
    paper = json.loads(out)["batches"][0]["batch_id"]
    rc, out, err = cli("ballots", "certify", "--batch", str(paper), user="reviewer")
    assert rc == 0, err
    assert out.strip() == f"已核定批次 #{paper}（F1）：7 张（有效 6，废票 0，空白 1）"

    rc, out, err = cli("appraisal", "certify", "--session", sid, "--format", "json", user="reviewer2")
    assert rc == 0, err
    msg = json.loads(out)
    # Two certified batches: 5 (the tally's ballots) + 7 = 12 ballots; 实到 36 of 应到 40.
    assert (msg["batches"], msg["ballots"], msg["voided"]) == (2, 12, 0)
    assert msg["message"].startswith(f"已核定评议会议 #{sid}（民主评议大会）的评议结果：计入已核定批次 2 个、选票 12 张，作废批次 0 个；")


# -- cadre results ------------------------------------------------------------------------------------


UNITS = [("U1", "财政局", "甲类"), ("U2", "教育局", "甲类")]


@pytest.fixture
def cadre_round(db, actors):
    return build_cadre_round(db, actors)


def build_cadre_round(db, actors):
    """Options 优秀 100 / 称职 80 / 基本称职 60 / 不称职 0; bands 优秀 ≥ 90, 称职 [70, 90),
    基本称职 [50, 70), 不称职 < 50; publication threshold 5 counted votes.

    - C1 [9, 1, 0, 0]: (900 + 80)/10 = 98 → 优秀 (fit 10/10).
    - C2 [6, 0, 0, 4]: 600/10 = 60 → 基本称职 by score; 不称职 4/10 > 1/3 → 不称职.
    - C3 [9, 0, 0, 1]: 900/10 = 90 → 优秀 band, fit 9/10 = 90 % ≥ 90 %, but 诫勉 → 称职.
    - C4 [16, 1, 3, 0]: (1600 + 80 + 180)/20 = 93 → 优秀 band, fit 17/20 = 85 % < 90 % → 称职.
    - C5 [2, 1, 0, 0]: (200 + 80)/3 = 93.333… → 93.33, 优秀; only 3 counted votes: the score (it
      ranks) and the 3 counted votes are printed, marked 评议计分票不足公开门槛; the shares not.
    """
    vid = store_scheme(db, scheme_dict(no_excellent_if=["诫勉"]))  # the scheme bars 诫勉 from 优秀
    rid, ids = make_results_round(db, vid, UNITS)
    add_scores(db, rid, ids, full_marks([c for c, *_ in UNITS]))
    cid = add_cadres(db, ids["U1"], ["C1", "C2", "C3", "C4", "C5"])
    counts = {
        "zg": {
            cid["C1"]: [9, 1, 0, 0],
            cid["C2"]: [6, 0, 0, 4],
            cid["C3"]: [9, 0, 0, 1],
            cid["C4"]: [16, 1, 3, 0],
            cid["C5"]: [2, 1, 0, 0],
        }
    }
    sid = add_session(db, rid, "cadre", "qlss", list(cid.values()), counts, {"zg": 1.0}, expected=20, present=20)
    add_discipline(db, rid, "诫勉", cadre_id=cid["C3"])
    compute_round(db, actors["admin"], rid, today=date(2026, 4, 10), resamples=0)
    return rid, sid, cid


EXPECTED = {
    "C1": (98.0, "优秀", 10, ""),
    "C2": (60.0, "不称职", 10, "不称职票超过规定比例"),
    "C3": (90.0, "称职", 10, "受到诫勉处理，不得评为最高等次"),
    "C4": (93.0, "称职", 20, "称职及以上票不足，不能评优秀"),
    "C5": (93.33, "优秀", 3, "评议计分票不足公开门槛"),
}


def test_cadre_results_json_csv_and_table(db, cli, cadre_round):
    rid, sid, _cid = cadre_round
    rc, out, err = cli("cadres", "results", "--round", str(rid), "--format", "json")
    assert rc == 0, err
    rows = {r["cadre_code"]: r for r in json.loads(out)}
    assert {c: (r["score"], r["grade"], r["counted"], r["flags"]) for c, r in rows.items()} == EXPECTED
    assert rows["C1"]["cadre_name"] == "干部C1" and rows["C1"]["unit_name"] == "财政局"
    # Shares only where the votes may be published: C2 4/10 不称职, C4 17/20 fit; C5 withheld.
    assert (rows["C2"]["unfit_share"], rows["C4"]["fit_share"]) == (0.4, 0.85)
    assert rows["C5"]["unfit_share"] is None and rows["C5"]["note"] == "评议计分票不足公开门槛（5 张），分项不公布"
    assert all(r["session_id"] == sid for r in rows.values())

    rc, out, err = cli("cadres", "results", "--round", str(rid), "--session", str(sid), "--format", "csv")
    assert rc == 0, err
    got = {r["cadre_code"]: (r["score"], r["grade"]) for r in csv.DictReader(io.StringIO(out))}
    assert got == {c: (str(v[0]), v[1]) for c, v in EXPECTED.items()}

    rc, out, err = cli("cadres", "results", "--round", str(rid))
    assert rc == 0, err
    assert "测评得分" in out and "不称职票占比" in out and "称职及以上占比" in out
    c2 = next(line for line in out.splitlines() if line.startswith(f"{sid}  ") and " C2 " in line)
    assert "60.00" in c2 and "不称职" in c2 and "40.00%" in c2 and "不称职票超过规定比例" in c2
    c5 = next(line for line in out.splitlines() if " C5 " in line)
    assert "93.33" in c5 and "评议计分票不足公开门槛" in c5 and "%" not in c5


def test_cadre_results_refuse_a_session_of_another_round_or_no_results(db, cli, cadre_round):
    rid, sid, _cid = cadre_round
    rc, _out, err = cli("cadres", "results", "--round", str(rid), "--session", str(sid + 100))
    assert rc == 1 and f"评议会议 #{sid + 100} 不属于考核轮次" in err
    vid = store_scheme(db, scheme_dict(code="kt2"))
    other, _ids = make_results_round(db, vid, UNITS, period="2026-Q2")
    rc, _out, err = cli("cadres", "results", "--round", str(other))
    assert rc == 1 and "尚无干部测评结果" in err


def test_cadre_results_of_a_published_round_show_names_as_published(db, actors, cli, cadre_round):
    from assess.models import Cadre

    rid, _sid, cid = cadre_round
    for e in accountability.list_entries(db, rid):
        accountability.decide(db, actors["reviewer"], e.id, "confirm", "核实无误")
    review.review(db, actors["clerk"], rid, "first")
    review.review(db, actors["reviewer"], rid, "audit")
    review.review(db, actors["reviewer2"], rid, "recheck")
    review.vote(db, actors["committee"], rid, expected=9, present=8, yes=6, no=1, abstain=1)
    publish(db, actors["admin"], rid)
    with db.write() as s:  # master data may change after publication
        s.get(Cadre, cid["C1"]).name = "改名后"
    rc, out, err = cli("cadres", "results", "--round", str(rid), "--format", "json")
    assert rc == 0, err
    rows = {r["cadre_code"]: r for r in json.loads(out)}
    assert rows["C1"]["cadre_name"] == "干部C1"
    assert {c: (r["score"], r["grade"]) for c, r in rows.items()} == {c: v[:2] for c, v in EXPECTED.items()}


# -- --user on every command ------------------------------------------------------------------------


def test_every_command_accepts_user():
    missing = []

    def walk(parser: argparse.ArgumentParser, path: list[str]) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    if sub.get_default("func") is not None and "--user" not in sub._option_string_actions:
                        missing.append(" ".join([*path, name]))
                    walk(sub, [*path, name])

    walk(build_parser(), [])
    assert missing == []
    # Before: report, roles, doctor, config, demo and indicators validate/builtin refused it.
    args = build_parser().parse_args(["report", "--round", "1", "--out", "x", "--user", "admin"])
    assert args.user == "admin"


def test_read_only_commands_run_with_user(db, cli, cadre_round, tmp_path, capsys):
    rid, _sid, _cid = cadre_round
    rc, out, err = cli("report", "--round", str(rid), "--out", str(tmp_path / "out"), "--format", "csv", "--quiet")
    assert rc == 0, err
    assert any(p.endswith(".csv") for p in out.split())
    for argv in (["roles", "--user", "admin"], ["indicators", "builtin", "--user", "admin"]):
        capsys.readouterr()
        assert main(argv) == 0
        assert capsys.readouterr().out


# -- the same results in the interface --------------------------------------------------------------


async def test_rankings_screen_opens_cadre_results(sqlite_db):
    from .conftest import make_users
    from .tui_helpers import SIZE, login, make_app, screen_text, settle

    build_cadre_round(sqlite_db, make_users(sqlite_db))
    app = make_app(sqlite_db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "reviewer")
        await pilot.press("k")
        await settle(pilot)
        assert app.screen.AREA == "rankings"
        await pilot.press("d")
        await settle(pilot)
        assert type(app.screen).__name__ == "CadreResultsScreen"
        text = screen_text(app)
        assert "干部测评结果" in text and "5 人" in text
        assert "98.00" in text and "93.33" in text and "不称职票超过规定比例" in text
        # The detail line shows the first row whole: C1, 10 counted votes, shares.
        assert "C1 干部C1（财政局 局长）" in text and "计分票 10" in text and "称职及以上占比 100.00%" in text
        await pilot.press("down")
        await settle(pilot)
        assert "不称职票占比 40.00%" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.AREA == "rankings"
