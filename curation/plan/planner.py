"""The plan: the few strongest drafts at the best free times, every post and every draft left out explained."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from curation.errors import CurationError
from curation.facts import WEEKDAYS
from curation.plan.bar import GridModel, clear_bar, clear_words, no_link_reason, typical_now
from curation.plan.best_times import best_times, slot_multipliers, slot_notes
from curation.plan.constraints import PlanConstraints, candidate_slots
from curation.plan.optimiser import EPS, Optimiser, day_codes, factor_array, schedule_value
from curation.plan.result import LeftOut, Plan, Slot
from curation.plan.volume import volume
from curation.text import has_link

NAIVE_TIMES: tuple[int, ...] = (9, 13, 17)
GAIN_FLOOR_SHARE = 0.01  # a post must add >= 1 % of the best draft's best prediction to be worth a slot


def _when(ts: pd.Timestamp, tz: str) -> str:
    local = ts.tz_convert(tz)
    return f"{WEEKDAYS[local.weekday()]} {local:%H:%M}"


# --------------------------------------------------------------------------- the optimiser


def _slot(drafts: pd.DataFrame, slots: Sequence[pd.Timestamp], pred: np.ndarray, lower: np.ndarray,
          upper: np.ndarray, d: int, s: int, why: str) -> Slot:
    """Draft ``d`` placed at slot ``s``, with its prediction and interval there."""
    return Slot(at=slots[s], draft_id=int(drafts["draft_id"].iloc[d]), text=str(drafts["text"].iloc[d]),
                predicted=float(pred[d, s]), lower=float(lower[d, s]), upper=float(upper[d, s]), why=why)


def plan_schedule(
    drafts: pd.DataFrame,
    pred: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    slots: Sequence[pd.Timestamp],
    constraints: PlanConstraints,
    bar: float | Sequence[float] | np.ndarray,
    cap: int,
    volume_factor: Callable[[int], float] | Sequence[float],
    slot_quality: Sequence[str] | None = None,
    target_label: str = "clicks",
    min_gain: float | None = None,
    excluded: Sequence[str | None] | None = None,
    bar_label: str | Sequence[str] = "",
) -> Plan:
    """Maximise the expected total of a schedule of ``drafts`` (columns draft_id, text) over ``slots``.

    pred/lower/upper: (n_drafts, n_slots), e.g. from TrainedModel.predict_grid. Value of a schedule:
    every post on a local day with k posts earns pred x volume_factor(k) (factor(1) = 1; a sequence
    is read as [factor(1), factor(2), ...], its last value repeating). Hard rules: each draft at
    most once, each slot at most one post, posts >= min_gap_hours apart, <= cap posts per local
    day, only the constraints' days/hours/horizon, only drafts whose prediction (or, with
    ``constraints.bar_on == "lower"``, lower bound) at their best slot reaches ``bar`` (a number or
    one per draft), and no draft with a reason in ``excluded`` (one entry per draft, None = allowed).
    ``bar_label`` says what the bar is, for the reasons ("not clearly better than your typical ...").

    Algorithm: greedy (add the draft x slot with the largest marginal gain after the day's volume
    discount, while the gain is >= ``min_gain``, default 1 % of the best draft's best prediction),
    then best-improvement local search (swap in an unused draft, move a post, swap two posts' slots,
    drop a post that no longer pays), then ruin-and-recreate (drop one post, refill greedily, keep
    if better) until nothing improves. ``curve``: the plan peeled to its best n posts for
    n <= ``chosen_n``, then greedy additions past the floor (hard rules still hold).
    """
    pred, lower, upper = (np.asarray(a, dtype="float64") for a in (pred, lower, upper))
    slots = [pd.Timestamp(s).tz_convert("UTC") for s in slots]
    n_d, n_s = len(drafts), len(slots)
    for name, arr in (("pred", pred), ("lower", lower), ("upper", upper)):
        if arr.shape != (n_d, n_s):
            raise ValueError(f"{name} has shape {arr.shape}, expected ({n_d}, {n_s}) drafts x slots")
    if drafts["draft_id"].duplicated().any():
        raise ValueError("draft_id must be unique")
    if slot_quality is not None and len(slot_quality) != n_s:
        raise ValueError("slot_quality needs one entry per slot")
    if excluded is not None and len(excluded) != n_d:
        raise ValueError("excluded needs one entry per draft")
    barred = np.array([bool(x) for x in excluded] if excluded is not None else [False] * n_d, dtype=bool)
    cap = int(cap)
    if cap < 1:
        raise CurationError("The daily cap must be at least 1 post.")
    c = constraints
    bars = np.broadcast_to(np.asarray(bar, dtype="float64"), (n_d,)).copy()

    index = pd.DatetimeIndex(slots) if n_s else pd.DatetimeIndex([], tz="UTC")
    local = index.tz_convert(c.tz)
    minutes = local.hour * 60 + local.minute
    slot_ok = (
        np.isin(local.day_of_week, sorted(c.allowed_weekdays))
        & (minutes >= c.allowed_hours[0] * 60)
        & (minutes < c.allowed_hours[1] * 60)
        & np.asarray(index >= c.start)
        & np.asarray(index < c.end)
    )
    slot_ok = np.asarray(slot_ok, dtype=bool)
    if len(set(slots)) != n_s:  # a duplicate time would let two posts share one instant
        slot_ok &= ~pd.Index(slots).duplicated()
    day = day_codes(slots, c.tz)
    hours = np.asarray((index - index.min()) / pd.Timedelta(hours=1), dtype="float64") if n_s else np.zeros(0)

    known = np.isfinite(pred) & np.isfinite(lower)
    masked = np.where(slot_ok[None, :] & known, pred, -np.inf)
    best_slot = np.argmax(masked, axis=1) if n_s else np.zeros(n_d, dtype=int)
    has_slot = np.isfinite(masked).any(axis=1) if n_s else np.zeros(n_d, dtype=bool)
    judged = lower if c.bar_on == "lower" else pred
    best_judged = np.where(has_slot, judged[np.arange(n_d), best_slot] if n_s else np.nan, np.nan)
    clears = has_slot & (best_judged >= bars - 1e-12)
    eligible = clears & ~barred

    pair_ok = known & slot_ok[None, :]
    work = np.where(pair_ok, pred, 0.0)
    top = float(np.max(np.where(eligible[:, None] & np.isfinite(masked), masked, -np.inf), initial=0.0))
    floor = float(min_gain) if min_gain is not None else max(GAIN_FLOOR_SHARE * max(top, 0.0), EPS)
    vf = factor_array(volume_factor, cap)
    opt = Optimiser(work, pair_ok, slot_ok, eligible, day, hours, c.min_gap_hours, cap, vf, floor)
    opt.run()
    curve = opt.curve()
    st = opt.state
    chosen = np.flatnonzero(st.draft_slot >= 0)
    chosen_n = int(chosen.size)

    g = opt.gains(st)
    g_best = float(np.max(g)) if g.size else -np.inf
    if n_d == 0:
        stop = "no drafts to plan"
    elif not slot_ok.any():
        stop = "no slot fits the allowed days, hours and horizon"
    elif chosen_n == 0 and not eligible.any():
        stop = "no draft clears the quality bar"
    elif chosen_n == int(eligible.sum()):
        stop = "every draft that clears the bar is in the plan"
    elif not np.isfinite(g_best):
        stop = "constraints bind: no qualifying draft has a free slot (cap, gaps, horizon)"
    else:
        stop = f"one more post would add {g_best:.2f} {target_label}, below the {floor:.2f} floor"

    order = chosen[np.argsort(st.draft_slot[chosen])]
    by_value = {d: r for r, d in enumerate(sorted(chosen, key=lambda d: -pred[d, st.draft_slot[d]]), start=1)}
    out_slots = []
    for d in order:
        s = int(st.draft_slot[d])
        k = int(st.day_count[day[s]])
        rank = by_value[d]
        part = "strongest draft in the plan" if rank == 1 else f"#{rank} of {chosen_n} by predicted {target_label}"
        if best_slot[d] == s:
            part += ", at its best predicted time"
        if k > 1:
            part += f"; shares the day with {k - 1} other post{'s' if k > 2 else ''} (each ×{vf[k]:.2f})"
        when = _when(slots[s], c.tz)
        why = f"{slot_quality[s]}; {part}" if slot_quality is not None else f"{when}: {part}"
        out_slots.append(_slot(drafts, slots, pred, lower, upper, d, s, why))

    left = []
    k_all = st.day_count[day] if n_s else np.zeros(0, dtype=int)
    open_any = slot_ok & (st.slot_draft < 0) & (st.blocked == 0)
    for d in range(n_d):
        if st.draft_slot[d] >= 0:
            continue
        if not slot_ok.any():
            reason = "no free slot left within the horizon and gaps"
        elif not known[d].any():
            reason = "no prediction for this draft"
        elif not has_slot[d]:
            reason = "no free slot left within the horizon and gaps"
        elif barred[d]:
            reason = str(excluded[d])  # type: ignore[index]
        elif not eligible[d]:
            what = "lower bound" if c.bar_on == "lower" else f"predicted {target_label}"
            reason = f"below the quality bar: {what} {best_judged[d]:.1f} < bar {bars[d]:.1f}"
            said = bar_label if isinstance(bar_label, str) else bar_label[d]
            if said:
                reason += f" ({said})"
        elif not open_any.any():
            reason = "no free slot left within the horizon and gaps"
        elif not (open_any & (k_all < cap)).any():
            reason = f"over the daily cap: every free slot is on a day that already has {cap} posts"
        else:
            reason = (
                f"adds too little: at best +{max(g[d].max(), 0.0):.1f} {target_label} once the day's volume discount "
                f"is counted (floor {floor:.1f})"
            )
        left.append(LeftOut(draft_id=int(drafts["draft_id"].iloc[d]), text=str(drafts["text"].iloc[d]), reason=reason))

    info = {**c.to_dict(), "bar": [float(b) for b in bars] if np.ndim(bar) else float(bars[0] if n_d else bar)}
    info.update({"cap": cap, "min_gain": floor, "n_slots": n_s})
    nearest, suggestion = _nearest(drafts, left, has_slot & ~clears & ~barred, best_judged, bars, cap, target_label)
    return Plan(
        slots=out_slots,
        left_out=left,
        expected_total=opt.total(st),
        curve=curve,
        chosen_n=chosen_n,
        constraints=info,
        target_label=target_label,
        stop_reason=stop,
        nearest=nearest,
        suggestion=suggestion,
    )


NEAREST_SHOWN = 3


def _nearest(
    drafts: pd.DataFrame,
    left: list[LeftOut],
    below: np.ndarray,
    judged: np.ndarray,
    bars: np.ndarray,
    cap: int,
    target_label: str,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The drafts the bar kept out that came closest (by how much), and the bar or cap that would admit them.

    A bar suggestion admits every draft named as nearest (and any draft predicted above the lowest of
    them); a cap suggestion is one more post a day when drafts waited only for room under the cap.
    """
    rows = []
    for d in np.flatnonzero(below):
        short = float(bars[d] - judged[d])
        share = short / bars[d] if bars[d] > 0 else 1.0
        rows.append({"draft_id": int(drafts["draft_id"].iloc[d]), "text": str(drafts["text"].iloc[d]),
                     "predicted": float(judged[d]), "bar": float(bars[d]), "short_by": short, "short_share": share})
    rows.sort(key=lambda r: (r["short_share"], r["draft_id"]))
    nearest = rows[:NEAREST_SHOWN]
    suggestion: dict[str, Any] = {}
    if nearest:
        lowest = min(r["predicted"] for r in nearest)
        admit = float(np.floor(lowest * 100) / 100)
        suggestion["quality_bar"] = admit if admit > 0 else 0.01
        suggestion["admits"] = [r["draft_id"] for r in rows if r["predicted"] >= suggestion["quality_bar"]]
        named = ", ".join(f"#{i}" for i in suggestion["admits"][:NEAREST_SHOWN])
        more = len(suggestion["admits"]) - NEAREST_SHOWN
        suggestion["bar_text"] = (f"a bar of {suggestion['quality_bar']:g} {target_label} would admit {named}"
                                  + (f" and {more} more" if more > 0 else ""))
    if any(o.reason.startswith("over the daily cap") for o in left):
        suggestion["daily_cap"] = cap + 1
        suggestion["cap_text"] = f"a cap of {cap + 1} posts a day would make room for drafts that waited for it"
    return nearest, suggestion


def naive_schedule(
    drafts: pd.DataFrame,
    pred: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    slots: Sequence[pd.Timestamp],
    constraints: PlanConstraints,
    volume_factor: Callable[[int], float] | Sequence[float],
    times: Sequence[int] = NAIVE_TIMES,
    target_label: str = "clicks",
) -> Plan:
    """The habit to beat: every draft first-in-first-out at fixed local hours (09/13/17) every day.

    Ignores the bar, the cap, the gap and the allowed days; only the given ``slots`` at those
    hours inside the horizon are used. Valued with the same volume discount as plan_schedule.
    """
    pred, lower, upper = (np.asarray(a, dtype="float64") for a in (pred, lower, upper))
    slots = [pd.Timestamp(s).tz_convert("UTC") for s in slots]
    c = constraints
    fixed = [
        i
        for i, t in enumerate(slots)
        if c.start <= t < c.end and t.tz_convert(c.tz).hour in set(times) and t.tz_convert(c.tz).minute == 0
    ]
    fixed.sort(key=lambda i: slots[i])
    n = min(len(drafts), len(fixed))
    d_idx, s_idx = list(range(n)), fixed[:n]
    out = [
        _slot(drafts, slots, pred, lower, upper, d, s, f"{_when(slots[s], c.tz)}: next draft in line at a fixed time")
        for d, s in zip(d_idx, s_idx, strict=True)
    ]
    left = [
        LeftOut(int(drafts["draft_id"].iloc[d]), str(drafts["text"].iloc[d]), "no free slot left within the horizon")
        for d in range(n, len(drafts))
    ]
    curve = [(m, schedule_value(d_idx[:m], s_idx[:m], pred, slots, c.tz, volume_factor)) for m in range(1, n + 1)]
    return Plan(
        slots=out,
        left_out=left,
        expected_total=curve[-1][1] if curve else 0.0,
        curve=curve,
        chosen_n=n,
        constraints={**c.to_dict(), "times": list(times)},
        target_label=target_label,
        stop_reason="every draft placed" if n == len(drafts) else "fixed times ran out",
    )


def on_best_times(
    pred: np.ndarray, lower: np.ndarray, upper: np.ndarray, theta: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each draft's prediction averaged over the slots, times the Insights timing multiplier of each slot.

    The model's own time-of-day pattern is averaged out so the plan and the Insights page use one
    best-time estimate (the shrunk weekday x 4-hour cells of best_times.best_times).
    """
    theta = np.asarray(theta, dtype="float64")[None, :]
    return tuple(np.nanmean(np.asarray(a, dtype="float64"), axis=1)[:, None] * theta for a in (pred, lower, upper))


def build_plan(
    drafts: pd.DataFrame,
    model: GridModel,
    tweets: pd.DataFrame,
    constraints: PlanConstraints,
    expected: pd.Series | None = None,
) -> Plan:
    """End to end: slots from the constraints, predictions from the model, timing/cap/bar from history.

    Timing is the Insights page's (on_best_times); the cap is volume.volume's unless the user set
    one; the default bar asks a draft to be clearly better than the typical recent post now
    (typical_now, clear_bar), and with a clicks target a draft without a link is left out when the
    account's posts without links earned almost nothing.
    """
    c = constraints
    slots = candidate_slots(c)
    if not slots:
        raise CurationError("No slot fits these constraints: allow more days, weekdays or hours.")
    if drafts.empty:
        raise CurationError("No approved drafts to plan: approve some drafts first.")
    target, label = model.card.target, model.card.target_label
    texts = list(drafts["text"].astype(str))
    raw = model.predict_grid(texts, slots)
    times = best_times(tweets, c.tz, expected=expected, target=target)
    theta = slot_multipliers(times, slots)
    pred, lower, upper = on_best_times(*raw, theta)
    vol = volume(tweets, c.tz, expected=expected, target=target)
    cap = int(c.daily_cap) if c.daily_cap is not None else vol.cap
    if c.quality_bar is not None:
        bar: float | np.ndarray = float(c.quality_bar)
        bar_label: str | list[str] = ""
    else:
        typical, names = typical_now(model, tweets, texts, slots, target)
        level = typical * float(theta.max())  # the typical post at the best time, where a draft is judged
        bar = clear_bar(level)
        bar_label = [clear_words(n, float(t), label) for n, t in zip(names, level, strict=True)]
    reason = no_link_reason(tweets, target, label)
    excluded = [None if has_link(t) else reason for t in texts] if reason else None
    plan = plan_schedule(
        drafts,
        pred,
        lower,
        upper,
        slots,
        c,
        bar=bar,
        cap=cap,
        volume_factor=vol.plan_factor,
        slot_quality=slot_notes(times, slots),
        target_label=label,
        excluded=excluded,
        bar_label=bar_label,
    )
    plan.timing = times.reading
    plan.constraints["cap_source"] = "yours" if c.daily_cap is not None else vol.reading
    return plan
