"""The audit screen's verification (F10, v) runs the same checks as ``assess audit verify``: a
ballot changed behind the application's back is reported there too."""

from __future__ import annotations

import sqlite3

from .reliability_helpers import drop_triggers, published_round
from .tui_helpers import SIZE, login, make_app, screen_text, settle


async def test_audit_screen_verifies_ballots_and_rounds(sqlite_db, tmp_path):
    built = published_round(sqlite_db, tmp_path)
    app = make_app(sqlite_db)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "reviewer")
        await pilot.press("f10")
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        text = screen_text(app)
        assert "审计链完整" in text and "已核对 3 个已核定选票批次" in text and "1 个已公示轮次" in text
        con = sqlite3.connect(sqlite_db.path)
        drop_triggers(con)
        con.execute("UPDATE tallycount SET count = count + 1 WHERE batch_id = ?", (built.import_batch,))
        con.commit()
        con.close()
        await pilot.press("v")
        await settle(pilot)
        text = screen_text(app)
        assert f"批次 #{built.import_batch}“I1”：计票数与由选票重新计票的结果不符" in text
