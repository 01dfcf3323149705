"""No one acts beyond their role: every action of ``assess.foundation.roles.ACTIONS`` is exercised through
the real service functions that perform it. Each role outside the action's allowed set is refused
with ``PermissionDenied`` and nothing is written (the audit chain head does not move); each allowed
role gets past authorization (the call succeeds or fails for another reason: a frozen round, a
missing file, a wrong stage). ``docs/roles.md`` holds the generated table and must be current.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from assess.appraisal import ballot_import, pledges
from assess.appraisal import entry as ballots
from assess.appraisal import reconcile as ballot_review
from assess.appraisal import sessions as appraisal
from assess.foundation import audit, users
from assess.foundation.errors import PermissionDenied
from assess.foundation.roles import ACTIONS, ROLES, Actor, roles_table_markdown
from assess.integrity import backup as maintenance
from assess.org import adjustments, units
from assess.org import blacklist as year
from assess.results import accountability, annual, publication, publicity
from assess.results import approval as review
from assess.results.compute import compute_round
from assess.rounds import deadlines, findings, selfcheck, spotcheck, verified
from assess.rounds import department_scoring as scorers
from assess.rounds import lifecycle as rounds
from assess.schemes.catalog import load_scheme
from assess.workflow import advance as workflow

from .reliability_helpers import published_round

DOC = Path(__file__).resolve().parent.parent / "docs" / "roles.md"


def service_calls(db, env, tmp: Path) -> dict[str, list[tuple[str, object]]]:
    """action → [(service function, call taking the actor)], with real ids and well-formed
    arguments (a refusal must come from the role, not from the arguments)."""
    rid, sid, paper = env.round_id, env.session_id, env.paper_batch
    csv = tmp / "x.csv"
    csv.write_text("unit_code,indicator_code,score\nU1,A,90\n", encoding="utf-8")
    units_csv = tmp / "units.csv"
    units_csv.write_text("code,name,category\nN1,新单位,政府部门\n", encoding="utf-8")
    cadres_csv = tmp / "cadres.csv"
    cadres_csv.write_text("code,name,unit_code,position\nG9,张三,U1,科长\n", encoding="utf-8")
    adj_csv = tmp / "adj.csv"
    adj_csv.write_text("unit_code,points,reason\nU1,1,表彰\n", encoding="utf-8")
    ballots_csv = tmp / "b.csv"
    ballots_csv.write_text(
        "batch,ballot_no,voter_group,target_code,choice\nZ1,1,fw,U1,满意\n", encoding="utf-8"
    )
    tallies_csv = tmp / "t.csv"
    tallies_csv.write_text("voter_group,target_code,choice,count\nzg,U1,满意,3\n", encoding="utf-8")
    return {
        "user.add": [("add_user", lambda a: users.add_user(db, a, "newbie", "clerk", "long-password-1"))],
        "user.deactivate": [("set_active", lambda a: users.set_active(db, a, "committee", True))],
        "user.password": [
            ("change_password", lambda a: users.change_password(db, a, "inspector", "new-password-99"))
        ],
        "user.unit": [("set_unit", lambda a: users.set_unit(db, a, "clerk", "U1"))],
        "unit.add": [("add_unit", lambda a: units.add_unit(db, a, f"N{a.username}", "新单位", "政府部门"))],
        "unit.edit": [("edit_unit", lambda a: units.edit_unit(db, a, "U3", name="民政局"))],
        "unit.deactivate": [("set_unit_active", lambda a: units.set_unit_active(db, a, "U3", True))],
        "unit.import": [("import_units", lambda a: units.import_units(db, a, units_csv))],
        "cadre.add": [
            ("add_cadre", lambda a: units.add_cadre(db, a, f"G{a.username}", "李四", "U1", "科员"))
        ],
        "cadre.edit": [("edit_cadre", lambda a: units.edit_cadre(db, a, "G0", position="科长"))],
        "cadre.deactivate": [("set_cadre_active", lambda a: units.set_cadre_active(db, a, "G0", True))],
        "cadre.import": [("import_cadres", lambda a: units.import_cadres(db, a, cadres_csv))],
        "scheme.load": [("load_scheme", lambda a: load_scheme(db, a, tmp / "missing.toml"))],
        "round.create": [("create_round", lambda a: rounds.create_round(db, a, "新轮次", "2027-Q1", 10**6))],
        "annual.create": [("create_annual_round", lambda a: annual.create_annual_round(db, a, 10**6, 2027))],
        "round.advance": [("advance", lambda a: workflow.advance(db, a, rid))],
        "selfcheck.enter": [("enter_score", lambda a: selfcheck.enter_score(db, a, rid, "U1", "A", 90))],
        "selfcheck.import": [("import_scores", lambda a: selfcheck.import_scores(db, a, rid, csv))],
        "selfcheck.submit": [
            ("submit", lambda a: selfcheck.submit(db, a, rid, "U1")),
            ("reopen", lambda a: selfcheck.reopen(db, a, rid, "U1", "补充材料")),
        ],
        "spotcheck.draw": [
            ("draw", lambda a: spotcheck.draw(db, a, rid, 1, ["12 34 56"])),
            ("draw_inspectors", lambda a: spotcheck.draw_inspectors(db, a, rid, 1, ["12 34 56"])),
        ],
        "spotcheck.void": [("void", lambda a: spotcheck.void(db, a, rid, "重抽"))],
        "spotcheck.enter": [("enter_verified", lambda a: verified.enter_verified(db, a, rid, "U1", "A", 80))],
        "spotcheck.import": [
            ("import_scores(verified)", lambda a: selfcheck.import_scores(db, a, rid, csv, kind="verified"))
        ],
        "score.enter": [("enter_dept_score", lambda a: scorers.enter_dept_score(db, a, rid, "U1", "A", 80))],
        "exemption.request": [
            ("request_exemption", lambda a: scorers.request_exemption(db, a, rid, "U1", "A", "不适用"))
        ],
        "exemption.decide": [("decide_exemption", lambda a: scorers.decide_exemption(db, a, 10**6, True))],
        "finding.add": [("add_finding", lambda a: findings.add_finding(db, a, rid, "U1", "公开栏未更新"))],
        "rectification.issue": [
            (
                "issue_rectification",
                lambda a: findings.issue_rectification(db, a, 10**6, date(2027, 1, 31), "更新"),
            )
        ],
        "rectification.update": [
            ("update_rectification", lambda a: findings.update_rectification(db, a, 10**6, "rectifying"))
        ],
        "rectification.close": [
            ("close_rectification", lambda a: findings.close_rectification(db, a, 10**6))
        ],
        "adjustment.add": [
            ("add_adjustment", lambda a: adjustments.add_adjustment(db, a, rid, "U1", 1, "表彰")),
            ("import_adjustments", lambda a: adjustments.import_adjustments(db, a, rid, adj_csv)),
        ],
        "discipline.add": [
            ("add_discipline", lambda a: adjustments.add_discipline(db, a, rid, "诫勉", unit_code="U1"))
        ],
        "appraisal.session": [
            ("create_session", lambda a: appraisal.create_session(db, a, rid, "unit", "补充评议")),
            ("set_targets", lambda a: appraisal.set_targets(db, a, sid, ["U1", "U2"])),
            ("set_attendance", lambda a: appraisal.set_attendance(db, a, sid, present=30)),
        ],
        "appraisal.statement": [
            ("set_statement", lambda a: appraisal.set_statement(db, a, sid, "G0", "述职")),
            ("add_question", lambda a: appraisal.add_question(db, a, sid, "G0", "问题")),
            ("answer_question", lambda a: appraisal.answer_question(db, a, 10**6, "回答")),
        ],
        "batch.create": [
            ("create_batch", lambda a: ballots.create_batch(db, a, sid, "fw", "新批次", 5, 5)),
            ("set_batch_counts", lambda a: ballots.set_batch_counts(db, a, paper, returned=8)),
        ],
        "ballot.enter": [
            ("open_pass", lambda a: ballots.open_pass(db, a, paper)),
            ("store_ballot", lambda a: ballots.store_ballot(db, a, 10**6, 1, "123")),
            ("delete_ballot", lambda a: ballots.delete_ballot(db, a, 10**6, 1)),
            ("close_pass", lambda a: ballots.close_pass(db, a, 10**6)),
        ],
        "ballot.import": [
            ("import_ballots", lambda a: ballot_import.import_ballots(db, a, sid, ballots_csv))
        ],
        "tally.import": [("import_tallies", lambda a: ballot_import.import_tallies(db, a, sid, tallies_csv))],
        "batch.resolve": [("resolve", lambda a: ballot_review.resolve(db, a, paper, [(3, 2, "3")]))],
        "batch.certify": [
            ("certify", lambda a: ballot_review.certify(db, a, paper)),
            ("certify_session", lambda a: appraisal.certify_session(db, a, sid)),
        ],
        "batch.void": [("void_batch", lambda a: ballots.void_batch(db, a, paper, "收回多于发出"))],
        "results.compute": [("compute_round", lambda a: compute_round(db, a, rid, resamples=0))],
        "accountability.decide": [
            ("decide", lambda a: accountability.decide(db, a, 10**6, "confirm", "核实"))
        ],
        "blacklist.enter": [
            ("enter_listing", lambda a: year.enter_listing(db, a, "enterprise", f"某公司{a.username}", "围标", date(2027, 1, 1)))
        ],
        "blacklist.exit": [("exit_listing", lambda a: year.exit_listing(db, a, 10**6, date(2027, 2, 1), "期满"))],
        "round.deadline": [("set_deadline", lambda a: deadlines.set_deadline(db, a, rid, "selfcheck", date(2027, 1, 31)))],
        "cadre.pledge": [("record_pledge", lambda a: pledges.record_pledge(db, a, "G0", 2027, "廉洁自律"))],
        "review.first": [("review(first)", lambda a: review.review(db, a, rid, "first"))],
        "review.audit": [("review(audit)", lambda a: review.review(db, a, rid, "audit"))],
        "review.recheck": [("review(recheck)", lambda a: review.review(db, a, rid, "recheck"))],
        "review.vote": [("vote", lambda a: review.vote(db, a, rid, 9, 8, 6, 1, 1))],
        "round.publish": [
            ("publish", lambda a: publication.publish(db, a, rid)),
            ("finalize", lambda a: publicity.finalize(db, a, rid)),
        ],
        "publicity.open": [("open_publicity", lambda a: publicity.open_publicity(db, a, rid))],
        "objection.add": [
            ("add_objection", lambda a: publicity.add_objection(db, a, rid, "有误", date(2026, 4, 1), "person", "张三"))
        ],
        "objection.answer": [
            ("answer_objection", lambda a: publicity.answer_objection(db, a, 10**6, "maintain", "核实"))
        ],
        "db.backup": [("backup", lambda a: maintenance.backup(db, a, tmp / f"backup-{a.username}.db"))],
        "db.restore": [("restore", lambda a: maintenance.restore(db, a, tmp / "no-such-backup.db"))],
    }


@pytest.fixture
def env(db, tmp_path):
    built = published_round(db, tmp_path)
    units.add_cadre(db, built.actors["admin"], "G0", "王五", "U1", "科长")
    return built


def test_every_action_refused_outside_its_roles_and_allowed_within(db, env, tmp_path):
    calls = service_calls(db, env, tmp_path)
    assert set(calls) == set(ACTIONS), set(ACTIONS) ^ set(calls)  # every action is exercised
    actors = {role: Actor(f"{role}-x", role) for role in ROLES}
    exercised = 0
    for action, (allowed, _desc) in ACTIONS.items():
        for name, call in calls[action]:
            for role, actor in actors.items():
                head = audit.chain_head(db)
                if role in allowed:
                    try:
                        call(actor)
                    except PermissionDenied as e:  # pragma: no cover - the assertion's message
                        pytest.fail(f"{action} {name}: role {role} is allowed but was refused: {e}")
                    except Exception:
                        pass  # past authorization: refused for another reason
                else:
                    with pytest.raises(PermissionDenied, match="无权限") as ei:
                        call(actor)
                    assert ROLES[role] in str(ei.value), (action, name, role)
                    assert audit.chain_head(db) == head, (action, name, role)  # nothing written
                exercised += 1
    assert exercised == len(ROLES) * sum(len(v) for v in calls.values())
    assert audit.verify(db).ok


def test_two_person_rules_for_ballots(db, tmp_path):
    """The clerk who keyed a batch cannot certify it; reviewers cannot key; an admin cannot
    certify; a clerk never sees another clerk's pass."""
    from .reliability_helpers import open_batch

    actors, _sid, bid = open_batch(db, returned=2)
    ctx = ballots.open_pass(db, actors["clerk"], bid)
    ballots.store_ballot(db, actors["clerk"], ctx.pass_id, 1, "1" + "2" * 11)
    ballots.store_ballot(db, actors["clerk"], ctx.pass_id, 2, "3" * 12)
    ballots.close_pass(db, actors["clerk"], ctx.pass_id)
    with pytest.raises(PermissionDenied, match="录入员"):
        ballot_review.certify(db, actors["clerk"], bid)
    with pytest.raises(PermissionDenied, match="审核员"):
        ballots.open_pass(db, actors["reviewer"], bid)
    with pytest.raises(PermissionDenied, match="管理员"):
        ballot_review.certify(db, actors["admin"], bid)
    with pytest.raises(PermissionDenied, match="自己的"):
        ballots.pass_ballots(db, actors["clerk2"], ctx.pass_id)
    with pytest.raises(PermissionDenied, match="自己的"):
        ballots.store_ballot(db, actors["clerk2"], ctx.pass_id, 3, "4" * 12)


def test_roles_doc_is_current():
    """docs/roles.md carries the table ``assess roles --format markdown`` prints; regenerate it
    with that command when ACTIONS changes."""
    text = DOC.read_text(encoding="utf-8")
    assert roles_table_markdown() in text
    table_lines = [line for line in text.splitlines() if line.startswith("| ") and "`" in line]
    assert len(table_lines) == len(ACTIONS)


def test_file_mode_and_idle_lock_are_covered_elsewhere():
    """The database file is created 0600 and the idle lock works: checked by the foundation and
    shell tests (named here so that removing them fails this test)."""
    here = Path(__file__).resolve().parent
    foundation = (here / "test_foundation_db.py").read_text(encoding="utf-8")
    shell = (here / "test_tui_shell.py").read_text(encoding="utf-8")
    assert "def test_new_sqlite_file_is_private" in foundation and "0o600" in foundation
    assert "def test_idle_lock_requires_password" in shell
