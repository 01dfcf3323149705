"""Hostile input for every score, ballot, tally and adjustment import: each bad file gets errors
naming the file, the line and the field (file-level problems: the file), and the database is left
exactly as it was — every table's row count and the audit chain head compared before and after.
A BOM-prefixed good file is accepted.

Importers: ``selfcheck.import_scores`` (self-check and, for drawn units, verified scores),
``ballot_import.import_ballots``, ``ballot_import.import_tallies``,
``adjustments.import_adjustments``. The units and cadres corpus is ``test_import_hostile.py``.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from assess.appraisal import ballot_import
from assess.appraisal import sessions as appraisal
from assess.foundation import audit
from assess.foundation.errors import InputErrors
from assess.org import adjustments
from assess.rounds import lifecycle as rounds
from assess.rounds import selfcheck, spotcheck
from assess.workflow import advance as workflow

from .conftest import make_users
from .rounds_helpers import RFC_SOURCES, round_at_selfcheck_closed, store_scheme


@dataclass
class Importer:
    name: str
    header: list[str]
    good: list[list[str]]  # two good rows
    run: Callable[[Path], object]
    code_field: str  # a column whose value must be a known code
    number_field: str  # a column that must be a number
    text_field: str | None  # a free-text column (may hold a newline), or None
    dup_field: str  # the field a duplicate row is reported on


@pytest.fixture
def world(db):
    """A drawn round (verified scores), an open self-check round with a 民主评议 session."""
    actors = make_users(db)
    drawn_round = round_at_selfcheck_closed(db, actors)
    drawn = spotcheck.draw(db, actors["inspector"], drawn_round, 2, RFC_SOURCES).selected_codes
    rid = rounds.create_round(db, actors["admin"], "2026年第四季度考核", "2026-Q4", store_scheme(db))
    workflow.advance(db, actors["admin"], rid)
    sid = appraisal.create_session(
        db,
        actors["clerk"],
        rid,
        "unit",
        "民主评议会",
        target_codes=["G01", "G02"],
        expected=40,
        present=40,
        group_expected={"cadre": 10},  # a tally batch's papers come from the meeting's record
    )
    clerk, inspector, reviewer = actors["clerk"], actors["inspector"], actors["reviewer"]
    return {
        "self": Importer(
            "self",
            ["unit_code", "indicator_code", "score", "note"],
            [["G01", "A1", "9", "会议纪要"], ["G01", "B1", "95", ""]],
            lambda p: selfcheck.import_scores(db, clerk, rid, p),
            "unit_code",
            "score",
            "note",
            "indicator_code",
        ),
        "verified": Importer(
            "verified",
            ["unit_code", "indicator_code", "score", "note"],
            [[drawn[0], "A1", "6", "现场核查"], [drawn[1], "A1", "7", ""]],
            lambda p: selfcheck.import_scores(db, inspector, drawn_round, p, kind="verified"),
            "unit_code",
            "score",
            "note",
            "indicator_code",
        ),
        "ballots": Importer(
            "ballots",
            ["batch", "ballot_no", "voter_group", "target_code", "choice"],
            [["箱1", "1", "cadre", "G01", "满意"], ["箱1", "1", "cadre", "G02", "不满意"]],
            lambda p: ballot_import.import_ballots(db, clerk, sid, p),
            "target_code",
            "ballot_no",
            None,
            "choice",
        ),
        "tallies": Importer(
            "tallies",
            ["voter_group", "target_code", "choice", "count"],
            [["cadre", "G01", "满意", "7"], ["cadre", "G02", "不满意", "2"]],
            lambda p: ballot_import.import_tallies(db, clerk, sid, p),
            "target_code",
            "count",
            None,
            "choice",
        ),
        "adjustments": Importer(
            "adjustments",
            ["unit_code", "points", "reason", "source"],
            [["G01", "2", "市级表彰", "文件一"], ["G02", "-1.5", "信息报送迟报", ""]],
            lambda p: adjustments.import_adjustments(db, reviewer, rid, p),
            "unit_code",
            "points",
            "reason",
            "unit_code",
        ),
    }


def snapshot(db) -> tuple:
    """Every table's row count and the audit chain head."""
    with db.read() as s:
        conn = s.connection()
        names = sorted(inspect(conn).get_table_names())
        counts = tuple((n, conn.execute(text(f'SELECT count(*) FROM "{n}"')).scalar()) for n in names)
    return counts, audit.chain_head(db)


def csv_text(rows: list[list[str]], sep: str = ",") -> str:
    import csv
    import io

    out = io.StringIO()
    csv.writer(out, delimiter=sep, lineterminator="\n").writerows(rows)
    return out.getvalue()


def _with(row: list[str], header: list[str], field: str, value: str) -> list[str]:
    row = list(row)
    row[header.index(field)] = value
    return row


def _without(row: list[str], header: list[str], field: str) -> list[str]:
    i = header.index(field)
    return row[:i] + row[i + 1 :]


def cases(imp: Importer) -> dict[str, tuple[bytes | str, int | None, str | None, str]]:
    """name → (file content, line, field, words in the message); line/field None: file-level."""
    h, (g1, g2) = imp.header, imp.good
    bad_code = _with(g2, h, imp.code_field, "NOPE")
    bad_number = _with(g2, h, imp.number_field, "九十")
    out: dict[str, tuple[bytes | str, int | None, str | None, str]] = {
        "semicolon": (csv_text([h, g1], ";"), 1, None, "分号"),
        "tab_separated": (csv_text([h, g1], "\t"), 1, None, "制表符"),
        "missing_column": (
            csv_text([_without(h, h, imp.number_field), _without(g1, h, imp.number_field)]),
            1,
            imp.number_field,
            "缺少列",
        ),
        "unknown_column": (csv_text([[*h, "extra"], [*g1, "x"]]), 1, "extra", "未知的列"),
        "wrong_type": (csv_text([h, g1, bad_number]), 3, imp.number_field, "九十"),
        "unknown_code": (csv_text([h, g1, bad_code]), 3, imp.code_field, "NOPE"),
        "duplicate_row": (csv_text([h, g1, g2, g1]), 4, imp.dup_field, "重复"),
        "too_many_fields": (csv_text([h, g1, [*g2, "extra"]]), 3, None, "列数"),
        "not_utf8": (csv_text([h, g1, g2]).replace("G0", "甲").encode("gbk"), 2, None, "UTF-8"),
        "binary": (b"\x00\x01" + csv_text([h, g1]).encode(), None, None, "二进制"),
        "header_only": (csv_text([h]), None, None, "没有数据行"),
        "empty": ("", 1, None, "为空"),
        "infinite_number": (
            csv_text([h, g1, _with(g2, h, imp.number_field, "inf")]),
            3,
            imp.number_field,
            "",
        ),
        "huge_number": (csv_text([h, _with(g1, h, imp.number_field, "1e308"), g2]), 2, imp.number_field, ""),
    }
    if imp.text_field:
        # A quoted newline inside a text field: the bad row after it is reported on its physical line.
        nl = _with(g1, h, imp.text_field, "第一行\n第二行")
        out["newline_then_error"] = (csv_text([h, nl, bad_code]), 4, imp.code_field, "NOPE")
    else:
        nl = _with(g2, h, imp.code_field, "G0\n1")
        out["newline_in_code"] = (csv_text([h, g1, nl]), 3, imp.code_field, "G0")
    return out


def check_refused(db, imp: Importer, path: Path, line, field, words) -> None:
    before = snapshot(db)
    with pytest.raises(InputErrors) as ei:
        imp.run(path)
    problems = ei.value.problems
    assert all(p.file == str(path) for p in problems), problems
    assert any(
        (line is None or p.line == line) and (field is None or p.field == field) and words in p.message
        for p in problems
    ), (imp.name, path.name, [str(p) for p in problems])
    assert snapshot(db) == before, (imp.name, path.name)


@pytest.mark.parametrize("which", ["self", "verified", "ballots", "tallies", "adjustments"])
def test_hostile_files_refused_with_line_and_field(db, world, tmp_path, which, monkeypatch):
    imp = world[which]
    for name, (content, line, field, words) in cases(imp).items():
        path = tmp_path / f"{which}-{name}.csv"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        check_refused(db, imp, path, line, field, words)
    # Too big: refused before reading.
    import assess.foundation.input_tables as tabular

    big = tmp_path / f"{which}-big.csv"
    big.write_text(csv_text([imp.header, *imp.good * 200]), encoding="utf-8")
    monkeypatch.setattr(tabular, "MAX_FILE_BYTES", 1000)
    check_refused(db, imp, big, None, None, "文件过大")
    monkeypatch.undo()
    # An XLSX carrying an entity-expansion bomb.
    bomb = tmp_path / f"{which}-bomb.xlsx"
    xlsx_bomb(bomb, imp.header, imp.good)
    check_refused(db, imp, bomb, None, None, "XML 炸弹")
    # And the good rows, with a BOM, are accepted.
    good = tmp_path / f"{which}-good.csv"
    good.write_bytes("\ufeff".encode() + csv_text([imp.header, *imp.good]).encode())
    before = snapshot(db)
    imp.run(good)
    assert snapshot(db) != before


def xlsx_bomb(path: Path, header: list[str], rows: list[list[str]]) -> None:
    """A workbook whose sheet XML defines nested entities ("billion laughs")."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    doctype = (
        '<!DOCTYPE worksheet [<!ENTITY lol "lol">'
        + "".join(
            f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
        )
        + "]>"
    )
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.decode().replace("<worksheet", doctype + "<worksheet", 1).encode()
            zout.writestr(item, data)
    tmp.replace(path)


def test_adjustment_source_longer_than_the_column(db, world, tmp_path):
    """On PostgreSQL a 256-character source would fail at the database with a driver error; it is
    refused first, with its line and field."""
    imp = world["adjustments"]
    path = tmp_path / "long-source.csv"
    path.write_text(
        csv_text([imp.header, imp.good[0], _with(imp.good[1], imp.header, "source", "文" * 256)]),
        encoding="utf-8",
    )
    check_refused(db, imp, path, 3, "source", "255")
