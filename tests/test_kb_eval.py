"""The StackFAQ target (MRR >= 0.80) holds through the database's indexed search, not only in
memory: ``parley eval kb --database`` imports the FAQs with the real actions and searches."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "faq_stackfaq"


@pytest.mark.skipif(not (DATA / "faqs.json").is_file(), reason="StackFAQ is not on this machine")
def test_stackfaq_mrr_through_the_database() -> None:
    result = subprocess.run(
        [
            sys.executable, "-m", "parley", "eval", "kb", "--database",
            "--faqs", str(DATA / "faqs.json"), "--queries", str(DATA / "queries_dev.json"),
        ],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["database"] == "sqlite"
    assert report["n_queries"] == 625
    assert report["mrr"] >= 0.80, report
