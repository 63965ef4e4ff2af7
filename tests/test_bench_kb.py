"""``parley bench kb`` in a tiny configuration prints one JSON object of the documented shape.
Timings are never asserted (PERFORMANCE.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def test_bench_kb_json_shape(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "parley", "bench", "kb", "--sizes", "60,120", "--queries", "5",
         "--runs", "1", "--lexical-only"],
        capture_output=True, text=True, timeout=300, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["bench"] == "kb" and report["encoder"] == "lexical-only"
    rows = report["database"]["sqlite"]["by_chunks"]
    assert [r["chunks"] for r in rows] == [60, 120]
    for row in rows:
        assert set(row) == {
            "chunks",
            "insert_s",
            "queries",
            "parley",
            "baseline",
            "ratio_p50",
            "ratio_p99",
        }
        for side in ("parley", "baseline"):
            assert set(row[side]) == {"p50_ms", "p99_ms", "mean_ms"}
