"""Train the content model (judged on the latest tweets it never saw), persist it, and the content-only expectation."""

from __future__ import annotations

import hashlib
import math
import platform
from datetime import UTC, datetime

import numpy as np
import orjson
import pandas as pd
import scipy
import scipy.sparse as sp
import sklearn
import skops
from sklearn.linear_model import Ridge
from threadpoolctl import threadpool_limits

from curation.errors import CurationError, NotEnoughData
from curation.facts import TARGET_LABELS
from curation.learn import fitting
from curation.learn.card import ModelCard, learned_from, prior_note, verdict, wording_note
from curation.learn.data import MIN_TRAIN, MIN_TRAIN_PRIOR, TrainingData, prepare, split_point
from curation.learn.features import FeatureSpace
from curation.learn.fitting import Scorer
from curation.learn.hints import hint_stats
from curation.learn.holdout import HOLDOUT_SHARE, b3_holdout, candidate_table, replies_help, score_holdout
from curation.learn.persist import pack, unpack
from curation.learn.prior import load_prior, prior_vector
from curation.learn.textblock import TextCounts
from curation.learn.timing import LEVEL_WINDOW, VOLUME_COLUMNS, AccountState
from curation.learn.trained import TrainedModel
from curation.plain import iso, json_safe

MODEL_VERSION = "8"  # 8: interval quantiles per predicted-level bin (Scorer.edges); 7: CountVectorizer vocabularies
BIG_ACCOUNT = 500  # training tweets before count models (Poisson, rate) are candidates too


def train(
    tweets: pd.DataFrame,
    tz: str,
    include_replies: bool | None = None,
    include_retweets: bool = False,
    own_handle: str | None = None,
) -> TrainedModel:
    """Fit, evaluate on the latest 20 % by time (never shuffled), then refit on everything for scoring.

    ``include_replies`` None (default): replies are learned from, with a reply flag, when time-ordered
    validation ranks the account's original tweets at least as well with them (or when the originals
    alone are too few). ``own_handle``: the account's handle, so a draft opening with it reads as a
    thread, not a reply (text.is_reply_text, as on import). Raises NotEnoughData when fewer than
    min_train() eligible tweets carry the target.
    """
    # Many small fits: OpenMP threads only contend with each other (and other users) on a 2-core box.
    with threadpool_limits(limits=1):
        least = min_train()
        data = prepare(tweets, tz, include_replies, include_retweets, min_train=least)
        data.check_learnable()
        why = ""
        if include_replies is None and data.include_replies:
            keep, why = replies_help(data, tz)
            if not keep:
                data = prepare(tweets, tz, False, include_retweets, min_train=least)
        trained = _train(data, tz, include_replies is None, include_retweets, why)
    trained.space.own_handle = own_handle
    return trained


def min_train() -> int:
    """Tweets with the target training needs: MIN_TRAIN_PRIOR when the cross-account prior is shipped, else 50."""
    return MIN_TRAIN_PRIOR if load_prior() is not None else MIN_TRAIN


def _plain_candidates(X: sp.csr_matrix, prior: np.ndarray | None = None) -> list[fitting.Candidate]:
    return [fitting.Candidate("B3", "ridge_log1p", a, X, True, 0, prior) for a in fitting.PLAIN_ALPHAS]


def _prior_for(space: FeatureSpace, n_train: int) -> np.ndarray | None:
    """The shipped prior over this plain space's columns, for an account small enough that it helped."""
    found = load_prior()
    if found is None or n_train > found.max_train:
        return None
    return prior_vector(found.coef, space.dense_names, space.n_text)


def _prior_share(X: sp.csr_matrix, coef: np.ndarray, prior: np.ndarray | None) -> float:
    """Share of the score's variation over the learned-from tweets that the prior's coefficients carry."""
    if prior is None:
        return 0.0
    from_prior = np.abs(np.asarray(X @ prior).ravel()).sum()
    own = np.abs(np.asarray(X @ (coef - prior)).ravel()).sum()
    total = from_prior + own
    return float(from_prior / total) if total > 0 else 0.0



def _train(data: TrainingData, tz: str, auto: bool, include_retweets: bool, why: str) -> TrainedModel:
    rows, y, imp, state = data.rows, data.y, data.impressions, data.state
    n = len(y)
    link = rows["has_link"].to_numpy(bool)
    with_reply = data.include_replies
    cut = split_point(rows["created_at"], HOLDOUT_SHARE)
    tr, te = slice(0, cut), slice(cut, n)
    imp_fallback = float(np.nanmedian(imp[tr])) if np.isfinite(imp[tr]).any() else 1.0
    offset = fitting.expected_impressions(state, imp_fallback)

    # --- evaluation: vocabulary, idf and scaling from the training part only
    counts = TextCounts.of(rows["text"].tolist())
    space = FeatureSpace.fit(rows.iloc[tr], state.iloc[tr], tz, with_reply=with_reply, counts=counts.rows(tr))
    plain = FeatureSpace.fit(rows.iloc[tr], state.iloc[tr], tz, with_reply=with_reply, counts=counts.rows(tr),
                             plain=True)  # fmt: skip
    X = space.design(rows, state, counts=counts)
    Xp = plain.design(rows, state, counts=counts)
    X2 = X[:, space.n_text :]  # B2: structure + time + state, no text
    w_prior = _prior_for(plain, cut)
    cands = _plain_candidates(Xp, w_prior)
    # Below MIN_TRAIN the account has a card only because the prior carries it: keep to the plain form shrunk
    # toward it (B2 may still win clearly) instead of choosing among wording models on ~9 validation tweets.
    # On 32-tweet windows of the real click accounts this ranked each window's latest tweets better (mean
    # Spearman 0.43 against 0.37; better on 5 windows, worse on none of 33); on 40-tweet windows about the same.
    carried = n < MIN_TRAIN and w_prior is not None
    if not carried:
        cands += [fitting.Candidate("ridge_log1p", "ridge_log1p", a, X, True, 1) for a in fitting.RIDGE_ALPHAS[1:]]
    if cut >= BIG_ACCOUNT:  # count models need more tweets than a small account has to beat log1p
        cands += [fitting.Candidate("poisson", "poisson", a, X, True, 2) for a in fitting.POISSON_ALPHAS]
        if np.isfinite(imp).sum() >= n // 2:
            cands += [fitting.Candidate("rate_x_impressions", "rate_x_impressions", a, X, True, 3)
                      for a in fitting.POISSON_ALPHAS]  # fmt: skip
    b2_cands = [fitting.Candidate("B2", "ridge_log1p", a, X2, False, 9) for a in fitting.RIDGE_ALPHAS[1:]]
    vals = [v for v in (fitting.validate(c, y, imp, offset, link, cut) for c in cands) if v is not None]
    b2_vals = [v for v in (fitting.validate(c, y, imp, offset, link, cut) for c in b2_cands) if v is not None]
    if not vals:
        raise NotEnoughData(f"Only {cut} tweets before the holdout: too few to validate a model; upload more history.")
    best = fitting.choose(vals)
    b2_best = fitting.choose(b2_vals) if b2_vals else None
    chosen = best
    if b2_best is not None and fitting.better(
        b2_best.spearman, best.spearman + fitting.standard_error(len(best.val_idx))
    ):
        chosen = b2_best  # structure and timing alone validated clearly better than any wording model
    used = "model" if chosen is best else "B2"

    held = score_holdout(chosen, y, imp, offset, link, tr, te)
    b2_held = score_holdout(b2_best, y, imp, offset, link, tr, te) if b2_best is not None else None
    mean_tr = float(np.mean(y[tr]))
    metrics = {
        "model": fitting.metrics(y[te], held.pred),
        "B0": fitting.metrics(y[te], np.full(n - cut, mean_tr)),
        "B1": fitting.metrics(y[te], fitting.rolling_median_baseline(link, y, cut, mean_tr)),
        "B2": fitting.metrics(y[te], b2_held.pred if b2_held is not None else np.full(n - cut, mean_tr)),
        "B3": fitting.metrics(y[te], b3_holdout(data, tz, rows["created_at"].iloc[cut], rows.iloc[te])),
    }

    # --- final: refit on everything; intervals from the validation and holdout residuals (the most recent)
    form, alpha = chosen.cand.form, chosen.cand.alpha
    r_cal = np.concatenate([chosen.resid, fitting.residuals(form, held.f, y[te])])
    c_cal = np.concatenate([fitting.centre(form, chosen.f), fitting.centre(form, held.f)])
    l_cal = np.concatenate([link[chosen.val_idx], link[te]])
    smear, q = fitting.calibrate(form, r_cal, l_cal, c_cal)
    # The interval as the card measured it: blocks as long as the holdout, the latest ending now.
    cal = fitting.horizon_residuals(chosen.cand, y, imp, offset, n, n - cut)
    edges: tuple[float, ...] = ()
    if cal is not None:
        q, edges = fitting.horizon_quantiles(form, cal, link, n - cut)
    uses_text = chosen.cand.uses_text
    is_plain = chosen.cand.name == "B3"
    space_all = FeatureSpace.fit(rows, state, tz, with_reply=with_reply, text=uses_text, counts=counts, plain=is_plain)
    X_all = space_all.design(rows, state, text=uses_text, counts=counts)
    prior_all = _prior_for(space_all, cut) if is_plain and chosen.cand.prior is not None else None
    coef, b = fitting.fit_form(form, alpha, X_all, y, imp, prior_all)
    share = _prior_share(X_all, coef, prior_all)
    typical = {c: float(np.nanmedian(state[c].to_numpy(float))) for c in VOLUME_COLUMNS}
    acc_state = AccountState.from_history(data.history, typical)
    acc_state.target_level = float(np.mean(np.log1p(y[-LEVEL_WINDOW:])))
    off_now = 0.0
    if form == "rate_x_impressions":
        level = acc_state.reach_level
        off_now = float(np.log(np.expm1(level))) if np.isfinite(level) and level > 0 else float(np.log(imp_fallback))
    scorer = Scorer(form, alpha, coef, b, uses_text, off_now, smear, q, edges)

    learned = learned_from(data, auto, why)
    card = ModelCard(
        target=data.target,
        target_label=TARGET_LABELS[data.target],
        n_train=int(cut),
        n_test=int(n - cut),
        window=(iso(rows["created_at"].iloc[0]), iso(rows["created_at"].iloc[-1])),
        test_from=iso(rows["created_at"].iloc[cut]),
        metrics=metrics,
        candidates=candidate_table([*vals, *b2_vals], chosen),
        interval_coverage=held.coverage,
        interval_width=held.width,
        coverage_by_level=held.by_level,
        used=used,
        verdict="",
        holdout=[(round(float(p), 3), float(a)) for p, a in zip(held.pred, y[te], strict=True)],
        versions=_versions(),
        fingerprint=_fingerprint(rows, y, tz, with_reply, include_retweets, data.target),
        trained_at=datetime.now(UTC).isoformat(timespec="seconds"),
        timezone=tz,
        include_replies=with_reply,
        include_retweets=include_retweets,
        notes=[f"Learned from {learned}.", *prior_note(share), *wording_note(len(y)), *data.notes],
        learned_from=learned,
        form=f"{chosen.cand.name} (alpha {alpha:g}{', shrunk toward the prior' if prior_all is not None else ''})",
        prior_share=share,
    )
    card.verdict = verdict(card)
    reply = rows["is_reply"].to_numpy(bool)
    originals = rows.loc[~reply] if (~reply).any() else rows
    past = y[~reply] if (~reply).any() else y
    stats = hint_stats(rows, y, data.target, tz, data.history, counts)
    return TrainedModel(card, space_all, scorer, acc_state, past, stats, _default_slot(originals, tz))



def _default_slot(rows: pd.DataFrame, tz: str) -> str:
    """The account's usual slot: its most common weekday at its median local hour, after the history."""
    local = pd.DatetimeIndex(rows["created_at"]).tz_convert(tz)
    hour = int(np.median(local.hour))
    weekday = int(pd.Series(local.day_of_week).mode().iloc[0])
    day = (local[-1] + pd.Timedelta(days=1)).normalize()
    while day.weekday() != weekday:
        day += pd.Timedelta(days=1)
    return (day + pd.Timedelta(hours=hour)).tz_convert("UTC").isoformat()


def expected_without_time(tweets: pd.DataFrame, tz: str) -> pd.Series:
    """Content-only expected target per eligible tweet (index tweet_id), cross-fitted in time order.

    No weekday/hour and no posting-volume features, so observed/expected per weekday x hour cell (or
    per posts that day) measures timing (or volume). Each of up to five contiguous time blocks is
    predicted by a Ridge fitted on the other blocks; the result is scaled so its sum equals the
    observed sum. Like training, it reads only the latest MAX_TRAIN_ROWS original tweets with the
    target (prepare's window): older tweets get no value, and the fits cost the same at any history
    size (only the vectorised account-state bookkeeping reads every tweet).
    """
    with threadpool_limits(limits=1):
        data = prepare(tweets, tz)
        rows, y = data.rows, data.y
        n = len(y)
        state = data.state.copy()
        for col in VOLUME_COLUMNS:
            state[col] = np.nan  # centred to 0: carries no volume information
        counts = TextCounts.of(rows["text"].tolist())
        space = FeatureSpace.fit(rows, state, tz, with_reply=False, counts=counts)
        X = space.design(rows, state, time=False, counts=counts)
        k = max(2, min(5, n // 20))
        bounds = np.linspace(0, n, k + 1).astype(int)
        f = np.empty(n)
        for i in range(k):
            test = np.zeros(n, bool)
            test[bounds[i] : bounds[i + 1]] = True
            m = Ridge(alpha=fitting.RIDGE_ALPHAS[2], solver="lsqr", tol=1e-4).fit(X[~test], np.log1p(y[~test]))
            f[test] = m.predict(X[test])
        link = rows["has_link"].to_numpy(bool)
        smear, _ = fitting.calibrate("ridge_log1p", np.log1p(y) - f, link)
        e = Scorer("ridge_log1p", 0.0, np.zeros(0), 0.0, True, smear=smear).mean(f, link)
        if e.sum() > 0:
            e = e * (y.sum() / e.sum())
    return pd.Series(e, index=pd.Index(rows["tweet_id"].astype(str), name="tweet_id"), name=data.target)



def _versions() -> dict[str, str]:
    return {"sklearn": sklearn.__version__, "numpy": np.__version__, "pandas": pd.__version__,
            "scipy": scipy.__version__, "skops": skops.__version__, "python": platform.python_version(),
            "model": MODEL_VERSION}  # fmt: skip


def _fingerprint(rows: pd.DataFrame, y: np.ndarray, tz: str, replies: bool, retweets: bool, target: str) -> str:
    h = hashlib.sha256()
    h.update(f"{MODEL_VERSION}|{tz}|{replies}|{retweets}|{target}|".encode())
    h.update("\n".join(rows["tweet_id"].astype(str)).encode())
    h.update(np.asarray(y, np.float64).tobytes())
    return h.hexdigest()[:16]



# --------------------------------------------------------------------------- persistence

_REQUIRED = {"coef", "mean", "scale", "post_times_ns", "past_target", "card", "meta"}
_TEXT_PARTS = ("word_terms", "word_tfidf", "char_terms", "char_tfidf")


def dumps(model: TrainedModel) -> bytes:
    """skops artifact (ZIP_DEFLATED) of numpy arrays and the fitted TfidfTransformers, card and settings as JSON.

    Each vocabulary is stored as its term array and its CountVectorizer rebuilt on load: a 50k-term
    vocabulary as a dict costs skops one node per term (seconds to load), as an array milliseconds.
    """
    space, sc, st = model.space, model.scorer, model.state
    meta = {
        "model_version": MODEL_VERSION, "tz": space.tz, "domains": space.domains, "with_reply": space.with_reply,
        "struct_names": space.struct_names, "text_weight": space.text_weight, "form": sc.form, "alpha": sc.alpha,
        "intercept": sc.intercept, "uses_text": sc.uses_text, "offset": sc.offset, "smear": list(sc.smear),
        "q": list(sc.q), "edges": list(sc.edges), "reach_level": st.reach_level, "target_level": st.target_level,
        "typical": st.typical,
        "hint_stats": model.hint_stats,
        "default_slot": model.default_slot, "plain": space.plain, "own_handle": space.own_handle,
    }  # fmt: skip
    return pack(
        {
            **space.text_parts(),
            "coef": np.asarray(sc.coef, np.float64),
            "mean": np.asarray(space.mean, np.float64),
            "scale": np.asarray(space.scale, np.float64),
            "post_times_ns": np.asarray(st.post_times_ns, np.int64),
            "past_target": np.asarray(model.past_target, np.float64),
            "card": orjson.dumps(model.card.to_dict()).decode(),
            "meta": orjson.dumps(json_safe(meta)).decode(),
        }
    )


def loads(data: bytes) -> TrainedModel:
    """Rebuild a TrainedModel from dumps() output; refuses any type outside TRUSTED_TYPES (never pickle)."""
    p = unpack(data, _REQUIRED)
    meta = orjson.loads(p["meta"])
    if meta.get("model_version") != MODEL_VERSION:
        raise CurationError("The model file was saved by another release of the model: retrain the model.")
    card = ModelCard.from_dict(orjson.loads(p["card"]))
    space = FeatureSpace(
        tz=meta["tz"], domains=meta["domains"], with_reply=meta["with_reply"], struct_names=meta["struct_names"],
        mean=p["mean"], scale=p["scale"], text_weight=meta["text_weight"], plain=bool(meta.get("plain", False)),
        own_handle=meta.get("own_handle"),
    )  # fmt: skip
    space.set_text_parts({k: p[k] for k in _TEXT_PARTS if k in p})
    scorer = Scorer(meta["form"], meta["alpha"], p["coef"], meta["intercept"], meta["uses_text"], meta["offset"],
                    tuple(meta["smear"]), tuple(meta["q"]), tuple(meta.get("edges") or ()))  # fmt: skip
    reach = math.nan if meta["reach_level"] is None else meta["reach_level"]
    level = meta.get("target_level")
    state = AccountState(p["post_times_ns"], reach, meta["typical"], math.nan if level is None else float(level))
    return TrainedModel(card, space, scorer, state, p["past_target"], meta["hint_stats"], meta["default_slot"])
