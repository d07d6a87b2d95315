"""History analyses behind the Insights page: each returns its numbers and a plain-language reading."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, stats

from curation.errors import NotEnoughData
from curation.facts import TARGET_LABELS, TIMING_CELL_HOURS, WEEKDAYS

GOOD_P = 0.8  # a cell is "good" only when P(theta > 1) exceeds this ...
BAD_P = 0.2  # ... and "bad" only when it is below this
CAP_SHARE = 0.5  # daily cap: the n-th post must still add >= half of what a lone post earns
_PRIOR_NU_BOUNDS = (0.5, 1e4)
_SLOPE_BOUNDS = (-0.05, 5.0)


@dataclass(frozen=True, eq=False)
class Finding:
    """The numbers behind one chart and a one-sentence plain-language reading of them."""

    table: pd.DataFrame
    reading: str
    target_label: str = "clicks"


@dataclass(frozen=True, eq=False)
class WhatWorked(Finding):
    """Per-post target by structure (``table``) plus the best and worst tweets with their numbers."""

    top: pd.DataFrame = field(default_factory=pd.DataFrame)
    bottom: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass(frozen=True, eq=False)
class BestTimes(Finding):
    """Weekday x 4-hour cells with gamma-Poisson shrunk multipliers; ``table`` has one row per cell.

    ``hours_table`` pools the weekdays: one row per 4-hour block, shrunk the same way.
    """

    hours_table: pd.DataFrame = field(default_factory=pd.DataFrame)
    prior_nu: float = 1.0
    prior_alpha: float = 1.0
    dispersion: float = 1.0
    tz: str = "UTC"

    @property
    def good_cells(self) -> pd.DataFrame:
        """Cells whose multiplier is reliably above 1 (P(theta > 1) > GOOD_P), best first."""
        good = self.table[self.table["verdict"] == "good"]
        return good.sort_values("p_better", ascending=False, ignore_index=True)


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
        return _hyperbolic(np.asarray([max(int(n), 1)]), self.slope)[0].item()

    def factors(self, up_to: int) -> list[float]:
        """factor(1) .. factor(up_to) at the fitted slope."""
        return [self.factor(n) for n in range(1, up_to + 1)]

    def plan_factor(self, n: int) -> float:
        """Per-post multiplier the planner and the cap use: the cautious end of the slope's range, never rising."""
        return _hyperbolic(np.asarray([max(int(n), 1)]), self.plan_slope)[0].item()


# --------------------------------------------------------------------------- shared preparation


def choose_target(tweets: pd.DataFrame) -> str:
    """``url_clicks`` when the history has click numbers, else ``engagement`` (likes + reposts)."""
    if "url_clicks" in tweets and tweets.loc[~_retweets(tweets), "url_clicks"].notna().any():
        return "url_clicks"
    return "engagement"


_HANDLE = re.compile(r"(?:twitter\.com|x\.com)/(?:#!/)?@?([A-Za-z0-9_]{1,15})/status", re.IGNORECASE)


def accounts(tweets: pd.DataFrame) -> list[str]:
    """The accounts a workspace's tweets belong to (lower-case handles), from a handle or permalink column.

    Empty when the data carries neither, so callers can only warn when the evidence is there.
    """
    for col in ("account_handle", "handle"):
        if col in tweets:
            found = tweets[col].dropna().astype(str).str.strip().str.lstrip("@").str.lower()
            return sorted(set(found[found != ""]))
    if "permalink" in tweets:
        found = tweets["permalink"].dropna().astype(str).str.extract(_HANDLE, expand=False).dropna().str.lower()
        return sorted(set(found))
    return []


def target_values(tweets: pd.DataFrame, target: str | None = None) -> tuple[pd.Series, str]:
    """The target per tweet as float (NaN where unknown) and its plain label ("clicks"/"engagement")."""
    target = target or choose_target(tweets)
    if target == "url_clicks":
        values = pd.to_numeric(tweets["url_clicks"], errors="coerce").astype("float64")
    elif target == "engagement":
        parts = [
            pd.to_numeric(tweets[c], errors="coerce").astype("float64") for c in ("likes", "reposts") if c in tweets
        ]
        if not parts:
            values = pd.Series(np.nan, index=tweets.index)
        else:
            values = pd.concat(parts, axis=1).sum(axis=1, min_count=1)
    else:
        raise ValueError(f"unknown target {target!r}: use 'url_clicks' or 'engagement'")
    return values, TARGET_LABELS[target]


def _retweets(tweets: pd.DataFrame) -> pd.Series:
    if "is_retweet" not in tweets:
        return pd.Series(False, index=tweets.index)
    return tweets["is_retweet"].fillna(False).astype(bool)


def _local_frame(tweets: pd.DataFrame, tz: str) -> pd.DataFrame:
    """Own posts (retweets dropped) with local calendar columns and posts-that-day / that-week counts."""
    own = tweets.loc[~_retweets(tweets)].copy()
    local = pd.to_datetime(own["created_at"], utc=True).dt.tz_convert(tz)
    naive = local.dt.tz_localize(None)
    own["local"] = local
    own["local_date"] = naive.dt.normalize()
    own["weekday"] = local.dt.day_of_week.astype("int64")
    own["hour"] = local.dt.hour.astype("int64")
    own["block"] = (own["hour"] // TIMING_CELL_HOURS) * TIMING_CELL_HOURS
    own["week_start"] = own["local_date"] - pd.to_timedelta(own["weekday"], unit="D")
    # Volume counts every own post of the day, including ones whose target is unknown.
    own["n_day"] = own.groupby("local_date")["local_date"].transform("size").astype("int64")
    own["n_week"] = own.groupby("week_start")["week_start"].transform("size").astype("int64")
    return own


def structural_expected(tweets: pd.DataFrame, target: str | None = None) -> pd.Series:
    """Stand-in content control when no model is at hand: mean target of tweets with the same structure.

    Groups are (link, reply, hashtags 0/1/2/3+, media); each group mean is shrunk towards its
    link/no-link mean with 10 pseudo-tweets. No time or volume information enters, so the
    timing and volume analyses stay honest. Indexed by tweet_id.
    """
    own = tweets.loc[~_retweets(tweets)]
    y, _ = target_values(own, target)
    link = own["has_link"].fillna(False).astype(bool)
    keys = pd.DataFrame(
        {
            "link": link,
            "reply": own["is_reply"].fillna(False).astype(bool),
            "tags": own["n_hashtags"].fillna(0).clip(upper=3).astype("int64"),
            "media": own["media_type"].fillna("none").astype(str),
            "y": y,
        }
    )
    parent = keys.groupby("link")["y"].transform("mean")
    grp = keys.groupby(["link", "reply", "tags", "media"])["y"]
    sums, counts = grp.transform("sum"), grp.transform("count")
    expected = (sums + 10.0 * parent) / (counts + 10.0)
    return pd.Series(expected.to_numpy(dtype="float64"), index=own["tweet_id"].to_numpy(), name="expected")


def _with_target(
    tweets: pd.DataFrame, tz: str, target: str | None, expected: pd.Series | None
) -> tuple[pd.DataFrame, str, str]:
    """Local frame with O (observed target) and E (content-only expectation), rows lacking either dropped."""
    target = target or choose_target(tweets)
    frame = _local_frame(tweets, tz)
    frame["O"], label = target_values(frame, target)
    if expected is None:
        expected = structural_expected(tweets, target)
    exp = pd.Series(expected, dtype="float64")
    exp = exp[~exp.index.duplicated(keep="last")]
    exp.index = exp.index.astype(str)
    frame["E"] = frame["tweet_id"].astype(str).map(exp).astype("float64")
    frame = frame[frame["O"].notna() & frame["E"].notna() & (frame["E"] >= 0)]
    return frame, target, label


def _hyperbolic(n: np.ndarray, slope: float) -> np.ndarray:
    return 1.0 / (1.0 + slope * (np.asarray(n, dtype="float64") - 1.0))


def _fit_volume(frame: pd.DataFrame) -> tuple[float, float, float, tuple[float, float]]:
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
        h = _hyperbolic(days, b)
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
    mu = e * _hyperbolic(n, b)
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


def _cap_for(slope: float, max_day: int, share: float) -> int:
    """Largest n <= max_day such that posts 1..n each add >= ``share`` of a lone post (at least 1)."""
    n = np.arange(1, max(max_day, 1) + 1)
    totals = n * _hyperbolic(n, slope)
    marginal = np.diff(np.concatenate([[0.0], totals]))
    failing = np.flatnonzero(marginal < share - 1e-12)
    # The 0-based index of the first failing post is the number of posts that pass.
    return max(int(failing[0]), 1) if failing.size else int(n[-1])


def _gamma_prior(o: np.ndarray, e: np.ndarray) -> float:
    """Prior strength nu (= alpha, prior mean 1) by Marshall's (1991) method of moments on cell ratios.

    Between-cell variance of theta = weighted variance of O/E minus its Poisson part (1 / mean E).
    No excess variance means timing explains nothing: a strong prior shrinks every cell to 1.
    """
    keep = e > 0
    if keep.sum() < 2:
        return _PRIOR_NU_BOUNDS[1]
    o, e = o[keep], e[keep]
    m = o.sum() / e.sum()
    s2 = float(np.sum(e * (o / e - m) ** 2) / e.sum())
    tau2 = s2 - m / e.mean()
    if tau2 <= 1.0 / _PRIOR_NU_BOUNDS[1]:
        return _PRIOR_NU_BOUNDS[1]
    return float(np.clip(1.0 / tau2, *_PRIOR_NU_BOUNDS))


def _fmt(x: float) -> str:
    """Numbers as a reader sees them: one decimal below 100, none above."""
    if not np.isfinite(x):
        return "n/a"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.1f}"


def cell_label(weekday: int, block: int) -> str:
    """'Tue 08-12' for weekday 1, block 8."""
    return f"{WEEKDAYS[weekday]} {block:02d}–{block + TIMING_CELL_HOURS:02d}"


# --------------------------------------------------------------------------- what worked


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
    own = _local_frame(tweets, tz)
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
            f"Posts with a link earned {_fmt(w['per_post'])} {label} per post (n={int(w['n'])}) "
            f"against {_fmt(wo['per_post'])} without (n={int(wo['n'])})"
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
                f"{among}{hi['level']} averaged {_fmt(hi['per_post'])} against {_fmt(lo['per_post'])} "
                f"for {lo['level']} (n={int(hi['n'])} and {int(lo['n'])})"
            )
    if best_part:
        parts.append(best_part)
    reading = ("; ".join(parts) + ".") if parts else f"Your posts averaged {_fmt(own['y'].mean())} {label} each."
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


# --------------------------------------------------------------------------- trend


def trend(tweets: pd.DataFrame, tz: str, target: str | None = None) -> Finding:
    """Per-post target and impressions by local week (Monday start)."""
    target = target or choose_target(tweets)
    own = _local_frame(tweets, tz)
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
        reading = f"One week with {label} numbers so far: {_fmt(known[col].iloc[0])} {label} per post."
    else:
        span = f"the first {k} week{'s' if k > 1 else ''}"
        a, b = first[col].mean(), last[col].mean()
        verb = "rose" if b > a * 1.05 else "fell" if b < a * 0.95 else "held steady"
        extras = []
        imp_a, imp_b = first["impressions_per_post"].mean(), last["impressions_per_post"].mean()
        if np.isfinite(imp_a) and np.isfinite(imp_b):
            extras.append(f"impressions per post {_fmt(imp_a)} → {_fmt(imp_b)}")
        extras.append(f"{_fmt(first['posts'].mean())} → {_fmt(last['posts'].mean())} posts a week")
        reading = (
            f"{label.capitalize()} per post {verb} from {_fmt(a)} in {span} to {_fmt(b)} in the last {k}, "
            f"with {' and '.join(extras)}."
        )
    return Finding(table=table, reading=reading, target_label=label)


# --------------------------------------------------------------------------- best times


def best_times(
    tweets: pd.DataFrame,
    tz: str,
    expected: pd.Series | None = None,
    target: str | None = None,
    control_volume: bool = True,
) -> BestTimes:
    """Weekday x 4-hour cells in ``tz``: how much more than expected each cell earned, shrunk.

    O = observed target, E = content-only expected target (``expected``, indexed by tweet_id, e.g.
    model.expected_without_time; without it a structure-only stand-in). E is multiplied by the
    fitted posts-per-day factor (``control_volume``) and rescaled so sum E = sum O: theta is then
    "times the account's usual" with busy weekdays not penalised against quiet weekends.
    Counts are deflated by the Pearson dispersion so heavy-tailed clicks do not pass for certainty.
    Gamma-Poisson: theta ~ Gamma(nu, nu) (prior mean 1, nu by method of moments), posterior
    Gamma(O + nu, E + nu); P(theta > 1) > 0.8 is "good", < 0.2 "bad".
    """
    frame, target, label = _with_target(tweets, tz, target, expected)
    if frame.empty or frame["O"].sum() <= 0:
        raise NotEnoughData(f"No {label} in the history yet: best times need tweets that earned some.")
    b, _, dispersion, _ = _fit_volume(frame)
    e = frame["E"] * (_hyperbolic(frame["n_day"], b) if control_volume else 1.0)
    frame = frame.assign(E=e * frame["O"].sum() / e.sum())

    grid = pd.MultiIndex.from_product([range(7), range(0, 24, TIMING_CELL_HOURS)], names=["weekday", "block"])
    cells = frame.groupby(["weekday", "block"]).agg(n=("O", "size"), observed=("O", "sum"), expected=("E", "sum"))
    cells = cells.reindex(grid, fill_value=0).reset_index()
    cells.insert(2, "cell", [cell_label(w, bl) for w, bl in zip(cells["weekday"], cells["block"], strict=True)])
    cells, nu = _shrink(cells, dispersion)
    blocks = frame.groupby("block").agg(n=("O", "size"), observed=("O", "sum"), expected=("E", "sum"))
    blocks = blocks.reindex(range(0, 24, TIMING_CELL_HOURS), fill_value=0).reset_index()
    blocks.insert(1, "hours", [f"{bl:02d}–{bl + TIMING_CELL_HOURS:02d}" for bl in blocks["block"]])
    blocks, _ = _shrink(blocks, dispersion)

    good = cells[cells["verdict"] == "good"].sort_values("p_better", ascending=False)
    bad = cells[cells["verdict"] == "bad"]
    good_blocks = blocks[blocks["verdict"] == "good"].sort_values("p_better", ascending=False)
    pooled = "".join(
        f"; across the whole week {r.hours} is reliably good (×{r.theta:.2f}, P = {r.p_better:.2f}, n = {int(r.n)})"
        for r in good_blocks.head(1).itertuples()
    )
    if good.empty:
        top = cells.loc[cells["p_better"].idxmax()]
        reading = (
            f"Timing makes no reliable difference to your {label}: no weekday/time cell is better than "
            f"usual with P > {GOOD_P:.1f} (closest: {top['cell']}, ×{top['theta']:.2f}, "
            f"P = {top['p_better']:.2f}, n = {int(top['n'])}){pooled}."
        )
    else:
        listed = ", ".join(
            f"{r.cell} (×{r.theta:.2f}, P = {r.p_better:.2f}, n = {int(r.n)})" for r in good.head(4).itertuples()
        )
        more = f" and {len(good) - 4} more" if len(good) > 4 else ""
        worse = f"; {len(bad)} cell{'s are' if len(bad) != 1 else ' is'} reliably weaker" if len(bad) else ""
        reading = f"Reliably good times for {label}: {listed}{more}{worse}{pooled}."
    return BestTimes(
        table=cells,
        reading=reading,
        target_label=label,
        hours_table=blocks,
        prior_nu=nu,
        prior_alpha=nu,
        dispersion=dispersion,
        tz=tz,
    )


def _shrink(cells: pd.DataFrame, dispersion: float) -> tuple[pd.DataFrame, float]:
    """Add the gamma-Poisson posterior (theta, 90 % range, P(theta > 1), verdict) to rows with n/observed/expected."""
    cells = cells.copy()
    cells["n"] = cells["n"].astype("int64")
    o_eff = cells["observed"].to_numpy(dtype="float64") / dispersion
    e_eff = cells["expected"].to_numpy(dtype="float64") / dispersion
    nu = _gamma_prior(o_eff, e_eff)
    shape, rate = o_eff + nu, e_eff + nu
    with np.errstate(divide="ignore", invalid="ignore"):
        cells["raw_ratio"] = np.where(cells["expected"] > 0, cells["observed"] / cells["expected"], np.nan)
    cells["theta"] = shape / rate
    cells["theta_low"] = stats.gamma.ppf(0.05, shape, scale=1.0 / rate)
    cells["theta_high"] = stats.gamma.ppf(0.95, shape, scale=1.0 / rate)
    cells["p_better"] = stats.gamma.sf(1.0, shape, scale=1.0 / rate)
    cells["verdict"] = np.select(
        [cells["n"] == 0, cells["p_better"] > GOOD_P, cells["p_better"] < BAD_P],
        ["no posts", "good", "bad"],
        "unclear",
    )
    return cells, nu


def slot_notes(finding: BestTimes, slots: list[pd.Timestamp] | pd.DatetimeIndex) -> list[str]:
    """Plain words per planner slot: 'Tue 10:00 is one of your reliably good times (×1.25, P = 0.97)'."""
    theta, verdict, prob = (finding.table.set_index(["weekday", "block"])[c] for c in ("theta", "verdict", "p_better"))
    notes = []
    for at in pd.DatetimeIndex(slots).tz_convert(finding.tz):
        key = (at.weekday(), (at.hour // TIMING_CELL_HOURS) * TIMING_CELL_HOURS)
        when = f"{WEEKDAYS[at.weekday()]} {at:%H:%M}"
        kind = verdict.get(key, "no posts")
        if kind == "good":
            notes.append(f"{when} is one of your reliably good times (×{theta[key]:.2f}, P = {prob[key]:.2f})")
        elif kind == "bad":
            notes.append(f"{when} is a reliably weaker time (×{theta[key]:.2f}), used for lack of better slots")
        elif kind == "no posts":
            notes.append(f"{when}: you have not posted at this time before")
        else:
            notes.append(f"{when}: timing makes no reliable difference here")
    return notes


def slot_multipliers(finding: BestTimes, slots: list[pd.Timestamp] | pd.DatetimeIndex) -> np.ndarray:
    """Shrunk timing multiplier theta per slot (1 where the history is silent)."""
    theta = finding.table.set_index(["weekday", "block"])["theta"]
    local = pd.DatetimeIndex(slots).tz_convert(finding.tz)
    keys = zip(local.day_of_week, (local.hour // TIMING_CELL_HOURS) * TIMING_CELL_HOURS, strict=True)
    return np.array([float(theta.get(k, 1.0)) for k in keys])


# --------------------------------------------------------------------------- volume


def _bucket(n: pd.Series, top: int) -> pd.Series:
    return n.clip(upper=top).astype("int64")


def busy_day_quantile(tweets: pd.DataFrame, tz: str) -> float:
    """75th percentile of own posts (retweets aside) per active local day; at least 1."""
    own = _local_frame(tweets, tz)
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
        f"×{_hyperbolic(np.array([n_shown]), b)[0]:.2f} of a lone post; slope {b:.2f}, 90 % range "
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
    frame, target, label = _with_target(tweets, tz, target, expected)
    if frame.empty or frame["O"].sum() <= 0:
        raise NotEnoughData(f"No {label} in the history yet: the volume curve needs tweets that earned some.")
    frame = frame.assign(E=frame["E"] * frame["O"].sum() / frame["E"].sum())
    b, c, dispersion, (b_lo, b_hi) = _fit_volume(frame)
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
    table["fitted"] = _hyperbolic(table["posts_that_day"], b) * c
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
    cap_slope = _cap_for(plan_slope, max_day, cap_share)
    cap = max(min(cap_slope, busy), 1)
    cap_range = (min(_cap_for(b_hi, max_day, cap_share), busy), min(_cap_for(b_lo, max_day, cap_share), busy))

    # Curve in target units: per-post earnings of a day's posts when a lone post earns `lone`, at the
    # slope the cap uses; it stops a little past the cap and the account's busy day.
    lone_days = frame["E"].mean() * c
    n_axis = np.arange(1, max(min(max_day, 2 * busy), cap + 1, 2) + 1)
    f = _hyperbolic(n_axis, plan_slope)
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


def volume_factor(finding: Volume) -> Callable[[int], float]:
    """The per-post multiplier as a plain function, for planner.plan_schedule."""
    return finding.factor
