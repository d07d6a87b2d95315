"""B3, the plain reference model of MODELING.md, computed exactly as described there (a baseline on the card)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import Ridge

from curation.learn.textblock import MAX_MODEL_TEXT
from curation.learn.timing import local_parts

B3_ALPHA = 3.0
B3_MAX_CHAR = 20_000
B3_MAX_WORD = 20_000  # not in the description; bounds memory on huge histories


def _text(rows: pd.DataFrame) -> list[str]:
    return [str(t)[:MAX_MODEL_TEXT] for t in rows["text"].fillna("")]


def _dense(rows: pd.DataFrame, tz: str) -> np.ndarray:
    """has-link, number of '#', number of '@', starts-with-'@', length; one-hot local hour and weekday."""
    text = rows["text"].fillna("").astype(str)
    wd, hour = local_parts(rows["created_at"], tz)
    onehot = np.zeros((len(rows), 31))
    onehot[np.arange(len(rows)), hour] = 1.0
    onehot[np.arange(len(rows)), 24 + wd] = 1.0
    struct = np.column_stack([
        rows["has_link"].fillna(False).astype(bool).to_numpy(float),
        text.str.count("#").to_numpy(float),
        text.str.count("@").to_numpy(float),
        text.str.lstrip().str.startswith("@").to_numpy(float),
        text.str.len().to_numpy(float),
    ])  # fmt: skip
    return np.hstack([struct, onehot])


def b3_predict(train: pd.DataFrame, y: np.ndarray, test: pd.DataFrame, tz: str, char: bool = True) -> np.ndarray:
    """B3's predicted target for ``test`` from a fit on ``train`` (every tweet, replies included).

    ``char`` False: without the char n-gram block (large histories, as the model itself: CHAR_MAX_ROWS).
    """
    blocks_tr, blocks_te = [], []
    docs_tr, docs_te = _text(train), _text(test)
    grams = [{"analyzer": "word", "ngram_range": (1, 2), "max_features": B3_MAX_WORD}]
    if char:
        grams.append({"analyzer": "char_wb", "ngram_range": (2, 5), "max_features": B3_MAX_CHAR})
    for params in grams:
        vec = TfidfVectorizer(sublinear_tf=True, min_df=2, dtype=np.float32, **params)
        try:
            blocks_tr.append(vec.fit_transform(docs_tr))
            blocks_te.append(vec.transform(docs_te))
        except ValueError:  # too few documents or no shared terms: the block is left out
            continue
    d_tr, d_te = _dense(train, tz), _dense(test, tz)
    mean, sd = d_tr[:, :5].mean(axis=0), d_tr[:, :5].std(axis=0)
    sd = np.where(sd > 1e-9, sd, 1.0)
    d_tr[:, :5], d_te[:, :5] = (d_tr[:, :5] - mean) / sd, (d_te[:, :5] - mean) / sd
    X_tr = sp.hstack([*blocks_tr, sp.csr_matrix(d_tr)], format="csr")
    X_te = sp.hstack([*blocks_te, sp.csr_matrix(d_te)], format="csr")
    m = Ridge(alpha=B3_ALPHA, solver="lsqr", tol=1e-4).fit(X_tr, np.log1p(np.asarray(y, float)))
    return np.maximum(np.expm1(m.predict(X_te)), 0.0)
