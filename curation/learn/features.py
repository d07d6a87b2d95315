"""Draft text, posting time and earlier account history -> model features (training and scoring)."""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer

from curation.text import (
    URL_RE,
    domains_in,
    has_number,
    hashtags_in,
    is_reply_text,
    link_domain,
    mentions_in,
    plain,
)
from curation.text import text_structure as text_structure

_WORDISH = re.compile(r"[^\W\d_]{2,}")  # letters only: path words of a link ("blog", "guide")

# Link shorteners hide the destination: their domain says nothing about the content.
SHORTENERS = frozenset(
    {"t.co", "bit.ly", "buff.ly", "ow.ly", "lnkd.in", "dlvr.it", "tinyurl.com", "goo.gl", "ift.tt", "trib.al"}
)
STATE_WINDOW = 20  # previous original tweets whose median impressions set the "recent reach" level
GAP_CAP_MINUTES = 7 * 24 * 60.0
MAX_DOMAINS = 5  # link domains with their own feature (the rest count only as "has a link")
MIN_DOMAIN_TWEETS = 3
# TF-IDF values are small next to standardised dense features; scaling the text block up lowers its
# effective ridge penalty (chosen on time-ordered validation of demo and real accounts).
TEXT_WEIGHT = 2.0
# Hour-of-day blocks of the model's time features: 3 h (8 per day) gives the ridge model finer timing
# than the 4-hour Insights/Planner cells (facts.TIMING_CELL_HOURS), which need more posts per cell to judge.
MODEL_HOUR_BLOCK = 3
# Text the features read is cut here: a post shows about 280 characters before "Show more", so the
# part that earns the click fits; a 25,000-character long post (or a hostile 5 MB one) would otherwise
# make char n-gram counts, time and memory explode (30k tweets of 1,000 random characters: 1.65 GB).
MAX_MODEL_TEXT = 300
# The plain form (B3 of MODELING.md): a few structure counts, reply flag, length; no account state.
PLAIN_STRUCT = ("has_link", "hashtags", "mentions", "length", "is_reply")

# Dense columns: structure_values() names the structure ones ("dom:<domain>" per account), then these.
TIME_COLUMNS = tuple(f"wd_{d}" for d in range(7)) + tuple(f"blk_{b}" for b in range(24 // MODEL_HOUR_BLOCK))
STATE_COLUMNS = ("reach_level", "posts_3h", "posts_24h", "gap", "recent_level")
VOLUME_COLUMNS = ("posts_3h", "posts_24h", "gap")
CONTINUOUS = frozenset({"n_links", "mentions", "hashtags", "length", "reach_level", "posts_3h", "posts_24h", "gap",
                        "recent_level"})  # fmt: skip
LEVEL_WINDOW = 20  # earlier learned-from tweets whose mean log1p target is the "recent level"


def text_for_model(text: str) -> str:
    """Tweet text as the vectoriser sees it: a link becomes the words of its path ("blog", "guide").

    The domain is a structure feature; shortened links (t.co) carry no readable path at all.
    """

    def _link(match: re.Match[str]) -> str:
        url = match.group(0)
        domain = link_domain(url)
        if domain in SHORTENERS:
            return " "
        path = url.split(domain, 1)[-1] if domain in url.lower() else ""
        return " " + " ".join(_WORDISH.findall(path)) + " "

    return URL_RE.sub(_link, (text or "")[:MAX_MODEL_TEXT])


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


def local_parts(times: pd.Series | pd.DatetimeIndex | Sequence[pd.Timestamp], tz: str) -> tuple[np.ndarray, np.ndarray]:
    """(weekday 0=Mon, hour) of UTC timestamps in the account's timezone."""
    idx = pd.DatetimeIndex(times if isinstance(times, pd.Series | pd.DatetimeIndex) else list(times))
    if idx.tz is None:
        idx = idx.tz_localize("UTC")
    local = idx.tz_convert(tz)
    return local.day_of_week.to_numpy(), local.hour.to_numpy()


def time_values(times: pd.Series | Sequence[pd.Timestamp], tz: str) -> np.ndarray:
    """One-hot weekday + hour block in the account's timezone, shape (n, len(TIME_COLUMNS))."""
    wd, hour = local_parts(times, tz)
    out = np.zeros((len(wd), len(TIME_COLUMNS)))
    out[np.arange(len(wd)), wd] = 1.0
    out[np.arange(len(wd)), 7 + hour // MODEL_HOUR_BLOCK] = 1.0
    return out


def _ns(times: pd.Series) -> np.ndarray:
    return pd.DatetimeIndex(pd.to_datetime(times, utc=True)).as_unit("ns").asi8


def clean_count(values: pd.Series) -> pd.Series:
    """Counts as floats; NaN where a stored value is negative, infinite or not a number (left out, never fatal)."""
    v = pd.to_numeric(values, errors="coerce").astype(float)
    return v.where(np.isfinite(v) & (v >= 0))


def history_state(tweets: pd.DataFrame) -> pd.DataFrame:
    """Account state before each tweet, from strictly earlier tweets only (index = tweets.index).

    reach_level: log1p median impressions of the previous ``STATE_WINDOW`` original tweets (NaN if none);
    posts_3h / posts_24h: log1p of own posts in the 3 h / 24 h before; gap: log1p minutes since the
    previous post (capped at a week). Retweets count as posts: they fill the same feeds.
    """
    frame = tweets.sort_values("created_at", kind="stable")
    t = _ns(frame["created_at"])
    hour = 3600 * 10**9
    # side="left": a post at the very same instant is not "earlier"
    posts_3h = np.arange(len(t)) - np.searchsorted(t, t - 3 * hour, side="left")
    posts_24h = np.arange(len(t)) - np.searchsorted(t, t - 24 * hour, side="left")
    first_same = np.searchsorted(t, t, side="left")
    posts_3h = posts_3h - (np.arange(len(t)) - first_same)
    posts_24h = posts_24h - (np.arange(len(t)) - first_same)
    prev_t = np.where(first_same > 0, t[np.maximum(first_same - 1, 0)], -1)
    gap = np.where(first_same > 0, (t - prev_t) / 6e10, GAP_CAP_MINUTES)
    gap = np.clip(gap, 0.0, GAP_CAP_MINUTES)

    original = ~(frame["is_reply"].fillna(False).astype(bool) | frame["is_retweet"].fillna(False).astype(bool))
    imp = clean_count(frame["impressions"]).where(original.to_numpy())  # a bad stored number is unknown
    level = _rolling_prior_median(imp.to_numpy(float), t)
    out = pd.DataFrame(
        {
            "reach_level": np.log1p(level),
            "posts_3h": np.log1p(posts_3h.astype(float)),
            "posts_24h": np.log1p(posts_24h.astype(float)),
            "gap": np.log1p(gap),
            "recent_level": np.nan,  # set from the target by recent_level() where the model knows it
        },
        index=frame.index,
    )
    return out.reindex(tweets.index)


def recent_level(y: np.ndarray, times: pd.Series) -> np.ndarray:
    """Mean log1p target of the previous LEVEL_WINDOW rows strictly earlier in time (NaN for the first).

    An account whose reach drifts (a bot, a campaign month) earns what it earned lately: the same
    signal as the recent-median baseline B1, as a feature of earlier tweets only.
    """
    t = _ns(times)
    logs = np.log1p(np.asarray(y, float))
    csum = np.concatenate([[0.0], np.cumsum(logs)])
    n_before = np.searchsorted(t, t, side="left")
    start = np.maximum(n_before - LEVEL_WINDOW, 0)
    count = n_before - start
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, (csum[n_before] - csum[start]) / np.maximum(count, 1), np.nan)


def _rolling_prior_median(values: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Median of the last STATE_WINDOW non-NaN values strictly before each row's time (t sorted)."""
    known = ~np.isnan(values)
    if not known.any():
        return np.full(len(values), np.nan)
    medians = pd.Series(values[known]).rolling(STATE_WINDOW, min_periods=1).median().to_numpy()
    n_before = np.searchsorted(t[known], t, side="left")  # known values strictly earlier than each row
    return np.where(n_before > 0, medians[np.maximum(n_before - 1, 0)], np.nan)


def feature_frame(tweets: pd.DataFrame, tz: str) -> pd.DataFrame:
    """Every per-tweet feature known before posting, unscaled (index = tweets.index).

    Structure from the tweet itself, weekday/hour block in ``tz``, and the account state from strictly
    earlier tweets: a tweet's row never changes when later tweets change.
    """
    frame = tweets.copy()
    for col, default in (("is_reply", False), ("is_retweet", False), ("media_type", None), ("impressions", np.nan)):
        if col not in frame:
            frame[col] = default
    struct = structure_values(frame, domains=[])
    times = pd.DataFrame(time_values(frame["created_at"], tz), columns=list(TIME_COLUMNS), index=frame.index)
    return pd.concat([struct, times, history_state(frame)], axis=1)


@dataclass
class AccountState:
    """What the model knows about the account when it scores a draft: the latest history."""

    post_times_ns: np.ndarray  # UTC ns of recent own posts, sorted
    reach_level: float  # log1p median impressions of the last original tweets (NaN if unknown)
    typical: dict[str, float] = field(default_factory=dict)  # median volume features of training rows
    target_level: float = float("nan")  # mean log1p target of the latest LEVEL_WINDOW learned-from tweets

    @classmethod
    def from_history(cls, tweets: pd.DataFrame, typical: dict[str, float]) -> AccountState:
        """Latest state after every tweet in ``tweets``."""
        t = np.sort(_ns(tweets["created_at"]))
        original = ~(tweets["is_reply"].fillna(False).astype(bool) | tweets["is_retweet"].fillna(False).astype(bool))
        frame = tweets.loc[original].sort_values("created_at", kind="stable")
        imp = clean_count(frame["impressions"]).dropna().to_numpy(float)
        level = float(np.log1p(np.median(imp[-STATE_WINDOW:]))) if len(imp) else float("nan")
        return cls(post_times_ns=t[-500:].astype(np.int64), reach_level=level, typical=dict(typical))

    def at(self, slots: Sequence[pd.Timestamp] | pd.Series) -> pd.DataFrame:
        """State features for posting at each slot.

        Within 24 h of the last known post the volume features come from the stored history; later
        slots use the account's usual rhythm (history that old says nothing about the slot's day).
        """
        s = _ns(pd.Series(list(slots)))
        t = self.post_times_ns
        hour = 3600 * 10**9
        n_before = np.searchsorted(t, s, side="left")
        posts_3h = n_before - np.searchsorted(t, s - 3 * hour, side="left")
        posts_24h = n_before - np.searchsorted(t, s - 24 * hour, side="left")
        last = np.where(n_before > 0, t[np.maximum(n_before - 1, 0)], np.iinfo(np.int64).min // 2)
        gap = np.clip((s - last) / 6e10, 0.0, GAP_CAP_MINUTES)
        out = pd.DataFrame(
            {
                "reach_level": np.full(len(s), self.reach_level),
                "posts_3h": np.log1p(posts_3h.astype(float)),
                "posts_24h": np.log1p(posts_24h.astype(float)),
                "gap": np.log1p(gap),
                "recent_level": np.full(len(s), self.target_level),
            }
        )
        stale = (n_before == 0) | ((s - last) > 24 * hour)
        for col in VOLUME_COLUMNS:
            if col in self.typical:
                out.loc[stale, col] = self.typical[col]
        return out


WORD_PARAMS: dict = {"analyzer": "word", "ngram_range": (1, 2)}
CHAR_PARAMS: dict = {"analyzer": "char_wb", "ngram_range": (2, 5)}
MAX_WORD_FEATURES = 20000
MAX_CHAR_FEATURES = 30000
# From this many tweets on, word 1-2-grams carry the wording: char n-grams (most of the counting and
# fitting time) ranked the 10k-tweet bench holdout no better (Spearman 0.728 with, 0.732 without).
CHAR_MAX_ROWS = 5000


@dataclass
class TextCounts:
    """Raw word and char n-gram counts of documents, analysed once; vocabularies are chosen per subset.

    Tokenising is the slow part of TF-IDF: training evaluates on one subset and refits on all rows,
    so both reuse these counts instead of analysing every tweet two or three times.
    """

    word_terms: np.ndarray
    word: sp.csr_matrix
    char_terms: np.ndarray
    char: sp.csr_matrix

    @classmethod
    def of(cls, texts: Sequence[str]) -> TextCounts:
        """Counts of ``texts``; the last result is reused when the same texts come again.

        Training and the content-only expectation of the Insights/Planner pages analyse the same
        history one after the other, and tokenising is most of their time.
        """
        docs = tuple(text_for_model(str(t or "")) for t in texts)
        return _count_docs(docs, len(docs) < CHAR_MAX_ROWS)

    def rows(self, idx: slice | np.ndarray) -> TextCounts:
        return TextCounts(self.word_terms, self.word[idx], self.char_terms, self.char[idx])


@lru_cache(maxsize=1)
def _count_docs(docs: tuple[str, ...], char: bool = True) -> TextCounts:
    """Raw word and char n-gram counts of prepared documents (one CountVectorizer pass each).

    ``char`` False: no char n-grams (an empty block), for histories large enough that words suffice.
    """
    parts = []
    for params in (WORD_PARAMS, CHAR_PARAMS):
        cv = CountVectorizer(**params, dtype=np.float32)
        try:
            if params is CHAR_PARAMS and not char:
                raise ValueError("char n-grams left out")
            counts = cv.fit_transform(docs)
            terms = cv.get_feature_names_out()
        except ValueError:  # no tokens at all
            counts, terms = sp.csr_matrix((len(docs), 0), dtype=np.float32), np.array([], dtype=object)
        parts += [terms, sp.csr_matrix(counts)]
    return TextCounts(*parts)


def _pick_terms(counts: sp.csr_matrix, min_df: int, max_features: int) -> np.ndarray:
    """Columns kept: df >= min_df, at most the max_features most frequent (as CountVectorizer; ties by column)."""
    df = np.asarray((counts > 0).sum(axis=0)).ravel()
    keep = np.flatnonzero(df >= min_df)
    if len(keep) > max_features:
        tf = np.asarray(counts.sum(axis=0)).ravel()[keep]
        keep = np.sort(keep[np.argsort(-tf, kind="stable")[:max_features]])
    return keep


_PLACEHOLDER = "\x01"  # the one term of an empty vocabulary: never produced by either analyser


def _counter(params: dict, terms: Sequence[str]) -> CountVectorizer:
    """A CountVectorizer over exactly these terms, in column order (an empty list: one placeholder term)."""
    vocab = [str(t) for t in terms] or [_PLACEHOLDER]
    with warnings.catch_warnings():
        # Terms were counted from lowercased text; a few letters (e.g. mathematical bold 𝐀, common in
        # tweets) stay "upper case" after lower(), which scikit-learn warns about though they match.
        warnings.filterwarnings("ignore", "Upper case characters found in vocabulary", UserWarning)
        return CountVectorizer(**params, vocabulary=vocab, dtype=np.float32).fit([])  # nothing to learn


def _weigher(counts: sp.csr_matrix) -> TfidfTransformer:
    """Sublinear tf x smooth idf, l2 rows, with idf learned from these (training) counts."""
    return TfidfTransformer(sublinear_tf=True).fit(counts)


def _chosen(counts: sp.csr_matrix, cols: np.ndarray) -> sp.csr_matrix:
    """The kept columns of a count matrix (the placeholder's empty column when none is kept)."""
    if not len(cols):
        return sp.csr_matrix((counts.shape[0], 1), dtype=np.float32)
    return sp.csr_matrix(counts[:, cols], dtype=np.float32)


@dataclass
class FeatureSpace:
    """Fitted feature layout: text vectorisers, dense columns and their centring/scaling.

    Dense features are centred on the training mean (scaled by the sd when continuous), so a
    coefficient times a centred value is an effect relative to the account's average tweet.
    """

    tz: str
    domains: list[str]
    with_reply: bool
    # Text: counting (a fixed vocabulary) then weighting, each a plain scikit-learn step, so
    # make_pipeline(word, word_tfidf) is the word block's vectoriser.
    word: CountVectorizer | None = None
    char: CountVectorizer | None = None
    word_tfidf: TfidfTransformer | None = None
    char_tfidf: TfidfTransformer | None = None
    struct_names: list[str] = field(default_factory=list)
    mean: np.ndarray = field(default_factory=lambda: np.zeros(0))
    scale: np.ndarray = field(default_factory=lambda: np.ones(0))
    text_weight: float = TEXT_WEIGHT
    plain: bool = False  # the plain form: PLAIN_STRUCT only, no account state, text weight 1
    own_handle: str | None = None  # the account's handle: a draft opening with it continues a thread
    _cols: tuple | None = field(default=None, repr=False, compare=False)  # counts columns -> vocabulary

    @property
    def dense_names(self) -> list[str]:
        return [*self.struct_names, *TIME_COLUMNS, *STATE_COLUMNS]

    @property
    def n_text(self) -> int:
        if self.word is None or self.char is None:
            return 0
        return len(self.word.vocabulary_) + len(self.char.vocabulary_)

    @property
    def has_text(self) -> bool:
        return self.word is not None and self.char is not None and self.word_tfidf is not None \
            and self.char_tfidf is not None

    @classmethod
    def fit(
        cls,
        rows: pd.DataFrame,
        state: pd.DataFrame,
        tz: str,
        with_reply: bool,
        text: bool = True,
        counts: TextCounts | None = None,
        plain: bool = False,
    ) -> FeatureSpace:
        """Learn vocabularies, top domains and scaling from training rows and their state.

        ``counts``: n-gram counts of exactly these rows (computed here when not given).
        ``plain``: the plain form's few structure features and no account state.
        """
        linked = rows.loc[rows["has_link"].fillna(False).astype(bool)]
        space = cls(tz=tz, domains=[] if plain else top_domains(linked), with_reply=with_reply, plain=plain)
        if plain:
            space.text_weight = 1.0
        struct = structure_values(rows, space.domains)
        if plain:
            struct = struct[[c for c in PLAIN_STRUCT if c in struct]]
        if not with_reply:
            struct = struct.drop(columns=["is_reply"], errors="ignore")
        space.struct_names = list(struct.columns)
        raw = np.hstack(
            [struct.to_numpy(float), time_values(rows["created_at"], tz), state[list(STATE_COLUMNS)].to_numpy(float)]
        )
        known = ~np.isnan(raw)
        count = np.maximum(known.sum(axis=0), 1)
        mean = np.where(known, raw, 0.0).sum(axis=0) / count
        sd = np.sqrt(np.where(known, (raw - mean) ** 2, 0.0).sum(axis=0) / count)
        cont = np.array([n in CONTINUOUS for n in space.dense_names])
        space.mean = mean
        space.scale = np.where(cont & (sd > 1e-9), sd, 1.0)
        if text:
            space._fit_text(counts if counts is not None else TextCounts.of(rows["text"].tolist()))
        return space

    def _fit_text(self, counts: TextCounts) -> None:
        """Vocabularies (min_df, max_features) and idf from these rows' counts: counted once, weighed per fit."""
        n = counts.word.shape[0]
        cols_w = _pick_terms(counts.word, 2, MAX_WORD_FEATURES)
        cols_c = _pick_terms(counts.char, 2 if n < 500 else 3, MAX_CHAR_FEATURES)
        self._cols = (counts.word_terms, cols_w, counts.char_terms, cols_c)
        self.word = _counter(WORD_PARAMS, counts.word_terms[cols_w])
        self.char = _counter(CHAR_PARAMS, counts.char_terms[cols_c])
        self.word_tfidf = _weigher(_chosen(counts.word, cols_w))
        self.char_tfidf = _weigher(_chosen(counts.char, cols_c))

    def text_parts(self) -> dict[str, object]:
        """What an artifact stores of the text block: each vocabulary as an array, each fitted TfidfTransformer."""
        if not self.has_text:
            return {}
        assert self.word is not None and self.char is not None
        return {"word_terms": self.word.get_feature_names_out().astype(str), "word_tfidf": self.word_tfidf,
                "char_terms": self.char.get_feature_names_out().astype(str), "char_tfidf": self.char_tfidf}  # fmt: skip

    def set_text_parts(self, parts: dict[str, object]) -> None:
        """Rebuild the text steps from text_parts() output."""
        if not parts:
            self.word = self.char = self.word_tfidf = self.char_tfidf = None
            return
        self.word = _counter(WORD_PARAMS, list(parts["word_terms"]))  # type: ignore[call-overload]
        self.char = _counter(CHAR_PARAMS, list(parts["char_terms"]))  # type: ignore[call-overload]
        self.word_tfidf, self.char_tfidf = parts["word_tfidf"], parts["char_tfidf"]  # type: ignore[assignment]

    def text_from_counts(self, counts: TextCounts) -> sp.csr_matrix:
        """The text block for rows whose counts share the fitted counts' columns (training rows)."""
        if self._cols is None or self.word_tfidf is None or self.char_tfidf is None:
            raise ValueError("this feature space was not fitted from counts")
        word_terms, cols_w, char_terms, cols_c = self._cols
        assert counts.word_terms is word_terms and counts.char_terms is char_terms
        out = sp.hstack([self.word_tfidf.transform(_chosen(counts.word, cols_w), copy=False),
                         self.char_tfidf.transform(_chosen(counts.char, cols_c), copy=False)], format="csr")
        return out * self.text_weight if self.text_weight != 1.0 else out

    def text_block(self, texts: Sequence[str]) -> sp.csr_matrix:
        """TF-IDF rows (word then char), shape (n, n_text)."""
        if not self.has_text:
            return sp.csr_matrix((len(texts), 0), dtype=np.float32)
        assert self.word is not None and self.char is not None and self.word_tfidf and self.char_tfidf
        docs = [text_for_model(str(t or "")) for t in texts]
        out = sp.hstack([self.word_tfidf.transform(self.word.transform(docs), copy=False),
                         self.char_tfidf.transform(self.char.transform(docs), copy=False)], format="csr")
        return out * self.text_weight if self.text_weight != 1.0 else out

    def struct_block(self, rows: pd.DataFrame, media_known: bool = True) -> np.ndarray:
        """Centred/scaled structure features; unknown values sit at the mean (contribute nothing)."""
        vals = structure_values(rows, self.domains, media_known=media_known)
        vals = vals.reindex(columns=self.struct_names, fill_value=0.0).to_numpy(float)
        k = len(self.struct_names)
        return self._centre(vals, slice(0, k))

    def draft_struct_block(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(struct_block, has_link) for draft texts (media unknown), computed without pandas."""
        rows = draft_structure(texts, self.own_handle)
        raw = np.array([[r.get(n, 0.0) for n in self.struct_names] for r in rows], dtype=float)
        k = len(self.struct_names)
        has_link = np.array([r["has_link"] > 0 for r in rows], dtype=bool)
        return self._centre(raw.reshape(len(rows), k), slice(0, k)), has_link

    def time_block(self, times: pd.Series | Sequence[pd.Timestamp]) -> np.ndarray:
        k = len(self.struct_names)
        return self._centre(time_values(times, self.tz), slice(k, k + len(TIME_COLUMNS)))

    def state_block(self, state: pd.DataFrame) -> np.ndarray:
        k = len(self.struct_names) + len(TIME_COLUMNS)
        out = self._centre(state[list(STATE_COLUMNS)].to_numpy(float), slice(k, k + len(STATE_COLUMNS)))
        if self.plain:  # of the account state the plain form reads only the recent level
            out[:, [i for i, c in enumerate(STATE_COLUMNS) if c != "recent_level"]] = 0.0
        return out

    def _centre(self, vals: np.ndarray, cols: slice) -> np.ndarray:
        out = (vals - self.mean[cols]) / self.scale[cols]
        return np.where(np.isnan(out), 0.0, out)

    def design(
        self,
        rows: pd.DataFrame,
        state: pd.DataFrame,
        text: bool = True,
        time: bool = True,
        counts: TextCounts | None = None,
    ) -> sp.csr_matrix:
        """Full design matrix [text | structure | time | state] for rows with known history state."""
        blocks = []
        if text:
            tb = self.text_from_counts(counts) if counts is not None else self.text_block(rows["text"].tolist())
            blocks.append(tb)
        dense = [self.struct_block(rows)]
        dense.append(self.time_block(rows["created_at"]) if time else np.zeros((len(rows), len(TIME_COLUMNS))))
        dense.append(self.state_block(state))
        blocks.append(sp.csr_matrix(np.hstack(dense)))
        return sp.hstack(blocks, format="csr")

    def text_names(self) -> list[str]:
        """Feature names of the text block, prefixed 'w:' (word n-gram) or 'c:' (char n-gram)."""
        if self.word is None or self.char is None:
            return []
        words = [f"w:{n}" for n in self.word.get_feature_names_out()]
        return words + [f"c:{n}" for n in self.char.get_feature_names_out()]
