"""Every Plotly figure the pages draw: each takes a domain result (frames, dataclasses) and returns a go.Figure."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from curation.audience.growth import Growth
from curation.audience.ratio import BANDS, MASS_FROM
from curation.audience.ratio import History as RatioHistory
from curation.facts import TIMING_CELL_HOURS, WEEKDAYS
from curation.plan.best_times import BestTimes
from curation.plan.history import Finding
from curation.plan.result import Plan
from curation.plan.volume import Volume
from curation.plan.worked import WhatWorked

# --------------------------------------------------------------------------- insights


def what_worked_figure(finding: WhatWorked) -> go.Figure:
    """Horizontal bars of target per post by factor level, n in the hover."""
    t = finding.table
    labels = t["factor"] + ": " + t["level"].str.replace("posts with ", "").str.replace("posts of ", "")
    fig = go.Figure(
        go.Bar(
            x=t["per_post"],
            y=labels,
            orientation="h",
            text=[f"n={n}" for n in t["n"]],
            customdata=np.stack([t["n"], t["median"], t["among"]], axis=1),
            hovertemplate="%{y}<br>%{x:.2f} per post<br>median %{customdata[1]:.1f}<br>n=%{customdata[0]}"
            " (%{customdata[2]})<extra></extra>",
        )
    )
    fig.update_layout(
        title=f"{finding.target_label.capitalize()} per post",
        xaxis_title=f"{finding.target_label} per post",
        yaxis={"autorange": "reversed"},
        height=40 + 28 * len(t),
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
    )
    return fig


def trend_figure(finding: Finding) -> go.Figure:
    """Weekly per-post target (left axis) and impressions per post (right axis)."""
    t, label = finding.table, finding.target_label
    fig = go.Figure()
    fig.add_scatter(
        x=t["week_start"],
        y=t[f"{label}_per_post"],
        name=f"{label} per post",
        mode="lines+markers",
        customdata=t["posts"],
        hovertemplate="week of %{x|%d %b %Y}<br>%{y:.2f} per post<br>%{customdata} posts<extra></extra>",
    )
    fig.add_scatter(
        x=t["week_start"],
        y=t["impressions_per_post"],
        name="impressions per post",
        yaxis="y2",
        mode="lines",
        line={"dash": "dot"},
    )
    fig.update_layout(
        title=f"{label.capitalize()} and impressions per post, by week",
        yaxis={"title": f"{label} per post"},
        yaxis2={"title": "impressions per post", "overlaying": "y", "side": "right"},
        legend={"orientation": "h"},
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
    )
    return fig


def best_times_figure(finding: BestTimes) -> go.Figure:
    """Heatmap of the shrunk multiplier per weekday x 4-hour cell; n and P(theta > 1) in text and hover."""
    t = finding.table
    blocks = list(range(0, 24, TIMING_CELL_HOURS))
    z = t.pivot(index="weekday", columns="block", values="theta").reindex(index=range(7), columns=blocks)
    n = t.pivot(index="weekday", columns="block", values="n").reindex(index=range(7), columns=blocks)
    p = t.pivot(index="weekday", columns="block", values="p_better").reindex(index=range(7), columns=blocks)
    v = t.pivot(index="weekday", columns="block", values="verdict").reindex(index=range(7), columns=blocks)
    mark = {"good": " ★", "bad": " ▼"}
    text = [
        [f"×{z.iat[i, j]:.2f}{mark.get(v.iat[i, j], '')}<br>n={int(n.iat[i, j])}" for j in range(len(blocks))]
        for i in range(7)
    ]
    spread = float(max(np.nanmax(np.abs(z.to_numpy() - 1.0)), 0.05))
    fig = go.Figure(
        go.Heatmap(
            z=z.to_numpy(),
            x=[f"{b:02d}–{b + TIMING_CELL_HOURS:02d}" for b in blocks],
            y=list(WEEKDAYS),
            text=text,
            texttemplate="%{text}",
            customdata=np.dstack([n.to_numpy(), p.to_numpy()]),
            hovertemplate="%{y} %{x}<br>×%{z:.2f} of usual<br>P(better than usual)=%{customdata[1]:.2f}"
            "<br>n=%{customdata[0]} posts<extra></extra>",
            colorscale="RdBu",
            zmid=1.0,
            zmin=1.0 - spread,
            zmax=1.0 + spread,
            colorbar={"title": "× usual"},
        )
    )
    fig.update_layout(
        title=f"When your posts earn more {finding.target_label} than expected ({finding.tz}); ★ reliably good",
        yaxis={"autorange": "reversed"},
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
    )
    return fig


def volume_figure(finding: Volume) -> go.Figure:
    """Observed per-post ratio by posts per day (90 % range), the fitted multiplier, the marginal post; cap marked."""
    t, c = finding.table, finding.curve
    fig = go.Figure()
    fig.add_bar(
        x=c["posts_per_day"],
        y=c["marginal_share"],
        name="what the n-th post adds (× a lone post)",
        opacity=0.35,
        marker_color=np.where(c["within_cap"], "#2a9d8f", "#bbbbbb"),
        yaxis="y2",
        hovertemplate="post %{x} of the day adds ×%{y:.2f} of a lone post<extra></extra>",
    )
    fig.add_scatter(
        x=t["posts_that_day"],
        y=t["ratio"],
        mode="markers",
        name="observed per post (× expected)",
        error_y={
            "type": "data",
            "symmetric": False,
            "array": t["ratio_high"] - t["ratio"],
            "arrayminus": t["ratio"] - t["ratio_low"],
        },
        customdata=np.stack([t["posts"], t["days"], t["label"]], axis=1),
        hovertemplate="%{customdata[2]} posts that day<br>×%{y:.2f} of expected<br>%{customdata[0]} posts on "
        "%{customdata[1]} days<extra></extra>",
    )
    fig.add_scatter(x=t["posts_that_day"], y=t["fitted"], mode="lines", name="fitted per post (× expected)")
    fig.add_vline(x=finding.cap + 0.5, line_dash="dash", annotation_text=f"cap {finding.cap}/day")
    fig.update_layout(
        title=f"{finding.target_label.capitalize()} per post vs posts that day",
        xaxis_title="posts that day",
        yaxis={"title": "per post, × expected"},
        yaxis2={"title": "n-th post adds, × a lone post", "overlaying": "y", "side": "right", "rangemode": "tozero"},
        legend={"orientation": "h"},
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
    )
    return fig


# --------------------------------------------------------------------------- audience

_BAND_COLOURS = {"interpersonal": "#4c9f70", "mixed": "#e0a030", "mass communication": "#4a78c2"}


def ratio_band_figure(history: RatioHistory) -> go.Figure:
    """Shaded bands (interpersonal / mixed / mass communication) with the ratio line; rebuilt days dotted."""
    t = history.table[history.table["ratio"].notna() & np.isfinite(history.table["ratio"])]
    top = max(MASS_FROM * 1.6, float(t["ratio"].max()) * 1.15 if len(t) else 0.0)
    fig = go.Figure()
    for name, lo, hi in BANDS:
        fig.add_hrect(
            y0=lo, y1=min(hi, top), fillcolor=_BAND_COLOURS[name], opacity=0.15, line_width=0,
            annotation_text=name, annotation_position="top left",
        )
    measured = t[t["measured"]]
    if len(measured):
        first, last = measured["day"].min(), measured["day"].max()
        for segment in (t[t["day"] <= first], t[t["day"] >= last]):
            if (~segment["measured"]).any():
                fig.add_trace(go.Scatter(
                    x=segment["day"], y=segment["ratio"], mode="lines", line={"dash": "dot", "color": "#555"},
                    name="rebuilt from daily follows", hovertemplate="%{x}: %{y:.2f}<extra>rebuilt</extra>",
                ))
        fig.add_trace(go.Scatter(
            x=measured["day"], y=measured["ratio"], mode="lines+markers", line={"color": "#222"},
            name="measured", customdata=np.stack([measured["followers"].astype(float),
                                                  measured["following"].astype(float)], axis=1),
            hovertemplate="%{x}: %{y:.2f}<br>%{customdata[0]:,.0f} followers / %{customdata[1]:,.0f} following"
            "<extra></extra>",
        ))
    elif len(t):
        fig.add_trace(go.Scatter(x=t["day"], y=t["ratio"], mode="lines", name="ratio"))
    if len(t):
        # A single count (or a few days) would otherwise get a sub-second time axis.
        first, last = pd.Timestamp(t["day"].min()), pd.Timestamp(t["day"].max())
        pad = max(pd.Timedelta(days=15) - (last - first) / 2, pd.Timedelta(0))
        fig.update_xaxes(type="date", range=[first - pad - pd.Timedelta(days=1), last + pad + pd.Timedelta(days=1)])
    fig.update_layout(
        title="Follower/friend ratio", yaxis_title="followers per followed account", yaxis_range=[0, top],
        margin={"l": 10, "r": 10, "t": 40, "b": 10}, legend={"orientation": "h"},
    )
    return fig


def growth_figure(growth: Growth) -> go.Figure:
    """Weekly new follows against quality (left) and against volume (right), each with a least-squares line."""
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True,
                        subplot_titles=(growth.quality_label, "posts per week"))
    t = growth.table
    labels = t["week_start"].dt.strftime("%d %b %Y") if len(t) else pd.Series(dtype=str)
    for col, x in ((1, "quality"), (2, "posts")):
        ok = t[x].notna() & t["follows"].notna() if len(t) else pd.Series(dtype=bool)
        fig.add_trace(go.Scatter(
            x=t.loc[ok, x], y=t.loc[ok, "follows"], mode="markers", showlegend=False,
            marker={"opacity": 0.7, "color": "#4a78c2"},
            text=labels[ok], hovertemplate="week of %{text}<br>%{x:.2f}<br>%{y:.0f} new follows<extra></extra>",
        ), row=1, col=col)
        if ok.sum() >= 3 and t.loc[ok, x].nunique() > 1:
            slope, icpt = np.polyfit(t.loc[ok, x].astype(float), t.loc[ok, "follows"].astype(float), 1)
            xs = np.linspace(float(t.loc[ok, x].min()), float(t.loc[ok, x].max()), 20)
            fig.add_trace(go.Scatter(x=xs, y=slope * xs + icpt, mode="lines", showlegend=False,
                                     line={"color": "#888", "dash": "dash"}, hoverinfo="skip"), row=1, col=col)
        fig.update_xaxes(title_text=growth.quality_label if col == 1 else "posts", row=1, col=col)
    fig.update_yaxes(title_text="new follows in the week", row=1, col=1)
    fig.update_layout(title="New follows by week: quality vs volume", margin={"l": 10, "r": 10, "t": 60, "b": 10})
    return fig


# --------------------------------------------------------------------------- plans and the model card


def timeline_figure(plan: Plan, tz: str) -> go.Figure:
    """The plan on a calendar: one column per local day, one marker per post at its local time, sized by prediction.

    Days are categories (one tick per day, never repeated) and hours read HH:MM. Draw it only for a
    plan with posts: an empty plan gets a sentence (empty_reading) instead.
    """
    local = [pd.Timestamp(s.at).tz_convert(tz) for s in plan.slots]
    days = pd.date_range(min(local).normalize(), max(local).normalize(), freq="D") if local else []
    day_labels = [f"{d:%a %d %b}" for d in days]
    fig = go.Figure()
    if plan.slots:
        fig.add_scatter(
            x=[f"{t:%a %d %b}" for t in local],
            y=[t.hour + t.minute / 60 for t in local],
            mode="markers+text",
            text=[f"#{s.draft_id}" for s in plan.slots],
            textposition="middle right",
            marker={"size": [8 + 4 * max(s.predicted, 0) ** 0.5 for s in plan.slots], "color": "#1d9bf0"},
            hovertext=[f"{t:%a %d %b %H:%M} · predicted {s.predicted:.1f} {plan.target_label}<br>{s.text[:80]}"
                       for t, s in zip(local, plan.slots, strict=True)],
            hoverinfo="text",
            name="posts",
        )
    hours = [t.hour + t.minute / 60 for t in local] or [8.0, 18.0]
    lo, hi = max(int(min(hours)) - 1, 0), min(int(max(hours)) + 2, 24)
    ticks = list(range(lo, hi + 1))
    fig.update_layout(
        yaxis={"title": f"local time ({tz})", "range": [hi, lo], "tickvals": ticks,
               "ticktext": [f"{h:02d}:00" for h in ticks]},
        xaxis={"title": "day", "type": "category", "categoryorder": "array", "categoryarray": day_labels},
        height=360, margin={"t": 20},
    )
    return fig


def curve_figure(plan: Plan) -> go.Figure:
    """Expected total against number of posts, with the plan's choice marked."""
    fig = go.Figure()
    if plan.curve:
        n, total = zip(*plan.curve, strict=True)
        fig.add_scatter(x=list(n), y=list(total), mode="lines+markers", name=f"expected total {plan.target_label}")
        chosen = dict(plan.curve).get(plan.chosen_n)
        if chosen is not None:
            fig.add_scatter(x=[plan.chosen_n], y=[chosen], mode="markers", name="this plan",
                            marker={"size": 16, "symbol": "star", "color": "#f4212e"})
    fig.update_layout(xaxis_title="number of posts", yaxis_title=f"expected total {plan.target_label}", height=320,
                      margin={"t": 20})
    return fig


def holdout_figure(card: Mapping) -> go.Figure:
    """Predicted vs actual on the tweets the model never saw."""
    pairs = card.get("holdout") or []
    label = card.get("target_label", "clicks")
    fig = go.Figure()
    if pairs:
        pred, actual = zip(*pairs, strict=True)
        fig.add_scatter(x=list(pred), y=list(actual), mode="markers", name="held-out tweets", opacity=0.6)
        top = max(max(pred), max(actual)) * 1.05
        fig.add_scatter(x=[0, top], y=[0, top], mode="lines", name="perfect", line={"dash": "dot"})
    fig.update_layout(xaxis_title=f"predicted {label}", yaxis_title=f"actual {label}", height=380,
                      margin={"t": 30}, xaxis_type="log", yaxis_type="log")
    return fig
