"""What worked: per-post target by structure (link, media, hashtags, length, reply) and by week."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from curation.errors import NotEnoughData
from curation.plan.history import Finding, choose_target, fmt, local_frame, target_values


@dataclass(frozen=True, eq=False)
class WhatWorked(Finding):
    """Per-post target by structure (``table``) plus the best and worst tweets with their numbers."""

    top: pd.DataFrame = field(default_factory=pd.DataFrame)
    bottom: pd.DataFrame = field(default_factory=pd.DataFrame)


def _level_frame(own: pd.DataFrame) -> pd.DataFrame:
    tags = own["n_hashtags"].fillna(0).astype("int64")
    length = own["text"].fillna("").astype(str).str.len()
    media = own["media_type"].astype("object").where(own["media_type"].notna(), None)
    return pd.DataFrame(
        {
            "link": np.where(own["has_link"].fillna(False).astype(bool), "posts with a link", "posts without a link"),
            "media": [
                {"photo": "posts with a photo", "video": "posts with a video", "animated_gif": "posts with a GIF"}.get(
                    m, "posts with no media" if m is None else f"posts with {m}"
                )
                for m in media
            ],
            "hashtags": pd.cut(
                tags, [-1, 0, 1, 2, np.inf], labels=["no hashtags", "1 hashtag", "2 hashtags", "3+ hashtags"]
            )
            .astype(str)
            .radd("posts with "),
            "length": pd.cut(
                length,
                [-1, 59, 119, 199, np.inf],
                labels=["under 60 characters", "60–119 characters", "120–199 characters", "200+ characters"],
            )
            .astype(str)
            .radd("posts of "),
            "reply": np.where(own["is_reply"].fillna(False).astype(bool), "replies", "original posts"),
        },
        index=own.index,
    )


def what_worked(tweets: pd.DataFrame, tz: str, target: str | None = None, top_n: int = 5) -> WhatWorked:
    """Target per post by link, media, hashtag count, length band and reply vs original; top/bottom tweets.

    With a clicks target only link tweets can earn clicks, so every factor but "link" is compared
    among link tweets (column ``among``); otherwise among all own posts.
    """
    target = target or choose_target(tweets)
    own = local_frame(tweets, tz)
    own["y"], label = target_values(own, target)
    own = own[own["y"].notna()]
    if own.empty:
        raise NotEnoughData(f"No tweets with {label} numbers yet: upload an analytics export first.")
    levels = _level_frame(own)
    link_only = target == "url_clicks"
    pool = own["has_link"].fillna(False).astype(bool) if link_only else pd.Series(True, index=own.index)
    rows = []
    for factor in ("link", "media", "hashtags", "length", "reply"):
        everyone = factor in ("link", "reply")  # replies carry no links: compare them among all posts
        mask = pd.Series(True, index=own.index) if everyone else pool
        among = "link tweets" if (link_only and not everyone) else "all posts"
        grouped = own.loc[mask, "y"].groupby(levels.loc[mask, factor])
        for level, ys in grouped:
            rows.append(
                {
                    "factor": factor,
                    "level": level,
                    "among": among,
                    "n": int(ys.size),
                    "per_post": float(ys.mean()),
                    "median": float(ys.median()),
                    "total": float(ys.sum()),
                }
            )
    table = pd.DataFrame(rows)
    min_n = max(10, int(0.03 * len(own)))
    sums = table.groupby("factor")[["total", "n"]].transform("sum")
    table["vs_factor_mean"] = table["per_post"] / (sums["total"] / sums["n"]).where(sums["total"] > 0)

    parts = []
    link_rows = table[(table["factor"] == "link")].set_index("level")
    if len(link_rows) == 2:
        w, wo = link_rows.loc["posts with a link"], link_rows.loc["posts without a link"]
        parts.append(
            f"Posts with a link earned {fmt(w['per_post'])} {label} per post (n={int(w['n'])}) "
            f"against {fmt(wo['per_post'])} without (n={int(wo['n'])})"
        )
    best_gap, best_part = 0.0, ""
    contrasts = table[(table["among"] == ("link tweets" if link_only else "all posts")) & (table["n"] >= min_n)]
    for _factor, grp in contrasts[contrasts["factor"] != "link"].groupby("factor"):
        if len(grp) < 2:
            continue
        hi, lo = grp.loc[grp["per_post"].idxmax()], grp.loc[grp["per_post"].idxmin()]
        gap = (hi["per_post"] + 1e-9) / (lo["per_post"] + 1e-9)
        if gap > best_gap:
            among = "among link tweets, " if link_only else ""
            best_gap = gap
            best_part = (
                f"{among}{hi['level']} averaged {fmt(hi['per_post'])} against {fmt(lo['per_post'])} "
                f"for {lo['level']} (n={int(hi['n'])} and {int(lo['n'])})"
            )
    if best_part:
        parts.append(best_part)
    reading = ("; ".join(parts) + ".") if parts else f"Your posts averaged {fmt(own['y'].mean())} {label} each."
    reading = reading[0].upper() + reading[1:]

    shown = own.assign(**{label: own["y"]})
    cols = ["tweet_id", "local", "text", label, "impressions"]
    top = shown.sort_values("y", ascending=False).head(top_n)[cols].rename(columns={"local": "posted"})
    pool_frame = shown[pool.loc[shown.index]] if link_only else shown
    bottom = pool_frame.sort_values("y", ascending=True).head(top_n)[cols].rename(columns={"local": "posted"})
    return WhatWorked(
        table=table,
        reading=reading,
        target_label=label,
        top=top.reset_index(drop=True),
        bottom=bottom.reset_index(drop=True),
    )


def trend(tweets: pd.DataFrame, tz: str, target: str | None = None) -> Finding:
    """Per-post target and impressions by local week (Monday start)."""
    target = target or choose_target(tweets)
    own = local_frame(tweets, tz)
    own["y"], label = target_values(own, target)
    if own.empty:
        raise NotEnoughData("No tweets yet: upload an export first.")
    imp = pd.to_numeric(own["impressions"], errors="coerce").astype("float64")
    table = (
        own.assign(imp=imp)
        .groupby("week_start")
        .agg(posts=("tweet_id", "size"), per_post=("y", "mean"), impressions_per_post=("imp", "mean"))
        .reset_index()
    )
    table = table.rename(columns={"per_post": f"{label}_per_post"})
    col = f"{label}_per_post"
    known = table[table[col].notna()]
    k = max(len(known) // 4, 1)
    first, last = known.head(k), known.tail(k)
    if known.empty:
        reading = f"No week has {label} numbers yet, so there is no trend to read."
    elif len(known) < 2:
        reading = f"One week with {label} numbers so far: {fmt(known[col].iloc[0])} {label} per post."
    else:
        span = f"the first {k} week{'s' if k > 1 else ''}"
        a, b = first[col].mean(), last[col].mean()
        verb = "rose" if b > a * 1.05 else "fell" if b < a * 0.95 else "held steady"
        extras = []
        imp_a, imp_b = first["impressions_per_post"].mean(), last["impressions_per_post"].mean()
        if np.isfinite(imp_a) and np.isfinite(imp_b):
            extras.append(f"impressions per post {fmt(imp_a)} → {fmt(imp_b)}")
        extras.append(f"{fmt(first['posts'].mean())} → {fmt(last['posts'].mean())} posts a week")
        reading = (
            f"{label.capitalize()} per post {verb} from {fmt(a)} in {span} to {fmt(b)} in the last {k}, "
            f"with {' and '.join(extras)}."
        )
    return Finding(table=table, reading=reading, target_label=label)
