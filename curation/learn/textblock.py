"""Tweet wording -> the model's text block: n-gram counts taken once, vocabularies and TF-IDF weighting per fit."""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer

from curation.learn.structure import SHORTENERS
from curation.text import URL_RE, link_domain

_WORDISH = re.compile(r"[^\W\d_]{2,}")  # letters only: path words of a link ("blog", "guide")
# Text the features read is cut here: a post shows about 280 characters before "Show more", so the
# part that earns the click fits; a 25,000-character long post (or a hostile 5 MB one) would otherwise
# make char n-gram counts, time and memory explode (30k tweets of 1,000 random characters: 1.65 GB).
MAX_MODEL_TEXT = 300
WORD_PARAMS: dict = {"analyzer": "word", "ngram_range": (1, 2)}
CHAR_PARAMS: dict = {"analyzer": "char_wb", "ngram_range": (2, 5)}
MAX_WORD_FEATURES = 20000
MAX_CHAR_FEATURES = 30000
# From this many tweets on, word 1-2-grams carry the wording: char n-grams (most of the counting and
# fitting time) ranked the 10k-tweet bench holdout no better (Spearman 0.728 with, 0.732 without).
CHAR_MAX_ROWS = 5000


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


def pick_terms(counts: sp.csr_matrix, min_df: int, max_features: int) -> np.ndarray:
    """Columns kept: df >= min_df, at most the max_features most frequent (as CountVectorizer; ties by column)."""
    df = np.asarray((counts > 0).sum(axis=0)).ravel()
    keep = np.flatnonzero(df >= min_df)
    if len(keep) > max_features:
        tf = np.asarray(counts.sum(axis=0)).ravel()[keep]
        keep = np.sort(keep[np.argsort(-tf, kind="stable")[:max_features]])
    return keep


_PLACEHOLDER = "\x01"  # the one term of an empty vocabulary: never produced by either analyser


def counter(params: dict, terms: Sequence[str]) -> CountVectorizer:
    """A CountVectorizer over exactly these terms, in column order (an empty list: one placeholder term)."""
    vocab = [str(t) for t in terms] or [_PLACEHOLDER]
    with warnings.catch_warnings():
        # Terms were counted from lowercased text; a few letters (e.g. mathematical bold 𝐀, common in
        # tweets) stay "upper case" after lower(), which scikit-learn warns about though they match.
        warnings.filterwarnings("ignore", "Upper case characters found in vocabulary", UserWarning)
        return CountVectorizer(**params, vocabulary=vocab, dtype=np.float32).fit([])  # nothing to learn


def weigher(counts: sp.csr_matrix) -> TfidfTransformer:
    """Sublinear tf x smooth idf, l2 rows, with idf learned from these (training) counts."""
    return TfidfTransformer(sublinear_tf=True).fit(counts)


def chosen(counts: sp.csr_matrix, cols: np.ndarray) -> sp.csr_matrix:
    """The kept columns of a count matrix (the placeholder's empty column when none is kept)."""
    if not len(cols):
        return sp.csr_matrix((counts.shape[0], 1), dtype=np.float32)
    return sp.csr_matrix(counts[:, cols], dtype=np.float32)
