"""What earns clicks for this account: train, evaluate, predict, explain and persist the content model."""

from __future__ import annotations

import hashlib
import math
import platform
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
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
from curation.facts import TARGET_LABELS, WEEKDAYS
from curation.learn import fitting
from curation.learn.baselines import b3_predict
from curation.learn.data import (
    MAX_TRAIN_ROWS,
    MIN_TRAIN,
    MIN_TRAIN_PRIOR,
    TrainingData,
    engagement,
    prepare,
    split_point,
)
from curation.learn.explain import TextExplainer, batch_text_contributions, structure_effects
from curation.learn.features import FeatureSpace
from curation.learn.fitting import Scorer
from curation.learn.hints import account_hint_texts, draft_hint_texts, hint_stats
from curation.learn.persist import TRUSTED_TYPES, pack, unpack
from curation.learn.prior import load_prior, prior_vector
from curation.learn.structure import draft_frame
from curation.learn.textblock import CHAR_MAX_ROWS, TextCounts
from curation.learn.timing import LEVEL_WINDOW, STATE_COLUMNS, TIME_COLUMNS, VOLUME_COLUMNS, AccountState
from curation.learn.util import clean_count, utc_list
from curation.plain import iso, json_safe

__all__ = [
    "MAX_TRAIN_ROWS",
    "MIN_TRAIN",
    "TRUSTED_TYPES",
    "Explanation",
    "ModelCard",
    "NotEnoughData",
    "TrainedModel",
    "account_hints",
    "dumps",
    "expected_without_time",
    "loads",
    "min_train",
    "train",
]

MODEL_VERSION = "8"  # 8: interval quantiles per predicted-level bin (Scorer.edges); 7: CountVectorizer vocabularies
MIN_UPPER = 0.1  # the smallest upper bound shown for a draft predicted above 0 (one decimal)
BIG_ACCOUNT = 500  # training tweets before count models (Poisson, rate) are candidates too
HOLDOUT_SHARE = 0.2
REPLY_CHECK_ROWS = 8000  # latest learned-from tweets the with/without-replies validation reads
B3_MAX_TRAIN = 6000  # latest training tweets the B3 baseline of the card learns from (as INNER_MAX)
MIN_EFFECT_SHOWN = math.log(1.03)  # effects smaller than 3 % are not worth a line
SMALL_HOLDOUT = 20  # fewer holdout tweets than this: the card says its numbers are a rough guide


@dataclass
class ModelCard:
    """What the model is, how it did on the latest tweets it never saw, and what scores use."""

    target: str  # "url_clicks" or "engagement"
    target_label: str  # "clicks" or "engagement"
    n_train: int
    n_test: int
    window: tuple[str, str]  # ISO first/last eligible tweet time
    test_from: str  # ISO time of the first holdout tweet
    # model, B0, B1, B2, B3 -> spearman, poisson_deviance, d2, mae_log1p, top20_share
    metrics: dict[str, dict[str, float]]
    candidates: dict[str, dict[str, float]]  # forms compared on the inner time-ordered folds; "chosen": 1.0
    interval_coverage: float  # share of holdout tweets inside the 80 % interval
    used: str  # "model" or "B2"
    verdict: str
    holdout: list[tuple[float, float]]  # (predicted, actual)
    versions: dict[str, str]
    fingerprint: str
    trained_at: str
    timezone: str = ""
    include_replies: bool = False
    include_retweets: bool = False
    notes: list[str] = field(default_factory=list)
    learned_from: str = ""  # e.g. "37 original tweets and 82 replies with clicks (...)"
    prior_share: float = 0.0  # share of the score carried by the cross-account prior (0 when not used)
    form: str = ""  # the candidate in use, e.g. "B3 (alpha 3)"
    interval_width: float = math.nan  # median width (upper - lower) of the holdout tweets' 80 % intervals
    # (covered, tweets) of the holdout's low / mid / high third by prediction
    coverage_by_level: list[tuple[int, int]] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-safe dict (NaN becomes None, tuples become lists)."""
        return json_safe(asdict(self))

    @classmethod
    def from_dict(cls, d: dict) -> ModelCard:
        """Inverse of to_dict (None metrics back to NaN)."""
        card = cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})
        card.window = (str(card.window[0]), str(card.window[1]))
        card.holdout = [(float(p), float(a)) for p, a in card.holdout]
        card.metrics = {k: {m: math.nan if v is None else float(v) for m, v in row.items()}
                        for k, row in card.metrics.items()}  # fmt: skip
        card.candidates = {k: {m: math.nan if v is None else float(v) for m, v in row.items()}
                           for k, row in card.candidates.items()}  # fmt: skip
        card.interval_coverage = math.nan if card.interval_coverage is None else float(card.interval_coverage)
        card.interval_width = math.nan if card.interval_width is None else float(card.interval_width)
        card.coverage_by_level = [(int(c), int(t)) for c, t in card.coverage_by_level]
        return card


@dataclass
class Explanation:
    """Why a draft scores what it does: multiplicative effects (x1.8 = 80 % more) and own-number hints."""

    up: list[tuple[str, float]]
    down: list[tuple[str, float]]
    hints: list[str]


def _upper(upper: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """The upper bound: at least the prediction, and at least MIN_UPPER when anything is expected.

    An interval reads "0.0 - 0.0" at one decimal when its upper bound is below 0.05: a draft
    predicted above 0 must show that some clicks are possible.
    """
    return np.where(pred > 0, np.maximum(np.maximum(upper, pred), MIN_UPPER), np.maximum(upper, pred))


class TrainedModel:
    """The account's fitted model: scores drafts at times, explains them, and carries its card."""

    def __init__(
        self,
        card: ModelCard,
        space: FeatureSpace,
        scorer: Scorer,
        state: AccountState,
        past_target: np.ndarray,
        hint_stats: dict,
        default_slot: str,
    ) -> None:
        self.card = card
        self.space = space
        self.scorer = scorer
        self.state = state
        self.past_target = np.sort(np.asarray(past_target, float))
        self.hint_stats = hint_stats
        self.default_slot = default_slot
        n_text = space.n_text if scorer.uses_text else 0
        k_s, k_t = len(space.struct_names), len(TIME_COLUMNS)
        dense = np.asarray(scorer.coef[n_text:], float)
        self._n_text = n_text
        self._w_text = np.asarray(scorer.coef[:n_text], float)
        self._w_struct, self._w_time, self._w_state = dense[:k_s], dense[k_s : k_s + k_t], dense[k_s + k_t :]
        self._explainer = TextExplainer(space, self._w_text) if n_text else None
        self._last_text: tuple[tuple[str, ...], sp.csr_matrix] | None = None

    # ---- scoring: log score = draft part (text + structure) + slot part (time + state + intercept)

    def _draft_part(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        struct, link = self.space.draft_struct_block(texts)
        f = struct @ self._w_struct
        if self._n_text:
            f = f + np.asarray(self._text_block(texts) @ self._w_text).ravel()
        return f, link

    def _text_block(self, texts: list[str]) -> sp.csr_matrix:
        """The drafts' text block; the last batch is kept because a page scores and then explains the same drafts."""
        key, last = tuple(texts), self._last_text  # one read: a model is shared by the app's sessions
        if last is None or last[0] != key:
            last = (key, self.space.text_block(texts))
            self._last_text = last
        return last[1]

    def _slot_part(self, slots: list[pd.Timestamp]) -> np.ndarray:
        return (
            self.space.time_block(slots) @ self._w_time
            + self.space.state_block(self.state.at(slots)) @ self._w_state
            + self.scorer.intercept
            + self.scorer.offset
        )

    def _slots(self, at: Sequence[pd.Timestamp] | pd.Timestamp | None, n: int) -> list[pd.Timestamp]:
        if at is None:
            return [pd.Timestamp(self.default_slot)] * n
        slots = utc_list([at] if isinstance(at, pd.Timestamp | datetime | str) else at)
        if len(slots) == 1:
            return slots * n
        if len(slots) != n:
            raise ValueError(f"at has {len(slots)} times for {n} texts")
        return slots

    def predict(self, texts: Sequence[str], at: Sequence[pd.Timestamp] | None = None) -> pd.DataFrame:
        """predicted, lower, upper (80 % interval) and percentile (0-100 among past original tweets).

        ``at``: UTC posting times, one per text or one for all; None = the account's usual slot.
        """
        texts = [str(t or "") for t in texts]
        if not texts:
            return pd.DataFrame({c: pd.Series(dtype=float) for c in ("predicted", "lower", "upper", "percentile")})
        a, link = self._draft_part(texts)
        f = a + self._slot_part(self._slots(at, len(texts)))
        pred = self.scorer.mean(f, link)
        lower, upper = self.scorer.interval(f, link)
        return pd.DataFrame(
            {"predicted": pred, "lower": np.minimum(lower, pred), "upper": _upper(upper, pred),
             "percentile": self.percentile(pred)}
        )  # fmt: skip

    def predict_grid(
        self, texts: Sequence[str], slots: Sequence[pd.Timestamp]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(predicted, lower, upper), each shape (len(texts), len(slots)); every text is vectorised once."""
        texts = [str(t or "") for t in texts]
        a, link = self._draft_part(texts) if texts else (np.zeros(0), np.zeros(0, bool))
        b = self._slot_part(utc_list(slots)) if len(slots) else np.zeros(0)
        f = a[:, None] + b[None, :]
        link2 = np.broadcast_to(link[:, None], f.shape)
        pred = self.scorer.mean(f, link2)
        lower, upper = self.scorer.interval(f, link2)
        return pred, np.minimum(lower, pred), _upper(upper, pred)

    def percentile(self, values: np.ndarray) -> np.ndarray:
        """0-100: where each value sits among the account's past original tweets' actual target (mid-rank)."""
        past = self.past_target
        values = np.asarray(values, float)
        if not len(past):
            return np.full(len(values), 50.0)
        left = np.searchsorted(past, values, side="left")
        right = np.searchsorted(past, values, side="right")
        return 100.0 * (left + right) / (2.0 * len(past))

    # ---- explaining

    def explain(self, text: str, at: pd.Timestamp | None = None, top: int = 6) -> Explanation:
        """The draft's largest multiplicative effects against the account's average tweet, plus hints."""
        return self.explain_many([text], at, top)[0]

    def explain_many(
        self, texts: Sequence[str], at: Sequence[pd.Timestamp] | pd.Timestamp | None = None, top: int = 6
    ) -> list[Explanation]:
        """explain() for many drafts at once: one vectorisation, contributions as sparse row x coefficient products.

        ``at``: one UTC time for all drafts, one per draft, or None (the account's usual slot).
        """
        texts = [str(t or "") for t in texts]
        if not texts:
            return []
        slots = self._slots(at, len(texts))
        rows = draft_frame(texts, self.space.own_handle)
        records = rows.to_dict("records")
        text_parts = (batch_text_contributions(self.space, self._w_text, texts, self._text_block(texts))
                      if self._explainer is not None else [{} for _ in texts])  # fmt: skip
        struct, _ = self.space.draft_struct_block(texts)
        s_vals = struct * self._w_struct
        time_vals = self.space.time_block(slots) @ self._w_time
        st_all = self.space.state_block(self.state.at(slots)) * self._w_state
        col = {c: i for i, c in enumerate(STATE_COLUMNS)}
        reach = st_all[:, col["reach_level"]] + st_all[:, col["recent_level"]]
        rhythm = st_all[:, [col[c] for c in VOLUME_COLUMNS]].sum(axis=1)
        local = pd.DatetimeIndex(slots).tz_convert(self.space.tz)
        when = [f"posted {WEEKDAYS[d]} {hm}" for d, hm in zip(local.day_of_week, local.strftime("%H:%M"), strict=True)]
        hours = local.hour.to_numpy()
        out = []
        for i, row in enumerate(records):
            effects: dict[str, float] = {}

            def add(label: str, value: float, effects: dict[str, float] = effects) -> None:
                effects[label] = effects.get(label, 0.0) + float(value)

            for label, value in text_parts[i].items():
                add(label, value)
            for label, value in structure_effects(self.space.struct_names, s_vals[i], row).items():
                add(label, value)
            add(when[i], time_vals[i])
            add("your recent reach", reach[i])
            add("recent posting rhythm", rhythm[i])
            shown = sorted(((k, v) for k, v in effects.items() if abs(v) >= MIN_EFFECT_SHOWN),
                           key=lambda kv: -abs(kv[1]))  # fmt: skip
            up = [(k, round(math.exp(v), 2)) for k, v in shown if v > 0][:top]
            down = [(k, round(math.exp(v), 2)) for k, v in shown if v < 0][:top]
            hints = draft_hint_texts(self.hint_stats, row, slots[i], self.space.tz, hour=int(hours[i]))
            out.append(Explanation(up=up, down=down, hints=hints))
        return out

    def account_hints(self) -> list[str]:
        """The account-level hints computed when the model was trained."""
        return account_hint_texts(self.hint_stats)


# --------------------------------------------------------------------------- training


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
            keep, why = _replies_help(data, tz)
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


def _replies_help(data: TrainingData, tz: str) -> tuple[bool, str]:
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
                  f"(Spearman {_fmt(with_r)} with, {_fmt(without)} without)")


def _prior_note(share: float) -> list[str]:
    found = load_prior()
    if not share or found is None:
        return []
    return [f"About {share:.0%} of the score came from a prior learned across {found.n_accounts} public accounts "
            "(link, reply, time and recent-level effects); the rest from this account's own tweets."]


def _learned_from(data: TrainingData, auto: bool, why: str) -> str:
    n_rep = data.n_replies
    n_orig = len(data.y) - n_rep
    label = TARGET_LABELS[data.target]
    if n_rep:
        text = f"{n_orig} original tweets and {n_rep} replies with {label} (a reply flag tells them apart)"
        return text + (f": {why}" if auto and why else "")
    text = f"{n_orig} original tweets with {label}"
    if auto and why:
        return text + f"; replies left out: {why}"
    return text


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

    held = _holdout(chosen, y, imp, offset, link, tr, te)
    b2_held = _holdout(b2_best, y, imp, offset, link, tr, te) if b2_best is not None else None
    mean_tr = float(np.mean(y[tr]))
    metrics = {
        "model": fitting.metrics(y[te], held.pred),
        "B0": fitting.metrics(y[te], np.full(n - cut, mean_tr)),
        "B1": fitting.metrics(y[te], fitting.rolling_median_baseline(link, y, cut, mean_tr)),
        "B2": fitting.metrics(y[te], b2_held.pred if b2_held is not None else np.full(n - cut, mean_tr)),
        "B3": fitting.metrics(y[te], _b3_holdout(data, tz, rows["created_at"].iloc[cut], rows.iloc[te])),
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

    learned = _learned_from(data, auto, why)
    card = ModelCard(
        target=data.target,
        target_label=TARGET_LABELS[data.target],
        n_train=int(cut),
        n_test=int(n - cut),
        window=(iso(rows["created_at"].iloc[0]), iso(rows["created_at"].iloc[-1])),
        test_from=iso(rows["created_at"].iloc[cut]),
        metrics=metrics,
        candidates=_candidate_table([*vals, *b2_vals], chosen),
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
        notes=[f"Learned from {learned}.", *_prior_note(share), *_wording_note(len(y)), *data.notes],
        learned_from=learned,
        form=f"{chosen.cand.name} (alpha {alpha:g}{', shrunk toward the prior' if prior_all is not None else ''})",
        prior_share=share,
    )
    card.verdict = _verdict(card)
    reply = rows["is_reply"].to_numpy(bool)
    originals = rows.loc[~reply] if (~reply).any() else rows
    past = y[~reply] if (~reply).any() else y
    stats = hint_stats(rows, y, data.target, tz, data.history, counts)
    return TrainedModel(card, space_all, scorer, acc_state, past, stats, _default_slot(originals, tz))


@dataclass
class _Held:
    f: np.ndarray  # holdout log scores
    pred: np.ndarray  # holdout predictions
    coverage: float
    width: float = math.nan  # median upper - lower
    by_level: list[tuple[int, int]] = field(default_factory=list)  # (covered, tweets) per third by prediction


def _holdout(
    v: fitting.Validated, y: np.ndarray, imp: np.ndarray, offset: np.ndarray, link: np.ndarray, tr: slice, te: slice
) -> _Held:
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
    lo, hi = np.minimum(lo, pred), _upper(hi, pred)  # the interval as predict() shows it
    inside = (y[te] >= lo - 1e-9) & (y[te] <= hi + 1e-9)
    if not len(inside):
        return _Held(f, pred, math.nan)
    return _Held(f, pred, float(np.mean(inside)), float(np.median(hi - lo)), coverage_by_level(pred, inside))


def coverage_by_level(pred: np.ndarray, inside: np.ndarray) -> list[tuple[int, int]]:
    """(covered, tweets) in the low, mid and high third of the tweets ranked by prediction."""
    order = np.argsort(pred, kind="stable")
    return [(int(inside[part].sum()), len(part)) for part in np.array_split(order, 3)]


def _b3_holdout(data: TrainingData, tz: str, test_from: pd.Timestamp, test_rows: pd.DataFrame) -> np.ndarray:
    """B3 as MODELING.md describes it: every earlier tweet (replies included) with the target, Ridge alpha 3."""
    hist = data.history.loc[~data.history["is_retweet"].to_numpy(bool)]
    values = clean_count(hist["url_clicks"]) if data.target == "url_clicks" else engagement(hist)
    ok = values.notna().to_numpy() & (hist["created_at"] < test_from).to_numpy()
    train_rows, target = hist.loc[ok].iloc[-B3_MAX_TRAIN:], values.to_numpy(float)[ok][-B3_MAX_TRAIN:]
    if len(train_rows) < 5:
        return np.full(len(test_rows), float(np.mean(data.y)))
    return b3_predict(train_rows, target, test_rows, tz, char=len(data.y) < CHAR_MAX_ROWS)


def _candidate_table(vals: list[fitting.Validated], chosen: fitting.Validated) -> dict[str, dict[str, float]]:
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


def _wording_note(n: int) -> list[str]:
    """Say when the wording is read as words only (large histories skip character fragments)."""
    if n < CHAR_MAX_ROWS:
        return []
    return [f"With {n:,} tweets the wording is read as words and two-word phrases, without character "
            "fragments: on large histories they ranked no better and cost most of the training time."]


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


def account_hints(tweets: pd.DataFrame, tz: str) -> list[str]:
    """Account-level hints from the history's own numbers (for the Insights page)."""
    data = prepare(tweets, tz)
    return account_hint_texts(hint_stats(data.rows, data.y, data.target, tz, data.history))


# --------------------------------------------------------------------------- card


def _quality(rho: float) -> str:
    if not np.isfinite(rho):
        return "cannot rank tweets"
    if rho >= 0.6:
        return "ranks tweets well"
    if rho >= 0.4:
        return "ranks tweets usefully"
    if rho >= 0.2:
        return "ranks tweets only roughly"
    return "barely ranks tweets"


def _fmt(v: float) -> str:
    return f"{v:.2f}" if np.isfinite(v) else "n/a"


def _verdict(card: ModelCard) -> str:
    """Two or three plain sentences: how good, against the baselines, and what to do with it."""
    m, b1, b2 = card.metrics["model"], card.metrics["B1"], card.metrics["B2"]
    label = card.target_label
    first = (
        f"On the latest {card.n_test} tweets it never saw, the model {_quality(m['spearman'])} by {label} "
        f"(Spearman {_fmt(m['spearman'])}; structure and timing alone {_fmt(b2['spearman'])}, "
        f"the recent median {_fmt(b1['spearman'])})."
    )
    small = ""
    if card.n_test < SMALL_HOLDOUT:
        small = (
            f"Judged on {card.n_test} tweets, these numbers are a rough guide: one or two tweets more or less "
            "could change them a lot."
        )
    weak = not (np.isfinite(m["spearman"]) and m["spearman"] >= 0.2)
    if card.used == "model" and weak:
        second = (
            f"That beats structure and timing alone, but the signal is weak for this account: use the scores only "
            f"to spot clearly weak drafts, treat the rest as a tie, and add history (more months of {label}) to "
            "sharpen it."
        )
    elif card.used == "model":
        share = m["top20_share"]
        second = (
            f"Its top 20 % of those tweets earned {share:.0%} of all their {label}: use it to pick the strongest "
            "drafts, and read single numbers as rough estimates within their 80 % range."
            if np.isfinite(share)
            else "Use it to pick the strongest drafts, and read single numbers as rough estimates."
        )
    else:
        second = (
            f"The wording did not beat that simpler model here, so scores come from it (links, hashtags, media, "
            f"timing; Spearman {_fmt(b2['spearman'])}): treat small differences between drafts as noise."
        )
    scorer = m if card.used == "model" else b2
    third = ""
    if fitting.better(b1["spearman"], scorer["spearman"] + 0.05):
        third = (
            f"On these tweets the recent median alone (link or not) ranked better ({_fmt(b1['spearman'])}): clicks "
            "here follow the account's recent level more than the wording, so compare drafts with care."
        )
    b3 = card.metrics.get("B3")
    fourth = ""
    if b3 is not None and fitting.better(b3["spearman"], scorer["spearman"] + 0.05):
        fourth = (
            f"The plain reference model (B3: words, a few counts, hour and weekday) ranked these tweets better "
            f"({_fmt(b3['spearman'])}); on so few tweets that gap is mostly chance, but read the ranking loosely."
        )
    return " ".join(s for s in (first, small, second, third, fourth, *card.notes) if s)


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
