"""Data set loading and sampling behind ``parley eval``: CSV splits, shots, synthetic sets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from parley.automation.matching import HybridMatcher
from parley.automation.matching.evaluation import (
    DatasetError,
    evaluate_procedures,
    load_split_dataset,
    select_examples,
    synthetic_procedures,
)
from tests.test_matching_matcher import EXAMPLES


def write_csv(path: Path) -> Path:
    rows = ["text,category"]
    for label in ("a", "b"):
        rows += [f"{label} message number {i},{label}" for i in range(10)]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_csv_becomes_seeded_train_and_test_per_label(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "d.csv")
    splits = load_split_dataset(path, holdout=0.3, seed=3)
    assert set(splits) == {"train", "test"}
    assert sum(1 for _, label in splits["test"] if label == "a") == 3
    assert len(splits["train"]) == 14
    assert not {t for t, _ in splits["train"]} & {t for t, _ in splits["test"]}
    assert load_split_dataset(path, holdout=0.3, seed=3) == splits
    with pytest.raises(DatasetError):
        load_split_dataset(path, holdout=1.5)


def test_json_splits_and_bad_shapes(tmp_path: Path) -> None:
    good = tmp_path / "g.json"
    good.write_text(json.dumps({"train": [["hi", "greet"]], "oos_val": [["x", "oos"]]}))
    assert load_split_dataset(good) == {"train": [("hi", "greet")], "oos_val": [("x", "oos")]}
    bad = tmp_path / "b.json"
    bad.write_text(json.dumps({"train": ["not a pair"]}))
    with pytest.raises(DatasetError, match="train"):
        load_split_dataset(bad)


def test_shots_are_a_seeded_sample_without_oos() -> None:
    pairs = [(f"t{i}", "x") for i in range(20)] + [("q", "oos")]
    first = select_examples(pairs, shots=5, seed=1)
    assert list(first) == ["x"] and len(first["x"]) == 5
    assert select_examples(pairs, shots=5, seed=1) == first
    assert len(select_examples(pairs, shots=None)["x"]) == 20


def test_synthetic_procedures_cut_chunks_until_the_count() -> None:
    pairs = [(f"{label}{i}", label) for label in "ab" for i in range(30)]
    procedures = synthetic_procedures(pairs, count=5, phrases=10)
    assert len(procedures) == 5 and all(len(v) == 10 for v in procedures.values())
    with pytest.raises(DatasetError):
        synthetic_procedures(pairs, count=7, phrases=10)


def test_evaluate_procedures_counts_oos_rows_of_the_test_split() -> None:
    test = [("someone stole my card", "card_lost"), ("tell me a joke about cats", "oos")]
    report = evaluate_procedures(
        matcher=HybridMatcher(), examples=EXAMPLES, test=test, oos=["what time is it in Tokyo"]
    )
    assert (report["n_test"], report["n_oos"]) == (1, 2)
    assert report["in_scope_accuracy"] == 1.0 and report["oos_recall"] == 1.0
