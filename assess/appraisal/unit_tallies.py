"""民主评议 tallies for the report: counts of certified batches per unit, voter group and option,
and option shares rounded so that a unit's shares sum to exactly 100.00 (largest remainder)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assess.appraisal.records import target_cells
from assess.appraisal.tally import disclosure
from assess.foundation.vocabulary import SessionStatus

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np
    import pandas as pd
    from numpy.typing import ArrayLike, NDArray

    from assess.foundation.db import Reader
    from assess.schemes.definition import SchemeDef


TALLY_COLUMNS = [
    "session_id",
    "session_name",
    "form_code",
    "voter_group",
    "voter_group_name",
    "unit_id",
    "unit_code",
    "unit_name",
    "option_index",
    "option",
    "count",
]


def tally_rows(
    s: Reader, round_id: int, scheme: SchemeDef
) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """Counts of certified batches per unit-appraisal session × voter group × target unit × option:
    one dict per cell (keys ``TALLY_COLUMNS``), ordered by session, unit code, voter group and
    option; and the option labels of each form. A Core reader (no pandas, no table classes)."""
    from sqlalchemy import select

    from assess.models import tables as t

    sess, unit, svg = t.appraisalsession, t.unit, t.sessionvotergroup
    sessions: Sequence[Any] = s.execute(
        select(sess.c.id, sess.c.name, sess.c.form_code).where(
            sess.c.round_id == round_id,
            sess.c.kind == "unit",
            sess.c.status
            == SessionStatus.CERTIFIED,  # published once final (assess.appraisal.tally.disclosure)
        )
    ).all()
    about: dict[int, tuple[str, str]] = {sid: (name, form) for sid, name, form in sessions}
    cells = target_cells(s, list(about), "unit_id")
    units = (
        {
            uid: (code, name)
            for uid, code, name in s.execute(
                select(unit.c.id, unit.c.code, unit.c.name).where(unit.c.id.in_({c[2] for c in cells}))
            ).all()
        }
        if cells
        else {}
    )
    options: dict[str, list[str]] = {f.code: [o.label for o in f.options] for f in scheme.forms}
    kept = [cell for cell in cells if cell[2] in units]
    if not kept:
        return [], options
    group_names = {g.code: g.name for f in scheme.forms for g in f.voter_groups}
    group_names.update(
        dict(
            s.execute(
                select(svg.c.code, svg.c.name)
                .join(sess, sess.c.id == svg.c.session_id)
                .where(sess.c.round_id == round_id)
            ).all()
        )
    )

    def label(form_code: str, index: int) -> str:
        labels = options.get(form_code, [])
        return labels[index - 1] if 0 < index <= len(labels) else f"选项{index}"

    rows = []
    for sid, group, uid, choice, count in kept:
        name, form = about[sid]
        code, unit_name = units[uid]
        rows.append(
            {
                "session_id": sid,
                "session_name": name,
                "form_code": form,
                "voter_group": group,
                "voter_group_name": group_names.get(group, group),
                "unit_id": uid,
                "unit_code": code,
                "unit_name": unit_name,
                "option_index": choice,
                "option": label(form, choice),
                "count": int(count),
            }
        )
    rows.sort(key=lambda r: (r["session_id"], r["unit_code"], r["voter_group"], r["option_index"]))
    return rows, options


def unit_tallies(s: Reader, round_id: int, scheme: SchemeDef) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """``tally_rows`` as a data frame (columns ``TALLY_COLUMNS``, ``count`` as int64)."""
    import pandas as pd

    rows, options = tally_rows(s, round_id, scheme)
    if not rows:
        return pd.DataFrame(columns=TALLY_COLUMNS), options
    df = pd.DataFrame.from_records(rows, columns=TALLY_COLUMNS)
    df["count"] = df["count"].astype(int)
    return df, options


def largest_remainder_shares(counts: ArrayLike, decimals: int = 2) -> NDArray[np.float64]:
    """Row-wise percentages of a 2-D array of counts that sum to exactly 100 at ``decimals``
    (largest remainder; ties go to the earlier column). Rows with no counts give zeros."""
    import numpy as np

    c = np.asarray(counts, dtype=float)
    if c.ndim != 2 or c.size == 0:
        return np.zeros_like(c)
    unit = 10**decimals
    total = 100 * unit
    sums = c.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        quotas = np.where(sums > 0, c * total / sums, 0.0)
    base = np.floor(quotas + 1e-9)
    remainders = quotas - base
    short = np.where(sums[:, 0] > 0, total - base.sum(axis=1), 0).astype(int)
    order = np.argsort(-remainders, axis=1, kind="stable")
    ranks = np.empty_like(order)
    rows = np.arange(c.shape[0])[:, None]
    ranks[rows, order] = np.arange(c.shape[1])[None, :]
    base += ranks < short[:, None]
    return base / unit


def option_shares(
    tallies: pd.DataFrame, options: list[str], *, min_counted: int = 0, counted: set[str] | None = None
) -> pd.DataFrame:
    """Per unit: the count of each option over every voter group and the share in percent (all
    marks, 不了解 included), the shares of a unit summing to exactly 100.00. A unit is left out
    when, in any of its sessions, its pooled counts may not be published (``assess.appraisal.tally.disclosure``
    with ``min_counted`` as the threshold; ``counted`` options, all when None): too few in all, or
    a voter group with marks under the threshold (beside the published score they would narrow
    that group's votes)."""
    import pandas as pd

    empty = pd.DataFrame(columns=["unit_code", "unit_name", "option", "count", "share"])
    if tallies.empty:
        return empty
    marks = tallies.assign(
        counted=tallies["count"].where(tallies["option"].isin(counted), 0)
        if counted is not None
        else tallies["count"]
    )
    withheld: set[str] = set()
    for _sid, part in marks.groupby("session_id", sort=False):
        cells = part.pivot_table(
            index="unit_code", columns="voter_group", values=["counted", "count"], aggfunc="sum", fill_value=0
        )
        rule = disclosure(cells["counted"].to_numpy(), cells["count"].to_numpy(), min_counted)
        withheld.update(cells.index[~rule.detail_shown])
    pivot = tallies.pivot_table(
        index=["unit_code", "unit_name"], columns="option", values="count", aggfunc="sum", fill_value=0
    )
    keep = ~pivot.index.get_level_values("unit_code").isin(sorted(withheld))
    pivot = pivot[keep & (pivot.sum(axis=1) > 0)]
    if pivot.empty:
        return empty
    cols = [o for o in options if o in pivot.columns] + [o for o in pivot.columns if o not in options]
    pivot = pivot[cols]
    shares = largest_remainder_shares(pivot.to_numpy())
    index = pivot.index.to_frame(index=False)
    n_units, n_opts = shares.shape
    long = pd.DataFrame(
        {
            "unit_code": index["unit_code"].repeat(n_opts).to_numpy(),
            "unit_name": index["unit_name"].repeat(n_opts).to_numpy(),
            "option": pd.Categorical(list(cols) * n_units, categories=cols, ordered=True),
            "count": pivot.to_numpy().reshape(-1).astype(int),
            "share": shares.reshape(-1),
        }
    )
    return long.sort_values(["unit_code", "option"]).reset_index(drop=True)
