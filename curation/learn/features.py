"""The fitted feature space: text, structure, time and state blocks, centred and scaled, as one design matrix."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer

from curation.learn.structure import PLAIN_STRUCT, draft_structure, structure_values, top_domains
from curation.learn.textblock import (
    CHAR_PARAMS,
    MAX_CHAR_FEATURES,
    MAX_WORD_FEATURES,
    WORD_PARAMS,
    TextCounts,
    chosen,
    counter,
    pick_terms,
    text_for_model,
    weigher,
)
from curation.learn.timing import STATE_COLUMNS, TIME_COLUMNS, time_values

# TF-IDF values are small next to standardised dense features; scaling the text block up lowers its
# effective ridge penalty (chosen on time-ordered validation of demo and real accounts).
TEXT_WEIGHT = 2.0
CONTINUOUS = frozenset({"n_links", "mentions", "hashtags", "length", "reach_level", "posts_3h", "posts_24h", "gap",
                        "recent_level"})  # fmt: skip


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
        cols_w = pick_terms(counts.word, 2, MAX_WORD_FEATURES)
        cols_c = pick_terms(counts.char, 2 if n < 500 else 3, MAX_CHAR_FEATURES)
        self._cols = (counts.word_terms, cols_w, counts.char_terms, cols_c)
        self.word = counter(WORD_PARAMS, counts.word_terms[cols_w])
        self.char = counter(CHAR_PARAMS, counts.char_terms[cols_c])
        self.word_tfidf = weigher(chosen(counts.word, cols_w))
        self.char_tfidf = weigher(chosen(counts.char, cols_c))

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
        self.word = counter(WORD_PARAMS, list(parts["word_terms"]))  # type: ignore[call-overload]
        self.char = counter(CHAR_PARAMS, list(parts["char_terms"]))  # type: ignore[call-overload]
        self.word_tfidf, self.char_tfidf = parts["word_tfidf"], parts["char_tfidf"]  # type: ignore[assignment]

    def text_from_counts(self, counts: TextCounts) -> sp.csr_matrix:
        """The text block for rows whose counts share the fitted counts' columns (training rows)."""
        if self._cols is None or self.word_tfidf is None or self.char_tfidf is None:
            raise ValueError("this feature space was not fitted from counts")
        word_terms, cols_w, char_terms, cols_c = self._cols
        assert counts.word_terms is word_terms and counts.char_terms is char_terms
        out = sp.hstack([self.word_tfidf.transform(chosen(counts.word, cols_w), copy=False),
                         self.char_tfidf.transform(chosen(counts.char, cols_c), copy=False)], format="csr")
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
