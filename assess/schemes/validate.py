"""Checking a scheme file (TOML, format in ``indicators/README.md``) before it becomes a version.

``validate_text`` / ``validate_file`` collect every problem first, each with file, line and field
(``InputProblem``), and raise ``InputErrors``; on success they return the ``SchemeDef`` with any
warnings. Nothing here touches the database. The checks keep the stored version consistent with
the scoring semantics in ``definition.py``: the bands cover 0–100 without gaps or overlaps, an
inner indicator's max is the sum of its children, every category has points to score, forms name
the options their rules use, and every string fits its database column.
"""

from __future__ import annotations

import itertools
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

from assess.foundation.errors import InputErrors, InputProblem
from assess.foundation.vocabulary import Method
from assess.schemes.definition import (
    ANNUAL_PARTS,
    BASES,
    COMPONENTS,
    DOC_NUMBER_FIELDS,
    EXEMPT_RULES,
    FORM_KINDS,
    HELD,
    METHODS,
    ROUNDING,
    RULE_KINDS,
    SCHEMA_VERSION,
    SEVERITIES,
    WINDOW_UNITS,
    AnnualDef,
    Band,
    CadreRules,
    ConsequenceDef,
    FormDef,
    IndicatorDef,
    OptionDef,
    Quota,
    RuleDef,
    SchemeDef,
    SpotCheckDef,
    VoterGroupDef,
    from_dict,
)
from assess.schemes.fieldcheck import FieldChecker, is_num

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 6
MAX_OPTIONS = 9  # a clerk marks an option with keys 1–9


def _names(cls: type, *extra: str) -> set[str]:
    """The keys a table may have: the fields of the definition class it becomes."""
    return {f.name for f in fields(cls)} | set(extra)


# composite_source/basis/reason are how a stored definition keeps [composite]'s source, basis and
# reason; a file writes them in [composite].
TOP_KEYS = _names(SchemeDef, "composite") - {"composite_source", "composite_basis", "composite_reason"}
COMPOSITE_KEYS = {
    "weights", "appraisal_form", "adjustment_base", "tie_break", "no_excellent_if", "precision", "exempt_rule",
    "source", "basis", "reason",
}
INDICATOR_KEYS = _names(IndicatorDef)
BAND_KEYS = _names(Band)
QUOTA_KEYS = _names(Quota)
SPOTCHECK_KEYS = _names(SpotCheckDef)
FORM_KEYS = _names(FormDef)
OPTION_KEYS = _names(OptionDef)
GROUP_KEYS = _names(VoterGroupDef)
CADRE_KEYS = _names(CadreRules)
RULE_KEYS = _names(RuleDef)
CONSEQUENCE_KEYS = _names(ConsequenceDef)
ANNUAL_KEYS = _names(AnnualDef)
ANNUAL_PART_NAMES = {"quarters": "季度平均", "year_end": "年终考核"}

THRESHOLD_METRICS = ("composite", "indicators", "appraisal", "satisfaction", "rank")
OPS = ("<", "<=", ">", ">=")
CADRE_RULE_KINDS = ("cadre_unfit", "cadre_consecutive_unfit")
# The parameters each rule kind uses (besides code, kind, action, subject, source, text).
RULE_PARAMS = {
    "threshold": {"metric", "op", "value", "window", "times", "window_unit", "warn_margin"},
    "last_in_category": {"window", "times", "window_unit"},
    "bottom_share": {"share", "window", "times", "window_unit"},
    "false_report": {"window", "times", "window_unit"},
    "overdue_rectification": {"days"},
    "cadre_unfit": {"share"},
    "cadre_consecutive_unfit": {"times", "window_unit"},
}


@dataclass
class ValidationResult:
    scheme: SchemeDef
    source_name: str
    source_text: str
    warnings: list[str] = field(default_factory=list)


# -- the parts of a scheme ---------------------------------------------------------------------


def _check_provenance(c: FieldChecker, t: dict, path: tuple, what: str, *, inherited: bool, numbers: str) -> bool:
    """``source`` or ``basis = "example"`` with a ``reason`` (see ``assess.schemes.provenance``);
    ``inherited``: a parent table or the scheme-wide basis already gives one. Returns whether the
    table's figures have a provenance. ``numbers`` names them in the message."""
    source = c.text(t, "source", path, what, required=False, limit=255)
    basis = c.text(t, "basis", path, what, required=False, limit=16)
    reason = c.text(t, "reason", path, what, required=False, limit=255)
    if basis is not None and basis not in BASES:
        c.err((*path, "basis"), f'{what} 的 basis 只能是 "example"（示例，由考核办确定），而不是“{basis}”')
    if basis is not None and not reason:
        c.err((*path, "basis"), f'{what} 写了 basis = "example"，还要写 reason（为什么取这个数，如“种子文件未规定”）')
    if "reason" in t and "basis" not in t:
        c.err((*path, "reason"), f'{what} 写了 reason 但没有 basis = "example"')
    if source or basis or inherited:
        return True
    if "source" not in t and "basis" not in t:
        sep = "" if what.endswith(("”", "]")) else " "
        c.err(
            path,
            f"{what}{sep}的{numbers}没有出处：写 source（依据文件的章节，如“四（一）1”），"
            f'或 basis = "example" 和 reason（示例，由考核办确定）',
        )
    return False


def _check_bands(
    c: FieldChecker, d: dict, key: str, path: tuple, what: str, *, required: bool, inherited: bool
) -> list[str]:
    """Bands must cover [0, 100] exactly: sorted by min, each max is the next min, the last band
    ends at 100 and includes it. Returns the grades."""
    items = c.tables(d, key, path, what, required=required)
    bands = []
    grades: list[str] = []
    for p, b in items:
        c.keys(b, BAND_KEYS, p, "等次")
        g = c.text(b, "grade", p, "等次", limit=16)
        lo = c.number(b, "min", p, f"等次“{g}”", required=True, low=0, high=100)
        hi = c.number(b, "max", p, f"等次“{g}”", required=True, low=0, high=100)
        c.boolean(b, "include_max", p, f"等次“{g}”")
        _check_provenance(c, b, p, f"等次“{g}”", inherited=inherited, numbers="分数线")
        if g is not None:
            if g in grades:
                c.err((*p, "grade"), f"等次“{g}”重复")
            grades.append(g)
        if lo is not None and hi is not None:
            if lo >= hi:
                c.err((*p, "min"), f"等次“{g}”的 min {lo:g} 应小于 max {hi:g}")
            else:
                bands.append((lo, hi, bool(b.get("include_max", False)), g, p))
    if len(bands) == len(items) and bands:
        bands.sort(key=lambda b: (b[0], b[1]))
        if bands[0][0] != 0:
            c.err((*bands[0][4], "min"), f"等次应从 0 分起：最低的等次“{bands[0][3]}”从 {bands[0][0]:g} 起")
        for (lo1, hi1, inc1, g1, p1), (lo2, _hi2, _inc2, g2, p2) in itertools.pairwise(bands):
            if hi1 < lo2:
                c.err((*p2, "min"), f"等次“{g1}”与“{g2}”之间有空档 [{hi1:g}, {lo2:g})：该区间的分数没有等次")
            elif hi1 > lo2:
                c.err((*p2, "min"), f"等次“{g1}”[{lo1:g}, {hi1:g}) 与“{g2}”重叠")
            elif inc1:
                c.err(
                    (*p1, "include_max"),
                    f"等次“{g1}”含上限 {hi1:g}，与“{g2}”的下限重叠：只有最高等次可含上限",
                )
        top = bands[-1]
        if top[1] != 100:
            c.err((*top[4], "max"), f"最高等次“{top[3]}”应到 100 分为止，而不是 {top[1]:g}")
        elif not top[2]:
            c.err((*top[4], "include_max"), f"最高等次“{top[3]}”应含 100 分：写 include_max = true")
    return grades


def _check_quotas(c: FieldChecker, d: dict, path: tuple, grades: list[str], *, inherited: bool) -> None:
    for p, q in c.tables(d, "quotas", path, "方案"):
        c.keys(q, QUOTA_KEYS, p, "名额限制")
        g = c.text(q, "grade", p, "名额限制", limit=16)
        if g is not None and grades and g not in grades:
            c.err((*p, "grade"), f"名额限制的等次“{g}”不在 bands 中（有：{'、'.join(grades)}）")
        c.number(
            q, "max_share", p, f"等次“{g}”的名额", required=True, low=0, high=1, low_open=True, fraction=True
        )
        _check_provenance(c, q, p, f"等次“{g}”的名额", inherited=inherited, numbers="比例")
        rounding = c.text(q, "rounding", p, "名额限制", required=False, limit=8)
        if rounding is not None and rounding not in ROUNDING:
            c.err((*p, "rounding"), f"rounding 应为 {'、'.join(ROUNDING)} 之一，而不是“{rounding}”")


def _check_annual(c: FieldChecker, d: dict, grades: list[str], default: bool) -> None:
    """[annual]: the annual round's formula (``assess.results.annual``)."""
    an = c.table(d, "annual", ())
    if an is None:
        return
    ap = ("annual",)
    what = "[annual]"
    c.keys(an, ANNUAL_KEYS, ap, what)
    has = _check_provenance(c, an, ap, what, inherited=default, numbers="季度与年终的权重")
    weights = an.get("weights")
    example = "如 { quarters = 40, year_end = 60 }（季度平均 40%，年终考核 60%）"
    if weights is None:
        c.err((*ap, "weights"), f"[annual] 缺少 weights（年度综合得分的构成，{example}）")
    elif not isinstance(weights, dict) or not weights:
        c.err((*ap, "weights"), f"[annual] 的 weights 应为表，{example}")
    else:
        ok = True
        for k, v in weights.items():
            if k not in ANNUAL_PARTS:
                c.err((*ap, "weights", k), f"[annual] 的 weights 中没有“{k}”（可用：quarters 季度平均、year_end 年终考核）")
                ok = False
            elif not is_num(v) or v < 0:
                c.err((*ap, "weights", k), f"[annual] 的 weights.{k} 应为不小于 0 的数字，而不是 {v!r}")
                ok = False
        if ok and abs(sum(weights.values()) - 100) > 1e-6:
            parts = " + ".join(f"{ANNUAL_PART_NAMES[k]} {v:g}" for k, v in weights.items())
            c.err((*ap, "weights"), f"[annual] 的 weights 之和应为 100，现为 {parts} = {sum(weights.values()):g}")
        if ok and weights.get("year_end", 0) <= 0:
            c.err((*ap, "weights", "year_end"), "[annual] 的 weights.year_end 应大于 0：年度考核轮次本身就是年终考核")
    c.integer(an, "precision", ap, what, low=0, high=4)
    annual_grades = grades
    if "bands" in an:
        annual_grades = _check_bands(c, an, "bands", ap, what, required=False, inherited=has)
    _check_quotas(c, an, ap, annual_grades, inherited=has)
    codes = [r.get("code") for r in d.get("rules") or [] if isinstance(r, dict)]
    for code in c.str_list(an, "skip_rules", ap, what):
        if code not in codes:
            c.err(
                (*ap, "skip_rules"),
                f"[annual] 的 skip_rules 中的问责规则“{code}”不在本方案中（有：{'、'.join(map(str, codes)) or '无'}）",
            )


def _check_indicators(c: FieldChecker, d: dict, categories: list[str], default: bool) -> None:
    seen: dict[str, tuple] = {}

    def node(p: tuple, ind: dict, level: int, parent_cats: list[str], inherited: bool) -> float | None:
        """Check one node; return its max (for the parent's sum) or None when unknown."""
        c.keys(ind, INDICATOR_KEYS, p, "指标")
        code = c.text(ind, "code", p, "指标", limit=32, code=True)
        what = f"指标 {code}" if code else "指标"
        if code is not None:
            if code in seen:
                c.err((*p, "code"), f"指标编码 {code} 重复（第 {c.where.line_of(seen[code])} 行已有）")
            else:
                seen[code] = (*p, "code")
        c.text(ind, "name", p, what, limit=255)
        c.text(ind, "unit_of_measure", p, what, required=False, limit=32)
        c.text(ind, "evidence", p, what, required=False, limit=10_000)
        scorer = c.text(ind, "scorer", p, what, required=False, limit=32, code=True)
        if scorer is not None and not scorer.strip():
            c.err((*p, "scorer"), f"{what} 的 scorer（评分单位的编码）不能为空：不由职能部门评分就删去这一行")
        has = _check_provenance(c, ind, p, what, inherited=inherited, numbers="分值和计分规则")
        cats = c.str_list(ind, "categories", p, what, choices=categories)
        if cats and parent_cats:
            outside = [x for x in cats if x not in parent_cats]
            if outside:
                c.err(
                    (*p, "categories"),
                    f"{what} 适用类别“{'、'.join(outside)}”不在上级指标的适用类别中，永远不会适用",
                )
        effective = cats or parent_cats
        kids = c.tables(ind, "children", p, what)
        if "children" in ind and not kids and isinstance(ind.get("children"), list):
            c.err((*p, "children"), f"{what} 的 children 不能为空")
        if kids:
            if level >= MAX_DEPTH:
                c.err((*p, "children"), f"{what} 层级过深（最多 {MAX_DEPTH} 级）")
                return None
            for k in ("method", "target", "per_item"):
                if k in ind:
                    c.err((*p, k), f"{what} 有子项，不填 {k}（计分方法写在末级指标上）")
            sums = [node(kp, kid, level + 1, effective, has) for kp, kid in kids]
            total = (
                None
                if any(s is None for s in sums)
                else sum(s for s, (_kp, kid) in zip(sums, kids, strict=True) if kid.get("method") != Method.BONUS)
            )
            given = c.number(ind, "max", p, what, low=0)
            if given is not None and total is not None and abs(given - total) > 1e-9:
                c.err(
                    (*p, "max"),
                    f"{what} 的 max 为 {given:g}，但子项满分之和为 {total:g}（加分项不计入）：删去 max 或改正",
                )
            return total
        method = c.text(ind, "method", p, what, limit=16)
        if method is not None and method not in METHODS:
            c.err((*p, "method"), f"{what} 的计分方法“{method}”不可用（可用：{'、'.join(METHODS)}）")
            method = None
        if method == Method.VETO:
            mx = None
            if ind.get("max", 0) != 0:
                c.err((*p, "max"), f"{what} 是一票否决项，不计分：不写 max")
        else:
            mx = c.number(ind, "max", p, what, required=True, low=0, low_open=True)
        if "target" in ind:
            if method != Method.RATIO:
                c.err((*p, "target"), f"{what} 的 target 只用于 ratio（比率）指标")
            else:
                c.number(ind, "target", p, what, low=0, high=100, low_open=True)
        if "per_item" in ind:
            if method != Method.DEDUCT:
                c.err((*p, "per_item"), f"{what} 的 per_item 只用于 deduct（扣分）指标")
            else:
                c.number(ind, "per_item", p, what, low=0, low_open=True, high=mx)
        if method is None or (mx is None and method != Method.VETO):
            return None
        return 0.0 if method == Method.VETO else mx

    items = c.tables(d, "indicators", (), "方案", required=True)
    for p, ind in items:
        node(p, ind, 1, [], default)


def _check_forms(c: FieldChecker, d: dict, default: bool, categories: list[str]) -> dict[str, str]:
    """Returns form code → kind."""
    forms: dict[str, str] = {}
    for p, f in c.tables(d, "forms", (), "方案"):
        c.keys(f, FORM_KEYS, p, "评议表")
        code = c.text(f, "code", p, "评议表", limit=32, code=True)
        what = f"评议表 {code}" if code else "评议表"
        kind = c.text(f, "kind", p, what, limit=16)
        if kind is not None and kind not in FORM_KINDS:
            c.err(
                (*p, "kind"),
                f"{what} 的 kind 应为 unit（民主评议单位）或 cadre（勤廉双述干部），而不是“{kind}”",
            )
            kind = None
        if code is not None:
            if code in forms:
                c.err((*p, "code"), f"评议表编码 {code} 重复")
            forms[code] = kind or ""
        c.text(f, "name", p, what, limit=128)
        form_has = _check_provenance(
            c, f, p, what, inherited=default, numbers="选项分值、投票人权重和到会比例"
        )
        labels: list[str] = []
        counted = 0
        options = c.tables(f, "options", p, what, required=True)
        if len(options) > MAX_OPTIONS:
            c.err((*p, "options"), f"{what} 最多 {MAX_OPTIONS} 个选项（录入时按 1–{MAX_OPTIONS} 键）")
        for op_, o in options:
            c.keys(o, OPTION_KEYS, op_, "选项")
            label = c.text(o, "label", op_, "选项", limit=16)
            if label is not None:
                if label in labels:
                    c.err((*op_, "label"), f"{what} 的选项“{label}”重复")
                labels.append(label)
            pts = c.number(o, "points", op_, f"选项“{label}”", low=0, high=100)
            c.boolean(o, "satisfied", op_, f"选项“{label}”")
            if pts is not None:
                counted += 1
            elif o.get("satisfied") and "points" not in o:
                c.err((*op_, "satisfied"), f"选项“{label}”不计分（无 points），不能计入满意率")
        if options and counted == 0:
            c.err((*p, "options"), f"{what} 至少要有一个计分的选项（写 points）")
        groups: list[str] = []
        for gp, g in c.tables(f, "voter_groups", p, what, required=True):
            c.keys(g, GROUP_KEYS, gp, "投票人类别")
            gc = c.text(g, "code", gp, "投票人类别", limit=32, code=True)
            if gc is not None:
                if gc in groups:
                    c.err((*gp, "code"), f"{what} 的投票人类别 {gc} 重复")
                groups.append(gc)
            c.text(g, "name", gp, f"投票人类别 {gc}", limit=64)
            c.number(g, "weight", gp, f"投票人类别 {gc}", required=True, low=0, low_open=True)
            c.str_list(g, "categories", gp, f"投票人类别 {gc}", choices=categories)
        limited = c.text(f, "limited_option", p, what, required=False, limit=16)
        c.integer(f, "max_limited", p, what, low=1)
        if limited is not None and labels and limited not in labels:
            c.err((*p, "limited_option"), f"{what} 的 limited_option“{limited}”不是本表的选项")
        if ("limited_option" in f) != ("max_limited" in f):
            c.err(
                (*p, "limited_option" if "limited_option" not in f else "max_limited"),
                f"{what}：limited_option 与 max_limited 要一起填（如 优秀 最多 3 票）",
            )
        c.number(f, "quorum", p, what, low=0, high=1, high_open=True, fraction=True)
        qop = c.text(f, "quorum_op", p, what, required=False, limit=2)
        if qop is not None and qop not in (">=", ">"):
            c.err(
                (*p, "quorum_op"),
                f"{what} 的 quorum_op 应为“>=”（以上，含本数）或“>”（超过），而不是“{qop}”",
            )
        c.integer(f, "publication_threshold", p, what, low=0)
        held = c.text(f, "held", p, what, required=False, limit=8)
        if held is not None and held not in HELD:
            c.err((*p, "held"), f"{what} 的 held 应为“annual”（每年年末举行一次，在年度考核轮次中）或“round”（每轮），而不是“{held}”")
        cr = c.table(f, "cadre_rules", p)
        if cr is not None and kind == "unit":
            c.err((*p, "cadre_rules"), f"{what} 是单位评议表，不用 cadre_rules")
        if kind == "cadre":
            cr = cr if cr is not None else {}
            cp = (*p, "cadre_rules")
            c.keys(cr, CADRE_KEYS, cp, "干部评议规则")
            cadre_has = _check_provenance(
                c, cr, cp, f"{what} 的干部评定规则", inherited=form_has, numbers="比例和次数"
            )
            for key, default in (("unfit_option", "不称职"), ("excellent_option", "优秀")):
                name = c.text(cr, key, cp, what, required=False, limit=16) or default
                if labels and name not in labels:
                    c.err(
                        (*cp, key),
                        f"{what} 没有选项“{name}”：在选项中加上它，或在 [forms.cadre_rules] 写 {key}",
                    )
            c.number(cr, "unfit_share", cp, what, low=0, high=1, low_open=True, high_open=True, fraction=True)
            c.number(cr, "excellent_min_fit_share", cp, what, low=0, high=1, low_open=True, fraction=True)
            c.integer(cr, "consecutive_unfit", cp, what, low=1)
            if "bands" in cr:
                _check_bands(c, cr, "bands", cp, f"{what} 的等次", required=False, inherited=cadre_has)
            if not any(isinstance(o, dict) and o.get("satisfied") for o in f.get("options") or []):
                c.warnings.append(
                    f"{what} 没有标 satisfied 的选项：无法计算“称职及以上”比例，没有干部能评为优秀"
                )
    return forms


def _check_rules(c: FieldChecker, d: dict, forms: dict[str, str], default: bool, categories: list[str]) -> None:
    codes: list[str] = []
    for p, r in c.tables(d, "rules", (), "方案"):
        c.keys(r, RULE_KEYS, p, "问责规则")
        code = c.text(r, "code", p, "问责规则", limit=64, code=True)
        what = f"问责规则 {code}" if code else "问责规则"
        if code is not None:
            if code in codes:
                c.err((*p, "code"), f"问责规则编码 {code} 重复")
            codes.append(code)
        kind = c.text(r, "kind", p, what, limit=32)
        c.text(r, "action", p, what, limit=128)
        c.text(r, "text", p, what, required=False, limit=2000)
        c.str_list(r, "categories", p, what, choices=categories)
        _check_provenance(c, r, p, what, inherited=default, numbers="规则和数值")
        if kind is None:
            continue
        if kind not in RULE_KINDS:
            c.err((*p, "kind"), f"{what} 的 kind“{kind}”不可用（可用：{'、'.join(RULE_KINDS)}）")
            continue
        subject = "cadre" if kind in CADRE_RULE_KINDS else "unit"
        given = r.get("subject")
        if given is not None and given != subject:
            c.err(
                (*p, "subject"),
                f"{what}（{kind}）针对{'干部' if subject == 'cadre' else '单位'}，subject 应为 {subject}",
            )
        r["subject"] = subject  # normalised: the kind decides the subject
        if subject == "cadre" and "cadre" not in forms.values():
            c.err((*p, "kind"), f'{what} 针对干部，但方案没有 kind = "cadre" 的评议表')
        allowed = RULE_PARAMS[kind]
        for k in ("metric", "op", "value", "share", "days", "window", "times", "window_unit", "warn_margin"):
            if k in r and k not in allowed:
                c.err((*p, k), f"{what}（{kind}）不用 {k}")
        if kind == "threshold":
            metric = c.text(r, "metric", p, what, limit=32)
            if metric is not None and metric not in THRESHOLD_METRICS:
                c.err(
                    (*p, "metric"),
                    f"{what} 的 metric“{metric}”不可用（可用：{'、'.join(THRESHOLD_METRICS)}）",
                )
            op = c.text(r, "op", p, what, limit=2)
            if op is not None and op not in OPS:
                c.err((*p, "op"), f"{what} 的 op 应为 {' '.join(OPS)} 之一，而不是“{op}”")
            if metric == "rank":
                c.number(r, "value", p, what, required=True, low=1)
            else:
                c.number(r, "value", p, what, required=True, low=0, high=100)
            if metric == "appraisal" or metric == "satisfaction":
                if not d.get("appraisal_form") and not (d.get("composite") or {}).get("appraisal_form"):
                    c.err((*p, "metric"), f"{what} 用到民主评议结果，但方案没有 appraisal_form")
        if kind == "bottom_share":
            c.number(
                r,
                "share",
                p,
                what,
                required=True,
                low=0,
                high=1,
                low_open=True,
                high_open=True,
                fraction=True,
            )
        if kind == "cadre_unfit":
            c.number(r, "share", p, what, low=0, high=1, low_open=True, high_open=True, fraction=True)
        if kind == "overdue_rectification":
            c.integer(r, "days", p, what, low=0)
        window = c.integer(r, "window", p, what, low=1, high=20)
        times = c.integer(r, "times", p, what, low=2 if kind == "cadre_consecutive_unfit" else 1, high=20)
        severity = c.text(r, "severity", p, what, required=False, limit=8)
        if severity is not None and severity not in SEVERITIES:
            c.err(
                (*p, "severity"),
                f"{what} 的 severity 应为 minor（情节较轻）、serious（情节较重）或 severe（情节严重），"
                f"而不是“{severity}”",
            )
        unit = c.text(r, "window_unit", p, what, required=False, limit=8)
        if unit is not None and unit not in WINDOW_UNITS:
            c.err(
                (*p, "window_unit"),
                f"{what} 的 window_unit 应为 round（考核轮次）、quarter（季度）或 year（年度），而不是“{unit}”",
            )
        if kind == "threshold" and "warn_margin" in r:
            c.number(r, "warn_margin", p, what, low=0, low_open=True, high=100)
            if (times or 1) > 1:
                c.err((*p, "warn_margin"), f"{what} 的 warn_margin（黄牌预警幅度）只用于一次即触发的规则（times = 1）："
                      "多次触发的规则在差一次时已有黄牌")
        if kind == "cadre_consecutive_unfit" and "times" not in r:
            c.err((*p, "times"), f"{what} 要写 times（连续几次评为不称职，如 2）")
        if kind != "cadre_consecutive_unfit" and (times or 1) > (window or 1):
            c.err(
                (*p, "times"),
                f"{what} 的 times {times} 大于 window {window or 1}：最近 {window or 1} 轮内不可能出现 {times} 次",
            )


def _check_consequences(c: FieldChecker, d: dict, default: bool) -> None:
    """[[consequences]] (考核结果运用): ``when`` is grade:<等次>, last (末位, units) or
    rule:<问责规则编码>; ``then`` what follows; a source or basis like every rule."""
    rules = {r.get("code") for r in d.get("rules", []) if isinstance(r, dict)}
    grades = {b.get("grade") for b in d.get("bands", []) if isinstance(b, dict)}
    cadre_grades: set = set()
    for f in d.get("forms", []):
        if isinstance(f, dict) and f.get("kind") == "cadre":
            cadre_grades |= {o.get("label") for o in f.get("options", []) if isinstance(o, dict)}
            cr = f.get("cadre_rules") or {}
            cadre_grades |= {b.get("grade") for b in cr.get("bands", []) if isinstance(b, dict)}
    codes: list[str] = []
    for p, t in c.tables(d, "consequences", (), "方案"):
        c.keys(t, CONSEQUENCE_KEYS, p, "结果运用")
        code = c.text(t, "code", p, "结果运用", limit=64, code=True)
        what = f"结果运用 {code}" if code else "结果运用"
        if code is not None:
            if code in codes:
                c.err((*p, "code"), f"结果运用编码 {code} 重复")
            codes.append(code)
        when = c.text(t, "when", p, what, limit=80)
        c.text(t, "then", p, what, limit=200)
        c.text(t, "text", p, what, required=False, limit=2000)
        subject = c.text(t, "subject", p, what, required=False, limit=8) or "unit"
        if subject not in ("unit", "cadre"):
            c.err((*p, "subject"), f"{what} 的 subject 应为 unit（单位）或 cadre（干部），而不是“{subject}”")
        _check_provenance(c, t, p, what, inherited=default, numbers="运用规则")
        if when is None:
            continue
        kind, _, arg = when.partition(":")
        if kind == "grade":
            allowed = cadre_grades if subject == "cadre" else grades
            if arg not in allowed:
                c.err((*p, "when"), f"{what} 的 when“{when}”：等次“{arg}”不在方案的"
                      f"{'干部评议等次' if subject == 'cadre' else '等次'}中（有：{'、'.join(sorted(x for x in allowed if x))}）")
        elif kind == "last" and not arg:
            if subject != "unit":
                c.err((*p, "when"), f"{what}：last（类别末位）只用于单位")
        elif kind == "rule":
            if arg not in rules:
                c.err((*p, "when"), f"{what} 的 when“{when}”：没有编码为“{arg}”的问责规则")
        else:
            c.err((*p, "when"), f"{what} 的 when 应为 grade:等次、last 或 rule:问责规则编码，而不是“{when}”")


def _check_doc_number(c: FieldChecker, pattern: str) -> None:
    """The 发文字号 pattern may use {year} and {no} and no other braces."""

    for name in re.findall(r"\{([^{}]*)\}", pattern):
        if name not in DOC_NUMBER_FIELDS:
            c.err(("doc_number",), f"发文字号格式中的“{{{name}}}”无法识别：只能用 {{year}}（年份）和 {{no}}（序号）")
    if re.sub(r"\{(year|no)\}", "", pattern).count("{") or re.sub(r"\{(year|no)\}", "", pattern).count("}"):
        c.err(("doc_number",), "发文字号格式中有不成对的花括号：只能用 {year}（年份）和 {no}（序号）")


def _check_scheme(c: FieldChecker, d: dict) -> None:
    c.keys(d, TOP_KEYS, (), "方案")
    version = d.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        c.err(
            ("schema_version",), f"不支持的 schema_version {version!r}：本程序读取第 {SCHEMA_VERSION} 版格式"
        )
    c.text(d, "code", (), "方案", limit=64, code=True)
    c.text(d, "name", (), "方案", limit=200)
    c.text(d, "description", (), "方案", required=False, limit=10_000)
    c.text(d, "source", (), "方案", required=False, limit=2000)
    default = bool(d.get("basis"))  # the scheme-wide provenance, checked like a table's
    if "basis" in d or "reason" in d:
        top = {k: d[k] for k in ("basis", "reason") if k in d}
        _check_provenance(c, top, (), "方案", inherited=True, numbers="")
    c.text(d, "document_title", (), "方案", required=False, limit=200)
    c.text(d, "issuer", (), "方案", required=False, limit=100)
    c.text(d, "recipients", (), "方案", required=False, limit=300)
    if c.text(d, "doc_number", (), "方案", required=False, limit=100):
        _check_doc_number(c, d["doc_number"])
    categories = c.str_list(d, "categories", (), "方案", required=True)
    for cat in categories:
        if len(cat) > 64:
            c.err(("categories",), f"单位类别“{cat}”超过 64 个字符")

    comp = c.table(d, "composite", ())
    cpath: tuple = ("composite",) if comp is not None else ()
    if comp is not None:
        c.keys(comp, COMPOSITE_KEYS, cpath, "[composite]")
        for k in comp:
            if k in d and k not in ("source", "basis", "reason"):  # those three mean the scheme's own
                c.err(("composite", k), f"{k} 同时写在顶层和 [composite] 中：只写一处")
        _check_provenance(c, comp, cpath, "[composite]", inherited=default, numbers="综合得分权重等设置")
    elif not default:
        c.err(
            ("weights",),
            "综合得分权重等设置没有出处：在 [composite] 中写 source，"
            '或 basis = "example" 和 reason（示例，由考核办确定）',
        )

    def where(key: str) -> tuple[dict, tuple]:
        if comp is not None and key in comp:
            return comp, cpath
        return d, ()

    wd, wp = where("weights")
    weights = wd.get("weights")
    if weights is None:
        c.err(
            (*cpath, "weights"),
            "方案缺少 weights（综合得分的构成，如 { indicators = 60, appraisal = 30, adjustment = 10 }）",
        )
    elif not isinstance(weights, dict) or not weights:
        c.err((*wp, "weights"), "weights 应为表，如 { indicators = 60, appraisal = 30, adjustment = 10 }")
        weights = None
    else:
        ok = True
        for k, v in weights.items():
            if k not in COMPONENTS:
                c.err((*wp, "weights", k), f"weights 中没有“{k}”（可用：{'、'.join(COMPONENTS)}）")
                ok = False
            elif not is_num(v) or v < 0:
                c.err((*wp, "weights", k), f"weights.{k} 应为不小于 0 的数字，而不是 {v!r}")
                ok = False
        if ok and abs(sum(weights.values()) - 100) > 1e-6:
            parts = " + ".join(f"{k} {v:g}" for k, v in weights.items())
            c.err((*wp, "weights"), f"weights 之和应为 100，现为 {parts} = {sum(weights.values()):g}")

    ad, ap = where("appraisal_form")
    appraisal_form = c.text(ad, "appraisal_form", ap, "方案", required=False, limit=32)
    bd, bp = where("adjustment_base")
    c.number(bd, "adjustment_base", bp, "方案", low=0, high=100)
    pd_, pp = where("precision")
    c.integer(pd_, "precision", pp, "方案", low=0, high=4)
    td, tp = where("tie_break")
    c.str_list(td, "tie_break", tp, "方案", choices=COMPONENTS)
    nd, np_ = where("no_excellent_if")
    c.str_list(nd, "no_excellent_if", np_, "方案")
    xd, xp = where("exempt_rule")
    exempt_rule = c.text(xd, "exempt_rule", xp, "方案", required=False, limit=16)
    if exempt_rule is not None and exempt_rule not in EXEMPT_RULES:
        c.err((*xp, "exempt_rule"), f"exempt_rule（合理缺项的折算办法）应为 {'、'.join(EXEMPT_RULES)} 之一，"
              f"而不是“{exempt_rule}”（rescale：按其余指标满分折算为百分制；full：按满分计）")

    grades = _check_bands(c, d, "bands", (), "方案", required=True, inherited=default)
    _check_quotas(c, d, (), grades, inherited=default)

    sc = c.table(d, "spotcheck", ())
    if sc is not None:
        sp = ("spotcheck",)
        c.keys(sc, SPOTCHECK_KEYS, sp, "[spotcheck]")
        _check_provenance(c, sc, sp, "[spotcheck]", inherited=default, numbers="抽查数、容差和扣分")
        c.integer(sc, "sample_size", sp, "[spotcheck]", low=0)
        c.integer(sc, "min_per_category", sp, "[spotcheck]", low=0)
        c.number(sc, "tolerance", sp, "[spotcheck]", low=0)
        penalty = c.number(sc, "penalty", sp, "[spotcheck]", low=0, high=100)
        cap = c.number(sc, "penalty_cap", sp, "[spotcheck]", low=0, high=100)
        if penalty is not None and cap is not None and cap < penalty:
            c.err((*sp, "penalty_cap"), f"penalty_cap {cap:g} 小于每项扣分 penalty {penalty:g}")
        focus_levels = c.str_list(sc, "risk_focus", sp, "[spotcheck]", choices=("A", "B", "C"))
        rw = sc.get("risk_weight")
        if rw is not None:
            if not isinstance(rw, dict):
                c.err((*sp, "risk_weight"), "risk_weight 应为表，如 { A = 3, B = 2 }（廉政风险等级 → 抽取权重）")
            else:
                for level, w in rw.items():
                    if level not in ("A", "B", "C"):
                        c.err((*sp, "risk_weight", level), f"risk_weight 中的“{level}”不是廉政风险等级（A、B、C）")
                    elif isinstance(w, bool) or not isinstance(w, int) or not 2 <= w <= 10:
                        c.err((*sp, "risk_weight", level), f"risk_weight.{level} 应为 2–10 的整数（占抽取名单的位置数），而不是 {w!r}")
                    elif level in (focus_levels or []):
                        c.err((*sp, "risk_weight", level), f"廉政风险 {level} 类已在 risk_focus 中（必查），不能同时加权")

    _check_indicators(c, d, categories, default)
    forms = _check_forms(c, d, default, categories)
    if appraisal_form is not None:
        if appraisal_form not in forms:
            c.err(
                (*ap, "appraisal_form"),
                f"appraisal_form“{appraisal_form}”不是本方案的评议表（有：{'、'.join(forms) or '无'}）",
            )
        elif forms[appraisal_form] == "cadre":
            c.err(
                (*ap, "appraisal_form"),
                f'appraisal_form“{appraisal_form}”是干部评议表；综合得分用单位评议表（kind = "unit"）',
            )
    if (
        isinstance(weights, dict)
        and is_num(weights.get("appraisal", 0))
        and weights.get("appraisal", 0) > 0
        and appraisal_form is None
    ):
        c.err(
            (*wp, "weights", "appraisal"),
            "weights.appraisal 大于 0，但没有写 appraisal_form（哪张评议表计入综合得分）",
        )
    if isinstance(weights, dict) and appraisal_form is not None and weights.get("appraisal", 0) == 0:
        c.warnings.append(
            f"写了 appraisal_form“{appraisal_form}”，但 weights.appraisal 为 0：民主评议不计入综合得分"
        )
    _check_rules(c, d, forms, default, categories)
    _check_consequences(c, d, default)
    _check_annual(c, d, grades, default)


def _check_scoring(c: FieldChecker, scheme: SchemeDef) -> None:
    """After the structure is sound: every category has points to score (the denominator of the
    indicator component is the sum of max over points/deduct/ratio leaves)."""
    for cat in scheme.categories:
        leaves = scheme.leaves_for(cat)
        if sum(leaf.max for leaf in leaves if leaf.method in (Method.POINTS, Method.DEDUCT, Method.RATIO)) <= 0:
            c.err(
                ("categories",),
                f"单位类别“{cat}”没有适用的计分指标（points、deduct 或 ratio）：无法计算指标得分",
            )
    for f in scheme.forms:
        # Weights are compared within each unit category: a group with categories votes only there.
        totals: dict[float, list[str]] = {}
        for cat in scheme.categories:
            groups = [g for g in f.voter_groups if not g.categories or cat in g.categories]
            totals.setdefault(round(sum(g.weight for g in groups), 9), []).append(cat)
        for total, cats in totals.items():
            if f.voter_groups and not (abs(total - 1) < 1e-6 or abs(total - 100) < 1e-6):
                where = "" if len(totals) == 1 else f"（{'、'.join(cats)}）"
                c.warnings.append(
                    f"评议表 {f.code} 的投票人类别权重之和{where}为 {total:g}（计分时按出席的类别重新归一）"
                )
            if f.voter_groups and total == 0:
                c.err(("forms",), f"评议表 {f.code} 没有为类别“{'、'.join(cats)}”投票的投票人类别")


def parse_toml(text: str, source_name: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        msg = str(e)
        m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        line = int(m.group(1)) if m else None
        detail = msg[: m.start()].strip() if m else msg
        col = f"第 {m.group(2)} 列：" if m else ""
        raise InputErrors([InputProblem(source_name, line, None, f"TOML 格式错误，{col}{detail}")]) from None


def _raise_if_problems(c: FieldChecker) -> None:
    if c.problems:
        raise InputErrors(sorted(c.problems, key=lambda p: (p.line is None, p.line or 0)), total=c.problems.total)


def validate_text(text: str, source_name: str) -> ValidationResult:
    """Parse and check a scheme's TOML text. Raises ``InputErrors`` listing every problem; input
    nested too deeply to parse or walk (e.g. 5,000 nested arrays) is one problem naming the file."""
    try:
        return _validate_text(text, source_name)
    except RecursionError:
        raise InputErrors([InputProblem(
            source_name, None, None,
            "嵌套层次过深（数组、内联表或指标层级嵌套了上千层），无法读取；考核方案的指标层级通常不超过 4 层",
        )]) from None


def _validate_text(text: str, source_name: str) -> ValidationResult:
    text = text.removeprefix("\ufeff")
    raw = parse_toml(text, source_name)
    c = FieldChecker(source_name, text)
    _check_scheme(c, raw)
    _raise_if_problems(c)
    scheme = from_dict(raw)
    _check_scoring(c, scheme)
    _raise_if_problems(c)
    return ValidationResult(scheme, source_name, text, c.warnings)


def read_source(path: str | Path) -> tuple[str, str]:
    """(file name, text) of a scheme file, refusing what is not a UTF-8 text file of sane size."""
    p = Path(path)
    name = p.name
    if not p.is_file():
        raise InputErrors([InputProblem(str(p), None, None, "文件不存在")])
    if p.stat().st_size > MAX_FILE_BYTES:
        raise InputErrors(
            [InputProblem(name, None, None, f"文件超过 {MAX_FILE_BYTES // 1024 // 1024} MB，不像考核方案")]
        )
    data = p.read_bytes()
    try:
        return name, data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        hint = "（看起来是 GBK 编码：请另存为 UTF-8）" if _looks_gbk(data) else ""
        raise InputErrors([InputProblem(name, line, None, f"文件不是 UTF-8 编码{hint}")]) from None


def _looks_gbk(data: bytes) -> bool:
    try:
        data.decode("gb18030")
        return True
    except UnicodeDecodeError:
        return False


def validate_file(path: str | Path) -> ValidationResult:
    name, text = read_source(path)
    return validate_text(text, name)
