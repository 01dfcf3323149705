"""Column widths from content, for every printed table (the PDF report, the DOCX documents and
the ballots): a column that must stay on one line (unit names up to 12 characters, grades,
numbers) gets the width of its longest cell; the other columns share what is left in proportion to
their text and wrap (docs/documents.md).

Widths are in ems of the table's font: a CJK character is one em, a Latin letter or digit about
0.65 em.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence, Set

PADDING_EM = 1.8  # cell padding left + right, with room for wider Latin faces
MIN_WRAP_EM = 4.0  # a wrapping column is never narrower than this (or its text, if shorter)
NAME_LIMIT = 12  # names up to this many characters stay on one line at A4 portrait


def text_em(text: object) -> float:
    """Width of a text in ems: full-width characters 1, others 0.65."""
    total = 0.0
    for ch in "" if text is None else str(text):
        total += 1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.65
    return total


def header_em(text: str) -> float:
    """A header may wrap into two lines when long (名次区间 → 名次/区间)."""
    w = text_em(text)
    return w if w <= 4 else math.ceil(w / 2)


def column_widths(
    headers: Sequence[str], rows: Sequence[Sequence[object]], total_em: float, nowrap: Set[int] = frozenset()
) -> list[float]:
    """Widths in ems summing to ``total_em`` (or more when the one-line columns alone need more)."""
    n = len(headers)
    natural = []
    for i in range(n):
        cells = [text_em(r[i]) for r in rows if i < len(r)]
        widest = max(cells, default=0.0)
        natural.append(max(widest, header_em(headers[i])) + PADDING_EM)
    # A one-line column is held to one line up to NAME_LIMIT characters; longer text wraps.
    fixed = {i for i in range(n) if i in nowrap and natural[i] <= NAME_LIMIT + PADDING_EM + 1e-9}
    if sum(natural) <= total_em:
        spare = total_em - sum(natural)
        wrap = [i for i in range(n) if i not in fixed] or list(range(n))
        share = sum(natural[i] for i in wrap) or 1.0
        return [w + (spare * natural[i] / share if i in wrap else 0.0) for i, w in enumerate(natural)]
    left = total_em - sum(natural[i] for i in fixed)
    wrap = [i for i in range(n) if i not in fixed]
    floor = {i: min(natural[i], MIN_WRAP_EM + PADDING_EM) for i in wrap}
    widths = list(natural)
    if wrap:
        share = sum(natural[i] for i in wrap) or 1.0
        for i in wrap:
            widths[i] = max(floor[i], left * natural[i] / share)
        over = sum(widths) - total_em
        if over > 1e-9:  # floors pushed us over: take it back from the columns above their floor
            room = sum(widths[i] - floor[i] for i in wrap)
            if room > 0:
                for i in wrap:
                    widths[i] -= over * (widths[i] - floor[i]) / room
    return widths
