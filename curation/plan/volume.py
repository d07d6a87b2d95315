"""Quality vs volume: per-post target against posts that day, the fitted discount and the daily cap."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, stats

from curation.errors import NotEnoughData
from curation.plan.history import Finding, local_frame, with_target

CAP_SHARE = 0.5  # daily cap: the n-th post must still add >= half of what a lone post earns
_SLOPE_BOUNDS = (-0.05, 5.0)


@dataclass(frozen=True, eq=False)
class Volume(Finding):
    """Per-post target vs posts per day (``table``), the fitted curve and the daily cap."""

    curve: pd.DataFrame = field(default_factory=pd.DataFrame)
    week_table: pd.DataFrame = field(default_factory=pd.DataFrame)
    cap: int = 1
    slope: float = 0.0
    slope_range: tuple[float, float] = (0.0, 0.0)
    cap_range: tuple[int, int] = (1, 1)
    dispersion: float = 1.0
    cap_rule: str = ""
    plan_slope: float = 0.0
    busy_day: int = 1

    def factor(self, n: int) -> float:
        """Per-post multiplier when n posts share a day (factor(1) == 1): 1 / (1 + slope (n - 1))."""
        return hyperbolic(np.asarray([max(int(n), 1)]), self.slope)[0].item()

    def factors(self, up_to: int) -> list[float]:
        """factor(1) .. factor(up_to) at the fitted slope."""
        return [self.factor(n) for n in range(1, up_to + 1)]

    def plan_factor(self, n: int) -> float:
        """Per-post multiplier the planner and the cap use: the cautious end of the slope's range, never rising."""
        return hyperbolic(np.asarray([max(int(n), 1)]), self.plan_slope)[0].item()


def hyperbolic(n: np.ndarray, slope: float) -> np.ndarray:
    """Per-post multiplier when n posts share a day: 1 / (1 + slope (n - 1))."""
    return 1.0 / (1.0 + slope * (np.asarray(n, dtype="float64") - 1.0))


def fit_volume(frame: pd.DataFrame) -> tuple[float, float, float, tuple[float, float]]:
    """Poisson fit of O ~ c E / (1 + b (n_day - 1)): returns (b, c, dispersion, 90 % range of b).

    b is profiled on a bounded interval (c has a closed form for each b); the range is the
    profile-deviance interval scaled by the Pearson dispersion, so heavy-tailed counts widen it.
    """
    used = frame[frame["E"] > 0]
    if used.empty or used["O"].sum() <= 0:
        return 0.0, 1.0, 1.0, (0.0, 0.0)
    o, e, n = (used[c].to_numpy(dtype="float64") for c in ("O", "E", "n_day"))
    # The deviance depends on b only through per-n_day sums, so profile it on those (exact up to a
    # constant, which cancels in every comparison below).
    days, where = np.unique(n, return_inverse=True)
    o_n, e_n, o_total = np.bincount(where, o), np.bincount(where, e), o.sum()

    def deviance(b: float) -> float:
        h = hyperbolic(days, b)
        scale = o_total / np.sum(e_n * h)
        return float(2.0 * (-np.sum(o_n * np.log(h)) - o_total * np.log(scale)))

    lo, hi = _SLOPE_BOUNDS
    # A negative slope must keep every day's factor positive: 1 + b (n - 1) > 0 up to the busiest day.
    lo = max(lo, -0.9 / max(n.max() - 1.0, 1.0))
    if n.max() <= 1:
        b = 0.0
    else:
        grid = np.concatenate([np.linspace(lo, 0.5, 56), np.linspace(0.55, hi, 20)])
        devs = np.array([deviance(g) for g in grid])
        k = int(np.argmin(devs))
        left, right = grid[max(k - 1, 0)], grid[min(k + 1, len(grid) - 1)]
        res = optimize.minimize_scalar(deviance, bounds=(left, right), method="bounded", options={"xatol": 1e-4})
        b = float(res.x) if res.fun <= devs[k] else float(grid[k])
    mu = e * hyperbolic(n, b)
    c = o.sum() / mu.sum()
    mu *= c
    dispersion = float(max(np.sum((o - mu) ** 2 / mu) / max(len(o) - 2, 1), 1.0))
    if n.max() <= 1:
        return b, c, dispersion, (0.0, 0.0)
    limit = deviance(b) + dispersion * stats.chi2.ppf(0.9, 1)

    def edge(start: float, stop: float) -> float:
        if deviance(stop) <= limit:
            return stop
        return float(optimize.brentq(lambda x: deviance(x) - limit, start, stop, xtol=1e-4))

    return b, c, dispersion, (edge(b, lo) if b > lo else lo, edge(b, hi) if b < hi else hi)


def cap_for(slope: float, max_day: int, share: float) -> int:
    """Largest n <= max_day such that posts 1..n each add >= ``share`` of a lone post (at least 1)."""
    n = np.arange(1, max(max_day, 1) + 1)
    totals = n * hyperbolic(n, slope)
    marginal = np.diff(np.concatenate([[0.0], totals]))
    failing = np.flatnonzero(marginal < share - 1e-12)
    # The 0-based index of the first failing post is the number of posts that pass.
    return max(int(failing[0]), 1) if failing.size else int(n[-1])


def _bucket(n: pd.Series, top: int) -> pd.Series:
    return n.clip(upper=top).astype("int64")


def busy_day_quantile(tweets: pd.DataFrame, tz: str) -> float:
    """75th percentile of own posts (retweets aside) per active local day; at least 1."""
    own = local_frame(tweets, tz)
    if own.empty:
        return 1.0
    return max(float(own.groupby("local_date").size().quantile(0.75)), 1.0)


def busy_day(tweets: pd.DataFrame, tz: str) -> int:
    """The account's busy day: busy_day_quantile rounded down, at least 1."""
    return max(int(np.floor(busy_day_quantile(tweets, tz) + 1e-9)), 1)


def _volume_reading(
    label: str,
    b: float,
    b_range: tuple[float, float],
    plan_slope: float,
    curve: pd.DataFrame,
    cap: int,
    busy: int,
    cap_slope: int,
    max_day: int,
) -> str:
    """One reading that agrees with the chart (drawn at ``plan_slope``) and the cap."""
    b_lo, b_hi = b_range
    direction = "fell" if b_lo > 0 else "rose" if b_hi < 0 else "did not change reliably"
    n_shown = min(max_day, 5)
    measured = (
        f"Per-post {label} {direction} with more posts in a day (with {n_shown} posts each earned "
        f"×{hyperbolic(np.array([n_shown]), b)[0]:.2f} of a lone post; slope {b:.2f}, 90 % range "
        f"{b_lo:.2f}–{b_hi:.2f})"
    )
    if b_hi < 0:
        measured += (", which usually reflects busy news days rather than volume itself, so the plan does not "
                     "count on it")
    nxt = curve.loc[curve["posts_per_day"] == cap + 1, "marginal_share"]
    if cap_slope <= busy and not nxt.empty:
        share = float(nxt.iloc[0])
        adds = (f"would add only {share:.0%} of a lone post's {label}" if share > 0
                else "would cost the day's other posts more than it adds")
        why = f"planning on the cautious end of that range, post {cap + 1} of a day {adds}"
    else:
        why = (
            f"you post at most {busy} on a busy day (the 75th percentile of your active days)"
        )
    return f"{measured}: {why}, so the daily cap is {cap}. Raise it yourself if you mean to post more."


def volume(
    tweets: pd.DataFrame,
    tz: str,
    expected: pd.Series | None = None,
    target: str | None = None,
    cap_share: float = CAP_SHARE,
) -> Volume:
    """Per-post target against posts that day, controlled for content; marginal n-th post; daily cap.

    The per-post multiplier is fitted as f(n) = 1 / (1 + b (n - 1)) (a Poisson fit of O on
    c E f(n_day)); the n-th post of a day adds n f(n) - (n - 1) f(n - 1) times a lone post.
    Daily cap = the largest n (up to the most the account has ever posted in a day) whose marginal
    post still adds at least ``cap_share`` (default half) of what a lone post earns: below that,
    a draft is worth more held for another day.
    """
    frame, target, label = with_target(tweets, tz, target, expected)
    if frame.empty or frame["O"].sum() <= 0:
        raise NotEnoughData(f"No {label} in the history yet: the volume curve needs tweets that earned some.")
    frame = frame.assign(E=frame["E"] * frame["O"].sum() / frame["E"].sum())
    b, c, dispersion, (b_lo, b_hi) = fit_volume(frame)
    max_day = int(frame["n_day"].max())

    # Per-bucket table: raw per-post target and the content-controlled ratio O/E with a 90 % range.
    enough = frame.groupby("n_day").size()
    top_bucket = max([n for n in enough.index if enough[n] >= 20] or [max_day])
    frame["bucket"] = _bucket(frame["n_day"], top_bucket)
    table = (
        frame.groupby("bucket")
        .agg(
            posts=("O", "size"),
            days=("local_date", "nunique"),
            per_post=("O", "mean"),
            observed=("O", "sum"),
            expected=("E", "sum"),
        )
        .reset_index()
        .rename(columns={"bucket": "posts_that_day"})
    )
    table["ratio"] = table["observed"] / table["expected"].where(table["expected"] > 0)
    shape, rate = table["observed"] / dispersion + 0.5, table["expected"] / dispersion
    table["ratio_low"] = stats.gamma.ppf(0.05, shape, scale=1.0 / rate.where(rate > 0))
    table["ratio_high"] = stats.gamma.ppf(0.95, shape, scale=1.0 / rate.where(rate > 0))
    table["fitted"] = hyperbolic(table["posts_that_day"], b) * c
    table["label"] = (
        table["posts_that_day"]
        .astype(str)
        .where(table["posts_that_day"] < top_bucket, f"{top_bucket}+" if max_day > top_bucket else str(top_bucket))
    )

    week_top = max(int(frame["n_week"].quantile(0.9)), 1)
    week_edges = sorted({0, *np.unique(np.linspace(0, week_top, 6).round().astype(int))[1:], np.inf})
    weeks = pd.cut(frame["n_week"], week_edges)
    frame["week_bucket"] = np.array([str(i) for i in weeks.cat.categories])[weeks.cat.codes.to_numpy()]
    week_table = (
        frame.groupby("week_bucket", sort=False)
        .agg(
            posts=("O", "size"),
            weeks=("week_start", "nunique"),
            per_post=("O", "mean"),
            observed=("O", "sum"),
            expected=("E", "sum"),
            min_week=("n_week", "min"),
        )
        .sort_values("min_week")
        .reset_index()
        .drop(columns="min_week")
        .rename(columns={"week_bucket": "posts_that_week"})
    )
    week_table["ratio"] = week_table["observed"] / week_table["expected"].where(week_table["expected"] > 0)

    # Where the evidence is thin the slope's range is wide: the cap and the curve take its cautious
    # (upper) end, never a rising one, so thin or confounded data suggests fewer posts, not more.
    plan_slope = max(b_hi, 0.0)
    busy = busy_day(tweets, tz)
    cap_slope = cap_for(plan_slope, max_day, cap_share)
    cap = max(min(cap_slope, busy), 1)
    cap_range = (min(cap_for(b_hi, max_day, cap_share), busy), min(cap_for(b_lo, max_day, cap_share), busy))

    # Curve in target units: per-post earnings of a day's posts when a lone post earns `lone`, at the
    # slope the cap uses; it stops a little past the cap and the account's busy day.
    lone_days = frame["E"].mean() * c
    n_axis = np.arange(1, max(min(max_day, 2 * busy), cap + 1, 2) + 1)
    f = hyperbolic(n_axis, plan_slope)
    total = n_axis * f * lone_days
    marginal = np.diff(np.concatenate([[0.0], total]))
    curve = pd.DataFrame(
        {
            "posts_per_day": n_axis,
            "per_post": f * lone_days,
            "day_total": total,
            "marginal": marginal,
            "marginal_share": marginal / marginal[0],
        }
    )
    curve["within_cap"] = curve["posts_per_day"] <= cap
    cap_rule = (
        f"largest n whose n-th post still adds ≥ {cap_share:.0%} of what a lone post earns (at the cautious end of "
        f"the slope's 90 % range), and no more than your busy days ({busy} posts, the 75th percentile of your "
        "active days)"
    )
    reading = _volume_reading(label, b, (b_lo, b_hi), plan_slope, curve, cap, busy, cap_slope, max_day)
    return Volume(
        table=table,
        reading=reading,
        target_label=label,
        curve=curve,
        week_table=week_table,
        cap=cap,
        slope=b,
        slope_range=(b_lo, b_hi),
        cap_range=cap_range,
        dispersion=dispersion,
        cap_rule=cap_rule,
        plan_slope=plan_slope,
        busy_day=busy,
    )
