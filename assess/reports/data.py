"""Everything a report shows about one round, read from the database into pandas DataFrames.

Every row comes through ``assess.results.round_view``: a published round's from its publication snapshot
(names as they were at publication), another round's from the live tables. Nothing is recomputed
here except the per-indicator points shown in the detail sheet and the heatmap
(``indicator_points``, from the round's scoring inputs) and the option shares of the appraisal
tallies (``tallies``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from assess.foundation import audit
from assess.foundation.errors import AssessError
from assess.foundation.users import display_names
from assess.foundation.vocabulary import (
    ACCOUNTABILITY_STATUS_LABELS,
    ANNUAL_COMPONENTS,
    COMPONENT_WORDS,
    DECISION_LABELS,
    SATISFACTION_LABEL,
    Stage,
)
from assess.foundation.write_guards import get_round
from assess.reports.indicator_points import indicator_points
from assess.results import round_view
from assess.results.annual_sources import is_annual
from assess.results.consequences import STAGES as CONSEQUENCE_STAGES
from assess.results.consequences import round_consequences
from assess.results.objections import objections as objection_rows
from assess.results.objections import status as publicity_status
from assess.results.reasons import ReasonNames, accountability_reason, flag_reason
from assess.results.round_view import cadre_results
from assess.results.secrecy import public_figures, public_flags, round_secrecy
from assess.results.stored import results as round_results
from assess.rounds import snapshots
from assess.schemes.definition import from_dict
from assess.scoring.annual import result_scheme

if TYPE_CHECKING:
    import pandas as pd

    from assess.foundation.db import Database
    from assess.results.reasons import ReasonNames
    from assess.schemes.definition import SchemeDef

COMPONENT_LABELS = {
    "indicators": "指标得分",
    "appraisal": "民主评议",
    "adjustment": "日常/加减分",
    "penalty": "虚报扣分",
    "satisfaction": SATISFACTION_LABEL,
}
COMPONENT_ORDER = ("indicators", "appraisal", "adjustment", "penalty", "satisfaction")

REVIEW_STEP_LABELS = {
    "first": "初审",
    "audit": "审核",
    "recheck": "复核",
    "objection": "异议采纳",
    "vote": "审议",
    "review.first": "初审",
    "review.audit": "审核",
    "review.recheck": "复核",
    "review.vote": "审议",
}
HISTORY_ROUNDS = 8


@dataclass
class ReportData:
    round_id: int
    round_name: str
    period: str
    stage: str
    scheme_code: str
    scheme_name: str
    scheme_version: int
    scheme_hash: str
    scheme: SchemeDef
    categories: list[str]
    components: list[str]  # component keys present in the results, in display order
    results: pd.DataFrame
    indicators: pd.DataFrame
    tallies: pd.DataFrame
    options: dict[str, list[str]]  # form code → option labels in form order
    accountability: pd.DataFrame
    cadres: pd.DataFrame
    history: pd.DataFrame
    review_steps: list[dict[str, Any]] = field(default_factory=list)
    approvals: list[dict[str, Any]] = field(default_factory=list)
    snapshot: dict[str, Any] | None = None
    chain_seq: int = 0
    chain_head: str = ""
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    # The 公示 periods (assess/publicity.py, last one last) and the objections, when any
    publicity: list[dict[str, Any]] = field(default_factory=list)
    objections: list[dict[str, Any]] = field(default_factory=list)
    # 考核结果运用 (assess/consequences.py) of a round in 公示 or final; None before
    consequences: list[dict[str, Any]] | None = None
    annual: bool = False  # an annual round: the composite is 年度综合得分 (assess.results.annual)

    @property
    def published(self) -> bool:
        return self.stage == Stage.PUBLISHED and self.snapshot is not None

    @property
    def in_publicity(self) -> bool:
        """公示中: every output shows the 公示 snapshot, marked 公示稿."""
        return self.stage == Stage.PUBLICITY and bool(self.publicity)

    @property
    def draft_mark(self) -> str:
        """The mark every output of an unpublished round carries."""
        if self.published:
            return ""
        return "公示稿" if self.in_publicity else "审核稿（未公示，不得外传）"

    def category_results(self, category: str) -> pd.DataFrame:
        return self.results[self.results["category"] == category].sort_values(["rank", "unit_code"])

    def component_label(self, key: str) -> str:
        return COMPONENT_LABELS.get(key) or COMPONENT_WORDS.get(key, key)

    @property
    def composite_label(self) -> str:
        return COMPONENT_WORDS["annual_composite" if self.annual else "composite"]

    @property
    def weights(self) -> dict[str, float]:
        """The composite's parts and weights: an annual round's 季度平均 and 年终考核 (``[annual]``)."""
        if self.annual and self.scheme.annual is not None:
            w = self.scheme.annual.weights
            return {"quarter_avg": float(w.get("quarters", 0.0)), "year_end": float(w.get("year_end", 0.0))}
        return {k: float(v) for k, v in self.scheme.weights.items()}


def flag_text(flag: Any, names: ReasonNames | None = None) -> str:
    """A result flag as words (``assess.results.reasons.flag_reason``)."""

    return flag_reason(flag, names)


def figures_text(
    figures: dict[str, Any] | None,
    kind: str | None = None,
    category: str | None = None,
    names: ReasonNames | None = None,
) -> str:
    """The figures that triggered an accountability rule, as one sentence
    (``assess.results.reasons.accountability_reason``)."""
    if not figures:
        return ""

    return accountability_reason(figures, kind=kind, category=category, names=names)


def load_report_data(db: Database, round_id: int) -> ReportData:
    """Read one round for reporting. Raises NotFound for an unknown round and AssessError when the
    round has no computed results yet."""
    from sqlmodel import select

    from assess.models import Scheme, SchemeVersion, Snapshot

    with db.read() as s:
        rnd = get_round(s, round_id)
        version = s.get(SchemeVersion, rnd.scheme_version_id)
        assert version is not None  # the round's scheme version (a foreign key)
        scheme_row = s.get(Scheme, version.scheme_id)
        assert scheme_row is not None  # the version's scheme (a foreign key)
        scheme = from_dict(version.definition)
        if is_annual(s, round_id):  # graded and rounded as the annual result is (``[annual]``)
            scheme = result_scheme(scheme)
        names = ReasonNames.of(scheme, rnd.period)
        people = display_names(s)
        results = _results(s, round_id, names)
        if results.empty:
            raise AssessError(f"考核轮次“{rnd.name}”还没有计算结果，无法生成报告。")
        indicators = indicator_points(round_view.indicator_values(s, round_id), scheme, results)
        tallies = round_view.tallies(s, round_id, scheme)
        options = {f.code: [o.label for o in f.options] for f in scheme.forms}
        accountability = _accountability(s, round_id, names)
        accountability["decided_by"] = [people.get(u, u) for u in accountability["decided_by"]]
        cadres = _cadres(s, round_id, names)
        history = _history(s, rnd, version.scheme_id)
        steps = [
            {
                "step": REVIEW_STEP_LABELS.get(r["step"], r["step"]),
                "by": people.get(r["by_user"], r["by_user"]),
                "decision": DECISION_LABELS.get(r["decision"], r["decision"]),
                "note": r["note"] or "",
                "at": r["at"],
            }
            for r in sorted(round_view.review_steps(s, round_id), key=lambda r: (r["at"], r["id"]))
        ]
        votes = [
            {
                "expected": v["expected"],
                "present": v["present"],
                "yes": v["yes"],
                "no": v["no"],
                "abstain": v["abstain"],
                "passed": v["passed"],
                "by": people.get(v["recorded_by"], v["recorded_by"]),
                "at": v["at"],
            }
            for v in sorted(round_view.votes(s, round_id), key=lambda v: (v["at"], v["id"]))
        ]
        snap = s.exec(select(Snapshot).where(Snapshot.round_id == round_id)).first()
        snapshot = (
            None
            if snap is None
            else {
                "content_hash": snap.content_hash,
                "audit_head": snap.audit_head,
                "published_at": snap.published_at,
                "published_by": people.get(snap.published_by, snap.published_by),
            }
        )
        frozen = snapshots.published_content(s, round_id)
        if frozen is not None:
            fr = frozen["round"]
            scheme_code, scheme_name, scheme_version = (
                fr["scheme_code"],
                fr["scheme_name"],
                fr["scheme_version"],
            )
            rnd_name, rnd_period = fr["name"], fr["period"]
        else:
            scheme_code, scheme_name, scheme_version = scheme_row.code, scheme_row.name, version.version
            rnd_name, rnd_period = rnd.name, rnd.period
        round_fields = (rnd_name, rnd_period, rnd.stage)
        annual = is_annual(s, round_id)

    publicity = publicity_status(db, round_id).periods
    objections = objection_rows(db, round_id)

    consequences = (
        round_consequences(db, round_id).rows
        if round_fields[2] in CONSEQUENCE_STAGES and scheme.consequences
        else None
    )
    seq, head = audit.chain_head(db)
    categories = list(scheme.categories)
    for c in results["category"]:
        if c not in categories:
            categories.append(c)
    categories = [c for c in categories if (results["category"] == c).any()]
    position = {c: i for i, c in enumerate(categories)}
    results = results.sort_values("category", key=lambda col: col.map(position), kind="stable").reset_index(
        drop=True
    )
    indicators = indicators.sort_values(
        "category", key=lambda col: col.map(position), kind="stable"
    ).reset_index(drop=True)
    if annual:  # 年度综合得分 of 季度平均 and 年终考核 (assess.results.annual), named as they are
        components = list(ANNUAL_COMPONENTS)
    else:
        components = [k for k in COMPONENT_ORDER if f"c_{k}" in results.columns]
        components += sorted(c[2:] for c in results.columns if c.startswith("c_") and c[2:] not in components)
    return ReportData(
        round_id=round_id,
        round_name=round_fields[0],
        period=round_fields[1],
        stage=round_fields[2],
        scheme_code=scheme_code,
        scheme_name=scheme_name,
        scheme_version=scheme_version,
        scheme_hash=version.content_hash,
        scheme=scheme,
        categories=categories,
        components=components,
        annual=annual,
        results=results,
        indicators=indicators,
        tallies=tallies,
        options=options,
        accountability=accountability,
        cadres=cadres,
        history=history,
        review_steps=steps,
        approvals=votes,
        snapshot=snapshot,
        chain_seq=seq,
        chain_head=head,
        publicity=publicity,
        objections=objections,
        consequences=consequences,
    )


def _results(s, round_id: int, names: ReasonNames | None = None) -> pd.DataFrame:
    import pandas as pd


    secrecy = round_secrecy(s, round_id)
    records = []
    for r in round_results(s, round_id):
        sec = secrecy.unit(r["unit_id"])  # 满意率 withheld beside a small voter group (§9)
        rec = {
            "unit_id": r["unit_id"],
            "unit_code": r["code"],
            "unit_name": r["name"],
            "category": r["category"],
            "composite": float(r["composite"]),
            "rank": int(r["rank"]),
            "rank_low": r["rank_low"],
            "rank_high": r["rank_high"],
            "grade": r["grade"],
            "flags": "；".join(flag_text(f, names) for f in public_flags(r["flags"], sec)),
        }
        for key, value in (r["components"] or {}).items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                rec[f"c_{key}"] = None if key == "satisfaction" and sec.withheld else float(value)
        records.append(rec)
    df = pd.DataFrame.from_records(records)
    if df.empty:
        return pd.DataFrame(
            columns=[
                "unit_id",
                "unit_code",
                "unit_name",
                "category",
                "composite",
                "rank",
                "rank_low",
                "rank_high",
                "grade",
                "flags",
            ]
        )
    for col in ("rank_low", "rank_high"):
        df[col] = df[col].astype("Int64")
    return df.sort_values(["category", "rank", "unit_code"]).reset_index(drop=True)


def _accountability(s, round_id: int, names: ReasonNames | None = None) -> pd.DataFrame:
    import pandas as pd


    secrecy = round_secrecy(s, round_id)
    columns = [
        "entry_id",
        "subject",
        "subject_code",
        "unit_name",
        "category",
        "rule_code",
        "rule_text",
        "figures",
        "proposed_action",
        "status",
        "status_label",
        "decided_by",
        "reason",
        "robust_share",
    ]
    recs = []
    for e in round_view.accountability(s, round_id):
        # Vote shares withheld beside a small voter group (docs/reliability.md §9).
        sec = secrecy.cadre_any(e["cadre_id"]) if e["cadre_id"] else secrecy.unit(e["unit_id"])
        e = {**e, "figures": public_figures(e["figures"], sec)}
        if e["cadre_id"] and e["cadre_code"]:
            subject, code = f"{e['cadre_name']}（{e['position']}）", e["cadre_code"]
            unit_name = e["cadre_unit_name"] or ""
        else:
            subject, code = e["unit_name"] or "", e["unit_code"] or ""
            unit_name = e["unit_name"] or ""
        recs.append(
            {
                "entry_id": e["id"],
                "subject": subject,
                "subject_code": code,
                "unit_name": unit_name,
                "category": e["category"] or "",
                "rule_code": e["rule_code"],
                "rule_text": e["rule_text"] or e["rule_code"],
                "figures": figures_text(
                    e["figures"], names.rule_kinds.get(e["rule_code"]) if names else None, e["category"], names
                ),
                "proposed_action": e["proposed_action"],
                "status": e["status"],
                "status_label": ACCOUNTABILITY_STATUS_LABELS.get(e["status"], e["status"]),
                "decided_by": e["decided_by"] or "",
                "reason": e["reason"] or "",
                "robust_share": e["robust_share"],
            }
        )
    return pd.DataFrame.from_records(recs, columns=columns)


def _cadres(s, round_id: int, names: ReasonNames | None = None) -> pd.DataFrame:
    import pandas as pd


    secrecy = round_secrecy(s, round_id)
    columns = ["cadre_code", "cadre_name", "position", "unit_name", "score", "grade", "flags"]
    recs = [
        {
            "cadre_code": c["code"],
            "cadre_name": c["name"],
            "position": c["position"],
            "unit_name": c["unit_name"],
            "score": c["score"],
            "grade": c["grade"],
            "flags": "；".join(
                flag_text(f, names) for f in public_flags(c["flags"], secrecy.cadre(c["session_id"], c["cadre_id"]))
            ),
        }
        for c in cadre_results(s, round_id)
    ]
    df = pd.DataFrame.from_records(recs, columns=columns)
    return df.sort_values(["unit_name", "cadre_code"]).reset_index(drop=True) if not df.empty else df


def _history(s, rnd, scheme_id: int) -> pd.DataFrame:
    """Composite and rank of this round's units in earlier published rounds of the same scheme
    (any version) and in this round; a round replaced by a published correction is left out."""
    import pandas as pd
    from sqlmodel import col, select

    from assess.models import Round, SchemeVersion

    columns = ["round_id", "period", "round_name", "unit_id", "unit_name", "category", "composite", "rank"]
    rounds = s.exec(
        select(Round)
        .join(SchemeVersion, col(SchemeVersion.id) == Round.scheme_version_id)
        .where(SchemeVersion.scheme_id == scheme_id)
    ).all()
    corrected = {r.corrects_round_id for r in rounds if r.corrects_round_id and r.stage == Stage.PUBLISHED}
    chosen = [
        r
        for r in rounds
        if r.id == rnd.id or (r.stage == Stage.PUBLISHED and r.id not in corrected and r.period <= rnd.period)
    ]
    chosen.sort(key=lambda r: (r.period, r.created_at, r.id))
    if rnd.id in corrected:
        chosen = [r for r in chosen if r.id != rnd.id]
    chosen = chosen[-HISTORY_ROUNDS:]
    if not chosen:
        return pd.DataFrame(columns=columns)
    meta = {r.id: (r.period, r.name) for r in chosen}
    rows = [
        (rid, x["unit_id"], x["name"], x["category"], x["composite"], x["rank"])
        for rid in meta
        for x in round_results(s, rid)
    ]
    df = pd.DataFrame(rows, columns=["round_id", "unit_id", "unit_name", "category", "composite", "rank"])
    df["period"] = df["round_id"].map(lambda i: meta[i][0])
    df["round_name"] = df["round_id"].map(lambda i: meta[i][1])
    order = {r.id: i for i, r in enumerate(chosen)}
    df["_order"] = df["round_id"].map(order)
    return df.sort_values(["_order", "category", "rank"])[columns].reset_index(drop=True)
