"""Printable 测评表 and 计票单 (docs/documents.md): targets in the entry screen's order, option boxes
numbered as the clerk keys them, the form's rules, batch code and 票号 per sheet; pages looked at
through pdftoppm and pdftotext."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from assess.appraisal import entry as ballots
from assess.appraisal import sessions as appraisal
from assess.demo import builders
from assess.foundation.errors import AssessError, NotFound
from assess.reports.ballot_forms import PrintJob, print_ballots, print_session, rules_text

from .ballot_helpers import make_round


def _text(pdf) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils not installed")
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def _pages(pdf) -> list[str]:
    return _text(pdf).split("\f")[:-1]


@pytest.fixture
def unit_session(sqlite_db):
    from .conftest import make_users

    actors = make_users(sqlite_db)
    rid = make_round(sqlite_db)
    builders.numbered_units(sqlite_db, actors["admin"], 5)
    sid = appraisal.create_session(
        sqlite_db,
        actors["clerk"],
        rid,
        "unit",
        "第三季度民主评议大会",
        target_codes=["U03", "U01", "U05", "U02", "U04"],
        group_expected={"ld": 3, "fw": 2},
        present=5,
    )
    return sqlite_db, actors, sid


def test_ballots_follow_the_entry_order_with_numbers_and_rules(unit_session, tmp_path):
    db, actors, sid = unit_session
    pdf = print_ballots(db, PrintJob(sid, "ld", copies=3, start_no=11, batch_label="LD-01"), tmp_path / "b.pdf")
    pages = _pages(pdf)
    assert len(pages) == 3  # a page per ballot
    assert pdf.stat().st_mode & 0o777 == 0o600  # written for people: the office's alone
    # The entry screen keys the targets in the order of the pass context: the same as printed.
    batch = ballots.create_batch(db, actors["clerk"], sid, "ld", "LD-01", 3, 3)
    ctx = ballots.open_pass(db, actors["clerk"], batch)
    order = [t.name for t in ctx.targets]
    assert order == ["第3局", "第1局", "第5局", "第2局", "第4局"]
    for n, page in enumerate(pages, start=11):
        assert f"票号：{n:04d}" in page and "批次：LD-01" in page and "投票人类别：领导" in page
        rows = [line for line in page.splitlines() if re.match(r"\s*\d\s+第\d局", line)]
        assert [re.search(r"第\d局", r).group() for r in rows] == order
        assert [int(r.split()[0]) for r in rows] == [1, 2, 3, 4, 5]
        # Option headers carry the key the clerk presses.
        assert re.search(r"1\.满意\s+2\.基本满意\s+3\.不满意\s+4\.不了解", page)
        assert "“满意”不得超过2个，超过的整张选票作废。" in page.replace("\n", "")
    assert rules_text(appraisal_info_of(db, sid))[1] == "“满意”不得超过2个，超过的整张选票作废。"


def appraisal_info_of(db, sid):
    from assess.appraisal.session_info import session_info

    return session_info(db, sid)


def test_two_per_page_and_blank_batch(unit_session, tmp_path):
    db, _actors, sid = unit_session
    pdf = print_ballots(db, PrintJob(sid, "fw", copies=3, per_page=2), tmp_path / "b.pdf")
    pages = _pages(pdf)
    assert len(pages) == 2
    assert pages[0].count("票号：") == 2 and "票号：0001" in pages[0] and "票号：0003" in pages[1]
    assert "批次：________" in pages[0]


def test_session_prints_each_group_and_a_tally_sheet(unit_session, tmp_path):
    db, _actors, sid = unit_session
    files = print_session(db, sid, tmp_path / "out")
    names = sorted(f.name for f in files)
    assert "第三季度民主评议大会-领导-测评表.pdf" in names and "第三季度民主评议大会-领导-计票单.pdf" in names
    assert len(names) == 8  # four voter groups × (测评表 + 计票单)
    lead = next(f for f in files if f.name == "第三季度民主评议大会-领导-测评表.pdf")
    assert len(_pages(lead)) == 3  # as many sheets as the group's expected voters
    sheet = _text(next(f for f in files if f.name == "第三季度民主评议大会-领导-计票单.pdf"))
    assert "计票人（签名）" in sheet and "监票人（签名）" in sheet and "合计" in sheet
    assert [m for m in re.findall(r"第\d局", sheet)] == ["第3局", "第1局", "第5局", "第2局", "第4局"]


def test_pages_have_ink_and_embedded_chinese_font(unit_session, tmp_path):
    from PIL import Image

    db, _actors, sid = unit_session
    if shutil.which("pdftoppm") is None or shutil.which("pdffonts") is None:
        pytest.skip("poppler-utils not installed")
    pdf = print_ballots(db, PrintJob(sid, "ld", copies=1), tmp_path / "b.pdf")
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(" yes " in f" {line} " for line in fonts)
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "p")], check=True)
    img = Image.open(next(tmp_path.glob("p*.png"))).convert("L")
    assert sum(img.histogram()[:128]) > 500


def test_cadre_sheet_and_bad_requests(sqlite_db, tmp_path):
    from .conftest import make_users

    actors = make_users(sqlite_db)
    rid = make_round(sqlite_db)
    builders.numbered_units(sqlite_db, actors["admin"], 1)
    builders.cadres(sqlite_db, actors["admin"], 2)
    sid = appraisal.create_session(
        sqlite_db, actors["clerk"], rid, "cadre", "勤廉双述会", target_codes=["C02", "C01"]
    )
    page = _pages(print_ballots(sqlite_db, PrintJob(sid, "dy"), tmp_path / "c.pdf"))[0]
    assert page.index("干部2") < page.index("干部1") and "村委委员" in page and "1.优秀" in page
    with pytest.raises(NotFound, match="投票人类别“xx”"):
        print_ballots(sqlite_db, PrintJob(sid, "xx"), tmp_path / "x.pdf")
    with pytest.raises(AssessError, match="打印份数"):
        print_ballots(sqlite_db, PrintJob(sid, "dy", copies=0), tmp_path / "x.pdf")


def test_cli_ballots_print(unit_session, tmp_path, capsys):
    from assess.cli import main

    db, _actors, sid = unit_session
    out = tmp_path / "print"
    rc = main(["ballots", "print", "--session", str(sid), "--group", "ld", "--copies", "2", "--batch-label", "A1",
               "--out", str(out), "--db", db.url])
    assert rc == 0
    printed = capsys.readouterr().out.split()
    assert sorted(p.rsplit("/", 1)[-1] for p in printed) == [
        "第三季度民主评议大会-领导-测评表.pdf",
        "第三季度民主评议大会-领导-计票单.pdf",
    ]
    assert "批次：A1" in _text(out / "第三季度民主评议大会-领导-测评表.pdf")


async def test_appraisal_screen_prints_the_selected_meeting(unit_session, tmp_path, monkeypatch):
    from .tui_helpers import SIZE, login, make_app, screen_text, settle

    db, _actors, _sid = unit_session
    monkeypatch.setenv("ASSESS_EXPORT_DIR", str(tmp_path / "exports"))
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "clerk")
        await pilot.press("f6")
        await settle(pilot)
        assert app.screen.AREA == "ballots"
        await pilot.press("p")
        for _ in range(50):
            await settle(pilot)
            if "已生成" in screen_text(app):
                break
        assert "已生成 8 个文件" in screen_text(app)
    folder = tmp_path / "exports" / "第三季度民主评议大会-测评表"
    assert (folder / "第三季度民主评议大会-领导-测评表.pdf").exists()
    assert (folder / "第三季度民主评议大会-领导-计票单.pdf").exists()
