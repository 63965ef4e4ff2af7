"""The time, injectable: tests freeze or move it instead of sleeping."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime


def _system() -> datetime:
    return datetime.now(UTC)


_clock: ContextVar[Callable[[], datetime]] = ContextVar("parley_clock", default=_system)


def now() -> datetime:
    return _clock.get()()


@contextmanager
def frozen(at: datetime) -> Iterator[None]:
    token = _clock.set(lambda: at)
    try:
        yield
    finally:
        _clock.reset(token)
