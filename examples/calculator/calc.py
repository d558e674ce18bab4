# Evaluates one arithmetic expression safely (numbers, + - * / // % **, parentheses) and prints the
# result. Runs inside the sandbox as the `calculate` tool; errors go to stderr with exit code 1.
import ast
import operator
import sys

OPS = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
    ast.USub: operator.neg, ast.UAdd: operator.pos,
}


def ev(node):
    if isinstance(node, ast.Expression):
        return ev(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in OPS:
        left, right = ev(node.left), ev(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > 100:
            raise ValueError("exponent too large")
        return OPS[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp) and type(node.op) in OPS:
        return OPS[type(node.op)](ev(node.operand))
    raise ValueError("only numbers, + - * / // % ** and parentheses are allowed")


try:
    value = ev(ast.parse(sys.argv[1], mode="eval"))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    print(value)
except Exception as exc:  # noqa: BLE001 - every failure is reported to the model as text
    print(f"error: {exc}", file=sys.stderr)
    sys.exit(1)
