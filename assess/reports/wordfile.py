"""An :class:`~assess.reports.official.OfficialDoc` as a Word document (python-docx), laid out as a
Chinese official document after GB/T 9704-2012 (docs/documents.md):

- A4, margins 37 mm top, 35 mm bottom, 28 mm left, 26 mm right (版心 156 × 225 mm);
- 正文 三号仿宋 (16 pt) on a fixed 29 pt line (22 lines of 28 characters), first lines indented
  two characters; 一级标题 黑体, 二级标题 楷体; 标题 二号小标宋 centred;
- 版头: 发文机关标志 in red, 发文字号 centred, a red line the width of the 版心;
- 落款 centred over the 成文日期, which is right-aligned four characters in; page numbers
  四号 “— 1 —”, odd pages right and even pages left, one character in;
- tables sized to their content (``columns.column_widths``): names and grades stay on one line.

Fonts are named as Word and WPS know them (仿宋, 黑体, 楷体, 方正小标宋简体) with the
GB2312-era names as alternates in the font table; where none is installed (LibreOffice on Linux),
fontconfig substitutes a CJK font.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from assess.foundation.periods import cn_date
from assess.reports.columns import column_widths, text_em

if TYPE_CHECKING:
    from assess.reports.official import Block, OfficialDoc, Table

FANGSONG = "仿宋"
HEITI = "黑体"
KAITI = "楷体"
TITLE_FONT = "方正小标宋简体"
SONG = "宋体"
LATIN = "Times New Roman"
ALTERNATES = {FANGSONG: "仿宋_GB2312", KAITI: "楷体_GB2312", HEITI: "SimHei", TITLE_FONT: "宋体", SONG: "SimSun"}
RED = "FF0000"

BODY_PT = 16  # 三号
TITLE_PT = 22  # 二号
TABLE_PT = 12  # 小四
SMALL_TABLE_PT = 10.5  # 五号
PAGE_NO_PT = 14  # 四号
LINE_PT = 29  # 22 lines in the 225 mm 版心
TEXT_WIDTH_MM = 156
MM_PER_PT = 25.4 / 72


def write_docx(doc: OfficialDoc, path: str | Path) -> Path:
    """Write one document; returns the path."""
    return write_docx_many([doc], path)


def write_docx_many(docs: list[OfficialDoc], path: str | Path) -> Path:
    """Several documents in one file, each starting on a new page (e.g. a unit's 整改通知书)."""
    from docx import Document
    from docx.enum.section import WD_SECTION

    word = Document()
    _setup(word, docs[0])
    for i, d in enumerate(docs):
        if i:
            word.add_section(WD_SECTION.NEW_PAGE)
        _document(word, d)
    path = Path(path)
    word.save(path)
    return path


def _setup(word, doc: OfficialDoc) -> None:
    from docx.shared import Mm, Pt

    sec = word.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin = Mm(37), Mm(35)
    sec.left_margin, sec.right_margin = Mm(28), Mm(26)
    sec.footer_distance = Mm(20)
    word.settings.odd_and_even_pages_header_footer = True
    normal = word.styles["Normal"]
    normal.font.size = Pt(BODY_PT)
    _fonts(normal.element, FANGSONG)
    pf = normal.paragraph_format
    pf.space_before = pf.space_after = Pt(0)
    pf.line_spacing = Pt(LINE_PT)
    word.core_properties.title = doc.title
    word.core_properties.author = doc.issuer
    _font_table(word)
    for footer, align in ((sec.footer, "right"), (sec.even_page_footer, "left")):
        _page_footer(footer, align, doc.footer)


def _fonts(element, east_asian: str) -> None:
    """Set the East Asian font of a style or run element (Latin text in Times New Roman)."""
    from docx.oxml.ns import qn

    rpr = element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    fonts.set(qn("w:ascii"), LATIN)
    fonts.set(qn("w:hAnsi"), LATIN)
    fonts.set(qn("w:eastAsia"), east_asian)


def _font_table(word) -> None:
    """Declare the fonts with their GB2312 alternates and the Chinese charset so that Word and WPS
    substitute a matching face where the named one is missing."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    try:
        part = word.part.part_related_by(RT.FONT_TABLE)
    except KeyError:
        return
    from lxml import etree

    root = etree.fromstring(part.blob)
    known = {f.get(qn("w:name")) for f in root.findall(qn("w:font"))}
    for name, alt in ALTERNATES.items():
        if name in known:
            continue
        font = OxmlElement("w:font")
        font.set(qn("w:name"), name)
        for tag, value in (("w:altName", alt), ("w:charset", "86"), ("w:family", "modern"), ("w:pitch", "fixed")):
            child = OxmlElement(tag)
            child.set(qn("w:val"), value)
            font.append(child)
        root.append(font)
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _page_footer(footer, align: str, note: str) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    footer.is_linked_to_previous = False
    p = footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT if align == "right" else WD_ALIGN_PARAGRAPH.LEFT
    if align == "right":
        p.paragraph_format.right_indent = Pt(PAGE_NO_PT)
    else:
        p.paragraph_format.left_indent = Pt(PAGE_NO_PT)
    _run(p, "— ", SONG, PAGE_NO_PT)
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    r = OxmlElement("w:r")
    t = OxmlElement("w:t")
    t.text = "1"
    r.append(t)
    field.append(r)
    p._p.append(field)
    _run(p, " —", SONG, PAGE_NO_PT)
    if note:
        q = footer.add_paragraph()
        q.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _run(q, note, FANGSONG, 10.5)


def _run(p, text: str, font: str, size: float, bold: bool = False, color: str | None = None):
    from docx.shared import Pt, RGBColor

    run = p.add_run(text)
    run.font.size = Pt(size)
    run.bold = bold
    if color:
        run.font.color.rgb = RGBColor.from_string(color)
    _fonts(run._element, font)
    return run


def _para(word, text: str = "", font: str = FANGSONG, size: float = BODY_PT, *, align=None, indent_chars=0.0,
          bold=False, color=None, line_pt: float | None = None, keep_with_next=False):
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    p = word.add_paragraph()
    p.alignment = align if align is not None else WD_ALIGN_PARAGRAPH.JUSTIFY
    if indent_chars:
        p.paragraph_format.first_line_indent = Pt(size * indent_chars)
    if line_pt:
        p.paragraph_format.line_spacing = Pt(line_pt)
    p.paragraph_format.keep_with_next = keep_with_next
    if text:
        _run(p, text, font, size, bold=bold, color=color)
    return p


def _red_line(p) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    ppr = p._p.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for k, v in (("w:val", "single"), ("w:sz", "12"), ("w:space", "6"), ("w:color", RED)):
        bottom.set(qn(k), v)
    border.append(bottom)
    ppr.append(border)


def _document(word, doc: OfficialDoc) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.shared import Pt


    centre = WD_ALIGN_PARAGRAPH.CENTER
    if doc.mark:
        _para(word, doc.mark, HEITI, BODY_PT, align=WD_ALIGN_PARAGRAPH.LEFT)
    if doc.header:
        banner = doc.issuer + ("文件" if doc.kind == "bulletin" else "")
        size = min(36, max(22, int(TEXT_WIDTH_MM / MM_PER_PT / max(text_em(banner), 1) * 0.9)))
        _para(word, banner, TITLE_FONT, size, align=centre, color=RED, line_pt=size * 1.4)
        _para(word)
    if doc.doc_no:
        p = _para(word, doc.doc_no, FANGSONG, BODY_PT, align=centre)
        if doc.header:
            _red_line(p)
        _para(word)
    elif doc.header:
        _red_line(_para(word))
    _para(word, doc.title, TITLE_FONT, TITLE_PT, align=centre, line_pt=35)
    _para(word)
    if doc.recipients:
        _para(word, f"{doc.recipients}：", align=WD_ALIGN_PARAGRAPH.LEFT)
    _blocks(word, doc.blocks)
    # The 落款 never stands alone on a page: it is kept with the last paragraph of the body.
    last = word.paragraphs[-1]
    last.paragraph_format.keep_with_next = True
    _para(word, keep_with_next=True)
    _para(word, keep_with_next=True)
    date_text = cn_date(doc.signed_on)
    issuer_p = _para(word, doc.issuer, align=WD_ALIGN_PARAGRAPH.RIGHT, keep_with_next=True)
    date_p = _para(word, date_text, align=WD_ALIGN_PARAGRAPH.RIGHT)
    date_p.paragraph_format.right_indent = Pt(BODY_PT * 4)
    offset = 4 + (text_em(date_text) - text_em(doc.issuer)) / 2
    issuer_p.paragraph_format.right_indent = Pt(BODY_PT * max(offset, 0))
    if doc.appendix:
        brk = word.add_paragraph()
        brk.add_run().add_break(WD_BREAK.PAGE)
        _para(word, doc.appendix_title, HEITI, BODY_PT, align=centre)
        _para(word)
        _blocks(word, doc.appendix)


def _blocks(word, blocks: list[Block]) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    for b in blocks:
        if b.kind == "table" and b.table is not None:
            _table(word, b.table)
        elif b.kind == "heading":
            short = len(b.text) <= 30
            _para(word, b.text, HEITI if short else FANGSONG, indent_chars=2, keep_with_next=short)
        elif b.kind == "subheading":
            _para(word, b.text, KAITI, indent_chars=2, keep_with_next=True)
        elif b.kind == "line":
            _para(word, b.text, indent_chars=4, align=WD_ALIGN_PARAGRAPH.LEFT)
        else:
            _para(word, b.text, indent_chars=2)


def table_size(table: Table) -> float:
    return SMALL_TABLE_PT if table.small else TABLE_PT


def table_widths_mm(table: Table) -> list[float]:
    """The columns' widths in millimetres across the 156 mm 版心."""
    em_mm = table_size(table) * MM_PER_PT
    widths = column_widths(table.headers, table.rows, TEXT_WIDTH_MM / em_mm, table.nowrap)
    return [w * em_mm for w in widths]


def _table(word, table: Table) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    widths = table_widths_mm(table)
    size = table_size(table)
    t = word.add_table(rows=1 + len(table.rows), cols=len(table.headers))
    t.style = word.styles["Table Grid"]
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.autofit = False
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    t._tbl.tblPr.append(layout)
    for j, w in enumerate(widths):
        t.columns[j].width = Mm(w)
    for i, values in enumerate([table.headers, *table.rows]):
        row = t.rows[i]
        if i == 0:
            trpr = row._tr.get_or_add_trPr()
            header = OxmlElement("w:tblHeader")
            trpr.append(header)
        for j, value in enumerate(values):
            cell = row.cells[j]
            cell.width = Mm(widths[j])
            if j in table.nowrap and i > 0:
                tcpr = cell._tc.get_or_add_tcPr()
                tcpr.append(OxmlElement("w:noWrap"))
            p = cell.paragraphs[0]
            p.paragraph_format.line_spacing = Pt(size * 1.35)
            p.paragraph_format.first_line_indent = Pt(0)
            if i == 0:
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            elif j in table.numeric:
                p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            else:
                p.alignment = WD_ALIGN_PARAGRAPH.LEFT
            _run(p, str(value), HEITI if i == 0 else FANGSONG, size)
