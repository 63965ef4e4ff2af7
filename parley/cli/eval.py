"""``parley eval``: measure procedure matching and knowledge-base retrieval offline.

Each command prints one JSON object on stdout (diagnostics go to stderr). Data is read from
the given paths; nothing is written and nothing is fetched.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from parley.automation.matching import Matcher, StaticModel


def _encoder(args: argparse.Namespace) -> StaticModel | None:
    from parley.automation.matching import load_encoder

    if args.lexical_only:
        return None
    try:
        return load_encoder(args.model, required=args.model is not None)
    except FileNotFoundError as exc:
        raise SystemExit(f"parley: {exc}") from None


def _emit(report: dict[str, Any], encoder: StaticModel | None) -> int:
    report.setdefault("encoder", encoder.name if encoder is not None else "lexical-only")
    print(json.dumps(report, indent=2, sort_keys=True))
    return 0


def _matcher(args: argparse.Namespace, static: StaticModel | None) -> tuple[Matcher, str]:
    """The matcher ``--matcher`` asks for, and a name for the report.

    ``auto`` is what the product runs: the cascade when the contextual model is installed,
    else the static hybrid (and lexical only without the static model).
    """
    from parley.automation.matching import (
        CascadeConfig,
        CascadeMatcher,
        HybridMatcher,
        load_contextual,
    )

    if static is None or args.matcher == "static":
        return HybridMatcher(static), static.name if static is not None else "lexical-only"
    try:
        contextual = load_contextual(
            args.contextual_model,
            required=args.matcher != "auto" or args.contextual_model is not None,
        )
    except (FileNotFoundError, ValueError) as exc:
        raise SystemExit(f"parley: {exc}") from None
    if contextual is None:
        return HybridMatcher(static), static.name
    if args.matcher == "contextual":
        return HybridMatcher(contextual, CascadeConfig().contextual), contextual.name
    return CascadeMatcher(static, contextual), f"cascade({static.name} -> {contextual.name})"


def cmd_eval_procedures(args: argparse.Namespace) -> int:
    from parley.automation.matching.evaluation import (
        DatasetError,
        evaluate_procedures,
        load_split_dataset,
        select_examples,
    )

    try:
        splits = load_split_dataset(args.dataset, holdout=args.holdout, seed=args.seed)
    except (OSError, DatasetError, json.JSONDecodeError) as exc:
        raise SystemExit(f"parley: cannot read dataset: {exc}") from None
    wanted = [args.train_split, args.test_split] + ([args.oos_split] if args.oos_split else [])
    missing = [name for name in wanted if name not in splits]
    if missing:
        raise SystemExit(
            f"parley: split(s) {', '.join(missing)} not in {args.dataset} "
            f"(it has: {', '.join(sorted(splits))})"
        )
    if args.shots is not None and args.shots < 1:
        raise SystemExit("parley: --shots must be at least 1")
    encoder = _encoder(args)
    matcher, name = _matcher(args, encoder)
    examples = select_examples(splits[args.train_split], shots=args.shots, seed=args.seed)
    oos = [text for text, _ in splits[args.oos_split]] if args.oos_split else []
    report = evaluate_procedures(
        matcher=matcher, examples=examples, test=splits[args.test_split], oos=oos
    )
    report.update(
        dataset=str(args.dataset),
        shots=args.shots,
        seed=args.seed,
        test_split=args.test_split,
        encoder=name,
    )
    return _emit(report, encoder)


def cmd_eval_kb(args: argparse.Namespace) -> int:
    from parley.automation.matching import HybridRetriever
    from parley.automation.matching.evaluation import evaluate_kb, load_faqs, load_queries

    try:
        documents = load_faqs(args.faqs)
        queries = load_queries(args.queries)
    except (OSError, KeyError, TypeError, json.JSONDecodeError) as exc:
        raise SystemExit(f"parley: cannot read FAQs or queries: {exc!r}") from None
    encoder = _encoder(args)
    if args.database or args.database_url:
        return _emit(_eval_kb_database(args, documents, queries, encoder), encoder)
    report = evaluate_kb(retriever=HybridRetriever(encoder), documents=documents, queries=queries)
    return _emit(report, encoder)


def _eval_kb_database(
    args: argparse.Namespace, documents: Any, queries: Any, encoder: StaticModel | None
) -> dict[str, Any]:
    """The same evaluation through the database's indexed search (a temporary SQLite file, or
    a fresh organization in the database at --database-url)."""
    import asyncio
    import tempfile

    from parley.automation.kb.evaluation import evaluate_kb_database

    def run(url: str) -> dict[str, Any]:
        return asyncio.run(
            evaluate_kb_database(url=url, documents=documents, queries=queries, encoder=encoder)
        )

    if args.database_url:
        return run(args.database_url)
    with tempfile.TemporaryDirectory(prefix="parley-eval-") as tmp:
        return run(f"sqlite+aiosqlite:///{tmp}/kb.db")


def cmd_eval_latency(args: argparse.Namespace) -> int:
    from parley.automation.matching.evaluation import (
        DatasetError,
        load_split_dataset,
        synthetic_procedures,
        time_matching,
    )

    try:
        splits = load_split_dataset(args.dataset, holdout=args.holdout, seed=args.seed)
        procedures = synthetic_procedures(
            splits[args.train_split], count=args.procedures, phrases=args.phrases
        )
        queries = [text for text, _ in splits[args.query_split]][: args.queries]
    except KeyError as exc:
        raise SystemExit(f"parley: split {exc} not in {args.dataset}") from None
    except (OSError, DatasetError, json.JSONDecodeError) as exc:
        raise SystemExit(f"parley: {exc}") from None
    encoder = _encoder(args)
    matcher, name = _matcher(args, encoder)
    report = time_matching(matcher=matcher, examples=procedures, queries=queries)
    report["encoder"] = name
    return _emit(report, encoder)


def cmd_eval_sentiment(args: argparse.Namespace) -> int:
    from parley.analytics.evaluation import DatasetError, evaluate_sentiment, load_examples

    try:
        examples = load_examples(
            args.dataset, text_column=args.text_column, label_column=args.label_column
        )
    except (OSError, DatasetError, UnicodeDecodeError) as exc:
        raise SystemExit(f"parley: cannot read dataset: {exc}") from None
    encoder = _encoder(args)
    report = evaluate_sentiment(examples, encoder)
    report["dataset"] = str(args.dataset)
    return _emit(report, encoder)


def _model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model",
        type=Path,
        help="static model artifact (default: $PARLEY_STATIC_MODEL or ~/.cache/parley/...); "
        "required to exist when given",
    )
    parser.add_argument(
        "--lexical-only", action="store_true", help="ignore the static model (fallback mode)"
    )


def _matcher_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--matcher",
        choices=["auto", "cascade", "static", "contextual"],
        default="auto",
        help="auto (default) = what Parley runs: the cascade when the contextual model is "
        "installed, else static",
    )
    parser.add_argument(
        "--contextual-model",
        type=Path,
        help="directory of the contextual MiniLM (default: $PARLEY_CONTEXTUAL_MODEL or "
        "~/.cache/parley/minilm-l6-v2); required to exist when given",
    )


def register(sub: Any) -> None:
    """Add the ``eval`` command group to the root parser's subcommands."""
    group = sub.add_parser("eval", help="measure matching and retrieval on labelled data")
    commands = group.add_subparsers(dest="eval_cmd", required=True)

    procedures = commands.add_parser(
        "procedures",
        help="one procedure per label from training examples; in-scope accuracy, OOS recall",
        description="DATASET is a JSON object mapping split names to [text, label] pairs "
        "(CLINC150's format; label 'oos' = out of scope), or a CSV with a header 'text,label' "
        "(Banking77's train.csv), split per label into 'train' and 'test' by --holdout.",
    )
    procedures.add_argument("--dataset", type=Path, required=True)
    procedures.add_argument("--train-split", default="train")
    procedures.add_argument("--test-split", default="test")
    procedures.add_argument("--oos-split", help="split of out-of-scope texts (labels ignored)")
    procedures.add_argument("--shots", type=int, help="training examples per label (seeded)")
    procedures.add_argument("--seed", type=int, default=0, help="for --shots and CSV splits")
    procedures.add_argument(
        "--holdout", type=float, default=0.3, help="CSV only: share of each label held out"
    )
    _model_options(procedures)
    _matcher_options(procedures)
    procedures.set_defaults(func=cmd_eval_procedures)

    kb = commands.add_parser("kb", help="rank FAQs for paraphrased questions; MRR, recall, nDCG")
    kb.add_argument("--faqs", type=Path, required=True, help='[{"id", "question", "answers"}]')
    kb.add_argument("--queries", type=Path, required=True, help='[{"query", "faq_id"}]')
    kb.add_argument(
        "--database",
        action="store_true",
        help="through the real indexed search (SQLite FTS5) in a temporary database",
    )
    kb.add_argument(
        "--database-url", help="through the indexed search of this database (e.g. PostgreSQL)"
    )
    _model_options(kb)
    kb.set_defaults(func=cmd_eval_kb)

    latency = commands.add_parser(
        "latency",
        help="time match() against N procedures cut from a data set's phrases",
        description="Procedures are consecutive chunks of --phrases examples of each label of "
        "the training split, taken label by label until there are --procedures of them.",
    )
    latency.add_argument("--dataset", type=Path, required=True)
    latency.add_argument("--train-split", default="train")
    latency.add_argument("--query-split", default="test")
    latency.add_argument("--procedures", type=int, default=500)
    latency.add_argument("--phrases", type=int, default=10)
    latency.add_argument("--queries", type=int, default=1000)
    latency.add_argument("--seed", type=int, default=0, help="for CSV splits")
    latency.add_argument("--holdout", type=float, default=0.3, help="CSV only")
    _model_options(latency)
    _matcher_options(latency)
    latency.set_defaults(func=cmd_eval_latency)

    sentiment = commands.add_parser(
        "sentiment",
        help="message sentiment vs labels; accuracy, macro-F1, same-run baselines",
        description="DATASET is a CSV with a 'text' column and a label column "
        "('airline_sentiment', 'label' or 'sentiment') of negative / neutral / positive.",
    )
    sentiment.add_argument("--dataset", "--csv", dest="dataset", type=Path, required=True)
    sentiment.add_argument("--text-column", default="text", help="default: text")
    sentiment.add_argument(
        "--label-column", help="default: the first of airline_sentiment, label, sentiment"
    )
    _model_options(sentiment)
    sentiment.set_defaults(func=cmd_eval_sentiment)
