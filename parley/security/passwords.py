"""Password hashing (argon2id). The cost comes from settings: tests use a cheap one."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from parley.config import Settings


class Passwords:
    def __init__(self, *, time_cost: int, memory_kib: int) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)
        # Verified against when the account does not exist, so that a miss costs as much as a
        # wrong password and response times do not reveal which emails have accounts.
        self._dummy = self._hasher.hash(secrets.token_hex(16))

    @classmethod
    def from_settings(cls, settings: Settings) -> Passwords:
        return cls(time_cost=settings.argon2_time_cost, memory_kib=settings.argon2_memory_kib)

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash or self._dummy, password) and bool(
                password_hash
            )
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


def check_password_strength(password: str) -> str | None:
    """Why the password is refused, or None. Length is what matters (NIST SP 800-63B)."""
    if len(password) < 10:
        return "use at least 10 characters"
    if len(password) > 256:
        return "use at most 256 characters"
    return None
