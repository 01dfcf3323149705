"""Plotly figures of a round, built by pure functions from pandas DataFrames (the frames of
``assess.reports.data``) with Chinese titles and labels in a CJK font.

User text (unit names, rule texts) goes through ``label`` so that plotly's pseudo-HTML never
interprets it. Every function returns a ``plotly.graph_objects.Figure`` and touches no database.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from assess.foundation.vocabulary import ACCOUNTABILITY_STATUS_LABELS, AccountabilityStatus, Method
from assess.reports.textbars import nice_scale

if TYPE_CHECKING:
    import pandas as pd
    from plotly.graph_objects import Figure

FONT_FAMILY = (
    "WenQuanYi Micro Hei, Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, Microsoft YaHei, sans-serif"
)
WIDTH = 900

GRADE_COLORS = {
    "优秀": "#2e7d32",
    "良好": "#1565c0",
    "一般": "#ef6c00",
    "较差": "#c62828",
    "称职": "#1565c0",
    "基本称职": "#ef6c00",
    "不称职": "#c62828",
    "合格": "#1565c0",
    "基本合格": "#ef6c00",
    "不合格": "#c62828",
}
OPTION_COLORS = {
    "满意": "#2e7d32",
    "基本满意": "#9ccc65",
    "不满意": "#c62828",
    "不了解": "#9e9e9e",
    "优秀": "#2e7d32",
    "称职": "#1565c0",
    "基本称职": "#ef6c00",
    "不称职": "#c62828",
    "合格": "#1565c0",
    "基本合格": "#ef6c00",
    "不合格": "#c62828",
}
STATUS_COLORS = {
    ACCOUNTABILITY_STATUS_LABELS[AccountabilityStatus.PROPOSED]: "#ef6c00",
    ACCOUNTABILITY_STATUS_LABELS[AccountabilityStatus.CONFIRMED]: "#c62828",
    ACCOUNTABILITY_STATUS_LABELS[AccountabilityStatus.WAIVED]: "#9e9e9e",
}
PALETTE = ("#5e35b1", "#00838f", "#6d4c41", "#ad1457", "#558b2f", "#283593", "#f9a825", "#4e342e")


def label(text: object) -> str:
    """User text made literal for plotly (which reads a few HTML tags and entities in labels)."""
    return "" if text is None else str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def wrap(text: object, width: int = 8, lines: int = 3) -> str:
    """User text made literal and broken into lines of ``width`` characters (at most ``lines``
    lines, the last one cut with …) for axis labels that would otherwise overlap."""
    raw = "" if text is None else str(text)
    parts = [raw[i : i + width] for i in range(0, len(raw), width)] or [""]
    if len(parts) > lines:
        parts = parts[:lines]
        parts[-1] = parts[-1][:-1] + "…"
    return "<br>".join(label(p) for p in parts)


def _color(mapping: dict[str, str], key: str, i: int) -> str:
    return mapping.get(key) or PALETTE[i % len(PALETTE)]


def _layout(fig: Figure, title: str, height: int, **kw) -> Figure:
    layout = {
        "title": {"text": label(title), "x": 0.02, "xanchor": "left", "font": {"size": 18}},
        "font": {"family": FONT_FAMILY, "size": 12, "color": "#212121"},
        "width": WIDTH,
        "height": height,
        # No named template: validating one costs about 30 ms per figure; the look is set here.
        "template": "none",
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "hoverlabel": {"font": {"family": FONT_FAMILY}},
        "margin": {"l": 20, "r": 20, "t": 70, "b": 40},
        "legend": {"orientation": "h", "y": -0.08, "x": 0},
    }
    layout.update(kw)
    fig.update_layout(**layout)
    axes = {
        "automargin": True,
        "gridcolor": "#e6e6e6",
        "zerolinecolor": "#bdbdbd",
        "linecolor": "#bdbdbd",
        "ticks": "",
    }
    fig.update_yaxes(**axes)
    fig.update_xaxes(**axes)
    return fig


def _unique_labels(names: list[str], codes: list[str]) -> list[str]:
    """Axis labels: the name, with the code added where two units share a name (a categorical axis
    would otherwise merge them)."""
    seen: dict[str, int] = {}
    for n in names:
        seen[n] = seen.get(n, 0) + 1
    return [label(n if seen[n] == 1 else f"{n}（{c}）") for n, c in zip(names, codes, strict=True)]


def _scale(values) -> tuple[float, float]:
    return nice_scale(
        float(v) for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))
    )


def ranking_figure(
    results: pd.DataFrame,
    category: str,
    *,
    grades: list[str] | None = None,
    precision: int = 2,
    composite_label: str = "综合得分",
) -> Figure:
    """Ranking of one category: composite bars coloured by grade (rank 1 at the top) and, where the
    results carry rank intervals (rank_low..rank_high), the rank with its interval beside them.

    ``results``: unit_code, unit_name, category, composite, rank, grade[, rank_low, rank_high]."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    df = results[results["category"] == category].sort_values(["rank", "unit_code"])
    ylabels = _unique_labels(df["unit_name"].astype(str).tolist(), df["unit_code"].astype(str).tolist())
    df = df.assign(_y=ylabels)
    has_interval = {"rank_low", "rank_high"} <= set(df.columns) and df["rank_low"].notna().any()
    if has_interval:
        fig = make_subplots(
            rows=1,
            cols=2,
            shared_yaxes=True,
            column_widths=[0.72, 0.28],
            horizontal_spacing=0.03,
            subplot_titles=(label(composite_label), "名次及区间"),
        )
    else:
        fig = go.Figure()
    first = {"row": 1, "col": 1} if has_interval else {}
    order = list(grades or [])
    order += [g for g in df["grade"].astype(str).unique() if g not in order]
    for i, grade in enumerate(order):
        part = df[df["grade"].astype(str) == grade]
        if part.empty:
            continue
        fig.add_trace(
            go.Bar(
                x=part["composite"],
                y=part["_y"],
                orientation="h",
                name=label(grade),
                marker_color=_color(GRADE_COLORS, grade, i),
                text=[f"{v:.{precision}f}" for v in part["composite"]],
                textposition="outside",
                cliponaxis=False,
                customdata=part[["rank"]].to_numpy(),
                hovertemplate="%{y}<br>" + label(composite_label) + " %{x:."
                + str(precision)
                + "f}<br>名次 %{customdata[0]}<extra>"
                + label(grade)
                + "</extra>",
            ),
            **first,
        )
    lo, hi = _scale(df["composite"])
    fig.update_xaxes(range=[lo, hi + (hi - lo) * 0.08], **first)
    if has_interval:
        low = df["rank_low"].astype("Float64").fillna(df["rank"]).astype(float)
        high = df["rank_high"].astype("Float64").fillna(df["rank"]).astype(float)
        fig.add_trace(
            go.Scatter(
                x=df["rank"],
                y=df["_y"],
                mode="markers",
                name="名次",
                showlegend=False,
                marker={"color": "#424242", "size": 7},
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": (high - df["rank"]).to_numpy(),
                    "arrayminus": (df["rank"] - low).to_numpy(),
                    "color": "#757575",
                    "thickness": 1.5,
                    "width": 4,
                },
                customdata=list(zip(low.astype(int), high.astype(int), strict=True)),
                hovertemplate="%{y}<br>名次 %{x}（区间 %{customdata[0]}–%{customdata[1]}）<extra></extra>",
            ),
            row=1,
            col=2,
        )
        fig.update_xaxes(range=[0.5, len(df) + 0.5], dtick=max(1, math.ceil(len(df) / 10)), row=1, col=2)
    fig.update_yaxes(categoryorder="array", categoryarray=ylabels, autorange="reversed")
    return _layout(
        fig, f"{category} {composite_label}排名（共 {len(df)} 个单位）", max(360, 130 + 24 * len(df)), bargap=0.25
    )


TREND_ALL_UNITS = 8  # up to this many units every unit gets its own coloured line
TREND_HIGHLIGHT = 3  # otherwise the first and last this many of the latest round are coloured


def trend_figure(history: pd.DataFrame, category: str, *, precision: int = 2) -> Figure:
    """Composite (top) and rank (bottom, 1 at the top) of a category's units across rounds. Up to
    ``TREND_ALL_UNITS`` units each get a coloured line; in a larger category every unit is a grey
    line and the first and last ``TREND_HIGHLIGHT`` of the latest round are coloured (two traces
    for the grey lines keep the figure quick to render however many units there are).

    ``history``: round_id, period, round_name, unit_id, unit_name, category, composite, rank (rows in
    round order)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    df = history[history["category"] == category]
    rounds = df.drop_duplicates("round_id")[["round_id", "period", "round_name"]]
    xs = rounds["period"].astype(str).tolist()
    if len(set(xs)) < len(xs):
        xs = rounds["round_name"].astype(str).tolist()
    xmap = dict(zip(rounds["round_id"], [label(x) for x in xs], strict=True))
    latest = (
        df[df["round_id"] == rounds["round_id"].iloc[-1]].sort_values("rank") if len(rounds) else df.iloc[0:0]
    )
    order = latest["unit_id"].tolist() + [
        u for u in df["unit_id"].unique() if u not in set(latest["unit_id"])
    ]
    if len(order) <= TREND_ALL_UNITS:
        coloured, note = order, ""
    else:
        coloured = order[:TREND_HIGHLIGHT] + order[-TREND_HIGHLIGHT:]
        note = f"；彩色为本期前 {TREND_HIGHLIGHT} 名和后 {TREND_HIGHLIGHT} 名"
    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.1, subplot_titles=("综合得分", "名次")
    )
    fmt = "." + str(precision) + "f"
    grey = df[~df["unit_id"].isin(coloured)]
    if len(grey):
        xs_g: list = []
        ys_c: list = []
        ys_r: list = []
        names: list = []
        for _unit_id, part in grey.groupby("unit_id", sort=False):
            name = label(part["unit_name"].iloc[-1])
            xs_g += [*part["round_id"].map(xmap), None]
            ys_c += [*part["composite"], None]
            ys_r += [*part["rank"], None]
            names += [name] * len(part) + [""]
        common = {
            "x": xs_g,
            "mode": "lines",
            "line": {"color": "#bdbdbd", "width": 1},
            "text": names,
            "showlegend": False,
            "connectgaps": False,
        }
        fig.add_trace(
            go.Scatter(
                y=ys_c,
                name="其他单位",
                hovertemplate="%{text}<br>%{x}<br>综合得分 %{y:" + fmt + "}<extra></extra>",
                **common,
            ),
            row=1,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                y=ys_r, name="其他单位", hovertemplate="%{text}<br>%{x}<br>名次 %{y}<extra></extra>", **common
            ),
            row=2,
            col=1,
        )
    by_unit = dict(tuple(df.groupby("unit_id", sort=False)))
    for i, unit_id in enumerate(coloured):
        part = by_unit[unit_id]
        name = label(part["unit_name"].iloc[-1])
        common = {
            "x": part["round_id"].map(xmap),
            "mode": "lines+markers",
            "name": name,
            "legendgroup": str(unit_id),
            "line": {"color": PALETTE[i % len(PALETTE)]},
        }
        fig.add_trace(
            go.Scatter(
                y=part["composite"],
                showlegend=True,
                hovertemplate=name + "<br>%{x}<br>综合得分 %{y:" + fmt + "}<extra></extra>",
                **common,
            ),
            row=1,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                y=part["rank"],
                showlegend=False,
                hovertemplate=name + "<br>%{x}<br>名次 %{y}<extra></extra>",
                **common,
            ),
            row=2,
            col=1,
        )
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=list(xmap.values()))
    fig.update_yaxes(title_text="综合得分", row=1, col=1)
    fig.update_yaxes(
        title_text="名次",
        autorange="reversed",
        dtick=max(1, math.ceil(df["rank"].max() / 10)) if len(df) else 1,
        row=2,
        col=1,
    )
    return _layout(fig, f"{category} 综合得分与名次趋势（{len(xmap)} 期{note}）", 620)


def option_shares_figure(shares: pd.DataFrame, title: str, *, options: list[str] | None = None) -> Figure:
    """Stacked 100 % bars of the appraisal options per unit (民主评议 ballots).

    ``shares``: unit_code, unit_name, option, count, share (percent; a unit's shares sum to 100)."""
    import plotly.graph_objects as go

    opts = list(options or [])
    opts += [str(o) for o in shares["option"].astype(str).unique() if str(o) not in opts]
    units = shares.drop_duplicates("unit_code")[["unit_code", "unit_name"]]
    ylabels = _unique_labels(units["unit_name"].astype(str).tolist(), units["unit_code"].astype(str).tolist())
    ymap = dict(zip(units["unit_code"], ylabels, strict=True))
    fig = go.Figure()
    for i, opt in enumerate(opts):
        part = shares[shares["option"].astype(str) == opt]
        if part.empty:
            continue
        fig.add_trace(
            go.Bar(
                x=part["share"],
                y=part["unit_code"].map(ymap),
                orientation="h",
                name=label(opt),
                marker_color=_color(OPTION_COLORS, opt, i),
                customdata=part[["count"]].to_numpy(),
                text=[f"{v:.1f}%" if v >= 6 else "" for v in part["share"]],
                textposition="inside",
                insidetextanchor="middle",
                hovertemplate="%{y}<br>" + label(opt) + " %{customdata[0]} 票，占 %{x:.2f}%<extra></extra>",
            )
        )
    fig.update_xaxes(range=[0, 100], ticksuffix="%")
    fig.update_yaxes(categoryorder="array", categoryarray=ylabels, autorange="reversed")
    return _layout(
        fig, title, max(340, 130 + 22 * len(units)), barmode="stack", bargap=0.2, legend_traceorder="normal"
    )


def level1_percentages(indicators: pd.DataFrame) -> pd.DataFrame:
    """Per unit × first-level indicator: points earned as a percent of the points available, over
    the leaves that have a value (bonus points count, bonus maxima and 一票否决 leaves do not).
    First-level indicators with nothing available (bonus only) are left out."""
    import numpy as np

    df = indicators[indicators["points"].notna() & (indicators["method"] != Method.VETO)].copy()
    df["avail"] = np.where(df["method"] == Method.BONUS, 0.0, df["max"].astype(float))
    agg = df.groupby(["unit_code", "unit_name", "level1_code", "level1_name"], sort=False, as_index=False)[
        ["points", "avail"]
    ].sum()
    agg = agg[agg["avail"] > 0]
    agg["percent"] = (100.0 * agg["points"] / agg["avail"]).clip(upper=100.0)
    return agg


def indicator_heatmap(indicators: pd.DataFrame, category: str) -> Figure:
    """Units × first-level indicators of one category: the share of available points earned.

    ``indicators``: the per-leaf frame of ``data.load_report_data`` (unit_code, unit_name, category,
    level1_code, level1_name, method, max, points)."""
    import plotly.graph_objects as go

    pct = level1_percentages(indicators[indicators["category"] == category])
    units = pct.drop_duplicates("unit_code")[["unit_code", "unit_name"]]
    cols = pct.drop_duplicates("level1_code")[["level1_code", "level1_name"]]
    grid = pct.pivot_table(index="unit_code", columns="level1_code", values="percent", aggfunc="first")
    grid = grid.reindex(index=units["unit_code"].tolist(), columns=cols["level1_code"].tolist())
    ylabels = _unique_labels(units["unit_name"].astype(str).tolist(), units["unit_code"].astype(str).tolist())
    per_line = max(4, int(60 / max(1, len(cols))))  # characters per line so that the column labels fit
    xlabels = [wrap(n, per_line) for n in cols["level1_name"]]
    zmin = min(60.0, math.floor(float(pct["percent"].min()) / 10) * 10) if len(pct) else 0.0
    fig = go.Figure(
        go.Heatmap(
            z=grid.to_numpy(),
            x=xlabels,
            y=ylabels,
            zmin=zmin,
            zmax=100,
            colorscale="RdYlGn",
            texttemplate="%{z:.0f}",
            colorbar={"title": {"text": "得分率%"}, "ticksuffix": "%"},
            hovertemplate="%{y}<br>%{x}<br>得分率 %{z:.1f}%<extra></extra>",
            xgap=1,
            ygap=1,
        )
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(side="top", tickangle=0)
    return _layout(fig, f"{category} 一级指标得分率", max(360, 150 + 24 * len(units)))


def unit_vs_category_figure(
    results: pd.DataFrame,
    unit_code: str,
    components: list[str],
    labels: dict[str, str] | None = None,
    *,
    precision: int = 2,
) -> Figure:
    """One unit's composite and components beside its category's average.

    ``results``: unit_code, unit_name, category, composite and one column ``c_<key>`` per component."""
    import plotly.graph_objects as go

    labels = labels or {}
    row = results[results["unit_code"] == unit_code].iloc[0]
    peers = results[results["category"] == row["category"]]
    keys = ["composite"] + [f"c_{k}" for k in components if f"c_{k}" in results.columns]
    names = [label(labels.get("composite", "综合得分"))] + [label(labels.get(k, k)) for k in components if f"c_{k}" in results.columns]
    own = [float(row[k]) if row[k] == row[k] else None for k in keys]
    avg = [float(peers[k].mean()) if peers[k].notna().any() else None for k in keys]
    fmt = "." + str(precision) + "f"
    fig = go.Figure(
        [
            go.Bar(
                x=names,
                y=own,
                name=label(row["unit_name"]),
                marker_color="#1565c0",
                text=[format(v, fmt) if v is not None else "" for v in own],
                textposition="outside",
                cliponaxis=False,
            ),
            go.Bar(
                x=names,
                y=avg,
                name=label(f"{row['category']}平均（{len(peers)} 个单位）"),
                marker_color="#9e9e9e",
                text=[format(v, fmt) if v is not None else "" for v in avg],
                textposition="outside",
                cliponaxis=False,
            ),
        ]
    )
    fig.update_yaxes(title_text="得分")
    return _layout(
        fig,
        f"{row['unit_name']} 与{row['category']}平均对比（名次 {int(row['rank'])}，{row['grade']}）",
        420,
        barmode="group",
    )


def selfcheck_vs_verified_figure(indicators: pd.DataFrame, *, tolerance: float = 0.0) -> Figure | None:
    """For every spot-checked unit: the self-check score against the verified score over the
    indicators that were verified (percent of their points), with the number of indicators whose
    self-score exceeds the verified score by more than ``tolerance`` (虚报). None when nothing was
    verified."""
    import plotly.graph_objects as go

    keep = indicators["verified_value"].notna() & (indicators["method"] != Method.VETO)
    if "drawn" in indicators.columns:
        keep &= indicators["drawn"].astype(bool)
    df = indicators[keep].copy()
    if df.empty:
        return None
    df["avail"] = df["max"].where(df["method"] != Method.BONUS, 0.0).astype(float)
    df["self_pts"] = df["self_points"].fillna(0.0)
    df["over"] = df["self_value"].notna() & ((df["self_pts"] - df["verified_points"]) > tolerance + 1e-9)
    agg = df.groupby(["unit_code", "unit_name"], sort=False, as_index=False).agg(
        self_points=("self_pts", "sum"),
        verified_points=("verified_points", "sum"),
        avail=("avail", "sum"),
        over=("over", "sum"),
        n=("indicator_code", "count"),
    )
    denom = agg["avail"].where(agg["avail"] > 0, 1.0)
    agg["self_pct"] = (100 * agg["self_points"] / denom).clip(upper=100)
    agg["verified_pct"] = (100 * agg["verified_points"] / denom).clip(upper=100)
    xl = _unique_labels(agg["unit_name"].astype(str).tolist(), agg["unit_code"].astype(str).tolist())
    fig = go.Figure(
        [
            go.Bar(
                x=xl,
                y=agg["self_pct"],
                name="自查得分率",
                marker_color="#90caf9",
                text=[f"{v:.1f}" for v in agg["self_pct"]],
                textposition="outside",
                cliponaxis=False,
            ),
            go.Bar(
                x=xl,
                y=agg["verified_pct"],
                name="核查得分率",
                marker_color="#1565c0",
                text=[f"{v:.1f}" for v in agg["verified_pct"]],
                textposition="outside",
                cliponaxis=False,
            ),
        ]
    )
    for x, over, n, top in zip(
        xl, agg["over"], agg["n"], agg[["self_pct", "verified_pct"]].max(axis=1), strict=True
    ):
        if over:
            fig.add_annotation(
                x=x,
                y=top + 9,
                showarrow=False,
                text=f"虚报 {int(over)}/{int(n)} 项",
                font={"color": "#c62828"},
            )
    fig.update_yaxes(title_text="得分率（%，核查过的指标）", range=[0, 118])
    return _layout(fig, f"自查与核查对比（抽查 {len(agg)} 个单位）", 460, barmode="group")


def accountability_summary_figure(accountability: pd.DataFrame) -> Figure | None:
    """Entries of the accountability list per rule, stacked by status (待确认 / 已确认 / 免予问责).
    None when the list is empty."""
    import plotly.graph_objects as go

    if accountability.empty:
        return None
    df = accountability.copy()
    df["rule"] = [wrap(t, 16, 2) for t in df["rule_text"].astype(str)]
    counts = df.groupby(["rule", "status_label"], sort=False).size().rename("n").reset_index()
    rules = counts.groupby("rule", sort=False)["n"].sum().sort_values(ascending=False).index.tolist()
    fig = go.Figure()
    for i, status in enumerate(
        [*STATUS_COLORS, *sorted(set(counts["status_label"]) - set(STATUS_COLORS))]
    ):
        part = counts[counts["status_label"] == status]
        if part.empty:
            continue
        fig.add_trace(
            go.Bar(
                y=part["rule"],
                x=part["n"],
                orientation="h",
                name=label(status),
                marker_color=_color(STATUS_COLORS, status, i),
                text=part["n"],
                textposition="inside",
            )
        )
    fig.update_yaxes(categoryorder="array", categoryarray=rules, autorange="reversed")
    fig.update_xaxes(dtick=1 if len(df) <= 12 else None)
    return _layout(
        fig,
        f"问责名单汇总（共 {len(df)} 条）",
        max(320, 140 + 44 * len(rules)),
        barmode="stack",
        legend_traceorder="normal",
    )
