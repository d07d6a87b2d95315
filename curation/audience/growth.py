"""What moved followers: weekly new follows against post quality and post volume."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from curation.audience.ratio import local_days, net_follows, own_posts
from curation.plan.history import choose_target, target_values

MIN_WEEKS = 6  # fewer complete weeks than this: no correlation is reported
CLEAR_P = 0.05
CLOSE_RHO = 0.15  # two clear correlations closer than this are "both", not a winner


# --------------------------------------------------------------------------- growth: quality vs volume


@dataclass(frozen=True, eq=False)
class Growth:
    """New follows per complete week against that week's quality (per post) and volume (posts)."""

    table: pd.DataFrame  # week_start, days, follows, follows_source, posts, quality
    quality_label: str = "clicks per post"
    basis: str = "tweets"  # where posts and quality come from: "tweets" or "daily CSV"
    rho_quality: float | None = None
    p_quality: float | None = None
    n_quality: int = 0
    rho_volume: float | None = None
    p_volume: float | None = None
    n_volume: int = 0
    follows_best_quality: float | None = None
    follows_busiest: float | None = None
    follows_typical: float | None = None
    verdict: str = "unknown"  # quality | volume | both | neither | too few weeks | unknown
    reading: str = ""

    @property
    def summary(self) -> str:
        return self.reading.split(". ")[0].rstrip(".") + "." if self.reading else ""


def _spearman(x: pd.Series, y: pd.Series) -> tuple[float | None, float | None, int]:
    ok = x.notna() & y.notna()
    n = int(ok.sum())
    if n < MIN_WEEKS or x[ok].nunique() < 2 or y[ok].nunique() < 2:
        return None, None, n
    res = stats.spearmanr(x[ok].astype(float), y[ok].astype(float))
    rho, p = float(res.statistic), float(res.pvalue)
    return (None, None, n) if math.isnan(rho) else (rho, p, n)


def _follows_around(table: pd.DataFrame, weeks: pd.Index) -> float | None:
    """Mean follows in the given weeks and the week after each (followers may come a few days later)."""
    by_week = table.set_index("week_start")["follows"]
    values = [by_week[w] for w in weeks]
    values += [by_week[w + pd.Timedelta(days=7)] for w in weeks if w + pd.Timedelta(days=7) in by_week.index]
    return float(np.mean(values)) if values else None


def _strength(rho: float | None, p: float | None, n: int) -> str:
    if rho is None:
        return f"not measurable ({n} weeks)"
    clear = "clear" if p is not None and p < CLEAR_P else "not clear"
    return f"ρ = {rho:.2f} over {n} weeks, {clear}"


def weekly_growth(daily: pd.DataFrame, tweets: pd.DataFrame, tz: str) -> Growth:
    """Weekly new follows vs quality and volume, with a reading of which one moved followers."""
    net = net_follows(daily, tweets, tz)
    empty = pd.DataFrame(columns=["week_start", "days", "follows", "follows_source", "posts", "quality"])
    if net.empty or net["follows"].notna().sum() == 0:
        return Growth(
            table=empty,
            reading="No follow numbers yet. Upload the account overview CSV (new follows per day) or content "
            "exports with a follows column to see what moved followers.",
        )
    known = net[net["follows"].notna()].copy()
    known["week_start"] = known.index - pd.to_timedelta(known.index.day_of_week, unit="D")
    weeks = known.groupby("week_start").agg(
        days=("follows", "size"),
        follows=("follows", "sum"),
        follows_source=("source", lambda s: " + ".join(sorted(set(s)))),
    )
    weeks = weeks[weeks["days"] == 7].copy()  # partial weeks at the ends would look like slow weeks

    own = own_posts(tweets) if len(tweets) else tweets
    tweet_weeks = pd.Series(dtype="datetime64[ns]")
    if len(own):
        local = local_days(own["created_at"], tz)
        tweet_weeks = local - pd.to_timedelta(local.dt.day_of_week, unit="D")
    has_daily_posts = len(daily) and daily["tweets_published"].notna().any()
    use_tweets = len(weeks) and (weeks.index.isin(tweet_weeks).mean() >= 0.5 or not has_daily_posts)
    if use_tweets and len(own):
        target = choose_target(own)
        values, label = target_values(own, target)
        frame = pd.DataFrame({"week": tweet_weeks.to_numpy(), "y": values.to_numpy(dtype="float64")})
        agg = frame.groupby("week").agg(posts=("y", "size"), quality=("y", "mean"))
        weeks["posts"] = agg["posts"].reindex(weeks.index).fillna(0).astype("float64")
        weeks["quality"] = agg["quality"].reindex(weeks.index)
        basis = "tweets"
    elif has_daily_posts:
        d = daily.copy()
        d["week"] = pd.to_datetime(pd.Series(list(d["day"]))).dt.normalize()
        d["week"] = d["week"] - pd.to_timedelta(d["week"].dt.day_of_week, unit="D")
        label = "clicks" if d["url_clicks"].notna().any() else "engagement"
        num = d["url_clicks"] if label == "clicks" else d[["likes", "reposts"]].sum(axis=1, min_count=1)
        d["num"] = num.astype("float64")
        d["posts"] = d["tweets_published"].astype("float64")
        agg = d.groupby("week").agg(posts=("posts", "sum"), num=("num", "sum"))
        weeks["posts"] = agg["posts"].reindex(weeks.index)
        weeks["quality"] = (agg["num"] / agg["posts"].where(agg["posts"] > 0)).reindex(weeks.index)
        basis = "daily CSV"
    else:
        weeks["posts"], weeks["quality"] = np.nan, np.nan
        label, basis = "clicks", "none"
    quality_label = f"{label} per post" if label == "clicks" else "engagement (likes + reposts) per post"
    table = weeks.reset_index()[["week_start", "days", "follows", "follows_source", "posts", "quality"]]
    posted = table[table["posts"] > 0]
    rq, pq, nq = _spearman(posted["quality"], posted["follows"])
    rv, pv, nv = _spearman(table["posts"], table["follows"])
    typical = float(table["follows"].mean()) if len(table) else None
    best_q = busiest = None
    if len(posted) >= 4:
        k = max(1, len(posted) // 4)
        best_q = _follows_around(table, pd.Index(posted.nlargest(k, "quality")["week_start"]))
        busiest = _follows_around(table, pd.Index(posted.nlargest(k, "posts")["week_start"]))
    growth = Growth(
        table=table, quality_label=quality_label, basis=basis, rho_quality=rq, p_quality=pq, n_quality=nq,
        rho_volume=rv, p_volume=pv, n_volume=nv, follows_best_quality=best_q, follows_busiest=busiest,
        follows_typical=typical,
    )
    verdict, reading = _growth_reading(growth)
    return Growth(**{**growth.__dict__, "verdict": verdict, "reading": reading})


def _growth_reading(g: Growth) -> tuple[str, str]:
    n = len(g.table)
    if n < MIN_WEEKS:
        return "too few weeks", (
            f"Only {n} complete week(s) with follow numbers: too few to tell whether quality or volume moved "
            f"followers (at least {MIN_WEEKS} are needed)."
        )
    if g.basis == "none":
        return "unknown", f"{n} weeks of follow numbers but no posts to compare them with."
    q_clear = g.rho_quality is not None and g.p_quality is not None and g.p_quality < CLEAR_P and g.rho_quality > 0
    v_clear = g.rho_volume is not None and g.p_volume is not None and g.p_volume < CLEAR_P and g.rho_volume > 0
    if q_clear and v_clear and abs(g.rho_quality - g.rho_volume) < CLOSE_RHO:
        more = "quality" if g.rho_quality >= g.rho_volume else "volume"
        verdict, lead = "both", f"Both quality and volume went with more new follows ({more} a little more)"
    elif q_clear and (not v_clear or g.rho_quality >= g.rho_volume):
        verdict, lead = "quality", "Quality moved your followers more than volume"
    elif v_clear:
        verdict, lead = "volume", "Volume moved your followers more than quality"
    else:
        verdict, lead = "neither", "Neither quality nor volume shows a clear link with new follows"
    parts = [
        f"{lead}: weekly new follows vs {g.quality_label} {_strength(g.rho_quality, g.p_quality, g.n_quality)}; "
        f"vs posts per week {_strength(g.rho_volume, g.p_volume, g.n_volume)}."
    ]
    if g.follows_best_quality is not None and g.follows_busiest is not None:
        parts.append(
            f"In the weeks of your best posts (top quarter by {g.quality_label}) and the week after, you gained "
            f"{g.follows_best_quality:.1f} follows a week; around your busiest weeks, {g.follows_busiest:.1f}; "
            f"a typical week, {g.follows_typical:.1f}."
        )
    parts.append(
        "This is a rank correlation over weeks, not proof: a growing audience, campaigns or news can move both"
        + (", and with fewer than 20 weeks one unusual week can swing it." if n < 20 else ".")
    )
    return verdict, " ".join(parts)
