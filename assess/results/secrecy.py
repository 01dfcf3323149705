"""What the results outputs may print of a round's appraisal figures (docs/reliability.md §9,
小类别不能由减法或得分联立还原): the tally publication rule (``assess.appraisal.tally.disclosure``) applied to
the rankings, the unit explanation, the cadre results and the reports.

A target's weighted appraisal score is published (it ranks the target). Where a voter group with
marks for it is under the form's publication threshold, nothing else of its votes is: no 满意率, no
share per option, no count per option (pooled or per group) — beside the score, each of those is
one more equation in the small group's votes. ``missing_groups`` names a group only when
``tally.nameable_groups`` allows it. Where the target's counted votes in all are under the
threshold the score itself comes from fewer ballots than may be shown: it is printed (it must rank)
and marked ``评议计分票不足公开门槛`` — the accepted residual.

Everything is read through ``assess.results.round_view`` (a published round from its snapshot): the
session targets, the certified counts and the batches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assess.appraisal.records import session_batches
from assess.appraisal.session_info import read_session_info
from assess.appraisal.tally import disclosure, group_ballots, nameable_groups, session_cube
from assess.foundation.vocabulary import SessionStatus

if TYPE_CHECKING:
    from assess.foundation.db import Reader

# Result flags added to what an output prints (worded in ``scoring.service.FLAG_WORDS``).
DETAIL_WITHHELD = "appraisal_detail_withheld"  # 含不足公开门槛的投票人类别，分项不公布
FEW_COUNTED = "appraisal_few"  # 评议计分票不足公开门槛
HIDDEN_MISSING = "missing_groups_hidden"  # 有投票人类别没有计分票（不具名）


@dataclass
class TargetSecrecy:
    withheld: bool = False  # only the score and the counted votes may be printed
    few: bool = False  # counted votes in all under the threshold: the score is marked
    hidden_missing: set[str] = field(default_factory=set)  # missing groups that may not be named

    def merge(self, other: TargetSecrecy) -> None:
        self.withheld |= other.withheld
        self.few |= other.few
        self.hidden_missing |= other.hidden_missing


@dataclass
class RoundSecrecy:
    units: dict[int, TargetSecrecy] = field(default_factory=dict)  # unit_id (unit sessions)
    cadres: dict[tuple[int, int], TargetSecrecy] = field(default_factory=dict)  # (session_id, cadre_id)
    few_targets: list[str] = field(default_factory=list)  # "会议名 对象编码" with the score marked

    def unit(self, unit_id: Any) -> TargetSecrecy:
        return self.units.get(int(unit_id), TargetSecrecy()) if unit_id is not None else TargetSecrecy()

    def cadre_any(self, cadre_id: Any) -> TargetSecrecy:
        """A cadre over every session of the round (an accountability entry names no session)."""
        out = TargetSecrecy()
        for (_sid, cid), sec in self.cadres.items():
            if cadre_id is not None and cid == int(cadre_id):
                out.merge(sec)
        return out

    def cadre(self, session_id: Any, cadre_id: Any) -> TargetSecrecy:
        if session_id is None or cadre_id is None:
            return TargetSecrecy()
        return self.cadres.get((int(session_id), int(cadre_id)), TargetSecrecy())

    def warnings(self) -> list[str]:
        if not self.few_targets:
            return []
        listed = "、".join(self.few_targets[:10]) + ("…" if len(self.few_targets) > 10 else "")
        return [
            f"{len(self.few_targets)} 个评议对象的计分票合计不足公开门槛（{listed}）：其得分照常计入排名并公布，"
            "标注“评议计分票不足公开门槛”（得分可能由少数几张选票算出）。"
        ]


def round_secrecy(s: Reader, round_id: int) -> RoundSecrecy:
    """The publication rule for every target of the round's certified appraisal sessions."""
    import numpy as np
    from sqlalchemy import select

    from assess.models import tables

    out = RoundSecrecy()
    a = tables.appraisalsession
    sessions: list[int] = list(s.execute(
        select(a.c.id).where(a.c.round_id == round_id, a.c.status == SessionStatus.CERTIFIED).order_by(a.c.id)
    ).scalars())
    for sid in sessions:
        assert sid is not None  # a stored row's id
        info = read_session_info(s, sid)
        if not info.targets or not info.groups:
            continue
        c = session_cube(s, info)
        counted = c.counts[..., c.counted_mask].sum(axis=-1)
        total = c.counts.sum(axis=-1)
        threshold = info.form.publication_threshold
        rule = disclosure(counted, total, threshold)
        codes = [g.code for g in info.groups]
        weights = np.array([g.weight for g in info.groups], dtype=float)
        nameable = nameable_groups(group_ballots(session_batches(s, sid), codes), threshold)
        for i, t in enumerate(info.targets):
            hidden = {
                codes[j] for j in range(len(codes)) if counted[i, j] == 0 and weights[j] > 0 and not nameable[j]
            }
            sec = TargetSecrecy(not bool(rule.detail_shown[i]), bool(rule.few[i]), hidden)
            if sec.few:
                out.few_targets.append(f"{info.name} {t.code}")
            if info.kind == "cadre" and t.cadre_id is not None:
                out.cadres.setdefault((sid, int(t.cadre_id)), TargetSecrecy()).merge(sec)
            elif info.kind != "cadre" and t.unit_id is not None:
                out.units.setdefault(int(t.unit_id), TargetSecrecy()).merge(sec)
    return out


# Accountability figures that are vote shares: withheld beside a small voter group.
_SHARE_METRICS = ("satisfaction", "unfit_share", "fit_share")
_SHARE_KEYS = ("unfit_share", "unfit_votes", "fit_share", "satisfaction")


def public_figures(figures: dict[str, Any] | None, sec: TargetSecrecy) -> dict[str, Any] | None:
    """An accountability entry's figures as an output may print them: where ``sec`` withholds
    the target's vote shares, a 满意率 / 不称职 / 称职及以上 share (and a 不称职 vote count) is
    left out — the rule and its limit stay (the entry and its reason are published)."""
    if not figures or not sec.withheld:
        return figures
    out = dict(figures)
    if out.get("metric") in _SHARE_METRICS:
        out["value"] = None
    for key in _SHARE_KEYS:
        if key in out:
            out[key] = None
    if isinstance(out.get("reasons"), list):
        out["reasons"] = [
            {**r, "figures": public_figures(r.get("figures"), sec)} if isinstance(r, dict) else r
            for r in out["reasons"]
        ]
    return out


def public_flags(flags: list[Any] | None, sec: TargetSecrecy) -> list[Any]:
    """A result's flags as an output may print them: a missing group that may not be named is
    replaced by ``missing_groups_hidden``; the marks of ``sec`` are added."""
    out: list[Any] = []
    for f in flags or []:
        key, _, arg = f.partition(":") if isinstance(f, str) else ("", "", "")
        if key == "missing_groups" and sec.hidden_missing:
            keep = [c for c in re.split(r"[,、]", arg) if c and c not in sec.hidden_missing]
            if keep:
                out.append("missing_groups:" + ",".join(keep))
            out.append(HIDDEN_MISSING)
            continue
        out.append(f)
    if sec.few:
        out.append(FEW_COUNTED)
    elif sec.withheld:
        out.append(DETAIL_WITHHELD)
    return out
