"""Attacks on a published round (docs/reliability.md, "已公示轮次"), each reproduced on the demo
database (``assess demo``: round 2026-Q3 published) as someone holding a copy of the database
would make it, on SQLite and PostgreSQL:

- edits made after publication with the freeze triggers out of the way (dropped on SQLite,
  ``session_replication_role = replica`` on PostgreSQL): each is reported by ``assess audit verify``
  (exit 1, with ``--anchor`` too) and ``assess snapshot verify``, and the regenerated 公示 notice
  still shows the published data;
- every table that belongs to a round has its freeze trigger at head (listed from the models, so a
  new table cannot be forgotten), and a plain UPDATE of a published round's row is refused;
- renaming a unit or a cadre (an ordinary edit) leaves the published notice, ranking and
  accountability list as published;
- a mutation of each field of a snapshot is found by the comparison with the live rows or by the
  recomputation from the frozen inputs; the master-data fields (names as published) by the hash.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
from pathlib import Path

import pytest

from assess.foundation import audit
from assess.foundation.db import Database
from tests.reliability_helpers import drop_triggers
from tests.results_helpers import run_cli

# Tables that belong to a round but stay writable after publication (docs/reliability.md): the
# follow-up of a finding's rectification notice outlives the round.
WRITABLE_AFTER_PUBLICATION = {"rectification", "rectificationevent"}
# Tables with their own publication rules: the snapshot (never changes), the round row (k001).
SPECIAL = {"snapshot", "round"}


def round_owned_tables() -> set[str]:
    """Every table with a foreign key to ``round`` or to a table that belongs to a round, from the
    models' metadata (``round.corrects_round_id`` and the scheme a round uses are not ownership)."""
    from sqlmodel import SQLModel

    from assess.models import load_all

    load_all()  # the classes are built on first use: build them all, or the metadata is empty
    tables = SQLModel.metadata.tables
    assert "round" in tables
    owned = {"round"}
    changed = True
    while changed:
        changed = False
        for name, table in tables.items():
            if name in owned:
                continue
            if any(fk.column.table.name in owned for fk in table.foreign_keys):
                owned.add(name)
                changed = True
    return owned - {"round"}


def freeze_triggers(db: Database) -> dict[str, set[str]]:
    """table → the events (INSERT, UPDATE, DELETE) a publication-freeze trigger covers."""
    from sqlalchemy import text

    out: dict[str, set[str]] = {}
    with db.read() as s:
        conn = s.connection()
        if db.engine.dialect.name == "postgresql":
            rows = conn.execute(
                text(
                    "SELECT event_object_table, event_manipulation, trigger_name FROM information_schema.triggers"
                )
            ).all()
        else:
            rows = []
            for table, name, sql in conn.execute(
                text("SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'trigger'")
            ):
                head = sql.upper().split(" ON ")[0]
                rows += [(table, ev, name) for ev in ("INSERT", "UPDATE", "DELETE") if f"BEFORE {ev}" in head]
    for table, event, name in rows:
        if "_frozen_" in name:  # k_frozen_*, p_frozen_*, t_frozen_*: one naming rule for freeze triggers
            out.setdefault(table, set()).add(event.upper())
    return out


def test_round_owned_tables_are_listed_from_the_models():
    owned = round_owned_tables()
    # the tables the attack reports named, and the ballot tables under a session
    for t in (
        "appraisaltarget",
        "approvalvote",
        "reviewstep",
        "sessionvotergroup",
        "appraisalsession",
        "cadrestatement",
        "finding",
        "disciplineaction",
        "roundunit",
        "spotcheckdraw",
        "ballot",
        "passballot",
        "tallycount",
        "rectificationevent",
    ):
        assert t in owned, t
    assert "unit" not in owned and "cadre" not in owned and "schemeversion" not in owned


def test_every_round_owned_table_has_its_freeze_trigger(db):
    triggers = freeze_triggers(db)
    missing = {
        t: sorted({"INSERT", "UPDATE", "DELETE"} - triggers.get(t, set()))
        for t in sorted(round_owned_tables() - WRITABLE_AFTER_PUBLICATION - SPECIAL)
        if {"INSERT", "UPDATE", "DELETE"} - triggers.get(t, set())
    }
    assert missing == {}
    assert {"UPDATE", "DELETE"} <= triggers["round"] and {"UPDATE", "DELETE"} <= triggers["snapshot"]
    assert not (triggers.keys() & WRITABLE_AFTER_PUBLICATION)


# -- the demo database -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory) -> tuple[Path, int]:
    """(checkpointed SQLite file holding the demo data, id of the published round)."""
    from assess.demo.office import build_demo

    path = tmp_path_factory.mktemp("attack") / "demo.db"
    db = Database(f"sqlite:///{path}")
    db.upgrade(backup=False)
    rid = build_demo(db, annual_published=True).round_ids[0]
    db.dispose()
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path, rid


def notice(db: Database, round_id: int) -> str:
    from assess.reports.data import load_report_data
    from assess.reports.notices import publication_notice

    return publication_notice(load_report_data(db, round_id))


def outputs(db: Database, round_id: int) -> dict:
    """What a published round shows: the notice, the ranking rows, the accountability list, the
    review status."""
    from sqlmodel import select

    from assess.appraisal.session_info import session_info
    from assess.models import AppraisalSession
    from assess.results import accountability
    from assess.results import approval as review
    from assess.results.ranking import ranking

    rk = ranking(db, round_id)
    st = review.status(db, round_id)
    with db.read() as s:
        sids = list(
            s.exec(
                select(AppraisalSession.id)
                .where(AppraisalSession.round_id == round_id)
                .order_by(AppraisalSession.id)
            )
        )
    return {
        "targets": [
            (sid, [(t.position, t.code, t.name, t.detail) for t in session_info(db, sid).targets])
            for sid in sids
        ],
        "notice": notice(db, round_id),
        "ranking": [(r.unit_code, r.unit_name, r.category, r.rank, r.grade, r.composite) for r in rk.rows],
        "accountability": [
            (e.id, e.unit_code, e.unit_name, e.cadre_code, e.cadre_name, e.status)
            for e in accountability.list_entries(db, round_id)
        ],
        "review": [(x.step, x.by_user, x.decision, x.at) for x in st.chain],
        "vote": st.last_vote,
    }


# One edit per kind named in the attack report; ``{r}`` is the published round's id. Where SQLite
# and PostgreSQL differ (JSON columns), a pair (sqlite, postgresql).
ATTACKS: dict[str, str | tuple[str, str]] = {
    "cadre grades swapped": (
        "UPDATE cadreresult SET grade = CASE id WHEN (SELECT min(id) FROM cadreresult WHERE round_id = {r}) "
        "THEN (SELECT grade FROM cadreresult WHERE round_id = {r} AND grade <> (SELECT grade FROM cadreresult "
        "WHERE id = (SELECT min(id) FROM cadreresult WHERE round_id = {r})) ORDER BY id LIMIT 1) "
        "ELSE (SELECT grade FROM cadreresult WHERE id = (SELECT min(id) FROM cadreresult WHERE round_id = {r})) END "
        "WHERE id IN ((SELECT min(id) FROM cadreresult WHERE round_id = {r}), (SELECT id FROM cadreresult "
        "WHERE round_id = {r} AND grade <> (SELECT grade FROM cadreresult WHERE id = (SELECT min(id) FROM "
        "cadreresult WHERE round_id = {r})) ORDER BY id LIMIT 1))"
    ),
    "accountability entry moved to another cadre": (
        "UPDATE accountabilityentry SET cadre_id = (SELECT min(c.id) FROM cadre c WHERE c.id <> accountabilityentry.cadre_id) "
        "WHERE id = (SELECT min(id) FROM accountabilityentry WHERE round_id = {r} AND cadre_id IS NOT NULL)"
    ),
    "accountability entry moved to another unit": (
        "UPDATE accountabilityentry SET unit_id = (SELECT max(unit_id) FROM roundunit WHERE round_id = {r}) "
        "WHERE id = (SELECT min(id) FROM accountabilityentry WHERE round_id = {r} AND cadre_id IS NULL "
        "AND unit_id <> (SELECT max(unit_id) FROM roundunit WHERE round_id = {r}))"
    ),
    "approval vote counts": "UPDATE approvalvote SET yes = yes - 2, no = no + 2 WHERE round_id = {r}",
    "review step signer": (
        "UPDATE reviewstep SET by_user = 'admin' WHERE id = (SELECT min(id) FROM reviewstep WHERE round_id = {r})"
    ),
    "unit category in results": (
        "UPDATE unitresult SET category = '另一类' WHERE id = (SELECT min(id) FROM unitresult WHERE round_id = {r})"
    ),
    "unit component in results": (
        "UPDATE unitresult SET components = json_set(components, '$.appraisal', 99.0) "
        "WHERE id = (SELECT min(id) FROM unitresult WHERE round_id = {r})",
        "UPDATE unitresult SET components = jsonb_set(components::jsonb, '{{appraisal}}', '99.0')::json "
        "WHERE id = (SELECT min(id) FROM unitresult WHERE round_id = {r})",
    ),
    "self-check score": (
        "UPDATE selfcheckscore SET value = value + 1 WHERE id = (SELECT min(id) FROM selfcheckscore WHERE round_id = {r})"
    ),
    "spot-check score": (
        "UPDATE spotcheckscore SET value = value + 1 WHERE id = (SELECT min(id) FROM spotcheckscore WHERE round_id = {r})"
    ),
    "extra adjustment": (
        "INSERT INTO adjustment (round_id, unit_id, points, reason, created_at, created_by) "
        "SELECT {r}, min(unit_id), 5, '补记', CURRENT_TIMESTAMP, 'admin' FROM roundunit WHERE round_id = {r}"
    ),
    "scheme version edit": (
        "UPDATE schemeversion SET definition = json_set(definition, '$.bands[0].max', 110) "
        "WHERE id = (SELECT scheme_version_id FROM round WHERE id = {r})",
        "UPDATE schemeversion SET definition = jsonb_set(definition::jsonb, '{{bands,0,max}}', '110')::json "
        "WHERE id = (SELECT scheme_version_id FROM round WHERE id = {r})",
    ),
    "appraisal targets swapped": (
        "UPDATE appraisaltarget SET unit_id = CASE id "
        "WHEN (SELECT min(t.id) FROM appraisaltarget t JOIN appraisalsession s ON s.id = t.session_id "
        "WHERE s.round_id = {r} AND s.kind = 'unit') "
        "THEN (SELECT unit_id FROM appraisaltarget WHERE id = (SELECT min(t.id) + 1 FROM appraisaltarget t "
        "JOIN appraisalsession s ON s.id = t.session_id WHERE s.round_id = {r} AND s.kind = 'unit')) "
        "ELSE (SELECT unit_id FROM appraisaltarget WHERE id = (SELECT min(t.id) FROM appraisaltarget t "
        "JOIN appraisalsession s ON s.id = t.session_id WHERE s.round_id = {r} AND s.kind = 'unit')) END "
        "WHERE id IN (SELECT min(t.id) FROM appraisaltarget t JOIN appraisalsession s ON s.id = t.session_id "
        "WHERE s.round_id = {r} AND s.kind = 'unit') OR id = (SELECT min(t.id) + 1 FROM appraisaltarget t "
        "JOIN appraisalsession s ON s.id = t.session_id WHERE s.round_id = {r} AND s.kind = 'unit')"
    ),
}


def _sql(attack: str | tuple[str, str], dialect: str, round_id: int) -> str:
    sql = attack if isinstance(attack, str) else attack[0 if dialect == "sqlite" else 1]
    return sql.format(r=round_id)


def _tampered_sqlite_copy(src: Path, dest: Path, sql: str) -> None:
    shutil.copyfile(src, dest)
    con = sqlite3.connect(dest)
    drop_triggers(con)
    cur = con.execute(sql)
    assert cur.rowcount > 0, sql
    con.commit()
    con.close()


def test_demo_round_verifies_clean_before_any_attack(demo_file):
    path, _rid = demo_file
    rc, out, err = run_cli(["audit", "verify", "--db", str(path)])
    assert rc == 0, out + err
    assert "1 个已公示轮次" in out


@pytest.mark.parametrize("what", sorted(ATTACKS))
def test_post_publication_edit_is_detected_and_outputs_stay_published(demo_file, tmp_path, what, monkeypatch):
    from assess.demo.office import DEMO_PASSWORD

    path, rid = demo_file
    db = Database(f"sqlite:///{path}")
    try:
        before = outputs(db, rid)
        _seq, head = audit.chain_head(db)
    finally:
        db.dispose()
    copy = tmp_path / "attacked.db"
    _tampered_sqlite_copy(path, copy, _sql(ATTACKS[what], "sqlite", rid))
    rc, out, err = run_cli(["audit", "verify", "--db", str(copy), "--anchor", head])
    assert rc == 1 and "错误：" in err, (what, out, err)
    monkeypatch.setenv("ASSESS_PASSWORD", DEMO_PASSWORD)
    rc, out, err = run_cli(["snapshot", "verify", "--round", str(rid), "--db", str(copy), "--user", "admin"])
    assert rc == 1 and "快照核验失败" in err, (what, out, err)
    tampered = Database(f"sqlite:///{copy}")
    try:
        assert outputs(tampered, rid) == before, what
    finally:
        tampered.dispose()
    for sid, _targets in before["targets"]:
        assert tally_text(copy, sid) == tally_text(path, sid), (what, sid)


def test_plain_update_of_a_published_round_row_is_refused_on_every_round_table(demo_file, tmp_path):
    """With the triggers in place, a plain UPDATE (no service) of each round-owned table's row of the
    published round is refused by the database."""
    path, rid = demo_file
    copy = tmp_path / "plain.db"
    shutil.copyfile(path, copy)
    con = sqlite3.connect(copy)
    refused, tried = [], []
    try:
        for table in sorted(round_owned_tables() - WRITABLE_AFTER_PUBLICATION - SPECIAL):
            if not con.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchall():
                continue
            cols = [r[1] for r in con.execute(f"PRAGMA table_info({table})")]
            if "round_id" in cols and not con.execute(f"SELECT 1 FROM {table} WHERE round_id = ?", (rid,)).fetchall():
                continue  # rows of the unpublished round only (the demo's Q4 stage deadline): nothing published
            col = next(c for c in cols if c != "id")
            tried.append(table)
            try:
                con.execute(f"UPDATE {table} SET {col} = {col}")
            except sqlite3.DatabaseError as e:
                # the ballot tables' own guard (certified batches, b001) may refuse first
                assert any(m in str(e) for m in ("已公示冻结", "一经核定", "已核定的选票批次")), (table, e)
                refused.append(table)
            con.rollback()
    finally:
        con.close()
    # the demo's unpublished round 2026-Q4 shares some tables: those refuse because the statement
    # also touches the published round's rows
    assert refused == tried
    assert {
        "appraisaltarget",
        "approvalvote",
        "reviewstep",
        "sessionvotergroup",
        "appraisalsession",
        "cadrestatement",
        "finding",
        "roundunit",
        "spotcheckdraw",
    } <= set(tried)


def test_renaming_a_unit_or_cadre_leaves_the_published_outputs_as_published(demo_file, tmp_path):
    from assess.demo.office import demo_actors
    from assess.org import units

    path, rid = demo_file
    copy = tmp_path / "rename.db"
    shutil.copyfile(path, copy)
    db = Database(f"sqlite:///{copy}")
    try:
        before = outputs(db, rid)
        before_rename = {sid: tally_text(copy, sid) for sid, _t in before["targets"]}
        unit_code, unit_name = before["ranking"][0][0], before["ranking"][0][1]
        cadre = next(e for e in before["accountability"] if e[3])
        admin = demo_actors()["admin"]
        units.edit_unit(db, admin, unit_code, name="改名后的单位")
        units.edit_cadre(db, admin, cadre[3], name="改名后的干部", position="新职务")
        after = outputs(db, rid)
        assert after == before
        for sid, _targets in before["targets"]:
            assert tally_text(copy, sid) == before_rename[sid]
        assert unit_name in after["notice"] and "改名后的单位" not in after["notice"]
        assert "改名后" not in str(after)
        # an ordinary edit of the master data is not tampering
        assert run_cli(["audit", "verify", "--db", str(copy)])[0] == 0
    finally:
        db.dispose()


def test_cadre_history_of_a_later_tally_reads_the_published_round(demo_file, tmp_path):
    """A later round's cadre tally sheet shows each cadre's earlier results (不称职 streaks). For a
    published round they come from its snapshot (targets, certified counts, recorded grades):
    edits of the live rows after publication, triggers dropped, do not change the sheet."""
    from sqlmodel import select

    from assess.appraisal import sessions as appraisal
    from assess.appraisal import tally
    from assess.demo.office import demo_actors
    from assess.models import AppraisalSession, Round

    path, rid = demo_file
    copy = tmp_path / "history.db"
    shutil.copyfile(path, copy)
    db = Database(f"sqlite:///{copy}")
    try:
        with db.read() as s:
            cadre_sid = s.exec(
                select(AppraisalSession.id).where(AppraisalSession.round_id == rid, AppraisalSession.kind == "cadre")
            ).first()
            later = s.exec(select(Round.id).where(Round.id != rid).order_by(Round.id)).first()
        codes = tally.session_tally(db, cadre_sid).targets["target_code"].tolist()[:4]
        sid = appraisal.create_session(
            db, demo_actors()["clerk1"], later, "cadre", "下一期勤廉双述", target_codes=codes, expected=30, present=30
        )

        def history():
            t = tally.session_tally(db, sid).targets
            return t[["target_code", "history", "prior_unfit_streak"]].to_dict("records")

        before = history()
        assert all(h["history"] and "不称职" in h["history"] for h in before)  # 2026-Q3:非不称职
        con = sqlite3.connect(copy)
        drop_triggers(con)
        # Every earlier grade made 不称职; one grade deleted and 1000 不称职 marks added to the
        # session's counts (the fallback when a grade is missing).
        assert con.execute("UPDATE cadreresult SET grade = '不称职' WHERE round_id = ?", (rid,)).rowcount
        con.execute("DELETE FROM cadreresult WHERE round_id = ? AND cadre_id = (SELECT MIN(cadre_id) "
                    "FROM cadreresult WHERE round_id = ?)", (rid, rid))
        assert con.execute("UPDATE tallysum SET count = 1000 WHERE session_id = ? AND choice = 4", (cadre_sid,)).rowcount
        con.commit()
        con.close()
        db.dispose()
        db = Database(f"sqlite:///{copy}")
        assert history() == before
    finally:
        db.dispose()


def tally_text(path: Path, session_id: int) -> str:
    """``assess ballots tally`` of a session without its last line (the audit anchor moves with
    every audited edit)."""
    rc, out, err = run_cli(["ballots", "tally", "--session", str(session_id), "--db", str(path)])
    assert rc == 0, err
    return "\n".join(out.strip().splitlines()[:-1])


# -- the mutation test over the snapshot's fields -----------------------------------------------------


def _leaves(obj, path=()):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(obj, list) and obj:
        for i, v in enumerate(obj):
            yield from _leaves(v, (*path, i))
    else:
        yield path, obj


def _mutated(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return value + "改"
    if value is None:
        return 1
    return ["改"]  # an empty list or dict


def _set(obj, path, value):
    for p in path[:-1]:
        obj = obj[p]
    obj[path[-1]] = value


def _kind(path) -> tuple:
    return tuple("*" if isinstance(p, int) else p for p in path)


def mutation_figures(db: Database, round_id: int, seed: int = 11) -> dict:
    """Mutate each field of the snapshot (every distinct field path, up to three instances each:
    first, last and one drawn at random), and each list (one element removed), and count those the
    comparison with the live rows and the recomputation find."""
    import copy

    from sqlmodel import select

    from assess.models import Snapshot
    from assess.results.round_view import live_content
    from assess.results.snapshot_check import compare_with_live, is_master_field, recompute_problems

    with db.read() as s:
        content = s.exec(select(Snapshot.content).where(Snapshot.round_id == round_id)).one()
        live = live_content(s, round_id)
    assert compare_with_live(content, live) == [] and recompute_problems(content) == []
    rng = random.Random(seed)
    by_kind: dict[tuple, list[tuple]] = {}
    for path, _v in _leaves(content):
        by_kind.setdefault(_kind(path), []).append(path)
    chosen = []
    for paths in by_kind.values():
        picks = {paths[0], paths[-1], rng.choice(paths)}
        chosen += sorted(picks, key=str)
    lists = []

    def find_lists(obj, path=()):
        if isinstance(obj, dict):
            for k, v in obj.items():
                find_lists(v, (*path, k))
        elif isinstance(obj, list):
            if obj:
                lists.append(path)
            for i, v in enumerate(obj):
                if isinstance(v, (dict, list)):
                    find_lists(v, (*path, i))

    find_lists(content)
    list_kinds: dict[tuple, tuple] = {}
    for p in lists:
        list_kinds.setdefault(_kind(p), p)
    figures = {"fields": 0, "detected": 0, "master": 0, "missed": [], "kinds": len(by_kind)}
    for path in chosen:
        section = path[0]
        sub = {section: copy.deepcopy(content[section])}
        _set(sub, path, _mutated(_get(content, path)))
        found = compare_with_live(sub, {section: live[section]})
        if not found and section in ("inputs", "results", "cadre_results", "compute"):
            trial = {**content, section: sub[section]}
            found = recompute_problems(trial)
        figures["fields"] += 1
        if found:
            figures["detected"] += 1
        elif is_master_field(path):
            figures["master"] += 1
        else:
            figures["missed"].append(path)
    figures["lists"] = 0
    for path in list_kinds.values():
        section = path[0]
        sub = {section: copy.deepcopy(content[section])}
        target = sub
        for p in path:
            target = target[p]
        if not target:
            continue
        target.pop()
        figures["lists"] += 1
        figures["fields"] += 1
        if compare_with_live(sub, {section: live[section]}):
            figures["detected"] += 1
        else:
            figures["missed"].append(("removed", *path))
    return figures


def _get(obj, path):
    for p in path:
        obj = obj[p]
    return obj


def test_every_snapshot_field_mutation_is_detected(demo_file, tmp_path):
    """Each field of the demo round's snapshot, mutated, is found by the comparison with the live
    rows or by the recomputation from the frozen inputs; the master-data fields (names as
    published) are the only ones neither sees, and the content hash covers them."""
    from assess.results.snapshot_check import verify_snapshot
    from assess.rounds.snapshots import MASTER_FIELDS

    path, rid = demo_file
    db = Database(f"sqlite:///{path}")
    try:
        figures = mutation_figures(db, rid)
    finally:
        db.dispose()
    assert figures["missed"] == []
    assert figures["kinds"] > 100 and figures["fields"] > 300
    assert figures["detected"] + figures["master"] == figures["fields"]
    assert 0 < figures["master"] <= 3 * sum(len(v) for v in MASTER_FIELDS.values())
    # a name changed in the stored snapshot itself: the hash no longer matches
    copy = tmp_path / "renamed_in_snapshot.db"
    shutil.copyfile(path, copy)
    con = sqlite3.connect(copy)
    con.execute("DROP TRIGGER k_frozen_snapshot_update")
    import json

    (stored,) = con.execute("SELECT content FROM snapshot WHERE round_id = ?", (rid,)).fetchone()
    content = json.loads(stored)
    content["results"][0]["name"] = "伪造单位"
    con.execute("UPDATE snapshot SET content = ? WHERE round_id = ?", (json.dumps(content), rid))
    con.commit()
    con.close()
    tampered = Database(f"sqlite:///{copy}")
    try:
        check = verify_snapshot(tampered, rid)
    finally:
        tampered.dispose()
    assert not check.ok and "快照内容与其哈希不符（被改动）" in check.problems


# -- PostgreSQL ------------------------------------------------------------------------------------


@pytest.mark.pg
def test_postgresql_attacks_detected_and_tables_frozen(pg_db, monkeypatch):
    """The demo on PostgreSQL: a plain UPDATE of each round-owned table's published rows is refused;
    with the triggers bypassed (``session_replication_role = replica``) each attack is reported by
    ``audit verify`` and the outputs stay as published; a rename changes no published output."""
    import gc

    import psycopg

    from assess.demo.office import build_demo, demo_actors
    from assess.org import units

    from .conftest import PG_ADMIN_URL, defer_cleanup, drop_pg_now

    rid = build_demo(pg_db, annual_published=True).round_ids[0]
    url = pg_db.url
    before = outputs(pg_db, rid)
    assert run_cli(["audit", "verify", "--db", url])[0] == 0
    source = url.rsplit("/", 1)[1]
    admin = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    direct = f"{admin.rsplit('/', 1)[0]}/{source}"
    with psycopg.connect(direct) as conn:
        for table in sorted(round_owned_tables() - WRITABLE_AFTER_PUBLICATION - SPECIAL):
            if conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is None:
                continue
            has_round = conn.execute(
                "SELECT 1 FROM information_schema.columns WHERE table_name = %s AND column_name = 'round_id'", (table,)
            ).fetchone()
            if has_round and conn.execute(f"SELECT 1 FROM {table} WHERE round_id = %s", (rid,)).fetchone() is None:
                continue  # rows of the unpublished round only (the demo's Q4 stage deadline): nothing published
            col = next(
                r[0]
                for r in conn.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                    "AND column_name <> 'id' ORDER BY ordinal_position",
                    (table,),
                )
            )
            # the ballot tables' own guard (certified ballots, b001) may refuse first
            with pytest.raises(psycopg.errors.DatabaseError, match=r"已公示冻结|一经核定|已核定的选票批次"):
                conn.execute(f"UPDATE {table} SET {col} = {col}")
            conn.rollback()
    pg_db.dispose()
    for i, what in enumerate(sorted(ATTACKS)):
        name = f"{source}_a{i}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (source,),
            )
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
        try:
            with psycopg.connect(f"{admin.rsplit('/', 1)[0]}/{name}") as conn:
                conn.execute("SET session_replication_role = replica")
                assert conn.execute(_sql(ATTACKS[what], "postgresql", rid)).rowcount > 0, what
                conn.commit()
            rc, out, err = run_cli(["audit", "verify", "--db", f"{base}/{name}"])
            assert rc == 1 and "错误：" in err, (what, out, err)
            attacked = Database(f"{base}/{name}")
            try:
                assert outputs(attacked, rid) == before, what
            finally:
                attacked.dispose()
        finally:
            gc.collect()
            defer_cleanup(drop_pg_now, name)
    db = Database(url)
    try:
        acts = demo_actors()
        code = before["ranking"][0][0]
        units.edit_unit(db, acts["admin"], code, name="改名后的单位")
        assert outputs(db, rid) == before
    finally:
        db.dispose()


def test_format_1_snapshots_stay_verifiable(demo_file):
    """A snapshot written before format 2 (no ``format``; results, cadre results, accountability
    statuses, review and vote) is still checked as it was: recomputed from its inputs and compared
    with the stored results and the accountability statuses; a published round whose snapshot is
    format 1 is shown from the live tables."""
    import copy

    from sqlmodel import select

    from assess.models import Snapshot
    from assess.results.round_view import live_accountability
    from assess.results.snapshot_check import snapshot_problems
    from assess.results.stored import live_results
    from assess.rounds.snapshots import published_content

    path, rid = demo_file
    db = Database(f"sqlite:///{path}")
    try:
        with db.read() as s:
            content = s.exec(select(Snapshot.content).where(Snapshot.round_id == rid)).one()
            live = {"results": live_results(s, rid), "accountability": live_accountability(s, rid)}
            assert published_content(s, rid) == content
    finally:
        db.dispose()
    v1 = {
        k: copy.deepcopy(v) for k, v in content.items() if k not in ("format", "votes", "tallies", "targets")
    }
    for r in v1["results"]:
        r["components"] = {
            k: r["components"].get(k)
            for k in ("indicators", "appraisal", "adjustment", "penalty", "satisfaction")
        }
    v1["accountability"] = [
        {
            k: e[k]
            for k in (
                "id",
                "unit_id",
                "cadre_id",
                "rule_code",
                "rule_text",
                "figures",
                "proposed_action",
                "robust_share",
                "status",
                "decided_by",
                "reason",
            )
        }
        for e in v1["accountability"]
    ]
    assert snapshot_problems(v1, live) == []
    tampered = copy.deepcopy(live)
    tampered["results"][0]["grade"] = "优秀" if tampered["results"][0]["grade"] != "优秀" else "良好"
    tampered["accountability"][0]["status"] = "proposed"
    found = snapshot_problems(v1, tampered)
    assert any("grade" in p for p in found) and any("问责条目" in p for p in found)
    bad_inputs = copy.deepcopy(v1)
    bad_inputs["inputs"]["selfcheck"][0][2] += 1
    assert any("输入" in p for p in snapshot_problems(bad_inputs, live))
