"""``assess audit verify``'s own checks read through Core (``Database.rows`` and
``assess.models.tables``): the audit chain, the ballot batches, the accounts, the 公示 snapshots and
the anchors file, and the published rounds (compared with their live rows and recomputed through
the engine) run in a fresh interpreter without the table classes, pydantic, the ORM or pandas."""

from __future__ import annotations

import json

from tests.fresh_helpers import HEAVY, run_fresh

CODE = f"""
import json, sys
from assess.foundation.db import Database

HEAVY = {HEAVY!r}
db = Database("sqlite:///" + sys.argv[1])
out = {{}}

def step(name, f):
    result = f()
    out[name] = {{"result": result, "loaded": [m for m in HEAVY if m in sys.modules]}}
    return result

from assess.foundation import audit
chain = step("audit.verify", lambda: audit.verify(db).message())
step("chain_head", lambda: list(audit.chain_head(db)))
from assess.integrity import verify
step("check_batches", lambda: list(verify.check_batches(db)))
from assess.foundation.accounts import verify_accounts
step("verify_accounts", lambda: verify_accounts(db))
step("check_anchors_file", lambda: verify.check_anchors_file(db, sys.argv[2]))
from assess.results.snapshot_check import verify_periods
step("verify_periods", lambda: list(verify_periods(db)))
print(json.dumps(out, ensure_ascii=False))
"""


def test_verify_checks_run_without_the_orm_or_pandas(demo_db, tmp_path):
    from assess.foundation import audit

    seq, head = audit.chain_head(demo_db)
    anchors = tmp_path / "anchors.txt"
    anchors.write_text(f"2026-01-01 {seq} {head}\n2026-01-02 {seq + 1} {'0' * 64}\n", encoding="utf-8")
    out = json.loads(run_fresh(CODE, str(demo_db.path), str(anchors)))

    assert out["audit.verify"]["result"] == f"审计链完整：{seq} 条记录，链头 #{seq} {head}"
    assert out["chain_head"]["result"] == [seq, head]
    assert out["check_batches"]["result"] == [7, []]
    assert out["verify_accounts"]["result"] == []
    assert out["check_anchors_file"]["result"] == [
        f"锚点文件 {anchors}：2026-01-02 的锚点（第 2 行）：审计链中已没有第 {seq + 1} 条记录（此后被截断）"
    ]
    assert out["verify_periods"]["result"] == [1, []]
    for name in (
        "audit.verify",
        "chain_head",
        "check_batches",
        "verify_accounts",
        "check_anchors_file",
        "verify_periods",  # the 公示 snapshots recomputed through the engine, on rows: no pandas either
    ):
        assert out[name]["loaded"] == [], name


def test_the_whole_command_runs_without_the_orm_or_pandas(demo_db):
    """``assess audit verify`` as a person runs it: every check, the published round compared with
    its live rows and recomputed from its snapshot, in a fresh interpreter that never loads the
    table classes, pydantic, the ORM or pandas."""
    code = (
        "import sys\n"
        "from assess.cli import main\n"
        "rc = main(['audit', 'verify', '--db', sys.argv[1]])\n"
        f"print('LOADED', rc, ','.join(m for m in {HEAVY + WRITE_SERVICES!r} if m in sys.modules))\n"
    )
    lines = run_fresh(code, str(demo_db.path)).splitlines()
    assert (
        "已核对 7 个已核定选票批次（由选票重新计票）、1 个已公示轮次（由快照重新计算）、1 个公示快照" in lines
    )
    assert "选票、计票与公示结果均与审计记录一致" in lines
    assert lines[-1] == "LOADED 0 "


# Services that write what verification reads: it re-applies their rules from modules of their own
# (appraisal.readings, rounds.scoring_rows, results.snapshot_check) and loads none of them.
WRITE_SERVICES = (
    "assess.appraisal.entry",
    "assess.appraisal.reconcile",
    "assess.appraisal.sessions",
    "assess.rounds.selfcheck",
    "assess.rounds.spotcheck",
    "assess.rounds.department_scoring",
    "assess.results.accountability",
    "assess.results.publication",
    "assess.results.publicity",
)


def test_a_tampered_batch_is_found_on_the_core_path(demo_db):
    """The findings are the same whichever reader runs them: a ballot changed behind the
    application's back is reported by the Core path too (the messages are pinned by the attack
    tests)."""
    import sqlite3

    con = sqlite3.connect(demo_db.path)
    with con:
        triggers = [
            r[0]
            for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'ballot'"
            )
        ]
        for name in triggers:
            con.execute(f"DROP TRIGGER {name}")
        batch_id, no = con.execute(
            "SELECT batch_id, min(ballot_no) FROM ballot WHERE status = 'valid' GROUP BY batch_id ORDER BY batch_id"
        ).fetchone()
        con.execute("UPDATE ballot SET status = 'void' WHERE batch_id = ? AND ballot_no = ?", (batch_id, no))
    con.close()
    code = (
        "import json, sys\n"
        "from assess.foundation.db import Database\n"
        "from assess.integrity.verify import check_batches\n"
        "checked, problems = check_batches(Database('sqlite:///' + sys.argv[1]))\n"
        f"print(json.dumps([checked, problems, [m for m in {HEAVY!r} if m in sys.modules]], ensure_ascii=False))\n"
    )
    checked, problems, loaded = json.loads(run_fresh(code, str(demo_db.path)))
    from assess.integrity.verify import check_batches

    assert (checked, problems) == check_batches(demo_db)
    assert checked == 7 and problems and all(f"批次 #{batch_id}" in p for p in problems)
    assert loaded == []


def test_a_target_deleted_behind_the_application_is_a_finding_not_a_crash(demo_db):
    """An appraisal target removed with its freeze trigger dropped leaves keyed ballots one mark
    wider than the session: verification reports it (exit 1) instead of stopping on an error."""
    import sqlite3

    from assess.cli import main

    con = sqlite3.connect(demo_db.path)
    with con:
        for (name,) in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'appraisaltarget'"
        ).fetchall():
            con.execute(f"DROP TRIGGER {name}")
        session_id, position = con.execute(
            "SELECT t.session_id, max(t.position) FROM appraisaltarget t JOIN ballotbatch b ON b.session_id = t.session_id "
            "WHERE b.source = 'paper' AND b.status = 'certified' GROUP BY t.session_id ORDER BY t.session_id"
        ).fetchone()
        con.execute(
            "DELETE FROM appraisaltarget WHERE session_id = ? AND position = ?", (session_id, position)
        )
    con.close()
    from assess.integrity.verify import verify_all

    report = verify_all(demo_db)
    assert not report.ok
    assert any("无法由两遍录入重新得出选票" in p for p in report.problems), report.problems
    assert main(["audit", "verify", "--db", str(demo_db.path)]) == 1
