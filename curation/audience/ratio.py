"""Follower/friend ratio: bands, the ratio over time from snapshots and daily follows, follow-back sets."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

# Band edges. "Around 1" covers accounts that follow about as many as follow them (including a
# ratio below 1); 5+ is where studies of B2B accounts find mass communication.
INTERPERSONAL_BELOW = 1.5
MASS_FROM = 5.0
BANDS: tuple[tuple[str, float, float], ...] = (
    ("interpersonal", 0.0, INTERPERSONAL_BELOW),
    ("mixed", INTERPERSONAL_BELOW, MASS_FROM),
    ("mass communication", MASS_FROM, math.inf),
)
PROFILE_URL = "https://x.com/i/user/{}"
# When two sources give a count for the same day, the one a person typed in wins.
SOURCE_PRIORITY = ("manual", "archive", "demo")


def id_key(account_id: str) -> tuple[int, str]:
    """Sort key of an account id: numeric ids by number, anything else after them."""
    return (int(account_id), account_id) if account_id.isdigit() else (10**30, account_id)


# --------------------------------------------------------------------------- bands and ratios


def band(ratio: float) -> str:
    """The band of a follower/friend ratio: interpersonal (< 1.5), mixed (1.5 to < 5), mass communication (5+)."""
    if ratio is None or (isinstance(ratio, float) and math.isnan(ratio)) or ratio < 0:
        raise ValueError(f"a ratio must be a non-negative number, not {ratio!r}")
    if ratio < INTERPERSONAL_BELOW:
        return "interpersonal"
    if ratio < MASS_FROM:
        return "mixed"
    return "mass communication"


def follower_ratio(followers: int | None, following: int | None) -> float | None:
    """Followers per followed account; None when a count is unknown, inf when following nobody."""
    if followers is None or following is None or pd.isna(followers) or pd.isna(following):
        return None
    if following == 0:
        return math.inf if followers > 0 else None
    return float(followers) / float(following)


def pct(x: float) -> str:
    return f"{x:+.0%}"


def fmt_ratio(r: float | None) -> str:
    if r is None:
        return "unknown"
    return "∞ (follows nobody)" if math.isinf(r) else f"{r:.2f}"


# --------------------------------------------------------------------------- counts over time


def local_days(created_at: pd.Series, tz: str) -> pd.Series:
    return pd.to_datetime(created_at, utc=True).dt.tz_convert(tz).dt.tz_localize(None).dt.normalize()


def own_posts(tweets: pd.DataFrame) -> pd.DataFrame:
    return tweets.loc[~tweets["is_retweet"].fillna(False).astype(bool)]


def net_follows(daily: pd.DataFrame, tweets: pd.DataFrame, tz: str) -> pd.DataFrame:
    """New follows, unfollows and net change per day, indexed by every day from the first to the last known.

    A day's numbers come from the daily/overview CSV when it has follows, else from the sum of the
    follows credited to that day's tweets (which misses unfollows and follows not credited to a tweet).
    Days neither covers have NaN and ``source`` None.
    """
    cols = ["follows", "unfollows", "net", "source"]
    parts: list[pd.DataFrame] = []
    d = daily[daily["follows"].notna()] if len(daily) else daily
    if len(d):
        idx = pd.to_datetime(pd.Series(list(d["day"]))).dt.normalize()
        part = pd.DataFrame(
            {
                "follows": d["follows"].astype("float64").to_numpy(),
                "unfollows": d["unfollows"].astype("float64").to_numpy(),
                "source": "daily CSV",
            },
            index=pd.DatetimeIndex(idx),
        )
        parts.append(part)
    t = tweets[tweets["follows"].notna()] if len(tweets) else tweets
    if len(t):
        days = local_days(t["created_at"], tz)
        per_day = t["follows"].astype("float64").groupby(days.to_numpy()).sum()
        full = pd.date_range(per_day.index.min(), per_day.index.max(), freq="D")
        part = pd.DataFrame({"follows": per_day.reindex(full, fill_value=0.0), "unfollows": np.nan, "source": "tweets"})
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=cols, index=pd.DatetimeIndex([], name="day"))
    start = min(p.index.min() for p in parts)
    end = max(p.index.max() for p in parts)
    out = pd.DataFrame(index=pd.date_range(start, end, freq="D", name="day"))
    out["follows"], out["unfollows"], out["source"] = np.nan, np.nan, None
    # Later parts fill only what earlier ones left empty: the daily CSV wins over per-tweet sums.
    for part in parts:
        empty = out["follows"].isna() & out.index.isin(part.index)
        sel = out.index[empty]
        out.loc[sel, ["follows", "unfollows"]] = part.loc[sel, ["follows", "unfollows"]].to_numpy(dtype="float64")
        out.loc[sel, "source"] = part.loc[sel, "source"].to_numpy()
    out["follows"] = out["follows"].astype("float64")
    out["unfollows"] = out["unfollows"].astype("float64")
    out["net"] = out["follows"] - out["unfollows"].fillna(0.0)
    return out[cols]


@dataclass(frozen=True, eq=False)
class History:
    """Follower and following counts by day with the ratio, its band and where each row came from."""

    table: pd.DataFrame  # day (date), followers, following (Int64), ratio (float), band, source, measured (bool)
    notes: list[str] = field(default_factory=list)

    @property
    def latest(self) -> pd.Series | None:
        return self.table.iloc[-1] if len(self.table) else None

    @property
    def summary(self) -> str:
        """One sentence for under the band chart."""
        t = self.table[self.table["ratio"].notna()]
        if t.empty:
            return "No follower/following counts yet, so there is no ratio to chart."
        last = t.iloc[-1]
        where = f"the {last['band']} band"
        if len(t) == 1:
            return f"One count so far: a ratio of {fmt_ratio(last['ratio'])} on {last['day']}, in {where}."
        first = t.iloc[0]
        return (
            f"The ratio went from {fmt_ratio(first['ratio'])} on {first['day']} to {fmt_ratio(last['ratio'])} "
            f"on {last['day']} and sits in {where}."
        )

_HISTORY_COLS = ["day", "followers", "following", "ratio", "band", "source", "measured"]


def _measured(snapshots: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """One row per day: each count from the highest-priority source that has it."""
    notes: list[str] = []
    if snapshots.empty:
        return pd.DataFrame(columns=["day", "followers", "following", "source"]), notes
    s = snapshots.copy()
    s["rank"] = s["source"].map({src: i for i, src in enumerate(SOURCE_PRIORITY)}).fillna(len(SOURCE_PRIORITY))
    s = s.sort_values(["day", "rank"])
    rows = []
    for day, group in s.groupby("day", sort=True):
        f = group[group["followers"].notna()]
        g = group[group["following"].notna()]
        rows.append(
            {
                "day": day,
                "followers": f["followers"].iloc[0] if len(f) else pd.NA,
                "following": g["following"].iloc[0] if len(g) else pd.NA,
                "source": (f if len(f) else g)["source"].iloc[0] if len(f) or len(g) else group["source"].iloc[0],
            }
        )
    m = pd.DataFrame(rows)
    m = m[m["followers"].notna() | m["following"].notna()].reset_index(drop=True)
    for col in ("followers", "following"):
        m[col] = m[col].astype("Int64")
        gaps = m[col].isna()
        if gaps.any() and m[col].notna().any():
            # e.g. follower.js and following.js uploaded on different days: use the nearest earlier count.
            m[col] = m[col].ffill().bfill()
            notes.append(
                f"On {int(gaps.sum())} day(s) only one of the two counts was known; the {col} count there is the "
                "nearest known one."
            )
    return m, notes


def _rebuild(
    anchor: pd.Series, net: pd.DataFrame, backwards: bool
) -> tuple[list[dict], str | None]:
    """Counts on the days before (or after) a measured one, from daily net follows; following is held."""
    rows: list[dict] = []
    known = net["net"].notna()
    day = pd.Timestamp(anchor["day"])
    count = float(anchor["followers"])
    step = pd.Timedelta(days=-1 if backwards else 1)
    if backwards:
        # A count is the number at the end of its day: undo that day's change first (0 if the day is not covered,
        # e.g. an archive made the day after the last CSV row).
        count -= float(net.at[day, "net"]) if day in net.index and known.at[day] else 0.0
    while True:
        nxt = day + step
        if nxt not in net.index or not known.at[nxt]:
            break
        if not backwards:
            count += float(net.at[nxt, "net"])
        if count < 0:
            return rows, (
                f"Rebuilding stopped at {nxt.date()}: the daily follows imply fewer than 0 followers, so the "
                "counts and the daily exports do not describe the same account or period."
            )
        rows.append(
            {
                "day": nxt.date(),
                "followers": round(count),
                "following": anchor["following"],
                "source": "rebuilt from daily CSV" if net.at[nxt, "source"] == "daily CSV" else "rebuilt from tweets",
            }
        )
        if backwards:
            count -= float(net.at[nxt, "net"])
        day = nxt
    return rows, None


def ratio_history(snapshots: pd.DataFrame, net: pd.DataFrame) -> History:
    """Counts by day: every stored snapshot, extended before the first and after the last from daily net follows.

    Between two measured counts the chart draws a line; the rebuilt days use new follows minus
    unfollows (or per-tweet follows where no daily CSV covers a day) and hold the following count of
    the nearest measured day, since no export reports how many accounts were followed each day.
    """
    measured, notes = _measured(snapshots)
    rows = measured.assign(measured=True).to_dict("records")
    with_followers = measured[measured["followers"].notna()]
    if len(with_followers) and len(net) and net["net"].notna().any():
        added = 0
        for anchor, backwards in ((with_followers.iloc[0], True), (with_followers.iloc[-1], False)):
            rebuilt, problem = _rebuild(anchor, net, backwards)
            rows += [dict(r, measured=False) for r in rebuilt]
            added += len(rebuilt)
            if problem:
                notes.append(problem)
        covered = net.index[net["net"].notna()]
        if added:
            sources = sorted({r["source"] for r in rows if not r["measured"]})
            notes.append(
                f"{added} day(s) are rebuilt from a measured count using daily new follows minus unfollows "
                f"({', '.join(sources)}); the following count on those days is held at the measured one."
            )
            if (net["source"] == "daily CSV").any() and net.loc[net["source"] == "daily CSV", "unfollows"].isna().all():
                notes.append("This daily export has no unfollows column, so rebuilt counts ignore unfollows.")
            if (net["source"] == "tweets").any():
                notes.append(
                    "Per-tweet follows count only follows credited to a tweet and no unfollows: days rebuilt from "
                    "them are rough."
                )
        elif len(covered) and (covered.min().date() < with_followers.iloc[0]["day"]
                               or covered.max().date() > with_followers.iloc[-1]["day"]):
            notes.append(
                f"Daily follows cover {covered.min().date()} to {covered.max().date()}, which does not touch a "
                f"measured count (first {with_followers.iloc[0]['day']}, last {with_followers.iloc[-1]['day']}); "
                "type in the counts of a day in that period to rebuild the counts around it."
            )
    table = pd.DataFrame(rows, columns=["day", "followers", "following", "source", "measured"])
    table = table.sort_values("day", ignore_index=True)
    table["followers"] = table["followers"].astype("Int64")
    table["following"] = table["following"].astype("Int64")
    ratios = [follower_ratio(f, g) for f, g in zip(table["followers"], table["following"], strict=True)]
    table["ratio"] = pd.Series([np.nan if r is None else r for r in ratios], dtype="float64")
    table["band"] = [None if r is None else band(r) for r in ratios]
    table["measured"] = table["measured"].astype(bool)
    return History(table=table[_HISTORY_COLS], notes=notes)


# --------------------------------------------------------------------------- follow-back


@dataclass(frozen=True, eq=False)
class FollowBack:
    """Who follows the account without a follow back, and whom it follows that does not follow back."""

    available: bool
    followers: int | None = None
    following: int | None = None
    mutual: int | None = None
    followers_not_followed: list[str] = field(default_factory=list)
    following_not_following_back: list[str] = field(default_factory=list)
    as_of: date | None = None
    reading: str = ""

    def frame(self, which: str) -> pd.DataFrame:
        """``which``: "followers_not_followed" or "following_not_following_back" -> account_id, profile_link."""
        ids = getattr(self, which)
        return pd.DataFrame({"account_id": ids, "profile_link": [PROFILE_URL.format(i) for i in ids]})


def follow_back(
    followers_ids: list[str] | None, following_ids: list[str] | None, as_of: date | None = None
) -> FollowBack:
    """Compare the archive's follower and following lists (ids only: an archive has no names)."""
    if followers_ids is None or following_ids is None:
        missing = " and ".join(
            n for n, ids in (("follower.js", followers_ids), ("following.js", following_ids)) if ids is None
        )
        return FollowBack(
            available=False,
            followers=None if followers_ids is None else len(set(followers_ids)),
            following=None if following_ids is None else len(set(following_ids)),
            reading=f"Upload your X archive (or its {missing}) to see who follows you without a follow back.",
        )
    fol, fing = set(followers_ids), set(following_ids)
    not_followed = sorted(fol - fing, key=id_key)
    not_back = sorted(fing - fol, key=id_key)
    mutual = len(fol & fing)
    when = f" (archive of {as_of.isoformat()})" if as_of else ""
    reading = (
        f"{len(not_followed):,} of your {len(fol):,} followers are accounts you do not follow, and "
        f"{len(not_back):,} of the {len(fing):,} accounts you follow do not follow you back; {mutual:,} follow "
        f"each other{when}."
    )
    return FollowBack(True, len(fol), len(fing), mutual, not_followed, not_back, as_of, reading)
