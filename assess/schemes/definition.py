"""The in-memory form of an assessment scheme (考核方案), shared by every part of the core.

A scheme file (TOML, see ``indicators/README.md``) is validated (``assess.schemes.validate``) and
then turned into a ``SchemeDef`` by ``from_dict``. ``to_dict`` gives the canonical dict that is
stored as a version's ``definition`` and hashed (``content_hash``); ``from_dict(to_dict(x)) == x``.

Scoring semantics of the raw value entered for a leaf indicator (self-check or verified):

- ``points``: the points earned, 0 ≤ value ≤ max; score = value.
- ``deduct``: the points deducted (≥ 0); score = max(0, max − value) (扣完为止).
- ``bonus``: the points added (≥ 0); score = min(value, max) (最高计 max 分). Bonus leaves are not in
  the denominator of the indicator component.
- ``ratio``: the achieved rate in percent (e.g. 96.5); score = max × min(1, value / target), target
  defaulting to 100 (the 五率).
- ``veto``: 1 when the veto is triggered, else 0; no points; a triggered veto makes the unit's
  grade the lowest band and it cannot be 优秀 (一票否决).

The indicator component (0–100) = 100 × (Σ scores of points/deduct/ratio/bonus leaves) /
(Σ max of points/deduct/ratio leaves), capped at 100.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from assess.foundation.vocabulary import Method

SCHEMA_VERSION = 1
METHODS = (Method.POINTS, Method.DEDUCT, Method.BONUS, Method.RATIO, Method.VETO)
COMPONENTS = ("indicators", "appraisal", "adjustment")
FORM_KINDS = ("unit", "cadre")
RULE_KINDS = (
    "threshold",  # metric op value (metric: composite, indicators, appraisal, satisfaction, rank)
    "last_in_category",  # ranked last within its category
    "bottom_share",  # within the bottom `share` of its category (by rank)
    "false_report",  # at least one 虚报 indicator
    "overdue_rectification",  # a rectification past its deadline by at least `days`
    "cadre_unfit",  # cadre: 不称职 votes > unfit_share of counted votes
    "cadre_consecutive_unfit",  # cadre: 不称职 in `times` consecutive rounds or calendar years
)
WINDOW_UNITS = ("round", "quarter", "year")
ANNUAL_PARTS = ("quarters", "year_end")  # [annual] weights: quarterly average, year-end (年终) composite
HELD = ("round", "annual")  # a form's appraisal: in every round, or once a year in the annual round
SEVERITIES = ("minor", "serious", "severe")  # 较轻 < 较重 < 严重 (seed 003 附件2 四（三）)
ROUNDING = ("floor", "round", "ceil")
EXEMPT_RULES = ("rescale", "full")  # 合理缺项: 标化折算 | 按满分计 (assess/scorers.py)
# Provenance of the numbers and rules of a table (docs in indicators/README.md, 出处): ``source`` cites
# the section of the basis document an item comes from; ``basis = "example"`` with a ``reason`` marks
# its figures as the office's own example (示例，由考核办确定). A table without either takes its
# parent's: an indicator its parent indicator's, cadre bands their cadre rules', cadre rules their
# form's, and every table the scheme-wide ``basis``/``reason``.
BASES = ("example",)
EXAMPLE_LABEL = "示例，由考核办确定"
UNFIT_LABEL = "不称职"  # a cadre form's unfit option unless it names its own (不合格 for 村干部)


@dataclass
class IndicatorDef:
    code: str
    name: str
    method: str | None = None  # leaves only
    max: float = 0.0  # points of the node; for an inner node, the sum of its children
    target: float | None = None  # ratio: target rate in percent (default 100)
    unit_of_measure: str | None = None
    evidence: str | None = None
    categories: list[str] = field(default_factory=list)  # empty: applies to all categories
    source: str | None = None  # the seed section it comes from
    per_item: float | None = None  # deduct: points per occurrence (documentation for templates)
    basis: str | None = None  # "example": its figures are the office's (see BASES)
    reason: str | None = None
    children: list[IndicatorDef] = field(default_factory=list)
    # 职能部门评分: the code of the unit (职能部门) that scores this indicator for every assessed
    # unit (assess/scorers.py); None: scored by self-check and spot-check as usual
    scorer: str | None = None

    @property
    def is_leaf(self) -> bool:
        return not self.children

    def walk(self, level: int = 1, parent: str | None = None):
        yield self, level, parent
        for c in self.children:
            yield from c.walk(level + 1, self.code)


@dataclass
class Band:
    grade: str
    min: float
    max: float
    include_max: bool = False  # the top band is usually closed: [90, 100]
    source: str | None = None
    basis: str | None = None
    reason: str | None = None

    def contains(self, x: float) -> bool:
        return self.min <= x < self.max or (self.include_max and x == self.max)


@dataclass
class Quota:
    grade: str
    max_share: float  # e.g. 0.20 for 优秀 ≤ 20% of a category
    rounding: str = "floor"  # how the share of a category's size becomes a count
    source: str | None = None
    basis: str | None = None
    reason: str | None = None


@dataclass
class OptionDef:
    label: str
    points: float | None = None  # None: not counted (不了解)
    satisfied: bool = False  # counts toward 满意率 (满意 + 基本满意) or 称职及以上 for cadres

    @property
    def counted(self) -> bool:
        return self.points is not None


@dataclass
class VoterGroupDef:
    code: str
    name: str
    weight: float
    categories: list[str] = field(default_factory=list)  # unit categories it votes for; empty: all


@dataclass
class CadreRules:
    unfit_option: str = UNFIT_LABEL
    unfit_share: float = 1 / 3  # 不称职票 > this share of counted votes → 不称职
    excellent_option: str = "优秀"
    excellent_min_fit_share: float = 0.9  # 称职及以上 ≥ this share → eligible for 优秀
    consecutive_unfit: int = 2  # this many consecutive 不称职 → 责令辞职 proposal
    bands: list[Band] = field(default_factory=list)  # score → 优秀/称职/基本称职/不称职
    source: str | None = None
    basis: str | None = None
    reason: str | None = None


@dataclass
class FormDef:
    code: str
    kind: str  # unit | cadre
    name: str
    options: list[OptionDef]
    voter_groups: list[VoterGroupDef]
    limited_option: str | None = None  # the option a ballot may mark at most `max_limited` times
    max_limited: int | None = None  # e.g. most 优秀 marks per ballot
    quorum: float = 0.5  # share of 应到 that 实到 must reach (see quorum_op)
    quorum_op: str | None = None  # ">=" (以上) or ">" (超过); None: assess.foundation.thresholds.default_quorum_op
    publication_threshold: int = 5  # fewer counted votes in a group → group result not shown
    cadre_rules: CadreRules | None = None
    held: str | None = None  # "annual": held once a year (年末), in the annual round; None/"round": any round
    source: str | None = None
    basis: str | None = None
    reason: str | None = None

    def option_index(self, label: str) -> int:
        """1-based index of an option label (the key a clerk presses)."""
        for i, o in enumerate(self.options, start=1):
            if o.label == label:
                return i
        raise KeyError(label)


@dataclass
class SpotCheckDef:
    sample_size: int = 5
    min_per_category: int = 0
    tolerance: float = 0.0  # self − verified > tolerance on an indicator → 虚报
    penalty: float = 0.0  # composite points deducted per 虚报 indicator
    penalty_cap: float | None = None
    source: str | None = None
    basis: str | None = None
    reason: str | None = None
    # 廉政风险等级 (seed 003 附件9: A/B/C) whose units are inspected as 重点: a unit with an active
    # cadre at one of these levels is taken outside the lottery (mandatory inclusion)
    risk_focus: list[str] = field(default_factory=list)
    # 廉政风险等级 drawn as 重点 weight instead: level → weight (integer ≥ 2); a unit with an active
    # cadre at such a level occupies that many slots of the lottery pool (assess/spotcheck.py)
    risk_weight: dict[str, int] | None = None  # None when unset (keeps the canonical dict unchanged)


@dataclass
class RuleDef:
    code: str
    kind: str
    action: str
    subject: str = "unit"  # unit | cadre
    metric: str | None = None
    op: str | None = None  # <, <=, >, >=
    value: float | None = None
    share: float | None = None
    days: int | None = None
    window: int = 1  # over the last `window` periods (see window_unit), including this one
    times: int = 1  # triggered at least this many times within the window
    window_unit: str | None = None  # None/"round": rounds of the scheme; "quarter" | "year": calendar
    severity: str | None = None  # ladder rung: minor 较轻 | serious 较重 | severe 严重 (hits merge per subject)
    # threshold rules firing on one occurrence: a unit within this margin of the line (on the safe
    # side, the margin included) gets a 黄牌 (assess/year.py ``margin_misses``)
    warn_margin: float | None = None
    source: str | None = None
    text: str | None = None  # the rule as published, for the list and the notice
    categories: list[str] = field(default_factory=list)  # unit categories it applies to; empty: all
    basis: str | None = None
    reason: str | None = None


@dataclass
class ConsequenceDef:
    """考核结果运用: what a result leads to (``assess/consequences.py``). ``when`` is
    ``grade:<等次>`` (a unit's grade, or a cadre's with ``subject = "cadre"``), ``last`` (末位 in its
    category) or ``rule:<问责规则编码>`` (an accountability entry of that rule, not waived — windows
    such as 连续两年 come from the rule)."""

    code: str
    when: str
    then: str
    subject: str = "unit"  # unit | cadre
    text: str | None = None  # the rule as the source words it
    source: str | None = None
    basis: str | None = None
    reason: str | None = None


@dataclass
class AnnualDef:
    """How an annual round (年度考核, ``assess.results.annual``) forms its result: the weighted mean of the
    average of the year's published quarterly composites and the year-end (年终) composite, the
    weights in percent summing to 100. A missing quarter is left out of the average (flagged); with
    no quarter at all the quarterly part is missing and the weights renormalise (flagged).
    Empty bands/quotas mean the scheme's own; every rule applies except those in ``skip_rules``."""

    weights: dict[str, float]  # quarters, year_end
    precision: int | None = None  # the annual composite's decimals before ranking; None: the scheme's
    bands: list[Band] = field(default_factory=list)
    quotas: list[Quota] = field(default_factory=list)
    skip_rules: list[str] = field(default_factory=list)  # rule codes NOT applied to the annual result
    source: str | None = None
    basis: str | None = None
    reason: str | None = None


@dataclass
class SchemeDef:
    code: str
    name: str
    categories: list[str]
    indicators: list[IndicatorDef]
    weights: dict[str, float]  # component → percent; sums to 100
    bands: list[Band]
    quotas: list[Quota] = field(default_factory=list)
    forms: list[FormDef] = field(default_factory=list)
    appraisal_form: str | None = None  # the unit form that feeds the composite
    adjustment_base: float = 100.0  # 加减分 component = clamp(base + Σ points, 0, 100)
    spotcheck: SpotCheckDef = field(default_factory=SpotCheckDef)
    rules: list[RuleDef] = field(default_factory=list)
    no_excellent_if: list[str] = field(default_factory=list)  # discipline kinds barring 优秀, e.g. 诫勉
    tie_break: list[str] = field(default_factory=list)  # component order to break equal composites
    precision: int = 2
    description: str | None = None
    source: str | None = None
    schema_version: int = SCHEMA_VERSION
    basis: str | None = None  # scheme-wide default provenance for tables without their own
    reason: str | None = None
    composite_source: str | None = None  # provenance of [composite] (weights, base, precision …)
    composite_basis: str | None = None
    composite_reason: str | None = None
    # The office's documents (docs/documents.md): the title the scheme is cited by (《…》), the
    # issuing office and the 发文字号 pattern ({year}, {no}); unset fields take the defaults.
    document_title: str | None = None
    issuer: str | None = None
    doc_number: str | None = None
    recipients: str | None = None  # 主送 of the 考核通报, e.g. 各乡镇（街道）党（工）委，县直各单位
    consequences: list[ConsequenceDef] = field(default_factory=list)  # 考核结果运用
    annual: AnnualDef | None = None  # the annual round's formula ([annual]); None: no annual rounds
    # 合理缺项: how an approved exemption of a unit from an indicator counts (assess/scorers.py,
    # EXEMPT_RULES): "rescale" 标化折算 (left out of the full marks, the rest scaled to 100) or
    # "full" (counted at its full marks); None: the scheme allows no exemptions
    exempt_rule: str | None = None

    # -- navigation ---------------------------------------------------------------------------
    def walk(self):
        """(indicator, level, parent_code) for every node, depth first in file order."""
        for ind in self.indicators:
            yield from ind.walk()

    def leaves(self) -> list[IndicatorDef]:
        return [i for i, _l, _p in self.walk() if i.is_leaf]

    def indicator(self, code: str) -> IndicatorDef:
        for i, _l, _p in self.walk():
            if i.code == code:
                return i
        raise KeyError(code)

    def leaves_for(self, category: str) -> list[IndicatorDef]:
        """Leaves that apply to a category (an indicator applies where it and its ancestors do)."""
        out: list[IndicatorDef] = []

        def visit(node: IndicatorDef, allowed: bool) -> None:
            ok = allowed and (not node.categories or category in node.categories)
            if node.is_leaf:
                if ok:
                    out.append(node)
            else:
                for c in node.children:
                    visit(c, ok)

        for ind in self.indicators:
            visit(ind, True)
        return out

    def form(self, code: str) -> FormDef:
        for f in self.forms:
            if f.code == code:
                return f
        raise KeyError(code)

    def grade_for(self, score: float) -> str | None:
        for b in self.bands:
            if b.contains(score):
                return b.grade
        return None

    @property
    def lowest_grade(self) -> str:
        return min(self.bands, key=lambda b: b.min).grade

    @property
    def top_grade(self) -> str:
        return max(self.bands, key=lambda b: b.min).grade

    # -- canonical form -----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return _strip(asdict(self))

    def content_hash(self) -> str:
        blob = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _strip(obj: Any) -> Any:
    """Drop None values and empty lists so the canonical dict does not depend on defaults spelled
    out or left implicit."""
    if isinstance(obj, dict):
        return {k: _strip(v) for k, v in obj.items() if v is not None and v != []}
    if isinstance(obj, list):
        return [_strip(v) for v in obj]
    if isinstance(obj, float) and obj.is_integer():
        return obj  # keep floats as floats: 10.0 and 10 hash the same after from_dict
    return obj


# -- from a validated dict ----------------------------------------------------------------------

def _f(v: Any) -> float | None:
    return None if v is None else float(v)


def _indicator(d: dict[str, Any]) -> IndicatorDef:
    children = [_indicator(c) for c in d.get("children", [])]
    mx = d.get("max")
    if mx is None:
        mx = sum(c.max for c in children if c.method != Method.BONUS) if children else 0.0
    return IndicatorDef(
        code=str(d["code"]),
        name=str(d["name"]),
        method=d.get("method") if not children else None,
        max=float(mx),
        target=_f(d.get("target")),
        unit_of_measure=d.get("unit_of_measure"),
        evidence=d.get("evidence"),
        categories=list(d.get("categories", [])),
        source=d.get("source"),
        per_item=_f(d.get("per_item")),
        basis=d.get("basis"),
        reason=d.get("reason"),
        children=children,
        scorer=d.get("scorer"),
    )


def _prov(d: dict[str, Any]) -> dict[str, Any]:
    return {"source": d.get("source"), "basis": d.get("basis"), "reason": d.get("reason")}


def _band(d: dict[str, Any]) -> Band:
    return Band(grade=str(d["grade"]), min=float(d["min"]), max=float(d["max"]),
                include_max=bool(d.get("include_max", False)), **_prov(d))


def _form(d: dict[str, Any]) -> FormDef:
    cr = d.get("cadre_rules")
    cadre_rules = None
    if cr is not None or d.get("kind") == "cadre":
        cr = cr or {}
        cadre_rules = CadreRules(
            unfit_option=cr.get("unfit_option", UNFIT_LABEL),
            unfit_share=float(cr.get("unfit_share", 1 / 3)),
            excellent_option=cr.get("excellent_option", "优秀"),
            excellent_min_fit_share=float(cr.get("excellent_min_fit_share", 0.9)),
            consecutive_unfit=int(cr.get("consecutive_unfit", 2)),
            bands=[_band(b) for b in cr.get("bands", [])],
            **_prov(cr),
        )
    return FormDef(
        code=str(d["code"]),
        kind=str(d["kind"]),
        name=str(d["name"]),
        options=[OptionDef(label=str(o["label"]), points=_f(o.get("points")), satisfied=bool(o.get("satisfied", False)))
                 for o in d["options"]],
        voter_groups=[VoterGroupDef(code=str(g["code"]), name=str(g["name"]), weight=float(g["weight"]),
                                    categories=list(g.get("categories", [])))
                      for g in d["voter_groups"]],
        limited_option=d.get("limited_option"),
        max_limited=d.get("max_limited"),
        quorum=float(d.get("quorum", 0.5)),
        quorum_op=d.get("quorum_op"),
        publication_threshold=int(d.get("publication_threshold", 5)),
        cadre_rules=cadre_rules,
        held=d.get("held"),
        **_prov(d),
    )


def from_dict(d: dict[str, Any]) -> SchemeDef:
    """Build a SchemeDef from a dict that has passed validation (or from a stored definition)."""
    comp = d.get("composite", {})
    weights = d.get("weights") or comp.get("weights") or {}
    sc = d.get("spotcheck", {})
    return SchemeDef(
        code=str(d["code"]),
        name=str(d["name"]),
        categories=list(d.get("categories", [])),
        indicators=[_indicator(i) for i in d.get("indicators", [])],
        weights={k: float(v) for k, v in weights.items()},
        bands=[_band(b) for b in d.get("bands", [])],
        quotas=[_quota(q) for q in d.get("quotas", [])],
        forms=[_form(f) for f in d.get("forms", [])],
        appraisal_form=d.get("appraisal_form", comp.get("appraisal_form")),
        adjustment_base=float(d.get("adjustment_base", comp.get("adjustment_base", 100.0))),
        spotcheck=SpotCheckDef(
            sample_size=int(sc.get("sample_size", 5)),
            min_per_category=int(sc.get("min_per_category", 0)),
            tolerance=float(sc.get("tolerance", 0.0)),
            penalty=float(sc.get("penalty", 0.0)),
            penalty_cap=_f(sc.get("penalty_cap")),
            **_prov(sc),
            risk_focus=list(sc.get("risk_focus", [])),
            risk_weight={str(k): int(v) for k, v in sc["risk_weight"].items()} if sc.get("risk_weight") else None,
        ),
        rules=[RuleDef(
            code=str(r["code"]), kind=str(r["kind"]), action=str(r["action"]), subject=r.get("subject", "unit"),
            metric=r.get("metric"), op=r.get("op"), value=_f(r.get("value")), share=_f(r.get("share")),
            days=r.get("days"), window=int(r.get("window", 1)), times=int(r.get("times", 1)),
            source=r.get("source"), text=r.get("text"), categories=list(r.get("categories", [])),
            basis=r.get("basis"), reason=r.get("reason"),
            window_unit=r.get("window_unit"), severity=r.get("severity"), warn_margin=_f(r.get("warn_margin")),
        ) for r in d.get("rules", [])],
        no_excellent_if=list(d.get("no_excellent_if", comp.get("no_excellent_if", []))),
        tie_break=list(d.get("tie_break", comp.get("tie_break", []))),
        precision=int(d.get("precision", comp.get("precision", 2))),
        description=d.get("description"),
        source=d.get("source"),
        schema_version=int(d.get("schema_version", SCHEMA_VERSION)),
        basis=d.get("basis"),
        reason=d.get("reason"),
        composite_source=d.get("composite_source", comp.get("source")),
        composite_basis=d.get("composite_basis", comp.get("basis")),
        composite_reason=d.get("composite_reason", comp.get("reason")),
        document_title=d.get("document_title"),
        issuer=d.get("issuer"),
        doc_number=d.get("doc_number"),
        recipients=d.get("recipients"),
        consequences=[ConsequenceDef(
            code=str(c["code"]), when=str(c["when"]), then=str(c["then"]), subject=c.get("subject", "unit"),
            text=c.get("text"), **_prov(c),
        ) for c in d.get("consequences", [])],
        annual=_annual(d["annual"]) if d.get("annual") else None,
        exempt_rule=d.get("exempt_rule", comp.get("exempt_rule")),
    )


def _quota(q: dict[str, Any]) -> Quota:
    return Quota(grade=q["grade"], max_share=float(q["max_share"]), rounding=q.get("rounding", "floor"), **_prov(q))


def _annual(a: dict[str, Any]) -> AnnualDef:
    return AnnualDef(
        weights={k: float(v) for k, v in a.get("weights", {}).items()},
        precision=None if a.get("precision") is None else int(a["precision"]),
        bands=[_band(b) for b in a.get("bands", [])],
        quotas=[_quota(q) for q in a.get("quotas", [])],
        skip_rules=[str(x) for x in a.get("skip_rules", [])],
        **_prov(a),
    )


DOCUMENT_SUFFIXES = ("办法", "细则", "方案", "规定", "制度", "意见", "标准")
DOC_NUMBER_FIELDS = ("year", "no")
DEFAULT_DOC_NUMBER = "考核办〔{year}〕{no}号"


def document_title(scheme: SchemeDef) -> str:
    """The title the scheme is cited by in a document (without 《》): ``document_title`` when the
    office set it, else the scheme's name, with 实施办法 added when the name is not already the
    name of a document (党风廉政建设考核 → 党风廉政建设考核实施办法)."""
    if scheme.document_title:
        return scheme.document_title.strip("《》 ")
    name = scheme.name.strip("《》 ")
    return name if name.endswith(DOCUMENT_SUFFIXES) else f"{name}实施办法"


def doc_number(scheme: SchemeDef | None, year: int, no: int | str | None = None) -> str:
    """The 发文字号 from the scheme's pattern: ``{year}`` and ``{no}`` filled; a number not yet
    given is left as a blank to fill in by hand."""
    pattern = (scheme.doc_number if scheme is not None else None) or DEFAULT_DOC_NUMBER
    return pattern.replace("{year}", str(year)).replace("{no}", str(no) if no not in (None, "") else "____")


def leaf_scorers(scheme: SchemeDef) -> dict[str, str]:
    """Leaf code → the unit code that scores it (inherited from the nearest indicator naming one)."""
    out: dict[str, str] = {}

    def visit(node, inherited: str | None) -> None:
        own = node.scorer or inherited
        if node.is_leaf:
            if own:
                out[node.code] = own
        for c in node.children:
            visit(c, own)

    for ind in scheme.indicators:
        visit(ind, None)
    return out
