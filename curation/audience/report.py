"""The audience report of one workspace: every analysis and one plain reading of them (pure)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from curation.audience.growth import Growth, weekly_growth
from curation.audience.ratio import (
    FollowBack,
    History,
    band,
    fmt_ratio,
    follow_back,
    follower_ratio,
    net_follows,
    pct,
    ratio_history,
)

SMALL_ACCOUNT = 500  # followers + following below this: a few follows move the ratio across a band
NOBODY_READS = 1000  # following more accounts than this, a team cannot read its stream


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
        f"ratio of {fmt_ratio(r)}, in the {b} band."
    ]
    if len(t) > 1:
        first = t.iloc[0]
        f0, g0 = int(first["followers"]), int(first["following"])
        df = (f - f0) / f0 if f0 else math.nan
        dg = (g - g0) / g0 if g0 else math.nan
        together = not (math.isnan(df) or math.isnan(dg)) and abs(df - dg) < 0.1
        parts.append(
            f"Since {first['day']} followers went from {f0:,} to {f:,} and following from {g0:,} to {g:,}: "
            + (f"{pct(df)} and {pct(dg)}, " if not (math.isnan(df) or math.isnan(dg)) else "")
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
                f"to {g + len(fb.followers_not_followed):,} followed and a ratio of {fmt_ratio(after)} "
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
