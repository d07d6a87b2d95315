"""Model artifacts: only the allow-listed types load; anything else is refused with a message that says what to do."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
import scipy.sparse as sp
import skops.io as sio
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.linear_model import LogisticRegression

from curation.errors import CurationError
from curation.learn.persist import TRUSTED_TYPES, pack, unpack

REQUIRED = {"coef", "meta"}


def _payload() -> dict:
    weigher = TfidfTransformer(sublinear_tf=True).fit(sp.csr_matrix(np.array([[1.0, 0.0], [2.0, 1.0]], np.float32)))
    return {"coef": np.arange(3.0), "meta": "{}", "word_terms": np.array(["data", "guide"]), "word_tfidf": weigher,
            "alpha": 3.0, "plain": False, "missing": None}  # fmt: skip


def _tampered(**extra: object) -> bytes:
    """An artifact written by someone else: skops itself, not pack(), so nothing stops the intruder."""
    return sio.dumps({**_payload(), **extra}, compression=zipfile.ZIP_DEFLATED)


def test_a_genuine_artifact_round_trips():
    back = unpack(pack(_payload()), REQUIRED)
    assert set(back) == set(_payload())
    np.testing.assert_array_equal(back["word_tfidf"].idf_, _payload()["word_tfidf"].idf_)
    assert set(sio.get_untrusted_types(data=pack(_payload()))) <= set(TRUSTED_TYPES)


@pytest.mark.parametrize(
    ("intruder", "named"),
    [(eval, "builtins.eval"), (np.load, "numpy"), (LogisticRegression(), "LogisticRegression")],
    ids=["function", "numpy-function", "default-trusted-estimator"],
)
def test_an_unexpected_type_is_refused_with_a_clear_message(intruder, named):
    with pytest.raises(CurationError, match="types this app never loads") as err:
        unpack(_tampered(extra=intruder), REQUIRED)
    assert named in str(err.value) and "retrain the model" in str(err.value)


def test_an_intruder_inside_a_stored_transformer_is_refused():
    weigher = _payload()["word_tfidf"]
    weigher.extra_ = LogisticRegression()
    with pytest.raises(CurationError, match="LogisticRegression"):
        unpack(_tampered(word_tfidf=weigher), REQUIRED)


def test_pack_refuses_to_write_what_unpack_would_refuse():
    with pytest.raises(TypeError):
        pack({**_payload(), "extra": LogisticRegression()})


@pytest.mark.parametrize("blob", [b"", b"not a zip at all", sio.dumps([1, 2])])
def test_damaged_or_foreign_files_ask_for_a_retrain(blob):
    with pytest.raises(CurationError, match="retrain the model"):
        unpack(blob, REQUIRED)
