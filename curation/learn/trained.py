"""The trained model at work: predict drafts at times with 80 % intervals, explain them, carry the card."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
import scipy.sparse as sp

from curation.facts import WEEKDAYS
from curation.learn.card import ModelCard
from curation.learn.explain import TextExplainer, batch_text_contributions, structure_effects
from curation.learn.features import FeatureSpace
from curation.learn.fitting import Scorer
from curation.learn.hints import draft_hint_texts
from curation.learn.structure import draft_frame
from curation.learn.timing import STATE_COLUMNS, TIME_COLUMNS, VOLUME_COLUMNS, AccountState
from curation.learn.util import utc_list

MIN_UPPER = 0.1  # the smallest upper bound shown for a draft predicted above 0 (one decimal)
MIN_EFFECT_SHOWN = math.log(1.03)  # effects smaller than 3 % are not worth a line


@dataclass
class Explanation:
    """Why a draft scores what it does: multiplicative effects (x1.8 = 80 % more) and own-number hints."""

    up: list[tuple[str, float]]
    down: list[tuple[str, float]]
    hints: list[str]


def upper_bound(upper: np.ndarray, pred: np.ndarray) -> np.ndarray:
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
            {"predicted": pred, "lower": np.minimum(lower, pred), "upper": upper_bound(upper, pred),
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
        return pred, np.minimum(lower, pred), upper_bound(upper, pred)

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
