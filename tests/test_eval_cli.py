"""``parley eval`` run as a user would, on the real shared data, against the issue's targets.

Needs ../shared/data (skipped with a message when absent) and the two models that
scripts/build_models.py installs at bootstrap (a clear failure when absent: the targets
below are the offline default's, which is the cascade of both).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from parley.automation.matching.contextual import default_contextual_path
from parley.automation.matching.static_model import default_model_path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared/data"
CLINC = DATA / "clinc150/clinc150_train_val.json"
BANKING = DATA / "banking77/train.csv"
FAQ = DATA / "faq_stackfaq"
STATIC = "minilm-l6-v2-static-256"
CASCADE = f"cascade({STATIC} -> minilm-l6-v2)"

pytestmark = pytest.mark.skipif(
    not DATA.is_dir(), reason=f"shared data not found at {DATA} (a fresh clone has none)"
)


def parley_eval(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "parley", "eval", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )


def report(*args: str, encoder: str = CASCADE) -> dict[str, Any]:
    missing = [
        str(p)
        for p in (default_model_path(), default_contextual_path() / "model.safetensors")
        if not p.is_file()
    ]
    if missing:
        pytest.fail(f"model files missing: {missing}: run scripts/build_models.py (bootstrap)")
    result = parley_eval(*args)
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    assert data["encoder"] == encoder
    return data


def clinc(*extra: str, encoder: str = CASCADE) -> dict[str, Any]:
    return report(
        "procedures",
        "--dataset",
        "../shared/data/clinc150/clinc150_train_val.json",
        "--train-split",
        "train",
        "--test-split",
        "val",
        "--oos-split",
        "oos_val",
        *extra,
        encoder=encoder,
    )


def test_clinc150_ten_shot_meets_the_targets() -> None:
    r = clinc("--shots", "10")
    assert (r["n_labels"], r["n_train_examples"], r["n_test"], r["n_oos"]) == (150, 1500, 3000, 100)
    assert r["in_scope_accuracy"] >= 0.85
    assert r["oos_recall"] >= 0.50
    assert r["ms_per_query"] > 0
    # Both stages of the cascade take part: the easy messages never pay for the transformer.
    assert set(r["decided_by"]) == {STATIC, "minilm-l6-v2"}
    assert sum(r["decided_by"].values()) == r["n_test"] + r["n_oos"]


def test_static_matcher_alone_still_clears_the_ten_shot_targets() -> None:
    r = clinc("--shots", "10", "--matcher", "static", encoder=STATIC)
    assert r["in_scope_accuracy"] >= 0.85 and r["oos_recall"] >= 0.50
    assert r["decided_by"] == {STATIC: r["n_test"] + r["n_oos"]}


def test_missing_contextual_model_is_a_clear_error(tmp_path: Path) -> None:
    result = parley_eval(
        "procedures", "--dataset", str(CLINC), "--train-split", "train", "--test-split", "val",
        "--matcher", "cascade", "--contextual-model", str(tmp_path),
    )  # fmt: skip
    assert result.returncode != 0
    assert "contextual model not found" in result.stderr and "build_models" in result.stderr


def test_clinc150_all_training_examples_meet_the_targets() -> None:
    r = clinc()
    assert r["n_train_examples"] == 15000
    assert r["in_scope_accuracy"] >= 0.92
    assert r["oos_recall"] >= 0.50


def test_banking77_csv_ten_shot() -> None:
    r = report("procedures", "--dataset", str(BANKING), "--shots", "10")
    assert r["n_labels"] == 77 and r["n_train_examples"] == 770 and r["n_oos"] == 0
    assert r["oos_recall"] is None
    # The static model alone reaches ~0.77 on these near-twin intents; the cascade's
    # contextual stage is what clears the target (docs/matching.md).
    assert r["in_scope_accuracy"] >= 0.80


def test_stackfaq_kb_meets_the_mrr_target() -> None:
    r = report(
        "kb",
        "--faqs",
        str(FAQ / "faqs.json"),
        "--queries",
        str(FAQ / "queries_dev.json"),
        encoder=STATIC,
    )
    assert r["n_faqs"] == 125 and r["n_queries"] == 625
    assert r["mrr"] >= 0.80
    assert r["recall_at_1"] <= r["recall_at_5"] <= 1.0
    assert 0 < r["answer_rate"] <= 1 and r["precision_at_threshold"] >= r["recall_at_1"]


def test_lexical_only_fallback_runs_without_the_model() -> None:
    result = parley_eval(
        "kb",
        "--faqs",
        str(FAQ / "faqs.json"),
        "--queries",
        str(FAQ / "queries_dev.json"),
        "--lexical-only",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["encoder"] == "lexical-only"


def test_unknown_split_is_a_clear_error() -> None:
    result = parley_eval("procedures", "--dataset", str(CLINC), "--test-split", "nope")
    assert result.returncode != 0
    assert "nope" in result.stderr and "oos_val" in result.stderr


def test_latency_command_reports_percentiles() -> None:
    r = report(
        "latency",
        "--dataset",
        str(CLINC),
        "--query-split",
        "val",
        "--procedures",
        "40",
        "--queries",
        "100",
    )
    assert (r["procedures"], r["phrases"], r["n_queries"]) == (40, 400, 100)
    assert 0 < r["ms_p50"] <= r["ms_p99"] <= r["ms_max"]
