"""The whole application on the demo database at 80×24: the dashboard tells what each round waits
for, and every area opens by its F-key and by its plain key without an error."""

from __future__ import annotations

import shutil

import pytest

from assess.db import Database
from assess.demo import DEMO_PASSWORD, build_demo
from screens.nav import AREAS

from .tui_helpers import SIZE, login, make_app, screen_text, settle


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    db = Database(f"sqlite:///{path}")
    db.upgrade(backup=False)
    build_demo(db)
    db.dispose()
    return path


@pytest.fixture
def demo_db(demo_template, tmp_path):
    path = tmp_path / "demo.db"
    shutil.copyfile(demo_template, path)
    db = Database(f"sqlite:///{path}")
    yield db
    db.dispose()


async def test_dashboard_shows_blockers_and_overdue(demo_db):
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "admin", DEMO_PASSWORD)
        await settle(pilot)
        text = screen_text(app)
        assert "2026-Q4" in text and "自查中" in text
        assert "18 个单位未提交自查" in text
        assert "逾期整改 1 项" in text
        assert "2026-Q3" not in text  # published rounds are not "in progress"


@pytest.mark.parametrize("area", [a for a in AREAS if a.name != "dashboard"], ids=lambda a: a.name)
async def test_every_area_opens_by_fkey_and_letter(demo_db, area):
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "admin", DEMO_PASSWORD)
        if area.fkey:
            await pilot.press(area.fkey)
            await settle(pilot)
            assert getattr(app.screen, "AREA", None) == area.name
            await pilot.press("f2")
            await settle(pilot)
            assert app.screen.AREA == "dashboard"
        await pilot.press(area.letter)
        await settle(pilot)
        assert getattr(app.screen, "AREA", None) == area.name
        assert screen_text(app).strip()


async def test_tally_view_prints_the_audit_anchor(demo_db):
    from assess import audit

    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "reviewer1", DEMO_PASSWORD)
        await pilot.press("b")
        await settle(pilot)
        await pilot.press("down")  # the annual 勤廉双述, held with the fourth quarter
        await pilot.press("t")
        await settle(pilot)
        await settle(pilot)
        seq, head = audit.chain_head(demo_db)
        text = screen_text(app)
        assert f"审计锚点：链头 #{seq} {head}" in text
        assert "唐树林" in text  # a target of that session is listed
