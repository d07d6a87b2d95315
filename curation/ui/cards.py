"""The model card on screen: one plain sentence first, the numbers for analysts behind an expander."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import streamlit as st

from curation.ui.figures import holdout_figure
from curation.workspace.drafting import card_sentence, coverage_by_level_text, metrics_table

T = TypeVar("T")

PCT = st.column_config.NumberColumn(format="percent")
NUM = st.column_config.NumberColumn(format="%.2f")


@contextmanager
def working(label: str) -> Iterator[None]:
    """Long work (retraining, planning) shows where it happens, and says when it is done."""
    with st.status(label, expanded=False) as status:
        yield
        status.update(label=f"{label}: done", state="complete")


def retrain(label: str, fn: Callable[[], T]) -> T | None:
    """Run a retraining call under a status box; a domain error shows as st.error."""
    from curation.ui import run

    with working(label):
        return run(fn)


def retrain_in_steps(label: str, fn: Callable[[Callable[[str], None]], T]) -> T | None:
    """Run ``fn(step)`` under an open status box; each ``step(message)`` shows what it is doing now."""
    from curation.ui import run

    start = time.perf_counter()
    with st.status(label, expanded=True) as status:
        def step(message: str) -> None:
            status.update(label=f"{label}: {message.lower()}")
            st.write(f"{message} ({time.perf_counter() - start:.0f} s so far)")

        out = run(lambda: fn(step))
        status.update(label=f"{label}: done in {time.perf_counter() - start:.0f} s", state="complete",
                      expanded=False)
    return out


def model_card(card: dict) -> None:
    """What the model is worth, in words a marketer reads, then the analyst's table and chart."""
    st.subheader("How good is the model?")
    st.markdown(f"**{card_sentence(card)}**")
    with st.expander("The numbers behind it (tested on your latest tweets it never saw)"):
        st.write(card["verdict"])
        st.dataframe(metrics_table(card), hide_index=True, column_config={
            "predictor": st.column_config.TextColumn(width="medium"),
            "share of the top fifth": PCT,
            "ranks like the real order (Spearman)": NUM,
            "typical miss (log scale)": NUM,
            "explains (Poisson D²)": NUM,
        })
        cov = card.get("interval_coverage")
        held = f"{cov:.0%}" if isinstance(cov, int | float) and cov == cov else "an unknown share"
        if by_level := coverage_by_level_text(card):
            held += f" ({by_level})"
        st.caption(f"Trained on {card['n_train']:,} tweets, tested on the latest {card['n_test']:,}; "
                   f"80 % ranges held {held} of them. Scoring uses: {card['used']}. "
                   "B0–B3 are simpler predictors the model must beat to be worth using.")
        st.plotly_chart(holdout_figure(card), key="holdout")
