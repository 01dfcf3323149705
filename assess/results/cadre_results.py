"""Cadre results (勤廉双述) as the command line and the screens show them: one reader over
``round_view.cadre_results`` (names as published for a published round), with the flags as the
sentences of ``reasons.flag_reason`` and the pooled vote figures only where the tally publication
rule (``tally.disclosure``) lets them be printed (docs/reliability.md, 小类别不能由减法还原)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from assess.appraisal.forms import session_form
from assess.appraisal.tally import disclosure
from assess.foundation.errors import NotFound
from assess.foundation.write_guards import get_round
from assess.results.reasons import ReasonNames, flag_reason
from assess.results.round_view import cadre_results
from assess.results.secrecy import public_flags, round_secrecy
from assess.rounds.lifecycle import round_scheme
from assess.schemes.definition import UNFIT_LABEL

if TYPE_CHECKING:
    from assess.foundation.db import Database
    from assess.schemes.definition import FormDef

CADRE_COLUMNS = [
    "session_id",
    "cadre_code",
    "cadre_name",
    "position",
    "unit_code",
    "unit_name",
    "score",
    "grade",
    "counted",
    "unfit_share",
    "fit_share",
    "flags",
    "note",
]
CADRE_HEADERS = [
    "会议",
    "编码",
    "干部",
    "职务",
    "单位编码",
    "单位",
    "测评得分",
    "等次",
    "计分票",
    "不称职票占比",
    "称职及以上占比",
    "说明",
    "备注",
]


@dataclass
class CadreResults:
    title: str  # the round's name and period
    rows: list[dict]  # CADRE_COLUMNS
    headers: list[str]  # CADRE_HEADERS, the share headings in the words of the sessions' form
    precision: int  # the scheme's: decimals of a printed score

    def score_text(self, value: float | None) -> str:
        return "—" if value is None else f"{float(value):.{self.precision}f}"


def cadre_result_rows(db: Database, round_id: int, session_id: int | None = None) -> CadreResults:
    """The cadre results of a round (or of one of its sessions): names as published for a published round
    (``round_view.cadre_results``), flags as the sentences of ``reasons.flag_reason``, the score
    as stored (rounded to the scheme's precision by the results step). The pooled vote figures are
    printed only where the tally publication rule (``tally.disclosure``) lets them be."""
    import numpy as np

    from assess.models import AppraisalSession

    with db.read() as s:
        r = get_round(s, round_id)
        title = f"{r.name}（{r.period}）"
        scheme = round_scheme(s, r)
        names = ReasonNames.of(scheme, r.period)
        if session_id is not None:
            sess = s.get(AppraisalSession, session_id)
            if sess is None or sess.round_id != round_id:
                raise NotFound(f"评议会议 #{session_id} 不属于考核轮次“{r.name}”。")
        results = [c for c in cadre_results(s, round_id) if session_id is None or c["session_id"] == session_id]
        forms = {sid: session_form(s, sid) for sid in {c["session_id"] for c in results}}
        secrecy = round_secrecy(s, round_id)
    if not results:
        where = f"评议会议 #{session_id}" if session_id is not None else f"考核轮次“{r.name}”"
        raise NotFound(f"{where}尚无干部测评结果：核定勤廉双述会议后计算本轮结果（assess compute 或排名结果中按 g）。")
    headers = list(CADRE_HEADERS)
    labels = {_share_labels(f) for f in forms.values()}
    if len(labels) == 1:
        unfit, fit = labels.pop()
        headers[CADRE_COLUMNS.index("unfit_share")] = f"{unfit}票占比"
        headers[CADRE_COLUMNS.index("fit_share")] = f"{fit}占比"
    rows = []
    for c in results:
        counts = c.get("counts") or {}
        counted = int(counts.get("counted") or 0)
        threshold = forms[c["session_id"]].publication_threshold
        rule = disclosure(np.array([[counted]]), np.array([[counted]]), threshold)
        sec = secrecy.cadre(c["session_id"], c["cadre_id"])
        # The score and the counted ballots are printed (the score ranks); the shares only where
        # no voter group with marks is under the threshold (docs/reliability.md §9).
        shown = bool(rule.pooled_shown[0]) and not sec.withheld
        note = rule.target_note(0)  # the flags say 含不足公开门槛的投票人类别 (public_flags)
        rows.append(
            {
                "session_id": c["session_id"],
                "cadre_code": c["code"],
                "cadre_name": c["name"],
                "position": c["position"],
                "unit_code": c["unit_code"],
                "unit_name": c["unit_name"],
                "score": c["score"],
                "grade": c["grade"] or None,
                "counted": counted,
                "unfit_share": counts.get("unfit_share") if shown else None,
                "fit_share": counts.get("fit_share") if shown else None,
                "flags": "；".join(flag_reason(f, names) for f in public_flags(c["flags"], sec)),
                "note": note,
            }
        )
    return CadreResults(title, rows, headers, int(scheme.precision))


def _share_labels(form: FormDef) -> tuple[str, str]:
    """(unfit label, fit-share label) of a cadre form, e.g. (不称职, 称职及以上)."""

    fit = [o.label for o in form.options if o.satisfied]
    unfit = form.cadre_rules.unfit_option if form.cadre_rules else UNFIT_LABEL
    return unfit, f"{fit[-1]}及以上" if fit else "称职及以上"
