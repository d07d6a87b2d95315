"""Turn a linear log-space score into named, multiplicative effects a marketer can read."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from curation.features import URL_RE, FeatureSpace, has_number, text_for_model

_STRIP = ".,;:!?()[]{}\"'“”‘’…-–—*"
MAX_WORD_LABEL = 24


def asks_question(text: str) -> bool:
    return "?" in URL_RE.sub(" ", str(text))


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
