"""Everything a report shows about one round, read from the database into pandas DataFrames.

Results come from ``UnitResult`` / ``CadreResult`` / ``AccountabilityEntry`` as computed and
approved; nothing is recomputed here except the per-indicator points shown in the detail sheet and
the heatmap (``indicator_points``) and the option shares of the appraisal tallies (``tallies``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from ..db import Database
    from ..schemes.definition import SchemeDef

COMPONENT_LABELS = {
    "indicators": "指标得分",
    "appraisal": "民主评议",
    "adjustment": "日常/加减分",
    "penalty": "虚报扣分",
    "satisfaction": "满意率",
}
COMPONENT_ORDER = ("indicators", "appraisal", "adjustment", "penalty", "satisfaction")

REVIEW_STEP_LABELS = {
    "first": "初审",
    "audit": "审核",
    "recheck": "复核",
    "vote": "审议",
    "review.first": "初审",
    "review.audit": "审核",
    "review.recheck": "复核",
    "review.vote": "审议",
}
DECISION_LABELS = {"pass": "通过", "return": "退回"}
STATUS_LABELS = {"proposed": "拟问责", "confirmed": "已确认", "waived": "免予问责"}
FIGURE_LABELS = {
    "composite": "综合得分",
    "rank": "名次",
    "category_size": "类别单位数",
    "satisfaction": "满意率",
    "indicators": "指标得分",
    "appraisal": "民主评议",
    "threshold": "阈值",
    "value": "数值",
    "unfit_share": "不称职票比例",
    "unfit_votes": "不称职票",
    "counted": "有效票",
    "days_overdue": "逾期天数",
    "false_reports": "虚报指标数",
    "times": "次数",
    "window": "期数",
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

    @property
    def published(self) -> bool:
        return self.stage == "published" and self.snapshot is not None

    @property
    def draft_mark(self) -> str:
        """The mark every output of an unpublished round carries."""
        return "" if self.published else "审核稿（未公示，不得外传）"

    def category_results(self, category: str) -> pd.DataFrame:
        return self.results[self.results["category"] == category].sort_values(["rank", "unit_code"])

    def component_label(self, key: str) -> str:
        return COMPONENT_LABELS.get(key, key)


def flag_text(flag: Any) -> str:
    """A result flag as words: flags are strings (``false_report:C1``) or small dicts written by the
    scoring engine, worded as the scoring engine words them."""
    if isinstance(flag, str):
        try:
            from ..scoring.service import flag_text as scoring_words
        except ImportError:
            return flag
        return scoring_words(flag)
    if isinstance(flag, dict):
        for key in ("text", "label", "message", "code", "kind"):
            if flag.get(key):
                return str(flag[key])
        return "，".join(f"{k}={v}" for k, v in flag.items())
    return str(flag)


def figures_text(figures: dict[str, Any] | None) -> str:
    """The figures that triggered an accountability rule, in words."""
    if not figures:
        return ""
    parts = []
    unfit = figures.get("unfit_option")  # the cadre form's own word, e.g. 不合格 for 村干部
    for k, v in figures.items():
        if k == "unfit_option":
            continue
        if isinstance(v, float):
            v = f"{v:.4g}" if abs(v) < 1 else f"{v:.2f}"
        label = FIGURE_LABELS.get(k, k)
        if unfit and k in ("unfit_share", "unfit_votes"):
            label = label.replace("不称职", unfit)
        parts.append(f"{label} {v}")
    return "；".join(parts)


def load_report_data(db: Database, round_id: int) -> ReportData:
    """Read one round for reporting. Raises NotFound for an unknown round and AssessError when the
    round has no computed results yet."""
    from sqlmodel import select

    from .. import audit
    from ..errors import AssessError
    from ..guards import get_round
    from ..models import ApprovalVote, ReviewStep, Scheme, SchemeVersion, Snapshot
    from ..schemes.definition import from_dict
    from .indicator_points import indicator_scores
    from .tallies import unit_tallies

    with db.read() as s:
        rnd = get_round(s, round_id)
        version = s.get(SchemeVersion, rnd.scheme_version_id)
        scheme_row = s.get(Scheme, version.scheme_id)
        scheme = from_dict(version.definition)
        results = _results(s, round_id)
        if results.empty:
            raise AssessError(f"考核轮次“{rnd.name}”还没有计算结果，无法生成报告。")
        indicators = indicator_scores(s, round_id, scheme, results)
        tallies, options = unit_tallies(s, round_id, scheme)
        accountability = _accountability(s, round_id)
        cadres = _cadres(s, round_id)
        history = _history(s, rnd, version.scheme_id)
        steps = [
            {
                "step": REVIEW_STEP_LABELS.get(r.step, r.step),
                "by": r.by_user,
                "decision": DECISION_LABELS.get(r.decision, r.decision),
                "note": r.note or "",
                "at": r.at,
            }
            for r in s.exec(
                select(ReviewStep)
                .where(ReviewStep.round_id == round_id)
                .order_by(ReviewStep.at, ReviewStep.id)
            )
        ]
        votes = [
            {
                "expected": v.expected_members,
                "present": v.present,
                "yes": v.yes,
                "no": v.no,
                "abstain": v.abstain,
                "passed": v.passed,
                "by": v.recorded_by,
                "at": v.at,
            }
            for v in s.exec(
                select(ApprovalVote)
                .where(ApprovalVote.round_id == round_id)
                .order_by(ApprovalVote.at, ApprovalVote.id)
            )
        ]
        snap = s.exec(select(Snapshot).where(Snapshot.round_id == round_id)).first()
        snapshot = (
            None
            if snap is None
            else {
                "content_hash": snap.content_hash,
                "audit_head": snap.audit_head,
                "published_at": snap.published_at,
                "published_by": snap.published_by,
            }
        )
        round_fields = (rnd.name, rnd.period, rnd.stage)
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
    components = [k for k in COMPONENT_ORDER if f"c_{k}" in results.columns]
    components += sorted(c[2:] for c in results.columns if c.startswith("c_") and c[2:] not in components)
    return ReportData(
        round_id=round_id,
        round_name=round_fields[0],
        period=round_fields[1],
        stage=round_fields[2],
        scheme_code=scheme_row.code,
        scheme_name=scheme_row.name,
        scheme_version=version.version,
        scheme_hash=version.content_hash,
        scheme=scheme,
        categories=categories,
        components=components,
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
    )


def _results(s, round_id: int) -> pd.DataFrame:
    import pandas as pd
    from sqlmodel import select

    from ..models import Unit, UnitResult

    rows = s.exec(
        select(UnitResult, Unit.code, Unit.name)
        .join(Unit, Unit.id == UnitResult.unit_id)
        .where(UnitResult.round_id == round_id)
    ).all()
    records = []
    for r, code, name in rows:
        rec = {
            "unit_id": r.unit_id,
            "unit_code": code,
            "unit_name": name,
            "category": r.category,
            "composite": float(r.composite),
            "rank": int(r.rank),
            "rank_low": r.rank_low,
            "rank_high": r.rank_high,
            "grade": r.grade,
            "flags": "；".join(flag_text(f) for f in (r.flags or [])),
        }
        for key, value in (r.components or {}).items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                rec[f"c_{key}"] = float(value)
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


def _accountability(s, round_id: int) -> pd.DataFrame:
    import pandas as pd
    from sqlmodel import select

    from ..models import AccountabilityEntry, Cadre, Unit

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
    entries = s.exec(
        select(AccountabilityEntry)
        .where(AccountabilityEntry.round_id == round_id)
        .order_by(AccountabilityEntry.id)
    ).all()
    if not entries:
        return pd.DataFrame(columns=columns)
    units = {u.id: u for u in s.exec(select(Unit))}
    cadre_ids = {e.cadre_id for e in entries if e.cadre_id}
    cadres = {c.id: c for c in s.exec(select(Cadre).where(Cadre.id.in_(cadre_ids)))} if cadre_ids else {}
    recs = []
    for e in entries:
        if e.cadre_id and e.cadre_id in cadres:
            c = cadres[e.cadre_id]
            unit = units.get(c.unit_id)
            subject, code = f"{c.name}（{c.position}）", c.code
        else:
            unit = units.get(e.unit_id)
            subject, code = (unit.name, unit.code) if unit else ("", "")
        recs.append(
            {
                "entry_id": e.id,
                "subject": subject,
                "subject_code": code,
                "unit_name": unit.name if unit else "",
                "category": unit.category if unit else "",
                "rule_code": e.rule_code,
                "rule_text": e.rule_text or e.rule_code,
                "figures": figures_text(e.figures),
                "proposed_action": e.proposed_action,
                "status": e.status,
                "status_label": STATUS_LABELS.get(e.status, e.status),
                "decided_by": e.decided_by or "",
                "reason": e.reason or "",
                "robust_share": e.robust_share,
            }
        )
    return pd.DataFrame.from_records(recs, columns=columns)


def _cadres(s, round_id: int) -> pd.DataFrame:
    import pandas as pd
    from sqlmodel import select

    from ..models import Cadre, CadreResult, Unit

    columns = ["cadre_code", "cadre_name", "position", "unit_name", "score", "grade", "flags"]
    rows = s.exec(
        select(CadreResult, Cadre, Unit.name)
        .join(Cadre, Cadre.id == CadreResult.cadre_id)
        .join(Unit, Unit.id == Cadre.unit_id)
        .where(CadreResult.round_id == round_id)
    ).all()
    recs = [
        {
            "cadre_code": c.code,
            "cadre_name": c.name,
            "position": c.position,
            "unit_name": uname,
            "score": r.score,
            "grade": r.grade,
            "flags": "；".join(flag_text(f) for f in (r.flags or [])),
        }
        for r, c, uname in rows
    ]
    df = pd.DataFrame.from_records(recs, columns=columns)
    return df.sort_values(["unit_name", "cadre_code"]).reset_index(drop=True) if not df.empty else df


def _history(s, rnd, scheme_id: int) -> pd.DataFrame:
    """Composite and rank of this round's units in earlier published rounds of the same scheme
    (any version) and in this round; a round replaced by a published correction is left out."""
    import pandas as pd
    from sqlmodel import select

    from ..models import Round, SchemeVersion, Unit, UnitResult

    columns = ["round_id", "period", "round_name", "unit_id", "unit_name", "category", "composite", "rank"]
    rounds = s.exec(
        select(Round)
        .join(SchemeVersion, SchemeVersion.id == Round.scheme_version_id)
        .where(SchemeVersion.scheme_id == scheme_id)
    ).all()
    corrected = {r.corrects_round_id for r in rounds if r.corrects_round_id and r.stage == "published"}
    chosen = [
        r
        for r in rounds
        if r.id == rnd.id or (r.stage == "published" and r.id not in corrected and r.period <= rnd.period)
    ]
    chosen.sort(key=lambda r: (r.period, r.created_at, r.id))
    if rnd.id in corrected:
        chosen = [r for r in chosen if r.id != rnd.id]
    chosen = chosen[-HISTORY_ROUNDS:]
    if not chosen:
        return pd.DataFrame(columns=columns)
    meta = {r.id: (r.period, r.name) for r in chosen}
    rows = s.exec(
        select(
            UnitResult.round_id,
            UnitResult.unit_id,
            Unit.name,
            UnitResult.category,
            UnitResult.composite,
            UnitResult.rank,
        )
        .join(Unit, Unit.id == UnitResult.unit_id)
        .where(UnitResult.round_id.in_(list(meta)))
    ).all()
    df = pd.DataFrame(rows, columns=["round_id", "unit_id", "unit_name", "category", "composite", "rank"])
    df["period"] = df["round_id"].map(lambda i: meta[i][0])
    df["round_name"] = df["round_id"].map(lambda i: meta[i][1])
    order = {r.id: i for i, r in enumerate(chosen)}
    df["_order"] = df["round_id"].map(order)
    return df.sort_values(["_order", "category", "rank"])[columns].reset_index(drop=True)
