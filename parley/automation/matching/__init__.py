"""Offline matching for procedures (AOPs) and the knowledge base. See docs/matching.md.

Nothing here touches the network: lexical features always work, the static embedding model is
used when its artifact is present, and the contextual MiniLM when its weights are (both put in
place by ``scripts/build_models.py`` at bootstrap). :func:`default_matcher` picks the best
matcher the installed files allow.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from parley.automation.matching.cascade import CascadeConfig, CascadeMatcher
from parley.automation.matching.contextual import ContextualModel, default_contextual_path
from parley.automation.matching.matcher import (
    Candidate,
    Encoder,
    HybridMatcher,
    Match,
    Matcher,
    MatcherConfig,
)
from parley.automation.matching.retriever import (
    Document,
    Hit,
    HybridRetriever,
    Retriever,
    RetrieverConfig,
)
from parley.automation.matching.static_model import StaticModel, default_model_path

__all__ = [
    "Candidate",
    "CascadeConfig",
    "CascadeMatcher",
    "ContextualModel",
    "Document",
    "Encoder",
    "Hit",
    "HybridMatcher",
    "HybridRetriever",
    "Match",
    "Matcher",
    "MatcherConfig",
    "Retriever",
    "RetrieverConfig",
    "StaticModel",
    "default_contextual_path",
    "default_matcher",
    "default_model_path",
    "load_contextual",
    "load_encoder",
    "shared_contextual",
    "shared_encoder",
]

logger = logging.getLogger(__name__)


def _absent(what: str, location: Path, *, required: bool, fallback: str) -> None:
    """A model file that is not installed: an error when ``required``, else a warning."""
    if required:
        raise FileNotFoundError(f"{what} not found at {location}: run scripts/build_models.py")
    logger.warning("%s not found at %s: %s", what, location, fallback)


@functools.cache
def shared_encoder() -> StaticModel | None:
    """The installed static model, loaded once per process and shared by procedure matching, the
    knowledge base and sentiment (14 MB: one copy, not one per feature); None when absent."""
    return load_encoder()


def load_encoder(path: Path | None = None, *, required: bool = False) -> StaticModel | None:
    """The static model at ``path`` (default: :func:`default_model_path`), or None if absent.

    Raises FileNotFoundError instead of returning None when ``required``.
    """
    location = path or default_model_path()
    if not location.is_file():
        _absent("static model", location, required=required, fallback="matching is lexical only")
        return None
    return StaticModel.load(location)


@functools.cache
def shared_contextual() -> ContextualModel | None:
    """The contextual MiniLM, loaded once per process (90 MB of weights); None when absent."""
    return load_contextual()


def load_contextual(path: Path | None = None, *, required: bool = False) -> ContextualModel | None:
    """The contextual model in ``path`` (default: :func:`default_contextual_path`), or None.

    Raises FileNotFoundError instead of returning None when ``required``; ValueError when the
    files there are not the pinned weights.
    """
    location = path or default_contextual_path()
    if not (location / "model.safetensors").is_file():
        fallback = "matching uses the static model"
        _absent("contextual model", location, required=required, fallback=fallback)
        return None
    return ContextualModel.load(location)


def default_matcher() -> Matcher:
    """The cascade when both models are installed, else the static hybrid, else lexical only."""
    static, contextual = shared_encoder(), None
    if static is not None:
        contextual = shared_contextual()
    if static is not None and contextual is not None:
        return CascadeMatcher(static, contextual)
    return HybridMatcher(static)
