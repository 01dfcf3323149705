"""The report without Chromium (HTML, XLSX, CSV, notice text, and a message saying how to enable
images), the self-contained HTML, cancelling, format names, and the ``assess report`` command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assess.foundation.errors import AssessError
from assess.reports.bundle import ReportCancelled, build_report, parse_formats, safe_name
from assess.reports.images import ChartRenderer, chromium_path

from .reports_fixtures import build_round

REPORT = "2026年第二季度考核结果报告"


@pytest.fixture
def no_chromium(monkeypatch, tmp_path):
    """Point the Chromium lookup at a path that does not exist."""
    missing = tmp_path / "no-such-chromium"
    monkeypatch.setenv("ASSESS_CHROMIUM", str(missing))
    assert chromium_path() is None
    return missing


def test_without_chromium_html_and_xlsx_still_written(db, tmp_path, no_chromium):
    built = build_round(db)
    out = tmp_path / "out"
    result = build_report(
        db, built.round_id, out, ["pdf", "html", "xlsx", "png", "csv", "notice"], renderer=ChartRenderer()
    )
    names = sorted(p.relative_to(out).as_posix() for p in result.files)
    assert names == sorted(
        [f"{REPORT}.html", f"{REPORT}.xlsx", "2026年第二季度考核-排名.csv", "2026年第二季度考核结果公示.txt"]
    )
    assert not result.images
    message = result.summary()
    assert "未找到 Chromium" in message and str(no_chromium) in message
    assert "apt-get install chromium fonts-wqy-microhei" in message and "ASSESS_CHROMIUM" in message


def test_html_is_self_contained_and_escaped(sqlite_db, tmp_path, no_chromium):
    built = build_round(sqlite_db)
    build_report(sqlite_db, built.round_id, tmp_path, ["html"])
    html = (tmp_path / f"{REPORT}.html").read_text(encoding="utf-8")
    assert "<script src=" not in html.replace(" ", "")  # plotly.js is inlined: works offline
    # One live chart each; no option-share chart: every unit has the 3-vote 领导 group, so only its
    # score is published (docs/reliability.md §9).
    assert html.count("Plotly.newPlot(") == 10
    assert html.count("plotly.js v") >= 1 and len(html) > 3_000_000  # the bundle, embedded
    assert "<b>审计局</b>" not in html and "&lt;b&gt;审计局&lt;/b&gt;" in html
    assert "=SUM(A1)" in html and "数据快照哈希" in html and "5a5a5a5a" in html
    for words in (
        "审核审批记录",
        "初审",
        "审议票决",
        "问责名单",
        "综合得分低于 60 分：不合格",
        "干部民主测评",
        "张建国",
    ):
        assert words in html, words
    assert "审核稿" not in html


def test_unpublished_round_report_is_marked_draft(sqlite_db, tmp_path, no_chromium):
    built = build_round(sqlite_db, published=False)
    result = build_report(sqlite_db, built.round_id, tmp_path, ["html", "notice"])
    html = (tmp_path / f"{REPORT}.html").read_text(encoding="utf-8")
    assert "审核稿（未公示，不得外传）" in html and "尚未公示，无快照" in html
    assert [p.name for p in result.files] == [f"{REPORT}.html"]
    assert "尚未公示，未生成公示通知" in result.summary()


def test_cancel_leaves_nothing(sqlite_db, tmp_path, no_chromium):
    built = build_round(sqlite_db)
    calls = []

    def progress(done, total, label):
        calls.append(label)

    # Cancelled once the charts are planned: the XLSX and HTML steps never run, nothing is moved into place.
    with pytest.raises(ReportCancelled, match="已取消导出"):
        build_report(
            sqlite_db,
            built.round_id,
            tmp_path / "out",
            ["html", "xlsx"],
            progress=progress,
            cancelled=lambda: len(calls) >= 2,
        )
    assert calls == ["读取考核结果", "绘制图表"]
    assert list((tmp_path / "out").iterdir()) == []


def test_format_names_and_file_names():
    assert parse_formats("PDF, html,,xlsx,pdf") == ["pdf", "html", "xlsx"]
    with pytest.raises(AssessError, match="未知的导出格式“odt”"):
        parse_formats("pdf,odt")
    with pytest.raises(AssessError, match="至少选择一种"):
        parse_formats(" , ")
    assert safe_name("../a/b:c*?") == "_a_b_c_"
    assert safe_name("..") == "未命名"


def _assess(args: list[str], env_extra: dict[str, str]) -> subprocess.CompletedProcess:
    env = {**os.environ, **env_extra}
    return subprocess.run(
        [sys.executable, "-m", "assess", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=Path(__file__).resolve().parent.parent,
    )


def test_cli_report(sqlite_db, tmp_path):
    build_round(sqlite_db)
    env = {"ASSESS_CHROMIUM": str(tmp_path / "missing-chromium")}
    out = tmp_path / "out"
    done = _assess(
        [
            "report",
            "--db",
            sqlite_db.url,
            "--round",
            "2026-Q2",
            "--out",
            str(out),
            "--format",
            "pdf,html,xlsx,png,notice",
            "--phone",
            "0571-12345678",
        ],
        env,
    )
    assert done.returncode == 0, done.stderr
    paths = done.stdout.split()
    assert sorted(Path(p).name for p in paths) == sorted(
        [f"{REPORT}.html", f"{REPORT}.xlsx", "2026年第二季度考核结果公示.txt"]
    )
    assert all(Path(p).exists() for p in paths)
    # Files written for people are the office's alone, like the database (0600).
    assert all(Path(p).stat().st_mode & 0o777 == 0o600 for p in paths), [oct(Path(p).stat().st_mode) for p in paths]
    assert "[0/" in done.stderr and "读取考核结果" in done.stderr  # progress on stderr
    assert "apt-get install chromium" in done.stderr
    assert "0571-12345678" in (out / "2026年第二季度考核结果公示.txt").read_text(encoding="utf-8")

    as_json = _assess(
        [
            "report",
            "--db",
            sqlite_db.url,
            "--round",
            "2026年第二季度考核",
            "--out",
            str(out),
            "--format",
            "csv",
            "--json",
            "--quiet",
        ],
        env,
    )
    assert as_json.returncode == 0, as_json.stderr
    payload = json.loads(as_json.stdout)
    assert [Path(f).name for f in payload["files"]] == ["2026年第二季度考核-排名.csv"] and payload[
        "charts"
    ] == 10  # no option-share chart (see test_html_is_self_contained_and_escaped)

    bad = _assess(
        ["report", "--db", sqlite_db.url, "--round", "2026-Q2", "--out", str(out), "--format", "pdf,odt"],
        env,
    )
    assert bad.returncode == 1 and bad.stderr.strip().splitlines()[-1].startswith("错误：未知的导出格式")
    missing = _assess(["report", "--db", sqlite_db.url, "--round", "2030-Q1", "--out", str(out)], env)
    assert missing.returncode == 1 and "2030-Q1" in missing.stderr and "不存在" in missing.stderr


def test_each_chart_is_rendered_once_where_possible():
    from assess.reports.bundle import image_formats

    assert image_formats(["pdf", "html"]) == ["svg"]  # vector charts in the PDF
    assert image_formats(["pdf", "png"]) == ["png"]  # the PNG files are embedded in the PDF as well
    assert image_formats(["png", "svg", "pdf"]) == ["png", "svg"]
    assert image_formats(["html", "xlsx", "notice"]) == []
