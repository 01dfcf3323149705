"""What a round's computation reads from the rounds area, through Core statements: the department
scores, the approved exemptions (合理缺项) and the units inspected by the spot check. The write
services of those parts (``department_scoring``, ``spotcheck``) keep their own modules; reading
them for the engine, the published-round comparison and ``audit verify`` needs none of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assess.foundation.vocabulary import DrawStatus, ExemptionStatus
from assess.scoring.rows import Rows

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pandas as pd

    from assess.foundation.db import Reader


def approved_exemptions(s: Reader, round_id: int) -> set[tuple[int, str]]:
    """(unit_id, indicator_code) of the round's approved exemptions (合理缺项)."""
    from sqlalchemy import select

    from assess.models import tables as t

    e = t.exemption
    rows: Sequence[Any] = s.execute(
        select(e.c.unit_id, e.c.indicator_code).where(
            e.c.round_id == round_id, e.c.status == ExemptionStatus.APPROVED
        )
    ).all()
    return {(unit_id, code) for unit_id, code in rows}


DEPT_COLUMNS = ["unit_id", "indicator_code", "value"]
EXEMPTION_COLUMNS = ["unit_id", "indicator_code"]


def dept_rows(s: Reader, round_id: int) -> Rows:
    """unit_id, indicator_code, value of the round's department scores (for the engine)."""
    from sqlalchemy import select

    from assess.models import tables as t

    d = t.deptscore
    rows = s.execute(select(d.c.unit_id, d.c.indicator_code, d.c.value).where(d.c.round_id == round_id)).all()
    return Rows(DEPT_COLUMNS, rows)


def exemption_rows(s: Reader, round_id: int) -> Rows:
    """unit_id, indicator_code of the round's approved exemptions (for the engine)."""
    return Rows(EXEMPTION_COLUMNS, sorted(approved_exemptions(s, round_id)))


def dept_frame(s: Reader, round_id: int) -> pd.DataFrame:
    """``dept_rows`` as a frame (for the screens and reports that read one)."""
    import pandas as pd

    return pd.DataFrame(dept_rows(s, round_id).data, columns=DEPT_COLUMNS)


def exemption_frame(s: Reader, round_id: int) -> pd.DataFrame:
    """``exemption_rows`` as a frame."""
    import pandas as pd

    return pd.DataFrame(exemption_rows(s, round_id).data, columns=EXEMPTION_COLUMNS)


def inspected_codes(draw: Any | None) -> list[str]:
    """Units to inspect under a draw (a ``SpotCheckDraw`` or a row with its ``selected`` and
    ``extras``): the lottery's selection in order, then the 重点 units."""
    if draw is None:
        return []
    return [d["code"] for d in draw.selected] + [d["code"] for d in (draw.extras or {}).get("focus", [])]


def inspected_unit_ids(s: Reader, round_id: int) -> list[int]:
    """Ids of the units inspected in the round (drawn by lottery or added as 重点): the units whose
    verified scores replace their self-check scores. Read through Core statements."""
    from sqlalchemy import select

    from assess.models import tables as t

    d = t.spotcheckdraw
    draw = s.execute(
        select(d.c.selected, d.c.extras).where(
            d.c.round_id == round_id, d.c.purpose == "units", d.c.status == DrawStatus.ACTIVE
        )
    ).first()
    codes = inspected_codes(draw)
    if not codes:
        return []
    return sorted(s.execute(select(t.unit.c.id).where(t.unit.c.code.in_(codes))).scalars().all())
