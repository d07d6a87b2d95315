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

from curation.errors import NotEnoughData
from curation.features import (
    STATE_COLUMNS,
    TIME_COLUMNS,
    VOLUME_COLUMNS,
    WEEKDAYS,
    AccountState,
    FeatureSpace,
    TextCounts,
    draft_frame,
)
from curation.modeling import fitting
from curation.modeling.data import MIN_TRAIN, TARGET_LABELS, prepare, split_point
from curation.modeling.explain import TextExplainer, structure_effects
from curation.modeling.fitting import Scorer
from curation.modeling.hints import account_hint_texts, draft_hint_texts, hint_stats
from curation.modeling.persist import TRUSTED_TYPES, pack, unpack
from curation.modeling.util import iso, json_safe, utc_list

__all__ = [
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
    "train",
]

MODEL_VERSION = "2"
HOLDOUT_SHARE = 0.2
MIN_EFFECT_SHOWN = math.log(1.03)  # effects smaller than 3 % are not worth a line


@dataclass
class ModelCard:
    """What the model is, how it did on the latest tweets it never saw, and what scores use."""

    target: str  # "url_clicks" or "engagement"
    target_label: str  # "clicks" or "engagement"
    n_train: int
    n_test: int
    window: tuple[str, str]  # ISO first/last eligible tweet time
    test_from: str  # ISO time of the first holdout tweet
    metrics: dict[str, dict[str, float]]  # model, B0, B1, B2 -> spearman, poisson_deviance, d2, mae_log1p, top20_share
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
        return card


@dataclass
class Explanation:
    """Why a draft scores what it does: multiplicative effects (x1.8 = 80 % more) and own-number hints."""

    up: list[tuple[str, float]]
    down: list[tuple[str, float]]
    hints: list[str]


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

    # ---- scoring: log score = draft part (text + structure) + slot part (time + state + intercept)

    def _draft_part(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        struct, link = self.space.draft_struct_block(texts)
        f = struct @ self._w_struct
        if self._n_text:
            f = f + np.asarray(self.space.text_block(texts) @ self._w_text).ravel()
        return f, link

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
            {"predicted": pred, "lower": np.minimum(lower, pred), "upper": np.maximum(upper, pred),
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
        return pred, np.minimum(lower, pred), np.maximum(upper, pred)

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
        text = str(text or "")
        slot = self._slots(at, 1)[0]
        rows = draft_frame([text])
        effects: dict[str, float] = {}

        def add(label: str, value: float) -> None:
            effects[label] = effects.get(label, 0.0) + float(value)

        if self._explainer is not None:
            for label, value in self._explainer.contributions(text).items():
                add(label, value)
        s_vals = self.space.struct_block(rows, media_known=False)[0] * self._w_struct
        for label, value in structure_effects(self.space.struct_names, s_vals, rows.iloc[0]).items():
            add(label, value)
        local = slot.tz_convert(self.space.tz)
        add(f"posted {WEEKDAYS[local.weekday()]} {local:%H:%M}", self.space.time_block([slot])[0] @ self._w_time)
        st = dict(zip(STATE_COLUMNS, self.space.state_block(self.state.at([slot]))[0] * self._w_state, strict=True))
        add("your recent reach", st["reach_level"])
        add("recent posting rhythm", sum(st[c] for c in VOLUME_COLUMNS))

        shown = sorted(((k, v) for k, v in effects.items() if abs(v) >= MIN_EFFECT_SHOWN), key=lambda kv: -abs(kv[1]))
        up = [(k, round(math.exp(v), 2)) for k, v in shown if v > 0][:top]
        down = [(k, round(math.exp(v), 2)) for k, v in shown if v < 0][:top]
        return Explanation(up=up, down=down, hints=draft_hint_texts(self.hint_stats, rows.iloc[0], slot, self.space.tz))

    def account_hints(self) -> list[str]:
        """The account-level hints computed when the model was trained."""
        return account_hint_texts(self.hint_stats)


# --------------------------------------------------------------------------- training


def train(tweets: pd.DataFrame, tz: str, include_replies: bool = False, include_retweets: bool = False) -> TrainedModel:
    """Fit, evaluate on the latest 20 % by time (never shuffled), then refit on everything for scoring.

    Raises NotEnoughData when fewer than MIN_TRAIN eligible tweets carry the target.
    """
    # Many small fits: OpenMP threads only contend with each other (and other users) on a 2-core box.
    with threadpool_limits(limits=1):
        return _train(tweets, tz, include_replies, include_retweets)


def _train(tweets: pd.DataFrame, tz: str, include_replies: bool, include_retweets: bool) -> TrainedModel:
    data = prepare(tweets, tz, include_replies, include_retweets)
    rows, y, imp, state = data.rows, data.y, data.impressions, data.state
    n = len(y)
    link = rows["has_link"].to_numpy(bool)
    cut = split_point(rows["created_at"], HOLDOUT_SHARE)
    tr, te = slice(0, cut), slice(cut, n)
    imp_fallback = float(np.nanmedian(imp[tr])) if np.isfinite(imp[tr]).any() else 1.0
    offset = fitting.expected_impressions(state, imp_fallback)
    forms = fitting.FORMS if np.isfinite(imp).sum() >= n // 2 else fitting.FORMS[:2]

    # --- evaluation: vocabulary, idf and scaling from the training part only
    counts = TextCounts.of(rows["text"].tolist())
    space = FeatureSpace.fit(rows.iloc[tr], state.iloc[tr], tz, with_reply=include_replies, counts=counts.rows(tr))
    X = space.design(rows, state, counts=counts)
    X2 = X[:, space.n_text :]  # B2: structure + time + state, no text
    full = _evaluate(X, y, imp, offset, link, tr, te, forms, uses_text=True)
    b2 = _evaluate(X2, y, imp, offset, link, tr, te, [full.sel.form], uses_text=False)
    mean_tr = float(np.mean(y[tr]))
    metrics = {
        "model": fitting.metrics(y[te], full.pred),
        "B0": fitting.metrics(y[te], np.full(n - cut, mean_tr)),
        "B1": fitting.metrics(y[te], fitting.rolling_median_baseline(link, y, cut, mean_tr)),
        "B2": fitting.metrics(y[te], b2.pred),
    }
    chosen = full if fitting.better(metrics["model"]["spearman"], metrics["B2"]["spearman"]) else b2
    used = "model" if chosen is full else "B2"

    # --- final: refit on everything; intervals from the most recent residuals (the holdout)
    r_recent, l_recent = fitting.residuals(chosen.sel.form, chosen.f, y[te]), link[te]
    if len(r_recent) < 40:  # small holdout: add the inner validation residuals
        r_recent = np.concatenate([chosen.sel.resid, r_recent])
        l_recent = np.concatenate([chosen.sel.resid_link, l_recent])
    smear, q = fitting.calibrate(chosen.sel.form, r_recent, l_recent)
    uses_text = used == "model"
    space_all = FeatureSpace.fit(rows, state, tz, with_reply=include_replies, text=uses_text, counts=counts)
    X_all = space_all.design(rows, state, text=uses_text, counts=counts)
    coef, b = fitting.fit_form(chosen.sel.form, chosen.sel.alpha, X_all, y, imp)
    typical = {c: float(np.nanmedian(state[c].to_numpy(float))) for c in VOLUME_COLUMNS}
    acc_state = AccountState.from_history(data.history, typical)
    off_now = 0.0
    if chosen.sel.form == "rate_x_impressions":
        level = acc_state.reach_level
        off_now = float(np.log(np.expm1(level))) if np.isfinite(level) and level > 0 else float(np.log(imp_fallback))
    scorer = Scorer(chosen.sel.form, chosen.sel.alpha, coef, b, uses_text, off_now, smear, q)

    card = ModelCard(
        target=data.target,
        target_label=TARGET_LABELS[data.target],
        n_train=int(cut),
        n_test=int(n - cut),
        window=(iso(rows["created_at"].iloc[0]), iso(rows["created_at"].iloc[-1])),
        test_from=iso(rows["created_at"].iloc[cut]),
        metrics=metrics,
        candidates=full.sel.table,
        interval_coverage=chosen.coverage,
        used=used,
        verdict="",
        holdout=[(round(float(p), 3), float(a)) for p, a in zip(chosen.pred, y[te], strict=True)],
        versions=_versions(),
        fingerprint=_fingerprint(rows, y, tz, include_replies, include_retweets, data.target),
        trained_at=datetime.now(UTC).isoformat(timespec="seconds"),
        timezone=tz,
        include_replies=include_replies,
        include_retweets=include_retweets,
        notes=list(data.notes),
    )
    card.verdict = _verdict(card)
    stats = hint_stats(rows, y, data.target, tz, data.history, counts)
    return TrainedModel(card, space_all, scorer, acc_state, y, stats, _default_slot(rows, tz))


@dataclass
class _Evaluated:
    sel: fitting.Selection
    f: np.ndarray  # holdout log scores
    pred: np.ndarray  # holdout predictions
    coverage: float


def _evaluate(
    X: sp.csr_matrix,
    y: np.ndarray,
    imp: np.ndarray,
    offset: np.ndarray,
    link: np.ndarray,
    tr: slice,
    te: slice,
    forms: Sequence[str],
    uses_text: bool,
) -> _Evaluated:
    """Select on the inner time-ordered folds of the training part, fit on the whole part, score the holdout.

    The inner folds share the training part's vocabulary and idf (unsupervised, and the holdout is
    never part of it): refitting the vectoriser per fold would double the training time.
    """
    sel = fitting.select(X[tr], y[tr], imp[tr], offset[tr], link[tr], forms)
    smear, q = fitting.calibrate(sel.form, sel.resid, sel.resid_link)
    coef, b = fitting.fit_form(sel.form, sel.alpha, X[tr], y[tr], imp[tr])
    scorer = Scorer(sel.form, sel.alpha, coef, b, uses_text, smear=smear, q=q)
    f = fitting.log_score(sel.form, coef, b, X[te], offset[te])
    pred = scorer.mean(f, link[te])
    lo, hi = scorer.interval(f, link[te])
    inside = (y[te] >= np.minimum(lo, pred) - 1e-9) & (y[te] <= np.maximum(hi, pred) + 1e-9)
    return _Evaluated(sel, f, pred, float(np.mean(inside)))


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
    observed sum.
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
    return " ".join(s for s in (first, second, third, *card.notes) if s)


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
_TEXT_ARRAYS = ("word_terms", "word_idf", "char_terms", "char_idf")


def dumps(model: TrainedModel) -> bytes:
    """skops artifact (ZIP_DEFLATED) of numpy arrays plus the card and settings as JSON text.

    The vectorisers are stored as their term and idf arrays and rebuilt on load: a 50k-term
    vocabulary as a dict costs skops one node per term (seconds to load), as an array milliseconds.
    """
    space, sc, st = model.space, model.scorer, model.state
    meta = {
        "model_version": MODEL_VERSION, "tz": space.tz, "domains": space.domains, "with_reply": space.with_reply,
        "struct_names": space.struct_names, "text_weight": space.text_weight, "form": sc.form, "alpha": sc.alpha,
        "intercept": sc.intercept, "uses_text": sc.uses_text, "offset": sc.offset, "smear": list(sc.smear),
        "q": list(sc.q), "reach_level": st.reach_level, "typical": st.typical, "hint_stats": model.hint_stats,
        "default_slot": model.default_slot,
    }  # fmt: skip
    return pack(
        {
            **space.text_arrays(),
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
    meta, card = orjson.loads(p["meta"]), ModelCard.from_dict(orjson.loads(p["card"]))
    space = FeatureSpace(
        tz=meta["tz"], domains=meta["domains"], with_reply=meta["with_reply"], struct_names=meta["struct_names"],
        mean=p["mean"], scale=p["scale"], text_weight=meta["text_weight"],
    )  # fmt: skip
    space.set_text_arrays({k: p[k] for k in _TEXT_ARRAYS if k in p})
    scorer = Scorer(meta["form"], meta["alpha"], p["coef"], meta["intercept"], meta["uses_text"], meta["offset"],
                    tuple(meta["smear"]), tuple(meta["q"]))  # fmt: skip
    reach = math.nan if meta["reach_level"] is None else meta["reach_level"]
    state = AccountState(p["post_times_ns"], reach, meta["typical"])
    return TrainedModel(card, space, scorer, state, p["past_target"], meta["hint_stats"], meta["default_slot"])
