"""``parley bench routing`` in a tiny configuration: it runs as a user would run it and prints one
JSON object of the documented shape. Timings are never asserted (PERFORMANCE.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

TINY = [
    "--agents", "12",
    "--waiting", "30,60",
    "--decisions", "8",
    "--batch", "4",
    "--runs", "2",
    "--pure-decisions", "40",
]  # fmt: skip

SAMPLE_KEYS = {
    "decisions",
    "runs",
    "decisions_per_s",
    "range",
    "us_per_decision",
    "cpu_us_per_decision",
}


def bench(args: list[str], cwd: Path) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-m", "parley", "bench", "routing", *TINY, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def check_sample(sample: dict[str, Any], decisions: int) -> None:
    assert set(sample) >= SAMPLE_KEYS
    assert (sample["decisions"], sample["runs"]) == (decisions, 2)
    low, high = sample["range"]
    assert 0 < low <= sample["decisions_per_s"] <= high


def test_the_routing_bench_prints_one_json_report(database_url: str, tmp_path: Path) -> None:
    postgres = database_url.startswith("postgresql")
    report = bench(["--database-url", database_url] if postgres else [], tmp_path)
    assert report["bench"] == "routing"
    assert {"platform", "cpus", "loadavg_at_start", "loadavg_at_end"} <= set(report["machine"])
    assert report["config"]["sizes"] == [30, 60]

    pure = report["pure"]
    check_sample(pure["baseline"], 40)
    assert set(pure["strategies"]) == {"least_busy", "round_robin", "longest_idle", "skills"}
    for sample in pure["strategies"].values():
        check_sample(sample, sample["decisions"])
        assert sample["ratio_to_baseline"] > 0

    assert set(report["database"]) == ({"sqlite", "postgresql"} if postgres else {"sqlite"})
    for figures in report["database"].values():
        assert figures["agents"] == 12 and 0 < figures["agents_available"] <= 12
        assert [row["waiting"] for row in figures["by_waiting"]] == [30, 60]
        for row in figures["by_waiting"]:
            check_sample(row["parley"], 8)
            check_sample(row["baseline"], 8)
            assert row["ratio"] > 0
        assert set(figures["growth"]) == {
            "parley_us_per_decision_last_over_first",
            "baseline_us_per_decision_last_over_first",
        }


def test_bad_queue_sizes_are_refused(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "parley", "bench", "routing", "--waiting", "100,10"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0 and "increasing" in result.stderr
