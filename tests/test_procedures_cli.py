"""``parley procedures test`` runs the demo procedures' own tests (the CI gate for them), reports
failures readably and exits non-zero; ``parley procedures import`` stores files in an org."""

from __future__ import annotations

from pathlib import Path

import pytest

from parley.cli.main import main

DEMO = Path(__file__).resolve().parent.parent / "parley" / "demo" / "procedures"


def test_the_demo_procedures_pass_their_tests(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["procedures", "test", str(DEMO)]) == 0
    out = capsys.readouterr().out
    assert "0 failed, 0 file(s) invalid" in out
    assert len(list(DEMO.glob("*.yaml"))) >= 5
    assert "FAIL" not in out and "WARN" not in out


def test_failures_and_invalid_files_exit_non_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = (DEMO / "order_status.yaml").read_text(encoding="utf-8")
    (tmp_path / "wrong.yaml").write_text(
        source.replace("on its way with DHL", "on its way by pigeon"), encoding="utf-8"
    )
    (tmp_path / "broken.yml").write_text("name: x\ntriggers: {examples: [a]}\nsteps: [{}]\n")
    assert main(["procedures", "test", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "FAIL  order_status :: shipped order" in out
    assert "no reply says 'on its way by pigeon'" in out
    assert "customer: Where is my order AB12345?" in out  # the transcript of a failure
    assert "ERROR" in out and "broken.yml" in out and "steps.0: line 3: " in out
