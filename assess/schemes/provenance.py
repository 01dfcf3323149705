"""Where a scheme's numbers and rules come from (出处), format in ``indicators/README.md``.

Every table that carries figures or a rule has ``source`` (the section of the basis document it comes
from) or ``basis = "example"`` with a ``reason`` (the office's own example: 示例，由考核办确定), or takes
them from its parent: an indicator from its parent indicator, cadre rules from their form, the cadre
bands from the cadre rules. A chain without a basis takes the scheme-wide ``basis``/``reason``. The scheme
view, the score explanation and the report's 方案说明 all word provenance with ``Provenance.text``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assess.schemes.definition import EXAMPLE_LABEL, SchemeDef


@dataclass(frozen=True)
class Provenance:
    source: str | None = None
    basis: str | None = None
    reason: str | None = None

    @property
    def example(self) -> bool:
        return self.basis == "example"

    @property
    def known(self) -> bool:
        return bool(self.source or self.basis)

    def text(self) -> str:
        parts = []
        if self.source:
            parts.append(f"依据 {self.source}")
        if self.example:
            label = ("数值" if self.source else "") + EXAMPLE_LABEL
            parts.append(label + (f"（{self.reason}）" if self.reason else ""))
        return "；".join(parts) or "未注明出处"


def effective(chain: list[Any], scheme: SchemeDef | None = None) -> Provenance:
    """Provenance of the first table in ``chain`` (nearest first, then its parents): the nearest
    source, and the nearest basis with its reason, else the scheme-wide basis."""
    source = next((t.source for t in chain if getattr(t, "source", None)), None)
    holder = next((t for t in chain if getattr(t, "basis", None)), None)
    if holder is None and scheme is not None and scheme.basis:
        holder = scheme
    return Provenance(source, holder.basis if holder else None, holder.reason if holder else None)


def indicator_provenance(scheme: SchemeDef) -> dict[str, Provenance]:
    """Indicator code → its provenance, inherited along the tree."""
    out: dict[str, Provenance] = {}

    def visit(node, ancestors: list) -> None:
        chain = [node, *ancestors]
        out[node.code] = effective(chain, scheme)
        for child in node.children:
            visit(child, chain)

    for ind in scheme.indicators:
        visit(ind, [])
    return out


@dataclass(frozen=True)
class _Composite:
    source: str | None
    basis: str | None
    reason: str | None


def composite_provenance(scheme: SchemeDef) -> Provenance:
    return effective(
        [_Composite(scheme.composite_source, scheme.composite_basis, scheme.composite_reason)], scheme
    )


def settings_provenance(scheme: SchemeDef) -> list[tuple[str, Provenance]]:
    """The scheme's settings (everything but indicators) with their provenance, in display order."""
    rows: list[tuple[str, Provenance]] = [("综合得分构成", composite_provenance(scheme))]
    for b in scheme.bands:
        rows.append((f"等次“{b.grade}”", effective([b], scheme)))
    for q in scheme.quotas:
        rows.append((f"“{q.grade}”名额", effective([q], scheme)))
    rows.append(("抽查核查", effective([scheme.spotcheck], scheme)))
    for f in scheme.forms:
        rows.append((f"评议表 {f.code}（选项分值、投票人权重、到会比例）", effective([f], scheme)))
        if f.cadre_rules is not None:
            rows.append((f"评议表 {f.code} 的干部评定规则", effective([f.cadre_rules, f], scheme)))
    for r in scheme.rules:
        rows.append((f"问责规则 {r.code}", effective([r], scheme)))
    if scheme.annual is not None:
        rows.append(("年度考核（季度平均与年终考核的权重）", effective([scheme.annual], scheme)))
        for b in scheme.annual.bands:
            rows.append((f"年度等次“{b.grade}”", effective([b, scheme.annual], scheme)))
        for q in scheme.annual.quotas:
            rows.append((f"年度“{q.grade}”名额", effective([q, scheme.annual], scheme)))
    return rows


def example_notes(scheme: SchemeDef) -> list[str]:
    """One line per setting or indicator group whose figures are examples, for the report's 方案说明."""
    out = [f"{item}：{p.text()}" for item, p in settings_provenance(scheme) if p.example]
    provs = indicator_provenance(scheme)
    examples = [i.code for i in scheme.indicators if provs[i.code].example]
    if examples:
        out.append(f"指标 {'、'.join(examples)} 的分值：{EXAMPLE_LABEL}")
    return out
