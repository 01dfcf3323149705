"""Small composable builders that fill a database through the services, for the test suite and the
benchmarks (``tests/``, ``bench/``).

Each builder calls the same service function a person's action calls — role check, validation and
audit record included — so data built here is data the application could have made. They compose:
users, then units (and cadres), a scheme (from a dict or a TOML string), a round over the units,
self-check scores, a 民主评议/勤廉双述 session with its voter groups, certified ballot batches, and a
round taken through computing, the review chain, the committee vote and publication.

Builders that need a person take an ``Actor`` (or the dict ``staff`` returns). Nothing here is used
by the application itself; ``assess.demo`` builds its larger, random demo database the same way.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assess.appraisal import entry as svc
from assess.appraisal import reconcile as ballot_review
from assess.appraisal import sessions as appraisal
from assess.foundation.accounts import authorize
from assess.foundation.db import Database
from assess.foundation.roles import Actor
from assess.foundation.users import add_user
from assess.org.units import add_cadre, add_unit
from assess.results import accountability
from assess.results import approval as review
from assess.results.compute import compute_round
from assess.results.publication import publish
from assess.rounds import lifecycle as rounds
from assess.rounds import selfcheck
from assess.schemes import definition
from assess.schemes.store import store_version
from assess.schemes.validate import validate_text

if TYPE_CHECKING:
    from assess.foundation.db import Database

# One user per role (two clerks and two reviewers, as double entry and the review chain need).
STAFF: list[tuple[str, ...]] = [
    ("clerk", "clerk"),
    ("clerk2", "clerk"),
    ("inspector", "inspector"),
    ("reviewer", "reviewer"),
    ("reviewer2", "reviewer"),
    ("committee", "committee"),
]


def migrated(url: str) -> Database:
    """A Database at ``url`` with every migration applied (no backup: a fresh database)."""

    db = Database(url)
    db.upgrade(backup=False)
    return db


def users(
    db: Database, password: str, people: list[tuple[str, ...]] = STAFF, admin_name: str = "管理员"
) -> dict[str, Actor]:
    """The bootstrap admin ``admin`` (display name ``admin_name``) and ``people`` [(username, role)
    or (username, role, display name)] added by it, all with ``password``; returns {username:
    Actor}. Without a display name a user is shown by the username."""

    admin = Actor("admin", "admin")
    add_user(db, None, "admin", "admin", password, admin_name)
    out = {"admin": admin}
    for username, role, *display in people:
        add_user(db, admin, username, role, password, display[0] if display else username)
        out[username] = Actor(username, role, *display)
    return out


def scheme(db: Database, actor: Actor, source: dict[str, Any] | str, source_name: str = "test.toml") -> int:
    """Store a scheme as its next version and return the version id. ``source`` is a scheme as a
    dict (``definition.from_dict``) or the text of a scheme file (TOML), which is validated as a
    loaded file is. Authorised and audited as loading a scheme (``scheme.load``)."""

    authorize(actor, "scheme.load")
    if isinstance(source, str):

        parsed, text = validate_text(source, source_name).scheme, source
    else:
        parsed, text = definition.from_dict(source), ""
    with db.write() as s:
        version, _created = store_version(s, actor.username, parsed, source_name, text)
        return version.id


def units(db: Database, admin: Actor, rows: list[tuple[str, str, str]]) -> list[str]:
    """Units [(code, name, category)]; returns their codes."""

    for code, name, category in rows:
        add_unit(db, admin, code, name, category)
    return [code for code, _n, _c in rows]


def numbered_units(
    db: Database, admin: Actor, n: int, prefix: str = "U", category: str = "政府部门"
) -> list[str]:
    """``n`` units U01, U02, … named 第1局, 第2局, … in ``category``."""
    return units(db, admin, [(f"{prefix}{i:02d}", f"第{i}局", category) for i in range(1, n + 1)])


def cadres(
    db: Database, admin: Actor, n: int, unit_code: str = "U01", position: str = "村委委员"
) -> list[str]:
    """``n`` cadres C01, C02, … named 干部1, 干部2, … of ``unit_code``."""

    codes = [f"C{i:02d}" for i in range(1, n + 1)]
    for i, code in enumerate(codes, start=1):
        add_cadre(db, admin, code, f"干部{i}", unit_code, position)
    return codes


def round_(
    db: Database,
    admin: Actor,
    version_id: int,
    name: str = "2026 年度考核",
    period: str = "2026",
    unit_codes: list[str] | None = None,
    **kw: Any,
) -> int:
    """A round in stage 草稿 over ``unit_codes`` (default: every active unit of the scheme's
    categories), through ``rounds.create_round``."""

    return rounds.create_round(db, admin, name, period, version_id, unit_codes, **kw)


def self_check(
    db: Database,
    clerk: Actor,
    round_id: int,
    scores: dict[str, dict[str, float]],
    submit: bool = True,
    kind: str = "self",
) -> None:
    """Import ``scores`` {unit code: {indicator code: value}} as a CSV file in one transaction
    (``kind="verified"``: an inspector's verified scores), then submit each unit's self-check."""

    lines = ["unit_code,indicator_code,score"]
    for code, values in scores.items():
        lines += [f"{code},{ind},{value}" for ind, value in values.items()]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scores.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        selfcheck.import_scores(db, clerk, round_id, path, kind=kind)
    if submit and kind == "self":
        for code in scores:
            selfcheck.submit(db, clerk, round_id, code)


def session(
    db: Database,
    clerk: Actor,
    round_id: int,
    kind: str = "unit",
    name: str = "民主评议",
    targets: list[str] | None = None,
    *,
    groups: dict[str, int] | None = None,
    groups_present: dict[str, int] | None = None,
    **kw: Any,
) -> int:
    """A 民主评议 (``kind="unit"``) or 勤廉双述 (``"cadre"``) session over ``targets`` in ballot
    order, with the form's voter groups; ``groups``/``groups_present``: 应到/实到 per voter group."""

    sid = appraisal.create_session(db, clerk, round_id, kind, name, target_codes=targets, **kw)
    if groups or groups_present:
        appraisal.set_attendance(db, clerk, sid, groups=groups, groups_present=groups_present)
    return sid


def key_pass(
    db: Database, clerk: Actor, batch_id: int, ballots: list[tuple[int, str, str]], close: bool = True
) -> int:
    """Key ballots [(ballot_no, marks, kind)] in the clerk's pass; returns the pass id."""

    ctx = svc.open_pass(db, clerk, batch_id)
    for no, marks, kind in ballots:
        svc.store_ballot(db, clerk, ctx.pass_id, no, marks, kind)
    if close:
        svc.close_pass(db, clerk, ctx.pass_id)
    return ctx.pass_id


def certified_batch(
    db: Database,
    actors: dict[str, Actor],
    session_id: int,
    group: str,
    label: str,
    ballots: list[str],
    issued: int | None = None,
) -> int:
    """A batch keyed identically by ``clerk`` and ``clerk2`` and certified by ``reviewer``.
    ``ballots`` are marks strings, or ``void``/``blank`` for a ballot voided/blanked with one key."""

    n = len(ballots)
    batch = svc.create_batch(
        db, actors["clerk"], session_id, group, label, issued if issued is not None else n, n
    )
    rows = [(i, "", m) if m in ("void", "blank") else (i, m, "marks") for i, m in enumerate(ballots, start=1)]
    key_pass(db, actors["clerk"], batch, rows)
    key_pass(db, actors["clerk2"], batch, rows)
    ballot_review.certify(db, actors["reviewer"], batch)
    return batch


def computed(
    db: Database, actor: Actor, round_id: int, today: date | None = None, resamples: int | None = None
):
    """Compute the round's results (``scoring.service.compute_round``); returns its summary."""

    return compute_round(db, actor, round_id, today=today, resamples=resamples)


def approved(
    db: Database,
    actors: dict[str, Actor],
    round_id: int,
    vote: tuple[int, int, int, int, int] = (9, 8, 6, 1, 1),
    reason: str = "核实无误",
) -> None:
    """Take a computed round to 已批准: every proposed accountability entry confirmed by
    ``reviewer``, 初审 by ``clerk``, 审核 by ``reviewer``, 复核 by ``reviewer2``, and the committee's
    vote (expected, present, yes, no, abstain) recorded by ``committee``."""

    for e in accountability.list_entries(db, round_id):
        accountability.decide(db, actors["reviewer"], e.id, "confirm", reason)
    review.review(db, actors["clerk"], round_id, "first")
    review.review(db, actors["reviewer"], round_id, "audit")
    review.review(db, actors["reviewer2"], round_id, "recheck")
    expected, present, yes, no, abstain = vote
    review.vote(db, actors["committee"], round_id, expected=expected, present=present, yes=yes, no=no,
                abstain=abstain)


def published(db: Database, actors: dict[str, Actor], round_id: int, **approve: Any):
    """``approved`` and then published by ``admin`` (snapshot frozen); returns the publish result."""

    approved(db, actors, round_id, **approve)
    return publish(db, actors["admin"], round_id)
