"""Reading a round's scoring inputs from the database (SQL over the tables, no ORM objects in bulk).

The appraisal component comes from the certified 民主评议 sessions of the scheme's appraisal form
(``assess.appraisal.tally.session_tally`` gives each target's score, 满意率 and missing groups); the per-cell
counts of their certified batches are read too, for the bootstrap and the snapshot.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from assess.appraisal.records import target_cells
from assess.appraisal.tally import session_tally_in
from assess.foundation.errors import Conflict
from assess.foundation.thresholds import quorum_met, quorum_text
from assess.foundation.vocabulary import SessionStatus
from assess.foundation.write_guards import get_round
from assess.org.blacklist import BLACKLIST_KIND, listings_in_period
from assess.results.annual_sources import annual_inputs, held_annually_warnings
from assess.rounds.department_scoring import dept_frame, exemption_frame
from assess.rounds.spotcheck import inspected_unit_ids
from assess.schemes.store import load_definition
from assess.scoring.cadres import CadreSession
from assess.scoring.engine import AppraisalCells, RoundInputs
from assess.scoring.rows import Rows

if TYPE_CHECKING:
    import pandas as pd
    from sqlmodel import Session

    from assess.models import AppraisalSession
    from assess.schemes.definition import FormDef
    from assess.scoring.engine import RoundInputs


def _frame(session: Session, sql: str, params: dict[str, Any], columns: list[str]) -> pd.DataFrame:
    """Rows of ``sql`` (named ``:params``) through the raw DBAPI cursor of the session's
    connection, in its transaction (about 2× faster than through the engine)."""

    import pandas as pd

    conn = session.connection()
    if conn.dialect.name != "sqlite":  # psycopg: pyformat
        sql = re.sub(r"(?<!:):(\w+)", r"%(\1)s", sql)
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None  # the session's connection is open (we are in its transaction)
    cur = dbapi.cursor()
    try:
        cur.execute(sql, params)
        rows = cur.fetchall()
    finally:
        cur.close()
    return pd.DataFrame.from_records(rows, columns=columns)


def session_weights(session: Session, session_id: int, form: FormDef) -> dict[str, float]:
    from sqlmodel import select

    from assess.models import SessionVoterGroup

    rows = session.exec(select(SessionVoterGroup).where(SessionVoterGroup.session_id == session_id)).all()
    if rows:
        return {r.code: float(r.weight) for r in rows}
    return {g.code: g.weight for g in form.voter_groups}


def cell_counts(session: Session, session_ids: list[int], target_col: str) -> pd.DataFrame:
    """session_id, voter_group, <unit_id|cadre_id>, choice, count summed over certified batches
    (``assess.appraisal.records.target_cells``)."""
    import pandas as pd

    columns = ["session_id", "voter_group", target_col, "choice", "count"]
    return pd.DataFrame(target_cells(session, list(session_ids), target_col), columns=columns)


def _tally(
    session: Session, session_id: int
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, float], list[str]]:
    """The ballots area's tally of a certified session (``assess.appraisal.tally.session_tally``), as
    (targets: unit_id, score, satisfaction in percent, missing_groups;
     cells: voter_group, unit_id, choice, count; group weights; warnings)."""
    import pandas as pd

    t = session_tally_in(session, session_id)
    if not t.quorum_ok:
        raise Conflict(
            f"民主评议会议 #{session_id} 不足法定人数（或未登记应到人数），不能计分：{'；'.join(t.warnings[:1])}"
        )
    tt = t.targets[t.targets["unit_id"].notna()]
    targets = pd.DataFrame(
        {
            "unit_id": tt["unit_id"].astype(int).to_numpy(),
            "score": tt["score"].astype(float).to_numpy(),
            "satisfaction": tt["satisfaction"].astype(float).to_numpy()
            * 100.0,  # a share in the tally; rules use percent
            "missing_groups": [",".join(codes) for codes in tt["missing_codes"]],
        }
    )
    g = t.groups[t.groups["unit_id"].notna()]
    parts = [
        pd.DataFrame(
            {
                "voter_group": g["group"].to_numpy(),
                "unit_id": g["unit_id"].astype(int).to_numpy(),
                "choice": k,
                "count": g[label].astype(int).to_numpy(),
            }
        )
        for k, label in enumerate(t.options, start=1)
    ]
    cells = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(columns=["voter_group", "unit_id", "choice", "count"])
    )
    cells = cells[cells["count"] > 0].reset_index(drop=True)
    weights = {
        str(k): float(v)
        for k, v in t.groups[["group", "weight"]].drop_duplicates("group").itertuples(index=False)
    }
    return targets, cells, weights, [str(w) for w in t.warnings]


def load_round_inputs(session: Session, round_id: int) -> RoundInputs:
    import pandas as pd
    from sqlmodel import col, select

    from assess.models import AppraisalSession

    r = get_round(session, round_id)
    scheme = load_definition(session, r.scheme_version_id)
    p = {"r": round_id}
    units = _frame(
        session,
        """
        SELECT u.id, u.code, u.name, u.category FROM roundunit ru JOIN unit u ON u.id = ru.unit_id
        WHERE ru.round_id = :r ORDER BY u.code""",
        p,
        ["unit_id", "code", "name", "category"],
    )
    selfcheck = _frame(
        session,
        "SELECT unit_id, indicator_code, value FROM selfcheckscore WHERE round_id = :r",
        p,
        ["unit_id", "indicator_code", "value"],
    )
    spotcheck = _frame(
        session,
        "SELECT unit_id, indicator_code, value FROM spotcheckscore WHERE round_id = :r",
        p,
        ["unit_id", "indicator_code", "value"],
    )
    adjustments = _frame(
        session, "SELECT unit_id, points FROM adjustment WHERE round_id = :r", p, ["unit_id", "points"]
    )
    discipline = _frame(
        session,
        """SELECT unit_id, cadre_id, kind FROM disciplineaction
        WHERE round_id = :r""",
        p,
        ["unit_id", "cadre_id", "kind"],
    )

    if BLACKLIST_KIND in scheme.no_excellent_if:
        # A 黑名单 listing in force at any time in the round's period bars 优秀 like a discipline
        # record of kind 黑名单 (the scheme names it in no_excellent_if).
        listed = [
            (None, x.cadre_id, BLACKLIST_KIND)
            if x.cadre_id is not None
            else (x.unit_id, None, BLACKLIST_KIND)
            for x in listings_in_period(session, r.period)
            if x.unit_id is not None or x.cadre_id is not None
        ]
        if listed:
            extra = pd.DataFrame(listed, columns=["unit_id", "cadre_id", "kind"])
            discipline = pd.concat([discipline, extra], ignore_index=True) if len(discipline) else extra
    warnings: list[str] = []

    sessions = session.exec(
        select(AppraisalSession)
        .where(AppraisalSession.round_id == round_id)
        .order_by(col(AppraisalSession.id))
    ).all()
    for s in sessions:
        if s.status != SessionStatus.CERTIFIED:
            warnings.append(f"评议会议“{s.name}”尚未核定，未计入结果。")
    unit_sessions = [
        s
        for s in sessions
        if s.kind == "unit" and s.status == SessionStatus.CERTIFIED and s.form_code == scheme.appraisal_form
    ]
    appraisal = pd.DataFrame(columns=["unit_id", "score", "satisfaction", "missing_groups"])
    cells = None
    if scheme.appraisal_form and unit_sessions:
        form = scheme.form(scheme.appraisal_form)
        frames, cell_frames, weights = [], [], {}
        for s in unit_sessions:
            assert s.id is not None  # a stored row has its id
            targets, session_cells, session_weights_, tw = _tally(session, s.id)
            warnings.extend(tw)
            frames.append(targets)
            cell_frames.append(session_cells)
            weights.update(session_weights_)
        cells = AppraisalCells(
            Rows.from_frame(
                pd.concat(cell_frames, ignore_index=True), ["voter_group", "unit_id", "choice", "count"]
            ),
            [o.points for o in form.options],
            [o.satisfied for o in form.options],
            weights,
        )
        appraisal = pd.concat(frames, ignore_index=True)
        dup = appraisal["unit_id"][appraisal["unit_id"].duplicated()]
        if len(dup):
            codes = units.set_index("unit_id").reindex(dup.unique())["code"].tolist()
            raise Conflict(
                f"单位 {'、'.join(map(str, codes))} 出现在多个已核定的民主评议会议中，无法确定评议得分。"
            )
        missing_units = set(appraisal["unit_id"]) - set(units["unit_id"])
        appraisal = appraisal[~appraisal["unit_id"].isin(missing_units)]
    elif scheme.appraisal_form and float(scheme.weights.get("appraisal", 0)) > 0:
        warnings.append("本轮没有已核定的民主评议会议：各单位的民主评议部分缺失。")

    cadre_sessions: list[CadreSession] = []
    certified_cadre = [s for s in sessions if s.kind == "cadre" and s.status == SessionStatus.CERTIFIED]
    if certified_cadre:
        raw = cell_counts(session, [s.id for s in certified_cadre], "cadre_id")
        for s in certified_cadre:
            assert s.id is not None  # a stored row has its id
            try:
                form = scheme.form(s.form_code)
            except KeyError:
                warnings.append(f"评议会议“{s.name}”的评议表 {s.form_code} 不在考核方案中，未计入。")
                continue
            _check_quorum(s, form)
            targets = _frame(
                session,
                "SELECT cadre_id FROM appraisaltarget WHERE session_id = :s AND cadre_id IS NOT NULL "
                "ORDER BY position",
                {"s": s.id},
                ["cadre_id"],
            )["cadre_id"].tolist()
            cadre_sessions.append(
                CadreSession(
                    s.id,
                    s.name,
                    form,
                    session_weights(session, s.id, form),
                    targets,
                    Rows.from_frame(
                        raw[raw["session_id"] == s.id], ["voter_group", "cadre_id", "choice", "count"]
                    ),
                )
            )

    inputs = RoundInputs(
        scheme=scheme,
        units=Rows.from_frame(units, ["unit_id", "code", "name", "category"]),
        selfcheck=Rows.from_frame(selfcheck, ["unit_id", "indicator_code", "value"]),
        spotcheck=Rows.from_frame(spotcheck, ["unit_id", "indicator_code", "value"]),
        drawn=inspected_unit_ids(session, round_id),
        appraisal=Rows.from_frame(appraisal, ["unit_id", "score", "satisfaction", "missing_groups"]),
        adjustments=Rows.from_frame(adjustments, ["unit_id", "points"]),
        discipline=Rows.from_frame(
            discipline[discipline["unit_id"].notna()].astype({"unit_id": int}), ["unit_id", "kind"]
        ),
        cells=cells,
        warnings=warnings,
        cadre_sessions=cadre_sessions,
        cadre_discipline=Rows.from_frame(
            discipline[discipline["cadre_id"].notna()].astype({"cadre_id": int}), ["cadre_id", "kind"]
        ),
        deptscores=Rows.from_frame(dept_frame(session, round_id), ["unit_id", "indicator_code", "value"]),
        exemptions=Rows.from_frame(exemption_frame(session, round_id), ["unit_id", "indicator_code"]),
    )

    inputs.annual = annual_inputs(session, round_id)
    inputs.warnings.extend(held_annually_warnings(scheme, cadre_sessions, inputs.annual is not None))
    return inputs


def _check_quorum(s: AppraisalSession, form: FormDef) -> None:
    if not quorum_met(s.present, s.expected, form.quorum, form.quorum_op):
        raise Conflict(
            f"评议会议“{s.name}”{quorum_text(s.present, s.expected, form.quorum, form.quorum_op)}，不能计分。"
        )
