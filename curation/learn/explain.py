"""Turn a linear log-space score into named, multiplicative effects a marketer can read."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from curation.learn.features import FeatureSpace
from curation.learn.textblock import text_for_model
from curation.text import has_number, plain

_STRIP = ".,;:!?()[]{}\"'“”‘’…-–—*"
MAX_WORD_LABEL = 24


def asks_question(text: str) -> bool:
    return "?" in plain(str(text))


def _char_grams(word: str) -> set[str]:
    """The char_wb 2-5-grams of one whitespace-separated word (as the vectoriser pads it)."""
    padded = f" {word} "
    return {padded[i : i + n] for n in range(2, 6) for i in range(len(padded) - n + 1)}


def _word_label(token: str) -> str:
    return f"the word '{token}'" if 0 < len(token) <= MAX_WORD_LABEL else "the wording"


@dataclass
class TextExplainer:
    """Log-space contributions of a draft's n-grams, grouped as the words and phrases it contains.

    Word 2-grams are reported as phrases; word 1-grams by name; each char n-gram is shared out over
    the words of the draft it occurs in and added to that word's effect (so "guide" carries the
    effect of " gui", "uide " ... too). Whatever belongs to no single word is "the wording".
    """

    space: FeatureSpace
    w: np.ndarray  # text-block coefficients (already include the space's text weight via the features)
    _word_names: np.ndarray | None = field(default=None, repr=False)
    _char_names: np.ndarray | None = field(default=None, repr=False)

    def _names(self) -> tuple[np.ndarray, np.ndarray]:
        if self._word_names is None or self._char_names is None:
            assert self.space.word is not None and self.space.char is not None
            self._word_names = self.space.word.get_feature_names_out()
            self._char_names = self.space.char.get_feature_names_out()
        return self._word_names, self._char_names

    def contributions(self, text: str) -> dict[str, float]:
        word_names, char_names = self._names()
        x = self.space.text_block([text])
        n_word = len(word_names)
        doc = text_for_model(text).lower()
        words = doc.split()
        clean = [w.strip(_STRIP) or w for w in words]
        grams = [_char_grams(w) for w in words]
        out: dict[str, float] = {}
        for j, v in zip(x.indices, x.data, strict=True):
            contrib = float(self.w[j] * v)
            if contrib == 0.0:
                continue
            if j < n_word:
                name = str(word_names[j])
                label = f"the phrase '{name}'" if " " in name else _word_label(name)
                out[label] = out.get(label, 0.0) + contrib
                continue
            gram = str(char_names[j - n_word])
            owners = [i for i, g in enumerate(grams) if gram in g]
            if not owners:
                out["the wording"] = out.get("the wording", 0.0) + contrib
                continue
            for i in owners:
                label = _word_label(clean[i])
                out[label] = out.get(label, 0.0) + contrib / len(owners)
        return out


def structure_effects(names: list[str], vals: np.ndarray, row: pd.Series) -> dict[str, float]:
    """Centred structure contributions grouped under plain names for this draft (log space)."""
    v: dict[str, float] = dict.fromkeys(("has_link", "n_links", "hashtags", "hashtags_3plus", "mentions",
                                         "question", "length", "numbers"), 0.0)  # the plain form has fewer
    v.update(zip(names, vals, strict=True))
    out: dict[str, float] = {}
    link_val = v["has_link"] + v["n_links"] + sum(x for k, x in v.items() if k.startswith("dom:"))
    if row["has_link"]:
        known = [d for d in str(row["link_domains"]).split() if f"dom:{d}" in v]
        out["has a link" + (f" ({known[0]})" if known else "")] = link_val
    else:
        out["no link"] = link_val
    tags = int(row["n_hashtags"])
    label = "3+ hashtags" if tags >= 3 else "no hashtags" if tags == 0 else f"{tags} hashtag" + "s" * (tags > 1)
    out[label] = v["hashtags"] + v["hashtags_3plus"]
    mentions = int(row["n_mentions"])
    out["no mentions" if mentions == 0 else f"{mentions} mention" + "s" * (mentions > 1)] = v["mentions"]
    out["asks a question" if asks_question(row["text"]) else "no question"] = v["question"]
    out["length of the text"] = v["length"]
    out["contains numbers" if has_number(row["text"]) else "no numbers"] = v["numbers"]
    if "is_reply" in v:
        out["a reply" if row["is_reply"] else "not a reply"] = v["is_reply"]
    return out


def _word_owner_matrix(space: FeatureSpace, docs: list[list[str]]) -> sp.csr_matrix:
    """Binary (all words of all drafts) x char-gram matrix: which vocabulary grams each word produces."""
    assert space.char is not None
    words = [w for doc in docs for w in doc]
    if not words:
        return sp.csr_matrix((0, len(space.char.vocabulary_)), dtype=np.float32)
    unique, inverse = np.unique(np.array(words, dtype=object), return_inverse=True)
    # char_wb analyses each word on its own: exactly the word's grams; drafts share most words
    m = sp.csr_matrix(space.char.transform(unique.tolist()), dtype=np.float32)
    m.data[:] = 1.0
    return m[inverse.ravel()]


def batch_text_contributions(
    space: FeatureSpace, w: np.ndarray, texts: list[str], x: sp.csr_matrix | None = None
) -> list[dict[str, float]]:
    """TextExplainer.contributions for many drafts with one vectorisation and sparse products.

    A char n-gram's contribution (coefficient x value) is shared equally among the draft's words
    that contain it (the owners matrix counts them per draft), then summed per word label.
    """
    assert space.word is not None and space.char is not None
    n = len(texts)
    if x is None:
        x = space.text_block(texts)
    x = sp.csr_matrix(x)
    n_word = len(space.word.vocabulary_)
    contrib = sp.csr_matrix(x.multiply(w[None, :]))
    contrib.eliminate_zeros()
    cw, cc = contrib[:, :n_word].tocsr(), contrib[:, n_word:].tocsr()
    word_names = space.word.get_feature_names_out()
    docs = [text_for_model(t).lower().split() for t in texts]
    out: list[dict[str, float]] = [{} for _ in range(n)]
    for d in range(n):
        lo, hi = cw.indptr[d], cw.indptr[d + 1]
        row = out[d]
        for j, v in zip(cw.indices[lo:hi], cw.data[lo:hi], strict=True):
            name = str(word_names[j])
            label = f"the phrase '{name}'" if " " in name else _word_label(name)
            row[label] = row.get(label, 0.0) + float(v)
    # char grams: owners per draft and gram, then each word's share
    m = _word_owner_matrix(space, docs)
    doc_of = np.repeat(np.arange(n), [len(dw) for dw in docs])
    a = sp.csr_matrix((np.ones(len(doc_of), np.float32), (doc_of, np.arange(len(doc_of)))), shape=(n, len(doc_of)))
    owners = sp.csr_matrix(a @ m)
    share = cc.multiply(owners.power(-1)) if owners.nnz else cc.multiply(0)
    share = sp.csr_matrix(share)
    per_word = np.asarray(m.multiply(share[doc_of]).sum(axis=1)).ravel() if len(doc_of) else np.zeros(0)
    left = sp.csr_matrix(cc - cc.multiply(owners > 0))  # grams no single word owns (exact zeros otherwise)
    left.eliminate_zeros()
    orphan = np.asarray(left.sum(axis=1)).ravel()
    k = 0
    for d, words in enumerate(docs):
        row = out[d]
        for word in words:
            v = float(per_word[k])
            k += 1
            if v != 0.0:
                label = _word_label(word.strip(_STRIP) or word)
                row[label] = row.get(label, 0.0) + v
        if orphan[d] != 0.0:
            row["the wording"] = row.get("the wording", 0.0) + float(orphan[d])
    return out
