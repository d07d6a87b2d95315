"""Audience strategy: follower/friend ratio over time, its band, follow-back sets and what moved followers."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
from scipy import stats
from sqlalchemy import select
from sqlalchemy.orm import Session

from curation.errors import CurationError
from curation.insights import choose_target, target_values
from curation.store.access import Actor, audit, bump_data_version, get_workspace, require_role
from curation.store.models import AccountSnapshot, AudienceId, DailyMetric, Tweet

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
MIN_WEEKS = 6  # fewer complete weeks than this: no correlation is reported
CLEAR_P = 0.05
CLOSE_RHO = 0.15  # two clear correlations closer than this are "both", not a winner
SMALL_ACCOUNT = 500  # followers + following below this: a few follows move the ratio across a band
NOBODY_READS = 1000  # following more accounts than this, a team cannot read its stream
EARLIEST_DAY = date(2006, 3, 21)  # the first tweet


class InvalidSnapshot(CurationError):
    """Typed-in follower/following counts that cannot be right."""


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


def _pct(x: float) -> str:
    return f"{x:+.0%}"


def _fmt_ratio(r: float | None) -> str:
    if r is None:
        return "unknown"
    return "∞ (follows nobody)" if math.isinf(r) else f"{r:.2f}"


# --------------------------------------------------------------------------- loading and writing


@dataclass(frozen=True, eq=False)
class AudienceData:
    """Everything the audience analyses read from one workspace (frames are small and column-limited)."""

    name: str
    tz: str
    snapshots: pd.DataFrame  # day, followers, following, source
    daily: pd.DataFrame  # day, follows, unfollows, tweets_published, url_clicks, likes, reposts
    tweets: pd.DataFrame  # created_at, is_retweet, url_clicks, likes, reposts, follows
    followers_ids: list[str] | None
    following_ids: list[str] | None
    ids_as_of: date | None = None


_DAILY_COLS = ("follows", "unfollows", "tweets_published", "url_clicks", "likes", "reposts")
_TWEET_COLS = ("created_at", "is_retweet", "url_clicks", "likes", "reposts", "follows")


def _id_key(account_id: str) -> tuple[int, str]:
    return (int(account_id), account_id) if account_id.isdigit() else (10**30, account_id)


def load_audience(session: Session, workspace_id: int, actor: Actor) -> AudienceData:
    """Snapshots, daily follows, per-tweet follows and the archive's id lists of a workspace."""
    require_role(session, workspace_id, actor, "viewer")
    ws = get_workspace(session, workspace_id)
    snaps = pd.DataFrame(
        session.execute(
            select(AccountSnapshot.day, AccountSnapshot.followers, AccountSnapshot.following, AccountSnapshot.source)
            .where(AccountSnapshot.workspace_id == workspace_id)
            .order_by(AccountSnapshot.day)
        ).all(),
        columns=["day", "followers", "following", "source"],
    )
    daily = pd.DataFrame(
        session.execute(
            select(DailyMetric.day, *[getattr(DailyMetric, c) for c in _DAILY_COLS])
            .where(DailyMetric.workspace_id == workspace_id)
            .order_by(DailyMetric.day)
        ).all(),
        columns=["day", *_DAILY_COLS],
    )
    tweets = pd.DataFrame(
        session.execute(
            select(*[getattr(Tweet, c) for c in _TWEET_COLS]).where(Tweet.workspace_id == workspace_id)
        ).all(),
        columns=list(_TWEET_COLS),
    )
    tweets["created_at"] = pd.to_datetime(tweets["created_at"], utc=True)
    for frame, cols in ((daily, _DAILY_COLS), (tweets, _TWEET_COLS[2:]), (snaps, ("followers", "following"))):
        for c in cols:
            frame[c] = pd.to_numeric(frame[c]).astype("Int64")
    ids: dict[str, list[str]] = {"follower": [], "following": []}
    for kind, account_id in session.execute(
        select(AudienceId.kind, AudienceId.account_id).where(AudienceId.workspace_id == workspace_id)
    ):
        ids.setdefault(kind, []).append(account_id)
    archive = snaps[snaps["source"] == "archive"]

    def id_list(kind: str, column: str) -> list[str] | None:
        # No rows can mean "no list uploaded" or "an uploaded list of nobody": the archive snapshot tells.
        if ids[kind] or (archive[column].notna() & (archive[column] == 0)).any():
            return sorted(ids[kind], key=_id_key)
        return None

    return AudienceData(
        name=ws.name,
        tz=ws.timezone or "UTC",
        snapshots=snaps,
        daily=daily,
        tweets=tweets,
        followers_ids=id_list("follower", "followers"),
        following_ids=id_list("following", "following"),
        ids_as_of=archive["day"].max() if len(archive) else None,
    )


def _check_count(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InvalidSnapshot(f"The {what} count must be a whole number, not {value!r}.")
    if not 0 <= int(value) < 10**10:
        raise InvalidSnapshot(f"The {what} count must be between 0 and 9,999,999,999; {value:,} is not.")
    return int(value)


def add_snapshot(
    session: Session, workspace_id: int, actor: Actor, day: date, followers: int, following: int
) -> AccountSnapshot:
    """Record typed-in follower/following counts for a day (editors); a second entry that day replaces the first.

    Raises PermissionDenied for viewers and InvalidSnapshot for counts or dates that cannot be right.
    """
    require_role(session, workspace_id, actor, "editor")
    if isinstance(day, datetime) or not isinstance(day, date):
        raise InvalidSnapshot(f"Give the day as a date (YYYY-MM-DD), not {day!r}.")
    latest = datetime.now(UTC).date() + timedelta(days=1)  # a day ahead: the user's timezone may be ahead of UTC
    if not EARLIEST_DAY <= day <= latest:
        raise InvalidSnapshot(
            f"{day.isoformat()} is outside {EARLIEST_DAY.isoformat()} to today. Give the day you read the counts."
        )
    followers = _check_count(followers, "followers")
    following = _check_count(following, "following")
    snap = session.scalar(
        select(AccountSnapshot).where(
            AccountSnapshot.workspace_id == workspace_id,
            AccountSnapshot.day == day,
            AccountSnapshot.source == "manual",
        )
    )
    if snap is None:
        snap = AccountSnapshot(workspace_id=workspace_id, day=day, source="manual")
        session.add(snap)
    snap.followers, snap.following = followers, following
    audit(session, workspace_id, actor, "audience.snapshot", day=day.isoformat(), followers=followers,
          following=following)
    bump_data_version(session, workspace_id)
    return snap


# --------------------------------------------------------------------------- counts over time


def _local_days(created_at: pd.Series, tz: str) -> pd.Series:
    return pd.to_datetime(created_at, utc=True).dt.tz_convert(tz).dt.tz_localize(None).dt.normalize()


def _own(tweets: pd.DataFrame) -> pd.DataFrame:
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
        days = _local_days(t["created_at"], tz)
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
            return f"One count so far: a ratio of {_fmt_ratio(last['ratio'])} on {last['day']}, in {where}."
        first = t.iloc[0]
        return (
            f"The ratio went from {_fmt_ratio(first['ratio'])} on {first['day']} to {_fmt_ratio(last['ratio'])} "
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
    not_followed = sorted(fol - fing, key=_id_key)
    not_back = sorted(fing - fol, key=_id_key)
    mutual = len(fol & fing)
    when = f" (archive of {as_of.isoformat()})" if as_of else ""
    reading = (
        f"{len(not_followed):,} of your {len(fol):,} followers are accounts you do not follow, and "
        f"{len(not_back):,} of the {len(fing):,} accounts you follow do not follow you back; {mutual:,} follow "
        f"each other{when}."
    )
    return FollowBack(True, len(fol), len(fing), mutual, not_followed, not_back, as_of, reading)


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

    own = _own(tweets) if len(tweets) else tweets
    tweet_weeks = pd.Series(dtype="datetime64[ns]")
    if len(own):
        local = _local_days(own["created_at"], tz)
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


# --------------------------------------------------------------------------- the report


@dataclass(frozen=True, eq=False)
class AudienceReport:
    """The Audience page and `python -m curation audience` in one object."""

    name: str
    history: History
    follow_back: FollowBack
    growth: Growth
    reading: str

    @property
    def band(self) -> str | None:
        t = self.history.table[self.history.table["band"].notna()]
        return t["band"].iloc[-1] if len(t) else None

    def to_dict(self) -> dict:
        """The JSON of `python -m curation audience --json`."""
        t = self.history.table
        fb, g = self.follow_back, self.growth

        def num(x: object) -> object:
            if x is None or pd.isna(x) or (isinstance(x, float) and math.isinf(x)):
                return None
            return round(float(x), 4) if isinstance(x, float | np.floating) else int(x)

        return {
            "workspace": self.name,
            "ratio_history": [
                {"day": r.day.isoformat(), "followers": num(r.followers), "following": num(r.following),
                 "ratio": num(r.ratio), "source": r.source}
                for r in t.itertuples()
            ],
            "band": self.band,
            "reading": self.reading,
            "notes": list(self.history.notes),
            "follow_back": {
                "available": fb.available,
                "as_of": fb.as_of.isoformat() if fb.as_of else None,
                "followers": fb.followers,
                "following": fb.following,
                "mutual": fb.mutual,
                "followers_not_followed": len(fb.followers_not_followed) if fb.available else None,
                "following_not_following_back": len(fb.following_not_following_back) if fb.available else None,
            },
            "growth": {
                "basis": g.basis,
                "quality": g.quality_label,
                "weeks": len(g.table),
                "rho_quality": num(g.rho_quality),
                "p_quality": num(g.p_quality),
                "rho_volume": num(g.rho_volume),
                "p_volume": num(g.p_volume),
                "follows_best_quality_weeks": num(g.follows_best_quality),
                "follows_busiest_weeks": num(g.follows_busiest),
                "follows_typical_week": num(g.follows_typical),
                "verdict": g.verdict,
                "reading": g.reading,
                "weekly": [
                    {"week_start": r.week_start.date().isoformat(), "follows": num(r.follows), "posts": num(r.posts),
                     "quality": num(r.quality)}
                    for r in g.table.itertuples()
                ],
            },
        }


_VERDICT_WORDS = {
    "quality": "quality showed the clearer link",
    "volume": "volume showed the clearer link",
    "both": "both went with more follows",
    "neither": "neither showed a clear link",
}


def audience_reading(history: History, fb: FollowBack, growth: Growth) -> str:
    """What the account's position means and what it implies for following back, in its own numbers."""
    t = history.table[history.table["ratio"].notna()]
    if t.empty:
        return (
            "No follower/following counts yet. Upload your X archive (follower.js and following.js) or type in "
            "the counts of a day to place the account on the ratio bands."
        )
    last = t.iloc[-1]
    f, g, r, b = int(last["followers"]), int(last["following"]), float(last["ratio"]), str(last["band"])
    rebuilt = "" if last["measured"] else " (rebuilt from daily follows)"
    parts = [
        f"On {last['day']} the account had {f:,} followers and followed {g:,} accounts{rebuilt}: a follower/friend "
        f"ratio of {_fmt_ratio(r)}, in the {b} band."
    ]
    if len(t) > 1:
        first = t.iloc[0]
        f0, g0 = int(first["followers"]), int(first["following"])
        df = (f - f0) / f0 if f0 else math.nan
        dg = (g - g0) / g0 if g0 else math.nan
        together = not (math.isnan(df) or math.isnan(dg)) and abs(df - dg) < 0.1
        parts.append(
            f"Since {first['day']} followers went from {f0:,} to {f:,} and following from {g0:,} to {g:,}: "
            + (f"{_pct(df)} and {_pct(dg)}, " if not (math.isnan(df) or math.isnan(dg)) else "")
            + ("the two grew together, the pattern of a personal network." if together
               else "the two did not grow together.")
        )
    if b == "mass communication":
        parts.append(
            "Accounts here use X as mass communication, like larger firms, business media and experienced "
            "executives: keep following curated, answer genuine mentions, and win followers with tweets worth "
            "clicking."
        )
        would = g + (len(fb.followers_not_followed) if fb.available else f)
        if would >= NOBODY_READS:
            parts.append(
                f"Following everyone back would put the tweets of {'' if fb.available else 'up to '}{would:,} "
                "accounts in your stream; nobody reads that many."
            )
    elif b == "mixed":
        parts.append(
            "Accounts here mix conversation and broadcasting: follow back customers, partners and people who "
            "mention you with real questions, not everyone, or the stream fills with noise."
        )
    else:
        parts.append(
            "Accounts here use X interpersonally, following back out of politeness; that keeps the counts "
            "together but does not reach new people, which tweets worth clicking do."
        )
    if f + g < SMALL_ACCOUNT:
        parts.append(f"With {f + g:,} accounts in all, a handful of follows moves the ratio across a band.")
    if fb.available and fb.followers_not_followed:
        after = follower_ratio(f, g + len(fb.followers_not_followed))
        if after is not None:
            parts.append(
                f"Following back all {len(fb.followers_not_followed):,} followers you do not follow would take you "
                f"to {g + len(fb.followers_not_followed):,} followed and a ratio of {_fmt_ratio(after)} "
                f"({band(after)})."
            )
    if growth.follows_best_quality is not None and growth.verdict in _VERDICT_WORDS:
        parts.append(
            f"Your own weeks: around your best posts you gained {growth.follows_best_quality:.1f} follows a week, "
            f"around your busiest weeks {growth.follows_busiest:.1f} ({_VERDICT_WORDS[growth.verdict]})."
        )
    return " ".join(parts)


def audience_report(data: AudienceData) -> AudienceReport:
    """All audience analyses of one workspace's data (pure: no database)."""
    net = net_follows(data.daily, data.tweets, data.tz)
    history = ratio_history(data.snapshots, net)
    fb = follow_back(data.followers_ids, data.following_ids, data.ids_as_of)
    growth = weekly_growth(data.daily, data.tweets, data.tz)
    return AudienceReport(data.name, history, fb, growth, audience_reading(history, fb, growth))


def build_report(session: Session, workspace_id: int, actor: Actor) -> AudienceReport:
    """Load a workspace's audience data and analyse it (viewers may)."""
    return audience_report(load_audience(session, workspace_id, actor))
