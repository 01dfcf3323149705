"""The demo reads like a real county's quarter (docs/documents.md): notices dated before their
deadlines, real job titles, the annual 勤廉双述 at the year end, and documents whose reasons are
sentences."""

from __future__ import annotations

import shutil

import pytest
from sqlmodel import select

from assess.foundation.db import Database


@pytest.fixture(scope="module")
def demo(tmp_path_factory, demo_template):
    """A copy of the demo database (built once per test process, ``tests/conftest.py``)."""
    path = tmp_path_factory.mktemp("demo-docs") / "demo.db"
    shutil.copyfile(demo_template, path)
    db = Database(f"sqlite:///{path}")
    yield db
    db.dispose()


def test_dates_titles_and_the_annual_statements(demo):
    from assess.appraisal.sessions import statements
    from assess.models import AppraisalSession, Cadre, Rectification, Round
    from assess.rounds.findings import local_date

    with demo.read() as s:
        rects = s.exec(select(Rectification)).all()
        positions = [c.position for c in s.exec(select(Cadre))]
        rounds = {r.id: r.period for r in s.exec(select(Round))}
        sessions = [(rounds[a.round_id], a.kind, a.name, a.held_on, a.id) for a in s.exec(select(AppraisalSession))]
    assert rects and all(local_date(r.issued_at) <= r.deadline for r in rects)
    assert not [p for p in positions if "（" in p or "、" in p]  # no 党（工）委书记, 镇（乡、街道）长
    assert "西湖镇镇长" in positions and "城关街道办事处主任" in positions and "青石乡乡长" in positions
    cadre = [x for x in sessions if x[1] == "cadre"]
    assert len(cadre) == 1 and cadre[0][0] == "2026-Q4" and cadre[0][2].startswith("2026年度")
    assert cadre[0][3].month == 12
    texts = [st.summary for st in statements(demo, cadre[0][4])]
    assert texts and all("2026年度" in t and "季度" not in t for t in texts)
    unit = sorted((x for x in sessions if x[1] == "unit"), key=lambda x: x[0])
    assert [(p, n[:9]) for p, _k, n, _h, _i in unit] == [("2026-Q3", "2026年第三季度"), ("2026-Q4", "2026年第四季度")]
    assert all(h is not None for *_x, h, _i in unit)


def test_demo_documents_have_sentences(demo, tmp_path):
    from assess.models import Round
    from assess.reports.data import load_report_data
    from assess.reports.official import accountability_doc, bulletin_doc, rectification_docs

    with demo.read() as s:
        q3 = s.exec(select(Round.id).where(Round.period == "2026-Q3")).one()
    data = load_report_data(demo, q3)
    assert not data.accountability.empty
    for doc in [bulletin_doc(demo, data), accountability_doc(data), *rectification_docs(demo, q3)]:
        for text in doc.texts():
            assert "{" not in text and "[" not in text and "2026-Q" not in text, text
    reasons = data.accountability["figures"].tolist()
    assert any("逾期" in r and "整改期限为2026年11月15日" in r for r in reasons), reasons
