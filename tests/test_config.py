"""Configuration is read once and a bad value stops the process with the variable's name."""

from __future__ import annotations

from pathlib import Path

import pytest

from parley.config import ConfigError, load_settings


def test_defaults_use_embedded_sqlite_and_memory_hub(tmp_path: Path) -> None:
    s = load_settings({}, secret_file=tmp_path / "secret")
    assert s.database_url == "sqlite+aiosqlite:///./parley.db"
    assert s.redis_url == "memory://" and s.port == 8000 and s.is_sqlite
    # A generated secret is kept so sessions survive a restart.
    again = load_settings({}, secret_file=tmp_path / "secret")
    assert s.secret_key == again.secret_key and len(s.secret_key) >= 32
    assert (tmp_path / "secret").stat().st_mode & 0o077 == 0


def test_full_configuration() -> None:
    s = load_settings(
        {
            "PARLEY_DATABASE_URL": "postgresql://u:p@db:5432/parley",
            "PARLEY_REDIS_URL": "redis://cache:6379/1",
            "PARLEY_SECRET_KEY": "s" * 40,
            "PARLEY_HOST": "0.0.0.0",  # noqa: S104
            "PARLEY_PORT": "9000",
        }
    )
    assert s.database_url == "postgresql+asyncpg://u:p@db:5432/parley"
    assert (s.redis_url, s.host, s.port, s.secret_key_generated) == (
        "redis://cache:6379/1",
        "0.0.0.0",  # noqa: S104
        9000,
        False,
    )


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("PARLEY_PORT", "eighty", "PARLEY_PORT must be a whole number"),
        ("PARLEY_PORT", "70000", "PARLEY_PORT must be between 1 and 65535"),
        ("PARLEY_DATABASE_URL", "mysql://x/y", "scheme 'mysql' is not supported"),
        ("PARLEY_DATABASE_URL", "parley.db", "PARLEY_DATABASE_URL must look like"),
        ("PARLEY_REDIS_URL", "amqp://x", "PARLEY_REDIS_URL must be memory://"),
        ("PARLEY_SECRET_KEY", "short", "PARLEY_SECRET_KEY must be at least 16"),
        ("PARLEY_COOKIE_SECURE", "maybe", "PARLEY_COOKIE_SECURE must be"),
        ("PARLEY_LOG_LEVEL", "loud", "PARLEY_LOG_LEVEL must be"),
    ],
)
def test_bad_values_fail_loudly(name: str, value: str, says: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=says.replace("(", r"\(")):
        load_settings({name: value}, secret_file=tmp_path / "s")
