"""One error family. Every failure a client can cause is a ParleyError with a machine code.

The API turns these into ``{"error": {"code", "message", "fields"}}`` in a single handler; nothing
else in the code base builds error responses.
"""

from __future__ import annotations

from collections.abc import Mapping


class ParleyError(Exception):
    code = "error"
    status = 400

    def __init__(self, message: str, *, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields: dict[str, str] = dict(fields or {})


class InvalidInput(ParleyError):
    code = "invalid_input"
    status = 422


class NotFound(ParleyError):
    code = "not_found"
    status = 404


class Unauthenticated(ParleyError):
    code = "unauthenticated"
    status = 401


class Forbidden(ParleyError):
    code = "forbidden"
    status = 403


class Conflict(ParleyError):
    code = "conflict"
    status = 409


class IllegalTransition(Conflict):
    """A lifecycle command that the interaction's current state does not allow."""

    code = "illegal_transition"


class ReadOnly(Conflict):
    """A change to a completed interaction that only an open interaction accepts."""

    code = "read_only"


class TooManyRequests(ParleyError):
    code = "rate_limited"
    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PayloadTooLarge(ParleyError):
    code = "payload_too_large"
    status = 413


class Unavailable(ParleyError):
    code = "unavailable"
    status = 503
