"""Columns of the canonical frames every importer produces and every analysis reads; what an original post is."""

from __future__ import annotations

import pandas as pd

# Per-tweet metrics; a metric an export lacks is NULL (pandas <NA>), never 0.
METRICS: tuple[str, ...] = (
    "impressions",
    "url_clicks",
    "engagements",
    "likes",
    "reposts",
    "replies",
    "follows",
    "profile_visits",
    "bookmarks",
    "shares",
    "detail_expands",
    "hashtag_clicks",
    "permalink_clicks",
    "media_views",
)

# Canonical tweet frame: one row per tweet.
#   tweet_id     str, digits (Snowflake) or the post id for Mastodon
#   created_at   datetime64[ns, UTC]
#   text         str, as the author wrote it (HTML entities unescaped, never rendered as HTML)
#   is_reply     bool, reply to another account (a reply to oneself, a thread, is not a reply)
#   is_retweet   bool, a retweet/boost: stored, excluded from learning
#   has_link     bool, an external link (not a link to a tweet's own media)
#   link_domains str, space-separated lower-case domains ("" when none)
#   n_hashtags, n_mentions  int
#   media_type   str | None: photo, video, animated_gif
#   lang         str | None
#   + METRICS    Int64 (nullable)
TWEET_COLUMNS: tuple[str, ...] = (
    "tweet_id",
    "created_at",
    "text",
    "is_reply",
    "is_retweet",
    "has_link",
    "link_domains",
    "n_hashtags",
    "n_mentions",
    "media_type",
    "lang",
    *METRICS,
)

# Account-level daily metrics (legacy daily CSV, new overview CSV): one row per day.
DAILY_METRICS: tuple[str, ...] = (
    "tweets_published",
    "impressions",
    "engagements",
    "likes",
    "reposts",
    "replies",
    "url_clicks",
    "profile_visits",
    "follows",
    "unfollows",
    "bookmarks",
    "shares",
    "media_views",
    "video_views",
)
DAILY_COLUMNS: tuple[str, ...] = ("day", *DAILY_METRICS)  # day: datetime.date


def is_original(tweets: pd.DataFrame) -> pd.Series:
    """The account's own original posts: neither a reply nor a retweet (a missing flag counts as no)."""
    return ~(tweets["is_reply"].fillna(False).astype(bool) | tweets["is_retweet"].fillna(False).astype(bool))
