"""Seeded synthetic B2B account, so the app is useful before any upload and tests know the truth.

The generating process (same seed, same data):

* Account "Northwind Analytics", a B2B data-tooling company, posting in America/New_York.
* 365 days ending on ``DEMO_END``; posts per day ~ Poisson(5) on weekdays, Poisson(2) at weekends
  (about 1,500 tweets in all), at local hours 7-20.
* Each tweet is one of five kinds: a *useful link* (guide, report, checklist, benchmark, case study,
  how-to: link to northwind.io), a *promo link* (product page, pricing, demo), *filler*
  ("gm", "thanks", "giveaway", "happy friday"), a *reply* to a customer (@mention), or an
  *opinion* with no link. Hashtags 0-4; a photo or video on some.
* Audience: followers grow linearly from 8,000 to 12,500; the account follows ~900 accounts
  (follower/friend ratio about 9-14: mass communication).
* impressions ~ followers x 0.09 x reach noise (log-normal, sd 0.5) x volume factor.
* url clicks: 0 without a link (true of real exports). With a link, clicks ~ Poisson(impressions x
  rate) with base rate 0.5 % and these multiplicative effects (``DEMO_EFFECTS``):
  useful wording x3, filler x0.35, three or more hashtags x0.6, posted 9-11 local x1.5,
  a photo x1.1.
* Volume: every post on a day with n posts gets reach x 1/(1 + 0.25 (n-1)),
  so per-post clicks fall as posts per day rise while the day's total still grows slowly.
* likes, reposts, replies, profile visits, follows and engagements follow from impressions and
  clicks (follows mostly from clicks: people follow after reading something worth clicking).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select

from curation.ingest import ParsedFile
from curation.schema import DAILY_COLUMNS, METRICS, TWEET_COLUMNS
from curation.store.access import Actor, audit, now
from curation.store.db import session_scope
from curation.store.models import AccountSnapshot, Draft, Workspace
from curation.store.workspaces import create_workspace
from curation.text import domains_in, hashtags_in, mentions_in
from curation.text import has_link as text_has_link
from curation.workspace.importer import import_parsed

DEMO_WORKSPACE = "Northwind Analytics (demo)"
DEMO_TIMEZONE = "America/New_York"
DEMO_END = date(2026, 10, 31)
DEMO_SEED = 7
TWITTER_EPOCH_MS = 1288834974657

# Multiplicative effects on the click rate of link tweets: the truth tests check models against.
DEMO_EFFECTS: dict[str, float] = {
    "useful_link": 3.0,  # guide/report/checklist/benchmark/case study/how-to vs a promo link
    "filler": 0.35,  # gm / thanks / giveaway / happy friday
    "hashtags_3plus": 0.6,
    "mid_morning": 1.5,  # 9:00-11:59 local
    "photo": 1.1,
}
VOLUME_SLOPE = 0.25  # per-post reach factor 1 / (1 + slope (n - 1)) for n posts that day
MID_MORNING_HOURS = (9, 10, 11)

_USEFUL = [
    "New guide: {topic} in {n} steps",
    "Our {year} benchmark report on {topic} is out",
    "Checklist: {n} things to fix in your {topic} before Q{q}",
    "Case study: how {customer} cut {topic} costs by {pct}%",
    "How to set up {topic} without a data team",
    "Free template for {topic}: the one we use ourselves",
    "We measured {topic} across {n}00 companies. Here is what we learned",
    "Step-by-step: migrating {topic} to the cloud",
]
_PROMO = [
    "Northwind {product} now supports {topic}",
    "Book a demo of {product} this week",
    "Pricing update for {product}",
    "Meet us at booth {n} to see {product}",
    "{product} {year}.{q} is live",
    "Try {product} free for {n}0 days",
]
_FILLER = [
    "gm everyone",
    "Thanks for {n}k followers!",
    "Giveaway time: retweet to win a Northwind mug",
    "Happy Friday from the Northwind team",
    "Thank you all for a great week",
    "gm, coffee first then {topic}",
]
_OPINION = [
    "Hot take: most {topic} projects fail because nobody owns the data",
    "{topic} is a people problem before it is a tooling problem",
    "Unpopular opinion: you don't need real-time {topic}",
    "What is the hardest part of {topic} at your company?",
    "Still surprised how many teams skip {topic}",
]
_REPLY = [
    "@{user} thanks, glad it helped!",
    "@{user} good question, we cover that in the docs",
    "@{user} sending you a DM now",
    "@{user} agreed, {topic} is underrated",
]
_TOPICS = [
    "data quality", "dashboards", "dbt models", "data pipelines", "forecasting", "churn analysis",
    "KPI tracking", "SQL reviews", "warehouse costs", "attribution", "cohort analysis", "ETL",
]
_PRODUCTS = ["Insight", "Pipelines", "Forecast", "Catalog"]
_CUSTOMERS = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark Retail"]
_USERS = ["dana_ops", "mike_bi", "sarahdata", "ops_lead", "jt_analytics", "cfo_kim"]
_HASHTAGS = ["#data", "#analytics", "#SaaS", "#B2B", "#dataengineering", "#BI"]
_KINDS = ("useful", "promo", "filler", "reply", "opinion")
_KIND_P = (0.30, 0.22, 0.13, 0.17, 0.18)


@dataclass(frozen=True)
class DemoDraft:
    """A draft seeded into the demo workspace; strong and weak ones, some approved."""

    text: str
    status: str


DEMO_DRAFTS: tuple[DemoDraft, ...] = (
    DemoDraft("New guide: data quality checks in 7 steps https://northwind.io/blog/dq-guide", "approved"),
    DemoDraft("Case study: how Globex cut warehouse costs by 38% https://northwind.io/cases/globex", "approved"),
    DemoDraft("Checklist: 10 things to fix in your dashboards before Q1 https://northwind.io/checklist", "approved"),
    DemoDraft("Our 2026 benchmark report on forecasting is out https://northwind.io/report", "approved"),
    DemoDraft("Book a demo of Forecast this week https://northwind.io/demo", "approved"),
    DemoDraft("gm everyone #data #analytics #SaaS #B2B", "approved"),
    DemoDraft("Giveaway time: retweet to win a Northwind mug", "approved"),
    DemoDraft("Happy Friday from the Northwind team", "approved"),
    DemoDraft("How to set up cohort analysis without a data team https://northwind.io/blog/cohorts", "draft"),
    DemoDraft("Hot take: most attribution projects fail because nobody owns the data", "draft"),
    DemoDraft("Pricing update for Catalog https://northwind.io/pricing #SaaS #B2B #data", "draft"),
    DemoDraft("Step-by-step: migrating ETL to the cloud https://northwind.io/blog/etl-cloud", "approved"),
)


def snowflake_id(ts: datetime, seq: int) -> int:
    """Tweet id whose time bits decode to ``ts`` (how X assigns ids)."""
    ms = int(ts.timestamp() * 1000)
    return ((ms - TWITTER_EPOCH_MS) << 22) + (seq % (1 << 22))


def _fill(rng: np.random.Generator, template: str, when: datetime) -> str:
    return template.format(
        topic=rng.choice(_TOPICS),
        n=int(rng.integers(3, 12)),
        year=when.year,
        q=int(rng.integers(1, 5)),
        customer=rng.choice(_CUSTOMERS),
        pct=int(rng.integers(12, 60)),
        product=rng.choice(_PRODUCTS),
        user=rng.choice(_USERS),
    )


def demo_followers(day: date) -> int:
    """Follower count of the demo account on ``day`` (linear growth 8,000 -> 12,500)."""
    start = DEMO_END - timedelta(days=364)
    frac = min(max((day - start).days / 364, 0.0), 1.0)
    return round(8000 + 4500 * frac)


def demo_tweets(seed: int = DEMO_SEED, scale: float = 1.0) -> pd.DataFrame:
    """The demo account's tweets as a canonical frame (``scale`` multiplies the posting rate)."""
    rng = np.random.default_rng(seed)
    tz = ZoneInfo(DEMO_TIMEZONE)
    rows: list[dict] = []
    start = DEMO_END - timedelta(days=364)
    seq = 0
    for offset in range(365):
        day = start + timedelta(days=offset)
        weekend = day.weekday() >= 5
        n_posts = int(rng.poisson((2.0 if weekend else 5.0) * scale))
        if n_posts == 0:
            continue
        hours = np.sort(rng.integers(7, 21, size=n_posts))
        volume_factor = 1.0 / (1.0 + VOLUME_SLOPE * (n_posts - 1))
        followers = demo_followers(day)
        for hour in hours:
            local = datetime(day.year, day.month, day.day, int(hour), int(rng.integers(0, 60)), tzinfo=tz)
            when = local.astimezone(UTC)
            kind = rng.choice(_KINDS, p=_KIND_P)
            template = rng.choice(
                {"useful": _USEFUL, "promo": _PROMO, "filler": _FILLER, "reply": _REPLY, "opinion": _OPINION}[kind]
            )
            text = _fill(rng, template, when)
            has_link = kind in ("useful", "promo") or (kind == "filler" and rng.random() < 0.35)
            if has_link:
                path = {"useful": "blog", "promo": "product", "filler": "events"}[kind]
                text += f" https://northwind.io/{path}/{int(rng.integers(100, 999))}"
            n_tags = int(rng.choice([0, 0, 0, 1, 1, 2, 3, 4])) if kind != "reply" else 0
            if n_tags:
                text += " " + " ".join(rng.choice(_HASHTAGS, size=n_tags, replace=False))
            media = None if kind == "reply" else rng.choice([None, None, None, "photo", "video"])

            reach = followers * 0.09 * float(rng.lognormal(0.0, 0.5)) * volume_factor
            if kind == "reply":
                reach *= 0.15
            impressions = max(int(rng.poisson(reach)), 1)
            clicks = 0
            if has_link:
                rate = 0.005
                if kind == "useful":
                    rate *= DEMO_EFFECTS["useful_link"]
                if kind == "filler":
                    rate *= DEMO_EFFECTS["filler"]
                if n_tags >= 3:
                    rate *= DEMO_EFFECTS["hashtags_3plus"]
                if hour in MID_MORNING_HOURS:
                    rate *= DEMO_EFFECTS["mid_morning"]
                if media == "photo":
                    rate *= DEMO_EFFECTS["photo"]
                clicks = int(rng.poisson(impressions * rate))
            like_rate = 0.012 * (1.4 if kind in ("filler", "opinion") else 1.0)
            likes = int(rng.poisson(impressions * like_rate))
            reposts = int(rng.poisson(impressions * 0.002 * (1.5 if kind == "useful" else 1.0)))
            replies = int(rng.poisson(impressions * (0.004 if kind == "opinion" else 0.001)))
            profile_visits = int(rng.poisson(impressions * 0.002 + clicks * 0.05))
            follows = int(rng.poisson(clicks * 0.03 + impressions * 0.00005))
            detail = int(rng.poisson(impressions * 0.006))
            rows.append(
                {
                    "tweet_id": str(snowflake_id(when, seq)),
                    "created_at": when,
                    "text": text,
                    "is_reply": kind == "reply",
                    "is_retweet": False,
                    # The columns an import would derive from this text (curation.text), not the generator's truth.
                    "has_link": text_has_link(text),
                    "link_domains": " ".join(domains_in(text)),
                    "n_hashtags": hashtags_in(text),
                    "n_mentions": mentions_in(text),
                    "media_type": media,
                    "lang": "en",
                    "impressions": impressions,
                    "url_clicks": clicks,
                    "engagements": likes + reposts + replies + clicks + profile_visits + detail,
                    "likes": likes,
                    "reposts": reposts,
                    "replies": replies,
                    "follows": follows,
                    "profile_visits": profile_visits,
                    "detail_expands": detail,
                }
            )
            seq += 1
    frame = pd.DataFrame(rows)
    for col in TWEET_COLUMNS:
        if col not in frame:
            frame[col] = pd.NA
    frame = frame[list(TWEET_COLUMNS)]
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    for col in METRICS:
        frame[col] = frame[col].astype("Int64")
    return frame.sort_values("created_at", ignore_index=True)


def demo_snapshots() -> pd.DataFrame:
    """Weekly follower/following counts of the demo account (ratio ~9-14, mass communication)."""
    start = DEMO_END - timedelta(days=364)
    days = [start + timedelta(days=7 * k) for k in range(53)]
    return pd.DataFrame(
        {
            "day": days,
            "followers": [demo_followers(d) for d in days],
            "following": [880 + k // 4 for k in range(len(days))],
        }
    )


def seed_demo(engine: Engine, name: str = DEMO_WORKSPACE, scale: float = 1.0) -> int:
    """Create the demo workspace with its history, snapshots and drafts; returns its id.

    Does nothing but return the id when a workspace of that name exists already.
    """
    actor = Actor.local_user()
    with session_scope(engine) as session:
        existing = session.scalar(select(Workspace.id).where(Workspace.name == name))
        if existing is not None:
            return existing
        ws = create_workspace(session, name, actor, DEMO_TIMEZONE)
        tweets = demo_tweets(scale=scale)
        parsed = ParsedFile(
            name="demo history (synthetic)",
            format="demo",
            tweets=tweets,
            daily=pd.DataFrame(columns=list(DAILY_COLUMNS)),
            as_of=datetime.combine(DEMO_END, datetime.min.time(), tzinfo=UTC),
            rows_read=len(tweets),
        )
        import_parsed(session, ws.id, actor, [parsed])
        for row in demo_snapshots().itertuples():
            session.add(
                AccountSnapshot(
                    workspace_id=ws.id, day=row.day, followers=row.followers, following=row.following, source="demo"
                )
            )
        for draft in DEMO_DRAFTS:
            session.add(
                Draft(
                    workspace_id=ws.id, text=draft.text, status=draft.status, comment="", created_by=actor.email,
                    created_at=now(), updated_by=actor.email, updated_at=now(),
                )
            )
        audit(session, ws.id, actor, "demo.seed", tweets=len(tweets))
        return ws.id
