"""勤廉双述: cadre results from certified per-cell vote counts (docs/architecture.md, 干部测评).

Score = the appraisal score of the form's options (group scores weighted, renormalised over the
groups with votes); grade by the form's ``cadre_rules.bands``; 不称职票 > ``unfit_share`` of
counted votes → 不称职 whatever the score; the top grade (优秀) needs 称职及以上 ("satisfied"
options) ≥ ``excellent_min_fit_share`` of counted votes, and no discipline action of a kind in
the scheme's ``no_excellent_if``; otherwise the next band down. Group results with fewer counted
votes than the form's publication threshold are not kept per group (never shown).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from assess.foundation.errors import Conflict
from assess.scoring.appraisal import dense, scores
from assess.scoring.composite import round_half_up, scaled
from assess.scoring.engine import kinds_by

if TYPE_CHECKING:
    from assess.schemes.definition import FormDef, SchemeDef
    from assess.scoring.rows import Rows


@dataclass
class CadreSession:
    session_id: int
    name: str
    form: FormDef
    weights: dict[str, float]  # voter group → weight (the session's, else the form's)
    cadre_ids: list[int]  # the session's targets in ballot order
    cells: Rows  # voter_group, cadre_id, choice, count (certified batches)


def unfit_index(form: FormDef) -> int | None:
    cr = form.cadre_rules
    try:
        return form.option_index(cr.unfit_option) - 1 if cr else None
    except KeyError:
        return None


def session_arrays(cs: CadreSession):
    """(dense counts G×T×K, groups, weights, points, satisfied)."""
    import numpy as np

    groups = sorted(set(cs.weights) | set(cs.cells.column("voter_group")))
    counts = dense(cs.cells, "cadre_id", cs.cadre_ids, groups, len(cs.form.options))
    weights = np.array([cs.weights.get(g, 0.0) for g in groups], dtype=float)
    points = np.array([np.nan if o.points is None else o.points for o in cs.form.options], dtype=float)
    satisfied = np.array([o.satisfied for o in cs.form.options], dtype=bool)
    return counts, groups, weights, points, satisfied


def unfit_shares(counts, form: FormDef, points):
    """不称职 votes / counted votes per target (… , T); NaN without counted votes."""
    import numpy as np

    idx = unfit_index(form)
    counted = (counts * ~np.isnan(points)).sum(axis=-1).sum(axis=-2)
    if idx is None:
        return np.zeros(counted.shape)
    unfit = counts[..., idx].sum(axis=-2)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counted > 0, unfit / np.where(counted > 0, counted, 1.0), np.nan)


def compute_session(scheme: SchemeDef, cs: CadreSession, barred: dict[int, list[str]]) -> list[dict]:
    """One row per cadre of the session: cadre_id, score, grade, counts, flags, unfit_share."""
    import numpy as np

    form = cs.form
    cr = form.cadre_rules
    if cr is None or not cr.bands:
        raise Conflict(
            f"评议表“{form.name}”（{form.code}）没有设置干部等次分档（cadre_rules.bands），不能评定干部等次。"
        )
    counts, groups, weights, points, satisfied = session_arrays(cs)
    score, _sat, counted_g = scores(counts, weights, points, satisfied)
    counted_mask = ~np.isnan(points)
    counted = (counts * counted_mask).sum(axis=-1).sum(axis=0)
    per_option = counts.sum(axis=0)  # T × K
    fit = (counts * (satisfied & counted_mask)).sum(axis=-1).sum(axis=0)
    ui = unfit_index(form)
    unfit = per_option[:, ui] if ui is not None else np.zeros(len(cs.cadre_ids))
    bands = sorted(cr.bands, key=lambda b: b.min, reverse=True)
    fit_labels = [o.label for o in form.options if o.satisfied]  # worded as the form words them
    fit_label = f"{fit_labels[-1]}及以上" if fit_labels else ""
    p = scheme.precision
    rounded = round_half_up(score, p)
    xi = scaled(score, p)
    rows = []
    for t, cadre_id in enumerate(cs.cadre_ids):
        flags: list[str] = []
        n = float(counted[t])
        if n <= 0:
            rows.append(
                {
                    "cadre_id": cadre_id,
                    "score": None,
                    "grade": "",
                    "unfit_share": None,
                    "counts": {"options": {}, "counted": 0},
                    "flags": ["no_votes"],
                }
            )
            continue
        grade = bands[-1].grade
        for b in bands:
            lo, hi = scaled(b.min, p), scaled(b.max, p)
            if lo <= xi[t] < hi or (b.include_max and xi[t] == hi):
                grade = b.grade
                break
        unfit_share = float(unfit[t]) / n
        fit_share = float(fit[t]) / n
        may_be_excellent = float(fit[t]) >= cr.excellent_min_fit_share * n - 1e-9
        if float(unfit[t]) > cr.unfit_share * n + 1e-9:
            grade = cr.unfit_option
            flags.append(f"unfit_votes:{cr.unfit_option}")  # worded with the form's own label
        if grade == cr.excellent_option:
            lower = next((bands[i + 1].grade for i, b in enumerate(bands[:-1]) if b.grade == grade), grade)
            if not may_be_excellent:
                grade = lower
                flags.append(f"not_eligible_excellent:{fit_label}" if fit_label else "not_eligible_excellent")
            elif cadre_id in barred:
                grade = lower
        if cadre_id in barred:
            flags.extend(f"no_excellent:{k}" for k in barred[cadre_id])
        shown = {}
        hidden = []
        for g, code in enumerate(groups):
            c = float(counted_g[g, t])
            if c <= 0:
                continue
            if c < form.publication_threshold:
                hidden.append(code)
                continue
            group_pts = (counts[g, t] * np.nan_to_num(points)).sum() / c
            shown[code] = {"score": float(round_half_up(group_pts, p)), "counted": int(c)}
        missing = [code for g, code in enumerate(groups) if weights[g] > 0 and counted_g[g, t] <= 0]
        if missing:
            flags.append("missing_groups:" + ",".join(missing))
        rows.append(
            {
                "cadre_id": cadre_id,
                "score": float(rounded[t]),
                "grade": grade,
                "unfit_share": unfit_share,
                "counts": {
                    "options": {o.label: int(per_option[t, k]) for k, o in enumerate(form.options)},
                    "counted": int(n),
                    "unfit_share": round(unfit_share, 4),
                    "fit_share": round(fit_share, 4),
                    "may_be_excellent": bool(may_be_excellent),
                    "groups": shown,
                    "hidden_groups": hidden,
                },
                "flags": flags,
            }
        )
    return rows


def compute_cadres(inputs) -> list[dict]:
    """Every cadre result of the round's certified cadre sessions (rows with session_id)."""
    scheme = inputs.scheme
    barred: dict[int, list[str]] = {}
    d = inputs.cadre_discipline
    if d is not None and len(d) and scheme.no_excellent_if:
        for cadre_id, kinds in kinds_by(d, "cadre_id", scheme.no_excellent_if).items():
            barred[int(cadre_id)] = kinds
    rows: list[dict] = []
    for cs in inputs.cadre_sessions:
        for row in compute_session(scheme, cs, barred):
            rows.append({"session_id": cs.session_id, **row})
    return rows
