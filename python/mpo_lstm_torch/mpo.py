"""MPO (tensor-train) matrices in the JavaScript package's conventions (src/mpo/mpo.ts):

    core k is T_k[dLeft, out_k, in_k, dRight], row-major; dLeft of core 0 and dRight of the last core are 1;
    W [prod out_k, prod in_k] (y = x W^T) is the contraction of the cores over their bonds, with the row
    index j_1 ... j_n and the column index i_1 ... i_n both row-major over the factors.

So an MPO weight rebuilt here is exactly the dense PyTorch weight (nn.Linear's [out, in], nn.LSTM's
weight_ih [4H, in] with the gates i, f, g, o stacked in the first out factor).
"""
import math

import torch


class MpoShapeError(ValueError):
    """Factors and bonds that do not form an MPO of the sizes asked for."""


def product(xs):
    p = 1
    for x in xs:
        p *= x
    return p


def layout_shapes(in_factors, out_factors, bonds):
    """Core shapes [dLeft, out, in, dRight] of a layout with the given n - 1 inner bonds (used as given)."""
    in_factors, out_factors, bonds = list(in_factors), list(out_factors), list(bonds)
    n = len(in_factors)
    if n < 1 or len(out_factors) != n or len(bonds) != n - 1:
        raise MpoShapeError(f"an MPO of n cores needs n in factors, n out factors and n - 1 bonds; got {in_factors}, {out_factors}, {bonds}")
    for v in in_factors + out_factors + bonds:
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise MpoShapeError(f"factors and bonds must be integers >= 1, got {in_factors}, {out_factors}, {bonds}")
    d = [1] + bonds + [1]
    return [(d[k], out_factors[k], in_factors[k], d[k + 1]) for k in range(n)]


def chain_shapes(in_factors, out_factors, bond):
    """Core shapes with a uniform bond capped at the useful maximum, as nn/mpo-lstm.ts's chainShapes."""
    n = len(in_factors)
    if n < 1 or len(out_factors) != n:
        raise MpoShapeError(f"in factors {list(in_factors)} and out factors {list(out_factors)} need the same length n >= 1")
    site = [i * o for i, o in zip(in_factors, out_factors)]
    bonds = [min(bond, product(site[:k]), product(site[k:])) for k in range(1, n)]
    return layout_shapes(in_factors, out_factors, bonds)


def gate_factors(hidden_factors):
    """Out factors of an MPO-LSTM's W and U: the four gates stacked on the first factor, (4 h_1, h_2, ...)."""
    return [4 * h if k == 0 else h for k, h in enumerate(hidden_factors)]


def layout_of(shapes):
    """{inFactors, outFactors, bonds} of core shapes (the config layout of the JavaScript modules)."""
    return {"inFactors": [s[2] for s in shapes], "outFactors": [s[1] for s in shapes], "bonds": [s[3] for s in shapes[:-1]]}


def glorot_cores(shapes, generator=None, dtype=torch.float32):
    """
    The package's Glorot-like start (nn/mpo-linear.ts's glorotCores): with every core entry of variance
    s^2, Var(W) = s^(2n) prod d_k, so s^(2n) = 2 / ((N_x + N_y) prod d_k) gives Glorot's variance;
    entries Uniform(-a, a), a = sqrt(3) s.
    """
    n = len(shapes)
    nx = product(s[2] for s in shapes)
    ny = product(s[1] for s in shapes)
    bond_product = product(s[3] for s in shapes[:-1])
    a = math.sqrt(3) * (2 / ((nx + ny) * bond_product)) ** (1 / (2 * n))
    return [(torch.rand(s, generator=generator, dtype=dtype) * 2 - 1) * a for s in shapes]


def flat_glorot_cores(shapes, generator=None, dtype=torch.float32):
    """
    The authors' start (zfgao66/IMDB-MPO, MPO_LSTM_all.py): all cores of one matrix are one flat vector of
    N entries drawn by Keras 2's glorot_uniform, whose fans for a 1-D shape are sqrt(N) each, so every entry
    is Uniform(-l, l) with l = sqrt(6 / (2 sqrt(N))). The rebuilt W then has a far smaller variance than a
    dense Glorot start (issue 15 measured 15-100x).
    """
    total = sum(product(s) for s in shapes)
    limit = math.sqrt(6 / (2 * math.sqrt(total)))
    return [(torch.rand(s, generator=generator, dtype=dtype) * 2 - 1) * limit for s in shapes]


def mpo_dense(cores):
    """W [prod out_k, prod in_k] from cores [dLeft, out, in, dRight] (differentiable; any dtype and device)."""
    first = cores[0]
    acc = first.reshape(first.shape[1], first.shape[2], first.shape[3])  # [O, I, d]
    for core in cores[1:]:
        _, o, i, e = core.shape
        acc = torch.einsum("abd,doie->aobie", acc, core).reshape(acc.shape[0] * o, acc.shape[1] * i, e)
    return acc.reshape(acc.shape[0], acc.shape[1])
