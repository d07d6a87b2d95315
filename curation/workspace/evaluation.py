"""Real-account evaluation: the product's own import and model on every real export in tests/fixtures/real."""

from __future__ import annotations

import csv
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from curation import config, ingest
from curation.errors import CurationError
from curation.learn import model
from curation.learn import prior as prior_mod
from curation.learn.data import prepare
from curation.store.tweets import merge_in_memory
from curation.workspace.importer import oldest_first

REAL_DIR = config.PROJ_ROOT / "tests" / "fixtures" / "real"
BASELINES = ("model", "B0", "B1", "B2", "B3")
EVAL_TZ = "UTC"  # the exports do not name the account's timezone; UTC keeps every account comparable


@dataclass
class AccountResult:
    """One account's row of the evaluation: its card numbers, or why it could not be evaluated."""

    account: str
    files: list[str]
    status: str  # "clicks", "engagement", "not importable yet: ...", "not enough data: ...", "no tweets"
    n_tweets: int = 0
    card: dict | None = None
    replay: dict | None = None
    replay_error: str = ""
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"account": self.account, "files": self.files, "status": self.status, "n_tweets": self.n_tweets,
                "card": self.card, "replay": self.replay, "replay_error": self.replay_error,
                "seconds": round(self.seconds, 2)}  # fmt: skip


def accounts(real_dir: Path = REAL_DIR) -> dict[str, list[Path]]:
    """File groups by the SOURCES.tsv ``repo`` column: several exports of one account are one account."""
    groups: dict[str, list[Path]] = {}
    with (real_dir / "SOURCES.tsv").open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            path = real_dir / row["file"]
            if path.is_file():
                groups.setdefault(row["repo"], []).append(path)
    return groups


def load_account(paths: list[Path]) -> pd.DataFrame:
    """Parse and merge one account's exports as an import does (oldest export first, newer numbers win).

    Raises CurationError when rows were read but none became a tweet (a variant not imported yet).
    """
    parsed = oldest_first(ingest.parse_files([(p.name, p.read_bytes()) for p in paths]))
    frames = [p for p in parsed if len(p.tweets)]
    if not frames:
        skipped = [s for p in parsed for s in p.skipped]
        if skipped:
            first = skipped[0]
            why = getattr(first, "reason", None) or str(first)
            raise CurationError(f"0 tweets, {len(skipped)} rows skipped ({why})")
        return pd.DataFrame()
    return merge_in_memory([(p.tweets, p.format, p.as_of) for p in frames])


def _replay(tweets: pd.DataFrame, tz: str) -> tuple[dict | None, str]:
    try:
        from curation.plan.replay import replay_planner
    except ImportError as exc:  # the planner replay is optional: the model table stands alone
        return None, f"planner replay unavailable ({exc})"
    try:
        return replay_planner(tweets, tz), ""
    except CurationError as exc:
        return None, str(exc)
    except Exception as exc:
        return None, f"{type(exc).__name__}: {exc}"


def evaluate_account(name: str, paths: list[Path], replay: bool = True, tz: str = EVAL_TZ) -> AccountResult:
    """Train the product's model with default settings on one account and keep its card."""
    res = AccountResult(account=name, files=[p.name for p in paths], status="")
    t0 = time.perf_counter()
    try:
        tweets = load_account(paths)
    except CurationError as exc:
        res.status = f"not importable yet: {str(exc).splitlines()[0][:160]}"
        return res
    res.n_tweets = len(tweets)
    if tweets.empty:
        res.status = "no tweets in these files (account-level files only)"
        return res
    try:
        trained = model.train(tweets, tz)
    except CurationError as exc:
        res.status = f"not enough data: {exc}"
        res.seconds = time.perf_counter() - t0
        return res
    res.card = trained.card.to_dict()
    res.status = "clicks" if trained.card.target == "url_clicks" else "engagement"
    if replay and res.status == "clicks":
        res.replay, res.replay_error = _replay(tweets, tz)
    res.seconds = time.perf_counter() - t0
    return res


def run(real_dir: Path = REAL_DIR, replay: bool = True,
        progress: Callable[[str], None] | None = None) -> list[AccountResult]:  # fmt: skip
    """Every account in the fixtures, in SOURCES.tsv order.

    When a prior is shipped, each account is evaluated with a prior rebuilt from the other accounts only
    (leave one account out): the shipped prior has seen every fixture account's training part.
    """
    groups = accounts(real_dir)
    shipped = prior_mod.load_prior()
    parts = _prior_parts(groups) if shipped is not None else {}
    out = []
    for name, paths in groups.items():
        if progress:
            progress(name)
        held = shipped
        if shipped is not None and name in parts:
            coef = prior_mod.fit_prior([p for other, p in parts.items() if other != name])
            held = prior_mod.Prior(coef, shipped.max_train, len(parts) - 1)
        with prior_mod.held_out(held):
            out.append(evaluate_account(name, paths, replay=replay))
    return out


def _prior_parts(groups: dict[str, list[Path]]) -> dict[str, tuple]:
    """Each click account's training part as the prior builder sees it."""
    parts = {}
    for name, paths in groups.items():
        try:
            tweets = load_account(paths)
            data = prepare(tweets, EVAL_TZ, include_replies=None) if not tweets.empty else None
        except CurationError:
            continue
        if data is not None and data.target == "url_clicks":
            parts[name] = prior_mod.training_part(data, EVAL_TZ)
    return parts


def _num(v: float | None, fmt: str = ".2f") -> str:
    return "n/a" if v is None or (isinstance(v, float) and not math.isfinite(v)) else format(v, fmt)


def _metric(card: dict, name: str, key: str) -> float:
    v = (card.get("metrics", {}).get(name) or {}).get(key)
    return math.nan if v is None else float(v)


def summary(results: list[AccountResult]) -> dict:
    """Median Spearman model vs B3, beats-B2 count (model in use, not a fallback), pooled coverage."""
    clicks = [r for r in results if r.status == "clicks" and r.card]
    rho_m = [_metric(r.card, "model", "spearman") for r in clicks]
    rho_b3 = [_metric(r.card, "B3", "spearman") for r in clicks]
    beats = sum(
        1 for r in clicks
        if r.card["used"] == "model" and _metric(r.card, "model", "spearman") > _metric(r.card, "B2", "spearman")
    )  # fmt: skip
    n_te = np.array([r.card["n_test"] for r in clicks], float)
    cov = np.array([np.nan if r.card["interval_coverage"] is None else r.card["interval_coverage"] for r in clicks])
    ok = np.isfinite(cov)
    widths = [r.card.get("interval_width") for r in clicks]
    widths = [float(w) for w in widths if w is not None and math.isfinite(float(w))]
    pooled = float(np.sum(cov[ok] * n_te[ok]) / np.sum(n_te[ok])) if ok.any() else math.nan
    big = int(np.argmax(np.where(ok, n_te, -1))) if ok.any() else -1  # the account with most holdout tweets
    rest = ok & (np.arange(len(n_te)) != big)
    pooled_rest = float(np.sum(cov[rest] * n_te[rest]) / np.sum(n_te[rest])) if rest.any() else math.nan
    levels = np.zeros((len(clicks), 3, 2))  # (covered, tweets) per account and third by prediction
    for i, r in enumerate(clicks):
        got = r.card.get("coverage_by_level") or []
        if len(got) == 3:
            levels[i] = np.asarray(got, float)
    return {
        "mean_account_coverage": float(np.mean(cov[ok])) if ok.any() else math.nan,
        "accounts_with_clicks": len(clicks),
        "median_spearman_model": float(np.nanmedian(rho_m)) if clicks else math.nan,
        "median_spearman_B3": float(np.nanmedian(rho_b3)) if clicks else math.nan,
        "model_beats_B2": beats,
        "pooled_coverage": pooled,
        "pooled_coverage_without_largest": pooled_rest,  # one big account must not hide the others
        "largest_account": clicks[big].account if big >= 0 else "",
        "median_interval_width": float(np.median(widths)) if widths else math.nan,
        "coverage_by_level": _level_shares(levels),  # low / mid / high third of each account's predictions
        "coverage_by_level_without_largest": _level_shares(levels[np.arange(len(clicks)) != big]),
    }


def _level_shares(levels: np.ndarray) -> list[float]:
    """Pooled coverage per third by prediction from (covered, tweets) counts of each account."""
    total = levels.sum(axis=0) if len(levels) else np.zeros((3, 2))
    return [float(c / t) if t > 0 else math.nan for c, t in total]


def _learned_from(card: dict) -> str:
    return card.get("learned_from") or ("originals and replies" if card.get("include_replies") else "original tweets")


def render(results: list[AccountResult]) -> str:
    """Plain-text tables: one block per account with clicks, then the others, then the summary line."""
    lines: list[str] = []
    for r in results:
        if r.status != "clicks" or not r.card:
            continue
        c = r.card
        lines.append(f"== {r.account}  ({len(r.files)} file(s), {r.n_tweets} tweets, {r.seconds:.1f} s)")
        lines.append(f"   target {c['target']}  train {c['n_train']}  test {c['n_test']}  "
                     f"80% interval coverage {_num(c['interval_coverage'], '.0%')}  scoring with {c['used']}  "
                     f"learned from: {_learned_from(c)}")
        lines.append(f"   {'':6s} {'Spearman':>8s} {'top20':>6s} {'D2':>6s}")
        for b in BASELINES:
            if b in c["metrics"]:
                lines.append(f"   {b:6s} {_num(_metric(c, b, 'spearman')):>8s} {_num(_metric(c, b, 'top20_share')):>6s}"
                             f" {_num(_metric(c, b, 'd2')):>6s}")
        if r.replay:
            p = r.replay
            lines.append(f"   planner replay: best later posts scheduled {p['best_scheduled']}/{p['best_offered']}, "
                         f"filler scheduled {p['filler_scheduled']}, cap {p['cap']} vs busy day (p75) "
                         f"{_num(p['busy_day_p75'], '.0f')}")
        elif r.replay_error:
            lines.append(f"   planner replay: {r.replay_error}")
    others = [r for r in results if r.status != "clicks" or not r.card]
    if others:
        lines.append("")
        lines.append("Accounts without a click table:")
        for r in others:
            if r.status == "engagement" and r.card:
                c = r.card
                why = "no clicks: engagement target"
                lines.append(f"   {r.account}: {why}; model Spearman {_num(_metric(c, 'model', 'spearman'))}, "
                             f"B3 {_num(_metric(c, 'B3', 'spearman'))}, B2 {_num(_metric(c, 'B2', 'spearman'))}, "
                             f"B1 {_num(_metric(c, 'B1', 'spearman'))}, "
                             f"coverage {_num(c['interval_coverage'], '.0%')} "
                             f"(train {c['n_train']}, test {c['n_test']})")
            else:
                lines.append(f"   {r.account}: {r.status}")
    s = summary(results)
    lines.append("")
    lines.append(
        f"Summary over {s['accounts_with_clicks']} accounts with clicks: median Spearman model "
        f"{_num(s['median_spearman_model'])} vs B3 {_num(s['median_spearman_B3'])}; model (not a fallback) beats B2 "
        f"on {s['model_beats_B2']} of {s['accounts_with_clicks']}; 80% interval coverage "
        f"{_num(s['mean_account_coverage'], '.0%')} averaged over accounts, {_num(s['pooled_coverage'], '.0%')} "
        f"pooled over holdout tweets; median interval width {_num(s['median_interval_width'], '.1f')} "
        "(median over accounts of the holdout's median upper - lower)."
    )
    lines.append(f"80% interval coverage pooled over holdout tweets: {_num(s['pooled_coverage'], '.1%')}")
    lines.append(f"80% interval coverage pooled without the largest account ({s['largest_account']}): "
                 f"{_num(s['pooled_coverage_without_largest'], '.1%')}")
    lo, mid, hi = (_num(v, ".0%") for v in s["coverage_by_level"])
    lo_r, mid_r, hi_r = (_num(v, ".0%") for v in s["coverage_by_level_without_largest"])
    lines.append(f"coverage by predicted level: low / mid / high {lo} / {mid} / {hi} "
                 f"(without the largest account {lo_r} / {mid_r} / {hi_r}; thirds of each account's holdout)")
    return "\n".join(lines)
