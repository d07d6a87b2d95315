"""A prior for small accounts: structure, time and recent-level effects learned across the real fixture accounts.

Built by ``python -m curation build-prior`` from tests/fixtures/real (never at run time, never downloaded)
and shipped as prior.json next to this module. An account is shrunk toward it by fitting its Ridge around
the prior coefficients instead of around zero (min ||y - Xw||^2 + alpha ||w - w_prior||^2).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from sklearn.linear_model import Ridge

from curation.errors import CurationError
from curation.learn.data import TrainingData, prepare, split_point
from curation.learn.features import FeatureSpace
from curation.learn.textblock import TextCounts
from curation.plain import json_safe

PRIOR_PATH = Path(__file__).with_name("prior.json")
PRIOR_ALPHA = 30.0  # pooled fit over thousands of tweets: strong enough that no one account's quirks dominate
PLAIN_ALPHA = 3.0


def dense_block(space: FeatureSpace, rows: pd.DataFrame, state: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """The plain form's dense columns (structure, time, state) and their names."""
    X = space.design(rows, state, text=False).toarray()
    return X, space.dense_names


def _account_part(data: TrainingData, tz: str, rows: slice) -> tuple[np.ndarray, np.ndarray, list[str]]:
    r, st = data.rows.iloc[rows], data.state.iloc[rows]
    space = FeatureSpace.fit(r, st, tz, with_reply=True, text=False, plain=True)
    X, names = dense_block(space, r, st)
    y = np.log1p(data.y[rows])
    return X, y - y.mean(), names


def training_part(data: TrainingData, tz: str = "UTC") -> tuple[np.ndarray, np.ndarray, list[str]]:
    """An account's contribution to a prior: its training part (never its holdout)."""
    return _account_part(data, tz, slice(0, split_point(data.rows["created_at"], 0.2)))


def fit_prior(parts: Sequence[tuple[np.ndarray, np.ndarray, list[str]]]) -> dict[str, float]:
    """Pooled Ridge over accounts (each weighted equally, targets centred per account) -> coefficient by name."""
    names = sorted({n for _, _, ns in parts for n in ns})
    col = {n: i for i, n in enumerate(names)}
    Xs, ys, ws = [], [], []
    for X, y, ns in parts:
        full = np.zeros((len(y), len(names)))
        full[:, [col[n] for n in ns]] = X
        Xs.append(full)
        ys.append(y)
        ws.append(np.full(len(y), 1.0 / max(len(y), 1)))
    m = Ridge(alpha=PRIOR_ALPHA / sum(len(y) for y in ys) * len(parts), fit_intercept=False)
    m.fit(np.vstack(Xs), np.concatenate(ys), sample_weight=np.concatenate(ws))
    return {n: float(c) for n, c in zip(names, m.coef_, strict=True)}


def prior_vector(prior: dict[str, float] | None, names: Sequence[str], n_text: int) -> np.ndarray | None:
    """The prior as a coefficient vector over [text | dense names] (text and unknown columns 0)."""
    if not prior:
        return None
    return np.concatenate([np.zeros(n_text), [prior.get(n, 0.0) for n in names]])


@dataclass
class Prior:
    """The shipped prior: coefficients by dense column name, used for accounts with at most max_train tweets."""

    coef: dict[str, float]
    max_train: int
    n_accounts: int


_OVERRIDE: list[Prior | None] = []  # set by held_out(): an evaluation's prior built without its account


@contextmanager
def held_out(prior: Prior | None) -> Iterator[None]:
    """Train with this prior instead of the shipped one (leave-one-account-out evaluation)."""
    _OVERRIDE.append(prior)
    try:
        yield
    finally:
        _OVERRIDE.pop()


def load_prior(path: Path = PRIOR_PATH) -> Prior | None:
    """The prior in use: held_out()'s inside an evaluation, else the shipped one (None when not shipped)."""
    if _OVERRIDE:
        return _OVERRIDE[-1]
    return _shipped(path)


@lru_cache(maxsize=1)
def _shipped(path: Path = PRIOR_PATH) -> Prior | None:
    """The shipped prior, or None when none is shipped (or its measurement said it does not help)."""
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not d.get("use"):
        return None
    return Prior({str(k): float(v) for k, v in d.get("coef", {}).items()}, int(d.get("max_train", 0)),
                 len(d.get("accounts", [])))  # fmt: skip


def save(prior: dict, path: Path = PRIOR_PATH) -> None:
    """Write the artifact (small JSON: coefficients, accounts, the leave-one-account-out numbers)."""
    path.write_text(json.dumps(json_safe(prior), indent=1, sort_keys=True, allow_nan=False) + "\n", encoding="utf-8")
    _shipped.cache_clear()


def account_datasets(
    loader: Callable[[], dict[str, pd.DataFrame]], tz: str = "UTC"
) -> dict[str, TrainingData]:
    """Click accounts only: each account's learned-from rows (replies included, flagged)."""
    out = {}
    for name, tweets in loader().items():
        try:
            data = prepare(tweets, tz, include_replies=None)
        except CurationError:  # an account too small or without clicks is simply not part of it
            continue
        if data.target == "url_clicks":
            out[name] = data
    return out


def _holdout_rho(data: TrainingData, tz: str, k: int, prior: dict[str, float] | None) -> float:
    """Spearman on the account's latest 20 % from a plain fit on the k tweets before it (prior or not)."""
    n = len(data.y)
    cut = split_point(data.rows["created_at"], 0.2)
    start = max(0, cut - k)
    tr, te = slice(start, cut), slice(cut, min(n, cut + 400))
    rows, state = data.rows, data.state
    counts = TextCounts.of(rows["text"].iloc[start : te.stop].tolist())
    sub = slice(0, cut - start)
    space = FeatureSpace.fit(rows.iloc[tr], state.iloc[tr], tz, with_reply=True, counts=counts.rows(sub), plain=True)
    X = space.design(rows.iloc[start : te.stop], state.iloc[start : te.stop], counts=counts)
    y = np.log1p(data.y[start : te.stop])
    w0 = prior_vector(prior, space.dense_names, space.n_text)
    Xtr, ytr = X[: cut - start], y[: cut - start]
    base = Xtr @ w0 if w0 is not None else 0.0
    m = Ridge(alpha=PLAIN_ALPHA, solver="lsqr", tol=1e-4).fit(Xtr, ytr - base)
    coef = m.coef_ + (w0 if w0 is not None else 0.0)
    f = X[cut - start :] @ coef
    yt = data.y[te]
    if np.ptp(yt) == 0 or np.ptp(f) < 1e-12:
        return float("nan")
    return float(spearmanr(yt, f).statistic)


def leave_one_account_out(datasets: dict[str, TrainingData], sizes: Sequence[int] = (30, 60, 120),
                          tz: str = "UTC") -> dict:  # fmt: skip
    """Holdout Spearman per account and training size, alone vs shrunk to a prior built without that account."""
    parts = {name: _account_part(d, tz, slice(0, split_point(d.rows["created_at"], 0.2)))
             for name, d in datasets.items()}  # fmt: skip
    table: dict[str, dict[str, dict[str, float]]] = {}
    for name, d in datasets.items():
        prior = fit_prior([p for other, p in parts.items() if other != name])
        table[name] = {str(k): {"alone": _holdout_rho(d, tz, k, None), "prior": _holdout_rho(d, tz, k, prior)}
                       for k in sizes}  # fmt: skip
    summary = {}
    for k in sizes:
        alone = np.array([table[a][str(k)]["alone"] for a in table])
        pri = np.array([table[a][str(k)]["prior"] for a in table])
        ok = np.isfinite(alone) & np.isfinite(pri)
        if not ok.any():
            continue
        summary[str(k)] = {"median_alone": float(np.median(alone[ok])), "median_prior": float(np.median(pri[ok])),
                           "mean_alone": float(np.mean(alone[ok])), "mean_prior": float(np.mean(pri[ok])),
                           "prior_better": int(np.sum(pri[ok] > alone[ok])), "accounts": int(ok.sum())}  # fmt: skip
    return {"per_account": table, "summary": summary}


def build(datasets: dict[str, TrainingData], tz: str = "UTC", sizes: Sequence[int] = (30, 60, 120, 250)) -> dict:
    """The prior from every account's training part, with the leave-one-account-out measurement that decides its use.

    ``use`` per size: the prior is applied to accounts with at most that many training tweets only where the
    median holdout Spearman improved by leave-one-account-out.
    """
    parts = [_account_part(d, tz, slice(0, split_point(d.rows["created_at"], 0.2))) for d in datasets.values()]
    coef = fit_prior(parts)
    loo = leave_one_account_out(datasets, sizes, tz)
    # helps: a better mean holdout Spearman, paired, and better on most accounts
    helps = [int(k) for k, s in loo["summary"].items()
             if s["mean_prior"] > s["mean_alone"] and 2 * s["prior_better"] > s["accounts"]]  # fmt: skip
    # the prior is used up to the largest measured size where it helped, if it helped at every smaller one
    sizes_sorted = sorted(int(k) for k in loo["summary"])
    upto = 0
    for k in sizes_sorted:
        if k not in helps:
            break
        upto = k
    return {
        "built_from": "tests/fixtures/real",
        "accounts": sorted(datasets),
        "coef": coef,
        "alpha": PRIOR_ALPHA,
        "loo": loo,
        "use": upto > 0,
        "max_train": upto,
    }
