"""Reading tabular input files (CSV and XLSX) with line numbers, for all-or-nothing imports.

CSV: UTF-8 (a BOM is accepted), comma-separated, header row required. XLSX: the first sheet, header
in the first row; openpyxl parses through defusedxml, so entity-expansion bombs are refused.
Every importer collects ``InputProblem``s for all rows first and raises ``InputErrors`` before
writing anything.
"""

from __future__ import annotations

import codecs
import csv
import re
import zipfile
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from assess.foundation.errors import InputErrors, InputProblem, ProblemList

MAX_FILE_BYTES = 200 * 1024 * 1024
# Data rows of a file read whole (``read_table``: units, cadres, adjustments…); streamed imports
# (``open_table``: ballots, tallies, scores) are bounded by the file size alone.
MAX_ROWS = 200_000


def _too_many_rows(name: str) -> InputErrors:
    return InputErrors([InputProblem(name, MAX_ROWS + 2, None,
                                     f"数据行超过 {MAX_ROWS} 行（上限），未读取；请拆分为多个文件")])


@dataclass(slots=True)
class Row:
    line: int  # 1-based line (CSV: physical line where the record starts; XLSX: sheet row)
    cells: list[str]
    columns: dict[str, int]  # column name → position, shared by every row of the table

    def get(self, name: str) -> str:
        i = self.columns.get(name)
        return "" if i is None else (self.cells[i] or "").strip()

    @property
    def values(self) -> dict[str, str]:
        return {name: self.cells[i] for name, i in self.columns.items()}


@dataclass
class Table:
    file: str
    header: list[str]
    rows: list[Row] = field(default_factory=list)


@dataclass
class TableStream:
    """A tabular file read one record at a time (imports of any size in constant memory).

    ``records`` yields ``(line, values)`` for each non-blank record with as many values as the
    header (values as read, not stripped); records with another number of values are collected in
    ``problems`` instead, which the importer raises before its own findings, as ``read_table``
    does. A CSV format error met while reading raises ``InputErrors``."""

    file: str
    header: list[str]
    records: Iterator[tuple[int, list[str]]]
    problems: list[InputProblem] = field(default_factory=ProblemList)  # the first ones, and a count
    path: Path | None = None  # a CSV file without any quote character: ``plain_lines`` may read it

    def column(self, name: str) -> int:
        return self.header.index(name)

    def plain_lines(self) -> Iterator[tuple[int, list[str]]] | None:
        """For a CSV file without any ``"`` (the common export), its data lines in blocks
        ``(line number of the first, lines)``, each line as ``csv.reader`` sees one (without its
        ending: ``\\r\\n``, ``\\r`` or ``\\n``), blank ones included; ``record`` turns a line into its
        values. Reads in bounded blocks and replaces ``records`` (use one or the other). None for
        other files (quoted fields may span lines)."""
        if self.path is None:
            return None
        close = getattr(self.records, "close", None)
        if close is not None:
            close()
        self.records = iter(())
        return _plain_lines(self.path)

    def record(self, line: int, text: str) -> list[str] | None:
        """The values of one line from ``plain_lines``, exactly as ``records`` would give them; None
        for a blank line or one with another number of values than the header (recorded in
        ``problems`` as ``records`` does)."""
        if len(text) > csv.field_size_limit():  # let the csv module judge (and word) an over-long field
            values = _csv_values(self.file, text)
        else:
            values = text.split(",") if text else []  # no quote, no line ending: what csv.reader gives
        width = len(self.header)
        if len(values) == width and "".join(values).strip():
            return values
        if "".join(values).strip():
            self.problems.append(InputProblem(self.file, line, None, f"列数为 {len(values)}，表头为 {width} 列"))
        return None


def _csv_values(name: str, text: str) -> list[str]:
    try:
        return next(csv.reader((text,), strict=True), [])
    except csv.Error as e:
        raise InputErrors([InputProblem(name, None, None, f"CSV 格式错误：{e}")]) from None


PLAIN_BLOCK_CHARS = 1 << 20


def _plain_lines(path: Path) -> Generator[tuple[int, list[str]]]:
    """``TableStream.plain_lines``: the lines after the header, in blocks of about a MiB. Every
    ``\\r\\n``, ``\\r`` and ``\\n`` ends a line, as for ``csv.reader`` on a file opened with
    ``newline=""``; a block is cut after a line ending that cannot be the ``\\r`` of a ``\\r\\n``."""
    line = 2  # the header is line 1
    header = True
    with path.open(encoding="utf-8-sig", newline="") as fh:
        carry = ""
        while True:
            chunk = fh.read(PLAIN_BLOCK_CHARS)
            text = carry + chunk
            if chunk:
                cut = max(text.rfind("\n"), text.rfind("\r", 0, len(text) - 1)) + 1
                text, carry = text[:cut], text[cut:]
            elif not text:
                return
            if "\r" in text:
                text = text.replace("\r\n", "\n").replace("\r", "\n")
            lines = text.split("\n")
            if lines[-1] == "":
                lines.pop()  # after the last line ending: no line
            if header and lines:
                del lines[0]
                header = False
            if lines:
                yield line, lines
                line += len(lines)
            if not chunk:
                return


def _csv_rows(path: Path, problems: list[InputProblem]) -> Generator[tuple[int, list[str]]]:
    """The header record, then each non-blank record with as many values as the header (the
    ``_checked_records`` rule, done here in the one loop a large file goes through); records with
    another number of values go to ``problems``."""
    name = str(path)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, strict=True)
        try:
            header = next(reader, None)
            if header is None:
                return
            yield 1, header
            width = len(header)
            start = reader.line_num + 1
            for record in reader:
                if len(record) == width and "".join(record).strip():
                    yield start, record
                elif "".join(record).strip():
                    problems.append(InputProblem(name, start, None, f"列数为 {len(record)}，表头为 {width} 列"))
                start = reader.line_num + 1
        except csv.Error as e:
            raise InputErrors([InputProblem(name, None, None, f"CSV 格式错误：{e}")]) from None


def _guess_csv_problem(header_line: str) -> str | None:
    if "," not in header_line and ";" in header_line:
        return "看起来是分号分隔；请另存为逗号分隔的 CSV（UTF-8）"
    if "," not in header_line and "\t" in header_line:
        return "看起来是制表符分隔；请另存为逗号分隔的 CSV（UTF-8）"
    return None


def read_table(path: str | Path, required: Iterable[str], optional: Iterable[str] = ()) -> Table:
    """Read a CSV or XLSX file; check the header. Raises InputErrors on file-level problems."""
    stream = open_table(path, required, optional)
    table = Table(stream.file, stream.header)
    header = stream.header
    columns = {h: i for i, h in enumerate(header)}
    for line, values in stream.records:
        if len(table.rows) >= MAX_ROWS:
            raise _too_many_rows(stream.file)
        table.rows.append(Row(line, values, columns))
    if stream.problems:
        raise InputErrors(stream.problems)
    return table


def open_table(path: str | Path, required: Iterable[str], optional: Iterable[str] = ()) -> TableStream:
    """Open a CSV or XLSX file for reading record by record; the file-level checks and the header
    are done here (raising InputErrors), the records are read as ``records`` is iterated."""
    path = Path(path)
    name = str(path)
    required = list(required)
    optional = list(optional)
    if not path.exists():
        raise InputErrors([InputProblem(name, None, None, "文件不存在")])
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InputErrors([InputProblem(name, None, None, f"文件过大（{size} 字节，上限 {MAX_FILE_BYTES}）")])
    checked: list[InputProblem] | None = None  # CSV: records come checked, problems land here
    quoted = True
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        header, raw = _read_xlsx(path)
    else:
        checked = ProblemList()
        header, raw, quoted = _read_csv(path, checked)
    header = [h.strip().lstrip("\ufeff") for h in header]
    problems: list[InputProblem] = ProblemList()
    missing = [c for c in required if c not in header]
    if missing:
        problems.append(InputProblem(name, 1, ",".join(missing), f"表头缺少列：{', '.join(missing)}（需要 {','.join(required)}）"))
    unknown = [c for c in header if c and c not in required and c not in optional]
    if unknown:
        problems.append(InputProblem(name, 1, ",".join(unknown), f"未知的列：{', '.join(unknown)}"))
    dupes = sorted({c for c in header if header.count(c) > 1 and c})
    if dupes:
        problems.append(InputProblem(name, 1, ",".join(dupes), "列名重复"))
    if problems:
        close = getattr(raw, "close", None)
        if close is not None:
            close()
        raise InputErrors(problems)
    stream = TableStream(name, header, iter(()))
    if checked is None:
        stream.records = _checked_records(stream, raw)
    else:
        stream.records, stream.problems = raw, checked
        if not quoted:
            stream.path = path
    return stream


def _checked_records(stream: TableStream, raw: Iterable[tuple[int, list[str]]]) -> Iterator[tuple[int, list[str]]]:
    width = len(stream.header)
    for line, values in raw:
        if not "".join(values).strip():
            continue  # blank line
        if len(values) != width:
            stream.problems.append(InputProblem(stream.file, line, None, f"列数为 {len(values)}，表头为 {width} 列"))
            continue
        yield line, values


_LINE_BREAK = re.compile("[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")  # str.splitlines' line boundaries


def _check_csv_text(path: Path) -> tuple[str, bool]:
    """Check that the file is UTF-8 text without NUL bytes, reading it in chunks (not held in
    memory); returns its first line and whether it holds a quote character (``"``)."""
    name = str(path)
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    first_line: str | None = None
    quoted = False
    line: int | None
    with path.open("rb") as fh:
        while True:
            chunk = fh.read(1 << 20)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError:
                data = path.read_bytes()  # the error path only: find the line exactly
                try:
                    data.decode("utf-8-sig")
                except UnicodeDecodeError as e:
                    line = data[: e.start].count(b"\n") + 1
                else:  # pragma: no cover - the incremental and whole decoders agree
                    line = None
                raise InputErrors([InputProblem(name, line, None, "不是 UTF-8 编码（请以 UTF-8 另存，例如 Excel 的“CSV UTF-8”）")]) from None
            if "\x00" in text:
                raise InputErrors([InputProblem(name, None, None, "含有二进制内容，不是文本 CSV")])
            quoted = quoted or '"' in text
            if first_line is None and text:
                end = _LINE_BREAK.search(text)  # where text.splitlines() would end its first line
                first_line = text if end is None else text[: end.start()]
            if not chunk:
                break
    return first_line or "", quoted


def _read_csv(
    path: Path, problems: list[InputProblem]
) -> tuple[list[str], Generator[tuple[int, list[str]]], bool]:
    """The header, the records after it, and whether the file holds a quote character."""
    name = str(path)
    first_line, quoted = _check_csv_text(path)
    rows = _csv_rows(path, problems)
    first = next(rows, None)
    if first is None:
        raise InputErrors([InputProblem(name, 1, None, "文件为空：需要表头行")])
    hint = _guess_csv_problem(first_line)
    if hint:
        rows.close()
        raise InputErrors([InputProblem(name, 1, None, hint)])
    return first[1], rows, quoted


def _read_xlsx(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    name = str(path)
    try:
        import defusedxml  # noqa: F401  (openpyxl uses it when installed)
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
    except zipfile.BadZipFile:
        raise InputErrors([InputProblem(name, None, None, "不是有效的 XLSX 文件")]) from None
    except Exception as e:  # defusedxml raises on entity bombs; openpyxl on broken parts
        if _is_defused(e):
            raise InputErrors([InputProblem(name, None, None, "XLSX 内含 XML 实体定义（可能是 XML 炸弹），已拒绝读取")]) from None
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        raise InputErrors([InputProblem(name, None, None, f"无法读取 XLSX：{type(e).__name__}: {first}")]) from None
    try:
        ws = wb.worksheets[0]
        out: list[tuple[int, list[str]]] = []
        header: list[str] | None = None
        for idx, row in enumerate(ws.iter_rows(values_only=True), start=1):
            cells = ["" if v is None else _cell_text(v) for v in row]
            while cells and cells[-1] == "" and (header is None or len(cells) > len(header)):
                cells.pop()
            if header is None:
                header = cells
                continue
            if len(cells) < len(header):
                cells += [""] * (len(header) - len(cells))
            out.append((idx, cells))
    finally:
        wb.close()
    if header is None:
        raise InputErrors([InputProblem(name, 1, None, "工作表为空：需要表头行")])
    return header, out


def _is_defused(exc: BaseException) -> bool:
    from defusedxml import DefusedXmlException

    seen = 0
    cur: BaseException | None = exc
    while cur is not None and seen < 10:
        if isinstance(cur, DefusedXmlException):
            return True
        cur = cur.__cause__ or cur.__context__
        seen += 1
    return False


def _cell_text(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def parse_number(problems: list[InputProblem], table: Table, row: Row, name: str, *, integer: bool = False,
                 required: bool = True) -> float | None:
    return parse_text(problems, table.file, row.line, name, row.get(name), integer=integer, required=required)


def parse_text(problems: list[InputProblem], file: str, line: int, name: str, raw: str, *, integer: bool = False,
               required: bool = True) -> float | None:
    """A number from a stripped cell, or None with the problem (file, line, field) recorded."""
    if raw == "":
        if required:
            problems.append(InputProblem(file, line, name, "不能为空"))
        return None
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        kind = "整数" if integer else "数字"
        problems.append(InputProblem(file, line, name, f"“{raw}”不是{kind}"))
        return None
    if not integer and (value != value or value in (float("inf"), float("-inf"))):
        problems.append(InputProblem(file, line, name, f"“{raw}”不是有限数字"))
        return None
    return value


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Make a value safe for a spreadsheet cell: text starting with = + - @ is prefixed with an
    apostrophe so no spreadsheet reads it as a formula. Numbers are left as numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
