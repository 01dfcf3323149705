"""A round's scoring inputs as plain JSON (for the publication snapshot) and back, so that a
published round's results can be recomputed from what was frozen."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assess.schemes.definition import from_dict
from assess.scoring.annual import AnnualInputs
from assess.scoring.cadres import CadreSession
from assess.scoring.engine import AppraisalCells, RoundInputs
from assess.scoring.rows import Rows

if TYPE_CHECKING:
    from assess.scoring.engine import RoundInputs


def _records(rows: Rows | None, columns: list[str]) -> list[list[Any]]:
    if rows is None or not len(rows):
        return []
    out = []
    for row in rows.select(*columns):
        vals = []
        for v in row:
            if hasattr(v, "item"):
                v = v.item()
            if isinstance(v, float) and v != v:
                v = None
            vals.append(v)
        out.append(vals)
    out.sort(key=lambda r: tuple("" if x is None else str(x) for x in r))
    return out


def _frame(rows: list[list[Any]], columns: list[str]) -> Rows:
    """A snapshot's rows (JSON numbers: a float column written as 1.0 comes back as 1.0) as ``Rows``."""
    return Rows(columns, rows)


FRAMES = {
    "units": ["unit_id", "code", "name", "category"],
    "selfcheck": ["unit_id", "indicator_code", "value"],
    "spotcheck": ["unit_id", "indicator_code", "value"],
    "appraisal": ["unit_id", "score", "satisfaction", "missing_groups"],
    "adjustments": ["unit_id", "points"],
    "discipline": ["unit_id", "kind"],
    "cadre_discipline": ["cadre_id", "kind"],
}
# Written only when the round has any (a round without them keeps the snapshot it always had).
OPTIONAL_FRAMES = {
    "deptscores": ["unit_id", "indicator_code", "value"],  # 职能部门评分
    "exemptions": ["unit_id", "indicator_code"],  # approved 合理缺项
}


ANNUAL_QUARTERS = ["unit_id", "quarter", "composite"]


def inputs_to_json(inputs: RoundInputs) -> dict[str, Any]:
    out: dict[str, Any] = {"scheme": inputs.scheme.to_dict(), "drawn": sorted(int(x) for x in inputs.drawn)}
    for name, cols in FRAMES.items():
        out[name] = _records(getattr(inputs, name), cols)
    out["units"] = sorted(out["units"], key=lambda r: str(r[1]))
    for name, cols in OPTIONAL_FRAMES.items():
        rows = _records(getattr(inputs, name), cols)
        if rows:
            out[name] = rows
    if inputs.cells is not None:
        c = inputs.cells
        out["cells"] = {
            "counts": _records(c.frame, ["voter_group", "unit_id", "choice", "count"]),
            "points": list(c.points),
            "satisfied": list(c.satisfied),
            "weights": dict(sorted(c.weights.items())),
        }
    out["cadre_sessions"] = [
        {
            "session_id": cs.session_id,
            "name": cs.name,
            "form": cs.form.code,
            "weights": dict(sorted(cs.weights.items())),
            "cadre_ids": list(cs.cadre_ids),
            "counts": _records(cs.cells, ["voter_group", "cadre_id", "choice", "count"]),
        }
        for cs in inputs.cadre_sessions
    ]
    out["warnings"] = list(inputs.warnings)
    if (
        inputs.annual is not None
    ):  # an annual round (assess.results.annual): the quarterly composites it combines
        a = inputs.annual
        out["annual"] = {
            "year": int(a.year),
            "sources": [dict(sorted(src.items())) for src in a.sources],
            "quarters": _records(a.quarters, ANNUAL_QUARTERS),
            "warnings": list(a.warnings),
        }
    return out


def inputs_from_json(data: dict[str, Any]) -> RoundInputs:
    scheme = from_dict(data["scheme"])
    frames = {name: _frame(data.get(name, []), cols) for name, cols in FRAMES.items()}
    cells = None
    if data.get("cells"):
        c = data["cells"]
        cells = AppraisalCells(
            _frame(c["counts"], ["voter_group", "unit_id", "choice", "count"]),
            c["points"],
            c["satisfied"],
            c["weights"],
        )
    sessions = [
        CadreSession(
            cs["session_id"],
            cs["name"],
            scheme.form(cs["form"]),
            cs["weights"],
            cs["cadre_ids"],
            _frame(cs["counts"], ["voter_group", "cadre_id", "choice", "count"]),
        )
        for cs in data.get("cadre_sessions", [])
    ]
    annual = None
    if data.get("annual"):
        a = data["annual"]
        annual = AnnualInputs(
            int(a["year"]),
            list(a.get("sources", [])),
            _frame(a.get("quarters", []), ANNUAL_QUARTERS),
            list(a.get("warnings", [])),
        )
    return RoundInputs(
        scheme=scheme,
        units=frames["units"],
        selfcheck=frames["selfcheck"],
        spotcheck=frames["spotcheck"],
        drawn=list(data.get("drawn", [])),
        appraisal=frames["appraisal"],
        adjustments=frames["adjustments"],
        discipline=frames["discipline"],
        cells=cells,
        warnings=list(data.get("warnings", [])),
        cadre_sessions=sessions,
        cadre_discipline=frames["cadre_discipline"],
        annual=annual,
        deptscores=_frame(data.get("deptscores", []), OPTIONAL_FRAMES["deptscores"]),
        exemptions=_frame(data.get("exemptions", []), OPTIONAL_FRAMES["exemptions"]),
    )
