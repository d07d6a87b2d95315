"""What a tweet's own text, links and media say about it: the raw structure features (history and drafts)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from curation.text import domains_in, has_number, hashtags_in, is_reply_text, mentions_in, plain, text_structure

# Link shorteners hide the destination: their domain says nothing about the content.
SHORTENERS = frozenset(
    {"t.co", "bit.ly", "buff.ly", "ow.ly", "lnkd.in", "dlvr.it", "tinyurl.com", "goo.gl", "ift.tt", "trib.al"}
)
MAX_DOMAINS = 5  # link domains with their own feature (the rest count only as "has a link")
MIN_DOMAIN_TWEETS = 3
# The plain form (B3 of MODELING.md): a few structure counts, reply flag, length; no account state.
PLAIN_STRUCT = ("has_link", "hashtags", "mentions", "length", "is_reply")


def draft_frame(texts: Sequence[str], own_handle: str | None = None) -> pd.DataFrame:
    """Structure columns of the canonical frame derived from draft text alone (media unknown).

    ``own_handle``: the account's handle; a draft opening with it continues a thread (no reply).
    """
    texts = [str(t or "") for t in texts]
    domains = [" ".join(domains_in(t)) for t in texts]
    return pd.DataFrame(
        {
            "text": texts,
            "is_reply": [is_reply_text(t, own_handle) for t in texts],
            "has_link": [bool(d) for d in domains],
            "link_domains": domains,
            "n_hashtags": [hashtags_in(t) for t in texts],
            "n_mentions": [mentions_in(t) for t in texts],
            "media_type": [None] * len(texts),
        }
    )


def draft_structure(texts: Sequence[str], own_handle: str | None = None) -> list[dict[str, float]]:
    """Raw structure features of draft texts without pandas (scoring one draft must take milliseconds).

    Same values as structure_values(draft_frame(texts, own_handle), ...), media unknown (NaN); link
    domains are returned as "dom:<domain>" keys set to 1.0.
    """
    out = []
    for text in texts:
        text = str(text or "")
        domains = domains_in(text)
        no_links = plain(text)
        tags = hashtags_in(text)
        row = {
            "has_link": float(bool(domains)),
            "n_links": float(np.log1p(len(domains))),
            "media_photo": np.nan,
            "media_video": np.nan,
            "media_gif": np.nan,
            "mentions": float(np.log1p(mentions_in(text))),
            "hashtags": float(np.log1p(tags)),
            "hashtags_3plus": float(tags >= 3),
            "length": float(np.log1p(len(no_links))),
            "question": float("?" in no_links),
            "numbers": float(has_number(text)),
            "is_reply": float(is_reply_text(text, own_handle)),
        }
        row.update({f"dom:{d}": 1.0 for d in domains})
        out.append(row)
    return out


TEXT_STRUCT = ("_plain_len", "_question", "_numbers")  # text-derived columns prepare() computes once


def structure_values(rows: pd.DataFrame, domains: Sequence[str], media_known: bool = True) -> pd.DataFrame:
    """Raw (unscaled) structure features; media columns are NaN when ``media_known`` is False."""
    ts = rows[list(TEXT_STRUCT)] if all(c in rows for c in TEXT_STRUCT) else text_structure(rows["text"])
    dom_text = " " + rows["link_domains"].fillna("").astype(str).str.strip() + " "
    has_link = rows["has_link"].fillna(False).astype(bool).to_numpy()
    n_words = (dom_text.str.split().str.len()).to_numpy(float)
    n_links = np.where(has_link, np.maximum(n_words, 1), 0)
    tags = pd.to_numeric(rows["n_hashtags"], errors="coerce").fillna(0).to_numpy(float)
    media = rows["media_type"].astype(object).where(rows["media_type"].notna(), None)
    out = {
        "has_link": has_link.astype(float),
        "n_links": np.log1p(n_links.astype(float)),
        "media_photo": (media == "photo").to_numpy(float),
        "media_video": (media == "video").to_numpy(float),
        "media_gif": (media == "animated_gif").to_numpy(float),
        "mentions": np.log1p(pd.to_numeric(rows["n_mentions"], errors="coerce").fillna(0).to_numpy(float)),
        "hashtags": np.log1p(tags),
        "hashtags_3plus": (tags >= 3).astype(float),
        "length": np.log1p(ts["_plain_len"].to_numpy(float)),
        "question": ts["_question"].to_numpy(float),
        "numbers": ts["_numbers"].to_numpy(float),
    }
    if not media_known:
        for col in ("media_photo", "media_video", "media_gif"):
            out[col] = np.full(len(rows), np.nan)
    for dom in domains:
        out[f"dom:{dom}"] = dom_text.str.contains(f" {dom} ", regex=False).to_numpy(float)
    frame = pd.DataFrame(out, index=rows.index)
    if "is_reply" in rows:
        frame["is_reply"] = rows["is_reply"].fillna(False).astype(bool).to_numpy(float)
    return frame


def top_domains(rows: pd.DataFrame) -> list[str]:
    """The account's most linked domains (shorteners excluded), most frequent first."""
    counts = pd.Series(" ".join(rows["link_domains"].fillna("").astype(str)).split()).value_counts()
    counts = counts[~counts.index.isin(SHORTENERS) & (counts >= MIN_DOMAIN_TWEETS)]
    return [str(d) for d in counts.index[:MAX_DOMAINS]]
