"""Computing and storing a round's results; reading rankings and explanations.

``compute_round`` (action ``results.compute``) runs in one write transaction: it reads the inputs,
computes unit and cadre results, the rank intervals and the accountability list, replaces the
round's stored results and moves the round to ``computed``. Reading functions never write.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from assess.foundation import audit
from assess.foundation.accounts import authorize
from assess.foundation.errors import Conflict
from assess.foundation.jsontext import content_hash
from assess.foundation.periods import period_position
from assess.foundation.roles import Actor
from assess.foundation.settings import local_today
from assess.foundation.vocabulary import Stage
from assess.foundation.write_guards import ensure_round_writable, get_round
from assess.results import accountability as acc
from assess.results.annual_sources import refresh_sources
from assess.results.inputs import load_round_inputs
from assess.results.reasons import flag_reason
from assess.results.round_view import cadre_results
from assess.results.secrecy import round_secrecy
from assess.results.stored import earlier_rounds, stored_component, stored_table
from assess.rounds.lifecycle import find_round, set_stage, stage_label
from assess.scoring.annual import ANNUAL_COLUMNS, result_scheme
from assess.scoring.cadres import compute_cadres
from assess.scoring.engine import compute_units
from assess.scoring.robustness import RESAMPLE_SCHEME, RESAMPLES, default_seed, resample
from assess.scoring.serial import inputs_to_json

if TYPE_CHECKING:
    import pandas as pd
    from sqlmodel import Session

    from assess.foundation.db import Database
    from assess.models import Round
    from assess.results.reasons import ReasonNames
    from assess.schemes.definition import SchemeDef
    from assess.scoring.engine import RoundInputs, UnitScores

COMPUTE_STAGES = (Stage.APPRAISAL_CERTIFIED, Stage.COMPUTED)

FLAG_LABELS = {
    "veto": "一票否决（{}）",
    "false_report": "虚报（{}）",
    "missing_value": "指标 {} 未填，按 0 分",
    "no_excellent": "{}，不得评为最高等次",
    "quota": "超出“{}”名额，降一档",
    "missing_groups": "评议缺少投票人类别：{}",
    "unverified": "核查未完成：{}",
    "missing": "缺少{}，按其余部分折算",
    "unfit_votes": "“{}”票超过规定比例",
    "not_eligible_excellent": "{}票不足，不能评优秀",
}


def flag_text(flag: str, names: ReasonNames | None = None) -> str:
    """A result flag in words (``assess.results.reasons.flag_reason``; ``names`` from the round's scheme
    turns codes into indicator and voter-group names)."""

    return flag_reason(flag, names)


# -- rounds of the same scheme ----------------------------------------------------------------------


def resolve_round(session: Session, ref: str | int) -> Round:
    """A round by id, or by a unique name or period (``rounds.lifecycle.find_round``), as its row."""
    return get_round(session, find_round(session, ref).id)


def history_rounds(session: Session, r: Round, scheme: SchemeDef) -> list[tuple[str, int]]:
    """The earlier rounds the scheme's window rules can look at (``accountability.window_history``
    picks per rule): the last N rounds for round windows, and every round of the calendar span for
    quarter/year windows."""

    by_round, years = 1, 0
    for rule in scheme.rules:
        span = max(rule.window, rule.times)
        if rule.window_unit == "year":
            years = max(years, span)
        elif rule.window_unit == "quarter":
            years = max(years, (span + 3) // 4 + 1)
        else:
            by_round = max(by_round, span)
    if not years:
        # Round windows compare like with like: an annual round's earlier periods are the annual
        # rounds, a quarterly round's the other rounds (accountability.window_history).
        whole = period_position(r.period)[2]
        return [x for x in earlier_rounds(session, r) if period_position(x[0])[2] == whole][:by_round]
    every = earlier_rounds(session, r)
    first_year = period_position(r.period)[0] - years
    calendar = sum(1 for x in every if period_position(x[0])[0] >= first_year)  # newest first
    return every[: max(by_round, calendar)]


def cadre_history(session: Session, rounds: list[tuple[str, int]]) -> list[tuple[str, pd.DataFrame]]:
    """(period, cadre_id/grade table) of earlier rounds, published ones from their snapshots."""
    import pandas as pd

    out = []
    for period, rid in rounds:
        rows = [(c["cadre_id"], c["grade"]) for c in cadre_results(session, rid)]
        out.append((period, pd.DataFrame(rows, columns=["cadre_id", "grade"])))
    return out


def overdue_frame(session: Session, r: Round) -> pd.DataFrame:
    """Rectification notices of this round's units from this round and earlier rounds of the
    scheme: unit_id, notice_no, deadline, status (latest event)."""
    import pandas as pd
    from sqlmodel import col, select

    from assess.models import Finding, Rectification, RectificationEvent, Round, RoundUnit, SchemeVersion

    version = session.get(SchemeVersion, r.scheme_version_id)
    assert version is not None  # the round's scheme version (a foreign key)
    scheme_id = version.scheme_id
    round_ids = (
        select(Round.id)
        .join(SchemeVersion, col(SchemeVersion.id) == Round.scheme_version_id)
        .where(SchemeVersion.scheme_id == scheme_id, Round.period <= r.period)
    )
    units = select(RoundUnit.unit_id).where(RoundUnit.round_id == r.id)
    rows = session.exec(
        select(
            col(Rectification.id),
            col(Finding.unit_id),
            col(Rectification.notice_no),
            col(Rectification.deadline),
        )
        .join(Finding, col(Finding.id) == col(Rectification.finding_id))
        .where(col(Finding.round_id).in_(round_ids), col(Finding.unit_id).in_(units))
    ).all()
    frame = pd.DataFrame([tuple(x) for x in rows], columns=["rect_id", "unit_id", "notice_no", "deadline"])
    if not len(frame):
        frame["status"] = []
        return frame
    events = session.exec(
        select(
            RectificationEvent.rectification_id,
            RectificationEvent.status,
            RectificationEvent.at,
            RectificationEvent.id,
        ).where(col(RectificationEvent.rectification_id).in_(frame["rect_id"].tolist()))
    ).all()
    ev = pd.DataFrame([tuple(x) for x in events], columns=["rect_id", "status", "at", "id"])
    latest = (
        ev.sort_values(["at", "id"]).groupby("rect_id")["status"].last()
        if len(ev)
        else pd.Series(dtype=object)
    )
    frame["status"] = frame["rect_id"].map(latest)
    frame["status"] = frame["status"].astype(object).where(frame["status"].notna(), None)
    return frame


# -- computing ----------------------------------------------------------------------------------------


@dataclass
class ComputeSummary:
    round_id: int
    units: int
    cadres: int
    entries: int
    not_robust: int
    kept_decisions: int
    reopened: int
    warnings: list[str] = field(default_factory=list)

    def message(self) -> str:
        msg = (
            f"已计算：{self.units} 个单位、{self.cadres} 名干部；问责名单 {self.entries} 条"
            f"（其中 {self.not_robust} 条不稳健）"
        )
        if self.kept_decisions:
            msg += f"，保留已作决定 {self.kept_decisions} 条"
        if self.reopened:
            msg += f"，{self.reopened} 条因数据变化需重新确认"
        return msg


def cadre_frame(session: Session, inputs: RoundInputs, rows: list[dict]) -> pd.DataFrame:
    import pandas as pd
    from sqlmodel import col, select

    from assess.models import Cadre

    ids = [r["cadre_id"] for r in rows]
    units = (
        dict(session.exec(select(Cadre.id, Cadre.unit_id).where(col(Cadre.id).in_(ids))).all()) if ids else {}
    )
    forms = {cs.session_id: cs.form for cs in inputs.cadre_sessions}
    data = []
    for r in rows:
        form = forms[r["session_id"]]
        cr = form.cadre_rules
        counts = r["counts"] or {}
        counted = int(counts.get("counted") or 0)
        # The vote counts go into an accountability reason only where the tally itself may show
        # them (assess.appraisal.tally.disclosure: a total under the publication threshold is withheld).
        shown = counted >= form.publication_threshold
        data.append(
            {
                "session_id": r["session_id"],
                "cadre_id": r["cadre_id"],
                "unit_id": units.get(r["cadre_id"]),
                "score": r["score"],
                "grade": r["grade"],
                "unfit_share": r.get("unfit_share"),
                "fit_share": counts.get("fit_share"),
                "unfit_option": cr.unfit_option,
                "form_unfit_share": cr.unfit_share,
                "unfit_votes": int((counts.get("options") or {}).get(cr.unfit_option, 0)) if shown else None,
                "counted": counted if shown else None,
            }
        )
    return pd.DataFrame(
        data,
        columns=[
            "session_id",
            "cadre_id",
            "unit_id",
            "score",
            "grade",
            "unfit_share",
            "fit_share",
            "unfit_option",
            "form_unfit_share",
            "unfit_votes",
            "counted",
        ],
    )


def _components(row: Any) -> dict[str, Any]:
    num = stored_component

    comp = {
        "indicators": num(row.indicators),
        "appraisal": num(row.appraisal),
        "adjustment": num(row.adjustment),
        "penalty": num(row.penalty),
    }
    if row.satisfaction == row.satisfaction and row.satisfaction is not None:
        comp["satisfaction"] = num(row.satisfaction)

    for k in ANNUAL_COLUMNS:  # an annual round's quarters, average and year-end (assess.results.annual)
        if hasattr(row, k):
            comp[k] = num(getattr(row, k))
    return comp


def compute_round(
    db: Database,
    actor: Actor,
    round_id: int,
    *,
    today: date | None = None,
    resamples: int | None = None,
    seed: int | None = None,
) -> ComputeSummary:
    """Compute and store the round's unit and cadre results, rank intervals and the
    accountability list; the round moves to ``computed``."""
    from sqlalchemy import delete, insert
    from sqlmodel import col

    from assess.models import CadreResult, UnitResult
    from assess.models.base import utcnow

    authorize(actor, "results.compute")
    today = today or local_today()
    n = RESAMPLES if resamples is None else int(resamples)
    with db.write() as s:
        r = ensure_round_writable(s, round_id)
        if r.stage not in COMPUTE_STAGES:
            raise Conflict(
                f"考核轮次“{r.name}”当前阶段为“{stage_label(r.stage)}”：只有评议票核定后、进入审核前才能计算"
                "（已进入审核的请先退回）。"
            )

        refresh_sources(s, r)  # an annual round fixes the quarterly rounds it combines
        inputs = load_round_inputs(s, round_id)
        if not len(inputs.units):
            raise Conflict(f"考核轮次“{r.name}”没有参加单位。")
        scores = compute_units(inputs)
        cadre_rows = compute_cadres(inputs)
        seed = default_seed(round_id) if seed is None else int(seed)
        rs = resample(inputs, scores, n=n, seed=seed) if n > 0 else None
        table = scores.table
        scheme = inputs.scheme if inputs.annual is None else result_scheme(inputs.scheme)
        earlier = history_rounds(s, r, scheme)
        history = [(period, stored_table(s, rid)) for period, rid in earlier]
        cadres = cadre_frame(s, inputs, cadre_rows)
        proposals = acc.evaluate_units(scheme, table, history, rs, period=r.period)
        proposals += acc.evaluate_overdue(scheme, overdue_frame(s, r), today)
        proposals += acc.evaluate_cadres(scheme, cadres, cadre_history(s, earlier), rs, period=r.period)
        proposals = acc.within_categories(
            proposals, {int(u): c for u, c in zip(table["unit_id"], table["category"], strict=True)}
        )
        proposals = acc.merge_hits(proposals)

        s.exec(delete(UnitResult).where(col(UnitResult.round_id) == round_id))
        s.exec(delete(CadreResult).where(col(CadreResult.round_id) == round_id))
        now = utcnow()
        unit_rows = []
        for i, row in enumerate(table.itertuples()):
            unit_rows.append(
                {
                    "round_id": round_id,
                    "unit_id": int(row.unit_id),
                    "category": row.category,
                    "composite": float(row.composite),
                    "components": _components(row),
                    "rank": int(row.rank),
                    "rank_low": int(rs.rank_low[i]) if rs is not None else None,
                    "rank_high": int(rs.rank_high[i]) if rs is not None else None,
                    "grade": row.grade,
                    "flags": list(row.flags),
                    "computed_at": now,
                }
            )
        if unit_rows:
            s.exec(insert(UnitResult), params=unit_rows)
        if cadre_rows:
            s.exec(
                insert(CadreResult),
                params=[
                    {
                        "round_id": round_id,
                        "session_id": c["session_id"],
                        "cadre_id": int(c["cadre_id"]),
                        "score": c["score"],
                        "grade": c["grade"],
                        "counts": c["counts"],
                        "flags": c["flags"],
                        "computed_at": now,
                    }
                    for c in cadre_rows
                ],
            )
        stored = acc.store_entries(s, round_id, proposals)
        # A target whose counted votes in all are under the publication threshold: its score is
        # published and marked (docs/reliability.md §9, the accepted residual).
        warnings = [*scores.warnings, *round_secrecy(s, round_id).warnings()]
        payload = {
            "round_id": round_id,
            "units": len(unit_rows),
            "cadres": len(cadre_rows),
            "entries": len(proposals),
            "resamples": n,
            "seed": seed,
            "resample_scheme": RESAMPLE_SCHEME,
            "today": today.isoformat(),
            "inputs_hash": content_hash(inputs_to_json(inputs)),
            "warnings": warnings[:50],
        }
        if inputs.annual is not None:  # the quarterly rounds an annual round combined (assess.results.annual)
            payload["annual_sources"] = [
                {"quarter": int(x["quarter"]), "round_id": int(x["round_id"])} for x in inputs.annual.sources
            ]
        if r.stage != Stage.COMPUTED:
            set_stage(s, actor.username, r, Stage.COMPUTED, {"by": "results.compute"})
        audit.append(s, actor.username, "results.compute", payload)
        not_robust = sum(
            1 for p in proposals if p.robust_share is not None and p.robust_share < acc.ROBUST_SHARE
        )
        return ComputeSummary(
            round_id,
            len(unit_rows),
            len(cadre_rows),
            len(proposals),
            not_robust,
            stored["kept_decisions"],
            stored["reopened"],
            warnings,
        )


def rank_round(db: Database, round_id: int) -> UnitScores:
    """The round's ranking computed from the database now, without storing anything."""

    with db.read() as s:
        inputs = load_round_inputs(s, round_id)
    return compute_units(inputs)
