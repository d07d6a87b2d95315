"""The persisted content-only expectation: one row per workspace, data version and timezone."""

from __future__ import annotations

import math

import pandas as pd
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from curation.store.access import now
from curation.store.models import Expectation


def stored_expectation(
    session: Session, workspace_id: int, data_version: int, tz: str
) -> tuple[bool, pd.Series | None]:
    """(found, series): the expectation stored for this data version; the series is None when it could not be fitted."""
    row = session.execute(
        select(Expectation.values).where(
            Expectation.workspace_id == workspace_id, Expectation.data_version == data_version, Expectation.tz == tz
        )
    ).first()
    if row is None:
        return False, None
    values = row[0]
    if not values:
        return True, None
    expected = [math.nan if v is None else float(v) for v in values["expected"]]
    index = pd.Index([str(t) for t in values["tweet_id"]], name="tweet_id")
    return True, pd.Series(expected, index=index, name=values.get("name"), dtype=float)


def store_expectation(
    session: Session, workspace_id: int, data_version: int, tz: str, expected: pd.Series | None
) -> None:
    """Keep this version's expectation (None: too little history) and drop older versions' rows.

    Two replicas may fit the same version at once; the second insert loses the race quietly,
    since both hold the same numbers.
    """
    values = None
    if expected is not None:
        # JSON has no NaN (PostgreSQL refuses it): missing values travel as null.
        numbers = [None if not math.isfinite(v) else float(v) for v in expected.to_numpy(dtype=float)]
        values = {"tweet_id": [str(t) for t in expected.index], "expected": numbers,
                  "name": None if expected.name is None else str(expected.name)}
    session.execute(
        delete(Expectation).where(Expectation.workspace_id == workspace_id, Expectation.data_version < data_version)
    )
    try:
        with session.begin_nested():
            session.add(Expectation(workspace_id=workspace_id, data_version=data_version, tz=tz, values=values,
                                    created_at=now()))
    except IntegrityError:
        pass  # another process stored this version first
