"""skops artifacts with an explicit allow-list of types (builtins and numpy arrays only): no pickle."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import skops.io as sio

from curation.errors import CurationError

# Every type an artifact may name. Anything else is refused before skops builds a single object.
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
)


def pack(payload: dict) -> bytes:
    """skops.io bytes (ZIP_DEFLATED) of a dict of plain values and numpy arrays.

    Vectorisers travel as term/idf arrays, not objects: a vocabulary dict costs skops one node per
    term (with numpy int values even one file per term), an array one .npy file.
    """
    bad = sorted(k for k, v in payload.items() if not isinstance(v, str | int | float | bool | np.ndarray | None))
    if bad:
        raise TypeError(f"only plain values and numpy arrays are persisted, not {bad}")
    return sio.dumps(payload, compression=zipfile.ZIP_DEFLATED)


def artifact_types(data: bytes) -> set[str]:
    """Every module.class the artifact's schema names, at any depth."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        schema = json.loads(z.read("schema.json"))
    found: set[str] = set()
    stack: list = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "__module__" in node and "__class__" in node:
                found.add(f"{node['__module__']}.{node['__class__']}")
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def unpack(data: bytes, required: set[str]) -> dict:
    """The payload dict; CurationError when damaged, foreign, or naming any type outside TRUSTED_TYPES."""
    try:
        types = artifact_types(data)
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError) as exc:
        raise CurationError("The model file is damaged or not a model: retrain the model.") from exc
    untrusted = sorted(t for t in types if t not in TRUSTED_TYPES)
    if untrusted:
        raise CurationError(
            f"The model file names types this app never loads ({', '.join(untrusted)}): retrain the model."
        )
    try:
        payload = sio.loads(data, trusted=list(TRUSTED_TYPES))
    except Exception as exc:  # skops raises several types for malformed input
        raise CurationError("The model file could not be read: retrain the model.") from exc
    if not isinstance(payload, dict) or not required <= set(payload):
        raise CurationError("The model file is not a curation model: retrain the model.")
    return payload
