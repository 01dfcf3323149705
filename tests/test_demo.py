"""The demo database is built end to end through the services and is internally consistent."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import text

from assess.foundation import audit
from assess.foundation.db import Database


def test_demo_builds_a_consistent_database(tmp_path):
    path = tmp_path / "demo.db"
    r = subprocess.run([sys.executable, "-m", "assess", "demo", "--db", str(path), "--no-tui"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    db = Database(f"sqlite:///{path}")
    try:
        with db.read() as s:
            c = s.connection()
            assert c.execute(text("SELECT count(*) FROM unit")).scalar() == 40
            assert c.execute(text("SELECT count(*) FROM cadre")).scalar() == 80
            roles = {r for (r,) in c.execute(text("SELECT DISTINCT role FROM app_user"))}
            assert roles == {"admin", "clerk", "inspector", "reviewer", "committee"}
            stages = dict(c.execute(text("SELECT period, stage FROM round")).all())
            assert stages == {"2026-Q3": "published", "2026-Q4": "selfcheck_open"}
            q3 = c.execute(text("SELECT id FROM round WHERE period = '2026-Q3'")).scalar()
            assert c.execute(text("SELECT count(*) FROM unitresult WHERE round_id = :r"), {"r": q3}).scalar() == 40
            assert c.execute(text("SELECT count(*) FROM ballot")).scalar() > 100
            assert c.execute(text("SELECT count(*) FROM snapshot WHERE round_id = :r"), {"r": q3}).scalar() == 1
            # Q3 went through 公示 (Mon 23 – Fri 27 November) with one objection answered, then 定稿.
            periods = c.execute(text("SELECT starts_on, ends_on FROM publicityperiod WHERE round_id = :r"),
                                {"r": q3}).all()
            assert [(str(a), str(b)) for a, b in periods] == [("2026-11-23", "2026-11-27")]
            assert c.execute(text("SELECT decision FROM objection WHERE round_id = :r"), {"r": q3}).scalars().all() == [
                "maintain"
            ]
            flags = " ".join(str(f) for (f,) in c.execute(text("SELECT flags FROM unitresult")))
            # ygg_2014 has no veto: its seed words 不公开或假公开 as 严肃追究责任, not 一票否决.
            assert "false_report" in flags and "veto" not in flags
        assert audit.verify(db).ok
        from assess.results.snapshot_check import verify_snapshot

        check = verify_snapshot(db, q3)
        assert getattr(check, "ok", False), check
        from assess.demo.office import DEMO_UNITS
        from assess.results.consequences import round_consequences

        rows = round_consequences(db, q3).rows
        assert sum(1 for r in rows if r["rule"] == "Y02") == len(DEMO_UNITS)  # one 末位 per category
    finally:
        db.dispose()
    # Running it again on the same database does not duplicate anything.
    r = subprocess.run([sys.executable, "-m", "assess", "demo", "--db", str(path), "--no-tui"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0 and "已存在" in r.stderr
