"""What changed between two versions of a scheme, item by item.

Both definitions are flattened from their canonical dicts: lists of things with a code (indicators,
bands, forms, options, voter groups, rules) are keyed by that code, so reordering is no change and a
renamed field shows as one line. The indicator tree is flattened with each node's parent, so moving
an indicator shows as a change of ``parent``. An added or removed thing is one line, not one line
per field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assess.schemes.definition import SchemeDef

# list name → the field that identifies an element
KEYED = {
    "indicators": "code",
    "bands": "grade",
    "quotas": "grade",
    "forms": "code",
    "options": "label",
    "voter_groups": "code",
    "rules": "code",
    "consequences": "code",
}
THINGS = {
    "indicators": "指标",
    "bands": "等次",
    "quotas": "名额限制",
    "forms": "评议表",
    "options": "选项",
    "voter_groups": "投票人类别",
    "rules": "问责规则",
    "consequences": "结果运用",
    "weights": "权重",
    "spotcheck": "抽查核查",
    "cadre_rules": "干部评议规则",
    "annual": "年度考核",
    "held": "举行频次",
    # provenance (assess.schemes.provenance)
    "basis": "示例标记",
    "reason": "示例理由",
    "composite_source": "综合得分设置 出处",
    "composite_basis": "综合得分设置 示例标记",
    "composite_reason": "综合得分设置 示例理由",
}

COMPONENT_NAMES = {"indicators": "指标", "appraisal": "民主评议", "adjustment": "加减分"}


@dataclass(frozen=True)
class Change:
    kind: str  # added | removed | changed
    where: str  # e.g. "指标 A2.1 max", "权重 appraisal", "问责规则 R04"
    old: Any = None
    new: Any = None

    def text(self) -> str:
        if self.kind == "added":
            return f"新增 {self.where}" + (f"：{_show(self.new)}" if self.new not in (None, "") else "")
        if self.kind == "removed":
            return f"删除 {self.where}" + (f"：{_show(self.old)}" if self.old not in (None, "") else "")
        return f"{self.where}：{_show(self.old)} → {_show(self.new)}"


def _show(v: Any) -> str:
    if v is None:
        return "（无）"
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, list):
        return "[" + "、".join(_show(x) for x in v) + "]"
    return str(v)


class _Entity:
    """Marks where a keyed element starts; carries the name shown when it is added or removed."""

    def __init__(self, label: str):
        self.label = label

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Entity)

    def __hash__(self) -> int:
        return 0


def _flat_indicators(nodes: list[dict], parent: str | None, out: list[dict]) -> list[dict]:
    for n in nodes:
        out.append({**{k: v for k, v in n.items() if k != "children"}, "parent": parent})
        _flat_indicators(n.get("children", []), n["code"], out)
    return out


def _flatten(d: dict, prefix: tuple, out: dict[tuple, Any]) -> dict[tuple, Any]:
    for k, v in d.items():
        if k == "indicators" and not prefix:
            v = _flat_indicators(v, None, [])
        if isinstance(v, dict):
            _flatten(v, (*prefix, k), out)
        elif isinstance(v, list) and k in KEYED and all(isinstance(x, dict) for x in v):
            key = KEYED[k]
            for item in v:
                where = (*prefix, k, str(item[key]))
                out[where] = _Entity(str(item.get("name") or item.get("action") or ""))
                _flatten({f: x for f, x in item.items() if f != key}, where, out)
        else:
            out[(*prefix, k)] = v
    return out


def _where(path: tuple) -> str:
    """("forms", "mzpy", "options", "满意", "points") → "评议表 mzpy 选项 满意 points"."""
    parts: list[str] = []
    prev = None
    for p in path:
        if prev in KEYED:
            parts.append(str(p))
        elif prev == "weights":
            parts.append(COMPONENT_NAMES.get(p, str(p)))
        else:
            parts.append(THINGS.get(p, str(p)))
        prev = None if prev in KEYED else p
    return " ".join(parts)


def diff_schemes(old: SchemeDef, new: SchemeDef) -> list[Change]:
    """Changes from ``old`` to ``new``, in the order of the new file (removals after)."""
    a = _flatten(old.to_dict(), (), {})
    b = _flatten(new.to_dict(), (), {})
    skip: list[tuple] = []

    def under(path: tuple) -> bool:
        return any(path[: len(s)] == s for s in skip)

    changes: list[Change] = []
    for path, v in b.items():
        if under(path) or path == ("schema_version",):
            continue
        if path not in a:
            if isinstance(v, _Entity):
                skip.append(path)
                changes.append(Change("added", _where(path), new=v.label))
            else:
                changes.append(Change("added", _where(path), new=v))
        elif not isinstance(v, _Entity) and a[path] != v:
            changes.append(Change("changed", _where(path), a[path], v))
    for path, v in a.items():
        if under(path) or path in b:
            continue
        if isinstance(v, _Entity):
            skip.append(path)
            changes.append(Change("removed", _where(path), old=v.label))
        else:
            changes.append(Change("removed", _where(path), old=v))
    return changes
