"""PyTorch float64 as an independent oracle (tier 1: rtol 1e-10 on random graphs).

Runs only where torch is importable (CI installs the CPU build); this is the one allowed skip.
"""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import matmul_shapes, numeric_settings, random_graph, seeds, shapes

from tinygrad_edu import Tensor, grad
from tinygrad_edu.functions import binary_cross_entropy, binary_cross_entropy_with_logits

torch = pytest.importorskip("torch", reason="PyTorch is the optional oracle (pip install torch)")
TOL = {"rtol": 1e-10, "atol": 1e-12}


def both(values):
    """The same float64 values as a tinygrad_edu leaf and a torch leaf."""
    return (Tensor(values, requires_grad=True),
            torch.tensor(values, dtype=torch.float64, requires_grad=True))


def assert_same(ours, theirs):
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else theirs
    np.testing.assert_allclose(np.asarray(ours), theirs, **TOL)


@numeric_settings(50)
@given(seed=seeds, n=st.integers(1, 4), n_leaves=st.integers(1, 3), n_ops=st.integers(1, 20))
def test_random_graphs_agree_with_torch(seed, n, n_leaves, n_ops):
    rng = np.random.default_rng(seed)
    values = [rng.normal(size=(n, n)) for _ in range(n_leaves)]
    pairs = [both(v) for v in values]
    ours = random_graph([p[0] for p in pairs], seed, n_ops, lambda t: t.sum(axis=1, keepdims=True))
    theirs = random_graph([p[1] for p in pairs], seed, n_ops, lambda t: t.sum(dim=1, keepdim=True))
    assert_same(ours.data, theirs)
    G = rng.normal(size=(n, n))
    ours.backward(gradient=G)
    theirs.backward(torch.tensor(G))
    for mine, torchs in pairs:
        assert_same(mine.grad, torchs.grad)


@numeric_settings(30)
@given(seed=seeds, n=st.integers(1, 3), n_ops=st.integers(1, 10))
def test_hessian_vector_products_agree_with_torch(seed, n, n_ops):
    rng = np.random.default_rng(seed)
    x_values, v = rng.normal(size=(n, n)), rng.normal(size=(n, n))
    x, xt = both(x_values)
    f = random_graph([x], seed, n_ops, lambda t: t.sum(axis=1, keepdims=True)).sum()
    ft = random_graph([xt], seed, n_ops, lambda t: t.sum(dim=1, keepdim=True)).sum()
    g = grad(f, x, create_graph=True)
    (gt,) = torch.autograd.grad(ft, xt, create_graph=True)
    assert_same(g.data, gt)
    if not gt.requires_grad:  # linear in x: both give a constant gradient
        assert not g.requires_grad
        return
    assert_same(grad((g * Tensor(v)).sum(), x), torch.autograd.grad((gt * torch.tensor(v)).sum(),
                                                                     xt)[0])


@numeric_settings(40)
@given(pair=matmul_shapes.map(lambda s: s.input_shapes), seed=seeds)
def test_matmul_of_every_numpy_shape_agrees_with_torch(pair, seed):
    rng = np.random.default_rng(seed)
    (a, at), (b, bt) = both(rng.normal(size=pair[0])), both(rng.normal(size=pair[1]))
    out, outt = a @ b, at @ bt
    G = rng.normal(size=out.shape)
    out.backward(gradient=G)
    outt.backward(torch.tensor(G))
    assert_same(a.grad, at.grad)
    assert_same(b.grad, bt.grad)


@numeric_settings(40)
@given(shape=shapes(min_dims=1), seed=seeds, data=st.data())
def test_elementwise_ops_and_kinks_agree_with_torch(shape, seed, data):
    rng = np.random.default_rng(seed)
    values = rng.normal(size=shape)
    values.flat[0] = 0.0  # an exact kink: relu'(0) = 0, leaky'(0) = α, |x|'(0) = 0 in both
    mask = data.draw(hnp.arrays(np.bool_, shape))
    index = np.array(data.draw(st.lists(st.integers(0, shape[0] - 1), min_size=1, max_size=5)))
    cases = [
        (lambda t: t.relu(), lambda t: t.relu()),
        (lambda t: t.leaky_relu(0.1), lambda t: torch.nn.functional.leaky_relu(t, 0.1)),
        (lambda t: abs(t), lambda t: t.abs()),
        (lambda t: t.clip(-0.5, 0.5), lambda t: t.clamp(-0.5, 0.5)),
        (lambda t: (t * t + 0.3).sqrt().log(), lambda t: (t * t + 0.3).sqrt().log()),
        (lambda t: (t * t + 1.1) ** 1.7, lambda t: (t * t + 1.1) ** 1.7),
        (lambda t: 3.0 ** t, lambda t: 3.0 ** t),
        (lambda t: t[mask], lambda t: t[torch.tensor(mask)]),
        (lambda t: t[index], lambda t: t[torch.tensor(index)]),
        (lambda t: t.mean(axis=0), lambda t: t.mean(dim=0)),
    ]
    for ours_f, torch_f in cases:
        (x, xt) = both(values)
        out, outt = ours_f(x), torch_f(xt)
        assert_same(out.data, outt)
        G = rng.normal(size=out.shape)
        out.backward(gradient=G)
        outt.backward(torch.tensor(G))
        assert_same(x.grad, xt.grad)


@numeric_settings(40)
@given(n_y=st.integers(1, 3), m=st.integers(1, 6), seed=seeds)
def test_cross_entropy_agrees_with_torch(n_y, m, seed):
    """Our mean is 1/m over the columns; torch's over all elements: they differ by n_y."""
    rng = np.random.default_rng(seed)
    Y = (rng.random(size=(n_y, m)) > 0.5).astype(float)
    Z_values = rng.normal(size=(n_y, m)) * 4
    for reduction, scale in (("mean", n_y), ("sum", 1.0)):
        Z, Zt = both(Z_values)
        J = binary_cross_entropy(Z.sigmoid(), Y, reduction)
        Jt = torch.nn.functional.binary_cross_entropy(Zt.sigmoid(), torch.tensor(Y),
                                                      reduction=reduction) * scale
        assert_same(J.data, Jt)
        J.backward()
        Jt.backward()
        assert_same(Z.grad, Zt.grad)
        Z, Zt = both(Z_values)
        J = binary_cross_entropy_with_logits(Z, Y, reduction)
        Jt = torch.nn.functional.binary_cross_entropy_with_logits(
            Zt, torch.tensor(Y), reduction=reduction) * scale
        assert_same(J.data, Jt)
        J.backward()
        Jt.backward()
        assert_same(Z.grad, Zt.grad)
