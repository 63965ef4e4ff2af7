"""Configuration, read once from ``PARLEY_*`` environment variables.

Every value is validated when the settings are built; a bad value stops the process with a message
that names the variable, instead of surfacing later as a confusing runtime error.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import urlsplit

PREFIX = "PARLEY_"

_DB_SCHEMES = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


class ConfigError(ValueError):
    """A configuration value is missing or malformed."""


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite+aiosqlite:///./parley.db"
    # "memory://" keeps the realtime hub and jobs in-process (the embedded default).
    redis_url: str = "memory://"
    secret_key: str = ""
    secret_key_generated: bool = False
    host: str = "127.0.0.1"
    port: int = 8000
    # Session cookies get the Secure flag; "auto" means: when the request arrived over HTTPS.
    cookie_secure: str = "auto"
    session_days: int = 14
    max_body_bytes: int = 1_048_576
    # argon2 cost; tests lower it (the default costs ~240 ms per hash on these machines).
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65_536
    login_ip_limit: int = 5
    login_ip_window_s: int = 300
    login_account_limit: int = 10
    login_account_window_s: int = 900
    log_level: str = "info"
    # The address customers' providers reach Parley at (behind a proxy, the public https URL).
    # Provider signatures (Twilio) cover the full URL, so it must be exactly what they called.
    public_url: str = ""
    # Inbound email: the SMTP listener `parley serve` starts (0 = off) and the reply domain.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 2525
    email_domain: str = "parley.localhost"
    # Outbound email: smtp://user:pass@host:port (smtps:// for implicit TLS).
    smtp_relay_url: str = "smtp://127.0.0.1:25"
    # Provider API endpoints; tests point them at local servers speaking the same wire format.
    twilio_api_url: str = "https://api.twilio.com"
    meta_graph_url: str = "https://graph.facebook.com/v21.0"
    # Outbound webhooks may reach private addresses only when explicitly allowed (tests, labs).
    webhooks_allow_private: bool = False
    # Optional LLM (an OpenAI-compatible chat completions API, e.g. https://api.openai.com/v1).
    # Empty base URL: the offline provider (no network). Prices are per 1,000 tokens.
    llm_base_url: str = ""
    llm_api_key: str = field(default="", repr=False)
    llm_model: str = ""
    llm_price_in_per_1k: Decimal = Decimal(0)
    llm_price_out_per_1k: Decimal = Decimal(0)
    llm_timeout_s: int = 30
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def sync_database_url(self) -> str:
        """The same database for synchronous tools (Alembic runs through the async driver too)."""
        return self.database_url

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


def normalize_database_url(raw: str) -> str:
    """Accept ``sqlite:///x.db`` or ``postgresql://...`` and pick the async driver."""
    if "://" not in raw:
        raise ConfigError(f"{PREFIX}DATABASE_URL must look like sqlite:///path or postgresql://...")
    scheme, rest = raw.split("://", 1)
    driver = _DB_SCHEMES.get(scheme)
    if driver is None:
        raise ConfigError(
            f"{PREFIX}DATABASE_URL scheme {scheme!r} is not supported (use sqlite or postgresql)"
        )
    if driver.startswith("sqlite") and not rest.startswith("/"):
        raise ConfigError(f"{PREFIX}DATABASE_URL for SQLite must be sqlite:///relative/or/absolute")
    return f"{driver}://{rest}"


def _int(env: Mapping[str, str], name: str, default: int, *, low: int, high: int) -> int:
    raw = env.get(PREFIX + name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{PREFIX}{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{PREFIX}{name} must be between {low} and {high}, got {value}")
    return value


def _url(env: Mapping[str, str], name: str, default: str, *, schemes: tuple[str, ...]) -> str:
    raw = env.get(PREFIX + name) or default
    if raw and urlsplit(raw).scheme not in schemes:
        raise ConfigError(f"{PREFIX}{name} must be a {' or '.join(schemes)} URL, got {raw!r}")
    return raw.rstrip("/")


def _decimal(env: Mapping[str, str], name: str, *, high: Decimal) -> Decimal:
    raw = (env.get(PREFIX + name) or "").strip()
    if not raw:
        return Decimal(0)
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ConfigError(f"{PREFIX}{name} must be a decimal number, got {raw!r}") from None
    if not value.is_finite() or not Decimal(0) <= value <= high:
        raise ConfigError(f"{PREFIX}{name} must be between 0 and {high}, got {raw!r}")
    return value


def _bool(env: Mapping[str, str], name: str, *, default: bool) -> bool:
    raw = (env.get(PREFIX + name) or "").strip().lower()
    if not raw:
        return default
    if raw not in {"1", "0", "true", "false", "yes", "no"}:
        raise ConfigError(f"{PREFIX}{name} must be true or false, got {raw!r}")
    return raw in {"1", "true", "yes"}


def _redis_url(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in {"memory", "redis", "rediss", "unix"}:
        raise ConfigError(
            f"{PREFIX}REDIS_URL must be memory:// or redis://host:port/db, got {raw!r}"
        )
    return raw


def load_settings(
    env: Mapping[str, str] | None = None, *, secret_file: Path | None = None
) -> Settings:
    """Build settings from the environment. Raises ConfigError naming the offending variable.

    Without ``PARLEY_SECRET_KEY`` a key is generated and kept in ``secret_file`` (next to the SQLite
    database by default) so that sessions survive a restart of the embedded default.
    """
    env = os.environ if env is None else env
    known = {
        "DATABASE_URL",
        "REDIS_URL",
        "SECRET_KEY",
        "HOST",
        "PORT",
        "COOKIE_SECURE",
        "SESSION_DAYS",
        "MAX_BODY_BYTES",
        "ARGON2_TIME_COST",
        "ARGON2_MEMORY_KIB",
        "LOGIN_IP_LIMIT",
        "LOGIN_IP_WINDOW_S",
        "LOGIN_ACCOUNT_LIMIT",
        "LOGIN_ACCOUNT_WINDOW_S",
        "LOG_LEVEL",
        "SMTP_PORT",
        "LLM_BASE_URL",
        "LLM_API_KEY",
        "LLM_MODEL",
        "LLM_PRICE_IN_PER_1K",
        "LLM_PRICE_OUT_PER_1K",
        "LLM_TIMEOUT_S",
    }
    database_url = normalize_database_url(env.get(PREFIX + "DATABASE_URL") or Settings.database_url)
    secret = env.get(PREFIX + "SECRET_KEY", "")
    generated = False
    if secret and len(secret) < 16:
        raise ConfigError(f"{PREFIX}SECRET_KEY must be at least 16 characters")
    if not secret:
        secret, generated = _stored_secret(secret_file or Path(".parley-secret")), True
    host = env.get(PREFIX + "HOST") or Settings.host
    cookie_secure = (env.get(PREFIX + "COOKIE_SECURE") or "auto").lower()
    if cookie_secure not in {"auto", "true", "false"}:
        raise ConfigError(f"{PREFIX}COOKIE_SECURE must be auto, true or false")
    log_level = (env.get(PREFIX + "LOG_LEVEL") or "info").lower()
    if log_level not in {"debug", "info", "warning", "error"}:
        raise ConfigError(f"{PREFIX}LOG_LEVEL must be debug, info, warning or error")
    llm_base_url = _url(env, "LLM_BASE_URL", "", schemes=("http", "https"))
    llm_model = (env.get(PREFIX + "LLM_MODEL") or "").strip()
    if llm_base_url and not llm_model:
        raise ConfigError(f"{PREFIX}LLM_MODEL is required when {PREFIX}LLM_BASE_URL is set")
    extra = {k[len(PREFIX) :]: v for k, v in env.items() if k.startswith(PREFIX)}
    return Settings(
        database_url=database_url,
        redis_url=_redis_url(env.get(PREFIX + "REDIS_URL") or Settings.redis_url),
        secret_key=secret,
        secret_key_generated=generated,
        host=host,
        port=_int(env, "PORT", Settings.port, low=1, high=65535),
        cookie_secure=cookie_secure,
        session_days=_int(env, "SESSION_DAYS", Settings.session_days, low=1, high=365),
        max_body_bytes=_int(env, "MAX_BODY_BYTES", Settings.max_body_bytes, low=1024, high=1 << 30),
        argon2_time_cost=_int(env, "ARGON2_TIME_COST", Settings.argon2_time_cost, low=1, high=20),
        argon2_memory_kib=_int(
            env, "ARGON2_MEMORY_KIB", Settings.argon2_memory_kib, low=8, high=4_194_304
        ),
        login_ip_limit=_int(env, "LOGIN_IP_LIMIT", Settings.login_ip_limit, low=1, high=10_000),
        login_ip_window_s=_int(
            env, "LOGIN_IP_WINDOW_S", Settings.login_ip_window_s, low=1, high=86_400
        ),
        login_account_limit=_int(
            env, "LOGIN_ACCOUNT_LIMIT", Settings.login_account_limit, low=1, high=10_000
        ),
        login_account_window_s=_int(
            env, "LOGIN_ACCOUNT_WINDOW_S", Settings.login_account_window_s, low=1, high=86_400
        ),
        log_level=log_level,
        public_url=_url(env, "PUBLIC_URL", "", schemes=("http", "https")),
        smtp_host=env.get(PREFIX + "SMTP_HOST") or Settings.smtp_host,
        smtp_port=_int(env, "SMTP_PORT", Settings.smtp_port, low=0, high=65535),
        email_domain=env.get(PREFIX + "EMAIL_DOMAIN") or Settings.email_domain,
        smtp_relay_url=_url(
            env, "SMTP_RELAY_URL", Settings.smtp_relay_url, schemes=("smtp", "smtps")
        ),
        twilio_api_url=_url(
            env, "TWILIO_API_URL", Settings.twilio_api_url, schemes=("http", "https")
        ),
        meta_graph_url=_url(
            env, "META_GRAPH_URL", Settings.meta_graph_url, schemes=("http", "https")
        ),
        webhooks_allow_private=_bool(env, "WEBHOOKS_ALLOW_PRIVATE", default=False),
        llm_base_url=llm_base_url,
        llm_api_key=env.get(PREFIX + "LLM_API_KEY", ""),
        llm_model=llm_model,
        llm_price_in_per_1k=_decimal(env, "LLM_PRICE_IN_PER_1K", high=Decimal(1000)),
        llm_price_out_per_1k=_decimal(env, "LLM_PRICE_OUT_PER_1K", high=Decimal(1000)),
        llm_timeout_s=_int(env, "LLM_TIMEOUT_S", Settings.llm_timeout_s, low=1, high=600),
        extra={k: v for k, v in extra.items() if k not in known},
    )


def _stored_secret(path: Path) -> str:
    if path.exists():
        value = path.read_text().strip()
        if len(value) >= 16:
            return value
    value = secrets.token_urlsafe(48)
    path.write_text(value + "\n")
    path.chmod(0o600)
    return value
