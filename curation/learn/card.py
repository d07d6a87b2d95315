"""The model card: what the model is, how it did on tweets it never saw, and the plain words that say so."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from curation.facts import TARGET_LABELS
from curation.learn import fitting
from curation.learn.data import TrainingData
from curation.learn.prior import load_prior
from curation.learn.textblock import CHAR_MAX_ROWS
from curation.plain import json_safe

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


def fmt(v: float) -> str:
    """A metric at two decimals; "n/a" when it is not defined."""
    return f"{v:.2f}" if np.isfinite(v) else "n/a"


def verdict(card: ModelCard) -> str:
    """Two or three plain sentences: how good, against the baselines, and what to do with it."""
    m, b1, b2 = card.metrics["model"], card.metrics["B1"], card.metrics["B2"]
    label = card.target_label
    first = (
        f"On the latest {card.n_test} tweets it never saw, the model {_quality(m['spearman'])} by {label} "
        f"(Spearman {fmt(m['spearman'])}; structure and timing alone {fmt(b2['spearman'])}, "
        f"the recent median {fmt(b1['spearman'])})."
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
            f"timing; Spearman {fmt(b2['spearman'])}): treat small differences between drafts as noise."
        )
    scorer = m if card.used == "model" else b2
    third = ""
    if fitting.better(b1["spearman"], scorer["spearman"] + 0.05):
        third = (
            f"On these tweets the recent median alone (link or not) ranked better ({fmt(b1['spearman'])}): clicks "
            "here follow the account's recent level more than the wording, so compare drafts with care."
        )
    b3 = card.metrics.get("B3")
    fourth = ""
    if b3 is not None and fitting.better(b3["spearman"], scorer["spearman"] + 0.05):
        fourth = (
            f"The plain reference model (B3: words, a few counts, hour and weekday) ranked these tweets better "
            f"({fmt(b3['spearman'])}); on so few tweets that gap is mostly chance, but read the ranking loosely."
        )
    return " ".join(s for s in (first, small, second, third, fourth, *card.notes) if s)



def wording_note(n: int) -> list[str]:
    """Say when the wording is read as words only (large histories skip character fragments)."""
    if n < CHAR_MAX_ROWS:
        return []
    return [f"With {n:,} tweets the wording is read as words and two-word phrases, without character "
            "fragments: on large histories they ranked no better and cost most of the training time."]



def prior_note(share: float) -> list[str]:
    """The card's note on the share of the score the cross-account prior carried (none when unused)."""
    found = load_prior()
    if not share or found is None:
        return []
    return [f"About {share:.0%} of the score came from a prior learned across {found.n_accounts} public accounts "
            "(link, reply, time and recent-level effects); the rest from this account's own tweets."]


def learned_from(data: TrainingData, auto: bool, why: str) -> str:
    """Which tweets the model learned from, and why replies are in or out when training decided it."""
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
