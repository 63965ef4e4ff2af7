"""The LLM settings: optional, validated once, the key kept out of reprs."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from parley.config import ConfigError, load_settings


def test_without_a_base_url_automation_stays_offline(tmp_path: Path) -> None:
    s = load_settings({}, secret_file=tmp_path / "s")
    assert (s.llm_base_url, s.llm_api_key, s.llm_model, s.llm_timeout_s) == ("", "", "", 30)
    assert s.llm_price_in_per_1k == Decimal(0) == s.llm_price_out_per_1k


def test_full_llm_configuration(tmp_path: Path) -> None:
    s = load_settings(
        {
            "PARLEY_LLM_BASE_URL": "https://api.openai.com/v1/",
            "PARLEY_LLM_API_KEY": "sk-live-secret",
            "PARLEY_LLM_MODEL": " gpt-4o-mini ",
            "PARLEY_LLM_PRICE_IN_PER_1K": "0.00015",
            "PARLEY_LLM_PRICE_OUT_PER_1K": "0.0006",
            "PARLEY_LLM_TIMEOUT_S": "12",
        },
        secret_file=tmp_path / "s",
    )
    assert (s.llm_base_url, s.llm_model, s.llm_timeout_s) == (
        "https://api.openai.com/v1",
        "gpt-4o-mini",
        12,
    )
    assert (s.llm_price_in_per_1k, s.llm_price_out_per_1k) == (
        Decimal("0.00015"),
        Decimal("0.0006"),
    )
    assert s.llm_api_key == "sk-live-secret"
    assert "sk-live-secret" not in repr(s) and "LLM_API_KEY" not in s.extra


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("PARLEY_LLM_BASE_URL", "ftp://llm", "PARLEY_LLM_BASE_URL must be a http or https URL"),
        ("PARLEY_LLM_PRICE_IN_PER_1K", "cheap", "PARLEY_LLM_PRICE_IN_PER_1K must be a decimal"),
        ("PARLEY_LLM_PRICE_OUT_PER_1K", "-1", "PARLEY_LLM_PRICE_OUT_PER_1K must be between 0"),
        ("PARLEY_LLM_PRICE_OUT_PER_1K", "NaN", "PARLEY_LLM_PRICE_OUT_PER_1K must be between 0"),
        ("PARLEY_LLM_TIMEOUT_S", "0", "PARLEY_LLM_TIMEOUT_S must be between 1 and 600"),
    ],
)
def test_bad_llm_values_fail_loudly(name: str, value: str, says: str, tmp_path: Path) -> None:
    env = {"PARLEY_LLM_MODEL": "m", name: value}
    with pytest.raises(ConfigError, match=says):
        load_settings(env, secret_file=tmp_path / "s")


def test_a_base_url_needs_a_model(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="PARLEY_LLM_MODEL is required"):
        load_settings({"PARLEY_LLM_BASE_URL": "http://llm:8080/v1"}, secret_file=tmp_path / "s")
