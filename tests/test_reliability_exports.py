"""Formula injection: every file meant to be opened in a spreadsheet escapes text cells starting
with ``= + - @`` (a leading apostrophe), in every sheet and column — the report's XLSX and ranking
CSV, the self-check and verified-score templates. The command line's ``--format csv`` is machine
output (the command-line contract in the README, re-imported by scripts) and keeps values as they are; the README
says so and points to the report's CSV for spreadsheets. Both decisions are pinned here.
"""

from __future__ import annotations

import contextlib
import csv
import io

from openpyxl import load_workbook

from assess.cli import main
from assess.reports.bundle import build_report
from assess.rounds import lifecycle as rounds
from assess.rounds import selfcheck, spotcheck
from assess.workflow import advance as workflow

from .conftest import make_users
from .reports_fixtures import build_round
from .rounds_helpers import RFC_SOURCES, fill_and_submit, store_scheme

DANGEROUS = ("=", "+", "-", "@")


def _xlsx_text_cells(path):
    wb = load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (path.name, ws.title, cell.coordinate)
                if isinstance(cell.value, str):
                    yield ws.title, cell.coordinate, cell.value


def test_report_xlsx_and_csv_escape_every_text_cell(db, tmp_path):
    built = build_round(db)  # unit names "=SUM(A1)", "+1 镇", "-x乡", "@foo街道"; rule text "=类别排名末位"
    result = build_report(db, built.round_id, tmp_path / "out", ["xlsx", "csv"])
    xlsx = [f for f in result.files if f.suffix == ".xlsx"]
    csvs = [f for f in result.files if f.suffix == ".csv"]
    assert xlsx and csvs
    escaped = set()
    for path in xlsx:
        for sheet, coord, value in _xlsx_text_cells(path):
            assert not value.startswith(DANGEROUS), (path.name, sheet, coord, value)
            if value.startswith("'") and value[1:2] in DANGEROUS:
                escaped.add(value)
    assert {"'=SUM(A1)", "'+1 镇", "'-x乡", "'@foo街道", "'=类别排名末位"} <= escaped
    for path in csvs:
        with open(path, encoding="utf-8-sig", newline="") as f:
            cells = [c for row in csv.reader(f) for c in row]
        assert not [c for c in cells if c.startswith(DANGEROUS)], path.name
        assert "'=SUM(A1)" in cells


def test_templates_escape_unit_and_indicator_names(db, tmp_path):
    actors = make_users(db)
    from assess.org.units import add_unit

    units = [
        ("G01", '=HYPERLINK("http://e.x")', "政府部门"),
        ("G02", "+1 局", "政府部门"),
        ("G03", "-局", "政府部门"),
        ("G04", "@局", "政府部门"),
    ]
    for code, name, cat in units:
        add_unit(db, actors["admin"], code, name, cat)
    rid = rounds.create_round(db, actors["admin"], "模板测试", "2026-Q3", store_scheme(db))
    workflow.advance(db, actors["admin"], rid)
    self_template = selfcheck.export_template(db, rid, None, tmp_path / "self.xlsx")
    fill_and_submit(db, actors, rid, codes=[c for c, *_ in units])
    workflow.advance(db, actors["admin"], rid)
    spotcheck.draw(db, actors["inspector"], rid, 2, RFC_SOURCES)
    verified_template = selfcheck.export_template(db, rid, None, tmp_path / "verified.xlsx", kind="verified")
    for path in (self_template, verified_template):
        values = [v for _s, _c, v in _xlsx_text_cells(path)]
        assert not [v for v in values if v.startswith(DANGEROUS)], path.name
        assert "'=严重违纪" in values  # an indicator name
    names = {v for _s, _c, v in _xlsx_text_cells(self_template)}
    assert {'\'=HYPERLINK("http://e.x")', "'+1 局", "'-局", "'@局"} <= names


def test_command_line_csv_is_machine_output_and_keeps_values(db, tmp_path):
    built = build_round(db)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert main(["rank", "--round", str(built.round_id), "--db", db.url, "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert {"=SUM(A1)", "+1 镇", "-x乡", "@foo街道"} <= {r["unit_name"] for r in rows}
