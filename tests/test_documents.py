"""The office's documents (docs/documents.md): 考核通报, 公示, 整改通知书 and 问责建议名单 from a
hand-built round; every reason a sentence in Chinese, the same in every output; GB/T 9704 layout of
the DOCX; columns sized to content, measured on the rendered PDF; pages looked at through pdftoppm
(ink present, every font a CJK-capable embedded face)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import pytest

from assess.reports.data import load_report_data

from .reports_fixtures import SNAPSHOT_HASH, build_round

LONG_NAME = "县委全面依法治县委员会办"  # 12 characters: must stay on one line at A4 portrait
ENGLISH_KEYS = (
    "today",
    "days",
    "notices",
    "notice_no",
    "deadline",
    "share",
    "limit",
    "score",
    "metric",
    "threshold",
    "window",
    "times",
    "count",
    "history",
    "category_size",
    "unfit_share",
    "issued",
    "composite",
)
CODE = re.compile(r"\b[a-z]+_[a-z_]+\b")
KEY = re.compile(r"\b(" + "|".join(ENGLISH_KEYS) + r")\b")


def _needs(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs {', '.join(missing)} (see ./dev)")
        pytest.skip(f"{', '.join(missing)} not installed (apt-get install libreoffice-writer-nogui poppler-utils)")


def _round(db, *, long_name: bool = False):
    """The reports fixture round plus accountability entries of every kind, with the figures the
    engine stores."""
    from sqlmodel import select

    from assess.models import AccountabilityEntry, Cadre, Unit

    def extra(s, built) -> None:
        units = {u.code: u for u in s.exec(select(Unit))}
        cadre = s.exec(select(Cadre)).first()
        if long_name:
            units["G01"].name = LONG_NAME
            s.add(units["G01"])
        for unit, cadre_id, code, text, figures, action in (
            (
                units["G02"].id,
                None,
                "R-OVERDUE",
                "整改逾期未销号",
                {
                    "today": "2026-12-01",
                    "days": 0,
                    "notices": [
                        {"notice_no": "整改〔2026〕002号", "deadline": "2026-10-31", "days_overdue": 31, "status": "issued"}
                    ],
                },
                "约谈",
            ),
            (
                cadre.unit_id,
                cadre.id,
                "R-UNFIT",
                "不称职票超过三分之一",
                {"unfit_share": 0.5, "limit": 0.3333, "score": 30.0, "grade": "不称职"},
                "诫勉谈话",
            ),
            (
                units["G04"].id,
                None,
                "R-LAST2",
                "连续两个季度类别排名末位",
                {
                    "rank": 4,
                    "category_size": 4,
                    "composite": 72.0,
                    "window": 2,
                    "times": 2,
                    "count": 2,
                    "history": [{"period": "2026-Q1", "rank": 4, "category_size": 4}],
                },
                "通报批评",
            ),
        ):
            s.add(
                AccountabilityEntry(
                    round_id=built.round_id,
                    unit_id=unit,
                    cadre_id=cadre_id,
                    rule_code=code,
                    rule_text=text,
                    figures=figures,
                    proposed_action=action,
                    status="proposed",
                )
            )

    return build_round(db, before_publish=extra)


SENTENCES = {
    "R-OVERDUE": "截至2026年12月1日，整改〔2026〕002号整改期限为2026年10月31日，已逾期31天，尚未报送整改情况",
    "R-UNFIT": "不称职票占有效票50.0%，超过三分之一，测评等次为不称职",
    "R-LAST2": "连续两个季度在政府部门类别中排名末位（2026年第一、二季度），本期为4个单位中的第4名",
}


def _clean(text: str, where: str) -> None:
    assert "{" not in text and "[" not in text, (where, text)
    assert not CODE.search(text), (where, text)
    assert not KEY.search(text), (where, text)


def test_reasons_are_sentences_and_the_same_everywhere(sqlite_db, tmp_path):
    from openpyxl import load_workbook

    from assess.reports.document import report_html
    from assess.reports.official import accountability_doc, bulletin_doc, publicity_doc, rectification_docs
    from assess.reports.workbook import write_workbook
    from assess.results import accountability

    built = _round(sqlite_db)
    data = load_report_data(sqlite_db, built.round_id)
    by_rule = dict(zip(data.accountability["rule_code"], data.accountability["figures"], strict=True))
    for code, sentence in SENTENCES.items():
        assert by_rule[code] == sentence
    # The review screen and `assess results accountability` read list_entries: the same words.
    tui = {e.rule_code: e.figures_text for e in accountability.list_entries(sqlite_db, built.round_id)}
    for code, sentence in SENTENCES.items():
        assert tui[code] == sentence
    # XLSX: the 问责名单 and every other sheet.
    wb = load_workbook(write_workbook(data, tmp_path / "r.xlsx"))
    acc = {row[5]: row[7] for row in wb["问责名单"].iter_rows(min_row=2, values_only=True)}
    for code, sentence in SENTENCES.items():
        assert acc[code] == sentence
    for ws in wb.worksheets:
        if ws.title == "说明":
            continue  # hashes and the generation time
        for row in ws.iter_rows(min_row=2, values_only=True):
            for value in row:
                if isinstance(value, str) and not value.startswith(("'", "R-")):
                    _clean(value.replace("<b>", "").replace("</b>", ""), ws.title)
    # DOCX content: every text a reader sees.
    docs = [
        bulletin_doc(sqlite_db, data),
        accountability_doc(data),
        publicity_doc(data),
        *rectification_docs(sqlite_db, built.round_id),
    ]
    names = {"<b>审计局</b>", "=SUM(A1)"}
    for doc in docs:
        for text in doc.texts() if doc.kind != "publicity" else [t for b in doc.blocks for t in [b.text]]:
            if text in names or BLANK_LINE.search(text):
                continue
            _clean(text.replace("<b>", "").replace("</b>", "").replace("=SUM(A1)", ""), doc.kind)
    acc_doc = docs[1]
    reasons = [row[2] for b in acc_doc.blocks if b.table for row in b.table.rows]
    for sentence in SENTENCES.values():
        assert sentence in reasons
    # HTML/PDF report: the accountability table has the sentences.
    html = report_html(data, [], interactive=False)
    for sentence in SENTENCES.values():
        assert sentence in html


BLANK_LINE = re.compile(r"_{4,}")


def test_bulletin_from_a_hand_built_round(sqlite_db):
    from assess.reports.official import NoticeParams, bulletin_doc, doc_text

    built = _round(sqlite_db)
    data = load_report_data(sqlite_db, built.round_id)
    doc = bulletin_doc(sqlite_db, data, NoticeParams(doc_no=7))
    assert doc.title == "关于2026年第二季度考核结果的通报"
    assert doc.doc_no == "考核办〔2026〕7号"
    tables = [b.table for b in doc.blocks if b.table]
    # 政府部门: 财政局 95.50 优秀, 教育局 and =SUM(A1) tied 88.25 at 2, 审计局 72.00.
    assert tables[0].rows == [
        ["1", "财政局", "95.50", "优秀"],
        ["2", "教育局", "88.25", "良好"],
        ["2", "=SUM(A1)", "88.25", "良好"],
        ["4", "<b>审计局</b>", "72.00", "一般"],
    ]
    text = doc_text(doc)
    assert "（一）政府部门（优秀1个、良好2个、一般1个）" in text
    assert "等次分布：优秀2个、良好3个、一般2个、较差1个" in text
    assert "本期共下发整改通知书2份" in text
    assert "@foo街道：公开目录未按季度更新（一般）。" in text
    assert SENTENCES["R-LAST2"] in text


def test_scheme_sets_title_issuer_and_doc_number(sqlite_db, monkeypatch):
    from assess.reports.official import accountability_doc, issuer_of, publicity_doc
    from assess.schemes.definition import doc_number, document_title

    built = _round(sqlite_db)
    data = load_report_data(sqlite_db, built.round_id)
    assert document_title(data.scheme) == "测试考核方案"
    monkeypatch.setenv("ASSESS_ISSUER", "某县考核办")
    assert issuer_of(data.scheme) == "某县考核办"
    assert publicity_doc(data).issuer == "某县考核办"
    data.scheme.document_title = "《某县党风廉政建设考核办法》"
    data.scheme.issuer = "中共某县纪委监委考核办"
    data.scheme.doc_number = "县纪考〔{year}〕{no}号"
    assert document_title(data.scheme) == "某县党风廉政建设考核办法"
    doc = accountability_doc(data)
    assert doc.issuer == "中共某县纪委监委考核办" and doc.doc_no == "县纪考〔2026〕____号"
    assert "《某县党风廉政建设考核办法》" in doc.blocks[0].text
    assert doc_number(data.scheme, 2026, 12) == "县纪考〔2026〕12号"
    assert issuer_of(data.scheme, "临时落款") == "临时落款"
    data.scheme.name = "党风廉政建设考核"
    data.scheme.document_title = None
    assert document_title(data.scheme) == "党风廉政建设考核实施办法"


def test_scheme_document_fields_are_checked():
    from assess.foundation.errors import InputErrors
    from assess.schemes.validate import validate_text

    from .test_scheme_validate import BASE

    ok = validate_text('document_title = "某县考核办法"\ndoc_number = "考〔{year}〕{no}号"\n' + BASE, "t.toml")
    assert ok.scheme.doc_number == "考〔{year}〕{no}号"
    with pytest.raises(InputErrors) as e:
        validate_text('doc_number = "考〔{yr}〕{no}号"\n' + BASE, "t.toml")
    assert "doc_number" in str(e.value) and "{yr}" in str(e.value)


def test_issuer_is_honoured_by_every_command(sqlite_db, tmp_path, monkeypatch):
    from assess.cli import main

    built = _round(sqlite_db)
    out = tmp_path / "out"
    args = ["report", "--round", str(built.round_id), "--out", str(out), "--db", sqlite_db.url, "--quiet"]
    assert main([*args, "--format", "rectification,notice", "--issuer", "某县考核办"]) == 0
    texts = [p.read_text(encoding="utf-8") for p in out.rglob("*.txt")]
    assert len(texts) == 3 and all("某县考核办" in t for t in texts)
    assert not any("考核工作领导小组办公室" in t for t in texts)
    monkeypatch.setenv("ASSESS_ISSUER", "某县考评办")
    out2 = tmp_path / "out2"
    args[4] = str(out2)
    assert main([*args, "--format", "rectification"]) == 0
    assert all("某县考评办" in p.read_text(encoding="utf-8") for p in out2.rglob("*.txt"))


def test_public_notice_has_no_hash_in_its_body(sqlite_db):
    from assess.reports.official import publicity_doc

    data = load_report_data(sqlite_db, _round(sqlite_db).round_id)
    doc = publicity_doc(data)
    body = " ".join(b.text for b in doc.blocks) + " ".join(
        c for b in doc.blocks if b.table for row in b.table.rows for c in row
    )
    assert SNAPSHOT_HASH not in body and "assess" not in body and "审计链头" not in body
    assert doc.footer == f"校验码 {SNAPSHOT_HASH[:4].upper()}-{SNAPSHOT_HASH[4:8].upper()}-{SNAPSHOT_HASH[8:12].upper()}"
    appendix = [c for b in doc.appendix if b.table for row in b.table.rows for c in row]
    assert SNAPSHOT_HASH in appendix and data.snapshot["audit_head"] in appendix
    assert doc.title == "关于2026年第二季度考核结果的公示"


# -- DOCX: layout, rendering, pages ------------------------------------------------------------------


def _write_all(db, tmp_path, round_id) -> list[Path]:
    from assess.reports.bundle import build_report

    result = build_report(db, round_id, tmp_path / "out", ["docx"])
    return sorted(f for f in result.files if f.suffix == ".docx")


def test_docx_follows_gbt9704(sqlite_db, tmp_path):
    from docx import Document
    from docx.shared import Pt

    built = _round(sqlite_db)
    files = _write_all(sqlite_db, tmp_path, built.round_id)
    names = [f.name for f in files]
    assert "2026年第二季度考核结果通报.docx" in names and "2026年第二季度考核结果公示.docx" in names
    assert "2026年第二季度考核问责建议名单.docx" in names
    assert sum(n.endswith("整改通知书.docx") for n in names) == 2
    word = Document(next(f for f in files if f.name.endswith("结果通报.docx")))
    sec = word.sections[0]
    margins = (sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin)
    assert [round(m.mm) for m in margins] == [37, 35, 28, 26]
    assert (round(sec.page_width.mm), round(sec.page_height.mm)) == (210, 297)
    paras = [p for p in word.paragraphs if p.text]
    assert paras[0].text == "考核工作领导小组办公室文件"
    assert paras[0].runs[0].font.color.rgb is not None and str(paras[0].runs[0].font.color.rgb) == "FF0000"
    assert paras[1].text == "考核办〔2026〕____号" and "w:pBdr" in paras[1]._p.xml  # the red line
    title = paras[2]
    assert title.text == "关于2026年第二季度考核结果的通报" and title.runs[0].font.size == Pt(22)
    assert paras[3].text == "各被考核单位："
    body = paras[4]
    assert body.runs[0].font.size == Pt(16) and body.paragraph_format.first_line_indent == Pt(32)
    assert 'w:eastAsia="仿宋"' in body.runs[0]._r.xml
    heading = next(p for p in paras if p.text == "一、考核结果")
    assert 'w:eastAsia="黑体"' in heading.runs[0]._r.xml
    date = paras[-1]
    assert date.text == "____年__月__日" and date.paragraph_format.right_indent == Pt(64)
    assert 'w:instr="PAGE"' in sec.footer._element.xml and 'w:instr="PAGE"' in sec.even_page_footer._element.xml


def _pdf(docx: Path) -> Path:
    subprocess.run(
        ["soffice", "--headless", f"-env:UserInstallation=file://{docx.parent / '.lo'}", "--convert-to", "pdf",
         "--outdir", str(docx.parent), str(docx)],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return docx.with_suffix(".pdf")


def _cjk_families() -> set[str]:
    out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=True).stdout
    return {re.sub(r"[\s-]", "", name).lower() for line in out.splitlines() for name in line.split(",")}


def _check_pages(pdf: Path, tmp: Path) -> int:
    """Every page has ink; every font is embedded and every CJK text is drawn in a CJK face."""
    from PIL import Image

    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    cjk = _cjk_families()
    faces = []
    for line in fonts:
        name = line.split()[0].split("+")[-1]
        assert " yes " in f" {line} ", line  # embedded
        faces.append(re.sub(r"[\s-]", "", name).lower())
    assert any(any(f.startswith(c) or c.startswith(f) for c in cjk) for f in faces), faces
    prefix = tmp / pdf.stem
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(prefix)], check=True, timeout=120)
    pages = sorted(tmp.glob(f"{pdf.stem}*.png"))
    assert pages
    for page in pages:
        img = Image.open(page).convert("L")
        dark = sum(img.histogram()[:128])
        assert dark > 50, (page.name, dark)  # text, not a blank page
    return len(pages)


def _lines(pdf: Path) -> list[str]:
    """Text lines of the PDF as laid out (pdftotext -bbox-layout: one <line> per printed line)."""
    xml = subprocess.run(
        ["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    out = []
    for line in re.findall(r"<line[^>]*>(.*?)</line>", xml, flags=re.S):
        out.append(unescape("".join(re.findall(r">([^<]*)</word>", line))))
    return out


def test_docx_pages_render_with_chinese_and_one_line_names(sqlite_db, tmp_path):
    _needs("soffice", "pdftoppm", "pdftotext", "pdffonts", "fc-list")
    built = _round(sqlite_db, long_name=True)
    files = _write_all(sqlite_db, tmp_path, built.round_id)
    total = 0
    for f in files:
        pdf = _pdf(f)
        total += _check_pages(pdf, tmp_path)
        lines = _lines(pdf)
        text = "".join(lines)
        assert "�" not in text
        if f.name.endswith("结果通报.docx") or f.name.endswith("结果公示.docx"):
            assert LONG_NAME in lines or any(LONG_NAME in line for line in lines), lines[:40]
            for grade in ("优秀", "良好", "一般", "较差"):
                assert any(line.endswith(grade) for line in lines), grade  # its cell, on one line
                assert grade[0] not in lines and grade[1] not in lines, grade  # never 良/好
    assert total >= 6


def test_report_pdf_ranking_names_on_one_line(sqlite_db, tmp_path):
    """The PDF report (Chromium): unit names of up to 12 characters on one line in the ranking
    table, grades not wrapped, a category of four units on one page."""
    from assess.reports.bundle import build_report
    from assess.reports.images import ChartRenderer, chromium_path

    if chromium_path() is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs Chromium (see ./dev)")
        pytest.skip("Chromium not installed")
    _needs("pdftotext")
    built = _round(sqlite_db, long_name=True)
    r = ChartRenderer()
    try:
        result = build_report(sqlite_db, built.round_id, tmp_path / "out", ["pdf", "notice"], renderer=r)
    finally:
        r.close()
    # The 公示 PDF: no hash or command on the pages to post, the 校验码 in their footer, the
    # anchors on the last (internal) page.
    notice = next(f for f in result.files if f.name.endswith("公示.pdf"))
    pages = subprocess.run(["pdftotext", str(notice), "-"], capture_output=True, text=True, check=True).stdout
    pages = [p for p in pages.split("\f") if p.strip()]
    assert len(pages) >= 2
    code = f"{SNAPSHOT_HASH[:4].upper()}-{SNAPSHOT_HASH[4:8].upper()}-{SNAPSHOT_HASH[8:12].upper()}"
    for page in pages[:-1]:
        assert SNAPSHOT_HASH not in page and "assess" not in page and code in page
    assert "内部附页" in pages[-1] and SNAPSHOT_HASH[:20] in pages[-1].replace("\n", "")
    pdf = next(f for f in result.files if f.name == "2026年第二季度考核结果报告.pdf")
    lines = _lines(pdf)
    assert any(LONG_NAME in line for line in lines), [line for line in lines if "县委" in line]
    for name in ("教育局", "城关镇", "<b>审计局</b>", "@foo街道"):
        assert any(name in line for line in lines), name
    for grade in ("优秀", "良好"):
        assert grade[0] not in lines and grade[1] not in lines, grade


def test_people_by_display_name_and_times_in_the_office_zone(sqlite_db, monkeypatch):
    from datetime import UTC, datetime

    from assess.foundation.users import add_user
    from assess.reports.document import report_html

    built = _round(sqlite_db)
    add_user(sqlite_db, None, "admin", "admin", "pw-123456789", "系统管理员")
    from assess.foundation.roles import Actor

    admin = Actor("admin", "admin", "系统管理员")
    add_user(sqlite_db, admin, "clerk", "clerk", "pw-123456789", "录入员 王静")
    add_user(sqlite_db, admin, "reviewer", "reviewer", "pw-123456789", "审核员 陈明")
    data = load_report_data(sqlite_db, built.round_id)
    assert [s["by"] for s in data.review_steps][:2] == ["录入员 王静", "审核员 陈明"]
    assert data.accountability["decided_by"].iloc[0] == "审核员 陈明"
    monkeypatch.setenv("ASSESS_TZ", "Asia/Shanghai")
    data.generated_at = datetime(2026, 12, 1, 2, 30, tzinfo=UTC)
    html = report_html(data, [], interactive=False)
    assert "2026年12月01日 10:30" in html and "UTC" not in html
    assert "clerk<" not in html and "录入员 王静" in html


async def test_export_screen_writes_the_documents(sqlite_db, tmp_path, monkeypatch):
    from .conftest import make_users
    from .tui_helpers import SIZE, login, make_app, screen_text, settle

    monkeypatch.setenv("ASSESS_CHROMIUM", str(tmp_path / "no-such-chromium"))
    make_users(sqlite_db)
    _round(sqlite_db)
    app = make_app(sqlite_db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        await pilot.press("f9")
        await settle(pilot)
        screen = app.screen
        await pilot.press("p", "h", "x", "g", "n", "d")  # only the DOCX documents
        assert screen.formats == {"docx"}
        screen.query_one("#export-out").value = str(tmp_path / "out")
        await pilot.press("r")
        for _ in range(40):
            await settle(pilot)
            if not screen.running and screen.last_result is not None:
                break
        assert "已生成 5 个文件" in screen_text(app)
    names = sorted(p.name for p in (tmp_path / "out" / "公文").iterdir())
    assert "2026年第二季度考核结果通报.docx" in names and len(names) == 5
