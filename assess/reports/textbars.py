"""Charts as text for terminals that cannot show images (most SSH sessions): horizontal bars drawn
with block characters, aligned for Chinese names (double-width characters).

Pure functions over plain data; the export screen and the rankings screen both use them.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

EIGHTHS = " ▏▎▍▌▋▊▉"
FULL = "█"


@dataclass(frozen=True)
class BarRow:
    label: str
    value: float | None
    rank: int | None = None
    note: str = ""  # e.g. the grade, shown after the value


def text_width(s: str) -> int:
    """Terminal cells taken by ``s`` (wide and full-width characters take two)."""
    return sum(
        2 if unicodedata.east_asian_width(ch) in "WF" else (0 if unicodedata.combining(ch) else 1) for ch in s
    )


def fit(s: str, width: int) -> str:
    """``s`` cut or padded to exactly ``width`` cells; a cut is marked with …."""
    if width <= 0:
        return ""
    if text_width(s) <= width:
        return s + " " * (width - text_width(s))
    out, used = [], 0
    for ch in s:
        w = text_width(ch)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…" + " " * (width - used - 1)


def bar(value: float, lo: float, hi: float, width: int) -> str:
    """A bar of ``width`` cells at most, in eighths of a cell, for ``value`` on the scale lo..hi."""
    if width <= 0 or hi <= lo or value is None or math.isnan(value):
        return ""
    share = min(1.0, max(0.0, (value - lo) / (hi - lo)))
    eighths = round(share * width * 8)
    full, part = divmod(eighths, 8)
    return FULL * full + (EIGHTHS[part] if part else "")


def nice_scale(values: Iterable[float | None]) -> tuple[float, float]:
    """A scale that shows differences: from a round number below the smallest value (never below
    0 for non-negative data) to 100 when every value is at most 100, else to a round number above
    the largest."""
    vals = [v for v in values if v is not None and not math.isnan(v)]
    if not vals:
        return 0.0, 100.0
    low, high = min(vals), max(vals)
    lo: float = math.floor((low - 5) / 10) * 10
    if low >= 0:
        lo = max(0.0, lo)
    hi = 100.0 if 0 <= high <= 100 else math.ceil(high / 10) * 10
    if hi <= lo:
        hi = lo + 10
    return float(lo), float(hi)


def bar_lines(
    rows: Sequence[BarRow],
    width: int = 78,
    *,
    lo: float | None = None,
    hi: float | None = None,
    label_width: int | None = None,
    decimals: int = 2,
) -> list[str]:
    """One line per row: rank, label, bar, value and note, each line at most ``width`` cells, plus a
    scale line first. Rows are drawn in the order given."""
    if not rows:
        return []
    auto_lo, auto_hi = nice_scale(r.value for r in rows)
    lo = auto_lo if lo is None else lo
    hi = auto_hi if hi is None else hi
    rank_w = max((len(str(r.rank)) for r in rows if r.rank is not None), default=0)
    rank_w = rank_w + 1 if rank_w else 0
    if label_width is None:
        label_width = min(max(text_width(r.label) for r in rows), max(8, width // 4))
    value_texts = [
        ("—" if r.value is None or math.isnan(r.value) else f"{r.value:.{decimals}f}") for r in rows
    ]
    value_w = max(len(v) for v in value_texts)
    note_w = max(text_width(r.note) for r in rows)
    fixed = rank_w + label_width + 1 + 1 + value_w + (1 + note_w if note_w else 0)
    bar_w = max(4, width - fixed)
    lines = [fit("", rank_w + label_width + 1) + _scale_line(lo, hi, bar_w)]
    for r, vt in zip(rows, value_texts, strict=True):
        rank = f"{r.rank:>{rank_w - 1}} " if rank_w and r.rank is not None else " " * rank_w
        b = bar(r.value, lo, hi, bar_w) if r.value is not None else ""
        line = f"{rank}{fit(r.label, label_width)} {b}{' ' * (bar_w - text_width(b))} {vt:>{value_w}}"
        if note_w:
            line += " " + r.note
        lines.append(line.rstrip())
    return lines


def _scale_line(lo: float, hi: float, width: int) -> str:
    left, right = f"{lo:g}", f"{hi:g}"
    if width < len(left) + len(right) + 2:
        return ""
    return left + "─" * (width - len(left) - len(right)) + right


def ranking_text(results: Sequence[dict], width: int = 78, *, categories: Sequence[str] | None = None) -> str:
    """The ranking of a round per category as text bars. ``results`` are dicts with ``category``,
    ``rank``, ``unit_name``, ``composite`` and ``grade`` (e.g. rows of ``UnitResult`` joined with the
    unit's name). One scale for the whole round so categories compare at a glance."""
    if not results:
        return "（暂无计算结果）"
    order = list(categories or [])
    for r in results:
        if r["category"] not in order:
            order.append(r["category"])
    lo, hi = nice_scale(r.get("composite") for r in results)
    label_width = min(max(text_width(str(r.get("unit_name", ""))) for r in results), max(8, width // 4))
    out: list[str] = []
    for cat in order:
        rows = sorted(
            (r for r in results if r["category"] == cat),
            key=lambda r: (r["rank"] is None, r["rank"] or 0, r.get("unit_name", "")),
        )
        if not rows:
            continue
        out.append(f"【{cat}】共 {len(rows)} 个单位")
        bars = [
            BarRow(str(r.get("unit_name", "")), r.get("composite"), r.get("rank"), str(r.get("grade") or ""))
            for r in rows
        ]
        out.extend(bar_lines(bars, width, lo=lo, hi=hi, label_width=label_width))
        out.append("")
    return "\n".join(out).rstrip("\n")
