"""The schedule search: draft x slot pairs with the largest expected total under gaps, a daily cap and volume."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence

import numpy as np
import pandas as pd

EPS = 1e-9  # relative tolerance: a change must beat this share of the total to count as an improvement


def factor_array(volume_factor: Callable[[int], float] | Sequence[float], up_to: int) -> np.ndarray:
    """vf[k] = per-post multiplier with k posts that day, k = 0..up_to (vf[0] unused, = 1)."""
    out = np.ones(up_to + 2)
    for k in range(1, up_to + 2):
        if callable(volume_factor):
            out[k] = float(volume_factor(k))
        else:
            seq = list(volume_factor)
            out[k] = float(seq[min(k, len(seq)) - 1]) if seq else 1.0
    if not np.all(np.isfinite(out)) or np.any(out < 0):
        raise ValueError("volume_factor must give finite, non-negative multipliers")
    return out


def schedule_value(
    draft_idx: Sequence[int],
    slot_idx: Sequence[int],
    pred: np.ndarray,
    slots: Sequence[pd.Timestamp],
    tz: str,
    volume_factor: Callable[[int], float] | Sequence[float],
) -> float:
    """Expected total of posting draft_idx[i] at slot_idx[i]: each of a local day's k posts gets factor(k)."""
    if len(draft_idx) == 0:
        return 0.0
    days = day_codes(slots, tz)[np.asarray(slot_idx)]
    values = np.asarray(pred, dtype="float64")[np.asarray(draft_idx), np.asarray(slot_idx)]
    counts = pd.Series(days).value_counts()
    vf = factor_array(volume_factor, int(counts.max()))
    return float(np.sum(values * vf[counts.reindex(days).to_numpy()]))


def day_codes(slots: Sequence[pd.Timestamp], tz: str) -> np.ndarray:
    """Index of each slot's local calendar day (0, 1, ...)."""
    if len(slots) == 0:
        return np.zeros(0, dtype=int)
    local = pd.DatetimeIndex(slots).tz_convert(tz)
    return pd.factorize(local.tz_localize(None).normalize())[0]


class _State:
    """A partial schedule with the day totals the value function needs, updated in O(1) per change."""

    def __init__(self, n_drafts: int, n_slots: int, n_days: int) -> None:
        self.draft_slot = np.full(n_drafts, -1)
        self.slot_draft = np.full(n_slots, -1)
        self.day_count = np.zeros(n_days, dtype=int)
        self.day_sum = np.zeros(n_days)
        self.blocked = np.zeros(n_slots, dtype=int)  # scheduled posts closer than the gap

    def copy(self) -> _State:
        new = _State.__new__(_State)
        for name in ("draft_slot", "slot_draft", "day_count", "day_sum", "blocked"):
            setattr(new, name, getattr(self, name).copy())
        return new


class Optimiser:
    """Greedy, local search and ruin-and-recreate over one drafts x slots grid; the schedule found is ``state``."""

    def __init__(
        self,
        pred: np.ndarray,
        pair_ok: np.ndarray,
        slot_ok: np.ndarray,
        eligible: np.ndarray,
        day: np.ndarray,
        hours: np.ndarray,
        gap: float,
        cap: int,
        vf: np.ndarray,
        floor: float,
    ) -> None:
        self.P, self.pair_ok = pred, pair_ok
        self.slot_ok, self.eligible, self.day, self.cap, self.vf, self.floor = slot_ok, eligible, day, cap, vf, floor
        diff = np.abs(hours[:, None] - hours[None, :])
        self.conflict = (diff < gap - 1e-9) & ~np.eye(len(hours), dtype=bool)
        n_days = int(day.max()) + 1 if len(day) else 0
        self.state = _State(pred.shape[0], pred.shape[1], n_days)

    def total(self, st: _State | None = None) -> float:
        st = st or self.state
        return float(np.sum(st.day_sum * self.vf[st.day_count]))

    def place(self, st: _State, d: int, s: int) -> None:
        st.draft_slot[d], st.slot_draft[s] = s, d
        st.day_count[self.day[s]] += 1
        st.day_sum[self.day[s]] += self.P[d, s]
        st.blocked += self.conflict[s]

    def remove(self, st: _State, d: int) -> int:
        s = int(st.draft_slot[d])
        st.draft_slot[d], st.slot_draft[s] = -1, -1
        st.day_count[self.day[s]] -= 1
        st.day_sum[self.day[s]] -= self.P[d, s]
        st.blocked -= self.conflict[s]
        return s

    def gains(self, st: _State, ban_slot: int = -1, ban_draft: int = -1) -> np.ndarray:
        """Marginal gain of adding draft d at slot s now (-inf where infeasible or banned)."""
        k = st.day_count[self.day]
        free = self.slot_ok & (st.slot_draft < 0) & (st.blocked == 0) & (k < self.cap)
        drafts = self.eligible & (st.draft_slot < 0)
        if ban_slot >= 0:
            free[ban_slot] = False
        if ban_draft >= 0:
            drafts[ban_draft] = False
        s_sum = st.day_sum[self.day]
        vf_next = self.vf[np.minimum(k + 1, len(self.vf) - 1)]
        g = self.P * vf_next[None, :] + (s_sum * (vf_next - self.vf[k]))[None, :]
        g[~self.pair_ok] = -np.inf
        g[~drafts, :] = -np.inf
        g[:, ~free] = -np.inf
        return g

    def greedy(self, st: _State, floor: float, ban_slot: int = -1, ban_draft: int = -1) -> None:
        """Add the best feasible post while its marginal gain clears ``floor``."""
        while True:
            g = self.gains(st, ban_slot, ban_draft)
            if g.size == 0:
                return
            flat = int(np.argmax(g))
            d, s = divmod(flat, g.shape[1])
            if not np.isfinite(g[d, s]) or g[d, s] < floor:
                return
            self.place(st, d, s)

    def removal_loss(self, st: _State, d: int) -> float:
        """What the schedule loses if draft d's post is dropped (the day's other posts regain reach)."""
        s = int(st.draft_slot[d])
        k, total = st.day_count[self.day[s]], st.day_sum[self.day[s]]
        return float(total * self.vf[k] - (total - self.P[d, s]) * self.vf[k - 1])

    def improve(self, st: _State, max_rounds: int = 500, ban_slot: int = -1, ban_draft: int = -1) -> None:
        """Best-improvement local search: swap in an unused draft, move a post, or swap two posts' slots.

        A banned slot stays empty and a banned draft stays out (a ruin-and-recreate trial's bans).
        """
        for _ in range(max_rounds):
            best, move = EPS * max(1.0, abs(self.total(st))), None
            sched = np.flatnonzero(st.draft_slot >= 0)
            if sched.size == 0:
                return
            ss = st.draft_slot[sched]
            k = st.day_count[self.day[ss]]
            vk = self.vf[k]
            cur = self.P[sched, ss]
            # 1. replace the draft in a slot by an unused eligible one
            unused = np.flatnonzero(self.eligible & (st.draft_slot < 0))
            unused = unused[unused != ban_draft]
            if unused.size:
                delta = (self.P[np.ix_(unused, ss)] - cur[None, :]) * vk[None, :]
                delta[~self.pair_ok[np.ix_(unused, ss)]] = -np.inf
                i, j = np.unravel_index(int(np.argmax(delta)), delta.shape)
                if delta[i, j] > best:
                    best, move = delta[i, j], ("replace", int(sched[j]), int(unused[i]))
            # 2. swap the slots of two scheduled posts (the set of times, hence the gaps, is unchanged)
            if sched.size > 1:
                cross = self.P[np.ix_(sched, ss)]  # cross[a, b] = draft a at slot b
                delta = (cross.T - cur[:, None]) * vk[:, None]  # [b, a]: slot b gets draft a
                delta[~self.pair_ok[np.ix_(sched, ss)].T] = -np.inf
                pair = delta + delta.T
                np.fill_diagonal(pair, -np.inf)
                i, j = np.unravel_index(int(np.argmax(pair)), pair.shape)
                if pair[i, j] > best:
                    best, move = pair[i, j], ("swap", int(sched[i]), int(sched[j]))
            # 3. move one post to a free slot (all posts x all slots at once)
            da = self.day[ss]
            kt = st.day_count[self.day]
            same = self.day[None, :] == da[:, None]
            free = self.slot_ok & (st.slot_draft < 0)
            if ban_slot >= 0:
                free[ban_slot] = False
            ok = free[None, :] & (st.blocked[None, :] == self.conflict[ss]) & (same | (kt < self.cap)[None, :])
            ok &= self.pair_ok[sched]
            if ok.any():
                sa, ka = st.day_sum[da], st.day_count[da]
                loss_a = (sa - cur) * self.vf[ka - 1] - sa * self.vf[ka]
                sb = st.day_sum[self.day]
                vf_next = self.vf[np.minimum(kt + 1, len(self.vf) - 1)]
                rows = self.P[sched]
                delta = np.where(
                    same,
                    (rows - cur[:, None]) * self.vf[ka][:, None],
                    loss_a[:, None] + (sb[None, :] + rows) * vf_next[None, :] - (sb * self.vf[kt])[None, :],
                )
                delta[~ok] = -np.inf
                i, t = np.unravel_index(int(np.argmax(delta)), delta.shape)
                if delta[i, t] > best:
                    best, move = delta[i, t], ("move", int(sched[i]), int(t))
            # 4. drop a post that no longer pays (after other changes it may cost the day more than it adds)
            sa, ka = st.day_sum[self.day[ss]], st.day_count[self.day[ss]]
            gain = (sa - cur) * self.vf[ka - 1] - sa * self.vf[ka]
            i = int(np.argmax(gain))
            if gain[i] > best:
                best, move = gain[i], ("drop", int(sched[i]), -1)
            if move is None:
                return
            kind, x, y = move
            if kind == "drop":
                self.remove(st, x)
            elif kind == "replace":
                s = self.remove(st, x)
                self.place(st, y, s)
            elif kind == "swap":
                sx, sy = self.remove(st, x), self.remove(st, y)
                self.place(st, x, sy)
                self.place(st, y, sx)
            else:
                self.remove(st, x)
                self.place(st, x, y)

    def _ruins(self, st: _State) -> Iterator[tuple[tuple[int, ...], int, int]]:
        """(drafts to drop, slot to keep empty, draft to keep out) for each ruin-and-recreate trial.

        One post dropped with its slot or its draft banned first; then ordered pairs of posts
        dropped with the first one's slot banned (two posts trading days under a cap of 1).
        """
        sched = [int(d) for d in np.flatnonzero(st.draft_slot >= 0)]
        for d in sched:
            yield (d,), int(st.draft_slot[d]), -1
            yield (d,), -1, d
        for d, e in itertools.permutations(sched, 2):
            yield (d, e), int(st.draft_slot[d]), -1

    def _search(self, st: _State, max_trials: int) -> _State:
        """Local search, then ruin-and-recreate until no trial helps or ``max_trials`` are spent.

        A trial drops one or two posts, refills greedily with a slot or draft banned, improves
        briefly under the same ban, refills again with the ban lifted, and is kept if the total
        rises. It escapes what single moves cannot: a strong post that blocks (by gap or cap) two
        posts worth more together.
        """
        self.improve(st)
        trials = 0
        while trials < max_trials:
            current = self.total(st)
            found = None
            for drop, ban_slot, ban_draft in self._ruins(st):
                if trials >= max_trials:
                    break
                trials += 1
                trial = st.copy()
                for d in drop:
                    self.remove(trial, d)
                self.greedy(trial, self.floor, ban_slot, ban_draft)
                self.improve(trial, max_rounds=4, ban_slot=ban_slot, ban_draft=ban_draft)
                self.greedy(trial, self.floor)  # the ban is lifted: the dropped draft may fit elsewhere now
                if self.total(trial) > current + EPS * max(1.0, abs(current)):
                    found = trial
                    break
            if found is None:
                break
            st = found
            self.greedy(st, self.floor)
            self.improve(st)
        return st

    def _starts(self, st: _State, n: int) -> list[tuple[int, int]]:
        """The ``n`` strongest feasible (draft, slot) pairs the schedule does not use, as forced first posts."""
        ok = self.pair_ok & self.eligible[:, None] & self.slot_ok[None, :] & (self.floor <= self.P)
        score = np.where(ok, self.P, -np.inf)
        used = st.draft_slot >= 0
        score[used, st.draft_slot[used]] = -np.inf
        order = np.argsort(-score, axis=None, kind="stable")[:n]
        return [divmod(int(i), score.shape[1]) for i in order if np.isfinite(score.flat[int(i)])]

    def run(self, max_trials: int = 200, restarts: int = 12) -> None:
        """Greedy, then search; then a few restarts that force one strong unused pairing first.

        A restart escapes what dropping one or two posts cannot, such as three posts that must all
        change slots together. The trial and restart budgets keep the worst case (100 drafts, no
        gap, a high cap) well under a second, and the result does not depend on the machine's speed.
        """
        st = self.state
        self.greedy(st, self.floor)
        st = self._search(st, max_trials)
        for d, s in self._starts(st, restarts):
            trial = _State(*self.P.shape, len(st.day_count))
            self.place(trial, d, s)
            self.greedy(trial, self.floor)
            self.improve(trial, max_rounds=50)
            current = self.total(st)
            if self.total(trial) > current + EPS * max(1.0, abs(current)):
                st = self._search(trial, max_trials // 4)
        self.state = st

    def curve(self) -> list[tuple[int, float]]:
        """Expected total vs number of posts.

        Up to the plan's size: the plan peeled post by post (drop the post losing least), i.e.
        "posting only the best n of these". Beyond it: greedy additions ignoring the floor, with
        every hard rule still in force, to show what more posts would do.
        """
        st = self.state.copy()
        n0 = int((st.draft_slot >= 0).sum())
        out = {n0: self.total(st)} if n0 else {}
        for n in range(n0 - 1, 0, -1):
            sched = np.flatnonzero(st.draft_slot >= 0)
            losses = [self.removal_loss(st, int(d)) for d in sched]
            self.remove(st, int(sched[int(np.argmin(losses))]))
            out[n] = self.total(st)
        st = self.state.copy()
        while True:
            g = self.gains(st)
            if g.size == 0:
                break
            flat = int(np.argmax(g))
            d, s = divmod(flat, g.shape[1])
            if not np.isfinite(g[d, s]):
                break
            self.place(st, d, s)
            out[int((st.draft_slot >= 0).sum())] = self.total(st)
        return sorted(out.items())
