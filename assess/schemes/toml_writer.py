"""Writing a scheme back to a TOML file in the format of ``indicators/README.md``.

``scheme_to_toml`` writes every setting the ``SchemeDef`` holds, so validating the text and building
the definition again gives the same content hash (``from_dict(validate(text)) == scheme``). Every
indicator is written as its own table (``[[indicators]]``, ``[[indicators.children]]`` …) with one
key per line, which lets a validation problem's line point at one indicator; ``SchemeText.lines``
gives the header line of each indicator. An inner indicator's ``max`` is written unless its code is
in ``follow`` (its points then follow its children). Values the file format fills in by default
(``include_max = false``, ``window = 1`` …) are left out, and shares such as 1/3 are written as
``"1/3"``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from fractions import Fraction

from assess.foundation.vocabulary import Method
from assess.schemes.definition import (
    COMPONENTS,
    SCHEMA_VERSION,
    Band,
    FormDef,
    IndicatorDef,
    RuleDef,
    SchemeDef,
)


@dataclass
class SchemeText:
    text: str
    lines: dict[str, int] = field(default_factory=dict)  # indicator code → line of its table header
    indicators_end: int = 0  # the last line of the indicator tables

    def indicator_at(self, line: int | None) -> str | None:
        """The indicator whose table contains ``line`` (None outside the indicators)."""
        if line is None:
            return None
        best, best_line = None, 0
        for code, start in self.lines.items():
            if best_line < start <= line:
                best, best_line = code, start
        if best is None or line > self.indicators_end:
            return None
        return best


# -- values -------------------------------------------------------------------------------------


def toml_string(s: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's; DEL must be escaped as well)."""
    return json.dumps(s, ensure_ascii=False).replace("\x7f", "\\u007f")


def _multiline(s: str) -> str:
    out = []
    for ch in s:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\n")
        elif ch == "\t":
            out.append("\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"""\n' + "".join(out) + '"""'


def toml_number(v: float | int) -> str:
    if isinstance(v, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(v, int):
        return str(v)
    if not math.isfinite(v):
        raise ValueError(f"not a finite number: {v!r}")
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(v)


def _share(v: float) -> str:
    """A share in [0, 1]: “1/3” when a short fraction gives exactly the same float."""
    text = toml_number(v)
    if len(text) > 8:
        f = Fraction(v).limit_denominator(12)
        if f.numerator / f.denominator == v:
            return toml_string(f"{f.numerator}/{f.denominator}")
    return text


def _list(items: list[str]) -> str:
    return "[" + ", ".join(toml_string(x) for x in items) + "]"


def _inline(pairs: list[tuple[str, str]]) -> str:
    return "{ " + ", ".join(f"{k} = {v}" for k, v in pairs) + " }"


def _prov_pairs(t) -> list[tuple[str, str]]:
    """source, basis and reason of a table that has them (see ``assess.schemes.provenance``)."""
    return [(k, toml_string(getattr(t, k))) for k in ("source", "basis", "reason") if getattr(t, k, None) is not None]


def _band(b: Band) -> str:
    pairs = [("grade", toml_string(b.grade)), ("min", toml_number(b.min)), ("max", toml_number(b.max))]
    if b.include_max:
        pairs.append(("include_max", "true"))
    return _inline(pairs + _prov_pairs(b))


# -- the file -----------------------------------------------------------------------------------


class _Writer:
    def __init__(self) -> None:
        self.out: list[str] = []

    @property
    def line(self) -> int:
        """The 1-based number of the next line written."""
        return len(self.out) + 1

    def put(self, text: str = "") -> None:
        self.out.extend(text.split("\n"))

    def kv(self, key: str, value: str | None) -> None:
        if value is not None:
            self.put(f"{key} = {value}")

    def provenance(self, t) -> None:
        for k, v in _prov_pairs(t):
            self.kv(k, v)

    def array(self, key: str, items: list[str]) -> None:
        """A multi-line array, one element per line (the style ``source_lines`` locates)."""
        self.put(f"{key} = [")
        for item in items:
            self.put(f"  {item},")
        self.put("]")


def _opt_str(v: str | None) -> str | None:
    return None if v is None else toml_string(v)


def _opt_num(v: float | int | None) -> str | None:
    return None if v is None else toml_number(v)


def _indicator(w: _Writer, ind: IndicatorDef, table: str, follow: set[str], lines: dict[str, int]) -> None:
    w.put()
    lines[ind.code] = w.line
    w.put(f"[[{table}]]")
    w.kv("code", toml_string(ind.code))
    w.kv("name", toml_string(ind.name))
    if ind.children:
        if ind.code not in follow:
            w.kv("max", toml_number(ind.max))
    else:
        w.kv("method", _opt_str(ind.method))
        if ind.method != Method.VETO:
            w.kv("max", toml_number(ind.max))
        w.kv("target", _opt_num(ind.target))
        w.kv("per_item", _opt_num(ind.per_item))
    w.kv("unit_of_measure", _opt_str(ind.unit_of_measure))
    if ind.categories:
        w.kv("categories", _list(ind.categories))
    w.kv("evidence", _opt_str(ind.evidence))
    w.kv("scorer", _opt_str(ind.scorer))
    w.provenance(ind)
    for child in ind.children:
        _indicator(w, child, f"{table}.children", follow, lines)


def _annual(w: _Writer, a) -> None:
    """[annual]: the annual round's formula (``assess.results.annual``)."""
    w.put()
    w.put("[annual]")
    w.kv("weights", _inline([(k, toml_number(v)) for k, v in a.weights.items()]))
    w.kv("precision", _opt_num(a.precision))
    w.kv("skip_rules", _list(a.skip_rules) if a.skip_rules else None)
    w.provenance(a)
    for b in a.bands:
        w.put()
        w.put("[[annual.bands]]")
        w.kv("grade", toml_string(b.grade))
        w.kv("min", toml_number(b.min))
        w.kv("max", toml_number(b.max))
        if b.include_max:
            w.kv("include_max", "true")
        w.provenance(b)
    for q in a.quotas:
        w.put()
        w.put("[[annual.quotas]]")
        w.kv("grade", toml_string(q.grade))
        w.kv("max_share", _share(q.max_share))
        w.kv("rounding", toml_string(q.rounding))
        w.provenance(q)


def _form(w: _Writer, f: FormDef) -> None:
    w.put()
    w.put("[[forms]]")
    w.kv("code", toml_string(f.code))
    w.kv("kind", toml_string(f.kind))
    w.kv("name", toml_string(f.name))
    options = []
    for o in f.options:
        pairs = [("label", toml_string(o.label))]
        if o.points is not None:
            pairs.append(("points", toml_number(o.points)))
        if o.satisfied:
            pairs.append(("satisfied", "true"))
        options.append(_inline(pairs))
    w.array("options", options)
    w.array(
        "voter_groups",
        [
            _inline(
                [
                    ("code", toml_string(g.code)),
                    ("name", toml_string(g.name)),
                    ("weight", toml_number(g.weight)),
                ]
                + ([("categories", _list(g.categories))] if g.categories else [])
            )
            for g in f.voter_groups
        ],
    )
    w.kv("limited_option", _opt_str(f.limited_option))
    w.kv("max_limited", _opt_num(f.max_limited))
    w.kv("quorum", _share(f.quorum))
    w.kv("quorum_op", _opt_str(f.quorum_op))
    w.kv("publication_threshold", toml_number(f.publication_threshold))
    w.kv("held", _opt_str(f.held))
    w.provenance(f)
    cr = f.cadre_rules
    if cr is not None:
        w.put()
        w.put("[forms.cadre_rules]")
        w.kv("unfit_option", toml_string(cr.unfit_option))
        w.kv("unfit_share", _share(cr.unfit_share))
        w.kv("excellent_option", toml_string(cr.excellent_option))
        w.kv("excellent_min_fit_share", _share(cr.excellent_min_fit_share))
        w.kv("consecutive_unfit", toml_number(cr.consecutive_unfit))
        w.provenance(cr)
        if cr.bands:
            w.array("bands", [_band(b) for b in cr.bands])


def _rule(w: _Writer, r: RuleDef) -> None:
    w.put()
    w.put("[[rules]]")
    w.kv("code", toml_string(r.code))
    w.kv("kind", toml_string(r.kind))
    w.kv("metric", _opt_str(r.metric))
    w.kv("op", _opt_str(r.op))
    w.kv("value", _opt_num(r.value))
    w.kv("share", None if r.share is None else _share(r.share))
    w.kv("days", _opt_num(r.days))
    if r.window != 1:
        w.kv("window", toml_number(r.window))
    if r.times != 1 or r.kind == "cadre_consecutive_unfit":
        w.kv("times", toml_number(r.times))
    w.kv("window_unit", _opt_str(r.window_unit))
    w.kv("severity", _opt_str(r.severity))
    w.kv("warn_margin", _opt_num(r.warn_margin))
    w.kv("action", toml_string(r.action))
    w.kv("text", _opt_str(r.text))
    if r.categories:
        w.kv("categories", _list(r.categories))
    w.provenance(r)


def render_scheme(
    scheme: SchemeDef,
    *,
    follow: set[str] | frozenset[str] = frozenset(),
    header: list[str] | tuple[str, ...] = (),
) -> SchemeText:
    """The scheme as TOML text, with the line of each indicator's table."""
    w = _Writer()
    for line in header:
        w.put(f"# {line}".rstrip())
    if header:
        w.put()
    w.kv("schema_version", toml_number(scheme.schema_version or SCHEMA_VERSION))
    w.kv("code", toml_string(scheme.code))
    w.kv("name", toml_string(scheme.name))
    if scheme.description is not None:
        w.kv(
            "description",
            _multiline(scheme.description) if "\n" in scheme.description else toml_string(scheme.description),
        )
    w.kv("source", _opt_str(scheme.source))
    w.kv("categories", _list(scheme.categories))
    w.kv("basis", _opt_str(scheme.basis))
    w.kv("reason", _opt_str(scheme.reason))
    for key in ("document_title", "issuer", "doc_number", "recipients"):
        w.kv(key, _opt_str(getattr(scheme, key)))

    w.put()
    w.put("[composite]")
    ordered = [k for k in COMPONENTS if k in scheme.weights] + [
        k for k in scheme.weights if k not in COMPONENTS
    ]
    w.kv("weights", _inline([(k, toml_number(scheme.weights[k])) for k in ordered]) if ordered else "{}")
    w.kv("appraisal_form", _opt_str(scheme.appraisal_form))
    w.kv("adjustment_base", toml_number(scheme.adjustment_base))
    if scheme.tie_break:
        w.kv("tie_break", _list(scheme.tie_break))
    if scheme.no_excellent_if:
        w.kv("no_excellent_if", _list(scheme.no_excellent_if))
    w.kv("precision", toml_number(scheme.precision))
    w.kv("exempt_rule", _opt_str(scheme.exempt_rule))
    w.kv("source", _opt_str(scheme.composite_source))
    w.kv("basis", _opt_str(scheme.composite_basis))
    w.kv("reason", _opt_str(scheme.composite_reason))

    for b in scheme.bands:
        w.put()
        w.put("[[bands]]")
        w.kv("grade", toml_string(b.grade))
        w.kv("min", toml_number(b.min))
        w.kv("max", toml_number(b.max))
        if b.include_max:
            w.kv("include_max", "true")
        w.provenance(b)
    for q in scheme.quotas:
        w.put()
        w.put("[[quotas]]")
        w.kv("grade", toml_string(q.grade))
        w.kv("max_share", _share(q.max_share))
        w.kv("rounding", toml_string(q.rounding))
        w.provenance(q)

    sc = scheme.spotcheck
    w.put()
    w.put("[spotcheck]")
    w.kv("sample_size", toml_number(sc.sample_size))
    w.kv("min_per_category", toml_number(sc.min_per_category))
    w.kv("tolerance", toml_number(sc.tolerance))
    w.kv("penalty", toml_number(sc.penalty))
    w.kv("penalty_cap", _opt_num(sc.penalty_cap))
    w.kv("risk_focus", _list(sc.risk_focus) if sc.risk_focus else None)
    if sc.risk_weight:
        w.kv("risk_weight", _inline([(k, toml_number(v)) for k, v in sorted(sc.risk_weight.items())]))
    w.provenance(sc)

    lines: dict[str, int] = {}
    w.put()
    w.put("# -- 指标 " + "-" * 60)
    for ind in scheme.indicators:
        _indicator(w, ind, "indicators", set(follow), lines)
    end = w.line - 1
    if scheme.forms:
        w.put()
        w.put("# -- 评议表 " + "-" * 58)
    for f in scheme.forms:
        _form(w, f)
    if scheme.rules:
        w.put()
        w.put("# -- 问责规则 " + "-" * 56)
    for r in scheme.rules:
        _rule(w, r)
    if scheme.consequences:
        w.put()
        w.put("# -- 考核结果运用 " + "-" * 52)
    for c in scheme.consequences:
        w.put()
        w.put("[[consequences]]")
        w.kv("code", toml_string(c.code))
        w.kv("when", toml_string(c.when))
        if c.subject != "unit":
            w.kv("subject", toml_string(c.subject))
        w.kv("then", toml_string(c.then))
        w.kv("text", _opt_str(c.text))
        w.provenance(c)
    if scheme.annual is not None:
        _annual(w, scheme.annual)
    return SchemeText("\n".join(w.out) + "\n", lines, end)


def scheme_to_toml(scheme: SchemeDef, **kwargs) -> str:
    return render_scheme(scheme, **kwargs).text
