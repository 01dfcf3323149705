"""Images through the headless Chromium: Chinese text renders with a CJK font, PNG/SVG/PDF of a
figure, and the whole report (PDF pages, chart PNGs, notices) from one browser.

These need Chromium (``./dev test`` installs it with the CJK font). Where it is genuinely absent
they skip, except in CI (``CI`` set), where they fail: CI must run them.
"""

from __future__ import annotations

import os

import pytest

from assess.reports.images import ChartRenderer, chromium_path, cjk_fonts, export_figure

from .reports_fixtures import build_round, pdf_pages, png_pixels, png_size


def _require_chromium() -> None:
    if os.environ.get("ASSESS_CHROMIUM") is None and chromium_path() is None:
        reason = (
            "没有 Chromium（/usr/bin/chromium 或 PATH 中的 chromium）：图片导出测试需要它，./dev test 会安装"
        )
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture(scope="module")
def renderer():
    _require_chromium()
    r = ChartRenderer().start()
    yield r
    r.close()


def _title_png(renderer, text: str) -> bytes:
    import plotly.graph_objects as go

    from assess.reports.figures import FONT_FAMILY

    fig = go.Figure()
    fig.update_layout(
        title={"text": text, "x": 0.02, "font": {"size": 28}},
        font={"family": FONT_FAMILY},
        width=420,
        height=140,
        template="plotly_white",
        margin={"l": 10, "r": 10, "t": 70, "b": 10},
        xaxis={"visible": False},
        yaxis={"visible": False},
    )
    return renderer.render(fig, "png")


def test_chinese_text_renders_with_a_cjk_font(renderer):
    """Without a CJK font every Chinese character is drawn as the same empty box, so two different
    Chinese titles of the same length render identically. The control shows exactly that with
    private-use characters that no font has; real Chinese titles must differ and be inked."""
    assert cjk_fonts(), "fc-list :lang=zh 找不到中文字体（apt-get install fonts-wqy-microhei）"
    a = png_pixels(_title_png(renderer, "考核排名公示"))[:70, :, :3].sum(axis=2)
    b = png_pixels(_title_png(renderer, "问责整改通知"))[:70, :, :3].sum(axis=2)
    ink_a, ink_b = int((a < 384).sum()), int((b < 384).sum())
    assert ink_a > 300 and ink_b > 300, (ink_a, ink_b)
    differing = int((abs(a - b) > 96).sum())
    assert differing > 300, differing
    # Control: characters without any glyph (tofu) render the same whatever they are.
    c = png_pixels(_title_png(renderer, "\ue000\ue001\ue002\ue003\ue004\ue005"))[:70, :, :3].sum(axis=2)
    d = png_pixels(_title_png(renderer, "\ue010\ue011\ue012\ue013\ue014\ue015"))[:70, :, :3].sum(axis=2)
    assert int((abs(c - d) > 96).sum()) == 0


def test_figure_as_png_svg_pdf(renderer, sqlite_db, tmp_path):
    from assess.reports.data import load_report_data
    from assess.reports.figures import ranking_figure

    data = load_report_data(sqlite_db, build_round(sqlite_db).round_id)
    fig = ranking_figure(data.results, "政府部门")
    png = export_figure(fig, tmp_path / "r.png", renderer).read_bytes()
    assert png_size(png) == (900, 360)  # the figure's own size
    svg = export_figure(fig, tmp_path / "r.svg", renderer).read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<svg") and "综合得分排名" in svg
    # The unit name is text, its angle brackets escaped, never a <b> element.
    assert "&#60;b&#62;审计局&#60;/b&#62;" in svg or "&lt;b&gt;审计局&lt;/b&gt;" in svg
    assert "<b>" not in svg
    pdf = export_figure(fig, tmp_path / "r.pdf", renderer).read_bytes()
    assert pdf_pages(pdf) == 1
    html = export_figure(fig, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<script src=" not in html and "Plotly.newPlot" in html


def test_whole_report_from_one_browser(renderer, sqlite_db, tmp_path):
    from assess.reports.bundle import build_report

    built = build_round(sqlite_db)
    before = renderer.renders
    browser = renderer._kaleido
    steps = []
    result = build_report(
        sqlite_db,
        built.round_id,
        tmp_path,
        ["pdf", "html", "xlsx", "png", "svg", "notice", "rectification"],
        renderer=renderer,
        progress=lambda done, total, label: steps.append((done, total, label)),
    )
    # 10 charts: every unit of the fixture has a 3-ballot 领导 group under the publication threshold, so its
    # option shares and 满意率 are not published and their two charts are not drawn (docs/reliability.md §9).
    assert result.images and result.messages == [] and result.charts == 10
    # One browser for everything: already running, still the same, 10 charts × (PNG + SVG) rendered on it.
    assert result.start_seconds == 0 and renderer._kaleido is browser and renderer.renders - before == 20
    names = {p.relative_to(tmp_path).as_posix() for p in result.files}
    report = "2026年第二季度考核结果报告"
    assert {
        f"{report}.pdf",
        f"{report}.html",
        f"{report}.xlsx",
        "2026年第二季度考核结果公示.txt",
        "2026年第二季度考核结果公示.pdf",
    } <= names
    pngs = sorted(p for p in result.files if p.suffix == ".png")
    assert len(pngs) == 10 and len([p for p in result.files if p.suffix == ".svg"]) == 10
    assert png_size((tmp_path / "图表" / "01-政府部门-排名.png").read_bytes()) == (900, 360)
    assert all(png_size(p.read_bytes())[0] == 900 for p in pngs)
    # The PDF: sections 政府部门 / 乡镇街道 / 自查与核查 / 问责名单 each start a page, so at least 4 pages.
    pages = pdf_pages((tmp_path / f"{report}.pdf").read_bytes())
    assert 4 <= pages <= 20, pages
    assert pdf_pages((tmp_path / "2026年第二季度考核结果公示.pdf").read_bytes()) >= 1
    for code in ("G02", "X04"):
        pdf = next(p for p in result.files if p.suffix == ".pdf" and p.name.startswith(code))
        assert pdf_pages(pdf.read_bytes()) == 1  # one rectification notice each
    assert not list(tmp_path.glob(".assess-report-*")) and not list(tmp_path.rglob("*.print.html"))
    # Progress: counted up to the announced total.
    assert steps[-1][0] == steps[-1][1] and [s[0] for s in steps] == sorted(s[0] for s in steps)


def test_renders_stay_identical_across_page_reuse_and_pdf(renderer):
    """kaleido's page is reused between figures and reloaded every RELOAD_EVERY figures and after a PDF:
    the same figure gives the same PNG every time, before and after a PDF export."""
    import plotly.graph_objects as go

    from assess.reports.images import RELOAD_EVERY

    fig = go.Figure(go.Bar(x=["甲", "乙"], y=[1, 2]))
    fig.update_layout(width=300, height=200, title="测试")
    first = renderer.render(fig, "png")
    for _ in range(RELOAD_EVERY + 2):
        assert renderer.render(fig, "png") == first
    assert pdf_pages(renderer.render(fig, "pdf")) == 1
    assert renderer.render(fig, "png") == first
