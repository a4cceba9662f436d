"""PyTorch modules with the JavaScript package's parameter names, layouts, initializations and configs, so
that `named_parameters()` names are the model file's tensor names and `config()` is the file's
"mpo-lstm.config" (key order included, so both languages write the same bytes).

  MPOLinear     cores.0 .. cores.{n-1} [dLeft, out, in, dRight], bias [N_y]          (nn/mpo-linear.ts)
  MPOLSTMLayer  coresIh.k, coresHh.k, biasIh [4H], biasHh [4H]                        (nn/mpo-lstm.ts)
  MPOLSTM       layers.l.<MPOLSTMLayer>, batch-first, PyTorch's gate order i, f, g, o
  LSTMLayer     weightIh [4H, F], weightHh [4H, H], biasIh, biasHh                    (nn/lstm.ts)
  LSTM          layers.l.<LSTMLayer>
  Sequential    layers.i.<module>; recurrent layers pass their output sequence on, or, with pool="last",
                the top layer's final hidden state (a sequence classifier: Embedding, LSTM, Linear)
torch.nn.Linear, torch.nn.Embedding and torch.nn.Dropout are used as they are (same names and layouts).
"""
import math

import torch
from torch import nn

from .mpo import chain_shapes, flat_glorot_cores, gate_factors, glorot_cores, layout_of, layout_shapes, mpo_dense, product
from .recurrence import lstm_layer

CORE_INITS = ("glorot", "flat-glorot")


def _cores(shapes, init, generator):
    if init == "glorot":
        return glorot_cores(shapes, generator)
    if init == "flat-glorot":
        return flat_glorot_cores(shapes, generator)
    raise ValueError(f"core init must be one of {CORE_INITS}, got {init!r}")


def _uniform(shape, bound, generator):
    return (torch.rand(shape, generator=generator) * 2 - 1) * bound


class MPOLinear(nn.Module):
    """y = x W^T + b with W an MPO: `bond` one bond for every inner bond or a list of n - 1 (used as given)."""

    def __init__(self, in_factors, out_factors, bond, bias=True, init="glorot", generator=None):
        super().__init__()
        n = len(in_factors)
        bonds = [bond] * (n - 1) if isinstance(bond, int) else list(bond)
        shapes = layout_shapes(in_factors, out_factors, bonds)
        self.cores = nn.ParameterList([nn.Parameter(c) for c in _cores(shapes, init, generator)])
        self.bias = nn.Parameter(torch.zeros(product(out_factors))) if bias else None

    @property
    def shapes(self):
        return [tuple(c.shape) for c in self.cores]

    @property
    def in_features(self):
        return product(s[2] for s in self.shapes)

    @property
    def out_features(self):
        return product(s[1] for s in self.shapes)

    def weight(self):
        """The dense W [out, in] the cores make."""
        return mpo_dense(list(self.cores))

    def forward(self, x):
        return nn.functional.linear(x, self.weight(), self.bias)

    def config(self):
        return {"type": "MPOLinear", **layout_of(self.shapes), "bias": self.bias is not None}


class _RecurrentLayer(nn.Module):
    """A layer of the LSTM recurrence; subclasses say where W, U and the biases come from."""

    impl = "fused"

    def weights(self):
        raise NotImplementedError

    def forward(self, x, lengths=None, h0=None, c0=None):
        """x [B, T, F] -> (output [B, T, H], h [B, H], c [B, H])."""
        w_ih, w_hh = self.weights()
        return lstm_layer(x, w_ih, w_hh, self.biasIh, self.biasHh, h0, c0, lengths, impl=self.impl, training=self.training)


class LSTMLayer(_RecurrentLayer):
    """A dense LSTM layer, PyTorch's layout; U(-1/sqrt(H), 1/sqrt(H)) everywhere, as nn.LSTM."""

    def __init__(self, input_size, hidden_size, bias=True, generator=None):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        k = 1 / math.sqrt(hidden_size)
        self.weightIh = nn.Parameter(_uniform((4 * hidden_size, input_size), k, generator))
        self.weightHh = nn.Parameter(_uniform((4 * hidden_size, hidden_size), k, generator))
        self.biasIh = nn.Parameter(_uniform((4 * hidden_size,), k, generator)) if bias else None
        self.biasHh = nn.Parameter(_uniform((4 * hidden_size,), k, generator)) if bias else None

    def weights(self):
        return self.weightIh, self.weightHh

    def config(self):
        return {"type": "LSTMLayer", "inputSize": self.input_size, "hiddenSize": self.hidden_size, "bias": self.biasIh is not None}


class MPOLSTMLayer(_RecurrentLayer):
    """An LSTM layer whose W (F -> 4H) and U (H -> 4H) are each one MPO, the gates on the first out factor."""

    def __init__(self, ih_shapes, hh_shapes, bias=True, init="glorot", generator=None):
        super().__init__()
        H = product(s[2] for s in hh_shapes)
        if product(s[1] for s in ih_shapes) != 4 * H or product(s[1] for s in hh_shapes) != 4 * H:
            raise ValueError(f"MPOLSTMLayer: the out factors of W and U must multiply to 4H = {4 * H}")
        self.input_size, self.hidden_size = product(s[2] for s in ih_shapes), H
        self.coresIh = nn.ParameterList([nn.Parameter(c) for c in _cores(ih_shapes, init, generator)])
        self.coresHh = nn.ParameterList([nn.Parameter(c) for c in _cores(hh_shapes, init, generator)])
        k = 1 / math.sqrt(H)
        self.biasIh = nn.Parameter(_uniform((4 * H,), k, generator)) if bias else None
        self.biasHh = nn.Parameter(_uniform((4 * H,), k, generator)) if bias else None

    def weights(self):
        return mpo_dense(list(self.coresIh)), mpo_dense(list(self.coresHh))

    def config(self):
        return {
            "type": "MPOLSTMLayer",
            "inputSize": self.input_size,
            "hiddenSize": self.hidden_size,
            "ih": layout_of([tuple(c.shape) for c in self.coresIh]),
            "hh": layout_of([tuple(c.shape) for c in self.coresHh]),
            "bias": self.biasIh is not None,
        }


class _StackedLSTM(nn.Module):
    """Stacked recurrent layers under `layers`, batch-first, dropout between layers in training (as nn.LSTM)."""

    def __init__(self, layers, dropout=0.0):
        super().__init__()
        if not 0 <= dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.layers = nn.ModuleList(layers)
        self.dropout = float(dropout)
        self.input_size = layers[0].input_size
        self.hidden_size = layers[0].hidden_size

    @property
    def num_layers(self):
        return len(self.layers)

    def set_impl(self, impl):
        """"fused" (PyTorch's LSTM kernel, default) or "loop" (the step-by-step reference)."""
        for layer in self.layers:
            layer.impl = impl
        return self

    def forward(self, x, lengths=None, state=None):
        """x [B, T, F] -> (output [B, T, H], (h [L, B, H], c [L, B, H])), like nn.LSTM(batch_first=True)."""
        hs, cs = [], []
        for l, layer in enumerate(self.layers):
            h0, c0 = (state[0][l], state[1][l]) if state is not None else (None, None)
            out, h, c = layer(x, lengths, h0, c0)
            hs.append(h)
            cs.append(c)
            x = nn.functional.dropout(out, self.dropout, self.training) if l < len(self.layers) - 1 and self.dropout > 0 else out
        return x, (torch.stack(hs), torch.stack(cs))

    def _config(self, type_):
        return {"type": type_, "inputSize": self.input_size, "hiddenSize": self.hidden_size, "numLayers": self.num_layers, "bias": self.layers[0].biasIh is not None, "dropout": self.dropout}


class LSTM(_StackedLSTM):
    """A dense LSTM with the JavaScript package's names (layers.l.weightIh ...); `from_torch` takes an nn.LSTM."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, dropout=0.0, generator=None, layers=None):
        layers = layers or [LSTMLayer(input_size if l == 0 else hidden_size, hidden_size, bias, generator) for l in range(num_layers)]
        super().__init__(layers, dropout)

    @classmethod
    def from_torch(cls, lstm):
        """The same weights as a batch-first unidirectional nn.LSTM without projections."""
        if lstm.bidirectional or getattr(lstm, "proj_size", 0):
            raise ValueError("only unidirectional nn.LSTMs without proj_size can be converted")
        out = cls(lstm.input_size, lstm.hidden_size, lstm.num_layers, lstm.bias, lstm.dropout)
        with torch.no_grad():
            for l, layer in enumerate(out.layers):
                layer.weightIh.copy_(getattr(lstm, f"weight_ih_l{l}"))
                layer.weightHh.copy_(getattr(lstm, f"weight_hh_l{l}"))
                if lstm.bias:
                    layer.biasIh.copy_(getattr(lstm, f"bias_ih_l{l}"))
                    layer.biasHh.copy_(getattr(lstm, f"bias_hh_l{l}"))
        return out

    def config(self):
        return self._config("LSTM")


class MPOLSTM(_StackedLSTM):
    """
    An LSTM whose W and U are MPOs (Gao et al., arXiv 2012.11943), exactly as nn/mpo-lstm.ts builds it:
    W has in factors `input_factors` (layer 0) or `hidden_factors`, U has `hidden_factors`; both have out
    factors `out_factors` or (4 h_1, h_2, ...); bonds `bond_ih` and `bond_hh` (default bond_ih), capped at
    their useful maximum. `core_init` "glorot" is the package's start (Var(W) as a dense Glorot start),
    "flat-glorot" the authors' (zfgao66/IMDB-MPO). Biases U(-1/sqrt(H), 1/sqrt(H)); `forget_bias`, when
    given, sets the forget gate's bias (biasIh's f block, biasHh's f block 0), as Keras' unit_forget_bias.
    """

    def __init__(self, input_size, hidden_size, input_factors, hidden_factors, bond_ih, bond_hh=None, num_layers=1,
                 out_factors=None, bias=True, dropout=0.0, core_init="glorot", forget_bias=None, generator=None, layers=None):
        if layers is None:
            if product(input_factors) != input_size or product(hidden_factors) != hidden_size or len(input_factors) != len(hidden_factors):
                raise ValueError(f"MPOLSTM: input factors {list(input_factors)} must multiply to {input_size} and hidden factors {list(hidden_factors)} to {hidden_size}, one factor per core each")
            out_f = list(out_factors) if out_factors is not None else gate_factors(hidden_factors)
            if product(out_f) != 4 * hidden_size or len(out_f) != len(hidden_factors):
                raise ValueError(f"MPOLSTM: out factors {out_f} must have one factor per core and multiply to 4H = {4 * hidden_size}")
            layers = []
            for l in range(num_layers):
                in_f = input_factors if l == 0 else hidden_factors
                layer = MPOLSTMLayer(chain_shapes(in_f, out_f, bond_ih), chain_shapes(hidden_factors, out_f, bond_hh or bond_ih), bias, core_init, generator)
                if forget_bias is not None and bias:
                    H = hidden_size
                    with torch.no_grad():
                        layer.biasIh[H:2 * H] = forget_bias
                        layer.biasHh[H:2 * H] = 0
                layers.append(layer)
        super().__init__(layers, dropout)

    @classmethod
    def from_layers(cls, layers, dropout=0.0):
        """An MPOLSTM of given MPOLSTMLayers (what loading a model file builds)."""
        return cls(None, None, None, None, None, layers=list(layers), dropout=dropout)

    def config(self):
        return {**self._config("MPOLSTM"), "layers": [l.config() for l in self.layers]}


def is_recurrent(module):
    return isinstance(module, (_StackedLSTM, _RecurrentLayer))


class Sequential(nn.Module):
    """Modules in order under `layers` (the JavaScript Sequential's names)."""

    def __init__(self, layers):
        super().__init__()
        self.layers = nn.ModuleList(layers)

    def forward(self, x, lengths=None, pool="sequence"):
        """
        Runs the layers in order. A recurrent layer gets `lengths` and passes its output sequence on; with
        pool="last" the last recurrent layer passes its top layer's final hidden state [B, H] instead (the
        state at each sequence's length), so Sequential(Embedding, LSTM, Linear) is a sequence classifier.
        """
        if pool not in ("sequence", "last"):
            raise ValueError(f'pool must be "sequence" or "last", got {pool!r}')
        last = max([i for i, m in enumerate(self.layers) if is_recurrent(m)], default=-1)
        for i, m in enumerate(self.layers):
            if isinstance(m, _StackedLSTM):
                out, (h, _) = m(x, lengths)
                x = h[-1] if pool == "last" and i == last else out
            elif isinstance(m, _RecurrentLayer):
                out, h, _ = m(x, lengths)
                x = h if pool == "last" and i == last else out
            else:
                x = m(x)
        return x

    def config(self):
        return {"type": "Sequential", "layers": [config_of(m) for m in self.layers]}


def config_of(module):
    """The JavaScript config of a module: ours, or torch.nn.Linear / Embedding / Dropout."""
    if hasattr(module, "config") and callable(module.config):
        return module.config()
    if isinstance(module, nn.Linear):
        return {"type": "Linear", "inFeatures": module.in_features, "outFeatures": module.out_features, "bias": module.bias is not None}
    if isinstance(module, nn.Embedding):
        return {"type": "Embedding", "numEmbeddings": module.num_embeddings, "dim": module.embedding_dim}
    if isinstance(module, nn.Dropout):
        return {"type": "Dropout", "p": module.p}
    raise TypeError(f"{type(module).__name__} has no mpo-lstm model-file type; use the modules of mpo_lstm_torch (and torch.nn.Linear, Embedding, Dropout)")
