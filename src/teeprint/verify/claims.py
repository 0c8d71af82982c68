"""The claim language: a plate's statements checked against its figure's named arrays.

A claim's ``check`` is written in Python expression syntax and parsed with :mod:`ast`, but it is
never handed to ``eval``: a walker evaluates only the node types and functions listed here, so a
design file can state facts about its data and nothing else.

What a check may contain:

* names: the figure's arrays and scalars (``test_error``, ``n_train``), and ``pi``, ``e``, ``inf``;
* numbers, strings (only as arguments), lists ``[a, b]``;
* arithmetic ``+ - * / // % **`` and unary ``-``, elementwise on arrays (numpy rules);
* comparisons, chained (``0.9 < x < 1.1``), elementwise on arrays; ``and``, ``or``, ``not``;
  a ``x if c else y`` conditional;
* subscripts with integers, slices, expressions and masks: ``x[-1]``, ``x[2:5]``, ``m[:, 0]``,
  ``n_features[argmax(test_error)]``, ``x[y > 0]``;
* the functions of :data:`FUNCTIONS` (each documented there, and in the README).

A check must come out as a single truth value (use ``all``/``any``/``frac`` on arrays).  The
verifier reports the value of the left-hand side of every comparison it met, so a report shows
what was measured, not only whether it held.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from teeprint.errors import TeeprintError


def _arr(x: Any) -> np.ndarray:
    return np.asarray(x, dtype=float)


def _first_index(cond: Any) -> float:
    idx = np.flatnonzero(np.asarray(cond, bool).ravel())
    return float(idx[0]) if idx.size else math.nan


def _last_index(cond: Any) -> float:
    idx = np.flatnonzero(np.asarray(cond, bool).ravel())
    return float(idx[-1]) if idx.size else math.nan


def _slope(x: Any, y: Any) -> float:
    xs, ys = _arr(x).ravel(), _arr(y).ravel()
    ok = np.isfinite(xs) & np.isfinite(ys)
    return float(np.polyfit(xs[ok], ys[ok], 1)[0])


def _loglog_slope(x: Any, y: Any) -> float:
    xs, ys = _arr(x).ravel(), _arr(y).ravel()
    ok = (xs > 0) & (ys > 0)
    return _slope(np.log(xs[ok]), np.log(ys[ok]))


def _corr(a: Any, b: Any) -> float:
    return float(np.corrcoef(_arr(a).ravel(), _arr(b).ravel())[0, 1])


def _cosine(a: Any, b: Any) -> float:
    u, v = _arr(a).ravel(), _arr(b).ravel()
    return float(u @ v / (np.linalg.norm(u) * np.linalg.norm(v)))


def _angle_deg(a: Any, b: Any) -> float:
    return float(np.degrees(np.arccos(np.clip(_cosine(a, b), -1.0, 1.0))))


def _increasing(x: Any, tol: float = 0.0) -> bool:
    return bool(np.all(np.diff(_arr(x).ravel()) >= -tol))


def _decreasing(x: Any, tol: float = 0.0) -> bool:
    return bool(np.all(np.diff(_arr(x).ravel()) <= tol))


def _count(cond: Any) -> float:
    return float(np.count_nonzero(np.asarray(cond, bool)))


def _frac(cond: Any) -> float:
    c = np.asarray(cond, bool)
    return float(np.count_nonzero(c) / c.size) if c.size else math.nan


def _crossings(x: Any, level: float = 0.0) -> float:
    """How many times the sequence crosses ``level`` (sign changes of x - level)."""
    s = np.sign(_arr(x).ravel() - level)
    s = s[s != 0]
    return float(np.count_nonzero(s[1:] != s[:-1]))


def _local_maxima(x: Any, prominence: float = 0.0) -> float:
    """Interior points higher than both neighbours by more than ``prominence``."""
    v = _arr(x).ravel()
    if v.size < 3:
        return 0.0
    mid = v[1:-1]
    return float(np.count_nonzero((mid > v[:-2] + prominence) & (mid > v[2:] + prominence)))


def _interp(x0: Any, xs: Any, ys: Any) -> Any:
    return np.interp(_arr(x0), _arr(xs).ravel(), _arr(ys).ravel())


def _isclose(a: Any, b: Any, rel: float = 1e-6, abs_: float = 0.0) -> Any:
    return np.isclose(_arr(a), _arr(b), rtol=rel, atol=abs_)


def _rank(m: Any, tol: float = 1e-8) -> float:
    s = np.linalg.svd(_arr(m), compute_uv=False)
    return float(np.count_nonzero(s > tol * (s[0] if s.size else 1.0)))


def _reduce(fn: Callable[..., Any]) -> Callable[..., float]:
    def f(x: Any, axis: Any = None) -> Any:
        out = fn(_arr(x), axis=None if axis is None else int(axis))
        return float(out) if np.ndim(out) == 0 else out

    return f


def _len(x: Any) -> float:
    """The length of an array's first axis.  A scalar has none: a check that takes one's length
    names the wrong value (its count would pass ``len(x) == 1`` whatever x is)."""
    if np.ndim(x) == 0:
        msg = "a single value has no length (size() counts elements; len() is for arrays)"
        raise TypeError(msg)
    return float(np.asarray(x).shape[0])


#: The functions a check may call, with what each returns.
FUNCTIONS: dict[str, tuple[Callable[..., Any], str]] = {
    "abs": (lambda x: np.abs(_arr(x)), "absolute value, elementwise"),
    "sqrt": (lambda x: np.sqrt(_arr(x)), "square root, elementwise"),
    "log": (lambda x: np.log(_arr(x)), "natural logarithm, elementwise"),
    "log10": (lambda x: np.log10(_arr(x)), "base-10 logarithm, elementwise"),
    "exp": (lambda x: np.exp(_arr(x)), "exponential, elementwise"),
    "sign": (lambda x: np.sign(_arr(x)), "sign, elementwise"),
    "min": (_reduce(np.nanmin), "smallest value (optional axis)"),
    "max": (_reduce(np.nanmax), "largest value (optional axis)"),
    "mean": (_reduce(np.nanmean), "mean (optional axis)"),
    "median": (_reduce(np.nanmedian), "median (optional axis)"),
    "sum": (_reduce(np.nansum), "sum (optional axis)"),
    "std": (_reduce(np.nanstd), "standard deviation (optional axis)"),
    "quantile": (lambda x, q: float(np.nanquantile(_arr(x), float(q))), "quantile(x, q), q in 0..1"),
    "len": (_len, "length of the first axis (an array's; a scalar has none)"),
    "size": (lambda x: float(np.asarray(x).size), "number of elements"),
    "argmax": (lambda x: float(np.nanargmax(_arr(x).ravel())), "index of the largest value (flat)"),
    "argmin": (lambda x: float(np.nanargmin(_arr(x).ravel())), "index of the smallest value (flat)"),
    "all": (lambda c: bool(np.all(np.asarray(c, bool))), "every element true"),
    "any": (lambda c: bool(np.any(np.asarray(c, bool))), "some element true"),
    "count": (_count, "number of true elements"),
    "frac": (_frac, "fraction of true elements"),
    "first_index": (_first_index, "first index where true (flat), nan if none"),
    "last_index": (_last_index, "last index where true (flat), nan if none"),
    "diff": (lambda x: np.diff(_arr(x).ravel()), "successive differences"),
    "cumsum": (lambda x: np.cumsum(_arr(x).ravel()), "running sum"),
    "sort": (lambda x: np.sort(_arr(x).ravel()), "sorted copy"),
    "unique": (lambda x: np.unique(_arr(x).ravel()), "sorted distinct values"),
    "norm": (lambda x, axis=None: (np.linalg.norm(_arr(x)) if axis is None
                                   else np.linalg.norm(_arr(x), axis=int(axis))),
             "Euclidean norm (of the whole array, or along an axis)"),
    "dot": (lambda a, b: _arr(a) @ _arr(b), "matrix or dot product"),
    "transpose": (lambda m: _arr(m).T, "transpose"),
    "rank": (_rank, "numerical rank of a matrix (relative tolerance, default 1e-8)"),
    "cosine": (_cosine, "cosine similarity of two flattened arrays"),
    "angle_deg": (_angle_deg, "angle between two vectors in degrees"),
    "corr": (_corr, "Pearson correlation of two flattened arrays"),
    "slope": (_slope, "least-squares slope of y against x"),
    "loglog_slope": (_loglog_slope, "least-squares slope of log y against log x (positive points)"),
    "increasing": (_increasing, "every step >= -tol (optional tol)"),
    "decreasing": (_decreasing, "every step <= tol (optional tol)"),
    "crossings": (_crossings, "number of sign changes of x - level"),
    "local_maxima": (_local_maxima, "interior points above both neighbours by > prominence"),
    "interp": (_interp, "interp(x0, xs, ys): linear interpolation of ys at x0"),
    "isclose": (_isclose, "isclose(a, b, rel=1e-6, abs_=0), elementwise"),
    "where": (lambda c, a, b: np.where(np.asarray(c, bool), _arr(a), _arr(b)), "where(c, a, b)"),
    "isfinite": (lambda x: np.isfinite(_arr(x)), "finite, elementwise"),
    "row": (lambda m, i: _arr(m)[int(i)], "row(m, i)"),
    "col": (lambda m, j: _arr(m)[:, int(j)], "col(m, j)"),
    "diag": (lambda m: np.diag(_arr(m)), "diagonal of a matrix"),
    "shape": (lambda x, i: float(np.asarray(x).shape[int(i)]), "shape(x, i): length of axis i"),
}

_CONSTANTS = {"pi": math.pi, "e": math.e, "inf": math.inf, "nan": math.nan,
              "True": True, "False": False}

_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_CMPOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
    ast.Eq: operator.eq, ast.NotEq: operator.ne,
}
_MAX_ELEMENTS = 50_000_000


class ClaimError(TeeprintError):
    """A check that cannot be parsed or evaluated (a design error, not a failed claim)."""


@dataclass
class Outcome:
    """What a check measured: its truth and the left-hand values of its comparisons."""

    holds: bool
    measured: list[tuple[str, Any]] = field(default_factory=list)


def parse(check: str) -> ast.Expression:
    """Parse a check and reject anything outside the vocabulary (before any data is seen)."""
    try:
        tree = ast.parse(check, mode="eval")
    except SyntaxError as exc:
        msg = f"check {check!r} is not an expression: {exc.msg}"
        raise ClaimError(msg) from None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                name = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
                msg = f"check {check!r} calls {name!r}; allowed: {', '.join(sorted(FUNCTIONS))}"
                raise ClaimError(msg)
        elif not isinstance(node, _ALLOWED_NODES):
            msg = f"check {check!r} uses {type(node).__name__}, which claims do not allow"
            raise ClaimError(msg)
    return tree


_ALLOWED_NODES = (
    ast.Expression, ast.Name, ast.Load, ast.Constant, ast.List, ast.Tuple, ast.BinOp, ast.UnaryOp,
    ast.USub, ast.UAdd, ast.Not, ast.BoolOp, ast.And, ast.Or, ast.Compare, ast.Subscript, ast.Slice,
    ast.IfExp, ast.keyword, *_BINOPS, *_CMPOPS,
)


def names(check: str) -> set[str]:
    """The array names a check reads (functions and constants excluded)."""
    return {n.id for n in ast.walk(parse(check)) if isinstance(n, ast.Name)
            and n.id not in FUNCTIONS and n.id not in _CONSTANTS}


def evaluate(check: str, arrays: dict[str, Any]) -> Outcome:
    """Evaluate a check against named arrays; raise :class:`ClaimError` on a malformed check."""
    tree = parse(check)
    measured: list[tuple[str, Any]] = []

    def ev(node: ast.AST) -> Any:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, (int, float, str, bool)):
                return node.value
            msg = f"check {check!r}: constant {node.value!r} not allowed"
            raise ClaimError(msg)
        if isinstance(node, ast.Name):
            if node.id in _CONSTANTS:
                return _CONSTANTS[node.id]
            if node.id not in arrays:
                msg = (f"check {check!r} names {node.id!r}, which the figure does not have; "
                       f"arrays: {', '.join(sorted(arrays))}")
                raise ClaimError(msg)
            value = arrays[node.id]
            if isinstance(value, str) or np.isscalar(value):
                return value
            arr = np.asarray(value)
            if arr.dtype.kind in "USO":  # names, labels: only len() and size() apply
                return arr
            return arr.astype(float)
        if isinstance(node, (ast.List, ast.Tuple)):
            return np.asarray([ev(e) for e in node.elts], dtype=float)
        if isinstance(node, ast.BinOp):
            left, right = ev(node.left), ev(node.right)
            if isinstance(node.op, ast.Pow) and np.any(np.abs(_arr(right)) > 64):
                msg = f"check {check!r}: exponent too large"
                raise ClaimError(msg)
            try:
                out = _BINOPS[type(node.op)](_num(left), _num(right))
            except (ValueError, TypeError) as exc:
                msg = f"check {check!r}: {ast.unparse(node)}: {exc}"
                raise ClaimError(msg) from None
            if np.size(out) > _MAX_ELEMENTS:
                msg = f"check {check!r}: result too large"
                raise ClaimError(msg)
            return out
        if isinstance(node, ast.UnaryOp):
            v = ev(node.operand)
            if isinstance(node.op, ast.Not):
                return not _truth(v, check)
            return -_num(v) if isinstance(node.op, ast.USub) else _num(v)
        if isinstance(node, ast.BoolOp):
            if isinstance(node.op, ast.And):
                return all(_truth(ev(v), check) for v in node.values)
            return any(_truth(ev(v), check) for v in node.values)
        if isinstance(node, ast.Compare):
            # The outer comparison is reported first; of a chain ``0 < x < 1`` the first
            # operand that is not a constant is what was measured.
            slot = len(measured)
            measured.append(("", None))
            left = ev(node.left)
            shown, value = node.left, left
            if isinstance(node.left, ast.Constant) and node.comparators:
                shown, value = node.comparators[0], ev(node.comparators[0])
            measured[slot] = (ast.unparse(shown), _report(value))
            result: Any = True
            for op, comp in zip(node.ops, node.comparators, strict=True):
                right = ev(comp)
                try:
                    step = _CMPOPS[type(op)](_num(left), _num(right))
                except (ValueError, TypeError) as exc:
                    msg = f"check {check!r}: {ast.unparse(node)}: {exc}"
                    raise ClaimError(msg) from None
                result = np.logical_and(result, step)
                left = right
            return result
        if isinstance(node, ast.IfExp):
            return ev(node.body) if _truth(ev(node.test), check) else ev(node.orelse)
        if isinstance(node, ast.Subscript):
            base = np.asarray(ev(node.value))
            index = _index(node.slice)
            try:
                return base[index]
            except (IndexError, ValueError) as exc:
                msg = f"check {check!r}: {ast.unparse(node)}: {exc}"
                raise ClaimError(msg) from None
        if isinstance(node, ast.Call):
            fname = node.func.id if isinstance(node.func, ast.Name) else ""  # parse() checked
            func = FUNCTIONS[fname][0]
            args = [ev(a) for a in node.args]
            kwargs = {(k.arg or "") if k.arg != "abs" else "abs_": ev(k.value) for k in node.keywords}
            try:
                return func(*args, **kwargs)
            except (TypeError, ValueError, IndexError, np.linalg.LinAlgError) as exc:
                msg = f"check {check!r}: {fname}(): {exc}"
                raise ClaimError(msg) from None
        msg = f"check {check!r}: {type(node).__name__} not allowed"
        raise ClaimError(msg)

    def _index(node: ast.AST) -> Any:
        if isinstance(node, ast.Slice):
            parts = [None if p is None else _int(ev(p)) for p in (node.lower, node.upper, node.step)]
            return slice(*parts)
        if isinstance(node, ast.Tuple):
            return tuple(_index(e) for e in node.elts)
        value = ev(node)
        if isinstance(value, np.ndarray) and value.dtype == bool:
            return value  # a mask: x[x > 2.5] keeps the elements where it is true
        return _int(value)

    def _int(v: Any) -> int:
        f = float(np.asarray(v).ravel()[0]) if np.size(v) == 1 else math.nan
        if not math.isfinite(f) or f != int(f):
            msg = f"check {check!r}: index {v!r} is not a whole number"
            raise ClaimError(msg)
        return int(f)

    try:
        with np.errstate(all="ignore"):
            value = ev(tree.body)
            holds = _truth(value, check)
    except IndexError as exc:
        msg = f"check {check!r}: {exc}"
        raise ClaimError(msg) from None
    return Outcome(holds, measured)


def _num(v: Any) -> Any:
    if isinstance(v, str):
        msg = f"a string ({v!r}) cannot be used in arithmetic or comparisons"
        raise ClaimError(msg)
    return v


def _truth(v: Any, check: str) -> bool:
    if np.size(v) != 1:
        msg = f"check {check!r} gives {np.size(v)} values, not one truth (wrap it in all() or any())"
        raise ClaimError(msg)
    return bool(np.asarray(v).ravel()[0])


def _report(v: Any) -> Any:
    """A measured value as a short JSON-friendly thing: a number, or a summary of an array."""
    a = np.asarray(v)
    if a.size == 1:
        f = float(a.ravel()[0])
        return round(f, 6) if math.isfinite(f) else str(f)
    return f"array{list(a.shape)}"
