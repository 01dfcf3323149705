"""Publicly verifiable random selection, exactly as RFC 3797 (section 4 and the reference code in
section 7) describes it. Pure functions: no database, no clock, no randomness of our own.

The key string is built from public random sources announced before the draw: each source's
numbers are sorted ascending and each number is followed by ``.``; each source is followed by
``/``. Selection ``i`` (counting from 0) takes MD5 over the two-byte big-endian ``i``, the key
string and the two-byte ``i`` again, reads the digest as a 128-bit unsigned integer, divides it by
the number of members still in the pool and takes the member at that remainder (counting from 0
among the remaining members in pool order); that member leaves the pool.

RFC 3797 section 6 example: sources ``9319``, ``2 5 12 8 10`` and ``9 18 26 34 41 45`` give the key
string ``9319./2.5.8.10.12./9.18.26.34.41.45./`` and, from a pool of 25, select 17, 7, 2, 16, 25,
23, 8, 24, 19, 13 (``tests/test_rounds_rfc3797.py`` reproduces it digest by digest).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assess.foundation.errors import AssessError

MAX_POOL = 65535  # the index is two bytes
_SPLIT = re.compile(r"[\s,，、]+")


@dataclass(frozen=True)
class Step:
    """One selection: ``index`` is 1-based (as the RFC prints it), ``remaining`` the pool size it
    divided by, ``position`` the chosen member's 1-based place in the original pool."""

    index: int
    digest: str  # upper-case hex, as in the RFC's table
    remaining: int
    position: int
    item: Any


def source_numbers(text: str) -> list[int]:
    """The non-negative integers of one source (separated by spaces or commas)."""
    parts = [p for p in _SPLIT.split(text.strip()) if p]
    if not parts:
        raise AssessError("随机来源不能为空：每个来源应是公开的一组整数，例如某期彩票开奖号码。")
    numbers = []
    for p in parts:
        if not p.isascii() or not p.isdigit():
            raise AssessError(
                f"随机来源“{text.strip()}”中的“{p}”不是非负整数：来源只能由整数组成（如开奖号码），"
                "小数请去掉小数点后按整数填写。"
            )
        numbers.append(int(p))
    return numbers


def canonical_source(text: str) -> str:
    """One source in key-string form: numbers sorted ascending, leading zeros dropped, each
    followed by ``.``, the whole followed by ``/``."""
    return "".join(f"{n}." for n in sorted(source_numbers(text))) + "/"


def key_string(sources: Sequence[str]) -> str:
    if not sources:
        raise AssessError("至少需要一个公开的随机来源。")
    return "".join(canonical_source(s) for s in sources)


def digest(index: int, key: str) -> bytes:
    """MD5 over the two-byte big-endian ``index`` (0-based), the key and the index again."""
    if not 0 <= index <= 0xFFFF:
        raise AssessError("抽取序号超出两字节范围。")
    prefix = index.to_bytes(2, "big")
    return hashlib.md5(prefix + key.encode("ascii") + prefix, usedforsecurity=False).digest()


def select(pool: Sequence[Any], count: int, key: str, *, start_index: int = 0) -> list[Step]:
    """Draw ``count`` members of ``pool`` (in the published order) with the key string.

    ``start_index`` continues the digest sequence of an earlier draw on the same key (used when a
    draw is made in parts, e.g. a minimum per category first, then the rest), so no digest is
    ever used twice."""
    if len(pool) > MAX_POOL:
        raise AssessError(f"抽取名单过大（{len(pool)}，上限 {MAX_POOL}）。")
    if count < 0 or count > len(pool):
        raise AssessError(f"抽取数量 {count} 无效：名单共 {len(pool)} 个。")
    remaining = list(range(len(pool)))
    steps: list[Step] = []
    for i in range(count):
        d = digest(start_index + i, key)
        k = int.from_bytes(d, "big") % len(remaining)
        pos = remaining.pop(k)
        steps.append(Step(start_index + i + 1, d.hex().upper(), len(remaining) + 1, pos + 1, pool[pos]))
    return steps


def weighted_select(pool: Sequence[Any], weights: Sequence[int], count: int, key: str, *,
                    start_index: int = 0) -> list[Step]:
    """Draw ``count`` distinct members where member ``j`` has weight ``weights[j]`` (an integer ≥ 1):
    each member occupies ``weight`` consecutive slots of the published pool order (slots numbered
    from 1), selection ``i`` takes the slot at digest mod (slots remaining), exactly as ``select``
    does for a member, and the chosen member's slots all leave the pool. With every weight 1 this is
    ``select``. ``Step.position`` is the chosen slot's 1-based number in the full slot list."""
    if len(weights) != len(pool) or any(int(w) != w or w < 1 for w in weights):
        raise AssessError("抽取权重须为每个成员一个不小于 1 的整数。")
    slots = [j for j, w in enumerate(weights) for _ in range(int(w))]
    if len(slots) > MAX_POOL:
        raise AssessError(f"抽取名单过大（{len(slots)} 个位置，上限 {MAX_POOL}）。")
    if count < 0 or count > len(pool):
        raise AssessError(f"抽取数量 {count} 无效：名单共 {len(pool)} 个。")
    remaining = list(range(len(slots)))  # slot numbers still in the pool, in order
    steps: list[Step] = []
    for i in range(count):
        d = digest(start_index + i, key)
        k = int.from_bytes(d, "big") % len(remaining)
        slot = remaining[k]
        member = slots[slot]
        size = len(remaining)
        remaining = [x for x in remaining if slots[x] != member]
        steps.append(Step(start_index + i + 1, d.hex().upper(), size, slot + 1, pool[member]))
    return steps


def entropy_bits(count: int, pool_size: int) -> float:
    """Bits of entropy the sources need for this draw: log2(P! / (N! (P − N)!)) (RFC 3797 §3.3)."""
    if count < 1 or count >= pool_size:
        return 0.0
    return (
        math.lgamma(pool_size + 1) - math.lgamma(count + 1) - math.lgamma(pool_size - count + 1)
    ) / math.log(2)


def source_entropy_bits(sources: Sequence[str]) -> float:
    """A rough upper bound of the entropy in the sources: log2(10) per decimal digit."""
    digits = sum(len(str(n)) for s in sources for n in source_numbers(s))
    return digits * math.log2(10)
