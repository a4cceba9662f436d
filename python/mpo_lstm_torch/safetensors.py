"""The safetensors layout in plain Python (the `safetensors` package is not needed):

    bytes 0..8      N, the header length, u64 little-endian
    bytes 8..8+N    UTF-8 JSON: {"__metadata__": {str: str}, "<name>": {"dtype", "shape", "data_offsets"}, ...},
                    padded with spaces so the data starts 8-byte aligned
    bytes 8+N..     the data section; data_offsets are relative to its start

Encoding is canonical and the same as the JavaScript package's (src/io/safetensors.ts): tensors sorted
by name in the header and the data, metadata keys sorted, JSON as JSON.stringify writes it. So the same
tensors and metadata give the same bytes in both languages. Decoding checks the layout (lengths, offsets
tiling the data section, dtypes, shapes) and raises SafetensorsError naming the tensor.
"""
import json
import struct
import sys

import torch

from . import jsjson

DTYPES = {
    "F64": (torch.float64, 8),
    "F32": (torch.float32, 4),
    "F16": (torch.float16, 2),
    "BF16": (torch.bfloat16, 2),
    "I64": (torch.int64, 8),
    "I32": (torch.int32, 4),
    "I16": (torch.int16, 2),
    "I8": (torch.int8, 1),
    "U8": (torch.uint8, 1),
}
_BY_TORCH = {v[0]: k for k, v in DTYPES.items()}
MAX_HEADER_BYTES = 100_000_000


class SafetensorsError(ValueError):
    """A malformed safetensors file (or a tensor that cannot be written)."""


def _sort_key(name):
    # JavaScript sorts strings by UTF-16 code units; for names outside the BMP that differs from code points.
    return name.encode("utf-16-be")


def tensor_bytes(t):
    """Little-endian bytes of a tensor, without numpy (torch only)."""
    t = t.detach().to("cpu").contiguous()
    if t.dtype not in _BY_TORCH:
        raise SafetensorsError(f"dtype {t.dtype} has no safetensors name")
    raw = bytes(t.reshape(-1).view(torch.uint8)) if t.numel() > 0 else b""
    if sys.byteorder == "big" and t.element_size() > 1:
        size = t.element_size()
        raw = b"".join(raw[i:i + size][::-1] for i in range(0, len(raw), size))
    return raw


def encode(tensors, metadata=None):
    """Bytes of a safetensors file: `tensors` maps names to torch tensors, `metadata` str -> str."""
    header = {}
    meta = metadata or {}
    if meta:
        for k, v in meta.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise SafetensorsError(f"metadata must map strings to strings, got {k!r}: {type(v).__name__}")
        header["__metadata__"] = {k: meta[k] for k in sorted(meta, key=_sort_key)}
    payloads = []
    offset = 0
    for name in sorted(tensors, key=_sort_key):
        if name == "__metadata__" or not name:
            raise SafetensorsError(f"tensor name {name!r} is not allowed")
        t = tensors[name]
        data = tensor_bytes(t)
        header[name] = {"dtype": _BY_TORCH[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        payloads.append(data)
        offset += len(data)
    text = jsjson.dumps(header).encode("utf-8")
    padded = -(-(8 + len(text)) // 8) * 8 - 8
    return b"".join([struct.pack("<Q", padded), text, b" " * (padded - len(text)), *payloads])


def decode(data):
    """(tensors, metadata) from safetensors bytes; tensors are torch tensors of the stored dtype (copies)."""
    data = bytes(data)
    if len(data) < 8:
        raise SafetensorsError(f"the file is {len(data)} bytes, shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", data[:8])
    if n > MAX_HEADER_BYTES or n > len(data) - 8:
        raise SafetensorsError(f"the header length field says {n} bytes but the file holds {len(data) - 8} after it (limit {MAX_HEADER_BYTES})")

    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        if len(set(keys)) != len(keys):
            raise SafetensorsError(f"the header repeats a key among {keys[:10]}")
        return dict(pairs)

    try:
        header = json.loads(data[8:8 + n].decode("utf-8"), object_pairs_hook=no_duplicates)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SafetensorsError(f"the header is not UTF-8 JSON ({e})") from None
    if not isinstance(header, dict):
        raise SafetensorsError("the header is not a JSON object")
    body = memoryview(data)[8 + n:]
    metadata = header.pop("__metadata__", {}) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise SafetensorsError('"__metadata__" must map strings to strings')
    entries = []
    for name, e in header.items():
        if not isinstance(e, dict) or set(e) != {"dtype", "shape", "data_offsets"}:
            raise SafetensorsError(f"tensor {name!r}: the entry must hold exactly dtype, shape and data_offsets")
        if e["dtype"] not in DTYPES:
            raise SafetensorsError(f"tensor {name!r}: unknown dtype {e['dtype']!r}")
        shape, offs = e["shape"], e["data_offsets"]
        if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
            raise SafetensorsError(f"tensor {name!r}: shape {shape!r} must be non-negative integers")
        if not (isinstance(offs, list) and len(offs) == 2 and all(isinstance(o, int) and not isinstance(o, bool) for o in offs)) or not 0 <= offs[0] <= offs[1] <= len(body):
            raise SafetensorsError(f"tensor {name!r}: data_offsets {offs!r} are not a range inside the {len(body)}-byte data section")
        dtype, size = DTYPES[e["dtype"]]
        numel = 1
        for d in shape:
            numel *= d
        if numel * size != offs[1] - offs[0]:
            raise SafetensorsError(f"tensor {name!r}: shape {shape} of {e['dtype']} needs {numel * size} bytes but data_offsets {offs} span {offs[1] - offs[0]}")
        entries.append((offs[0], offs[1], name, dtype, shape))
    entries.sort()
    cursor = 0
    for begin, end, name, _, _ in entries:
        if begin != cursor:
            raise SafetensorsError(f"tensor {name!r}: data_offsets start at {begin}, expected {cursor} (the ranges must tile the data section)")
        cursor = end
    if cursor != len(body):
        raise SafetensorsError(f"the tensors cover {cursor} of the {len(body)} bytes of the data section")
    tensors = {}
    for begin, end, name, dtype, shape in entries:
        raw = bytearray(body[begin:end])
        if sys.byteorder == "big":
            size = torch.empty(0, dtype=dtype).element_size()
            raw = bytearray(b"".join(bytes(raw[i:i + size])[::-1] for i in range(0, len(raw), size)))
        t = torch.frombuffer(raw, dtype=dtype) if len(raw) > 0 else torch.empty(0, dtype=dtype)
        tensors[name] = t.reshape(shape).clone()
    return tensors, dict(metadata)
