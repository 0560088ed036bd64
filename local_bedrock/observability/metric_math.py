"""CloudWatch metric math, offline: the subset the workshop's queries and alarms use.

Supported (as documented in "Use metric math", https://docs.aws.amazon.com/AmazonCloudWatch/
latest/monitoring/using-metric-math.html, checked 2026-12-07): numbers, the ids of other queries,
``+ - * /``, unary minus, parentheses, ``FILL(series, value)`` and ``SUM(series)`` /
``SUM([series, ...])``. Arithmetic between two time series keeps the timestamps both have;
``FILL`` gives a value to every period of the query's time range; ``SUM([...])`` adds the series
present at each timestamp, ``SUM(series)`` is one number (the sum of all its values). Anything
else (other functions, ``METRICS()``, ``SEARCH``, ``IF``) is refused with a clear error, not
approximated.
"""

from __future__ import annotations

import ast
import operator
import re
from typing import Any, Hashable, Iterable

Series = dict  # timestamp -> float
_ID = re.compile(r"^[a-z][A-Za-z0-9_]*$")
_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
        ast.Div: operator.truediv}
SUPPORTED = "numbers, query ids, + - * /, parentheses, FILL(series, value), SUM(...)"


class MathError(ValueError):
    """An expression the offline metric math cannot evaluate (with the reason)."""


def ids(expression: str) -> set[str]:
    """The query ids an expression refers to (function names are not ids)."""
    tree = _parse(expression)
    functions = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)
            and id(node) not in functions}


def evaluate(expression: str, series: dict[str, Series], grid: Iterable[Hashable]) -> Series:
    """The expression's time series over `grid` (the periods of the query's time range)."""
    grid = list(grid)
    value = _eval(_parse(expression).body, series, grid)
    if isinstance(value, dict):
        return value
    return {t: value for t in grid}  # a single number holds at every period


def _parse(expression: str) -> ast.Expression:
    try:
        return ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        raise MathError(f"The expression {expression!r} is not valid metric math "
                        f"(offline: {SUPPORTED}).") from exc


def _eval(node: ast.AST, series: dict[str, Series], grid: list) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
            and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.Name):
        if not _ID.match(node.id):
            raise MathError(f"{node.id!r} is not a query id (ids start with a lower-case letter).")
        if node.id not in series:
            raise MathError(f"The expression refers to {node.id!r}, which is not the id of "
                            "another query in the request.")
        return series[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _eval(node.operand, series, grid)
        sign = -1.0 if isinstance(node.op, ast.USub) else 1.0
        return {t: sign * v for t, v in value.items()} if isinstance(value, dict) else sign * value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return _combine(_OPS[type(node.op)], _eval(node.left, series, grid),
                        _eval(node.right, series, grid))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        name, args = node.func.id, node.args
        if name == "FILL" and len(args) == 2:
            values, fill = _eval(args[0], series, grid), _eval(args[1], series, grid)
            if not isinstance(values, dict) or isinstance(fill, dict):
                raise MathError("FILL takes a time series and a number.")
            return {t: values.get(t, fill) for t in grid}
        if name == "SUM" and len(args) == 1:
            if isinstance(args[0], ast.List):
                total: Series = {}
                for item in args[0].elts:
                    values = _eval(item, series, grid)
                    if not isinstance(values, dict):
                        raise MathError("SUM([...]) takes time series.")
                    for t, v in values.items():
                        total[t] = total.get(t, 0.0) + v
                return total
            values = _eval(args[0], series, grid)
            return float(sum(values.values())) if isinstance(values, dict) else values
    raise MathError(f"{ast.unparse(node)!r} is not supported by the offline metric math "
                    f"({SUPPORTED}). Live CloudWatch supports more; see the metric math docs.")


def _combine(op, a: Any, b: Any) -> Any:
    def apply(x: float, y: float) -> float | None:
        try:
            return op(x, y)
        except ZeroDivisionError:
            return None

    if isinstance(a, dict) and isinstance(b, dict):
        pairs = ((t, apply(a[t], b[t])) for t in a if t in b)
    elif isinstance(a, dict):
        pairs = ((t, apply(v, b)) for t, v in a.items())
    elif isinstance(b, dict):
        pairs = ((t, apply(a, v)) for t, v in b.items())
    else:
        return apply(a, b)
    return {t: v for t, v in pairs if v is not None}
