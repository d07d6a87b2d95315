"""Best times: weekday x 4-hour cells, how much more than expected each earned, gamma-Poisson shrunk."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from curation.errors import NotEnoughData
from curation.facts import TIMING_CELL_HOURS, WEEKDAYS
from curation.plan.history import Finding, cell_label, with_target
from curation.plan.volume import fit_volume, hyperbolic

GOOD_P = 0.8  # a cell is "good" only when P(theta > 1) exceeds this ...
BAD_P = 0.2  # ... and "bad" only when it is below this
_PRIOR_NU_BOUNDS = (0.5, 1e4)


@dataclass(frozen=True, eq=False)
class BestTimes(Finding):
    """Weekday x 4-hour cells with gamma-Poisson shrunk multipliers; ``table`` has one row per cell.

    ``hours_table`` pools the weekdays: one row per 4-hour block, shrunk the same way.
    """

    hours_table: pd.DataFrame = field(default_factory=pd.DataFrame)
    prior_nu: float = 1.0
    prior_alpha: float = 1.0
    dispersion: float = 1.0
    tz: str = "UTC"

    @property
    def good_cells(self) -> pd.DataFrame:
        """Cells whose multiplier is reliably above 1 (P(theta > 1) > GOOD_P), best first."""
        good = self.table[self.table["verdict"] == "good"]
        return good.sort_values("p_better", ascending=False, ignore_index=True)


def _gamma_prior(o: np.ndarray, e: np.ndarray) -> float:
    """Prior strength nu (= alpha, prior mean 1) by Marshall's (1991) method of moments on cell ratios.

    Between-cell variance of theta = weighted variance of O/E minus its Poisson part (1 / mean E).
    No excess variance means timing explains nothing: a strong prior shrinks every cell to 1.
    """
    keep = e > 0
    if keep.sum() < 2:
        return _PRIOR_NU_BOUNDS[1]
    o, e = o[keep], e[keep]
    m = o.sum() / e.sum()
    s2 = float(np.sum(e * (o / e - m) ** 2) / e.sum())
    tau2 = s2 - m / e.mean()
    if tau2 <= 1.0 / _PRIOR_NU_BOUNDS[1]:
        return _PRIOR_NU_BOUNDS[1]
    return float(np.clip(1.0 / tau2, *_PRIOR_NU_BOUNDS))


def best_times(
    tweets: pd.DataFrame,
    tz: str,
    expected: pd.Series | None = None,
    target: str | None = None,
    control_volume: bool = True,
) -> BestTimes:
    """Weekday x 4-hour cells in ``tz``: how much more than expected each cell earned, shrunk.

    O = observed target, E = content-only expected target (``expected``, indexed by tweet_id, e.g.
    model.expected_without_time; without it a structure-only stand-in). E is multiplied by the
    fitted posts-per-day factor (``control_volume``) and rescaled so sum E = sum O: theta is then
    "times the account's usual" with busy weekdays not penalised against quiet weekends.
    Counts are deflated by the Pearson dispersion so heavy-tailed clicks do not pass for certainty.
    Gamma-Poisson: theta ~ Gamma(nu, nu) (prior mean 1, nu by method of moments), posterior
    Gamma(O + nu, E + nu); P(theta > 1) > 0.8 is "good", < 0.2 "bad".
    """
    frame, target, label = with_target(tweets, tz, target, expected)
    if frame.empty or frame["O"].sum() <= 0:
        raise NotEnoughData(f"No {label} in the history yet: best times need tweets that earned some.")
    b, _, dispersion, _ = fit_volume(frame)
    e = frame["E"] * (hyperbolic(frame["n_day"], b) if control_volume else 1.0)
    frame = frame.assign(E=e * frame["O"].sum() / e.sum())

    grid = pd.MultiIndex.from_product([range(7), range(0, 24, TIMING_CELL_HOURS)], names=["weekday", "block"])
    cells = frame.groupby(["weekday", "block"]).agg(n=("O", "size"), observed=("O", "sum"), expected=("E", "sum"))
    cells = cells.reindex(grid, fill_value=0).reset_index()
    cells.insert(2, "cell", [cell_label(w, bl) for w, bl in zip(cells["weekday"], cells["block"], strict=True)])
    cells, nu = _shrink(cells, dispersion)
    blocks = frame.groupby("block").agg(n=("O", "size"), observed=("O", "sum"), expected=("E", "sum"))
    blocks = blocks.reindex(range(0, 24, TIMING_CELL_HOURS), fill_value=0).reset_index()
    blocks.insert(1, "hours", [f"{bl:02d}–{bl + TIMING_CELL_HOURS:02d}" for bl in blocks["block"]])
    blocks, _ = _shrink(blocks, dispersion)

    good = cells[cells["verdict"] == "good"].sort_values("p_better", ascending=False)
    bad = cells[cells["verdict"] == "bad"]
    good_blocks = blocks[blocks["verdict"] == "good"].sort_values("p_better", ascending=False)
    pooled = "".join(
        f"; across the whole week {r.hours} is reliably good (×{r.theta:.2f}, P = {r.p_better:.2f}, n = {int(r.n)})"
        for r in good_blocks.head(1).itertuples()
    )
    if good.empty:
        top = cells.loc[cells["p_better"].idxmax()]
        reading = (
            f"Timing makes no reliable difference to your {label}: no weekday/time cell is better than "
            f"usual with P > {GOOD_P:.1f} (closest: {top['cell']}, ×{top['theta']:.2f}, "
            f"P = {top['p_better']:.2f}, n = {int(top['n'])}){pooled}."
        )
    else:
        listed = ", ".join(
            f"{r.cell} (×{r.theta:.2f}, P = {r.p_better:.2f}, n = {int(r.n)})" for r in good.head(4).itertuples()
        )
        more = f" and {len(good) - 4} more" if len(good) > 4 else ""
        worse = f"; {len(bad)} cell{'s are' if len(bad) != 1 else ' is'} reliably weaker" if len(bad) else ""
        reading = f"Reliably good times for {label}: {listed}{more}{worse}{pooled}."
    return BestTimes(
        table=cells,
        reading=reading,
        target_label=label,
        hours_table=blocks,
        prior_nu=nu,
        prior_alpha=nu,
        dispersion=dispersion,
        tz=tz,
    )


def _shrink(cells: pd.DataFrame, dispersion: float) -> tuple[pd.DataFrame, float]:
    """Add the gamma-Poisson posterior (theta, 90 % range, P(theta > 1), verdict) to rows with n/observed/expected."""
    cells = cells.copy()
    cells["n"] = cells["n"].astype("int64")
    o_eff = cells["observed"].to_numpy(dtype="float64") / dispersion
    e_eff = cells["expected"].to_numpy(dtype="float64") / dispersion
    nu = _gamma_prior(o_eff, e_eff)
    shape, rate = o_eff + nu, e_eff + nu
    with np.errstate(divide="ignore", invalid="ignore"):
        cells["raw_ratio"] = np.where(cells["expected"] > 0, cells["observed"] / cells["expected"], np.nan)
    cells["theta"] = shape / rate
    cells["theta_low"] = stats.gamma.ppf(0.05, shape, scale=1.0 / rate)
    cells["theta_high"] = stats.gamma.ppf(0.95, shape, scale=1.0 / rate)
    cells["p_better"] = stats.gamma.sf(1.0, shape, scale=1.0 / rate)
    cells["verdict"] = np.select(
        [cells["n"] == 0, cells["p_better"] > GOOD_P, cells["p_better"] < BAD_P],
        ["no posts", "good", "bad"],
        "unclear",
    )
    return cells, nu


def slot_notes(finding: BestTimes, slots: list[pd.Timestamp] | pd.DatetimeIndex) -> list[str]:
    """Plain words per planner slot: 'Tue 10:00 is one of your reliably good times (×1.25, P = 0.97)'."""
    theta, verdict, prob = (finding.table.set_index(["weekday", "block"])[c] for c in ("theta", "verdict", "p_better"))
    notes = []
    for at in pd.DatetimeIndex(slots).tz_convert(finding.tz):
        key = (at.weekday(), (at.hour // TIMING_CELL_HOURS) * TIMING_CELL_HOURS)
        when = f"{WEEKDAYS[at.weekday()]} {at:%H:%M}"
        kind = verdict.get(key, "no posts")
        if kind == "good":
            notes.append(f"{when} is one of your reliably good times (×{theta[key]:.2f}, P = {prob[key]:.2f})")
        elif kind == "bad":
            notes.append(f"{when} is a reliably weaker time (×{theta[key]:.2f}), used for lack of better slots")
        elif kind == "no posts":
            notes.append(f"{when}: you have not posted at this time before")
        else:
            notes.append(f"{when}: timing makes no reliable difference here")
    return notes


def slot_multipliers(finding: BestTimes, slots: list[pd.Timestamp] | pd.DatetimeIndex) -> np.ndarray:
    """Shrunk timing multiplier theta per slot (1 where the history is silent)."""
    theta = finding.table.set_index(["weekday", "block"])["theta"]
    local = pd.DatetimeIndex(slots).tz_convert(finding.tz)
    keys = zip(local.day_of_week, (local.hour // TIMING_CELL_HOURS) * TIMING_CELL_HOURS, strict=True)
    return np.array([float(theta.get(k, 1.0)) for k in keys])
