"""Periods of rounds in calendar time: 2026-Q3, 2026-H1, 2026-07, 2026."""

from __future__ import annotations

import calendar
from datetime import date


def period_position(period: str) -> tuple[int, int, int]:
    """(year, last month, 1 for a whole-year round) of a round's period — its place in calendar
    time: 2026-Q3 → (2026, 9, 0), 2026-H1 → (2026, 6, 0), 2026-07 → (2026, 7, 0), 2026 → (2026, 12, 1)."""
    p = period.strip().upper()
    year = int(p[:4])
    rest = p[5:] if len(p) > 4 else ""
    if not rest:
        return year, 12, 1
    if rest.startswith("Q"):
        return year, 3 * int(rest[1:]), 0
    if rest.startswith("H"):
        return year, 6 * int(rest[1:]), 0
    return year, int(rest), 0


def period_index(period: str, unit: str) -> int:
    """Consecutive integers for consecutive calendar years (``year``) or quarters (``quarter``)."""
    year, month, _annual = period_position(period)
    return year if unit == "year" else 4 * year + (month - 1) // 3


def period_span(period: str) -> tuple[date, date]:
    """First and last day of a round's period: 2026-Q3 → 2026-07-01, 2026-09-30; 2026 → the year."""

    year, last, annual = period_position(period)
    p = period.strip().upper()
    months = 12 if annual else 3 if "Q" in p else 6 if "H" in p else 1
    first = last - months + 1
    return date(year, first, 1), date(year, last, calendar.monthrange(year, last)[1])


def cn_date(d: date | str | None, blank: str = "____年__月__日") -> str:
    if d is None or d == "":
        return blank
    if isinstance(d, str):
        try:
            day = date.fromisoformat(d[:10])
        except ValueError:
            return d
    else:
        day = d
    return f"{day.year}年{day.month}月{day.day}日"
