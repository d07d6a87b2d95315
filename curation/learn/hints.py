"""Concrete hints from the account's own numbers ("3+ hashtags cut clicks by 38 % here")."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.special import stdtr
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from curation.learn.explain import asks_question
from curation.learn.textblock import TextCounts
from curation.learn.timing import MODEL_HOUR_BLOCK, local_parts
from curation.plain import json_safe

MIN_N = 8  # tweets per group before a comparison is shown
MIN_EFFECT = math.log(1.15)
MAX_P = 0.01  # several comparisons per account: a strict p keeps chance effects out of the hints
MAX_P_WORDS = 0.001  # a few hundred terms are tested: a strict p keeps chance "winners" out


def compare(y: np.ndarray, a: np.ndarray, b: np.ndarray) -> dict[str, float] | None:
    """Mean target of group a over group b, with a Welch test on log1p; None when either group is small."""
    if a.sum() < MIN_N or b.sum() < MIN_N:
        return None
    ma, mb = float(y[a].mean()), float(y[b].mean())
    if mb <= 0 or ma <= 0:
        return None
    p = welch_p(np.log1p(y[a]), np.log1p(y[b]))
    return {"ratio": ma / mb, "mean_a": ma, "mean_b": mb, "n_a": int(a.sum()), "n_b": int(b.sum()),
            "p": p if np.isfinite(p) else 1.0}  # fmt: skip


def welch_p(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sided p-value of Welch's t-test (scipy's ttest_ind costs milliseconds per call)."""
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se2 = va + vb
    if not np.isfinite(se2) or se2 <= 0:
        return 1.0
    t = (a.mean() - b.mean()) / np.sqrt(se2)
    df = se2**2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    return float(2 * stdtr(df, -abs(t)))


def notable(c: dict | None) -> bool:
    """Big enough to matter (15 %) and unlikely to be chance (p < MAX_P)."""
    return c is not None and c["p"] < MAX_P and abs(math.log(c["ratio"])) >= MIN_EFFECT


def hint_stats(
    rows: pd.DataFrame, y: np.ndarray, target: str, tz: str, history: pd.DataFrame, counts: TextCounts | None = None
) -> dict:
    """The comparisons behind every hint, JSON-safe (stored with the model).

    For clicks, content comparisons use link tweets only: without a link there is nothing to click.
    """
    label = "clicks" if target == "url_clicks" else "engagement"
    link = rows["has_link"].to_numpy(bool)
    stats: dict = {"label": label, "target": target, "tz": tz}
    if link.sum() >= MIN_N // 2 and (~link).sum() >= MIN_N // 2:
        stats["link"] = {"with": float(y[link].mean()), "without": float(y[~link].mean()),
                         "n_with": int(link.sum()), "n_without": int((~link).sum()),
                         "cmp": compare(y, link, ~link)}  # fmt: skip
    base = link if target == "url_clicks" else np.ones(len(y), bool)
    tags = pd.to_numeric(rows["n_hashtags"], errors="coerce").fillna(0).to_numpy()
    stats["hashtags"] = compare(y, base & (tags >= 3), base & (tags < 3))
    media = rows["media_type"].astype(object).to_numpy()
    no_media = pd.isna(media)
    stats["photo"] = compare(y, base & (media == "photo"), base & no_media)
    stats["video"] = compare(y, base & (media == "video"), base & no_media)
    asks = rows["text"].map(asks_question).to_numpy(bool)
    stats["question"] = compare(y, base & asks, base & ~asks)

    _, hour = local_parts(rows["created_at"], tz)
    block = hour // MODEL_HOUR_BLOCK
    best = None
    for blk in np.unique(block[base]):
        c = compare(y, base & (block == blk), base & (block != blk))
        if notable(c) and c["ratio"] > 1 and (best is None or c["ratio"] > best["ratio"]):
            best = dict(c, block=int(blk))
    stats["best_block"] = best

    # per-post target against the number of own posts that local day
    day = pd.DatetimeIndex(history["created_at"]).tz_convert(tz).normalize()
    per_day = pd.Series(1, index=day).groupby(level=0).sum()
    n_day = per_day.reindex(pd.DatetimeIndex(rows["created_at"]).tz_convert(tz).normalize()).to_numpy()
    hi_cut, lo_cut = max(int(np.quantile(n_day, 0.75)), 3), max(int(np.quantile(n_day, 0.25)), 1)
    c = compare(y, base & (n_day >= hi_cut), base & (n_day <= lo_cut)) if hi_cut > lo_cut else None
    stats["volume"] = dict(c, hi=hi_cut, lo=lo_cut) if c else None
    stats["words"] = word_lifts(rows["text"], y, base, counts)
    return json_safe(stats)


def word_lifts(texts: pd.Series, y: np.ndarray, base: np.ndarray, counts: TextCounts | None = None) -> dict[str, list]:
    """Words/phrases whose tweets earned clearly more or fewer than the rest (raw own numbers).

    ``counts``: the training n-gram counts of the same rows, reused instead of tokenising again.
    """
    n = int(base.sum())
    if n < 2 * MIN_N:
        return {"up": [], "down": []}
    if counts is None:
        counts = TextCounts.of(texts[base].tolist())
        terms, m = counts.word_terms, counts.word
    else:
        terms, m = counts.word_terms, counts.word[np.flatnonzero(base)]
    if not len(terms):
        return {"up": [], "down": []}
    has = sp.csc_matrix(m > 0, dtype=np.float64)
    df = np.asarray(has.sum(axis=0)).ravel()
    plain = np.array([not any(w in ENGLISH_STOP_WORDS for w in str(t).split()) for t in terms])
    cols = np.flatnonzero((df >= max(MIN_N, int(0.03 * n))) & (df <= n - MIN_N) & plain)
    cols = cols[np.argsort(-df[cols], kind="stable")[:300]]
    if not len(cols):
        return {"up": [], "down": []}
    yb = y[base]
    ly = np.log1p(yb)
    h = has[:, cols]
    n_a = df[cols]
    n_b = n - n_a
    mean_a, mean_b = (h.T @ yb) / n_a, (yb.sum() - h.T @ yb) / n_b
    la_sum, la_sq = h.T @ ly, h.T @ (ly**2)
    la_mean, lb_mean = la_sum / n_a, (ly.sum() - la_sum) / n_b
    va = np.maximum(la_sq - n_a * la_mean**2, 0) / (n_a - 1) / n_a
    vb = np.maximum((ly**2).sum() - la_sq - n_b * lb_mean**2, 0) / (n_b - 1) / n_b
    se2 = va + vb
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (la_mean - lb_mean) / np.sqrt(se2)
        dof = se2**2 / (va**2 / (n_a - 1) + vb**2 / (n_b - 1))
        p = np.where(se2 > 0, 2 * stdtr(dof, -np.abs(t)), 1.0)
        ratio = mean_a / mean_b
    up, down = [], []
    for k, j in enumerate(cols):
        if not (np.isfinite(ratio[k]) and ratio[k] > 0 and p[k] < MAX_P_WORDS):
            continue
        item = (str(terms[j]), float(ratio[k]), int(n_a[k]))
        if ratio[k] >= 1.5:
            up.append(item)
        elif ratio[k] <= 1 / 1.5:
            down.append(item)
    return {"up": _dedupe(sorted(up, key=lambda t: -t[1]))[:3], "down": _dedupe(sorted(down, key=lambda t: t[1]))[:3]}


def _dedupe(items: list[tuple]) -> list[tuple]:
    """Drop a phrase when one of its words (or the phrase containing it) is already listed."""
    kept: list[tuple] = []
    for it in items:
        same_words = any(set(it[0].split()) & set(k[0].split()) for k in kept)
        same_tweets = any(abs(it[1] - k[1]) < 1e-9 and it[2] == k[2] for k in kept)  # one template, two names
        if not same_words and not same_tweets:
            kept.append(it)
    return kept


def pct(ratio: float) -> str:
    return f"{round(abs(1 - ratio) * 100)} %"


def _effect(ratio: float, label: str, than: str = "") -> str:
    """'got ×1.6 clicks' / 'got 38 % fewer clicks' (+ a comparison group)."""
    if ratio >= 1:
        return f"got ×{ratio:.1f} the {label} of {than}" if than else f"got ×{ratio:.1f} {label}"
    return f"got {pct(ratio)} fewer {label}" + (f" than {than}" if than else "")


def _block_label(blk: int) -> str:
    return f"{blk * MODEL_HOUR_BLOCK:02d}:00–{(blk + 1) * MODEL_HOUR_BLOCK:02d}:00"


def link_hint(st: dict, advice: str = "") -> str | None:
    """The link comparison, or None when it is not clear; ``advice`` replaces the general conclusion."""
    link = st.get("link")
    if not link:
        return None
    label, w, wo = st["label"], link["with"], link["without"]
    if st["target"] == "url_clicks" and wo < 0.05 * max(w, 1e-9):
        return (f"Tweets with a link averaged {w:.1f} {label} here, tweets without one {wo:.1f}: "
                f"{advice or 'only a link in the tweet earns clicks'}.")  # fmt: skip
    if wo > 0 and w > 0 and notable(link.get("cmp")):
        tail = f": {advice}" if advice else ""
        return f"Tweets with a link {_effect(w / wo, label)} here ({w:.1f} vs {wo:.1f} on average){tail}."
    return None


def _hashtag_hint(c: dict, label: str) -> str:
    if c["ratio"] < 1:
        return f"3+ hashtags cut {label} by {pct(c['ratio'])} here ({c['n_a']} tweets)."
    return f"Tweets with 3+ hashtags got ×{c['ratio']:.1f} {label} here ({c['n_a']} tweets)."


def draft_hint_texts(
    st: dict, row: pd.Series | dict, slot: pd.Timestamp, tz: str, hour: int | None = None
) -> list[str]:
    """Only the hints that would change something about this draft (``hour``: the slot's local hour, if known)."""
    label = st["label"]
    out: list[str] = []
    link = st.get("link")
    if link and bool(row["has_link"]) != (link["with"] > link["without"]):
        h = link_hint(st, "try it without" if row["has_link"] else "add a link")
        if h:
            out.append(h)
    c = st.get("hashtags")
    tags = int(row["n_hashtags"])
    if notable(c) and ((tags >= 3 and c["ratio"] < 1) or (tags < 3 and c["ratio"] > 1)):
        out.append(_hashtag_hint(c, label).rstrip(".") + (": keep to two or fewer." if c["ratio"] < 1 else "."))
    c = st.get("question")
    asks = asks_question(row["text"])
    if notable(c) and ((asks and c["ratio"] < 1) or (not asks and c["ratio"] > 1)):
        out.append(f"Questions {_effect(c['ratio'], label)} here.")
    c = st.get("best_block")
    if hour is None:
        hour = int(local_parts([slot], tz)[1][0])
    if c and hour // MODEL_HOUR_BLOCK != c["block"]:
        out.append(f"Tweets posted {_block_label(c['block'])} got ×{c['ratio']:.1f} {label} here: consider that slot.")
    c = st.get("photo")
    if notable(c) and c["ratio"] > 1:
        out.append(f"If you can, add a photo: tweets with one got ×{c['ratio']:.1f} {label} here.")
    return out
