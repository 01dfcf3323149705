"""Hostile input for the importers: every case gets line-and-field errors, nothing is written."""

from __future__ import annotations

import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from assess.foundation.errors import InputErrors
from assess.org.units import import_cadres, import_units

from .conftest import make_users


def _count(db, table="unit"):
    with db.read() as s:
        return s.connection().execute(text(f"SELECT count(*) FROM {table}")).scalar()


def _write(tmp_path, name, data: bytes | str):
    p = tmp_path / name
    if isinstance(data, str):
        p.write_text(data, encoding="utf-8")
    else:
        p.write_bytes(data)
    return p


@pytest.fixture
def admin(db):
    return make_users(db)["admin"]


def test_bom_is_accepted(db, admin, tmp_path):
    p = _write(tmp_path, "u.csv", "\ufeffcode,name,category\nU1,财政局,政府部门\n".encode())
    assert import_units(db, admin, p) == 1


CASES = {
    "semicolon": ("code;name;category\nU1;财政局;政府部门\n", 1, None, "分号"),
    "missing_column": ("code,name\nU1,财政局\n", 1, "category", "缺少列"),
    "unknown_column": ("code,name,category,extra\nU1,a,b,c\n", 1, "extra", "未知的列"),
    "empty_name": ("code,name,category\nU1,,政府部门\n", 2, "name", "不能为空"),
    "duplicate_in_file": ("code,name,category\nU1,a,政府部门\nU1,b,政府部门\n", 3, "code", "重复"),
    "unknown_parent": ("code,name,category,parent_code\nU1,a,政府部门,NOPE\n", 2, "parent_code", "不存在"),
    "too_many_fields": ("code,name,category\nU1,a,政府部门,extra\n", 2, None, "列数"),
    "embedded_newline_then_error": ('code,name,category\nU1,"第一行\n第二行",政府部门\nU2,,政府部门\n', 4, "name", "不能为空"),
    "space_in_code": ("code,name,category\nU 1,a,政府部门\n", 2, "code", "空白"),
    "too_long": ("code,name,category\n" + "U" * 40 + ",a,b\n", 2, "code", "超过"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_units_file(db, admin, tmp_path, case):
    content, line, field, words = CASES[case]
    p = _write(tmp_path, f"{case}.csv", content)
    with pytest.raises(InputErrors) as ei:
        import_units(db, admin, p)
    problems = ei.value.problems
    assert any(pr.line == line and (field is None or pr.field == field) and words in pr.message for pr in problems), problems
    assert all(pr.file.endswith(f"{case}.csv") for pr in problems)
    assert _count(db) == 0


def test_all_errors_are_listed_not_just_the_first(db, admin, tmp_path):
    p = _write(tmp_path, "many.csv", "code,name,category\nU1,,政府部门\nU2,b,\n,c,d\nU4,e,f\n")
    with pytest.raises(InputErrors) as ei:
        import_units(db, admin, p)
    got = {(pr.line, pr.field) for pr in ei.value.problems}
    assert {(2, "name"), (3, "category"), (4, "code")} <= got
    assert _count(db) == 0


def test_not_utf8(db, admin, tmp_path):
    p = _write(tmp_path, "gbk.csv", "code,name,category\nU1,财政局,政府部门\n".encode("gbk"))
    with pytest.raises(InputErrors, match="UTF-8"):
        import_units(db, admin, p)
    assert _count(db) == 0


def test_binary_garbage(db, admin, tmp_path):
    p = _write(tmp_path, "x.csv", b"\x00\x01\x02code,name\x00")
    with pytest.raises(InputErrors):
        import_units(db, admin, p)


def test_cadre_unknown_unit_and_bad_risk(db, admin, tmp_path):
    p = _write(tmp_path, "c.csv", "code,name,unit_code,position,risk_level\nG1,张三,NOPE,局长,D\n")
    with pytest.raises(InputErrors) as ei:
        import_cadres(db, admin, p)
    got = {(pr.line, pr.field) for pr in ei.value.problems}
    assert got == {(2, "unit_code"), (2, "risk_level")}
    assert _count(db, "cadre") == 0


def test_huge_file_is_refused_without_reading_it(db, admin, tmp_path, monkeypatch):
    import assess.foundation.input_tables as tabular

    monkeypatch.setattr(tabular, "MAX_FILE_BYTES", 1000)
    p = _write(tmp_path, "big.csv", "code,name,category\n" + "U1,a,b\n" * 500)
    with pytest.raises(InputErrors, match="文件过大"):
        import_units(db, admin, p)


def _xlsx_bomb(path):
    """A workbook whose sheet XML carries an entity-expansion bomb ("billion laughs")."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["code", "name", "category"])
    ws.append(["U1", "lol", "政府部门"])
    wb.save(path)
    doctype = ('<!DOCTYPE worksheet [<!ENTITY lol "lol">'
               + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
               + "]>")
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                xml = data.decode()
                xml = xml.replace("<worksheet", doctype + "<worksheet", 1).replace(">lol</t>", ">&lol9;</t>")
                assert "&lol9;" in xml
                data = xml.encode()
            zout.writestr(item, data)
    tmp.replace(path)


def test_xlsx_xml_bomb_is_refused(db, admin, tmp_path):
    p = tmp_path / "bomb.xlsx"
    _xlsx_bomb(p)
    with pytest.raises(InputErrors) as ei:
        import_units(db, admin, p)
    assert "bomb.xlsx" in str(ei.value) and "XML 炸弹" in str(ei.value)
    assert _count(db) == 0


def test_xlsx_good_file_imports(db, admin, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["code", "name", "category"])
    ws.append(["U1", "财政局", "政府部门"])
    ws.append([101, "数字编码单位", "政府部门"])
    p = tmp_path / "ok.xlsx"
    wb.save(p)
    assert import_units(db, admin, p) == 2
    with db.read() as s:
        codes = {r[0] for r in s.connection().execute(text("SELECT code FROM unit"))}
    assert codes == {"U1", "101"}


cell = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(cell, cell, cell), max_size=6))
def test_property_import_is_all_or_nothing(sqlite_db, tmp_path_factory, rows):
    """Whatever the rows, either every row is stored exactly, or nothing is and every problem names
    a line and a field (or the file)."""
    import csv

    from assess.org.units import list_units

    from .conftest import make_users as mk

    db = sqlite_db
    with db.read() as s:
        has_users = s.connection().execute(text("SELECT count(*) FROM app_user")).scalar()
    if not has_users:
        mk(db)
    from assess.foundation.roles import Actor

    admin = Actor("admin", "admin")
    before = {u.code for u in list_units(db)}
    p = tmp_path_factory.mktemp("prop") / "u.csv"
    with p.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["code", "name", "category"])
        w.writerows(rows)
    try:
        n = import_units(db, admin, p)
    except InputErrors as e:
        assert e.problems and all(pr.file == str(p) for pr in e.problems)
        assert {u.code for u in list_units(db)} == before
        return
    after = {u.code for u in list_units(db)}
    stored = {r[0].strip() for r in rows if any(c.strip() for c in r)}
    assert n == len(stored) and after == before | stored


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["a", "b,", ",", " ", "\n", "\r", "\r\n", "满", "x,y"]), max_size=40),
    st.integers(min_value=1, max_value=9),
)
def test_plain_lines_are_the_records_csv_reads(tmp_path_factory, pieces, block):
    """A CSV file without quotes read line by line, in blocks of any size, gives the records the
    csv module gives: the same values at the same line numbers, the same column-count problems."""
    from assess.foundation import input_tables

    p = tmp_path_factory.mktemp("plain") / "f.csv"
    p.write_text("a,b\n" + "".join(pieces), encoding="utf-8", newline="")
    whole = input_tables.open_table(p, ["a", "b"])
    expected = list(whole.records)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(input_tables, "PLAIN_BLOCK_CHARS", block)
        lined = input_tables.open_table(p, ["a", "b"])
        got = []
        for start, lines in lined.plain_lines():
            for line, text in enumerate(lines, start):
                values = lined.record(line, text)
                if values is not None:
                    got.append((line, values))
    assert got == expected
    assert [(q.line, q.message) for q in lined.problems] == [(q.line, q.message) for q in whole.problems]


def test_quoted_file_is_not_read_line_by_line(tmp_path):
    """A quote anywhere (a quoted cell may hold a line break) keeps the csv module's reading."""
    from assess.foundation.input_tables import open_table

    p = _write(tmp_path, "q.csv", 'a,b\n1,"x\ny"\n')
    table = open_table(p, ["a", "b"])
    assert table.plain_lines() is None
    assert list(table.records) == [(2, ["1", "x\ny"])]
