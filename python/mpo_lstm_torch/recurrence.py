"""One LSTM layer over a batch-first sequence, given its dense weights, as the JavaScript package runs it
(src/ops/lstm.ts): gates i, f, g, o in row blocks of W [4H, F] and U [4H, H]; with per-sequence lengths,
outputs past a length are 0 and the final state is the one at the last valid step.

Two implementations with the same results:
  - "fused": PyTorch's own LSTM kernel (torch._VF.lstm, what nn.LSTM calls; cuDNN on a GPU) fed with the
    weights an MPO layer rebuilds on every forward. Rebuilding W and U costs one small contraction per
    batch, nothing beside 800 recurrent steps, and the gradient reaches the cores through it. Lengths go
    through a packed sequence, as nn.LSTM does.
  - "loop": a plain step-by-step loop in PyTorch ops, the reference the fused path is tested against; used
    when a length is 0 (packing cannot hold empty sequences).
"""
import warnings

import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

# The rebuilt weights are fresh tensors, never one contiguous chunk, which cuDNN warns about on every call.
warnings.filterwarnings("ignore", message="RNN module weights are not part of single contiguous chunk")


def lstm_layer_loop(x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths=None):
    B, T, _ = x.shape
    H = w_hh.shape[1]
    h, c = h0, c0
    pre = x @ w_ih.t()
    if b_ih is not None:
        pre = pre + b_ih + b_hh
    outs = []
    for t in range(T):
        z = pre[:, t] + h @ w_hh.t()
        i, f, g, o = torch.sigmoid(z[:, :H]), torch.sigmoid(z[:, H:2 * H]), torch.tanh(z[:, 2 * H:3 * H]), torch.sigmoid(z[:, 3 * H:])
        c_new = f * c + i * g
        h_new = o * torch.tanh(c_new)
        if lengths is None:
            h, c = h_new, c_new
            outs.append(h_new)
        else:
            live = (lengths > t).to(x.device).unsqueeze(1)
            h = torch.where(live, h_new, h)
            c = torch.where(live, c_new, c)
            outs.append(torch.where(live, h_new, torch.zeros_like(h_new)))
    out = torch.stack(outs, 1) if outs else x.new_zeros(B, 0, H)
    return out, h, c


def lstm_layer_fused(x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths=None, training=False):
    weights = [w_ih, w_hh] if b_ih is None else [w_ih, w_hh, b_ih, b_hh]
    has_bias = b_ih is not None
    hx = (h0.unsqueeze(0).contiguous(), c0.unsqueeze(0).contiguous())
    if lengths is None:
        # cuDNN refuses a backward through a call made with train=False, so train whenever autograd records.
        out, h, c = torch._VF.lstm(x, hx, weights, has_bias, 1, 0.0, training or torch.is_grad_enabled(), False, True)
        return out, h[0], c[0]
    packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
    hx = tuple(s.index_select(1, packed.sorted_indices.to(s.device)) for s in hx)
    data, h, c = torch._VF.lstm(packed.data, packed.batch_sizes, hx, weights, has_bias, 1, 0.0, training or torch.is_grad_enabled(), False)
    out, _ = pad_packed_sequence(packed._replace(data=data), batch_first=True, total_length=x.shape[1])
    unsort = packed.unsorted_indices.to(h.device)
    return out, h[0].index_select(0, unsort), c[0].index_select(0, unsort)


def lstm_layer(x, w_ih, w_hh, b_ih, b_hh, h0=None, c0=None, lengths=None, impl="fused", training=False):
    """x [B, T, F] -> (output [B, T, H], h [B, H], c [B, H]); `lengths` B integers in [0, T] or None."""
    B = x.shape[0]
    H = w_hh.shape[1]
    if h0 is None:
        h0 = x.new_zeros(B, H)
    if c0 is None:
        c0 = x.new_zeros(B, H)
    if lengths is not None:
        lengths = torch.as_tensor(lengths, dtype=torch.int64)
        if lengths.shape != (B,) or bool((lengths < 0).any()) or bool((lengths > x.shape[1]).any()):
            raise ValueError(f"lengths must be {B} integers in [0, {x.shape[1]}], got {lengths.tolist()}")
    if impl == "loop" or (lengths is not None and bool((lengths == 0).any())) or x.shape[1] == 0:
        return lstm_layer_loop(x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths)
    if impl != "fused":
        raise ValueError(f'impl must be "fused" or "loop", got {impl!r}')
    return lstm_layer_fused(x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths, training)
