"""Model commands: train, evaluate, eval-real, build-prior and score."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import pandas as pd

from curation import ingest
from curation.cli.common import Subparsers, add_command, emit, engine_of, workspace_id_of
from curation.errors import CurationError
from curation.facts import check_timezone
from curation.learn import model, prior
from curation.plain import json_safe
from curation.store.access import Actor
from curation.store.tweets import merge_in_memory
from curation.workspace import evaluation
from curation.workspace.drafting import coverage_by_level_text
from curation.workspace.importer import oldest_first
from curation.workspace.scoring import active_model, set_include_replies, train_workspace

CARD_KEYS = ("target", "target_label", "n_train", "n_test", "metrics", "interval_coverage", "used", "verdict",
             "candidates", "window", "test_from", "learned_from", "form", "include_replies", "notes")


def _f(v: object, fmt: str = ".2f") -> str:
    """A card number for printing: 'n/a' for None, NaN or anything that is not a number."""
    try:
        x = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "n/a"
    return format(x, fmt) if math.isfinite(x) else "n/a"


def _card_text(card: dict) -> str:
    """The card as plain text; any number may be None or NaN (printed as n/a), never a traceback."""
    lines = [str(card.get("verdict") or ""), "",
             f"target: {card.get('target')}  train: {card.get('n_train')}  test: {card.get('n_test')}  "
             f"interval coverage: {_f(card.get('interval_coverage'), '.0%')}  scoring with: {card.get('used')}"
             + (f" ({card['form']})" if card.get("form") else "")]  # fmt: skip
    if by_level := coverage_by_level_text(card):
        lines.append(f"interval coverage {by_level}")
    if card.get("learned_from"):
        lines.append(f"learned from: {card['learned_from']}")
    for name, m in (card.get("metrics") or {}).items():
        m = m or {}
        lines.append(f"  {name:6s} spearman {_f(m.get('spearman')):>5s}  top20 share {_f(m.get('top20_share')):>5s}  "
                     f"MAE log1p {_f(m.get('mae_log1p')):>5s}  D² {_f(m.get('d2')):>5s}")
    return "\n".join(lines)


def _train_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--force", action="store_true", help="refit even if the data did not change")
    p.add_argument("--include-replies", action=argparse.BooleanOptionalAction, default=None,
                   help="learn from the account's replies too (stored as the workspace's setting)")


def _train(args: argparse.Namespace) -> int:
    engine = engine_of(args)
    ws_id = workspace_id_of(args, engine)
    if args.include_replies is not None:
        set_include_replies(engine, ws_id, Actor.local_user(), args.include_replies)
    card = train_workspace(engine, ws_id, Actor.local_user(), force=args.force)
    emit(args, {k: card[k] for k in CARD_KEYS if k in card}, _card_text(card))
    return 0


def _evaluate_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", type=Path, help="exports to evaluate on (nothing is stored)")
    p.add_argument("--tz", default="UTC", help="the account's timezone (IANA name)")
    p.add_argument("--include-replies", action=argparse.BooleanOptionalAction, default=None,
                   help="learn from the account's replies too, or never (default: when validation says so)")


def _evaluate(args: argparse.Namespace) -> int:
    parsed = oldest_first(ingest.parse_files(ingest.read_paths(args.files)))
    frames = [p for p in parsed if len(p.tweets)]
    if not frames:
        raise CurationError("These files hold no tweets to learn from (account-level files only).")
    tweets = merge_in_memory([(p.tweets, p.format, p.as_of) for p in frames])
    trained = model.train(tweets, check_timezone(args.tz), include_replies=args.include_replies)
    card = trained.card.to_dict()
    emit(args, {k: card[k] for k in CARD_KEYS if k in card}, _card_text(card))
    return 0


def _eval_real_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dir", type=Path, default=None, help="folder with SOURCES.tsv and the exports "
                   "(default: tests/fixtures/real)")
    p.add_argument("--no-replay", action="store_true", help="skip the planner replay columns (faster)")


def _eval_real(args: argparse.Namespace) -> int:
    folder = args.dir or evaluation.REAL_DIR
    if not (folder / "SOURCES.tsv").is_file():
        raise CurationError(f"{folder} has no SOURCES.tsv: give --dir the folder of the real exports.")
    results = evaluation.run(folder, replay=not args.no_replay,
                             progress=lambda name: print(f"... {name}", file=sys.stderr, flush=True))  # fmt: skip
    payload = json_safe({"accounts": [r.to_dict() for r in results], "summary": evaluation.summary(results)})
    emit(args, payload, evaluation.render(results))
    return 0


def _build_prior_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dir", type=Path, default=None, help="folder with SOURCES.tsv and the exports "
                   "(default: tests/fixtures/real)")
    p.add_argument("--out", type=Path, default=None, help="where to write prior.json (default: the shipped one)")


def _build_prior(args: argparse.Namespace) -> int:
    folder = args.dir or evaluation.REAL_DIR
    if not (folder / "SOURCES.tsv").is_file():
        raise CurationError(f"{folder} has no SOURCES.tsv: give --dir the folder of the real exports.")

    def loader() -> dict[str, pd.DataFrame]:
        out = {}
        for name, paths in evaluation.accounts(folder).items():
            try:
                tweets = evaluation.load_account(paths)
            except CurationError:
                continue
            if not tweets.empty:
                out[name] = tweets
        return out

    datasets = prior.account_datasets(loader)
    if len(datasets) < 3:
        raise CurationError(f"Only {len(datasets)} accounts with url clicks in {folder}: a prior needs at least 3.")
    built = prior.build(datasets)
    prior.save(built, args.out or prior.PRIOR_PATH)
    lines = [f"Prior from {len(datasets)} accounts; leave-one-account-out holdout Spearman (plain form, alone -> "
             "with the prior):"]
    for k, s in built["loo"]["summary"].items():
        lines.append(f"  {k:>4s} training tweets: median {s['median_alone']:.2f} -> {s['median_prior']:.2f}, "
                     f"mean {s['mean_alone']:.2f} -> {s['mean_prior']:.2f}, better on {s['prior_better']} of "
                     f"{s['accounts']}")
    lines.append(f"Used for accounts with at most {built['max_train']} training tweets." if built["use"]
                 else "Not used: it did not help at the smallest size.")  # fmt: skip
    emit(args, built, "\n".join(lines))
    return 0


def _score_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("texts", nargs="+", help="draft texts")
    p.add_argument("--at", default=None, help="posting time, ISO 8601 (default: the account's usual time)")


def _score(args: argparse.Namespace) -> int:
    engine = engine_of(args)
    found = active_model(engine, workspace_id_of(args, engine), Actor.local_user())
    if found is None:
        raise CurationError("No model yet for this workspace: run `python -m curation train` after an import.")
    trained, _ = found
    at = None
    if args.at:
        try:
            at = [pd.Timestamp(args.at).tz_convert("UTC") if pd.Timestamp(args.at).tzinfo
                  else pd.Timestamp(args.at).tz_localize("UTC")] * len(args.texts)
        except ValueError as exc:
            raise CurationError(f"--at {args.at!r} is not an ISO time such as 2026-12-01T10:00+01:00.") from exc
    preds = trained.predict(args.texts, at)
    out, lines = [], []
    label = trained.card.target_label
    whys = trained.explain_many(args.texts, at[0] if at else None)
    for text, p, why in zip(args.texts, preds.itertuples(), whys, strict=True):
        out.append({"text": text, "predicted": p.predicted, "lower": p.lower, "upper": p.upper,
                    "percentile": p.percentile, "target": trained.card.target, "up": why.up, "down": why.down,
                    "hints": why.hints})
        lines.append(f"{p.predicted:6.1f} {label} ({p.lower:.1f}–{p.upper:.1f}, percentile {p.percentile:.0f})  "
                     f"{text[:70]}")
        lines += [f"        + {n} ×{e:.2f}" for n, e in why.up] + [f"        - {n} ×{e:.2f}" for n, e in why.down]
        lines += [f"        hint: {h}" for h in why.hints]
    emit(args, out, "\n".join(lines))
    return 0


def register(sub: Subparsers) -> None:
    """Add this group's subcommands."""
    add_command(sub, "train", "fit, evaluate on the latest tweets and store the workspace's model", _train, _train_args)
    add_command(sub, "evaluate", "train and evaluate on exports directly, without any database",
                _evaluate, _evaluate_args)
    add_command(sub, "eval-real", "evaluate the model per real account in the fixtures (make eval)",
                _eval_real, _eval_real_args)
    add_command(sub, "build-prior", "learn the small-account prior across the real fixture accounts, measure it",
                _build_prior, _build_prior_args)
    add_command(sub, "score", "predict, with interval, percentile and reasons, for draft texts", _score, _score_args)
