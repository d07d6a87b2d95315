"""Judging fits on tweets they never saw: holdout scores and intervals, B3, the candidate table, the replies check."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from curation.learn import fitting
from curation.learn.baselines import b3_predict
from curation.learn.card import fmt
from curation.learn.data import MIN_TRAIN, TrainingData, engagement, split_point
from curation.learn.features import FeatureSpace
from curation.learn.fitting import Scorer
from curation.learn.textblock import CHAR_MAX_ROWS, TextCounts
from curation.learn.trained import upper_bound
from curation.learn.util import clean_count

HOLDOUT_SHARE = 0.2
REPLY_CHECK_ROWS = 8000  # latest learned-from tweets the with/without-replies validation reads
B3_MAX_TRAIN = 6000  # latest training tweets the B3 baseline of the card learns from (as INNER_MAX)


def replies_help(data: TrainingData, tz: str) -> tuple[bool, str]:
    """(learn from replies?, why): pooled rolling-origin validation of the plain form, scored on originals."""
    # The question is settled on the latest REPLY_CHECK_ROWS tweets: thousands of them decide it as well as
    # twenty thousand, and the counts are shared with the training that follows.
    start = max(0, len(data.y) - REPLY_CHECK_ROWS)
    counts = TextCounts.of(data.rows["text"].tolist()).rows(slice(start, None))
    rows, y, state = data.rows.iloc[start:].reset_index(drop=True), data.y[start:], data.state.iloc[start:]
    state = state.reset_index(drop=True)
    reply = rows["is_reply"].to_numpy(bool)
    cut = split_point(rows["created_at"], HOLDOUT_SHARE)
    n_orig = int((~reply[:cut]).sum())
    if n_orig < int(0.8 * MIN_TRAIN):
        return True, f"only {int((~reply).sum())} original tweets carry the target"
    space = FeatureSpace.fit(rows.iloc[:cut], state.iloc[:cut], tz, with_reply=True,
                             counts=counts.rows(slice(0, cut)), plain=True)  # fmt: skip
    X = space.design(rows, state, counts=counts)
    link = rows["has_link"].to_numpy(bool)
    cand = fitting.Candidate("B3", "ridge_log1p", fitting.PLAIN_ALPHAS[0], X, True, 0)
    imp = np.ones(len(y))
    rho = []
    for mask in (None, ~reply):
        v = fitting.validate(cand, y, imp, imp, link, cut, mask=mask)
        if v is None:
            return True, "too few tweets to compare"
        orig = ~reply[v.val_idx]
        pred = np.expm1(np.maximum(v.f[orig], 0.0))
        rho.append(fitting.metrics(y[v.val_idx][orig], pred)["spearman"])
    with_r, without = rho
    # Replies add data; MODELING.md measured them helping on small accounts: only a clear loss leaves them out.
    keep = not fitting.better(without, (with_r if np.isfinite(with_r) else -np.inf) + fitting.SIMPLER_MARGIN)
    verdict = "about as well or better" if keep else "clearly worse"
    return keep, (f"time-ordered validation ranked original tweets {verdict} with them "
                  f"(Spearman {fmt(with_r)} with, {fmt(without)} without)")



@dataclass
class Held:
    """The chosen fit on the holdout: its log scores, predictions and how its 80 % interval covered them."""

    f: np.ndarray  # holdout log scores
    pred: np.ndarray  # holdout predictions
    coverage: float
    width: float = math.nan  # median upper - lower
    by_level: list[tuple[int, int]] = field(default_factory=list)  # (covered, tweets) per third by prediction


def score_holdout(
    v: fitting.Validated, y: np.ndarray, imp: np.ndarray, offset: np.ndarray, link: np.ndarray, tr: slice, te: slice
) -> Held:
    """Fit the validated candidate on the whole training part and score the holdout (intervals from validation)."""
    c = v.cand
    form = c.form
    smear, _ = fitting.calibrate(form, v.resid, link[v.val_idx], fitting.centre(form, v.f))
    cal = fitting.horizon_residuals(c, y, imp, offset, tr.stop, te.stop - te.start)
    edges: tuple[float, ...] = ()
    if cal is not None:
        q, edges = fitting.horizon_quantiles(form, cal, link, te.stop - te.start)
    else:
        _, q = fitting.calibrate(form, v.resid, link[v.val_idx], fitting.centre(form, v.f))
    fitted = fitting.fit_form(form, c.alpha, c.X[tr], y[tr], imp[tr], c.prior)
    if fitted is None:  # cannot happen for a candidate that validated; keep the holdout defined anyway
        fitted = (np.zeros(c.X.shape[1]), float(np.log1p(np.mean(y[tr]))))
    scorer = Scorer(form, c.alpha, fitted[0], fitted[1], c.uses_text, smear=smear, q=q, edges=edges)
    f = fitting.log_score(form, *fitted, c.X[te], offset[te])
    pred = scorer.mean(f, link[te])
    lo, hi = scorer.interval(f, link[te])
    lo, hi = np.minimum(lo, pred), upper_bound(hi, pred)  # the interval as predict() shows it
    inside = (y[te] >= lo - 1e-9) & (y[te] <= hi + 1e-9)
    if not len(inside):
        return Held(f, pred, math.nan)
    return Held(f, pred, float(np.mean(inside)), float(np.median(hi - lo)), coverage_by_level(pred, inside))


def coverage_by_level(pred: np.ndarray, inside: np.ndarray) -> list[tuple[int, int]]:
    """(covered, tweets) in the low, mid and high third of the tweets ranked by prediction."""
    order = np.argsort(pred, kind="stable")
    return [(int(inside[part].sum()), len(part)) for part in np.array_split(order, 3)]


def b3_holdout(data: TrainingData, tz: str, test_from: pd.Timestamp, test_rows: pd.DataFrame) -> np.ndarray:
    """B3 as MODELING.md describes it: every earlier tweet (replies included) with the target, Ridge alpha 3."""
    hist = data.history.loc[~data.history["is_retweet"].to_numpy(bool)]
    values = clean_count(hist["url_clicks"]) if data.target == "url_clicks" else engagement(hist)
    ok = values.notna().to_numpy() & (hist["created_at"] < test_from).to_numpy()
    train_rows, target = hist.loc[ok].iloc[-B3_MAX_TRAIN:], values.to_numpy(float)[ok][-B3_MAX_TRAIN:]
    if len(train_rows) < 5:
        return np.full(len(test_rows), float(np.mean(data.y)))
    return b3_predict(train_rows, target, test_rows, tz, char=len(data.y) < CHAR_MAX_ROWS)


def candidate_table(vals: list[fitting.Validated], chosen: fitting.Validated) -> dict[str, dict[str, float]]:
    """Best validation row per candidate name (pooled rolling-origin folds); "chosen": 1.0 on the one in use."""
    table: dict[str, dict[str, float]] = {}
    for v in vals:
        name = v.cand.name
        row = {"spearman": v.spearman, "poisson_deviance": v.metrics["poisson_deviance"],
               "mae_log1p": v.metrics["mae_log1p"], "alpha": v.cand.alpha, "n_valid": float(len(v.val_idx)),
               "chosen": 1.0 if v is chosen else 0.0}  # fmt: skip
        cur = table.get(name)
        if cur is None or v is chosen or (cur["chosen"] == 0.0 and fitting.better(v.spearman, cur["spearman"])):
            table[name] = row
    return table
