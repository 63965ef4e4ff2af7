"""Shared pieces of the Pydantic families. Schemas are kept apart from the tables they describe."""

from __future__ import annotations

import json
import math
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, model_validator

MAX_JSON_DEPTH = 5
MAX_JSON_BYTES = 16_384


class Read(BaseModel):
    """A representation sent out: built from ORM rows, serialized the same in the API and events."""

    model_config = ConfigDict(from_attributes=True)


class Write(BaseModel):
    """A request body. Unknown fields are rejected, so nobody can mass-assign what is not offered
    (organization, author, state, timestamps...)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data: Any) -> Any:
        check_storable(data)
        return data


def check_storable(value: Any, path: str = "") -> None:
    """Refuse what no database stores faithfully: NUL characters (PostgreSQL rejects them in text)
    and NaN or infinite numbers (not JSON, silently turned into null elsewhere)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError(f"{path or 'a value'} contains a NUL character")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{path or 'a value'} is not a finite number")
    elif isinstance(value, dict):
        for key, item in value.items():
            check_storable(key, path)
            check_storable(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_storable(item, f"{path}.{index}" if path else str(index))


def _depth(value: Any, level: int = 0) -> int:
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


def _bounded(value: dict[str, Any]) -> dict[str, Any]:
    if _depth(value) > MAX_JSON_DEPTH:
        raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels")
    if len(json.dumps(value, default=str)) > MAX_JSON_BYTES:
        raise ValueError(f"larger than {MAX_JSON_BYTES} bytes")
    return value


# Free-form JSON that customers' systems may attach (custom fields, attributes, client details).
JsonObject = Annotated[dict[str, Any], AfterValidator(_bounded)]
