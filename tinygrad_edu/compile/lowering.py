"""The readable source lowered to the form that runs: the same numpy calls, into buffers.

``step.source`` is the code a learner reads (``Z1 = W1 @ X + b1``). What runs is the same
code after four exact transformations (``step.executed_source`` shows it):

1. a helper that is one ``return`` (``sigmoid``) is written in place;
2. a sub-expression computed twice is computed once (``np.logaddexp(0.0, -Z2)`` of the
   sigmoid and of the cross-entropy — the engine shares it the same way), unless it holds a
   call that is not a ufunc (two dropout masks ``rng.random(A1.shape) < 0.8`` are two draws);
3. every numpy call whose result is an array writes into a buffer made once, at compile
   time: ``np.matmul(W1, X, out=_b0)``, ``np.add(_b0, b1, out=_b1)``,
   ``np.add.reduce(dZ1, axis=1, keepdims=True, out=_b7)`` for ``np.sum``;
4. the check of the cost, a number, is ``math.isfinite(J)`` (``np.isfinite`` on a number is a
   ufunc call, 20 times slower, with the same answer).

A ufunc with ``out=`` runs the same loop as without, so the values are the same bits. The
buffers are reused at every call: each is written before it is read within one call, and
none is handed out — the cost and the gradients returned are fresh arrays, the parameters
are updated in place. The shapes and dtypes come from running the readable code once on
the traced values (a program is made per signature, so they are fixed).
"""

from __future__ import annotations

import ast
import copy
from types import ModuleType
from typing import Any

import numpy as np

_BINARY = {ast.Add: "add", ast.Sub: "subtract", ast.Mult: "multiply", ast.Div: "true_divide",
           ast.MatMult: "matmul", ast.Pow: "power"}
_COMPARE = {ast.Gt: "greater", ast.GtE: "greater_equal", ast.Lt: "less", ast.LtE: "less_equal",
            ast.Eq: "equal", ast.NotEq: "not_equal"}


def lower(source: str, fn_name: str, values: dict) -> tuple[str, dict]:
    """``(executed source, buffers)`` for the function ``fn_name`` of ``source``;
    ``values`` are its arguments' traced values (by name)."""
    module = ast.parse(source)
    helpers = {f.name: f for f in module.body if isinstance(f, ast.FunctionDef)
               and f.name != fn_name}
    fn = next(f for f in module.body if isinstance(f, ast.FunctionDef) and f.name == fn_name)
    namespace: dict = {"np": np}
    exec(compile(ast.Module([h for h in module.body if h is not fn], []), "<helpers>",
                 "exec"), namespace)
    namespace.update(values)
    lowering = _Lowering(namespace, helpers)
    returned = _returned_names(fn)
    for statement in fn.body:
        lowering.statement(statement, returned)
    fn.body = lowering.out
    text = ast.unparse(ast.Module([*[h for h in module.body if h is not fn], fn], []))
    return text + "\n", lowering.buffers


def _returned_names(fn: ast.FunctionDef) -> set:
    ret = fn.body[-1]
    return {n.id for n in ast.walk(ret) if isinstance(n, ast.Name)} if isinstance(
        ret, ast.Return) else set()


class _Lowering:
    def __init__(self, namespace: dict, helpers: dict) -> None:
        self.ns = namespace
        self.helpers = {name: f for name, f in helpers.items() if len(f.body) == 1 and
                        isinstance(f.body[0], ast.Return)}
        self.helper_names = set(helpers)  # compile's own (helpers.py): pure functions
        self.out: list = []
        self.buffers: dict = {}
        self.seen: dict = {}  # ast.dump of a lowered expression -> the name holding it

    def statement(self, st: ast.stmt, returned: set) -> None:
        if isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(
                st.targets[0], ast.Name):
            name = st.targets[0].id
            value = self.expr(self._inline(st.value), fresh=name in returned)
            result = self._eval(value)
            if name in returned and self._shares_memory(result):  # a view of a buffer, of
                value = ast.Call(_np("array"), [value], [ast.keyword("copy", ast.Constant(
                    True))])  # an argument or a constant: handed out as an array of its own
                result = self._eval(value)
            self.out.append(ast.Assign([ast.Name(name, ast.Store())], value, lineno=0))
            self.ns[name] = result
        elif isinstance(st, ast.AugAssign):  # W1 -= lr * dW1: the product into a buffer
            value = self.expr(self._inline(st.value), fresh=False)
            new = ast.AugAssign(st.target, st.op, value, lineno=0)
            self.out.append(new)
            tree = ast.fix_missing_locations(ast.Module([copy.deepcopy(new)], []))
            exec(compile(tree, "<update>", "exec"), self.ns)
            self.seen.clear()  # a parameter changed: nothing computed before is reused
        elif isinstance(st, ast.If) and self._is_finite_check(st.test):  # J: a number
            st.test.operand.func = ast.Attribute(ast.Name("math", ast.Load()), "isfinite",
                                                 ast.Load())
            self.out.append(st)
        else:
            self.out.append(st)

    def _is_finite_check(self, test: ast.expr) -> bool:
        """``not np.isfinite(J)`` with J a real number (the cost): ``math.isfinite`` gives
        the same answer for it without a ufunc call."""
        if not (isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)):
            return False
        call = test.operand
        if not (isinstance(call, ast.Call) and ast.unparse(call.func) == "np.isfinite"
                and len(call.args) == 1 and isinstance(call.args[0], ast.Name)):
            return False
        value = self.ns.get(call.args[0].id)
        return isinstance(value, float | np.floating) and not isinstance(value, bool)

    def _shares_memory(self, value: Any) -> bool:
        if not isinstance(value, np.ndarray):
            return False
        return any(isinstance(v, np.ndarray) and np.may_share_memory(value, v)
                   for k, v in self.ns.items() if k != "np")

    def _inline(self, node: ast.expr) -> ast.expr:
        """``sigmoid(Z2)`` -> the helper's one expression with Z2 for its argument."""
        helpers = self.helpers

        class Inline(ast.NodeTransformer):
            def visit_Call(self, call: ast.Call) -> ast.expr:
                self.generic_visit(call)
                if isinstance(call.func, ast.Name) and call.func.id in helpers and \
                        not call.keywords:
                    f = helpers[call.func.id]
                    params = [a.arg for a in f.args.args]
                    mapping = dict(zip(params, call.args))
                    body = copy.deepcopy(f.body[0].value)
                    return _Substitute(mapping).visit(body)
                return call

        return Inline().visit(copy.deepcopy(node))

    def _eval(self, node: ast.expr) -> Any:
        tree = ast.fix_missing_locations(ast.Expression(copy.deepcopy(node)))
        return eval(compile(tree, "<lowering>", "eval"), self.ns)

    def expr(self, node: ast.expr, fresh: bool = False) -> ast.expr:
        """The node with its array-valued numpy calls written into buffers (post-order);
        ``fresh``: the node's own result is returned to the caller (no buffer)."""
        kind = self._call_kind(node)
        if kind is None:
            if isinstance(node, ast.Attribute | ast.Subscript):
                node.value = self.expr(node.value)
            elif isinstance(node, ast.Call):
                node.args = [self.expr(a) for a in node.args]
            return node
        ufunc, args, keywords = kind
        args = [self.expr(a) for a in args]
        keywords = [ast.keyword(k.arg, self.expr(k.value)) for k in keywords]
        call = ast.Call(_np(ufunc), args, keywords)
        pure = all(self._pure(a) for a in [*args, *(k.value for k in keywords)])
        key = ast.dump(call) if pure else None  # rng.random(...) twice: two draws, not one
        if key in self.seen:
            return self.seen[key]
        value = self._eval(call)
        if fresh or type(value) is not np.ndarray or value.ndim == 0:
            if isinstance(node, ast.Call) and type(value) is not float:
                return call  # np.add.reduce for np.sum: the call np.sum makes, without its wrapper
            return _with_children(node, args, keywords)  # as written: a Python number stays one
        name = f"_b{len(self.buffers)}"
        self.buffers[name] = np.empty(value.shape, value.dtype)
        self.ns[name] = value
        call.keywords.append(ast.keyword("out", ast.Name(name, ast.Load())))
        self.out.append(ast.Expr(call, lineno=0))
        result = ast.Name(name, ast.Load())
        if key is not None:
            self.seen[key] = result
        return result

    def _pure(self, node: ast.expr) -> bool:
        """Whether the (lowered) operand ``node`` is a value that the same text gives again:
        every call in it is numpy's (``np.ones``, ``np.broadcast_to``), an array's method
        (``T4.reshape(3, 1)``) or a helper of the program. A call of another object's method
        (``rng.random(A1.shape)``, ``np.random.RandomState(0).random(...)``) may draw random
        numbers or change state: an expression holding one is computed each time it is
        written, never reused (step 2)."""
        if not isinstance(node, ast.Call):
            return all(self._pure(child) for child in ast.iter_child_nodes(node))
        if not all(self._pure(a) for a in [*node.args, *(k.value for k in node.keywords)]):
            return False
        func = node.func
        if isinstance(func, ast.Name):
            return func.id in self.helper_names
        if isinstance(func, ast.Attribute) and self._pure(func.value):  # the object first:
            return _numpy_function(self._eval(func))  # func is evaluated without a call
        return False

    def _call_kind(self, node: ast.expr) -> tuple | None:
        """``(numpy ufunc path, args, keywords)`` for an operator or a numpy ufunc call."""
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            if isinstance(node.right, ast.Constant) and node.right.value == 2:
                return "square", [node.left], []  # what x**2 runs (numpy's fast power)
            return None
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            return _BINARY[type(node.op)], [node.left, node.right], []
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return "negative", [node.operand], []
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in \
                _COMPARE:
            return _COMPARE[type(node.ops[0])], [node.left, node.comparators[0]], []
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                isinstance(node.func.value, ast.Name) and node.func.value.id == "np":
            name = node.func.attr
            if name == "sum" and len(node.args) == 1 and all(
                    k.arg in ("axis", "keepdims") for k in node.keywords):
                keywords = list(node.keywords)
                if not any(k.arg == "axis" for k in keywords):  # np.sum's default: all axes
                    keywords.insert(0, ast.keyword("axis", ast.Constant(None)))
                return "add.reduce", node.args, keywords
            if isinstance(getattr(np, name, None), np.ufunc) and not node.keywords:
                return name, node.args, []
        return None


def _numpy_function(f: Any) -> bool:
    """Whether ``f`` is a method of an array (or of a numpy number) or a function of numpy's
    own namespace (not ``np.random``'s: its functions are the methods of the global
    RandomState)."""
    owner = getattr(f, "__self__", None)
    if isinstance(owner, np.ndarray | np.generic):
        return True
    return getattr(f, "__module__", None) == "numpy" and (owner is None or
                                                          isinstance(owner, ModuleType))


def _with_children(node: ast.expr, args: list, keywords: list) -> ast.expr:
    """``node`` itself with its operands replaced by their lowered forms."""
    if isinstance(node, ast.BinOp):
        return ast.BinOp(args[0], node.op, args[1]) if len(args) == 2 else \
            ast.BinOp(args[0], node.op, node.right)
    if isinstance(node, ast.UnaryOp):
        return ast.UnaryOp(node.op, args[0])
    if isinstance(node, ast.Compare):
        return ast.Compare(args[0], node.ops, [args[1]])
    return ast.Call(node.func, args, keywords)


def _np(path: str) -> ast.expr:
    node: ast.expr = ast.Name("np", ast.Load())
    for part in path.split("."):
        node = ast.Attribute(node, part, ast.Load())
    return node


class _Substitute(ast.NodeTransformer):
    def __init__(self, mapping: dict) -> None:
        self.mapping = mapping

    def visit_Name(self, node: ast.Name) -> ast.expr:
        return copy.deepcopy(self.mapping[node.id]) if node.id in self.mapping else node
