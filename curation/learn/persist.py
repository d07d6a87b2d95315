"""skops artifacts checked against an explicit allow-list of types before anything is built: no pickle."""

from __future__ import annotations

import zipfile

import numpy as np
import skops.io as sio
from sklearn.feature_extraction.text import TfidfTransformer

from curation.errors import CurationError

# Every type an artifact may name: plain values, numpy arrays, the fitted TF-IDF weighting steps.
# get_untrusted_types() names whatever skops would not build by default; anything it names outside
# this list is refused before a single object is built, and the payload's values are checked again
# after loading (skops also builds any scikit-learn estimator by default: this app stores only these).
TRUSTED_TYPES: tuple[str, ...] = (
    "builtins.dict",
    "builtins.list",
    "builtins.tuple",
    "builtins.str",
    "builtins.int",
    "builtins.float",
    "builtins.bool",
    "builtins.NoneType",
    "numpy.ndarray",
    "sklearn.feature_extraction.text.TfidfTransformer",
)
_VALUE_TYPES = (str, int, float, bool, np.ndarray, TfidfTransformer, type(None))


def _type_name(value: object) -> str:
    kind = type(value)
    return f"{kind.__module__}.{kind.__qualname__}"


def pack(payload: dict) -> bytes:
    """skops.io bytes (ZIP_DEFLATED) of a dict of plain values, numpy arrays and fitted TfidfTransformers.

    Vocabularies travel as term arrays, not vectoriser objects: a vocabulary dict costs skops one node
    per term (with numpy int values even one file per term), an array one .npy file.
    """
    bad = sorted(k for k, v in payload.items() if not isinstance(v, _VALUE_TYPES))
    if bad:
        raise TypeError(f"only plain values, numpy arrays and TfidfTransformers are persisted, not {bad}")
    return sio.dumps(payload, compression=zipfile.ZIP_DEFLATED)


def _refuse(names: list[str]) -> CurationError:
    return CurationError(f"The model file names types this app never loads ({', '.join(names)}): retrain the model.")


def unpack(data: bytes, required: set[str]) -> dict:
    """The payload dict; CurationError when damaged, foreign, or naming any type outside TRUSTED_TYPES."""
    try:
        untrusted = sio.get_untrusted_types(data=data)
    except Exception as exc:  # not a zip, no schema, a schema skops cannot read
        raise CurationError("The model file is damaged or not a model: retrain the model.") from exc
    refused = sorted(t for t in untrusted if t not in TRUSTED_TYPES)
    if refused:
        raise _refuse(refused)
    try:
        payload = sio.loads(data, trusted=list(TRUSTED_TYPES))
    except Exception as exc:  # skops raises several types for malformed input
        raise CurationError("The model file could not be read: retrain the model.") from exc
    if not isinstance(payload, dict):
        raise _refuse([_type_name(payload)])
    values = list(payload.values())
    values += [a for v in payload.values() if isinstance(v, TfidfTransformer) for a in vars(v).values()]
    foreign = sorted({_type_name(v) for v in values if not isinstance(v, _VALUE_TYPES)})
    if foreign:
        raise _refuse(foreign)
    if not required <= set(payload):
        raise CurationError("The model file is not a curation model: retrain the model.")
    return payload
