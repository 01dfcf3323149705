"""Reading a round's scoring inputs from the database: Core statements over the tables
(``assess.models.tables``), every table a ``Rows`` (column names and row tuples), so that reading them
loads neither pandas, the table classes nor the ORM (``assess audit verify`` reads every published
round's inputs this way, on ``Database.rows()`` or in a session alike).

The appraisal component comes from the certified 民主评议 sessions of the scheme's appraisal form
(``assess.appraisal.tally.tally_numbers`` gives each target's score, 满意率 and missing groups); the
per-cell counts of their certified batches are read too, for the bootstrap and the snapshot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assess.appraisal.records import target_cells
from assess.appraisal.tally import tally_numbers
from assess.foundation import plain_sql
from assess.foundation.errors import Conflict, NotFound
from assess.foundation.thresholds import quorum_met, quorum_text
from assess.foundation.vocabulary import SessionStatus
from assess.foundation.write_guards import round_not_found
from assess.org.blacklist import BLACKLIST_KIND, listings_in_period
from assess.results.annual_sources import annual_inputs, held_annually_warnings
from assess.rounds.lifecycle import find_round
from assess.rounds.scoring_rows import dept_rows, exemption_rows, inspected_unit_ids
from assess.schemes.store import load_definition
from assess.scoring.cadres import CadreSession
from assess.scoring.engine import AppraisalCells, RoundInputs
from assess.scoring.rows import Rows

if TYPE_CHECKING:
    from collections.abc import Sequence

    from assess.foundation.db import Reader
    from assess.rounds.lifecycle import RoundRef
    from assess.schemes.definition import FormDef
    from assess.scoring.engine import RoundInputs

APPRAISAL_COLUMNS = ["unit_id", "score", "satisfaction", "missing_groups"]
CELL_COLUMNS = ["voter_group", "unit_id", "choice", "count"]
CADRE_CELL_COLUMNS = ["voter_group", "cadre_id", "choice", "count"]


def _round(s: Reader, round_id: int) -> RoundRef:
    """The round by its id (``find_round``), or NotFound naming the id."""
    try:
        r = find_round(s, round_id)
    except NotFound:
        r = None
    if r is None or r.id != round_id:  # find_round falls back to names; an id is an id here
        raise round_not_found(round_id)
    return r


def session_weights(s: Reader, session_id: int, form: FormDef) -> dict[str, float]:
    """voter group → weight: the session's groups, else the form's."""
    from sqlalchemy import select

    from assess.models import tables as t

    g = t.sessionvotergroup
    rows: Sequence[Any] = s.execute(select(g.c.code, g.c.weight).where(g.c.session_id == session_id)).all()
    if rows:
        return {code: float(weight) for code, weight in rows}
    return {g.code: g.weight for g in form.voter_groups}


def cell_counts(s: Reader, session_ids: list[int], target_col: str) -> Rows:
    """session_id, voter_group, <unit_id|cadre_id>, choice, count summed over certified batches
    (``assess.appraisal.records.target_cells``)."""
    columns = ["session_id", "voter_group", target_col, "choice", "count"]
    return Rows(columns, target_cells(s, list(session_ids), target_col))


def _tally(s: Reader, session_id: int) -> tuple[Rows, Rows, dict[str, float], list[str]]:
    """The ballots area's tally of a certified session (``assess.appraisal.tally.tally_numbers``), as
    (targets: unit_id, score, satisfaction in percent, missing_groups;
     cells: voter_group, unit_id, choice, count; group weights; warnings)."""
    n = tally_numbers(s, session_id)
    if not n.quorum_ok:
        raise Conflict(
            f"民主评议会议 #{session_id} 不足法定人数（或未登记应到人数），不能计分：{'；'.join(n.warnings[:1])}"
        )
    info = n.info
    kept = [(i, int(t.unit_id)) for i, t in enumerate(info.targets) if t.unit_id is not None]
    targets = Rows(
        APPRAISAL_COLUMNS,
        [
            (
                unit_id,
                float(n.target_score[i]),
                float(n.pooled_satisfaction[i]) * 100.0,  # a share in the tally; rules use percent
                ",".join(n.missing_codes[i]),
            )
            for i, unit_id in kept
        ],
    )
    counts = n.cube.counts  # [t, g, o]
    cells = Rows(
        CELL_COLUMNS,
        [
            (g.code, unit_id, k + 1, int(counts[i, j, k]))
            for k in range(len(info.form.options))  # option-major, then target, then group
            for i, unit_id in kept
            for j, g in enumerate(info.groups)
            if counts[i, j, k] > 0
        ],
    )
    return targets, cells, n.weights, [str(w) for w in n.warnings]


def _discipline(
    s: Reader, round_id: int, scheme_bars_listed: bool, period: str
) -> list[tuple[Any, Any, str]]:
    """(unit_id, cadre_id, kind) of the round's discipline records; with ``scheme_bars_listed``, a
    黑名单 listing in force at any time in the round's period counts like a discipline record of kind
    黑名单 (the scheme names it in no_excellent_if)."""
    from sqlalchemy import select

    from assess.models import tables as t

    d = t.disciplineaction
    found: Sequence[Any] = s.execute(
        select(d.c.unit_id, d.c.cadre_id, d.c.kind).where(d.c.round_id == round_id)
    ).all()
    rows: list[tuple[Any, Any, str]] = [(unit_id, cadre_id, kind) for unit_id, cadre_id, kind in found]
    if scheme_bars_listed:
        listed = [
            (None, x.cadre_id, BLACKLIST_KIND)
            if x.cadre_id is not None
            else (x.unit_id, None, BLACKLIST_KIND)
            for x in listings_in_period(s, period)
            if x.unit_id is not None or x.cadre_id is not None
        ]
        rows += listed
    return rows


def load_round_inputs(s: Reader, round_id: int) -> RoundInputs:
    """The round's scoring inputs read from the live tables, every table a ``Rows``."""
    from sqlalchemy import select

    from assess.models import tables as t

    r = _round(s, round_id)
    scheme = load_definition(s, r.scheme_version_id)
    ru, unit = t.roundunit, t.unit
    units = Rows(
        ["unit_id", "code", "name", "category"],
        s.execute(
            select(unit.c.id, unit.c.code, unit.c.name, unit.c.category)
            .join(ru, unit.c.id == ru.c.unit_id)
            .where(ru.c.round_id == round_id)
            .order_by(unit.c.code)
        ).all(),
    )
    # The scores are the round's largest tables (units × indicators, twice): read through the
    # driver as plain tuples (integers, strings and floats, as SQLAlchemy would give them).
    values = {
        name: Rows(
            ["unit_id", "indicator_code", "value"],
            plain_sql.fetchall(s, f"SELECT unit_id, indicator_code, value FROM {table} WHERE round_id = :r", {"r": round_id}),
        )
        for name, table in (("selfcheck", "selfcheckscore"), ("spotcheck", "spotcheckscore"))
    }
    adj = t.adjustment
    adjustments = Rows(
        ["unit_id", "points"],
        s.execute(select(adj.c.unit_id, adj.c.points).where(adj.c.round_id == round_id)).all(),
    )
    discipline = _discipline(s, round_id, BLACKLIST_KIND in scheme.no_excellent_if, r.period)
    warnings: list[str] = []

    a = t.appraisalsession
    sessions = s.execute(
        select(a.c.id, a.c.name, a.c.kind, a.c.status, a.c.form_code, a.c.present, a.c.expected)
        .where(a.c.round_id == round_id)
        .order_by(a.c.id)
    ).all()
    for sess in sessions:
        if sess.status != SessionStatus.CERTIFIED:
            warnings.append(f"评议会议“{sess.name}”尚未核定，未计入结果。")
    unit_sessions = [
        x
        for x in sessions
        if x.kind == "unit" and x.status == SessionStatus.CERTIFIED and x.form_code == scheme.appraisal_form
    ]
    appraisal = Rows(APPRAISAL_COLUMNS)
    cells = None
    if scheme.appraisal_form and unit_sessions:
        form = scheme.form(scheme.appraisal_form)
        parts, cell_parts, weights = [], [], {}
        for x in unit_sessions:
            targets, session_cells, session_weights_, tw = _tally(s, x.id)
            warnings.extend(tw)
            parts.append(targets)
            cell_parts.append(session_cells)
            weights.update(session_weights_)
        cells = AppraisalCells(
            Rows(CELL_COLUMNS, [row for part in cell_parts for row in part]),
            [o.points for o in form.options],
            [o.satisfied for o in form.options],
            weights,
        )
        appraisal = Rows(APPRAISAL_COLUMNS, [row for part in parts for row in part])
        seen: set[int] = set()
        dup: list[int] = []  # the repeated unit ids, each once, in the order they repeat
        for uid in appraisal.column("unit_id"):
            if uid in seen and uid not in dup:
                dup.append(uid)
            seen.add(uid)
        if dup:
            code_of = dict(zip(units.column("unit_id"), units.column("code"), strict=True))
            codes = [code_of.get(uid, float("nan")) for uid in dup]
            raise Conflict(
                f"单位 {'、'.join(map(str, codes))} 出现在多个已核定的民主评议会议中，无法确定评议得分。"
            )
        assessed = set(units.column("unit_id"))
        appraisal = Rows(APPRAISAL_COLUMNS, [row for row in appraisal if row[0] in assessed])
    elif scheme.appraisal_form and float(scheme.weights.get("appraisal", 0)) > 0:
        warnings.append("本轮没有已核定的民主评议会议：各单位的民主评议部分缺失。")

    cadre_sessions: list[CadreSession] = []
    certified_cadre = [x for x in sessions if x.kind == "cadre" and x.status == SessionStatus.CERTIFIED]
    if certified_cadre:
        raw = cell_counts(s, [x.id for x in certified_cadre], "cadre_id")
        at = t.appraisaltarget
        for x in certified_cadre:
            try:
                form = scheme.form(x.form_code)
            except KeyError:
                warnings.append(f"评议会议“{x.name}”的评议表 {x.form_code} 不在考核方案中，未计入。")
                continue
            _check_quorum(x, form)
            cadre_ids: list[int] = list(
                s.execute(
                    select(at.c.cadre_id)
                    .where(at.c.session_id == x.id, at.c.cadre_id.is_not(None))
                    .order_by(at.c.position)
                ).scalars()
            )
            cadre_sessions.append(
                CadreSession(
                    x.id,
                    x.name,
                    form,
                    session_weights(s, x.id, form),
                    cadre_ids,
                    Rows(CADRE_CELL_COLUMNS, [row[1:] for row in raw if row[0] == x.id]),
                )
            )

    inputs = RoundInputs(
        scheme=scheme,
        units=units,  # Rows: the engine takes them (assess.scoring.rows)
        selfcheck=values["selfcheck"],
        spotcheck=values["spotcheck"],
        drawn=inspected_unit_ids(s, round_id),
        appraisal=appraisal,
        adjustments=adjustments,
        discipline=Rows(["unit_id", "kind"], [(int(u), k) for u, _c, k in discipline if u is not None]),
        cells=cells,
        warnings=warnings,
        cadre_sessions=cadre_sessions,
        cadre_discipline=Rows(
            ["cadre_id", "kind"], [(int(c), k) for _u, c, k in discipline if c is not None]
        ),
        deptscores=dept_rows(s, round_id),
        exemptions=exemption_rows(s, round_id),
    )

    inputs.annual = annual_inputs(s, round_id)
    inputs.warnings.extend(held_annually_warnings(scheme, cadre_sessions, inputs.annual is not None))
    return inputs


def _check_quorum(x: Any, form: FormDef) -> None:
    """Refuse a cadre session (its row: name, present, expected) without its quorum."""
    if not quorum_met(x.present, x.expected, form.quorum, form.quorum_op):
        raise Conflict(
            f"评议会议“{x.name}”{quorum_text(x.present, x.expected, form.quorum, form.quorum_op)}，不能计分。"
        )
