"""Typed, located checks of values read from a TOML file, for all-or-nothing validation.

Each getter returns the value or records an ``InputProblem`` (file, line, field, message in
Chinese) and returns None, so a validator reports every problem of a file at once.
"""

from __future__ import annotations

import difflib
import math
import re
from typing import Any

from assess.foundation.errors import InputProblem, ProblemList
from assess.schemes.source_lines import SourceLines

_FRACTION = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


def _label(path: tuple) -> str:
    """The field as written in the file: keys without list indexes (the line locates the element)."""
    return ".".join(str(p) for p in path if not isinstance(p, int))


def of(what: str) -> str:
    """“方案的” but “指标 A1 的”: a space after a code written in Latin letters."""
    return f"{what} 的" if what and what[-1].isascii() else f"{what}的"


def is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


class FieldChecker:
    """Typed getters over a parsed TOML table: each returns the value, or None after recording an
    ``InputProblem`` with the file, the line (from ``SourceLines``) and the field."""

    def __init__(self, source_name: str, text: str):
        self.file = source_name
        self.where = SourceLines(text)
        self.problems = ProblemList()
        self.warnings: list[str] = []

    def err(self, path: tuple, message: str) -> None:
        self.problems.append(InputProblem(self.file, self.where.line_of(path), _label(path) or None, message))

    # -- typed getters: return the value, or None after recording a problem ---------------------
    def keys(self, d: dict, allowed: set[str], path: tuple, what: str) -> None:
        for k in d:
            if k not in allowed:
                guess = difflib.get_close_matches(k, sorted(allowed), n=1)
                hint = (
                    f"（是否想写 {guess[0]}？）" if guess else f"（可用字段：{'、'.join(sorted(allowed))}）"
                )
                self.err((*path, k), f"{what}中没有字段“{k}”{hint}")

    def text(
        self,
        d: dict,
        key: str,
        path: tuple,
        what: str,
        *,
        required: bool = True,
        limit: int = 255,
        code: bool = False,
    ) -> str | None:
        v = d.get(key)
        if v is None:
            if required:
                self.err((*path, key), f"{what}缺少 {key}")
            return None
        if not isinstance(v, str):
            self.err((*path, key), f"{of(what)} {key} 应为文字（加引号），而不是 {v!r}")
            return None
        if required and not v.strip():
            self.err((*path, key), f"{of(what)} {key} 不能为空")
            return None
        if code and any(c.isspace() for c in v):
            self.err((*path, key), f"{of(what)} {key}“{v}”不能含空白")
            return None
        if len(v) > limit:
            self.err((*path, key), f"{of(what)} {key} 超过 {limit} 个字符")
            return None
        return v

    def number(
        self,
        d: dict,
        key: str,
        path: tuple,
        what: str,
        *,
        required: bool = False,
        low: float | None = None,
        high: float | None = None,
        low_open: bool = False,
        high_open: bool = False,
        fraction: bool = False,
    ) -> float | None:
        v = d.get(key)
        if v is None:
            if required:
                self.err((*path, key), f"{what}缺少 {key}")
            return None
        if fraction and isinstance(v, str) and (m := _FRACTION.match(v)):
            a, b = (int(x) for x in m.groups())
            if b == 0:
                self.err((*path, key), f"{of(what)} {key}“{v}”分母为 0")
                return None
            v = a / b
            d[key] = v  # normalised in place: the definition stores the number
        if not is_num(v):
            alt = "数字或“2/3”这样的分数" if fraction else "数字"
            self.err((*path, key), f"{of(what)} {key} 应为{alt}，而不是 {v!r}")
            return None
        bad = (low is not None and (v <= low if low_open else v < low)) or (
            high is not None and (v >= high if high_open else v > high)
        )
        if bad:
            conds = []
            if low is not None:
                conds.append(f"{'>' if low_open else '≥'} {low:g}")
            if high is not None:
                conds.append(f"{'<' if high_open else '≤'} {high:g}")
            self.err((*path, key), f"{of(what)} {key} 为 {v:g}，应 {' 且 '.join(conds)}")
            return None
        return float(v)

    def integer(
        self, d: dict, key: str, path: tuple, what: str, *, low: int = 0, high: int | None = None
    ) -> int | None:
        v = d.get(key)
        if v is None:
            return None
        if not isinstance(v, int) or isinstance(v, bool) or v < low or (high is not None and v > high):
            rng = f"{low}–{high}" if high is not None else f"≥ {low}"
            self.err((*path, key), f"{of(what)} {key} 应为整数（{rng}），而不是 {v!r}")
            return None
        return v

    def boolean(self, d: dict, key: str, path: tuple, what: str) -> None:
        v = d.get(key)
        if v is not None and not isinstance(v, bool):
            self.err((*path, key), f"{of(what)} {key} 应为 true 或 false，而不是 {v!r}")

    def str_list(
        self,
        d: dict,
        key: str,
        path: tuple,
        what: str,
        *,
        choices: tuple | list | None = None,
        required: bool = False,
    ) -> list[str]:
        v = d.get(key)
        if v is None:
            if required:
                self.err((*path, key), f"{what}缺少 {key}")
            return []
        if not isinstance(v, list) or not all(isinstance(x, str) and x.strip() for x in v):
            self.err((*path, key), f'{of(what)} {key} 应为文字列表，如 ["甲", "乙"]')
            return []
        if required and not v:
            self.err((*path, key), f"{of(what)} {key} 不能为空")
        dup = sorted({x for x in v if v.count(x) > 1})
        if dup:
            self.err((*path, key), f"{of(what)} {key} 有重复：{'、'.join(dup)}")
        if choices is not None:
            for x in v:
                if x not in choices:
                    self.err((*path, key), f"{of(what)} {key} 中“{x}”不可用（可用：{'、'.join(choices)}）")
        return list(v)

    def tables(
        self, d: dict, key: str, path: tuple, what: str, *, required: bool = False
    ) -> list[tuple[tuple, dict]]:
        v = d.get(key)
        if v is None:
            if required:
                self.err((*path, key), f"{what}缺少 [[{_label((*path, key))}]]")
            return []
        if not isinstance(v, list) or not all(isinstance(x, dict) for x in v):
            self.err((*path, key), f"{key} 应为表的数组（[[{_label((*path, key))}]] 或 {{ … }} 列表）")
            return []
        if required and not v:
            self.err((*path, key), f"{of(what)} {key} 不能为空")
        return [((*path, key, i), x) for i, x in enumerate(v)]

    def table(self, d: dict, key: str, path: tuple) -> dict | None:
        v = d.get(key)
        if v is None:
            return None
        if not isinstance(v, dict):
            self.err((*path, key), f"{key} 应为表（[{_label((*path, key))}]）")
            return None
        return v
