"""A draft of a scheme being edited: add, move, re-weight, rename and delete indicators, change the
composite weights, see the validation problems after every change, and export to a TOML file.

The draft starts from a stored version's definition (``draft_from_version``) or a scheme file
(``Draft.from_file``). Every operation checks its arguments first and refuses nonsense (unknown or
duplicate code, negative points, an unknown method) with a Chinese message, leaving the draft
unchanged. Whatever the operations leave inconsistent (a group whose children no longer add up,
weights that do not sum to 100, a leaf without points) is reported by ``problems()``: the draft
is written out with ``toml_writer`` and checked by ``validate.validate_text``, the same validator
that guards loading, so the problems name the lines of the exported text.

An inner indicator's max is its points budget: it keeps the value it had (the stored version's
sum of its children) until set with ``set_max``; ``set_max(code, None)`` makes it follow its
children (the file then has no ``max`` for it). Re-weighting one child therefore shows a problem on
its parent until the siblings or the parent's budget are changed to match.

Nothing here touches the database; loading an exported file as a new version is
``catalog.load_scheme``.
"""

from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from assess.foundation.errors import AssessError, Conflict, InputErrors, InputProblem, NotFound
from assess.foundation.private_files import write_private
from assess.foundation.vocabulary import Method
from assess.schemes.builtin import read_scheme_source
from assess.schemes.catalog import version_id_of
from assess.schemes.definition import COMPONENTS, METHODS, IndicatorDef, SchemeDef
from assess.schemes.diff import COMPONENT_NAMES, Change, diff_schemes
from assess.schemes.store import load_definition
from assess.schemes.toml_writer import SchemeText, render_scheme
from assess.schemes.validate import validate_text

if TYPE_CHECKING:
    from assess.foundation.db import Database

# The methods by their Chinese names too (as the schemes screen shows them).
METHOD_NAMES = {"得分": "points", "扣分": "deduct", "加分": "bonus", "比率": "ratio", "一票否决": "veto"}
MAX_CODE = 32
MAX_NAME = 255
UNDO_DEPTH = 100
ADDED_REASON = "编辑草稿时新增，分值由考核办确定"  # the reason of an added indicator's example basis


@dataclass(frozen=True)
class DraftProblem:
    line: int | None
    field: str | None
    message: str
    indicator: str | None  # the indicator whose table holds the line, if any

    def __str__(self) -> str:
        where = f"第 {self.line} 行" if self.line is not None else ""
        if self.field:
            where += f" [{self.field}]"
        return f"{where}：{self.message}" if where else self.message


@dataclass
class DraftCheck:
    problems: list[DraftProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class DraftRow:
    """One node of the draft's tree, for display."""

    code: str
    name: str
    level: int
    parent: str | None
    is_leaf: bool
    method: str | None
    max: float
    follows: bool  # an inner node whose max follows its children
    children_sum: float | None  # inner nodes: Σ max of the children (bonus excluded)
    categories: list[str]


def _number(value: float | int | str, what: str) -> float:
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise AssessError(f"{what}不能为空。")
        try:
            value = float(text)
        except ValueError:
            raise AssessError(f"{what}应为数字，而不是“{text}”。") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise AssessError(f"{what}应为数字。")
    if value < 0:
        raise AssessError(f"{what}不能为负数（{value:g}）。")
    return float(value)


def _children_sum(node: IndicatorDef) -> float:
    return sum(c.max for c in node.children if c.method != Method.BONUS)


class Draft:
    def __init__(self, scheme: SchemeDef, *, base: str | None = None, follow: set[str] | None = None) -> None:
        self._scheme = copy.deepcopy(scheme)
        self.original = copy.deepcopy(scheme)  # what the draft started from, for ``changes``
        self._follow: set[str] = set(follow or ())
        self.base = base  # where the draft came from, e.g. “zwgk 第 1 版”
        self.revision = 0  # counts changes
        self.exported_revision = 0  # the revision last written to a file
        self._undo: list[tuple[SchemeDef, set[str], str]] = []
        self._checked: tuple[int, SchemeText, DraftCheck] | None = None

    # -- making a draft -------------------------------------------------------------------------
    @classmethod
    def from_text(cls, text: str, source_name: str) -> Draft:
        """A draft of a valid scheme file (``InputErrors`` otherwise)."""

        return cls(validate_text(text, source_name).scheme, base=source_name)

    @classmethod
    def from_file(cls, source: str | Path) -> Draft:
        """A draft of a scheme file, or of a shipped scheme by name."""

        name, text = read_scheme_source(source)
        return cls.from_text(text, name)

    def copy(self) -> Draft:
        """An independent copy (to try an operation without changing this draft)."""
        other = Draft(self._scheme, base=self.base, follow=self._follow)
        other.original = self.original
        other.revision = self.revision
        other.exported_revision = self.exported_revision
        return other

    # -- reading --------------------------------------------------------------------------------
    @property
    def code(self) -> str:
        return self._scheme.code

    @property
    def name(self) -> str:
        return self._scheme.name

    @property
    def weights(self) -> dict[str, float]:
        return dict(self._scheme.weights)

    @property
    def dirty(self) -> bool:
        """Changed since it was made or last exported."""
        return self.revision != self.exported_revision

    def scheme(self) -> SchemeDef:
        """A copy of the draft's definition as it stands (it may have problems)."""
        return copy.deepcopy(self._scheme)

    def indicator(self, code: str) -> IndicatorDef:
        node, _parent, _siblings = self._find(code)
        return copy.deepcopy(node)

    def parent_of(self, code: str) -> str | None:
        _node, parent, _siblings = self._find(code)
        return None if parent is None else parent.code

    def codes(self) -> list[str]:
        return [i.code for i, _l, _p in self._scheme.walk()]

    def rows(self) -> list[DraftRow]:
        out = []
        for ind, level, parent in self._scheme.walk():
            out.append(
                DraftRow(
                    ind.code,
                    ind.name,
                    level,
                    parent,
                    ind.is_leaf,
                    ind.method,
                    ind.max,
                    ind.code in self._follow,
                    None if ind.is_leaf else _children_sum(ind),
                    list(ind.categories),
                )
            )
        return out

    def follows(self, code: str) -> bool:
        return code in self._follow

    def changes(self) -> list[Change]:
        """What the draft changes compared with what it started from (as between two versions)."""
        return diff_schemes(self.original, self._scheme)

    # -- checking and exporting -----------------------------------------------------------------
    def _render(self) -> SchemeText:
        header = [f"{self._scheme.name}（考核方案草稿导出；格式说明见 indicators/README.md）"]
        if self.base:
            header.append(f"草稿来自：{self.base}")
        return render_scheme(self._scheme, follow=self._follow, header=header)

    def _check(self) -> tuple[SchemeText, DraftCheck]:
        if self._checked is not None and self._checked[0] == self.revision:
            return self._checked[1], self._checked[2]
        rendered = self._render()
        try:
            result = validate_text(rendered.text, self.source_name)
            check = DraftCheck([], list(result.warnings))
        except InputErrors as e:
            check = DraftCheck(
                [DraftProblem(p.line, p.field, p.message, rendered.indicator_at(p.line)) for p in e.problems]
            )
        self._checked = (self.revision, rendered, check)
        return rendered, check

    @property
    def source_name(self) -> str:
        return f"{self._scheme.code}-草稿.toml"

    def check(self) -> DraftCheck:
        """Validation problems and warnings of the draft as it stands."""
        return self._check()[1]

    def problems(self) -> list[DraftProblem]:
        return self.check().problems

    def to_toml(self) -> str:
        """The draft as a scheme file (exported as it is, problems included)."""
        return self._check()[0].text

    def export(self, path: str | Path, *, allow_problems: bool = False) -> Path:
        """Write the draft to a TOML file. Refuses while it has problems (unless told otherwise)
        and never overwrites a directory."""
        p = Path(path).expanduser()
        if not str(path).strip():
            raise AssessError("请填写导出文件的路径。")
        problems = self.problems()
        if problems and not allow_problems:
            raise InputErrors([InputProblem(p.name, q.line, q.field, q.message) for q in problems])
        if p.is_dir():
            raise AssessError(f"{p} 是目录：请写文件名，如 {p / (self.code + '.toml')}")
        if p.suffix.lower() != ".toml":
            raise AssessError(f"导出文件应以 .toml 结尾：{p.name}")
        if not p.parent.is_dir():
            raise AssessError(f"目录不存在：{p.parent}")
        try:
            write_private(p, self.to_toml())  # 0600, like every file written for people
        except OSError as e:
            raise AssessError(f"无法写入 {p}：{e.strerror or e}") from None
        self.exported_revision = self.revision
        return p

    # -- change bookkeeping ---------------------------------------------------------------------
    def _find(self, code: str) -> tuple[IndicatorDef, IndicatorDef | None, list[IndicatorDef]]:
        def search(nodes: list[IndicatorDef], parent: IndicatorDef | None):
            for n in nodes:
                if n.code == code:
                    return n, parent, nodes
                hit = search(n.children, n)
                if hit:
                    return hit
            return None

        hit = search(self._scheme.indicators, None)
        if hit is None:
            raise NotFound(f"草稿中没有指标 {code}。")
        return hit

    def _siblings(self, parent_code: str | None) -> list[IndicatorDef]:
        if parent_code is None:
            return self._scheme.indicators
        return self._find(parent_code)[0].children

    def _changing(self, what: str) -> None:
        """Called after the arguments are checked, before the change: remember the state."""
        self._undo.append((copy.deepcopy(self._scheme), set(self._follow), what))
        del self._undo[:-UNDO_DEPTH]

    def _changed(self) -> None:
        self._update_following()
        self.revision += 1

    def _update_following(self) -> None:
        def visit(node: IndicatorDef) -> None:
            for c in node.children:
                visit(c)
            if node.children and node.code in self._follow:
                node.max = _children_sum(node)

        for ind in self._scheme.indicators:
            visit(ind)
        self._follow &= {i.code for i, _l, _p in self._scheme.walk() if not i.is_leaf}

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    def undo(self) -> str:
        """Take back the last change; returns what it was."""
        if not self._undo:
            raise AssessError("没有可撤销的修改。")
        self._scheme, self._follow, what = self._undo.pop()
        self.revision += 1
        return what

    def _check_code(self, code: str) -> str:
        code = (code or "").strip()
        if not code:
            raise AssessError("指标编码不能为空。")
        if any(c.isspace() for c in code):
            raise AssessError(f"指标编码“{code}”不能含空白。")
        if len(code) > MAX_CODE:
            raise AssessError(f"指标编码不能超过 {MAX_CODE} 个字符。")
        if code in self.codes():
            raise Conflict(f"指标编码 {code} 已存在。")
        return code

    @staticmethod
    def _check_name(name: str) -> str:
        name = (name or "").strip()
        if not name:
            raise AssessError("指标名称不能为空。")
        if len(name) > MAX_NAME:
            raise AssessError(f"指标名称不能超过 {MAX_NAME} 个字符。")
        return name

    @staticmethod
    def _check_method(method: str) -> str:
        method = (method or "").strip()
        method = METHOD_NAMES.get(method, method)
        if method not in METHODS:
            raise AssessError(f"计分方法“{method}”不可用（可用：{'、'.join(METHODS)}）。")
        return method

    @staticmethod
    def _make_leaf(node: IndicatorDef, method: str | None) -> None:
        """Give a node a method, keeping only the settings that method uses."""
        node.method = method
        if method != Method.RATIO:
            node.target = None
        if method != Method.DEDUCT:
            node.per_item = None
        if method == Method.VETO:
            node.max = 0.0

    # -- operations -----------------------------------------------------------------------------
    def add_indicator(
        self,
        parent_code: str | None,
        code: str,
        name: str,
        method: str = "points",
        max: float | str = 0.0,
        *,
        after: str | None = None,
        target: float | None = None,
        per_item: float | None = None,
        unit_of_measure: str | None = None,
        evidence: str | None = None,
        categories: list[str] | None = None,
        source: str | None = None,
    ) -> None:
        """Add a leaf under ``parent_code`` (None: at the top), after the sibling ``after`` or
        last. A leaf parent becomes a group: its method goes, its points stay as its budget."""
        code = self._check_code(code)
        name = self._check_name(name)
        method = self._check_method(method)
        points = 0.0 if method == Method.VETO else _number(max, f"指标 {code} 的满分")
        if method == Method.VETO and max not in (0, 0.0, "", "0", None):
            raise AssessError(f"指标 {code} 是一票否决项，不计分：满分不填。")
        siblings = self._siblings(parent_code)
        if after is not None and after not in [s.code for s in siblings]:
            where = f"指标 {parent_code} 的子项" if parent_code else "第一级指标"
            raise NotFound(f"{after} 不是{where}。")
        node = IndicatorDef(
            code=code,
            name=name,
            method=method,
            max=points,
            target=None if target is None else _number(target, f"指标 {code} 的目标值"),
            per_item=None if per_item is None else _number(per_item, f"指标 {code} 的每处扣分"),
            unit_of_measure=(unit_of_measure or "").strip() or None,
            evidence=(evidence or "").strip() or None,
            categories=list(categories or []),
            source=(source or "").strip() or None,
            # An indicator added here is the office's own: its points are an example (see
            # assess.schemes.provenance), so the exported file passes the provenance check.
            basis="example",
            reason=ADDED_REASON,
        )
        self._make_leaf(node, method)
        self._changing(f"新增指标 {code}")
        if parent_code is not None:
            parent = self._find(parent_code)[0]
            if parent.is_leaf:
                parent.method = None
                parent.target = None
                parent.per_item = None
        index = len(siblings) if after is None else [s.code for s in siblings].index(after) + 1
        siblings.insert(index, node)
        self._changed()

    def remove(self, code: str) -> int:
        """Delete an indicator with everything under it; returns how many nodes went."""
        node, _parent, siblings = self._find(code)
        count = sum(1 for _ in node.walk())
        self._changing(f"删除指标 {code}" + (f" 及其 {count - 1} 个下级指标" if count > 1 else ""))
        siblings.remove(node)
        self._changed()
        return count

    def move(self, code: str, direction: str | int) -> None:
        """Move an indicator one place up or down among its siblings."""
        step = {"up": -1, "down": 1, -1: -1, 1: 1}.get(direction)
        if step is None:
            raise AssessError(f"移动方向应为 up 或 down，而不是 {direction!r}。")
        node, _parent, siblings = self._find(code)
        i = siblings.index(node)
        j = i + step
        if not 0 <= j < len(siblings):
            raise Conflict(f"指标 {code} 已在同级{'最前' if step < 0 else '最后'}。")
        self._changing(f"{'上移' if step < 0 else '下移'}指标 {code}")
        siblings[i], siblings[j] = siblings[j], siblings[i]
        self._changed()

    def reparent(self, code: str, new_parent: str | None) -> None:
        """Move an indicator (with its children) to the end of another parent's children (None:
        to the top level). A leaf parent becomes a group as in ``add_indicator``."""
        node, parent, siblings = self._find(code)
        if new_parent is not None:
            target, _p, _s = self._find(new_parent)
            if any(n.code == new_parent for n, _l, _pp in node.walk()):
                raise Conflict(f"不能把指标 {code} 移到它自己或它的下级 {new_parent} 之下。")
        if (parent.code if parent else None) == new_parent:
            raise Conflict(
                f"指标 {code} 已在{'第一级' if new_parent is None else f'指标 {new_parent} 之下'}。"
            )
        self._changing(f"把指标 {code} 移到{'第一级' if new_parent is None else f'指标 {new_parent} 之下'}")
        siblings.remove(node)
        if new_parent is None:
            self._scheme.indicators.append(node)
        else:
            if target.is_leaf:
                target.method = None
                target.target = None
                target.per_item = None
            target.children.append(node)
        self._changed()

    def set_max(self, code: str, value: float | str | None) -> None:
        """Re-weight: a leaf's points, or a group's budget; ``None`` (or an empty text) makes a
        group's max follow its children."""
        node, _parent, _siblings = self._find(code)
        if value is None or (isinstance(value, str) and not value.strip()):
            if node.is_leaf:
                raise AssessError(f"末级指标 {code} 要填满分。")
            self._changing(f"指标 {code} 的满分改为随子项")
            self._follow.add(code)
            self._changed()
            return
        points = _number(value, f"指标 {code} 的满分")
        if node.is_leaf and node.method == Method.VETO and points != 0:
            raise AssessError(f"指标 {code} 是一票否决项，不计分：没有满分可改。")
        self._changing(f"指标 {code} 的满分 {node.max:g} → {points:g}")
        node.max = points
        self._follow.discard(code)
        self._changed()

    def rename(self, code: str, name: str) -> None:
        node, _parent, _siblings = self._find(code)
        name = self._check_name(name)
        self._changing(f"指标 {code} 改名为“{name}”")
        node.name = name
        self._changed()

    def set_method(self, code: str, method: str) -> None:
        node, _parent, _siblings = self._find(code)
        method = self._check_method(method)
        if not node.is_leaf:
            raise AssessError(f"指标 {code} 有子项：计分方法写在末级指标上。")
        self._changing(f"指标 {code} 的计分方法改为 {method}")
        self._make_leaf(node, method)
        self._changed()

    def set_weight(self, component: str, percent: float | str) -> None:
        """A component's share of the composite score, in percent."""
        self.set_weights({component: percent})

    def set_weights(self, weights: dict[str, float | str]) -> None:
        """Several components' shares at once (one change, one undo)."""
        values: dict[str, float] = {}
        for component, percent in weights.items():
            if component not in COMPONENTS:
                names = "、".join(f"{c}（{COMPONENT_NAMES[c]}）" for c in COMPONENTS)
                raise AssessError(f"综合得分没有“{component}”这一项（可用：{names}）。")
            value = _number(percent, f"{COMPONENT_NAMES[component]}权重")
            if value > 100:
                raise AssessError(f"{COMPONENT_NAMES[component]}权重不能超过 100（{value:g}）。")
            values[component] = value
        if not values:
            return
        self._changing("权重改为 " + "、".join(f"{COMPONENT_NAMES[c]} {v:g}" for c, v in values.items()))
        self._scheme.weights.update(values)
        self._changed()

    def suggest_code(self, parent_code: str | None, after: str | None = None) -> str:
        """A free code for a new indicator: the sibling's code with its number advanced (A6 → A7,
        A2.4 → A2.5), else the parent's code with 1 (A → A1)."""

        siblings = self._siblings(parent_code)
        codes = set(self.codes())
        model = after or (siblings[-1].code if siblings else None)
        if model is not None and re.fullmatch(r"[A-Z]", model):
            for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[ord(model) - ord("A") + 1 :]:
                if letter not in codes:
                    return letter
        if model is not None and (m := re.match(r"^(.*?)(\d+)$", model)):
            stem, n = m.group(1), int(m.group(2))
        else:
            stem, n = (parent_code or "X") + ("." if parent_code and parent_code[-1].isdigit() else ""), 0
        while True:
            n += 1
            if f"{stem}{n}" not in codes:
                return f"{stem}{n}"


def draft_from_version(db: Database, code: str, version: int | None = None) -> Draft:
    """A draft of a stored version (the newest when ``version`` is None)."""

    with db.read() as s:
        vid = version_id_of(s, code, version)
        from assess.models import SchemeVersion

        row = s.get(SchemeVersion, vid)
        assert row is not None  # version_id_of found it in this transaction
        number = row.version
        scheme = load_definition(s, vid)
    return Draft(scheme, base=f"{code} 第 {number} 版")
