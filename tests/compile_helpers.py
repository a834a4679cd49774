"""Eager and compiled gradient descent side by side, for the tests that compare them bit for
bit (dropout, batch norm)."""

from __future__ import annotations

import tinygrad_edu


def descend(cost, params, X, Y, steps, lr, compiled, check="once"):
    """``steps`` of gradient descent on ``cost(X, Y)`` over ``params``: compiled (the update in
    the program) or eager (``optim.SGD``). Returns each step's cost (a float), each step's
    gradients (copies) and the compiled step (None for eager)."""
    step = tinygrad_edu.compile(cost, params, lr=lr, check=check) if compiled else None
    opt = tinygrad_edu.optim.SGD(params, lr=lr)
    costs, grads = [], []
    for _ in range(steps):
        if compiled:
            J, g = step(X, Y)
            costs.append(float(J))
            grads.append([x.copy() for x in g])
        else:
            J = cost(X, Y)
            opt.zero_grad()
            J.backward()
            costs.append(J.item())
            grads.append([p.grad.copy() for p in params])
            opt.step()
    return costs, grads, step
