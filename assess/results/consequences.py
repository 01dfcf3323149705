"""考核结果运用: what each result leads to, by the scheme's ``[[consequences]]`` (indicators/README.md,
“考核结果运用”), from the 公示 or final results of a round (``round_view``), per round or per year.

Conditions (``when``):

- ``grade:<等次>`` — a unit graded so (``subject = "cadre"``: a cadre's 测评等次);
- ``last`` — a unit ranked last in its category (categories of at least two ranks);
- ``rule:<问责规则编码>`` — an accountability entry of that rule that was not waived (免予问责),
  including an entry that merged several rules (the ladder lists them in ``figures.reasons``). The
  rule's window — e.g. 连续两年不合格 by calendar year — is the accountability engine's
  (``accountability.window_history``); nothing is re-counted here.

The list is read-only: it is derived from what was published (or posted in 公示) and the scheme
version of the round, so it is the same whenever it is printed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assess.foundation.errors import Conflict
from assess.foundation.vocabulary import AccountabilityStatus, Stage
from assess.foundation.write_guards import get_round
from assess.results import round_view, stored
from assess.results.accountability import rule_text
from assess.results.reasons import period_text
from assess.rounds import snapshots
from assess.rounds.lifecycle import stage_label
from assess.schemes.definition import from_dict

if TYPE_CHECKING:
    from sqlmodel import Session

    from assess.foundation.db import Database
    from assess.models import Round
    from assess.schemes.definition import ConsequenceDef, SchemeDef

STAGES = (Stage.PUBLICITY, Stage.PUBLISHED)
COLUMNS = ["period", "subject", "code", "name", "unit_name", "category", "grade", "rank", "consequence", "basis",
           "rule", "source"]
HEADERS = ["考核期间", "对象", "编码", "名称", "所在单位", "类别", "等次", "名次", "结果运用", "依据情形", "规则", "出处"]
SUBJECT_LABELS = {"unit": "单位", "cadre": "干部"}


@dataclass
class ConsequenceList:
    title: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # rounds left out and why

    def message(self) -> str:
        return f"{self.title}：{len(self.rows)} 条" + ("" if not self.notes else "（" + "；".join(self.notes) + "）")


def condition_text(c: ConsequenceDef, rules: dict[str, str]) -> str:
    kind, _, arg = c.when.partition(":")
    if kind == "grade":
        return f"{'测评等次' if c.subject == 'cadre' else '考核等次'}为“{arg}”"
    if kind == "last":
        return "类别内排名末位"
    return f"问责规则 {arg}：{rules.get(arg, '')}".rstrip("：")


def source_text(c: ConsequenceDef) -> str:
    if c.source:
        return f"依据 {c.source}" + ("（示例）" if c.basis else "")
    return "示例，由考核办确定" if c.basis else ""


def evaluate(
    scheme: SchemeDef,
    period: str,
    results: list[dict[str, Any]],
    cadres: list[dict[str, Any]],
    entries: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """The rows of one round, in the scheme's order of consequences, then by subject code."""

    rules = {r.code: (r.text or rule_text(r)) for r in scheme.rules}
    last_rank: dict[str, int] = {}
    for u in results:
        last_rank[u["category"]] = max(last_rank.get(u["category"], 0), int(u["rank"]))
    units = {u["code"]: u for u in results}
    rows: list[dict[str, Any]] = []

    def unit_row(c: ConsequenceDef, u: dict[str, Any]) -> dict[str, Any]:
        return {"period": period, "subject": "单位", "code": u["code"], "name": u["name"], "unit_name": None,
                "category": u["category"], "grade": u["grade"], "rank": int(u["rank"])}

    def cadre_row(c: ConsequenceDef, x: dict[str, Any]) -> dict[str, Any]:
        return {"period": period, "subject": "干部", "code": x["code"], "name": x["name"],
                "unit_name": x.get("unit_name"), "category": None, "grade": x.get("grade"), "rank": None}

    for c in scheme.consequences:
        kind, _, arg = c.when.partition(":")
        hits: list[dict[str, Any]] = []
        if kind == "grade" and c.subject == "cadre":
            seen = set()
            for x in sorted(cadres, key=lambda x: x["code"]):
                if x.get("grade") == arg and x["code"] not in seen:
                    seen.add(x["code"])
                    hits.append(cadre_row(c, x))
        elif kind == "grade":
            hits = [unit_row(c, u) for u in sorted(results, key=lambda u: u["code"]) if u["grade"] == arg]
        elif kind == "last":
            hits = [
                unit_row(c, u)
                for u in sorted(results, key=lambda u: u["code"])
                if last_rank[u["category"]] > 1 and int(u["rank"]) == last_rank[u["category"]]
            ]
        elif kind == "rule":
            cadre_grades = {x["code"]: x.get("grade") for x in cadres}
            for e in entries:
                if e["status"] == AccountabilityStatus.WAIVED:
                    continue
                fired = {e["rule_code"]} | {r.get("rule") for r in (e.get("figures") or {}).get("reasons") or []}
                if arg not in fired:
                    continue
                if e.get("cadre_code"):
                    if c.subject != "cadre":
                        continue
                    hits.append({"period": period, "subject": "干部", "code": e["cadre_code"], "name": e["cadre_name"],
                                 "unit_name": e.get("cadre_unit_name"), "category": None,
                                 "grade": cadre_grades.get(e["cadre_code"]), "rank": None})
                elif e.get("unit_code"):
                    if c.subject != "unit":
                        continue
                    unit = units.get(e["unit_code"])
                    hits.append(unit_row(c, unit) if unit else {
                        "period": period, "subject": "单位", "code": e["unit_code"], "name": e["unit_name"],
                        "unit_name": None, "category": e.get("category"), "grade": None, "rank": None})
            hits.sort(key=lambda h: h["code"])
        for h in hits:
            h.update(consequence=c.then, basis=condition_text(c, rules), rule=c.code, source=source_text(c))
            rows.append(h)
    return rows


def _round_rows(s: Session, db: Database, r: Round) -> list[dict[str, Any]]:
    from assess.models import SchemeVersion

    assert r.id is not None  # a stored round has its id
    sv = s.get(SchemeVersion, r.scheme_version_id)
    assert sv is not None  # a foreign key: the round's scheme version exists
    scheme = from_dict(sv.definition)
    content = snapshots.published_content(s, r.id)
    period = period_text(content["round"]["period"] if content else r.period)
    return evaluate(scheme, period, stored.results(s, r.id), round_view.cadre_results(s, r.id),
                    round_view.accountability(s, r.id))


def round_consequences(db: Database, round_id: int) -> ConsequenceList:
    """The consequences of one round's 公示 or final results."""

    with db.read() as s:
        r = get_round(s, round_id)
        if r.stage not in STAGES:
            raise Conflict(
                f"考核结果运用以公示或定稿的结果为准；考核轮次“{r.name}”当前阶段为“{stage_label(r.stage)}”。"
            )
        mark = "（公示稿）" if r.stage == Stage.PUBLICITY else ""
        return ConsequenceList(f"{r.name}考核结果运用{mark}", _round_rows(s, db, r))


def year_consequences(db: Database, year: int) -> ConsequenceList:
    """The consequences of every round of a year in 公示 or final, in period order."""
    from sqlmodel import col, select

    from assess.models import Round

    out = ConsequenceList(f"{year}年度考核结果运用")
    with db.read() as s:
        rounds = s.exec(select(Round).where(col(Round.period).startswith(str(year))).order_by(col(Round.period), col(Round.id))).all()
        for r in rounds:
            if r.stage not in STAGES:
                out.notes.append(f"“{r.name}”{stage_label(r.stage)}，未计入")
                continue
            out.rows += _round_rows(s, db, r)
    return out
