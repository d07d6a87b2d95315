"""The planner keeps every hard rule, explains every draft it leaves out, and beats posting everything."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from curation import facts
from curation.errors import CurationError
from curation.plan.bar import CLEAR_MARGIN, clear_bar
from curation.plan.best_times import best_times, slot_multipliers
from curation.plan.constraints import BAR_ON, PlanConstraints, candidate_slots
from curation.plan.history import cell_label
from curation.plan.optimiser import schedule_value
from curation.plan.planner import NEAREST_SHOWN, build_plan, naive_schedule, plan_schedule
from curation.plan.result import Plan
from curation.workspace.demo import DEMO_DRAFTS, DEMO_TIMEZONE, demo_tweets

TZ = DEMO_TIMEZONE
START = pd.Timestamp("2026-11-02", tz=TZ)  # a Monday, after the DST change of 1 Nov 2026


def hyperbolic(n: int) -> float:
    return 1.0 / (1.0 + 0.25 * (n - 1))


def _drafts(n: int) -> pd.DataFrame:
    return pd.DataFrame({"draft_id": np.arange(100, 100 + n), "text": [f"draft {i}" for i in range(n)]})


def check_plan(plan: Plan, drafts, pred, lower, slots, c: PlanConstraints, bar, cap) -> None:
    """Every hard rule of plan_schedule, checked from the outside."""
    slots = list(slots)
    index = {t: i for i, t in enumerate(slots)}
    row = {int(d): i for i, d in enumerate(drafts["draft_id"])}
    bars = np.broadcast_to(np.asarray(bar, dtype=float), (len(drafts),))
    local = pd.DatetimeIndex(slots).tz_convert(c.tz)
    allowed = np.array(
        [
            t.weekday() in c.allowed_weekdays
            and c.allowed_hours[0] <= t.hour < c.allowed_hours[1]
            and c.start <= u < c.end
            for t, u in zip(local, slots, strict=True)
        ]
    )
    used_drafts = [s.draft_id for s in plan.slots]
    used_times = [s.at for s in plan.slots]
    assert len(set(used_drafts)) == len(used_drafts), "a draft twice"
    assert len(set(used_times)) == len(used_times), "two posts in one slot"
    for s in plan.slots:
        i, d = index[s.at], row[s.draft_id]
        assert allowed[i], f"slot {s.at} is outside the allowed days/hours/horizon"
        best = int(np.argmax(np.where(allowed, pred[d], -np.inf)))
        judged = lower if c.bar_on == "lower" else pred
        assert judged[d, best] >= bars[d] - 1e-9, "a below-bar draft was scheduled"
        assert s.predicted == pred[d, i] and s.why
    times = sorted(used_times)
    for a, b in itertools.pairwise(times):
        assert (b - a) >= pd.Timedelta(hours=c.min_gap_hours) - pd.Timedelta(seconds=1), "gap broken"
    per_day = pd.Series([t.tz_convert(c.tz).date() for t in used_times]).value_counts()
    assert per_day.empty or per_day.max() <= cap, "daily cap broken"
    # Every draft is either scheduled or left out, with exactly one reason.
    left = [o.draft_id for o in plan.left_out]
    assert sorted(used_drafts + left) == sorted(int(d) for d in drafts["draft_id"])
    assert all(isinstance(o.reason, str) and o.reason for o in plan.left_out)
    # The reported total is the value function of what was scheduled.
    total = schedule_value(
        [row[s.draft_id] for s in plan.slots], [index[s.at] for s in plan.slots], pred, slots, c.tz, hyperbolic
    )
    assert plan.expected_total == pytest.approx(total, rel=1e-9, abs=1e-9)
    # Curve: rising up to the chosen number of posts, which is what was scheduled.
    assert plan.chosen_n == len(plan.slots)
    curve = dict(plan.curve)
    ups = [curve[n] for n in range(1, plan.chosen_n + 1)]
    assert all(b > a for a, b in itertools.pairwise(ups)), plan.curve
    if plan.chosen_n:
        assert curve[plan.chosen_n] == pytest.approx(plan.expected_total)


@st.composite
def scenarios(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    n_drafts = draw(st.integers(1, 14))
    days = draw(st.integers(1, 5))
    weekdays = draw(st.sets(st.integers(0, 6), min_size=1))
    lo = draw(st.integers(0, 22))
    hi = draw(st.integers(lo + 1, 24))
    gap = draw(st.sampled_from([0.0, 1.0, 1.5, 2.0, 3.0, 5.0, 8.0]))
    cap = draw(st.integers(1, 4))
    bar = draw(st.floats(0.0, 6.0))
    offset = draw(st.integers(0, 23))
    bar_on = draw(st.sampled_from(BAR_ON))
    return seed, n_drafts, days, weekdays, (lo, hi), gap, cap, bar, offset, bar_on


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_plan_keeps_every_hard_rule_on_random_scores_and_constraints(case) -> None:
    seed, n_drafts, days, weekdays, hours, gap, cap, bar, offset, bar_on = case
    rng = np.random.default_rng(seed)
    start = START + pd.Timedelta(hours=offset)
    c = PlanConstraints(
        tz=TZ, start=start, days=days, allowed_weekdays=weekdays, allowed_hours=hours, min_gap_hours=gap,
        bar_on=bar_on,
    )
    # Offer every hour of a wider window so the planner itself must enforce days, hours and horizon.
    wide = PlanConstraints(tz=TZ, start=START - pd.Timedelta(days=1), days=days + 2, allowed_hours=(0, 24))
    slots = candidate_slots(wide)
    pred = rng.gamma(1.2, 3.0, (n_drafts, len(slots)))
    lower = pred * rng.uniform(0.2, 0.9, pred.shape)
    upper = pred * rng.uniform(1.1, 2.5, pred.shape)
    drafts = _drafts(n_drafts)
    plan = plan_schedule(drafts, pred, lower, upper, slots, c, bar=bar, cap=cap, volume_factor=hyperbolic)
    check_plan(plan, drafts, pred, lower, slots, c, bar, cap)
    json.dumps(plan.to_dict())


def _tiny_case(seed: int, n_drafts: int, n_slots: int, cap: int) -> tuple[float, float]:
    """(planner total, exhaustive optimum) for a tiny random instance."""
    rng = np.random.default_rng(seed)
    gap = float(rng.choice([0, 2, 5]))
    c = PlanConstraints(tz="UTC", start=pd.Timestamp("2026-11-02", tz="UTC"), days=2, allowed_hours=(0, 24),
                        min_gap_hours=gap)  # fmt: skip
    all_slots = candidate_slots(c)
    slots = [all_slots[i] for i in np.sort(rng.choice(len(all_slots), n_slots, replace=False))]
    pred = rng.gamma(1.0, 3.0, (n_drafts, n_slots))
    plan = plan_schedule(
        _drafts(n_drafts),
        pred,
        pred * 0.5,
        pred * 2,
        slots,
        c,
        bar=0.0,
        cap=cap,
        volume_factor=hyperbolic,
        min_gain=1e-12,
    )
    hours = np.array([(t - slots[0]) / pd.Timedelta(hours=1) for t in slots])
    days = np.array([t.toordinal() for t in slots])
    factor = [0.0] + [hyperbolic(k) for k in range(1, n_slots + 1)]
    best = 0.0
    for k in range(1, min(n_drafts, n_slots) + 1):
        for chosen in itertools.combinations(range(n_slots), k):
            if any(abs(hours[a] - hours[b]) < gap for a, b in itertools.combinations(chosen, 2)):
                continue
            per_day = {dd: int((days[list(chosen)] == dd).sum()) for dd in days[list(chosen)]}
            if max(per_day.values()) > cap:
                continue
            weights = [factor[per_day[days[s]]] for s in chosen]
            for who in itertools.permutations(range(n_drafts), k):
                best = max(best, sum(pred[d, s] * w for d, s, w in zip(who, chosen, weights, strict=True)))
    return plan.expected_total, best


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 4), st.integers(2, 7), st.integers(1, 3))
@example(seed=238, n_drafts=2, n_slots=2, cap=2)  # ruin trials once undid themselves here (0.78)
@example(seed=2514099093, n_drafts=4, n_slots=4, cap=2)  # three posts must all change slots (0.78)
def test_plan_is_never_far_from_the_exhaustive_optimum(seed, n_drafts, n_slots, cap) -> None:
    total, best = _tiny_case(seed, n_drafts, n_slots, cap)
    assert total <= best + 1e-9
    assert total >= 0.95 * best - 1e-9  # a heuristic, yet it reached the optimum in 3,000 random cases


def test_plan_is_on_average_within_a_percent_of_the_exhaustive_optimum() -> None:
    rng = np.random.default_rng(0)
    results = [
        _tiny_case(seed, int(rng.integers(1, 5)), int(rng.integers(2, 8)), int(rng.integers(1, 4)))
        for seed in range(80)
    ]
    ratios = np.array([total / best if best else 1.0 for total, best in results])
    assert ratios.mean() >= 0.99
    assert np.mean(ratios >= 0.999) >= 0.9


def _demo_like(n_drafts: int = 30, days: int = 7, seed: int = 3):
    """Drafts of mixed quality like the demo account's, clicks x1.5 at 9-11 local."""
    rng = np.random.default_rng(seed)
    c = PlanConstraints(tz=TZ, start=START, days=days)
    slots = candidate_slots(c)
    kinds = rng.choice(["useful", "promo", "filler", "opinion"], n_drafts, p=[0.3, 0.3, 0.2, 0.2])
    base = np.array([{"useful": 15.0, "promo": 5.0, "filler": 1.7, "opinion": 0.0}[k] for k in kinds])
    base *= rng.lognormal(0, 0.3, n_drafts)
    hours = pd.DatetimeIndex(slots).tz_convert(TZ).hour
    pred = base[:, None] * np.where(np.isin(hours, [9, 10, 11]), 1.5, 1.0)[None, :]
    drafts = pd.DataFrame({"draft_id": range(1, n_drafts + 1), "text": [f"{k} draft {i}" for i, k in enumerate(kinds)]})
    return drafts, pred, pred * 0.55, pred * 1.8, slots, c


def test_plan_beats_posting_everything_at_fixed_times() -> None:
    drafts, pred, lower, upper, slots, c = _demo_like()
    plan = plan_schedule(drafts, pred, lower, upper, slots, c, bar=3.0, cap=2, volume_factor=hyperbolic)
    naive = naive_schedule(drafts, pred, lower, upper, slots, c, volume_factor=hyperbolic)
    assert naive.chosen_n == 21 and len(naive.left_out) == 9
    assert plan.expected_total > 1.2 * naive.expected_total
    assert plan.chosen_n < naive.chosen_n  # fewer, better posts
    hours = {s.at.tz_convert(TZ).hour for s in plan.slots}
    assert hours & {9, 10, 11}
    check_plan(plan, drafts, pred, lower, slots, c, 3.0, 2)


def test_left_out_reasons_name_the_bar_the_cap_and_missing_slots() -> None:
    drafts, pred, lower, upper, slots, c = _demo_like(n_drafts=40, days=2)
    c.bar_on = "lower"  # strict: the lower end of the interval must reach the bar
    plan = plan_schedule(drafts, pred, lower, upper, slots, c, bar=3.0, cap=2, volume_factor=[1.0, 1.0, 1.0])
    reasons = {o.draft_id: o.reason for o in plan.left_out}
    below = [d for d in range(len(drafts)) if lower[d].max() < 3.0]
    for d in below:
        msg = reasons[int(drafts["draft_id"].iloc[d])]
        assert msg == f"below the quality bar: lower bound {lower[d].max():.1f} < bar 3.0"
    assert any(r.startswith("over the daily cap") for r in reasons.values())
    c.bar_on = "predicted"
    plan = plan_schedule(drafts, pred, lower, upper, slots, c, bar=3.0, cap=2, volume_factor=[1.0, 1.0, 1.0])
    reasons = {o.draft_id: o.reason for o in plan.left_out}
    for d in [d for d in range(len(drafts)) if pred[d].max() < 3.0]:
        msg = reasons[int(drafts["draft_id"].iloc[d])]
        assert msg == f"below the quality bar: predicted clicks {pred[d].max():.1f} < bar 3.0"
    tight = PlanConstraints(tz=TZ, start=START, days=1, allowed_hours=(9, 11), min_gap_hours=3)
    few = candidate_slots(tight)
    sub = plan_schedule(
        drafts.iloc[:3],
        pred[:3, : len(few)],
        lower[:3, : len(few)],
        upper[:3, : len(few)],
        few,
        tight,
        bar=0.0,
        cap=5,
        volume_factor=hyperbolic,
    )
    assert sub.chosen_n == 1
    assert {o.reason for o in sub.left_out} == {"no free slot left within the horizon and gaps"}


def test_a_post_that_would_lower_the_day_total_is_left_out() -> None:
    c = PlanConstraints(
        tz="UTC", start=pd.Timestamp("2026-11-02", tz="UTC"), days=1, allowed_hours=(8, 12), min_gap_hours=1
    )
    slots = candidate_slots(c)
    pred = np.array([[10.0] * len(slots), [1.0] * len(slots)])
    plan = plan_schedule(_drafts(2), pred, pred * 0.5, pred * 2, slots, c, bar=0.0, cap=3, volume_factor=[1.0, 0.5])
    # 10 alone beats (10 + 1) x 0.5: the weak draft stays out, and the curve shows the drop.
    assert plan.chosen_n == 1 and plan.expected_total == pytest.approx(10.0)
    assert plan.left_out[0].reason.startswith("adds too little")
    assert dict(plan.curve)[2] == pytest.approx(5.5)


def test_edge_cases_give_plain_reasons_instead_of_errors() -> None:
    c = PlanConstraints(tz="UTC", start=pd.Timestamp("2026-11-02", tz="UTC"), days=1)
    drafts = _drafts(2)
    none = np.zeros((2, 0))
    plan = plan_schedule(drafts, none, none, none, [], c, bar=0.0, cap=2, volume_factor=[1.0])
    assert plan.slots == [] and plan.stop_reason == "no slot fits the allowed days, hours and horizon"
    assert {o.reason for o in plan.left_out} == {"no free slot left within the horizon and gaps"}
    slots = candidate_slots(c)
    empty = np.zeros((0, len(slots)))
    assert (
        plan_schedule(drafts.iloc[:0], empty, empty, empty, slots, c, bar=0.0, cap=2, volume_factor=[1.0]).curve == []
    )
    pred = np.full((2, len(slots)), np.nan)
    pred[1] = 3.0
    plan = plan_schedule(drafts, pred, pred * 0.5, pred * 2, slots, c, bar=0.0, cap=2, volume_factor=[1.0])
    assert [s.draft_id for s in plan.slots] == [101]
    assert plan.left_out[0].reason == "no prediction for this draft"


def test_plan_for_100_drafts_over_14_days_fills_the_fortnight_within_the_cap() -> None:
    # Its speed is measured by `make bench` (insights_and_plan), not asserted here.
    drafts, pred, lower, upper, slots, c = _demo_like(n_drafts=100, days=14)
    plan = plan_schedule(drafts, pred, lower, upper, slots, c, bar=3.0, cap=3, volume_factor=hyperbolic)
    assert len(slots) == 140 and plan.chosen_n > 10
    per_day = pd.Series([s.at.date() for s in plan.slots]).value_counts()
    assert per_day.max() <= 3


def test_why_uses_the_slot_quality_notes() -> None:
    drafts, pred, lower, upper, slots, c = _demo_like(n_drafts=5, days=2)
    notes = [f"note {i}" for i in range(len(slots))]
    plan = plan_schedule(
        drafts, pred, lower, upper, slots, c, bar=0.0, cap=2, volume_factor=hyperbolic, slot_quality=notes
    )
    for s in plan.slots:
        assert s.why.startswith(f"note {slots.index(s.at)}; ")
    assert any("strongest draft in the plan" in s.why for s in plan.slots)


def test_to_dict_is_json_safe_with_utc_times() -> None:
    drafts, pred, lower, upper, slots, c = _demo_like(n_drafts=8, days=3)
    plan = plan_schedule(drafts, pred, lower, upper, slots, c, bar=3.0, cap=2, volume_factor=hyperbolic)
    d = json.loads(json.dumps(plan.to_dict()))
    assert set(d) >= {"slots", "left_out", "expected_total", "curve", "chosen_n", "constraints", "target_label"}
    assert d["slots"][0]["at"].endswith("Z")
    assert pd.Timestamp(d["slots"][0]["at"]) == plan.slots[0].at
    assert d["chosen_n"] == len(d["slots"]) and d["curve"][0][0] == 1


def test_candidate_slots_follow_local_hours_across_dst() -> None:
    c = PlanConstraints(tz=TZ, start=pd.Timestamp("2026-10-31", tz=TZ), days=3, allowed_hours=(0, 24))
    slots = candidate_slots(c)
    assert slots == sorted(set(slots))
    assert all(c.start <= t < c.end for t in slots)
    # 1 Nov 2026 has 25 hours in New York: the repeated 01:00 is offered once, every local hour once a day.
    local = pd.DatetimeIndex(slots).tz_convert(TZ)
    assert len(slots) == 72 and (pd.Series(local.hour).value_counts() == 3).all()
    # 8 Mar 2026 has no 02:00: it is not offered twice (as a shifted 03:00).
    spring = candidate_slots(
        PlanConstraints(tz=TZ, start=pd.Timestamp("2026-03-07", tz=TZ), days=3, allowed_hours=(0, 24))
    )
    assert len(spring) == len(set(spring)) == 71
    weekdays = PlanConstraints(tz=TZ, start=START, days=7, allowed_weekdays={0, 2}, allowed_hours=(9, 12))
    local = pd.DatetimeIndex(candidate_slots(weekdays)).tz_convert(TZ)
    assert set(local.day_of_week) == {0, 2} and set(local.hour) == {9, 10, 11} and len(local) == 6


def test_constraints_default_to_next_local_midnight_and_reject_nonsense() -> None:
    c = PlanConstraints(tz="Asia/Tokyo")
    local = c.start.tz_convert("Asia/Tokyo")
    assert local.hour == 0 and local.minute == 0 and c.start > pd.Timestamp.now(tz="UTC")
    assert str(c.start.tz) == "UTC"
    for bad in (
        {"tz": "Mars/Base"},
        {"tz": TZ, "allowed_hours": (18, 8)},
        {"tz": TZ, "allowed_weekdays": set()},
        {"tz": TZ, "daily_cap": 0},
        {"tz": TZ, "days": 0},
    ):
        with pytest.raises(CurationError):
            PlanConstraints(**bad)


@pytest.fixture(scope="module")
def tweets() -> pd.DataFrame:
    return demo_tweets()


def _stand_in(hours: list[int], factor: float, gain: dict[str, float] | None = None) -> SimpleNamespace:
    """A model whose link posts earn 12 clicks (0.5 without), times ``factor`` at the given local hours.

    ``gain`` multiplies what the named texts earn (the history's posts earn the plain 12 or 0.5).
    """
    gain = gain or {}

    def predict_grid(texts, slots):
        base = np.array([(12.0 if "https://" in t else 0.5) * gain.get(t, 1.0) for t in texts])
        local = pd.DatetimeIndex(slots).tz_convert(TZ).hour
        pred = base[:, None] * np.where(np.isin(local, hours), factor, 1.0)[None, :]
        return pred, pred * 0.6, pred * 1.7

    return SimpleNamespace(card=SimpleNamespace(target="url_clicks", target_label="clicks"), predict_grid=predict_grid)


def test_build_plan_runs_end_to_end_with_a_stand_in_model(tweets: pd.DataFrame) -> None:
    drafts = pd.DataFrame({"draft_id": range(len(DEMO_DRAFTS)), "text": [d.text for d in DEMO_DRAFTS]})
    c = PlanConstraints(tz=TZ, start=START, days=5)
    better = dict.fromkeys(drafts["text"], 1.5)  # every draft earns clearly more than the typical post
    plan = build_plan(drafts, _stand_in(hours=[9, 10, 11], factor=1.5, gain=better), tweets, c)
    assert plan.chosen_n >= 3 and plan.target_label == "clicks"
    assert all("https://" in s.text for s in plan.slots)
    assert any("reliably good" in s.why for s in plan.slots)
    assert {o.draft_id for o in plan.left_out} | {s.draft_id for s in plan.slots} == set(drafts["draft_id"])


def test_the_default_bar_leaves_out_drafts_not_clearly_better_than_the_typical_post(tweets: pd.DataFrame) -> None:
    # A draft predicted like the typical recent post, or a hair above it, is no reason to post (issue 12)
    texts = ["Same as usual https://example.com/a", "A hair better https://example.com/b",
             "Clearly better https://example.com/c"]
    drafts = pd.DataFrame({"draft_id": [1, 2, 3], "text": texts})
    model = _stand_in(hours=[9, 10, 11], factor=1.0, gain=dict(zip(texts, [1.0, 1.01, 1.2], strict=True)))
    plan = build_plan(drafts, model, tweets, PlanConstraints(tz=TZ, start=START, days=5))
    assert [s.draft_id for s in plan.slots] == [3]
    reasons = {o.draft_id: o.reason for o in plan.left_out}
    assert set(reasons) == {1, 2}
    for d in (1, 2):
        assert reasons[d].startswith("below the quality bar: predicted clicks")
        assert "not clearly better than your typical post now: the median of your latest" in reasons[d]
    # a bar the user sets is taken as given: no margin on top of it
    typical = (plan.constraints["bar"][0] + 1) / (1 + CLEAR_MARGIN) - 1
    mine = PlanConstraints(tz=TZ, start=START, days=5, quality_bar=0.99 * typical)
    assert {s.draft_id for s in build_plan(drafts, model, tweets, mine).slots} == {1, 2, 3}


@given(st.floats(0.0, 1e5))
def test_the_clear_bar_asks_more_than_the_typical_post_and_more_than_a_hair_near_zero(typical: float) -> None:
    bar = float(clear_bar(np.array([typical]))[0])
    assert bar > typical
    assert bar - typical >= CLEAR_MARGIN - 1e-12  # 0.13 against a typical 0.12 is no clear win
    assert bar <= typical * (1 + CLEAR_MARGIN) + CLEAR_MARGIN + 1e-9


def test_build_plan_with_the_trained_demo_model_keeps_the_rules(tweets: pd.DataFrame) -> None:
    from curation.learn import model

    trained = model.train(tweets, TZ)
    drafts = pd.DataFrame({"draft_id": range(len(DEMO_DRAFTS)), "text": [d.text for d in DEMO_DRAFTS]})
    c = PlanConstraints(tz=TZ, start=START, days=7, quality_bar=0.0, daily_cap=2)
    plan = build_plan(drafts, trained, tweets, c)
    assert plan.target_label == trained.card.target_label
    assert 1 <= plan.chosen_n <= 14
    assert {o.draft_id for o in plan.left_out} | {s.draft_id for s in plan.slots} == set(drafts["draft_id"])
    times = sorted(s.at for s in plan.slots)
    assert all(b - a >= pd.Timedelta(hours=3) for a, b in itertools.pairwise(times))
    local = pd.DatetimeIndex(times).tz_convert(TZ)
    assert local.hour.min() >= 8 and local.hour.max() < 18
    assert pd.Series(local.date).value_counts().max() <= 2
    slots = candidate_slots(c)
    pred, lower, upper = trained.predict_grid(list(drafts["text"]), slots)
    naive = naive_schedule(drafts, pred, lower, upper, slots, c, volume_factor=hyperbolic)
    ours = plan_schedule(drafts, pred, lower, upper, slots, c, bar=0.0, cap=2, volume_factor=hyperbolic)
    assert ours.expected_total > naive.expected_total


# --------------------------------------------------------------------------- real accounts (issue 12)

REAL = Path(__file__).resolve().parent / "fixtures" / "real"
REPLAY_ACCOUNTS = {
    "gtieng": sorted(REAL.glob("analytics_csv__gtieng__*")),
    "hoprnet": sorted(REAL.glob("analytics_csv__hoprnet__*")),
    "astromonkeyduck": sorted(REAL.glob("x_premium_content_csv__astromonkeyduck-coder__*")),
}


@pytest.fixture(scope="module")
def replays() -> dict[str, dict]:
    from curation.plan.replay import load_account, replay_planner

    return {name: replay_planner(load_account(paths), "UTC") for name, paths in REPLAY_ACCOUNTS.items()}


@pytest.mark.parametrize("name", list(REPLAY_ACCOUNTS))
def test_replay_schedules_the_accounts_own_best_later_posts_and_no_filler(replays, name: str) -> None:
    r = replays[name]
    assert r["best_offered"] == 5
    assert r["filler_scheduled"] == 0, r["left_out"]
    assert r["best_scheduled"] >= 2, r["left_out"]
    assert 1 <= r["cap"] <= r["busy_day_p75"]
    assert r["max_posts_in_a_day"] <= r["cap"]


def test_replay_schedules_most_of_the_best_posts_over_the_accounts(replays) -> None:
    assert sum(r["best_scheduled"] for r in replays.values()) >= 9, {n: r["best_scheduled"] for n, r in replays.items()}


def test_filler_without_a_link_never_makes_a_clicks_plan(replays) -> None:
    for r in replays.values():
        assert r["target"] == "url_clicks"
        fillers = [reason for d, reason in r["left_out"].items() if d > r["best_offered"]]
        assert len(fillers) == 5 and all(x.startswith("no link") for x in fillers)


# Accounts scored on likes + reposts: no no-link rule, the quality bar alone keeps filler out.
BAR_ACCOUNTS = {
    "kaia": sorted(REAL.glob("x_premium_content_csv__ayo-klaytn__*")),
    "MarioBrum": sorted(REAL.glob("analytics_csv__MarioBrum__*")),
    "nandaka": sorted(REAL.glob("analytics_csv__nandaka-furari__*")),
}


@pytest.fixture(scope="module")
def bar_replays() -> dict[str, dict]:
    from curation.plan.replay import load_account, replay_planner

    return {name: replay_planner(load_account(paths), "UTC") for name, paths in BAR_ACCOUNTS.items()}


@pytest.mark.parametrize("name", list(BAR_ACCOUNTS))
def test_filler_is_not_clearly_better_than_the_typical_post_on_engagement_accounts(bar_replays, name: str) -> None:
    r = bar_replays[name]
    assert r["target"] == "engagement"
    assert r["filler_scheduled"] == 0, r["predicted"]
    fillers = [reason for d, reason in r["left_out"].items() if d > r["best_offered"]]
    assert len(fillers) == 5 and all("not clearly better than your typical post now" in x for x in fillers)
    assert 1 <= r["cap"] <= r["busy_day_p75"]
    assert r["max_posts_in_a_day"] <= r["cap"]


@pytest.mark.parametrize("name", ["kaia", "MarioBrum"])
def test_the_bar_still_plans_the_accounts_own_best_later_posts(bar_replays, name: str) -> None:
    # nandaka is left out here: its 5 "best" later posts all earned 0 engagement
    r = bar_replays[name]
    assert r["best_offered"] == 5
    assert r["best_scheduled"] >= 3, r["left_out"]


# --------------------------------------------------------------------------- empty plans


@st.composite
def hopeless(draw):
    """Drafts that all fall short of their bars, by random margins."""
    seed = draw(st.integers(0, 2**32 - 1))
    n = draw(st.integers(1, 8))
    rng = np.random.default_rng(seed)
    base = rng.uniform(0.1, 20.0, n)
    short = rng.uniform(0.01, 0.9, n)
    return base, base / (1 - short) * 1.0001


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hopeless())
def test_an_empty_plan_names_its_nearest_drafts_and_a_bar_that_admits_them(case) -> None:
    base, bars = case
    c = PlanConstraints(tz="UTC", start=pd.Timestamp("2026-11-02", tz="UTC"), days=2)
    slots = candidate_slots(c)
    pred = np.repeat(base[:, None], len(slots), axis=1)
    drafts = _drafts(len(base))
    plan = plan_schedule(drafts, pred, pred * 0.5, pred * 2, slots, c, bar=bars, cap=2, volume_factor=hyperbolic)
    assert plan.slots == [] and plan.stop_reason == "no draft clears the quality bar"
    shares = [r["short_share"] for r in plan.nearest]
    assert 1 <= len(plan.nearest) <= NEAREST_SHOWN and shares == sorted(shares)
    first = plan.nearest[0]
    assert first["draft_id"] == int(drafts["draft_id"].iloc[int(np.argmin(1 - base / bars))])
    assert first["short_by"] == pytest.approx(first["bar"] - first["predicted"])
    again = plan_schedule(drafts, pred, pred * 0.5, pred * 2, slots, c, bar=plan.suggestion["quality_bar"], cap=2,
                          volume_factor=hyperbolic)
    reasons = {o.draft_id: o.reason for o in again.left_out}
    for r in plan.nearest:  # every draft named as nearest is admitted past the bar
        assert r["draft_id"] in {s.draft_id for s in again.slots} or not reasons[r["draft_id"]].startswith("below")


def test_empty_plan_reading_and_cli_hints_say_what_would_admit_the_nearest_draft() -> None:
    from curation.workspace.planning import cli_hints, curve_reading, empty_reading

    c = PlanConstraints(tz="UTC", start=pd.Timestamp("2026-11-02", tz="UTC"), days=1)
    slots = candidate_slots(c)
    pred = np.array([[54.0] * len(slots), [56.0] * len(slots)])
    drafts = pd.DataFrame({"draft_id": [7, 8], "text": ["Guide one https://a.example", "Guide two https://b.example"]})
    plan = plan_schedule(drafts, pred, pred * 0.5, pred * 2, slots, c, bar=75.0, cap=2, volume_factor=hyperbolic)
    text = empty_reading(plan)
    assert "#8" in text and "#7" in text and "56.00 clicks against a bar of 75.00 (25% short)" in text
    assert "A bar of 54 clicks would admit #8, #7." in text
    assert curve_reading(plan) == text
    assert cli_hints(plan)[0].startswith("hint: --bar 54 ")


# --------------------------------------------------------------------------- one best-time estimate


def test_plan_follows_the_insights_cells_not_the_models_own_hours(tweets: pd.DataFrame) -> None:
    # the stand-in's own hour effect (15-17 x3) must not decide the time: Insights' cells do
    drafts = pd.DataFrame({"draft_id": range(len(DEMO_DRAFTS)), "text": [d.text for d in DEMO_DRAFTS]})
    c = PlanConstraints(tz=TZ, start=START, days=5, quality_bar=0.0)
    plan = build_plan(drafts, _stand_in(hours=[15, 16, 17], factor=3.0), tweets, c)
    times = best_times(tweets, TZ, target="url_clicks")
    theta = slot_multipliers(times, candidate_slots(c))
    strongest = max(plan.slots, key=lambda s: s.predicted)
    assert slot_multipliers(times, [strongest.at])[0] == pytest.approx(theta.max())
    good = set(times.good_cells["cell"])
    local = strongest.at.tz_convert(TZ)
    assert cell_label(local.weekday(), local.hour // facts.TIMING_CELL_HOURS * facts.TIMING_CELL_HOURS) in good
    assert "reliably good" in strongest.why and plan.timing == times.reading


def test_when_timing_makes_no_difference_plan_and_insights_both_say_so() -> None:
    rng = np.random.default_rng(0)
    n = 1200
    created = pd.Timestamp("2026-01-05", tz="UTC") + pd.to_timedelta(np.sort(rng.uniform(0, 300 * 24, n)), unit="h")
    flat = pd.DataFrame({
        "tweet_id": [str(10_000 + i) for i in range(n)], "created_at": created,
        "text": ["New guide https://example.com/x"] * n, "is_reply": False, "is_retweet": False, "has_link": True,
        "link_domains": "example.com", "n_hashtags": 0, "n_mentions": 0, "media_type": None, "lang": "en",
        "impressions": pd.array(rng.poisson(800, n), dtype="Int64"),
        "url_clicks": pd.array(rng.poisson(6, n), dtype="Int64"),
    })  # fmt: skip

    class Flat:
        card = SimpleNamespace(target="url_clicks", target_label="clicks")

        def predict_grid(self, texts, slots):
            pred = np.full((len(texts), len(slots)), 6.0) * np.linspace(1, 2, len(slots))[None, :]
            return pred, pred * 0.5, pred * 2

    c = PlanConstraints(tz="UTC", start=pd.Timestamp("2026-11-02", tz="UTC"), days=3)
    drafts = pd.DataFrame({"draft_id": [1], "text": ["Another guide https://example.com/y"]})
    plan = build_plan(drafts, Flat(), flat, c)
    assert best_times(flat, "UTC").reading.startswith("Timing makes no reliable difference")
    assert plan.timing.startswith("Timing makes no reliable difference")
    assert all("timing makes no reliable difference" in s.why for s in plan.slots)


# --------------------------------------------------------------------------- timeline, table, page, CLI


def test_timeline_shows_each_day_once_and_hours_as_clock_times() -> None:
    from curation.ui.figures import timeline_figure
    from curation.workspace.planning import plan_table

    drafts, pred, lower, upper, slots, c = _demo_like(n_drafts=12, days=4)
    plan = plan_schedule(drafts, pred, lower, upper, slots, c, bar=3.0, cap=3, volume_factor=hyperbolic)
    fig = timeline_figure(plan, TZ)
    days = list(fig.layout.xaxis.categoryarray)
    assert len(days) == len(set(days)) and fig.layout.xaxis.type == "category"
    assert all(len(t) == 5 and t[2] == ":" for t in fig.layout.yaxis.ticktext)
    table = plan_table(plan, TZ)
    first = plan.slots[0].at.tz_convert(TZ)
    assert (table["day"].iloc[0], table["time"].iloc[0]) == (f"{first:%a %d %b}", f"{first:%H:%M}")


def test_planner_page_with_nothing_to_schedule_says_why_and_offers_the_bar_in_one_click(demo_copy, monkeypatch):
    from conftest import ROOT
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("DATABASE_URL", demo_copy)
    at = AppTest.from_file(str(ROOT / "pages" / "4_planner.py"), default_timeout=120).run()
    next(n for n in at.number_input if n.label.startswith("Quality bar")).set_value(100000.0)
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert any("No post made this plan" in w.value and "Closest" in w.value for w in at.warning)
    assert not at.get("plotly_chart") and not at.get("download_button")
    assert not any(s.label == "Save plan for the team" for s in at.button)
    again = next(b for b in at.button if b.label.startswith("Plan again with a bar of"))
    again.click().run()
    assert not at.exception, at.exception
    assert any(m.label == "Posts planned" and int(m.value) > 0 for m in at.metric)
    assert {"ics-new", "csv-new"} <= {b.key for b in at.get("download_button")}


def test_cli_refuses_an_empty_calendar(demo_copy, tmp_path, capsys) -> None:
    from curation.cli import main

    ics = tmp_path / "plan.ics"
    code = main(["plan", "--db", demo_copy, "--bar", "100000", "--ics", str(ics)])
    err = capsys.readouterr().err
    assert code == 2 and not ics.exists()
    assert "no .ics written" in err and "hint: --bar " in err
    assert main(["plan", "--db", demo_copy, "--ics", str(ics)]) == 0 and b"BEGIN:VEVENT" in ics.read_bytes()
