"""A small table of rows for the engine's inputs: column names and row tuples, with no pandas.

A round's inputs are a few thousand rows read straight from SQL or from a snapshot's JSON; the
engine turns them into numpy matrices itself. Holding them as plain rows lets a command that
only recomputes (``assess audit verify``) run without loading pandas. Code that wants a data frame
for people (reports, screens) builds one from ``records()`` or ``column()``; ``from_frame`` goes the other way.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any


class Rows:
    """Rows with named columns. Rows are tuples in the column order; the table is not changed in
    place (every method that selects returns a new ``Rows``)."""

    __slots__ = ("columns", "data")

    def __init__(self, columns: Sequence[str], data: Iterable[Sequence[Any]] = ()) -> None:
        self.columns: tuple[str, ...] = tuple(columns)
        self.data: list[tuple[Any, ...]] = list(map(tuple, data))
        width = len(self.columns)
        if any(map(width.__ne__, map(len, self.data))):
            i, row = next((i, r) for i, r in enumerate(self.data) if len(r) != width)
            raise ValueError(f"第 {i + 1} 行有 {len(row)} 列，表头有 {width} 列：{self.columns}")

    @classmethod
    def from_frame(cls, frame: Any, columns: Sequence[str] | None = None) -> Rows:
        """A data frame's columns (all, or ``columns`` in this order) as rows of plain Python values:
        numpy scalars are unwrapped (``.item()``), a missing float stays NaN."""
        names = list(frame.columns) if columns is None else list(columns)
        return cls(
            names,
            (
                tuple(v.item() if hasattr(v, "item") else v for v in r)
                for r in frame[names].itertuples(index=False, name=None)
            ),
        )

    def __len__(self) -> int:
        return len(self.data)

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self.data)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Rows) and self.columns == other.columns and self.data == other.data

    def __repr__(self) -> str:
        return f"Rows({list(self.columns)!r}, {len(self.data)} 行)"

    def index(self, name: str) -> int:
        """The position of column ``name`` (KeyError naming the columns there are)."""
        try:
            return self.columns.index(name)
        except ValueError:
            raise KeyError(f"没有列 {name!r}，只有 {list(self.columns)}") from None

    def column(self, name: str) -> list[Any]:
        i = self.index(name)
        return [r[i] for r in self.data]

    def select(self, *names: str) -> Rows:
        """These columns only, in this order."""
        idx = [self.index(n) for n in names]
        return Rows(names, (tuple(r[i] for i in idx) for r in self.data))

    def records(self) -> list[dict[str, Any]]:
        """The rows as dicts (column → value), e.g. to build a data frame for people."""
        cols = self.columns
        return [dict(zip(cols, r, strict=True)) for r in self.data]
