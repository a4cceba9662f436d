"""mpo-lstm model files (the JavaScript package's src/io/model-file.ts), read and written from PyTorch:

    __metadata__  "format": "mpo-lstm", "mpo-lstm.version": "1",
                  "mpo-lstm.config": JSON of the module's config (architecture),
                  "mpo-lstm.frozen": JSON array of frozen parameter names (requires_grad False), when any,
                  "mpo-lstm.mpo": JSON {matrix: {inFactors, outFactors, bonds, shape}} for every MPO,
                  plus any user keys (not starting with "mpo-lstm.")
    tensors       one F32 tensor per parameter, under its dotted name (named_parameters()).

`save_file(model, path)` writes what the JavaScript `save` writes for the same model, byte for byte;
`load_file(path)` rebuilds the model a JavaScript `save` wrote (checked: names, shapes, MPO metadata).
Pruned (CSR) matrices and SparseLSTM are JavaScript-only and raise ModelFileError.
"""
import json
import os
import re
import tempfile

import torch
from torch import nn

from . import jsjson
from .modules import LSTM, LSTMLayer, MPOLinear, MPOLSTM, MPOLSTMLayer, Sequential, config_of
from .mpo import layout_shapes, product
from .safetensors import SafetensorsError, decode, encode

FORMAT_NAME = "mpo-lstm"
FORMAT_VERSION = "1"
PREFIX = "mpo-lstm."
CONFIG_KEY, VERSION_KEY, FROZEN_KEY, MPO_KEY, PRUNED_KEY = (PREFIX + k for k in ("config", "version", "frozen", "mpo", "pruned"))
FLOAT_DTYPES = (torch.float32, torch.float64, torch.float16, torch.bfloat16)


class ModelFileError(ValueError):
    """A file that is not a model file this package can rebuild, or disagrees with itself."""


def mpo_matrices(named_shapes):
    """The "mpo-lstm.mpo" entries: groups "<key>.0" .. "<key>.<n-1>" of rank-4 shapes chaining as an MPO."""
    groups = {}
    for name, shape in named_shapes:
        m = re.match(r"^(.*)\.(\d+)$", name, re.S)
        if m and len(shape) == 4:
            groups.setdefault(m.group(1), {})[int(m.group(2))] = list(shape)
    out = {}
    for key in sorted(groups, key=lambda s: s.encode("utf-16-be")):
        g = groups[key]
        cores = []
        while len(cores) in g:
            cores.append(g[len(cores)])
        if len(cores) != len(g) or cores[0][0] != 1 or cores[-1][3] != 1 or any(cores[k][0] != cores[k - 1][3] for k in range(1, len(cores))):
            continue
        in_f, out_f = [s[2] for s in cores], [s[1] for s in cores]
        out[key] = {"inFactors": in_f, "outFactors": out_f, "bonds": [s[3] for s in cores[:-1]], "shape": [product(out_f), product(in_f)]}
    return out


def save_bytes(model, metadata=None):
    """The model file of `model` (its parameters as F32, its config and frozen names in the metadata)."""
    config = config_of(model)
    tensors, frozen = {}, []
    for name, p in model.named_parameters():
        tensors[name] = p.detach().to("cpu", torch.float32)
        if not p.requires_grad:
            frozen.append(name)
    meta = {}
    for key, value in (metadata or {}).items():
        if key.startswith(PREFIX) or key == "format":
            raise ModelFileError(f'metadata key "{key}" is reserved; use another name')
        if not isinstance(value, str):
            raise ModelFileError(f'metadata "{key}" must be a string (JSON-encode structures)')
        meta[key] = value
    meta["format"] = FORMAT_NAME
    meta[VERSION_KEY] = FORMAT_VERSION
    meta[CONFIG_KEY] = jsjson.dumps(config)
    if frozen:
        meta[FROZEN_KEY] = jsjson.dumps(sorted(frozen))
    mpo = mpo_matrices([(n, tuple(t.shape)) for n, t in tensors.items()])
    if mpo:
        meta[MPO_KEY] = jsjson.dumps(mpo)
    return encode(tensors, meta)


def save_file(model, path, metadata=None):
    """Writes the model file of `model` to `path` atomically (temporary file, fsync, rename)."""
    data = save_bytes(model, metadata)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def read_model_file(data):
    """{config, tensors (float32), frozen, mpo, metadata} of model-file bytes, checked, nothing built."""
    try:
        raw, metadata = decode(data)
    except SafetensorsError as e:
        raise ModelFileError(f"model file: {e}") from None
    if PRUNED_KEY in metadata:
        raise ModelFileError("model file: it holds pruned (CSR) matrices, which mpo_lstm_torch does not read; load it in JavaScript")
    if CONFIG_KEY not in metadata:
        raise ModelFileError(f'model file: no "{CONFIG_KEY}" metadata, so this is not an mpo-lstm model file')
    if metadata.get(VERSION_KEY) != FORMAT_VERSION:
        raise ModelFileError(f"model file: format version {metadata.get(VERSION_KEY)!r} is not supported (this reads version {FORMAT_VERSION})")
    tensors = {}
    for name, t in raw.items():
        if t.dtype not in FLOAT_DTYPES:
            raise ModelFileError(f'model file: tensor "{name}" is {t.dtype}; model parameters are floating point')
        tensors[name] = t.to(torch.float32)
    config = _json(CONFIG_KEY, metadata[CONFIG_KEY])
    frozen = _json(FROZEN_KEY, metadata[FROZEN_KEY]) if FROZEN_KEY in metadata else []
    if not isinstance(frozen, list) or any(n not in tensors for n in frozen):
        raise ModelFileError(f'model file: "{FROZEN_KEY}" must list tensors of the file, got {frozen!r}')
    mpo = _json(MPO_KEY, metadata[MPO_KEY]) if MPO_KEY in metadata else {}
    _check_mpo(mpo, tensors)
    return {"config": config, "tensors": tensors, "frozen": frozen, "mpo": mpo, "metadata": metadata}


def _json(key, text):
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ModelFileError(f'model file: metadata "{key}" is not valid JSON ({e})') from None


def _check_mpo(mpo, tensors):
    if not isinstance(mpo, dict):
        raise ModelFileError(f'model file: "{MPO_KEY}" must be an object')
    for key, info in mpo.items():
        try:
            shapes = layout_shapes(info["inFactors"], info["outFactors"], info["bonds"])
        except (KeyError, TypeError, ValueError) as e:
            raise ModelFileError(f'model file: "{MPO_KEY}" entry "{key}" is not a valid layout ({e})') from None
        for k, want in enumerate(shapes):
            got = tensors.get(f"{key}.{k}")
            if got is None or tuple(got.shape) != want:
                raise ModelFileError(f'model file: tensor "{key}.{k}" has shape {None if got is None else list(got.shape)} but the MPO metadata says {list(want)}')
        if f"{key}.{len(shapes)}" in tensors:
            raise ModelFileError(f'model file: tensor "{key}.{len(shapes)}" follows the {len(shapes)} cores the MPO metadata of "{key}" lists')


def _int(c, key):
    v = c.get(key)
    if not isinstance(v, int) or isinstance(v, bool) or v < 1:
        raise ModelFileError(f'{c.get("type")}: "{key}" must be a positive integer, got {v!r}')
    return v


def _layout(c, key):
    v = c.get(key)
    try:
        return layout_shapes(v["inFactors"], v["outFactors"], v["bonds"])
    except (KeyError, TypeError, ValueError) as e:
        raise ModelFileError(f'{c.get("type")}: "{key}" must be a layout {{inFactors, outFactors, bonds}} ({e})') from None


def _mpo_lstm_layer(c):
    layer = MPOLSTMLayer(_layout(c, "ih"), _layout(c, "hh"), c.get("bias", True) is not False)
    if layer.input_size != _int(c, "inputSize") or layer.hidden_size != _int(c, "hiddenSize"):
        raise ModelFileError(f"MPOLSTMLayer: the factors make {layer.input_size} -> {layer.hidden_size}, the config says {c['inputSize']} -> {c['hiddenSize']}")
    return layer


def module_from_config(c):
    """A module of the architecture `c` (a JavaScript config), with placeholder values."""
    if not isinstance(c, dict):
        raise ModelFileError(f"a module config must be an object, got {c!r}")
    t = c.get("type")
    bias = c.get("bias", True) is not False
    if t == "Linear":
        return nn.Linear(_int(c, "inFeatures"), _int(c, "outFeatures"), bias=bias)
    if t == "Embedding":
        return nn.Embedding(_int(c, "numEmbeddings"), _int(c, "dim"))
    if t == "Dropout":
        return nn.Dropout(c.get("p", 0))
    if t == "Sequential":
        if not isinstance(c.get("layers"), list):
            raise ModelFileError('Sequential: "layers" must be an array of module configs')
        return Sequential([module_from_config(l) for l in c["layers"]])
    if t == "LSTMLayer":
        return LSTMLayer(_int(c, "inputSize"), _int(c, "hiddenSize"), bias)
    if t == "LSTM":
        return LSTM(_int(c, "inputSize"), _int(c, "hiddenSize"), _int(c, "numLayers"), bias, c.get("dropout", 0))
    if t == "MPOLinear":
        shapes = layout_shapes(c["inFactors"], c["outFactors"], c["bonds"])
        return MPOLinear([s[2] for s in shapes], [s[1] for s in shapes], [s[3] for s in shapes[:-1]], bias)
    if t == "MPOLSTMLayer":
        return _mpo_lstm_layer(c)
    if t == "MPOLSTM":
        layers = c.get("layers")
        if not isinstance(layers, list) or len(layers) != _int(c, "numLayers"):
            raise ModelFileError(f'MPOLSTM: "layers" must hold numLayers = {c.get("numLayers")} MPOLSTMLayer configs')
        made = [_mpo_lstm_layer(l) for l in layers]
        for i, l in enumerate(made):
            if l.input_size != (_int(c, "inputSize") if i == 0 else _int(c, "hiddenSize")) or l.hidden_size != _int(c, "hiddenSize"):
                raise ModelFileError(f"MPOLSTM: layer {i} is {l.input_size} -> {l.hidden_size}, which disagrees with the LSTM's sizes")
        return MPOLSTM.from_layers(made, dropout=c.get("dropout", 0))
    raise ModelFileError(f"unknown module type {t!r}; mpo_lstm_torch builds Linear, Embedding, Dropout, Sequential, LSTM, LSTMLayer, MPOLinear, MPOLSTM, MPOLSTMLayer")


def build(contents):
    """The module a read model file describes, with the file's values (exact float32)."""
    model = module_from_config(contents["config"])
    tensors = contents["tensors"]
    params = dict(model.named_parameters())
    for name, p in params.items():
        t = tensors.get(name)
        if t is None:
            raise ModelFileError(f'model file: the architecture has parameter "{name}" {list(p.shape)}, which the file lacks')
        if tuple(t.shape) != tuple(p.shape):
            raise ModelFileError(f'model file: tensor "{name}" has shape {list(t.shape)} but the architecture says {list(p.shape)}')
    for name in tensors:
        if name not in params:
            raise ModelFileError(f'model file: tensor "{name}" is not a parameter of the architecture')
    with torch.no_grad():
        for name, p in params.items():
            p.copy_(tensors[name])
            p.requires_grad_(name not in contents["frozen"])
    return model


def load_bytes(data):
    return build(read_model_file(data))


def load_file(path):
    """Rebuilds the model saved at `path` (by this package or the JavaScript one)."""
    with open(path, "rb") as f:
        return load_bytes(f.read())


def user_metadata(contents):
    """The metadata keys a user added (not the format's own)."""
    return {k: v for k, v in contents["metadata"].items() if not k.startswith(PREFIX) and k != "format"}
