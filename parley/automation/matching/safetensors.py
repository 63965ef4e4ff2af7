"""Read a ``.safetensors`` file with numpy alone (no torch, no safetensors package).

The format is an 8-byte little-endian header length, a JSON header mapping tensor names to
dtype, shape and byte offsets, then the raw little-endian tensor bytes.
"""

from __future__ import annotations

import json
import struct
from typing import Any

import numpy as np
import numpy.typing as npt

_DTYPES = {"F32": "<f4", "F16": "<f2", "F64": "<f8", "I64": "<i8", "I32": "<i4"}


class SafetensorsError(ValueError):
    pass


def read_safetensors(data: bytes) -> dict[str, npt.NDArray[Any]]:
    """Every tensor in ``data`` (the file's bytes), as arrays that own their memory."""
    if len(data) < 8:
        raise SafetensorsError("file too short")
    (header_len,) = struct.unpack("<Q", data[:8])
    if header_len > len(data) - 8:
        raise SafetensorsError("header length beyond end of file")
    header = json.loads(data[8 : 8 + header_len])
    base = 8 + header_len
    tensors: dict[str, npt.NDArray[Any]] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = _DTYPES.get(info["dtype"])
        if dtype is None:
            raise SafetensorsError(f"unsupported dtype {info['dtype']} for {name}")
        begin, end = info["data_offsets"]
        array = np.frombuffer(data[base + begin : base + end], dtype=dtype)
        tensors[name] = array.reshape(info["shape"]).copy()
    return tensors
