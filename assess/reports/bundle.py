"""The publication report of a round: PDF, self-contained HTML, XLSX, chart images, the ranking as
CSV, the 公示 notice and the rectification notices, written in one go.

``build_report`` takes a ``progress(done, total, label)`` callback and a ``cancelled()`` callable
(the export screen runs it in a worker and cancels with Esc); files are written to a temporary
directory inside the output directory and moved into place only when everything succeeded, so a
cancelled or failed export leaves nothing half-written.

One Chromium serves the whole report (``images.ChartRenderer``): the charts' SVG images for the
PDF, the PNG/SVG files and the printing of the PDF pages. Without Chromium the report still
writes HTML, XLSX, CSV and the notices' text, and says how to enable images.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from assess.appraisal.unit_tallies import option_shares
from assess.foundation.errors import AssessError
from assess.foundation.vocabulary import Method
from assess.reports import figures
from assess.reports import images as img
from assess.reports.data import load_report_data
from assess.reports.document import Chart, report_html
from assess.reports.notices import (
    notice_html,
    publication_notice,
    rectification_notices,
    report_title,
    results_title,
)
from assess.reports.official import (
    accountability_doc,
    appendix_text,
    bulletin_doc,
    doc_text,
    publicity_doc,
    rectification_docs,
)
from assess.reports.wordfile import write_docx, write_docx_many
from assess.reports.workbook import write_ranking_csv, write_workbook
from assess.results.reasons import period_text

if TYPE_CHECKING:
    from assess.foundation.db import Database
    from assess.reports.data import ReportData
    from assess.reports.document import Chart
    from assess.reports.images import ChartRenderer
    from assess.reports.official import NoticeParams

FORMATS: dict[str, str] = {
    "pdf": "PDF 报告",
    "html": "HTML 报告",
    "xlsx": "XLSX 表格",
    "png": "PNG 图表",
    "svg": "SVG 图表",
    "csv": "CSV 排名",
    "notice": "公示通知",
    "rectification": "整改通知",
    "docx": "DOCX 公文（考核通报、公示、整改通知书、问责建议名单）",
}
DEFAULT_FORMATS = ("pdf", "html", "xlsx", "png", "notice")


def image_formats(formats: Sequence[str]) -> list[str]:
    """The image formats each chart is rendered in: the PNG/SVG files asked for, and for the PDF
    the SVG when SVG files are made or no PNG files are, else the PNG (one render per chart where
    possible: a render costs far more than embedding an image twice)."""
    needed = [f for f in ("png", "svg") if f in formats]
    if "pdf" in formats and not needed:
        needed = ["svg"]
    return needed


MAX_UNIT_PROFILES = 20

Progress = Callable[[int, int, str], None]


class ReportCancelled(AssessError):
    """The user cancelled the export; nothing was written."""


@dataclass
class ReportResult:
    out_dir: Path
    files: list[Path] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    images: bool = False
    charts: int = 0
    chart_seconds: list[float] = field(default_factory=list)  # per chart, all its images, in order
    start_seconds: float = 0.0  # Chromium start (0 when it was running already)
    total_seconds: float = 0.0

    def summary(self) -> str:
        text = f"已生成 {len(self.files)} 个文件到 {self.out_dir}（图表 {self.charts} 幅）"
        return "；".join([text, *self.messages])


def parse_formats(text: str | Sequence[str]) -> list[str]:
    """``"pdf,html"`` → ["pdf", "html"], in the order given; unknown names are refused."""
    items = text.split(",") if isinstance(text, str) else list(text)
    out: list[str] = []
    for item in (i.strip().lower() for i in items):
        if not item:
            continue
        if item not in FORMATS:
            raise AssessError(f"未知的导出格式“{item}”：可选 {', '.join(FORMATS)}")
        if item not in out:
            out.append(item)
    if not out:
        raise AssessError(f"请至少选择一种导出格式：{', '.join(FORMATS)}")
    return out


_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


def safe_name(text: str, limit: int = 80) -> str:
    """A file name from user text: no path separators, control or reserved characters, no leading dot."""
    name = _UNSAFE.sub("_", str(text)).strip().lstrip(".")
    return (name[:limit] or "未命名").rstrip()


@dataclass
class ChartSpec:
    """A chart of the report before its figure is built (building one takes 30–80 ms, so the
    report builds each while Chromium draws the one before)."""

    key: str
    title: str
    section: str
    build: Callable[[], object]
    built: Chart | None = None

    def chart(self) -> Chart:
        """The chart with its figure (built once)."""

        if self.built is None:
            self.built = Chart(self.key, self.title, self.section, self.build())
        return self.built


def chart_specs(data: ReportData) -> list[ChartSpec]:
    """Every chart of the report, in report order (only the charts that have data)."""


    specs: list[ChartSpec] = []

    def add(title: str, section: str, build) -> None:
        specs.append(ChartSpec(f"{len(specs) + 1:02d}-{safe_name(title, 60)}", title, section, build))

    precision = data.scheme.precision
    grades = [b.grade for b in sorted(data.scheme.bands, key=lambda b: -b.min)]
    form = next((f for f in data.scheme.forms if f.code == data.scheme.appraisal_form), None)
    options = data.options.get(form.code, []) if form else []
    counted = {o.label for o in form.options if o.counted} if form else None
    threshold = form.publication_threshold if form else 5
    for cat in data.categories:
        add(
            f"{cat}-排名",
            cat,
            partial(figures.ranking_figure, data.results, cat, grades=grades, precision=precision,
                    composite_label=data.composite_label),
        )
        ind = data.indicators[data.indicators["category"] == cat]
        if ind["points"].notna().any():
            add(f"{cat}-一级指标得分率", cat, partial(figures.indicator_heatmap, ind, cat))
        codes = set(data.category_results(cat)["unit_code"])
        tallies = data.tallies[data.tallies["unit_code"].isin(codes)]
        if form is not None:
            tallies = tallies[tallies["form_code"] == form.code]
        shares = option_shares(tallies, options, min_counted=threshold, counted=counted)
        if not shares.empty:
            title = f"{cat} 民主评议票选项构成（含不了解）"
            add(f"{cat}-民主评议", cat, partial(figures.option_shares_figure, shares, title, options=options))
        hist = data.history[data.history["category"] == cat]
        if hist["round_id"].nunique() >= 2:
            add(f"{cat}-趋势", cat, partial(figures.trend_figure, hist, cat, precision=precision))
    ind = data.indicators
    if (ind["verified_value"].notna() & ind["drawn"].astype(bool) & (ind["method"] != Method.VETO)).any():
        tolerance = data.scheme.spotcheck.tolerance
        add(
            "自查与核查对比",
            "spotcheck",
            partial(figures.selfcheck_vs_verified_figure, ind, tolerance=tolerance),
        )
    if not data.accountability.empty:
        add(
            "问责名单汇总",
            "accountability",
            partial(figures.accountability_summary_figure, data.accountability),
        )
    units = set(data.results["unit_code"])
    listed = [c for c in dict.fromkeys(data.accountability["subject_code"]) if c in units]
    labels = {k: data.component_label(k) for k in data.components} | {"composite": data.composite_label}
    for code in listed[:MAX_UNIT_PROFILES]:
        name = data.results.loc[data.results["unit_code"] == code, "unit_name"].iloc[0]
        build = partial(
            figures.unit_vs_category_figure, data.results, code, data.components, labels, precision=precision
        )
        add(f"{name}-与类别平均对比", f"unit:{code}", build)
    return specs


def plan_charts(data: ReportData) -> list[Chart]:
    """Every chart of the report with its figure, in report order."""
    return [spec.chart() for spec in chart_specs(data)]


def build_report(
    db: Database,
    round_id: int,
    out_dir: str | Path,
    formats: Sequence[str] = DEFAULT_FORMATS,
    *,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
    renderer: ChartRenderer | None = None,
    notice: NoticeParams | None = None,
) -> ReportResult:
    """Write the report of ``round_id`` into ``out_dir`` in the given formats (see ``FORMATS``)."""

    t0 = time.perf_counter()
    formats = parse_formats(formats)
    out = Path(out_dir).expanduser()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise AssessError(f"无法创建输出目录 {out}：{e.strerror or e}") from None
    result = ReportResult(out_dir=out)
    steps = _Steps(progress, cancelled, total=3 + len(formats))
    steps.step("读取考核结果")
    data = load_report_data(db, round_id)
    work = Path(tempfile.mkdtemp(prefix=".assess-report-", dir=out))
    try:
        _build(db, data, formats, work, steps, result, renderer, notice)
        steps.check()
        stem = safe_name(report_title(data.round_name))
        for path in sorted(work.rglob("*")):
            if path.is_file():
                # Files for people are the office's alone (0600, folders 0700), like the database.
                os.chmod(path, 0o600)
                target = out / path.relative_to(work)
                target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                path.replace(target)
                result.files.append(target)
        steps.done(f"完成：{stem}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result.total_seconds = time.perf_counter() - t0
    return result


class _Steps:
    def __init__(self, progress: Progress | None, cancelled: Callable[[], bool] | None, total: int):
        self.progress, self.cancelled = progress, cancelled
        self.total, self.count = total, 0

    def check(self) -> None:
        if self.cancelled is not None and self.cancelled():
            raise ReportCancelled("已取消导出，未写出任何文件。")

    def step(self, label: str) -> None:
        self.check()
        if self.progress is not None:
            self.progress(self.count, self.total, label)
        self.count += 1

    def done(self, label: str) -> None:
        if self.progress is not None:
            self.progress(self.total, self.total, label)


def _build(
    db: Database,
    data: ReportData,
    formats: list[str],
    work: Path,
    steps: _Steps,
    result: ReportResult,
    renderer: ChartRenderer | None,
    notice: NoticeParams | None,
) -> None:
    """Chromium starts in a thread while the data is prepared; the XLSX and CSV are written in
    other threads while Chromium renders the images (Python mostly waits on the browser), and the
    HTML while the PDF is printed."""


    needed = image_formats(formats)
    wants_browser = bool(needed) or (
        "pdf" in formats and any(f in formats for f in ("notice", "rectification"))
    )
    pool = ThreadPoolExecutor(max_workers=3, thread_name_prefix="report")
    try:
        r = (renderer or img.shared_renderer()) if wants_browser else None
        starting = pool.submit(_start_timed, r) if r is not None else None
        steps.step("绘制图表")
        specs = chart_specs(data)
        result.charts = len(specs)
        writers = {
            fmt: pool.submit(_write_file, fmt, data, [], work) for fmt in ("xlsx", "csv") if fmt in formats
        }
        others = [f for f in formats if f not in ("png", "svg", "xlsx", "csv")]
        steps.total = 2 + (1 if r is not None else 0) + len(specs) * len(needed) + len(others) + len(writers)
        if r is not None:
            if not starting.done():
                for spec in specs:  # Chromium is starting: build the figures meanwhile
                    spec.chart()
            steps.step("启动 Chromium")
            try:
                result.start_seconds = starting.result()
                result.images = True
            except img.ImagesUnavailable as exc:
                r = None
                result.messages.append(str(exc))
        charts = _draw(specs, r, needed, steps, result)
        if "html" in others:
            others.remove("html")
            writers["html"] = pool.submit(_write_file, "html", data, charts, work)
            others.append("html")
        if r is not None:
            for fmt in ("png", "svg"):
                if fmt in formats:
                    (work / CHARTS_DIR).mkdir(exist_ok=True)
                    for chart in charts:
                        (work / CHARTS_DIR / f"{chart.key}.{fmt}").write_bytes(chart.images[fmt])
        for fmt in others:
            steps.step(f"写出{FORMATS[fmt]}")
            if fmt == "html":
                writers.pop("html").result()
            elif fmt == "pdf" and r is not None:
                _write_pdf(r, data, charts, work)
            elif fmt == "notice":
                _write_publication_notice(data, work, r, notice, result)
            elif fmt == "rectification":
                _write_rectification_notices(db, data, work, r if "pdf" in formats else None, notice, result)
            elif fmt == "docx":
                _write_documents(db, data, work, notice, result)
        for fmt, job in writers.items():
            steps.step(f"写出{FORMATS[fmt]}")
            job.result()
    finally:
        # Never leave a writer running into a directory that is about to be removed.
        pool.shutdown(wait=True, cancel_futures=True)


CHARTS_DIR = "图表"


def _draw(
    specs: list[ChartSpec], r: ChartRenderer | None, needed: list[str], steps: _Steps, result: ReportResult
) -> list[Chart]:
    """Build every chart's figure and, with a browser, its images: each figure is built while
    Chromium draws the one before. ``result.chart_seconds`` gets the time each chart added."""

    charts: list[Chart] = []
    queue: deque = deque()
    last = time.perf_counter()

    def collect() -> None:
        nonlocal last
        chart, futures = queue.popleft()
        for fmt, future in futures:
            steps.step(f"生成图片 {chart.title}（{fmt.upper()}）")
            chart.images[fmt] = r.wait(future)
        now = time.perf_counter()
        result.chart_seconds.append(now - last)
        last = now

    for spec in specs:
        chart = spec.chart()
        charts.append(chart)
        if r is None:
            continue
        queue.append((chart, [(fmt, r.submit(chart.figure, fmt)) for fmt in needed]))
        if len(queue) > 1:
            collect()
    while queue:
        collect()
    return charts


def _start_timed(r: ChartRenderer) -> float:
    """Start Chromium; the seconds it took (0 when it was running already)."""
    if r.running:
        return 0.0
    t = time.perf_counter()
    r.start()
    return time.perf_counter() - t


def _write_file(fmt: str, data: ReportData, charts: list[Chart], work: Path) -> Path:
    if fmt == "html":
        path = work / f"{safe_name(report_title(data.round_name))}.html"
        path.write_text(report_html(data, charts, interactive=True), encoding="utf-8")
        return path
    if fmt == "xlsx":
        return write_workbook(data, work / f"{safe_name(report_title(data.round_name))}.xlsx")

    return write_ranking_csv(data, work / f"{safe_name(data.round_name)}-排名.csv")


def _write_pdf(r: ChartRenderer, data: ReportData, charts: list[Chart], work: Path) -> Path:
    stem = safe_name(report_title(data.round_name))
    page = work / f"{stem}.print.html"
    page.write_text(report_html(data, charts, interactive=False), encoding="utf-8")
    footer = report_title(data.round_name) + (f" · {data.draft_mark}" if data.draft_mark else "")
    path = work / f"{stem}.pdf"
    path.write_bytes(r.print_pdf(page, footer=footer))
    page.unlink()
    return path


def _write_publication_notice(
    data: ReportData, work: Path, r: ChartRenderer | None, params: NoticeParams | None, result: ReportResult
) -> None:
    if not (data.published or data.in_publicity):
        result.messages.append("本轮次尚未公示，未生成公示通知")
        return

    doc = publicity_doc(data, params)
    text = publication_notice(data, params)
    name = safe_name(f"{results_title(data.round_name)}公示")
    (work / f"{name}.txt").write_text(text, encoding="utf-8")
    if r is not None:
        # The notice to post, then the internal appendix on a page of its own; 校验码 in the footer.
        page = work / f"{name}.print.html"
        page.write_text(notice_html(name, [doc_text(doc, appendix=False), appendix_text(doc)]), encoding="utf-8")
        (work / f"{name}.pdf").write_bytes(r.print_pdf(page, footer=doc.footer or name))
        page.unlink()


def _write_rectification_notices(
    db: Database,
    data: ReportData,
    work: Path,
    r: ChartRenderer | None,
    params: NoticeParams | None,
    result: ReportResult,
) -> None:
    notices = rectification_notices(db, data.round_id, issuer=params.issuer if params else None)
    if not notices:
        result.messages.append("本轮次没有整改通知")
        return
    folder = work / "整改通知"
    folder.mkdir()
    for n in notices:
        name = safe_name(f"{n.unit_code}-{n.unit_name}-整改通知")
        (folder / f"{name}.txt").write_text(n.text + "\n", encoding="utf-8")
        if r is not None:
            page = folder / f"{name}.print.html"
            page.write_text(notice_html(name, n.texts), encoding="utf-8")
            (folder / f"{name}.pdf").write_bytes(r.print_pdf(page, footer=f"{n.unit_name} 整改通知书"))
            page.unlink()


DOCUMENTS_DIR = "公文"


def _write_documents(
    db: Database, data: ReportData, work: Path, params: NoticeParams | None, result: ReportResult
) -> None:
    """The office's documents as DOCX (``official``, laid out by ``wordfile``): the 考核通报, the
    问责建议名单, the 公示 of a published round and one 整改通知书 file per unit."""

    folder = work / DOCUMENTS_DIR
    folder.mkdir()
    period = period_text(data.period)
    write_docx(bulletin_doc(db, data, params), folder / safe_name(f"{period}考核结果通报.docx"))
    write_docx(accountability_doc(data, params), folder / safe_name(f"{period}考核问责建议名单.docx"))
    if data.published or data.in_publicity:
        write_docx(publicity_doc(data, params), folder / safe_name(f"{period}考核结果公示.docx"))
    else:
        result.messages.append("本轮次尚未公示，未生成公示 DOCX")
    by_unit: dict[str, list] = {}
    for doc in rectification_docs(db, data.round_id, params.issuer if params else None):
        by_unit.setdefault(f"{doc.subject_code}-{doc.recipients}", []).append(doc)
    for name, docs in by_unit.items():
        write_docx_many(docs, folder / safe_name(f"{name}-整改通知书.docx"))
