"""Printable 测评表 (paper ballots) and the 计票单 (tally sheet) of an appraisal meeting, as PDF.

The paper a voter marks is what a clerk keys: the targets are printed in ballot order (the order of
``appraisal_info.load_targets``, the entry screen's order), each option is a box with the number the
clerk presses for it (``ballot_marks``: 1–9), and every sheet carries its batch code and 票号 so a
stack can be keyed one to one. The form's rules (e.g. 优秀 at most N) are printed on the sheet as the
mark rules apply them (docs/documents.md).

PDF through reportlab with an embedded CJK TrueType face found by fontconfig.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from assess.appraisal.session_info import GroupRow, session_info
from assess.foundation.errors import AssessError, NotFound
from assess.foundation.private_files import make_private
from assess.reports.bundle import safe_name

if TYPE_CHECKING:
    from assess.appraisal.session_info import SessionInfo
    from assess.foundation.db import Database

FONT = "AssessCJK"
PREFERRED_FACES = ("WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Droid Sans Fallback", "AR PL UMing", "AR PL UKai")
MAX_COPIES = 2000


class FontMissing(AssessError):
    """No CJK TrueType font that a PDF can embed."""


def cjk_font_file() -> tuple[str, int]:
    """(path, index in a collection) of a CJK TrueType face reportlab can embed, preferring the
    faces named in ``PREFERRED_FACES``. CFF-based OpenType (Noto CJK) cannot be embedded."""
    from reportlab.pdfbase.ttfonts import TTFont

    try:
        out = subprocess.run(
            ["fc-list", ":lang=zh", "file", "family", "index"], capture_output=True, text=True, timeout=20
        ).stdout
    except (OSError, subprocess.SubprocessError):
        out = ""
    entries = []
    for line in out.splitlines():
        path, _, rest = line.partition(":")
        family = rest.split(":index=")[0].strip()
        index = int(rest.rsplit("index=", 1)[1]) if "index=" in rest else 0
        rank = next((i for i, f in enumerate(PREFERRED_FACES) if f.lower() in family.lower()), len(PREFERRED_FACES))
        entries.append((rank, path.strip(), index))
    for _rank, path, index in sorted(entries):
        try:
            TTFont(FONT, path, subfontIndex=index)
        except Exception:
            continue
        return path, index
    raise FontMissing("没有可嵌入 PDF 的中文 TrueType 字体：请安装 fonts-wqy-microhei（sudo apt-get install fonts-wqy-microhei）。")


def _register_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    path, index = cjk_font_file()
    pdfmetrics.registerFont(TTFont(FONT, path, subfontIndex=index))


@dataclass
class PrintJob:
    session_id: int
    group_code: str
    copies: int = 1
    start_no: int = 1  # 票号 of the first sheet
    batch_label: str | None = None  # printed on every sheet; a blank to fill in when not given
    per_page: int = 1  # 1 or 2 ballots per A4 page (2: cut along the dashed line)


def rules_text(info: SessionInfo) -> list[str]:
    """The form's rules as printed on the sheet, in the order a voter needs them."""
    form = info.form
    opts = "、".join(f"{i}.{o.label}" for i, o in enumerate(form.options, start=1))
    lines = [
        f"每个评议对象只在一个选项（{opts}）的方框内划“√”；同一对象划两个及以上选项的，该对象评议无效。",
    ]
    if form.limited_option and form.max_limited is not None:
        lines.append(f"“{form.limited_option}”不得超过{form.max_limited}个，超过的整张选票作废。")
    lines.append("全部未划的为空白票。请勿在选票上署名或作其他标记。")
    return lines


def _session(db: Database, session_id: int, group_code: str | None):
    info = session_info(db, session_id)
    if not info.targets:
        raise AssessError(f"评议会议“{info.name}”还没有评议对象，无法打印测评表。")
    groups = {g.code: g for g in info.groups} or {
        g.code: g for g in [*(_scheme_groups(info))]
    }
    if group_code is not None and group_code not in groups:
        raise NotFound(
            f"投票人类别“{group_code}”不在评议会议“{info.name}”中（可选：{'、'.join(groups) or '无'}）。"
        )
    return info, groups


def _scheme_groups(info: SessionInfo):
    return [GroupRow(g.code, g.name, g.weight, 0) for g in info.form.voter_groups]


def print_ballots(db: Database, job: PrintJob, path: str | Path) -> Path:
    """The 测评表 of one voter group, ``copies`` sheets numbered from ``start_no``."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    if not 1 <= job.copies <= MAX_COPIES:
        raise AssessError(f"打印份数应在 1 至 {MAX_COPIES} 之间，收到 {job.copies}。")
    if job.per_page not in (1, 2):
        raise AssessError("每页张数只能是 1 或 2。")
    if job.start_no < 1:
        raise AssessError("起始票号应从 1 开始。")
    info, groups = _session(db, job.session_id, job.group_code)
    group = groups[job.group_code]
    _register_font()
    path = Path(path)
    c = Canvas(str(path), pagesize=A4, initialFontName=FONT, initialFontSize=10)
    c.setTitle(f"{info.name} {info.form.name}（{group.name}）")
    width, height = A4
    for i in range(job.copies):
        slot = i % job.per_page
        if slot == 0 and i:
            c.showPage()
        top = height if job.per_page == 1 else height - slot * height / 2
        box_h = height if job.per_page == 1 else height / 2
        _ballot(c, info, group.name, job.batch_label, job.start_no + i, width, top, box_h)
        if job.per_page == 2 and slot == 0 and i + 1 < job.copies:
            c.setDash(4, 4)
            c.line(20, height / 2, width - 20, height / 2)
            c.setDash()
    c.showPage()
    c.save()
    return make_private(path)


def _fit(c, text: str, size: float, max_width: float) -> float:
    """The font size at which ``text`` fits ``max_width`` (down to 60 % of ``size``)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    w = stringWidth(text, FONT, size)
    return size if w <= max_width else max(size * 0.6, size * max_width / w)


def _ballot(c, info: SessionInfo, group_name: str, batch: str | None, number: int, width, top, box_h) -> None:
    from reportlab.lib.units import mm
    from reportlab.pdfbase.pdfmetrics import stringWidth

    left, right = 18 * mm, width - 18 * mm
    y = top - 16 * mm
    title = f"{info.form.name}"
    c.setFont(FONT, 17)
    c.drawCentredString(width / 2, y, title)
    y -= 7 * mm
    c.setFont(FONT, 10)
    c.drawCentredString(width / 2, y, f"{info.round_name} · {info.name}")
    y -= 8 * mm
    c.setFont(FONT, 10.5)
    c.drawString(left, y, f"投票人类别：{group_name}")
    batch_text = f"批次：{batch}" if batch else "批次：________"
    c.drawString(left + 70 * mm, y, batch_text)
    c.drawRightString(right, y, f"票号：{number:04d}")
    y -= 3 * mm
    # rules
    c.setFont(FONT, 9)
    for line in rules_text(info):
        for part in _wrap(line, FONT, 9, right - left):
            y -= 4.6 * mm
            c.drawString(left, y, part)
    y -= 4 * mm
    # table: 序号 | 评议对象 | 说明 | one box per option
    options = info.option_labels
    n_opts = len(options)
    opt_w = max(14 * mm, max(stringWidth(f"□{i}.{o}", FONT, 10) for i, o in enumerate(options, 1)) + 4 * mm)
    no_w = 10 * mm
    name_w = max(24 * mm, min(62 * mm, max(stringWidth(t.name, FONT, 10.5) for t in info.targets) + 4 * mm))
    detail_w = max(0.0, (right - left) - no_w - name_w - n_opts * opt_w)
    rows = len(info.targets)
    bottom_reserved = 14 * mm
    row_h = min(9 * mm, max(5 * mm, (y - (top - box_h) - bottom_reserved) / (rows + 1)))
    xs = [left, left + no_w, left + no_w + name_w, left + no_w + name_w + detail_w]
    xs += [xs[3] + (k + 1) * opt_w for k in range(n_opts)]
    c.setLineWidth(0.6)
    c.setFont(FONT, 9.5)
    header = ["序号", "评议对象", "单位/职务" if detail_w else "", *[f"{i}.{o}" for i, o in enumerate(options, 1)]]
    c.line(left, y, xs[-1], y)
    for k, text in enumerate(header):
        if xs[k + 1] - xs[k] > 1:
            c.drawCentredString((xs[k] + xs[k + 1]) / 2, y - row_h + 0.32 * row_h, text)
    y -= row_h
    c.line(left, y, xs[-1], y)
    for t in info.targets:
        base = y - row_h + 0.32 * row_h
        c.setFont(FONT, 10)
        c.drawCentredString((xs[0] + xs[1]) / 2, base, str(t.position))
        c.setFont(FONT, _fit(c, t.name, 10.5, name_w - 3 * mm))
        c.drawString(xs[1] + 1.5 * mm, base, t.name)
        if detail_w > 6 * mm:
            detail = t.detail.strip()
            c.setFont(FONT, _fit(c, detail, 9, detail_w - 3 * mm))
            c.drawString(xs[2] + 1.5 * mm, base, detail)
        box = min(4.2 * mm, row_h * 0.6)
        for k in range(n_opts):
            cx = (xs[3 + k] + xs[4 + k]) / 2
            c.rect(cx - box / 2, y - row_h / 2 - box / 2, box, box, stroke=1, fill=0)
        y -= row_h
        c.line(left, y, xs[-1], y)
    table_top = y + row_h * (rows + 1)
    for x in xs:
        if x == xs[3] and detail_w <= 1:
            continue
        c.line(x, table_top, x, y)
    c.setFont(FONT, 8.5)
    c.drawString(left, y - 5 * mm, f"共 {rows} 个评议对象，按表列顺序录入。投票结束后请将选票投入票箱。")


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines, cur = [], ""
    for ch in text:
        if stringWidth(cur + ch, font, size) > width and cur:
            lines.append(cur)
            cur = ch
        else:
            cur += ch
    if cur:
        lines.append(cur)
    return lines


def print_tally_sheet(db: Database, session_id: int, group_code: str | None, path: str | Path) -> Path:
    """The 计票单 of a meeting (one voter group, or all when ``group_code`` is None): targets in
    ballot order with a blank cell per option and the total, the ballot counts, and lines for the
    计票人, 监票人 and 日期 to sign."""
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen.canvas import Canvas

    info, groups = _session(db, session_id, group_code)
    _register_font()
    path = Path(path)
    size = landscape(A4)
    c = Canvas(str(path), pagesize=size, initialFontName=FONT, initialFontSize=10)
    width, height = size
    who = groups[group_code].name if group_code else "全部投票人类别"
    c.setTitle(f"{info.name} 计票单（{who}）")
    options = info.option_labels
    left, right = 15 * mm, width - 15 * mm
    no_w = 10 * mm
    name_w = max(30 * mm, min(70 * mm, max(stringWidth(t.name, FONT, 10.5) for t in info.targets) + 4 * mm))
    cols = [*options, "合计"]
    col_w = ((right - left) - no_w - name_w) / len(cols)
    row_h = 8 * mm
    per_page = int((height - 70 * mm) // row_h)
    targets = list(info.targets)
    pages = [targets[i : i + per_page] for i in range(0, len(targets), per_page)] or [[]]
    for p, chunk in enumerate(pages, start=1):
        y = height - 16 * mm
        c.setFont(FONT, 16)
        c.drawCentredString(width / 2, y, f"{info.form.name}计票单")
        y -= 7 * mm
        c.setFont(FONT, 10)
        c.drawCentredString(width / 2, y, f"{info.round_name} · {info.name} · {who}（第 {p}/{len(pages)} 页）")
        y -= 9 * mm
        c.drawString(left, y, "发出选票 ______ 张    收回 ______ 张    有效票 ______ 张    废票 ______ 张    空白票 ______ 张")
        y -= 5 * mm
        xs = [left, left + no_w, left + no_w + name_w] + [left + no_w + name_w + (k + 1) * col_w for k in range(len(cols))]
        top = y
        c.setLineWidth(0.6)
        c.line(left, y, right, y)
        c.setFont(FONT, 10)
        for k, text in enumerate(["序号", "评议对象", *cols]):
            c.drawCentredString((xs[k] + xs[k + 1]) / 2, y - row_h + 2.6 * mm, text)
        y -= row_h
        c.line(left, y, right, y)
        for t in chunk:
            c.drawCentredString((xs[0] + xs[1]) / 2, y - row_h + 2.6 * mm, str(t.position))
            c.setFont(FONT, _fit(c, t.name, 10.5, name_w - 3 * mm))
            c.drawString(xs[1] + 1.5 * mm, y - row_h + 2.6 * mm, t.name)
            c.setFont(FONT, 10)
            y -= row_h
            c.line(left, y, right, y)
        for x in xs:
            c.line(x, top, x, y)
        if p == len(pages):
            y -= 14 * mm
            c.drawString(left, y, "计票人（签名）：______________    监票人（签名）：______________    日期：______年____月____日")
        c.showPage()
    c.save()
    return make_private(path)


def print_session(
    db: Database, session_id: int, out_dir: str | Path, *, copies: int | None = None, group_code: str | None = None,
    batch_label: str | None = None, start_no: int = 1, per_page: int = 1,
) -> list[Path]:
    """测评表 for each voter group of a meeting (or the one asked for) and their 计票单. Without
    ``copies`` each group gets as many sheets as its expected voters (at least one)."""

    info, groups = _session(db, session_id, group_code)
    out = Path(out_dir).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for code, g in groups.items():
        if group_code is not None and code != group_code:
            continue
        n = copies if copies is not None else max(1, g.expected)
        stem = safe_name(f"{info.name}-{g.name}")
        job = PrintJob(session_id, code, n, start_no, batch_label, per_page)
        files.append(print_ballots(db, job, out / f"{stem}-测评表.pdf"))
        files.append(print_tally_sheet(db, session_id, code, out / f"{stem}-计票单.pdf"))
    return files
