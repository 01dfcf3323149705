"""Why a unit or cadre was flagged or listed for accountability, as one Chinese sentence built from
the stored figures.

One function per kind: the terminal screens, the PDF/HTML report, the XLSX workbook, the DOCX
documents and the command line all call :func:`accountability_reason` and :func:`flag_reason`, so a
reason reads the same everywhere (docs/documents.md). Stored figures keep their codes (indicator
codes, voter-group codes, period keys); the names come from the round's scheme through
:class:`ReasonNames`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assess.foundation.periods import cn_date
from assess.foundation.vocabulary import COMPONENT_WORDS, FLAG_WORDS, SEVERITY_LABELS

if TYPE_CHECKING:
    from assess.schemes.definition import SchemeDef

CN_DIGITS = "零一二三四五六七八九"
QUARTERS = {"Q1": "第一季度", "Q2": "第二季度", "Q3": "第三季度", "Q4": "第四季度"}
HALVES = {"H1": "上半年", "H2": "下半年"}
_PERIOD = re.compile(r"^(?P<year>\d{4})(?:-(?P<part>Q[1-4]|H[12]|(?:0[1-9]|1[0-2])))?$")

METRIC_WORDS = {
    "composite": ("综合得分", "分"),
    "indicators": ("指标得分", "分"),
    "appraisal": ("民主评议得分", "分"),
    "satisfaction": ("满意率", "%"),
    "rank": ("名次", ""),
    "score": ("测评得分", "分"),
    "unfit_share": ("不称职票占有效票比例", "share"),
    "fit_share": ("称职及以上票占有效票比例", "share"),
}
OP_WORDS = {"<": "低于", "<=": "不高于", ">": "高于", ">=": "不低于"}
NOTICE_STATUS_WORDS = {
    "issued": "尚未报送整改情况",
    "rectifying": "正在整改",
    "rectified": "已整改待复查",
    "reopened": "复查未通过、重新整改",
    "closed": "已复查销号",
}
FRACTION_WORDS = {
    (1, 2): "二分之一",
    (1, 3): "三分之一",
    (2, 3): "三分之二",
    (1, 4): "四分之一",
    (1, 5): "五分之一",
    (1, 10): "十分之一",
}


def cn_number(n: int) -> str:
    """0–99 in Chinese numerals (两 is not used: 二个 reads as in official counting, 第二)."""
    if n < 10:
        return CN_DIGITS[n]
    if n < 20:
        return "十" + (CN_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return CN_DIGITS[n // 10] + "十" + (CN_DIGITS[n % 10] if n % 10 else "")
    return str(n)


def count_words(n: int) -> str:
    """A count before a measure word: 两个季度, 三次 (两 for 2 as spoken)."""
    return "两" if n == 2 else cn_number(n)


def period_text(period: str | None) -> str:
    """``2026-Q3`` → 2026年第三季度, ``2026-H1`` → 2026年上半年, ``2026-07`` → 2026年7月,
    ``2026`` → 2026年度. Anything else is returned as given."""
    if not period:
        return ""
    m = _PERIOD.match(str(period).strip().upper())
    if not m:
        return str(period)
    year, part = m.group("year"), m.group("part")
    if part is None:
        return f"{year}年度"
    if part in QUARTERS:
        return f"{year}年{QUARTERS[part]}"
    if part in HALVES:
        return f"{year}年{HALVES[part]}"
    return f"{year}年{int(part)}月"


def periods_text(periods: list[str]) -> str:
    """Several periods of one kind, shortest form: 2026年第二、三季度; 2025年度、2026年度;
    2025年第四季度、2026年第一季度."""
    periods = [p for p in periods if p]
    if not periods:
        return ""
    found = [_PERIOD.match(str(p).strip().upper()) for p in periods]
    parsed = [m for m in found if m is not None]
    if len(parsed) == len(found) and all(m.group("part") in QUARTERS for m in parsed):
        years = {m.group("year") for m in parsed}
        if len(years) == 1:
            nums = "、".join(QUARTERS[m.group("part")][1:-2] for m in parsed)
            return f"{parsed[0].group('year')}年第{nums}季度"
    return "、".join(period_text(p) for p in periods)


WINDOWED = ("threshold", "last_in_category", "bottom_share", "false_report")


def period_unit(period: str | None) -> str:
    """The measure word for counting periods like this one: 个季度, 年, 个半年, 个月."""
    m = _PERIOD.match(str(period or "").strip().upper())
    if not m:
        return "个考核期"
    part = m.group("part")
    if part is None:
        return "年"
    if part in QUARTERS:
        return "个季度"
    if part in HALVES:
        return "个半年"
    return "个月"




def share_text(share: float) -> str:
    """0.3333 → 三分之一 when it is a common fraction, else a percentage with one decimal."""
    for (a, b), words in FRACTION_WORDS.items():
        if abs(float(share) - a / b) < 5e-4:
            return words
    return f"{100 * float(share):.1f}%"


def _number(v: Any, decimals: int = 2) -> str:
    if v is None:
        return "—"
    f = float(v)
    return str(int(f)) if f.is_integer() else f"{f:.{decimals}f}"


def _metric(metric: str | None, value: Any, decimals: int = 2) -> tuple[str, str]:
    name, unit = METRIC_WORDS.get(metric or "", ("数值", ""))
    if unit == "share":
        return name, f"{100 * float(value):.1f}%" if value is not None else "—"
    if unit == "%":
        return name, f"{float(value):.1f}%" if value is not None else "—"
    if metric == "rank":
        return name, f"第{_number(value)}名"
    return name, f"{_number(value, decimals)}{unit}"


@dataclass
class ReasonNames:
    """What turns stored codes into words: the round's period and its scheme's names."""

    period: str | None = None
    indicators: dict[str, str] = field(default_factory=dict)  # code → name
    groups: dict[str, str] = field(default_factory=dict)  # voter-group code → name
    rule_kinds: dict[str, str] = field(default_factory=dict)  # rule code → kind
    precision: int = 2
    maxes: dict[str, float] = field(default_factory=dict)  # indicator code → full marks

    @classmethod
    def of(cls, scheme: SchemeDef | None, period: str | None = None) -> ReasonNames:
        if scheme is None:
            return cls(period=period)
        return cls(
            period=period,
            indicators={i.code: i.name for i, _l, _p in scheme.walk()},
            groups={g.code: g.name for f in scheme.forms for g in f.voter_groups},
            rule_kinds={r.code: r.kind for r in scheme.rules},
            precision=scheme.precision,
            maxes={i.code: i.max for i, _l, _p in scheme.walk()},
        )

    def indicator(self, code: str) -> str:
        name = self.indicators.get(code)
        if not name:
            return f"指标{code}"
        # A name that has quotes of its own (“三公”经费) is not quoted again.
        return name if "“" in name or "”" in name else f"“{name}”"

    def group(self, code: str) -> str:
        return self.groups.get(code, code)


def _kind_of(figures: dict[str, Any], kind: str | None) -> str:
    if kind:
        return kind
    if "metric" in figures:
        return "threshold"
    if "notices" in figures:
        return "overdue_rectification"
    if "unfit_share" in figures and "limit" in figures:
        return "cadre_unfit"
    if "earlier_periods" in figures:
        return "cadre_consecutive_unfit"
    if "share" in figures and "rank" in figures:
        return "bottom_share"
    if "rank" in figures:
        return "last_in_category"
    if "indicators" in figures:
        return "false_report"
    return ""


def accountability_reason(
    figures: dict[str, Any] | None,
    *,
    kind: str | None = None,
    category: str | None = None,
    names: ReasonNames | None = None,
) -> str:
    """The reason an accountability entry was proposed, as a sentence from its stored figures.

    ``kind`` is the rule kind (``schemes.definition.RULE_KINDS``; guessed from the figures' shape
    when not given), ``category`` the unit's category."""
    f = dict(figures or {})
    n = names or ReasonNames()
    if f.get("reasons"):  # hits of several rules merged into one entry at the highest rung

        each = []
        for r in f["reasons"]:
            rung_of = SEVERITY_LABELS.get(r.get("severity"), "")
            sentence = accountability_reason(
                r.get("figures"), kind=n.rule_kinds.get(r.get("rule")), category=category, names=n
            )
            each.append(f"{r.get('text') or r.get('rule')}" + (f"（{rung_of}）" if rung_of else "") + f"：{sentence}")
        rung = SEVERITY_LABELS.get(f.get("severity"), "")
        return (f"按{rung}情形处理，" if rung else "") + f"合并{count_words(len(each))}项：" + "；".join(each)
    kind = _kind_of(f, kind)
    where = f"在{category}类别" if category else "在本类别"
    text = ""
    if kind == "threshold":
        name, value = _metric(f.get("metric"), f.get("value"), n.precision)
        _n2, limit = _metric(f.get("metric"), f.get("threshold"), n.precision)
        text = f"{name}{value}，{OP_WORDS.get(f.get('op') or '', '触及')}{limit}"
    elif kind == "last_in_category":
        text = f"{where}{_number(f.get('category_size'))}个单位中排名末位（第{_number(f.get('rank'))}名"
        text += (
            f"，综合得分{_number(f.get('composite'), n.precision)}分）"
            if f.get("composite") is not None
            else "）"
        )
    elif kind == "bottom_share":
        share = f.get("share") or 0
        text = (
            f"{where}{_number(f.get('category_size'))}个单位中排名第{_number(f.get('rank'))}名，"
            f"位于后{100 * float(share):g}%"
        )
    elif kind == "false_report":
        codes = list(f.get("indicators") or [])
        text = f"自查虚报{len(codes)}项指标（{'、'.join(n.indicator(c) for c in codes)}）"
    elif kind == "overdue_rectification":
        parts = []
        for x in f.get("notices") or []:
            parts.append(
                f"{x.get('notice_no', '')}整改期限为{cn_date(x.get('deadline'))}，已逾期{x.get('days_overdue')}天，"
                f"{NOTICE_STATUS_WORDS.get(x.get('status') or 'issued', '尚未销号')}"
            )
        text = "；".join(parts)
        if f.get("today"):
            text = f"截至{cn_date(f['today'])}，{text}"
    elif kind == "cadre_unfit":
        unfit = f.get("unfit_option") or "不称职"  # the cadre form's own word, e.g. 不合格 for 村干部
        share = f"{100 * float(f.get('unfit_share') or 0):.1f}%"
        if f.get("unfit_share") is None:  # withheld beside a small voter group (appraisal_secrecy)
            text = f"{unfit}票比例"
        elif f.get("unfit_votes") is not None and f.get("counted"):
            text = f"{unfit}票{_number(f['unfit_votes'])}张，占有效票{share}"
        else:
            text = f"{unfit}票占有效票{share}"
        text += f"，超过{share_text(f.get('limit') or 0)}"
        if f.get("grade"):
            text += f"，测评等次为{f['grade']}"
    elif kind == "cadre_consecutive_unfit":
        earlier = list(f.get("earlier_periods") or [])
        periods = [*reversed(earlier), n.period] if n.period else list(reversed(earlier))
        times = int(f.get("times") or len(earlier) + 1)
        text = f"连续{count_words(times)}次测评等次为{f.get('grade') or f.get('unfit_option') or '不称职'}"
        if periods:
            text += f"（{periods_text(periods)}）"
    if f.get("count") and f.get("window", 1) > 1 and kind in WINDOWED:
        earlier = [h.get("period") for h in f.get("history") or []]
        periods = sorted([p for p in earlier if p] + ([n.period] if n.period else []))
        count, window = int(f["count"]), int(f["window"])
        unit = {"year": "年", "quarter": "个季度"}.get(f.get("window_unit")) or period_unit(
            n.period or (periods[-1] if periods else None)
        )
        lead = (
            f"连续{count_words(count)}{unit}"
            if count == window
            else f"最近{count_words(window)}{unit}内有{count_words(count)}次"
        )
        if kind == "last_in_category":
            text = f"{lead}{where}中排名末位"
            if periods:
                text += f"（{periods_text(periods)}）"
            text += f"，本期为{_number(f.get('category_size'))}个单位中的第{_number(f.get('rank'))}名"
        else:
            text = f"{lead}{text}" + (f"（{periods_text(periods)}）" if periods else "")
    return text or "触发问责规则"


def flag_reason(flag: Any, names: ReasonNames | None = None) -> str:
    """A result flag (``veto:QL1``, ``missing_groups:rd,zg``, ``quota:优秀`` …) as words."""

    n = names or ReasonNames()
    if isinstance(flag, dict):
        for key in ("text", "label", "message"):
            if flag.get(key):
                return str(flag[key])
        flag = str(flag.get("code") or flag.get("kind") or "")
    flag = str(flag)
    if flag in FLAG_WORDS:
        return FLAG_WORDS[flag]
    key, _, arg = flag.partition(":")
    if key in ("exempt", "exempt_full"):  # 合理缺项 (assess/scorers.py): exempt:<base>:<codes>
        base, _, codes = arg.partition(":") if key == "exempt" else ("", "", arg)
        named = "、".join(
            n.indicator(c) + (f"（满分 {n.maxes[c]:g}）" if c in n.maxes else "") for c in codes.split(",") if c
        )
        if key == "exempt_full":
            return f"合理缺项：{named}按满分计"
        return f"合理缺项：{named}已排除，按 {base} 分折算为百分制"
    items = [a for a in re.split(r"[,、]", arg) if a]
    indicators = "、".join(n.indicator(a) for a in items)
    if key == "veto":
        return f"{indicators}一票否决"
    if key == "false_report":
        return f"{indicators}自查虚报"
    if key == "missing_value":
        return f"{indicators}未填报，按0分计"
    if key == "unverified":
        return f"{indicators}尚未完成核查"
    if key == "missing_groups":
        return f"民主评议缺少{'、'.join(n.group(a) for a in items)}的有效票"
    if key == "no_excellent":
        return f"受到{arg}处理，不得评为最高等次"
    if key == "quota":
        return f"超出“{arg}”等次名额，降一档"
    if key == "missing":
        return f"缺少{COMPONENT_WORDS.get(arg, arg)}，按其余部分折算"
    if key == "missing_quarter":  # annual rounds (assess.results.annual): never counted as 0
        quarters = {"Q1": "一季度", "Q2": "二季度", "Q3": "三季度", "Q4": "四季度"}
        return f"缺少{'、'.join(quarters.get(a, a) for a in items)}的结果，季度平均按其余季度计算"
    if key == "unfit_votes":  # the cadre form's own word for the lowest grade (不称职, 不合格)
        return f"{arg}票超过规定比例" if arg else FLAG_WORDS["unfit_votes"]
    if key == "not_eligible_excellent":
        return f"{arg}票不足，不能评优秀" if arg else FLAG_WORDS["not_eligible_excellent"]
    return flag


def flags_reason(flags: list[Any] | None, names: ReasonNames | None = None) -> str:
    return "；".join(flag_reason(f, names) for f in (flags or []))
