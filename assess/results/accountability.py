"""The accountability engine (问责): runs the scheme's rules over a round's results and proposes
entries for the list; a reviewer confirms or waives each with a written reason.

Rule kinds (``schemes.definition.RULE_KINDS``; all thresholds are data):

- ``threshold``: ``metric op value``; unit metrics composite, indicators, appraisal, satisfaction
  (满意率, percent), rank; cadre metrics (``subject = "cadre"``) score, unfit_share, fit_share.
- ``last_in_category``: ranked last within its category (categories of at least two units).
- ``bottom_share``: rank > size × (1 − share) within its category (bottom 10%: share 0.1).
- ``false_report``: at least one indicator flagged 虚报 by the spot check.
- ``overdue_rectification``: a rectification notice of the unit (this round or an earlier round of
  the scheme) whose deadline passed at least ``days`` days before ``today`` and whose latest status
  is not closed (销号).
- ``cadre_unfit``: 不称职 votes > ``share`` (default the form's unfit_share) of counted votes.
- ``cadre_consecutive_unfit``: graded 不称职 in this round and the ``times − 1`` rounds of the
  scheme before it (two consecutive years: times 2).

Windows: a rule with ``window`` w and ``times`` k triggers in this round when its condition holds
now AND in at least k − 1 of the w − 1 previous periods, i.e. at least k times within the last w
periods, this one included ("last twice within the last 3 periods"); a unit last in Q1 and Q2 but
not in Q3 gets no entry in Q3. ``window_unit`` says what a period is: ``round`` (default) — the
previous rounds of the scheme, one per period (an annual round's previous annual rounds, a
quarterly round's previous non-annual rounds: ``assess.results.annual``); ``quarter`` or ``year`` — calendar quarters or years
(``window_history``): the previous w − 1 calendar periods, each judged by its latest round (the
year-end round for a year), earlier rounds of the current calendar period not counted. So
``cadre_consecutive_unfit`` with ``times = 2, window_unit = "year"`` fires for 不称职 in 2025-Q4 and
2026-Q4 with quarterly rounds between, and not for 2026-Q3 and 2026-Q4. History comes from the
stored results of those rounds. See indicators/README.md (问责规则).

Each entry carries the figures that triggered it and ``robust_share``: the share of bootstrap
resamples (``scoring.robustness``) in which the trigger still holds; below 0.8 the list marks it
"not robust" for the reviewers. Triggers that do not depend on ballots or weights hold in all.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from assess.foundation import audit, jsontext
from assess.foundation.accounts import authorize
from assess.foundation.errors import Conflict, NotFound
from assess.foundation.periods import period_index, period_position
from assess.foundation.roles import Actor
from assess.foundation.thresholds import threshold_text
from assess.foundation.users import display_names
from assess.foundation.vocabulary import (
    ACCOUNTABILITY_STATUS_LABELS,
    SATISFACTION_LABEL,
    AccountabilityStatus,
    RectificationStatus,
    Stage,
)
from assess.foundation.write_guards import ensure_round_writable
from assess.results.reasons import ReasonNames, accountability_reason
from assess.results.round_view import accountability
from assess.results.secrecy import public_figures, round_secrecy
from assess.rounds.lifecycle import round_scheme
from assess.schemes.definition import SEVERITIES, UNFIT_LABEL

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from sqlmodel import Session

    from assess.foundation.db import Database
    from assess.schemes.definition import RuleDef, SchemeDef
    from assess.scoring.robustness import Resamples

ROBUST_SHARE = 0.8
OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
METRIC_LABELS = {
    "composite": "综合得分",
    "indicators": "指标得分",
    "appraisal": "民主评议得分",
    "satisfaction": SATISFACTION_LABEL,
    "rank": "名次",
    "score": "测评得分",
    "unfit_share": "不称职票比例",
    "fit_share": "称职及以上票比例",
}
DECISIONS = {"confirm": AccountabilityStatus.CONFIRMED, "waive": AccountabilityStatus.WAIVED}
UNIT_METRICS = ("composite", "indicators", "appraisal", "satisfaction", "rank")


@dataclass
class Proposal:
    rule: RuleDef
    unit_id: int | None
    cadre_id: int | None
    figures: dict[str, Any]
    robust_share: float | None = 1.0
    text: str | None = None  # the entry's rule text when several hits were merged


def merge_hits(proposals: list[Proposal]) -> list[Proposal]:
    """The ladder (seed 003 附件2 四（三）: 情节较轻/较重/严重): hits of rules that name a
    ``severity`` for the same unit, or the same cadre, in a round become one entry at the highest
    rung — the top rule's code and action, its figures at the top level — with every hit listed in
    ``figures["reasons"]`` (rule, rung, text, action and figures, top rung first). Rules without a
    severity are not merged. A single hit keeps its figures plus ``severity``."""
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    out: list[Proposal] = []
    groups: dict[tuple, list[Proposal]] = {}
    for p in proposals:
        if p.rule.severity is None:
            out.append(p)
        else:
            groups.setdefault((p.unit_id, p.cadre_id), []).append(p)
    for hits in groups.values():
        # highest rung first; equal rungs keep the scheme's rule order (proposals come in it)
        hits = sorted(hits, key=lambda p: -rank[p.rule.severity])
        top = hits[0]
        figures = {**top.figures, "severity": top.rule.severity}
        if len(hits) == 1:
            out.append(Proposal(top.rule, top.unit_id, top.cadre_id, figures, top.robust_share))
            continue
        figures["reasons"] = [
            {
                "rule": p.rule.code,
                "kind": p.rule.kind,
                "severity": p.rule.severity,
                "text": rule_text(p.rule),
                "action": p.rule.action,
                "figures": p.figures,
            }
            for p in hits
        ]
        text = "；".join(rule_text(p.rule).rstrip("。；") for p in hits)
        out.append(Proposal(top.rule, top.unit_id, top.cadre_id, figures, top.robust_share, text))
    return out


WINDOW_UNIT_LABELS = {"round": "个考核周期", "quarter": "个季度", "year": "年"}






def window_history(rule: RuleDef, period: str | None, history: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """The earlier results a window rule looks at, newest first: the w − 1 previous rounds, or for a
    calendar ``window_unit`` the latest round of each of the w − 1 previous quarters/years (a
    calendar period without a round is simply absent)."""
    unit = rule.window_unit or "round"
    span = max(rule.window, rule.times if rule.kind == "cadre_consecutive_unfit" else 1)
    if unit == "round":
        if period is not None:
            # An annual round's earlier periods are annual rounds, a quarterly round's are not.
            whole = period_position(period)[2]
            history = [h for h in history if period_position(h[0])[2] == whole]
        return history[: max(span - 1, 0)]
    if period is None:
        raise ValueError("calendar windows need the current round's period")
    cur = period_index(period, unit)
    latest: dict[int, tuple[str, Any]] = {}
    for p, frame in history:
        i = period_index(p, unit)
        if cur - span < i < cur and (i not in latest or period_position(p) > period_position(latest[i][0])):
            latest[i] = (p, frame)
    return [latest[i] for i in sorted(latest, reverse=True)]


def rule_text(rule: RuleDef, unfit_option: str = UNFIT_LABEL) -> str:
    """The rule in words: its published text, or one made from its kind (``unfit_option``: the cadre
    form's label for an unfit verdict, e.g. 不合格 for 村干部)."""
    if rule.text:
        return rule.text
    if rule.kind == "threshold":
        return threshold_text(METRIC_LABELS.get(rule.metric or "", rule.metric), rule.op, rule.value)
    base = {
        "last_in_category": "类别内排名末位",
        "bottom_share": f"类别内排名后 {100 * (rule.share or 0):g}%",
        "false_report": "自查虚报",
        "overdue_rectification": f"整改逾期 {rule.days or 0} 天以上",
        "cadre_unfit": f"{unfit_option}票超过规定比例",
        "cadre_consecutive_unfit": (
            f"连续 {rule.times} 年评为{unfit_option}"
            if rule.window_unit == "year"
            else f"连续 {rule.times} 个季度评为{unfit_option}"
            if rule.window_unit == "quarter"
            else f"连续 {rule.times} 次评为{unfit_option}"
        ),
    }.get(rule.kind, rule.kind)
    if rule.window > 1 and rule.kind != "cadre_consecutive_unfit":
        base = f"最近 {rule.window} {WINDOW_UNIT_LABELS[rule.window_unit or 'round']}内 {rule.times} 次{base}"
    return base


def _num(v: Any) -> Any:
    """JSON-safe number (numpy scalars, NaN → None)."""
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return v
    if f != f:
        return None
    return int(f) if float(f).is_integer() and not isinstance(v, float) else round(f, 4)


# -- unit conditions (vectorised: also over stacked resamples) -------------------------------------


def unit_metrics(table: pd.DataFrame) -> pd.DataFrame:
    """Metrics frame from a results table (unit_id, category, composite, components, rank, flags)."""
    m = table[["unit_id", "category", "composite", "indicators", "appraisal", "satisfaction", "rank"]].copy()
    m["cat_size"] = m.groupby("category")["unit_id"].transform("size")
    m["last_rank"] = m.groupby("category")["rank"].transform("max")
    m["false_report"] = [
        sorted(f.split(":", 1)[1] for f in fl if f.startswith("false_report:")) for fl in table["flags"]
    ]
    return m


def condition(rule: RuleDef, m: pd.DataFrame) -> np.ndarray:
    """Boolean array: the rule's condition per row of a metrics frame."""
    import numpy as np

    if rule.kind == "threshold":
        if rule.metric not in UNIT_METRICS or rule.op not in OPS or rule.value is None:
            return np.zeros(len(m), dtype=bool)
        x = m[rule.metric].to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            return ~np.isnan(x) & OPS[rule.op](x, rule.value)
    if rule.kind == "last_in_category":
        return (
            (m["cat_size"].to_numpy() >= 2)
            & (m["rank"].to_numpy() == m["last_rank"].to_numpy())
            & (m["rank"].to_numpy() > 1)
        )
    if rule.kind == "bottom_share":
        size = m["cat_size"].to_numpy(dtype=float)
        return (size >= 2) & (
            m["rank"].to_numpy(dtype=float) > size * (1.0 - float(rule.share or 0.0)) + 1e-9
        )
    if rule.kind == "false_report":
        return np.array([bool(x) for x in m["false_report"]], dtype=bool)
    return np.zeros(len(m), dtype=bool)


def _figures(rule: RuleDef, row: pd.Series) -> dict[str, Any]:
    if rule.kind == "threshold":
        return {
            "metric": rule.metric,
            "value": _num(row[rule.metric]),
            "op": rule.op,
            "threshold": _num(rule.value),
        }
    if rule.kind == "last_in_category":
        return {
            "rank": _num(row["rank"]),
            "category_size": _num(row["cat_size"]),
            "composite": _num(row["composite"]),
        }
    if rule.kind == "bottom_share":
        return {
            "rank": _num(row["rank"]),
            "category_size": _num(row["cat_size"]),
            "share": _num(rule.share),
            "composite": _num(row["composite"]),
        }
    if rule.kind == "false_report":
        return {"indicators": list(row["false_report"])}
    return {}


def _resample_frame(base: pd.DataFrame, rs: Resamples) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    n, u = rs.rank.shape
    frame = pd.DataFrame(
        {
            "unit_id": np.tile(base["unit_id"].to_numpy(), n),
            "category": np.tile(base["category"].to_numpy(), n),
            "composite": rs.composite.ravel(),
            "indicators": np.asarray(rs.indicators).ravel(),
            "appraisal": rs.appraisal.ravel(),
            "satisfaction": rs.satisfaction.ravel(),
            "rank": rs.rank.ravel(),
            "cat_size": np.tile(base["cat_size"].to_numpy(), n),
            "false_report": np.tile(base["false_report"].to_numpy(), n),
        }
    )
    frame["last_rank"] = (
        frame.groupby([np.repeat(np.arange(n), u), frame["category"]])["rank"].transform("max").to_numpy()
    )
    return frame


def evaluate_units(
    scheme: SchemeDef,
    table: pd.DataFrame,
    history: list[tuple[str, pd.DataFrame]],
    resamples: Resamples | None = None,
    period: str | None = None,
) -> list[Proposal]:
    """Unit rules over this round's results; ``history`` = [(period, results table)] of earlier
    rounds of the scheme, newest first; ``period``: this round's (needed by calendar windows)."""
    import numpy as np

    now = unit_metrics(table)
    metrics: dict[str, pd.DataFrame] = {}
    sampled = _resample_frame(now, resamples) if resamples is not None else None
    out: list[Proposal] = []
    for rule in scheme.rules:
        if rule.subject != "unit" or rule.kind not in (
            "threshold",
            "last_in_category",
            "bottom_share",
            "false_report",
        ):
            continue
        cond = condition(rule, now)
        counts = np.zeros(len(now), dtype=int)
        trail: list[list[dict[str, Any]]] = [[] for _ in range(len(now))]
        for past, t in window_history(rule, period, history):
            h = metrics[past] if past in metrics else metrics.setdefault(past, unit_metrics(t))
            hc = condition(rule, h)
            hit = set(h["unit_id"][hc].tolist())
            mask = now["unit_id"].isin(hit).to_numpy()
            counts += mask
            for i in np.flatnonzero(mask):
                row = h[h["unit_id"] == now["unit_id"].iat[i]].iloc[0]
                trail[i].append({"period": past, **_figures(rule, row)})
        need = max(rule.times, 1) - 1
        trigger = cond & (counts >= need)
        share = None
        if sampled is not None:
            assert resamples is not None  # sampled only from resamples
            sc = condition(rule, sampled).reshape(resamples.rank.shape)
            share = (sc & (counts >= need)[None, :]).mean(axis=0)
        for i in np.flatnonzero(trigger):
            fig = _figures(rule, now.iloc[i])
            if rule.window > 1:
                fig.update(
                    {
                        "window": rule.window,
                        "times": rule.times,
                        "count": int(counts[i]) + 1,
                        "history": trail[i],
                    }
                )
                if rule.window_unit and rule.window_unit != "round":
                    fig["window_unit"] = rule.window_unit
            out.append(
                Proposal(
                    rule,
                    int(now["unit_id"].iat[i]),
                    None,
                    fig,
                    round(float(share[i]), 4) if share is not None else None,
                )
            )
    return out


def evaluate_overdue(scheme: SchemeDef, overdue: pd.DataFrame, today: date) -> list[Proposal]:
    """``overdue``: unit_id, notice_no, deadline (date), status (latest, or None) of the notices."""
    out: list[Proposal] = []
    if overdue is None or not len(overdue):
        return out
    open_ = overdue[overdue["status"].fillna("") != RectificationStatus.CLOSED].copy()
    open_["days_overdue"] = [(today - d).days for d in open_["deadline"]]
    for rule in scheme.rules:
        if rule.kind != "overdue_rectification":
            continue
        hit = open_[(open_["days_overdue"] > 0) & (open_["days_overdue"] >= int(rule.days or 0))]
        for unit_id, g in hit.groupby("unit_id", sort=True):
            notices = [
                {
                    "notice_no": r.notice_no,
                    "deadline": r.deadline.isoformat(),
                    "days_overdue": int(r.days_overdue),
                    "status": r.status or "issued",
                }
                for r in g.sort_values("notice_no").itertuples()
            ]
            out.append(
                Proposal(
                    rule,
                    int(unit_id),
                    None,
                    {"today": today.isoformat(), "days": int(rule.days or 0), "notices": notices},
                    1.0,
                )
            )
    return out


def evaluate_cadres(
    scheme: SchemeDef,
    cadres: pd.DataFrame,
    history: list[tuple[str, pd.DataFrame]],
    resamples: Resamples | None = None,
    period: str | None = None,
) -> list[Proposal]:
    """``cadres``: session_id, cadre_id, unit_id, score, grade, unfit_share, fit_share, unfit_option,
    form_unfit_share; ``history``: [(period, frame with cadre_id, grade, unfit_option)], newest first."""
    import numpy as np

    out: list[Proposal] = []
    if cadres is None or not len(cadres):
        return out
    for rule in scheme.rules:
        if rule.kind == "cadre_unfit":
            for r in cadres.itertuples():
                limit = float(rule.share if rule.share is not None else r.form_unfit_share)
                if (
                    r.unfit_share is None
                    or r.unfit_share != r.unfit_share
                    or not r.unfit_share > limit + 1e-12
                ):
                    continue
                share = 1.0
                if resamples is not None and r.session_id in resamples.cadre_unfit:
                    ids, arr = resamples.cadre_unfit[r.session_id]
                    col = arr[:, ids.index(r.cadre_id)]
                    share = round(float(np.mean(np.nan_to_num(col, nan=0.0) > limit + 1e-12)), 4)
                out.append(
                    Proposal(
                        rule,
                        r.unit_id,
                        r.cadre_id,
                        {
                            "unfit_share": _num(r.unfit_share),
                            "unfit_option": r.unfit_option,
                            "limit": _num(limit),
                            "score": _num(r.score),
                            "grade": r.grade,
                            **(
                                {"unfit_votes": int(r.unfit_votes), "counted": int(r.counted)}
                                if getattr(r, "counted", None) is not None and r.counted == r.counted
                                else {}
                            ),
                        },
                        share,
                    )
                )
        elif rule.kind == "cadre_consecutive_unfit":
            need = max(rule.times, 2) - 1
            unit = rule.window_unit or "round"
            earlier = window_history(rule, period, history)
            if unit != "round":
                # Consecutive calendar periods only: a year without a round breaks the streak.
                cur = period_index(period, unit)
                at = {period_index(p, unit): (p, h) for p, h in earlier}
                earlier = []
                for k in range(1, need + 1):
                    if cur - k not in at:
                        break
                    earlier.append(at[cur - k])
            for r in cadres.itertuples():
                if r.grade != r.unfit_option:
                    continue
                streak = []
                for past, h in earlier[:need]:
                    g = h[(h["cadre_id"] == r.cadre_id) & (h["grade"] == r.unfit_option)]
                    if not len(g):
                        break
                    streak.append(past)
                if len(streak) >= need:
                    out.append(
                        Proposal(
                            rule,
                            r.unit_id,
                            r.cadre_id,
                            {
                                "grade": r.grade,
                                "times": rule.times,
                                "unfit_option": r.unfit_option,
                                "earlier_periods": streak,
                                "score": _num(r.score),
                                **({"window_unit": unit} if unit != "round" else {}),
                            },
                            1.0,
                        )
                    )
        elif (
            rule.kind == "threshold"
            and rule.subject == "cadre"
            and rule.metric in ("score", "unfit_share", "fit_share")
        ):
            if rule.op not in OPS or rule.value is None:
                continue
            for r in cadres.itertuples():
                x = getattr(r, rule.metric)
                if x is None or x != x or not OPS[rule.op](float(x), rule.value):
                    continue
                out.append(
                    Proposal(
                        rule,
                        r.unit_id,
                        r.cadre_id,
                        {
                            "metric": rule.metric,
                            "value": _num(x),
                            "op": rule.op,
                            "threshold": _num(rule.value),
                        },
                        1.0,
                    )
                )
    return out


# -- storing and deciding ---------------------------------------------------------------------------


def within_categories(proposals: list[Proposal], unit_category: dict[int, str]) -> list[Proposal]:
    """Drop the proposals of a rule limited to some unit categories (``categories``) for units —
    or cadres of units — of other categories (e.g. 责令辞职 of 村干部 only, not 社区干部)."""
    return [
        p
        for p in proposals
        if not p.rule.categories or unit_category.get(int(p.unit_id or 0)) in p.rule.categories
    ]


def store_entries(session: Session, round_id: int, proposals: list[Proposal]) -> dict[str, int]:
    """Replace the round's proposed entries; a decided entry whose rule, subject and figures are
    unchanged keeps its decision, any other decided entry is dropped and counted as reopened."""
    from sqlalchemy import delete, insert
    from sqlmodel import col, select

    from assess.models import AccountabilityEntry

    old = session.exec(select(AccountabilityEntry).where(AccountabilityEntry.round_id == round_id)).all()
    keep: dict[tuple, AccountabilityEntry] = {}
    for e in old:
        if e.status != AccountabilityStatus.PROPOSED:
            keep[(e.unit_id, e.cadre_id, e.rule_code, jsontext.canonical_json(e.figures))] = e
    kept_ids: set[int] = set()
    rows = []
    for p in proposals:
        key = (p.unit_id, p.cadre_id, p.rule.code, jsontext.canonical_json(p.figures))
        kept = keep.get(key)
        if kept is not None and kept.id not in kept_ids:
            assert kept.id is not None  # a stored row has its id
            kept_ids.add(kept.id)
            kept.robust_share = p.robust_share
            session.add(kept)
            continue
        rows.append(
            {
                "round_id": round_id,
                "unit_id": p.unit_id,
                "cadre_id": p.cadre_id,
                "rule_code": p.rule.code,
                "rule_text": p.text or rule_text(p.rule, (p.figures or {}).get("unfit_option") or UNFIT_LABEL),
                "figures": p.figures,
                "proposed_action": p.rule.action[:128],
                "robust_share": p.robust_share,
                "status": AccountabilityStatus.PROPOSED,
            }
        )
    stale = [e.id for e in old if e.id not in kept_ids]
    if stale:
        session.exec(delete(AccountabilityEntry).where(col(AccountabilityEntry.id).in_(stale)))
    if rows:
        session.exec(insert(AccountabilityEntry), params=rows)
    session.flush()
    reopened = sum(1 for e in old if e.status != AccountabilityStatus.PROPOSED and e.id not in kept_ids)
    return {"entries": len(proposals), "kept_decisions": len(kept_ids), "reopened": reopened}


@dataclass
class EntryRow:
    id: int
    unit_code: str | None
    unit_name: str | None
    cadre_code: str | None
    cadre_name: str | None
    category: str | None
    rule_code: str
    rule_text: str
    figures: dict[str, Any]
    figures_text: str
    proposed_action: str
    robust_share: float | None
    robust: bool
    status: str
    status_label: str
    decided_by: str | None
    reason: str | None
    decided_by_name: str | None = None  # display name of decided_by


def describe_figures(
    figures: dict[str, Any], kind: str | None = None, category: str | None = None, names: ReasonNames | None = None
) -> str:
    """The triggering figures as one sentence (``assess.results.reasons.accountability_reason``), the same
    in the list, the report and the notices."""

    return accountability_reason(figures, kind=kind, category=category, names=names)


def list_entries(db: Database, round_id: int) -> list[EntryRow]:
    """The accountability list of a round (a published round's from its snapshot, names as
    published: ``assess.results.round_view``)."""

    with db.read() as s:
        entries = accountability(s, round_id)
        secrecy = round_secrecy(s, round_id)
        names = _reason_names(s, round_id)
        people = display_names(s)
    entries.sort(key=lambda e: (e["category"] or "", e["unit_code"] or "", e["rule_code"], e["id"]))
    out = []
    for e in entries:
        robust = e["robust_share"] is None or e["robust_share"] >= ROBUST_SHARE
        # Vote shares withheld beside a small voter group (docs/reliability.md §9).
        sec = secrecy.cadre_any(e["cadre_id"]) if e["cadre_id"] else secrecy.unit(e["unit_id"])
        e = {**e, "figures": public_figures(e["figures"], sec)}
        out.append(
            EntryRow(
                e["id"],
                e["unit_code"],
                e["unit_name"],
                e["cadre_code"],
                e["cadre_name"],
                e["category"],
                e["rule_code"],
                e["rule_text"],
                e["figures"],
                describe_figures(e["figures"], names.rule_kinds.get(e["rule_code"]), e["category"], names),
                e["proposed_action"],
                e["robust_share"],
                robust,
                e["status"],
                ACCOUNTABILITY_STATUS_LABELS.get(e["status"], e["status"]),
                e["decided_by"],
                e["reason"],
                people.get(e["decided_by"], e["decided_by"]) if e["decided_by"] else None,
            )
        )
    return out


def _reason_names(session: Session, round_id: int) -> ReasonNames:
    from assess.models import Round

    r = session.get(Round, round_id)
    if r is None:
        return ReasonNames()
    return ReasonNames.of(round_scheme(session, r), r.period)


def decide(db: Database, actor: Actor, entry_id: int, decision: str, reason: str) -> str:
    """Confirm or waive an entry with a written reason. Returns the new status."""
    return decide_entries(db, actor, [entry_id], decision, reason)[0][1]


def decide_entries(
    db: Database,
    actor: Actor,
    entry_ids: list[int] | None,
    decision: str,
    reason: str,
    round_id: int | None = None,
) -> list[tuple[int, str]]:
    """Confirm or waive several entries with one written reason, in one transaction, all or none;
    ``entry_ids=None``: every entry of ``round_id`` still to be decided (待确认). Each entry gets
    its own ``accountability.decide`` audit record. Returns (entry id, new status) in order."""
    from sqlmodel import col, select

    from assess.models import AccountabilityEntry
    from assess.models.base import utcnow

    authorize(actor, "accountability.decide")
    if decision not in DECISIONS:
        raise Conflict(f"未知的决定“{decision}”：只能是确认（confirm）或免予问责（waive）。")
    reason = (reason or "").strip()
    if not reason:
        raise Conflict("请填写理由：确认或免予问责都必须写明理由。")
    done: list[tuple[int, str]] = []
    with db.write() as s:
        if entry_ids is None:
            if round_id is None:
                raise Conflict("请指定考核轮次（--round），或逐条给出问责名单条目。")
            ensure_round_writable(s, round_id)
            entry_ids = list(s.exec(
                select(AccountabilityEntry.id)
                .where(AccountabilityEntry.round_id == round_id, AccountabilityEntry.status == AccountabilityStatus.PROPOSED)
                .order_by(col(AccountabilityEntry.id))
            ).all())
        for entry_id in entry_ids:
            e = s.get(AccountabilityEntry, entry_id)
            if e is None:
                raise NotFound(f"问责名单条目 #{entry_id} 不存在。")
            assert e.id is not None  # a stored row has its id
            r = ensure_round_writable(s, e.round_id)
            if r.stage not in (Stage.COMPUTED, Stage.UNDER_REVIEW):
                raise Conflict(f"考核轮次“{r.name}”当前阶段不能再确认或免予问责（已审议通过的名单不能改动）。")
            previous = e.status
            e.status = DECISIONS[decision]
            e.decided_by = actor.username
            e.decided_at = utcnow()
            e.reason = reason
            s.add(e)
            s.flush()
            audit.append(
                s,
                actor.username,
                "accountability.decide",
                {
                    "entry_id": e.id,
                    "round_id": e.round_id,
                    "unit_id": e.unit_id,
                    "cadre_id": e.cadre_id,
                    "rule": e.rule_code,
                    "decision": e.status,
                    "previous": previous,
                    "reason": reason,
                },
            )
            done.append((e.id, e.status))
    return done


def undecided_count(session: Session, round_id: int) -> int:
    from sqlalchemy import func
    from sqlmodel import select

    from assess.models import AccountabilityEntry

    return session.exec(
        select(func.count())
        .select_from(AccountabilityEntry)
        .where(AccountabilityEntry.round_id == round_id, AccountabilityEntry.status == AccountabilityStatus.PROPOSED)
    ).one()
